# SPDX-License-Identifier: GPL-2.0-or-later
# test_helper.bash - loaded by every Bats file: bats-support/bats-assert,
# the paths of the programs under test, and helpers for the simulated kernel.

: "${BATS_LIB_PATH:=/usr/lib/bats}"
load "$BATS_LIB_PATH/bats-support/load"
load "$BATS_LIB_PATH/bats-assert/load"

# Fail loudly, never skip, when a prerequisite is missing.
for _v in KVM_ASSIGN KVM_SIM STUB_VMM TOP_SRCDIR; do
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

# A stub VMM under the simulated kernel, serving its VM fd on a socket, and
# a command run against it: with_vmm [stub options] -- command...
with_vmm() {
	"$TOP_SRCDIR/tests/helpers/with-vmm.sh" "$@"
}

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
