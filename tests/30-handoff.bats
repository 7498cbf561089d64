#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# 30-handoff.bats - getting the VM fd: the socket hand-off of docs/handoff.md
# and inherited fds, every refusal, and no fd left open (valgrind --track-fds).

load test_helper

# handoff EXIT 'text' [stub options] -- [kvm-assign args]: one hand-off
# under the simulated kernel (creator rule off: a good fd then succeeds).
handoff() {
	local code=$1 text=$2 stub=()
	shift 2
	while [ "$1" != -- ]; do stub+=("$1"); shift; done
	shift
	run with_vmm --creator-rule=off -- "${stub[@]}" -- \
		"$KVM_ASSIGN" "${PCI_DUMP[@]}" --socket=@SOCKET@ "$@"
	if [ "$code" = 0 ]; then
		assert_success
		assert_output "$text"
	else
		assert_failure "$code"
		assert_output --regexp "^kvm-assign: socket /[^ ]*/vmm\.sock: .*$text"
		assert_equal "${#lines[@]}" 1
		assert_no_legacy_ioctl
	fi
}

@test "a good hand-off: the VM fd arrives and the ioctl reaches the kernel on it" {
	handoff 0 "" -- assign 03:00.0
	run grep -c 'obj=vm1 ioctl=KVM_ASSIGN_PCI_DEVICE .* ret=0' "$(klog)"
	assert_output 1
}

@test "refused: the /dev/kvm fd instead of a VM fd" {
	handoff 6 "not a KVM VM fd \(it is /dev/kvm\)" --send=sysfd -- deassign --id=7
}

@test "refused: a vcpu fd" {
	handoff 6 "not a KVM VM fd \(it is anon_inode:kvm-vcpu:0\)" --vcpus=1 --send=vcpu -- deassign --id=7
}

@test "refused: a file that has nothing to do with KVM" {
	handoff 6 "not a KVM VM fd \(it is /memfd:" --send=memfd -- deassign --id=7
}

@test "refused: data without a file descriptor" {
	handoff 6 "the peer sent no file descriptor" --send=none -- deassign --id=7
}

@test "refused: a peer that closes without sending" {
	handoff 6 "the peer sent no file descriptor" --send=short -- deassign --id=7
}

@test "refused: two file descriptors in one message" {
	handoff 6 "the peer sent 2 file descriptors: a hand-off carries exactly one" --send=two -- deassign --id=7
}

@test "refused: more descriptors than fit (truncated control data)" {
	handoff 6 "control data truncated" --send=many -- deassign --id=7
}

@test "refused: another protocol version" {
	handoff 6 "hand-off version 9 is not supported \(kvm-assign speaks version 1\)" --send=badversion -- deassign --id=7
}

@test "refused: a peer that never sends, after --timeout" {
	SECONDS=0
	handoff 6 "no VM fd within 1 s" --send=stall -- --timeout=1 deassign --id=7
	[ "$SECONDS" -lt 5 ] || fail "the timeout took ${SECONDS}s"
}

@test "refused: a peer of another uid that is not root" {
	handoff 6 "the peer \(pid [0-9]+\) runs as uid 65534, neither root nor uid 0: refusing its fd" \
		--uid=65534 -- deassign --id=7
}

@test "accepted: a root peer when kvm-assign runs as another user" {
	nobody_copy "$KVM_ASSIGN" "$DUMP"
	run with_vmm --creator-rule=off -- -- bash -c '
		chmod 755 "${VMM_SOCKET%/*}"; chmod 666 "$VMM_SOCKET"
		setpriv --reuid=65534 --regid=65534 --clear-groups "$@"' _ \
		"$NOBODY_DIR/kvm-assign" -A dump -O "dump.name=$NOBODY_DIR/devices.dump" \
		--socket=@SOCKET@ -v assign 03:00.0
	assert_success
	assert_output --partial "KVM_ASSIGN_PCI_DEVICE 0x8040ae69 assigned_dev_id=0x300"
}

@test "refused: a socket kvm-assign may not connect to is permission denied, exit 4" {
	# The VMM's socket is 0600 in a directory of mode 700, both root's.
	nobody_copy "$KVM_ASSIGN"
	run with_vmm -- -- setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$NOBODY_DIR/kvm-assign" --socket=@SOCKET@ deassign --id=7
	assert_failure 4
	assert_output --partial "cannot connect: Permission denied: run as the VMM's user or root"
}

@test "--fd: an fd inherited across exec from the VMM is accepted as a VM fd" {
	run with_vmm --creator-rule=off -- --exec-fd=5 -- "$KVM_ASSIGN" "${PCI_DUMP[@]}" --fd=5 -v assign 03:00.0
	assert_success
	assert_output --partial "KVM_ASSIGN_PCI_DEVICE 0x8040ae69 assigned_dev_id=0x300"
}

@test "--fd: an inherited fd that is /dev/kvm, not a VM, is refused" {
	run sim -- bash -c 'exec 5<>/dev/kvm; exec "$KVM_ASSIGN" --fd=5 deassign --id=7'
	assert_failure 6
	assert_output "kvm-assign: fd 5: not a KVM VM fd (it is /dev/kvm): hand over the fd KVM_CREATE_VM returned"
	assert_no_legacy_ioctl
}

# leaks_nothing: every fd valgrind saw open at exit was inherited.
leaks_nothing() {
	local open inherited
	open=$(grep -c 'Open file descriptor' <<<"$output" || true)
	inherited=$(grep -c '<inherited from parent>' <<<"$output" || true)
	[ "$open" = "$inherited" ] || fail "kvm-assign left fds open: $output"
}

@test "no fd is left open: after a good hand-off, and after refusing two or many" {
	command -v valgrind >/dev/null || fail "valgrind is needed (apt-get install valgrind)"
	for mode in vm two many sysfd; do
		run with_vmm --creator-rule=off -- --send=$mode -- \
			valgrind -q --track-fds=yes "$KVM_ASSIGN" --socket=@SOCKET@ deassign --id=7
		assert_output --partial "FILE DESCRIPTORS:"
		leaks_nothing
	done
}

@test "no fd is left open after the EIO analysis and probe" {
	run with_vmm --mode=removed -- -- \
		valgrind -q --track-fds=yes "$KVM_ASSIGN" --socket=@SOCKET@ deassign --id=7
	assert_output --partial "kernel lacks support"
	leaks_nothing
}
