#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# 32-socket-path.bats - never the wrong VMM: a --socket path through a
# symbolic link, or in a directory another user could change, is refused
# before kvm-assign connects; and the greeting's version is exact digits.

load test_helper

setup() {
	T=$BATS_TEST_TMPDIR
	# The suite's own directories must pass the check for these tests to
	# mean anything: root's, and not writable by others.
	run stat -c '%u %a' "$T"
	assert_output --regexp '^0 [0-7]?[0-7][0-5][0-5]$'
}

# at PATH -- [kvm-sim options] -- [stub options] -- kvm-assign args: start a
# stub VMM (creator rule off), move its socket to PATH (a bound socket keeps
# working when renamed; PATH's directory must exist), then run kvm-assign
# with the args, which name the socket as the test wants.
at() {
	local path=$1 simopts=() stub=()
	shift 2
	while [ "$1" != -- ]; do simopts+=("$1"); shift; done
	shift
	while [ "$1" != -- ]; do stub+=("$1"); shift; done
	shift
	run with_vmm --creator-rule=off "${simopts[@]}" -- "${stub[@]}" -- bash -c '
		mv "$VMM_SOCKET" "$1" || exit 125
		shift
		exec "$@"' _ "$path" "$KVM_ASSIGN" "${PCI_DUMP[@]}" "$@"
}

# refused_unseen: kvm-assign did nothing the kernel saw: no /dev/kvm, no
# ioctl, no look at a received fd (its readlink is logged with its comm).
refused_unseen() {
	assert_no_legacy_ioctl
	run grep 'comm=kvm-assign' "$(klog)"
	assert_output ""
}

# accepted: the VM fd arrived and the assignment reached the VMM's VM (vm1).
accepted() {
	assert_success
	assert_output ""
	run grep -c 'obj=vm1 ioctl=KVM_ASSIGN_PCI_DEVICE .* ret=0' "$(klog)"
	assert_output 1
}

@test "refused: a socket path that is a symbolic link; its real path is accepted" {
	mkdir -m 700 "$T/real"
	ln -s "$T/real/vm.sock" "$T/vm.sock"
	at "$T/real/vm.sock" -- -- -- --socket="$T/vm.sock" assign 03:00.0
	assert_failure 6
	assert_output "kvm-assign: socket $T/vm.sock: $T/vm.sock is a symbolic link (to $T/real/vm.sock): refusing to follow it"
	refused_unseen

	at "$T/real/vm.sock" -- -- -- --socket="$T/real/vm.sock" assign 03:00.0
	accepted
}

@test "accepted: a relative socket path is checked from / and works" {
	mkdir -m 700 "$T/real"
	cd "$T"
	at "$T/real/vm.sock" -- -- -- --socket=real/./vm.sock assign 03:00.0
	accepted
}

@test "refused: a symbolic link to the socket's directory" {
	mkdir -m 700 "$T/real"
	ln -s real "$T/link"
	at "$T/real/vm.sock" -- -- -- --socket="$T/link/vm.sock" assign 03:00.0
	assert_failure 6
	assert_output "kvm-assign: socket $T/link/vm.sock: $T/link is a symbolic link (to real): refusing to follow it"
	refused_unseen
}

@test "refused: a socket in a directory of mode 0777, not sticky" {
	mkdir "$T/open" && chmod 0777 "$T/open"
	at "$T/open/vm.sock" -- -- -- --socket="$T/open/vm.sock" assign 03:00.0
	assert_failure 6
	assert_output "kvm-assign: socket $T/open/vm.sock: $T/open is writable by others (mode 0777) and not sticky: another user could replace the socket; move it to a directory only its owner can write"
	refused_unseen
}

@test "refused: a directory further up that others may write" {
	mkdir -p "$T/open/private" && chmod 0770 "$T/open" && chmod 0700 "$T/open/private"
	at "$T/open/private/vm.sock" -- -- -- --socket="$T/open/private/vm.sock" assign 03:00.0
	assert_failure 6
	assert_output "kvm-assign: socket $T/open/private/vm.sock: $T/open is writable by others (mode 0770) and not sticky: another user could replace the socket; move it to a directory only its owner can write"
	refused_unseen
}

@test "accepted: a socket in a sticky directory of mode 1777 owned by root (as /tmp)" {
	mkdir "$T/shared" && chmod 1777 "$T/shared"
	at "$T/shared/vm.sock" -- -- -- --socket="$T/shared/vm.sock" assign 03:00.0
	accepted
}

@test "refused: a socket in a directory of mode 0775 owned by another user (nobody)" {
	mkdir "$T/theirs" && chmod 0775 "$T/theirs" && chown 65534:65534 "$T/theirs"
	at "$T/theirs/vm.sock" -- -- -- --socket="$T/theirs/vm.sock" assign 03:00.0
	assert_failure 6
	assert_output "kvm-assign: socket $T/theirs/vm.sock: $T/theirs is owned by uid 65534, neither root nor uid 0: another user could replace the socket; move it to a directory only its owner can write"
	refused_unseen
}

