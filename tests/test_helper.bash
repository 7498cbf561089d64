# SPDX-License-Identifier: GPL-2.0-or-later
# test_helper.bash - loaded by every Bats file: bats-support/bats-assert,
# the paths of the programs under test, and the helpers the files share:
# sim, with_vmm (the one way to start a VMM), nobody_copy, kernel_saw,
# zeros, kv_field, item and item_field, no_escape, among others.

: "${BATS_LIB_PATH:=/usr/lib/bats}"
load "$BATS_LIB_PATH/bats-support/load"
load "$BATS_LIB_PATH/bats-assert/load"

# Fail loudly, never skip, when a prerequisite is missing.
for _v in KVM_ASSIGN KVM_SIM STUB_VMM TOP_SRCDIR TOP_BUILDDIR; do
	if [ -z "${!_v:-}" ]; then
		echo "test_helper: \$$_v is not set: run the tests through 'make check'" >&2
		exit 1
	fi
done
for _p in "$KVM_ASSIGN" "$KVM_SIM" "$STUB_VMM"; do
	if [ ! -x "$_p" ]; then
		echo "test_helper: $_p is missing: build it with 'make check'" >&2
		exit 1
	fi
done
FIXTURES="$TOP_SRCDIR/tests/fixtures"
DUMP="$FIXTURES/devices.dump"

# The libpci options that make the fixture dump the machine's PCI bus.
PCI_DUMP=(-A dump -O "dump.name=$DUMP")

# sim [kvm-sim options] -- command...: run under the simulated kernel,
# logging every call to $KLOG and the VMs' state to $KSTATE.  (Fixed per
# test, not set here: Bats' run executes sim in a subshell.)
sim() {
	"$KVM_SIM" --log="$BATS_TEST_TMPDIR/kernel.log" --state="$BATS_TEST_TMPDIR/kernel.state" "$@"
}
klog() { echo "$BATS_TEST_TMPDIR/kernel.log"; }
kstate() { echo "$BATS_TEST_TMPDIR/kernel.state"; }

# The legacy assignment ioctls (type 0xae, numbers 0x69..0xa4) the
# simulated kernel logged, one "NAME bytes" line each.
legacy_ioctls() {
	grep 'op=ioctl' "$(klog)" | grep -E 'ioctl=KVM_(ASSIGN|DEASSIGN)' |
		sed -E 's/.*ioctl=([A-Z_]+).* bytes=([0-9a-f]+).*/\1 \2/'
}

assert_no_legacy_ioctl() {
	local got
	# The VMM's own /dev/kvm calls are logged: no log means no kernel ran.
	[ -s "$(klog)" ] || fail "no kernel log: was the command run under sim?"
	got=$(legacy_ioctls)
	if [ -n "$got" ]; then
		echo "expected no legacy ioctl to reach the kernel, got:" >&2
		echo "$got" >&2
		return 1
	fi
}

# sysfs_from_dump DIR: a sysfs tree (devices/*/config) made from the
# fixture dump, for libpci's sysfs method: -A linux-sysfs -O sysfs.path=DIR
sysfs_from_dump() {
	local dir=$1 line addr= hex
	mkdir -p "$dir/devices"
	while IFS= read -r line; do
		if [[ $line =~ ^([0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7])\  ]]; then
			addr=${BASH_REMATCH[1]}
			mkdir -p "$dir/devices/$addr"
			: > "$dir/devices/$addr/config"
		elif [[ -n $addr && $line =~ ^[0-9a-f]{2}:\ (.*)$ ]]; then
			hex=${BASH_REMATCH[1]}
			printf "$(printf '\\x%s' $hex)" >> "$dir/devices/$addr/config"
		elif [[ -z $line ]]; then
			addr=
		fi
	done < "$DUMP"
}

# with_vmm [kvm-sim options] -- [stub-vmm options] -- command...: the one
# way to start a VMM here.  Under the simulated kernel (sim), a stub VMM
# serves its VM fd on a socket and the command runs against it; the VMM is
# stopped after.  In the command $VMM_SOCKET, $VMM_PID and $VMM_VM_FD (the
# VMM's own VM fd) are set, and the words @SOCKET@, @PID@ and @VMFD@ in its
# arguments stand for them.  With the stub option --exec-fd=N the stub runs
# the command itself, the VM fd inherited as fd N (no socket); with
# --inherit-vm-fd=N the VMM also holds, as fd N, a VM whose creator is gone.
# See tests/helpers/with-vmm.sh.  Both '--' are needed, options or not:
#   run with_vmm --mode=removed -- --irqchip -- "$KVM_ASSIGN" --socket=@SOCKET@ ...
#   run with_vmm -- -- "$KVM_ASSIGN" --socket=@SOCKET@ ...
with_vmm() {
	local simopts=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		simopts+=("$1")
		shift
	done
	if [ $# = 0 ]; then
		echo "with_vmm: no '--' after the kvm-sim options" >&2
		return 125
	fi
	shift
	sim "${simopts[@]}" -- "$TOP_SRCDIR/tests/helpers/with-vmm.sh" "$@"
}

# nobody_copy FILE...: copies of FILEs that uid 65534 (nobody) can read and
# run, for the tests that drop to it: the build and source trees may sit in
# a directory other users cannot enter.  Each copy is $NOBODY_DIR/NAME, in a
# directory of /tmp (not $TMPDIR, which may be private) made on the first
# call, mode 755, and removed by helper_teardown after the test.
nobody_copy() {
	local f
	if [ -z "${NOBODY_DIR:-}" ]; then
		NOBODY_DIR=$(mktemp -d /tmp/kvm-assign-nobody.XXXXXX) || return 1
		chmod 755 "$NOBODY_DIR" || return 1
	fi
	for f in "$@"; do
		cp "$f" "$NOBODY_DIR/" && chmod a+rX "$NOBODY_DIR/${f##*/}" || return 1
	done
}

# helper_teardown: undo what the helpers left outside Bats' own temporary
# directories.  It is the default teardown; a file with a teardown of its
# own calls it from there.
helper_teardown() {
	if [ -n "${NOBODY_DIR:-}" ]; then
		rm -rf "$NOBODY_DIR"
		NOBODY_DIR=
	fi
}
teardown() { helper_teardown; }

# Count the open fds of a process (for leak checks).
fd_count() {
	ls "/proc/$1/fd" | wc -l
}

# kernel_saw [PID]: the legacy ioctls the simulated kernel received (from
# PID only, when given), one "NAME BYTES RESULT" line each, in order.
kernel_saw() {
	grep '^op=ioctl' "$(klog)" | grep -E 'ioctl=KVM_(ASSIGN|DEASSIGN)' |
		{ if [ -n "${1:-}" ]; then grep " pid=$1 "; else cat; fi; } |
		sed -E 's/.* ioctl=([A-Z_]+) .* bytes=([0-9a-f]+) ret=(-1 errno=)?([A-Z0-9]+).*/\1 \2 \4/'
}

# zeros N: N zero bytes in hex
zeros() { printf '%0*d' $(($1 * 2)) 0; }

# kv_field KEY TEXT: the number after KEY= in TEXT (a line of key=value
# counters, as busy-target and target-feeder print them); empty if none.
kv_field() { sed -n "s/.*\\b$1=\\([0-9]*\\).*/\\1/p" <<<"$2"; }

# item NAME: "STATUS VALUE" of the item NAME in $output, a check --json
# object (VALUE empty when null); empty if there is no such item.
item() { jq -r --arg n "$1" '.items[] | select(.name == $n) | "\(.status) \(.value // "")"' <<<"$output"; }

# item_field NAME KEY: the member KEY (message, fix, ...) of the item NAME
# in $output, a check --json object.
item_field() { jq -r --arg n "$1" ".items[] | select(.name == \$n) | .$2" <<<"$output"; }

# no_escape: $output has no ESC, CSI or other C0/C1 control but newline
no_escape() {
	if LC_ALL=C grep -q $'[\x01-\x09\x0b-\x1f\x7f]' <<<"$output" ||
	   printf '%s' "$output" | grep -qaP '\xc2[\x80-\x9f]'; then
		fail "a raw control character reached the terminal: $(printf '%q' "$output")"
	fi
}

# memcheck CMD... - run CMD under valgrind's memcheck: exit 99 on a memory
# error or a definite or indirect leak (libraries' own known leaks are in
# tests/valgrind.supp).
memcheck() {
	valgrind -q --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
		--suppressions="$TOP_SRCDIR/tests/valgrind.supp" --error-exitcode=99 "$@"
}

# fake_host_proc ROOT - the /proc files the in-use scan reads, for a host that
# uses nothing: no route, no IPv6 address, one tmpfs mount, no swap.
fake_host_proc() {
	mkdir -p "$1/proc/net" "$1/proc/self"
	printf 'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n' > "$1/proc/net/route"
	: > "$1/proc/net/if_inet6"
	printf 'Main:\n  +-- 0.0.0.0/0 3 0 5\nLocal:\n  +-- 0.0.0.0/0 3 0 5\n' > "$1/proc/net/fib_trie"
	echo '22 1 0:21 / / rw,relatime shared:1 - tmpfs tmpfs rw' > "$1/proc/self/mountinfo"
	printf 'Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n' > "$1/proc/swaps"
}