@test "refused: a sticky directory owned by another user" {
	mkdir "$T/theirs" && chmod 1777 "$T/theirs" && chown 65534:65534 "$T/theirs"
	at "$T/theirs/vm.sock" -- -- -- --socket="$T/theirs/vm.sock" assign 03:00.0
	assert_failure 6
	assert_output "kvm-assign: socket $T/theirs/vm.sock: $T/theirs is owned by uid 65534, neither root nor uid 0: another user could replace the socket; move it to a directory only its owner can write"
	refused_unseen
}

# Two root VMMs: A (vm1) serves in a shared sticky directory, B (vm2) in
# its own.  Then nobody, who may create names in the shared directory,
# makes one lead to B: kvm-assign, told that name, must refuse it rather
# than act on B, and A's own socket there stays usable.
two_vmms() {
	local how=$1 shared
	# Where nobody can reach: $BATS_TEST_TMPDIR's ancestors may be private.
	nobody_copy "$DUMP"
	shared=$NOBODY_DIR/shared
	mkdir "$shared" && chmod 1777 "$shared"
	run with_vmm --creator-rule=off -- -- "$TOP_SRCDIR/tests/helpers/with-vmm.sh" -- bash -c '
		a=$1 shared=$2 how=$3; shift 3
		mv "$a" "$shared/a.sock" || exit 125
		echo "B $VMM_SOCKET"
		if [ "$how" = symlink ]; then
			setpriv --reuid=65534 --regid=65534 --clear-groups ln -s "$VMM_SOCKET" "$shared/vm.sock" || exit 125
		else
			# A hard link needs access to B'"'"'s socket (protected_hardlinks): root makes it.
			ln "$VMM_SOCKET" "$shared/vm.sock" || exit 125
		fi
		"$@" --socket="$shared/vm.sock" assign 03:00.0
		echo "exit $?"
		"$@" --socket="$shared/a.sock" assign 03:00.0
		echo "exit $?"' _ @SOCKET@ "$shared" "$how" "$KVM_ASSIGN" "${PCI_DUMP[@]}"
	assert_success
	S=$shared
}

@test "another user's symbolic link in a shared sticky directory does not lead kvm-assign to another VMM" {
	two_vmms symlink
	b=${lines[0]#B }
	assert_line --index 1 "kvm-assign: socket $S/vm.sock: $S/vm.sock is a symbolic link (to $b): refusing to follow it"
	assert_line --index 2 "exit 6"
	assert_line --index 3 "exit 0"
	assert_equal "${#lines[@]}" 4
	# The one assignment is A's, on vm1; B's VM (vm2) never saw one.
	run grep 'ioctl=KVM_ASSIGN_PCI_DEVICE' "$(klog)"
	assert_line --regexp 'obj=vm1 ioctl=KVM_ASSIGN_PCI_DEVICE .* ret=0'
	assert_equal "${#lines[@]}" 1
	# kvm-assign looked at one received fd only: A's, in its second run.
	run grep -c '^op=readlink .* comm=kvm-assign ' "$(klog)"
	assert_output 1
}

@test "a hard link to another VMM's socket in a shared sticky directory is refused" {
	two_vmms hardlink
	assert_line --index 1 "kvm-assign: socket $S/vm.sock: $S/vm.sock has 2 hard links and its directory is writable by others: one may be another user's link to a different VMM's socket; move it to a directory only its owner can write"
	assert_line --index 2 "exit 6"
	assert_line --index 3 "exit 0"
	assert_equal "${#lines[@]}" 4
	run grep 'ioctl=KVM_ASSIGN_PCI_DEVICE' "$(klog)"
	assert_line --regexp 'obj=vm1 ioctl=KVM_ASSIGN_PCI_DEVICE .* ret=0'
	assert_equal "${#lines[@]}" 1
	# kvm-assign looked at one received fd only: A's, in its second run.
	run grep -c '^op=readlink .* comm=kvm-assign ' "$(klog)"
	assert_output 1
}

@test "refused: a '..' in the socket path" {
	mkdir -m 700 "$T/real"
	at "$T/real/vm.sock" -- -- -- --socket="$T/real/../real/vm.sock" assign 03:00.0
	assert_failure 6
	assert_output "kvm-assign: socket $T/real/../real/vm.sock: the path has a '..' component: give the socket's path without it"
	refused_unseen
}

@test "the greeting's version is exactly decimal digits: sign, spaces and leading zeros are refused" {
	mkdir -m 700 "$T/real"
	local g
	for g in '+1' ' 1' '01' '1 ' '-1' '1x' '0x1' '' '00' ' '; do
		at "$T/real/vm.sock" -- -- --greeting="KVM-VM-FD $g" -- --socket="$T/real/vm.sock" assign 03:00.0
		assert_failure 6
		assert_output "kvm-assign: socket $T/real/vm.sock: malformed hand-off greeting 'KVM-VM-FD $g'"
		assert_no_legacy_ioctl
	done
	at "$T/real/vm.sock" -- -- --greeting="KVM-VM-FD 0" -- --socket="$T/real/vm.sock" assign 03:00.0
	assert_failure 6
	assert_output "kvm-assign: socket $T/real/vm.sock: hand-off version 0 is not supported (kvm-assign speaks version 1)"
	assert_no_legacy_ioctl
	at "$T/real/vm.sock" -- -- --greeting="KVM-VM-FD 1" -- --socket="$T/real/vm.sock" assign 03:00.0
	accepted
}
