#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# 10-vmfd.bats - kvm-assign against the real KVM: its own probe, and VM fds
# handed over by a VMM (inherited or over a socket) that only their creator may use.

load helper

# Start stub-vmm serving a real VM on a socket; sets SOCK and VMM_PID.
start_vmm() {
	SOCK=$BATS_TEST_TMPDIR/vmm.sock
	"$STUB_VMM" --socket="$SOCK" "$@" >"$BATS_TEST_TMPDIR/vmm.out" 2>&1 &
	VMM_PID=$!
	rk_wait_for "$VMM_PID" grep -q '^ready ' "$BATS_TEST_TMPDIR/vmm.out" || {
		cat "$BATS_TEST_TMPDIR/vmm.out"
		return 1
	}
}

setup() {
	rk_need "$KVM_ASSIGN" "$STUB_VMM"
}

teardown() {
	[ -z "${VMM_PID:-}" ] || kill "$VMM_PID" 2>/dev/null || true
}

@test "check: this kernel lacks legacy device assignment (exit 3)" {
	run "$KVM_ASSIGN" check
	assert_equal "$status" 3
	assert_output --partial 'kernel lacks support'
}

@test "--fd: an inherited VM fd answers EIO, then the probe says unsupported" {
	run "$STUB_VMM" --exec-fd=5 -- "$KVM_ASSIGN" --fd=5 --json assign "$RK_DEVICE"
	assert_equal "$status" 3
	assert_output --regexp '"errno": *"EIO"'
	assert_output --partial 'kernel lacks support'
}

@test "--socket: a real VM fd is accepted; EIO here, then ENOTTY inside the VMM" {
	start_vmm
	run "$KVM_ASSIGN" --socket="$SOCK" --json assign "$RK_DEVICE"
	assert_equal "$status" 3
	refute_output --partial 'not a KVM VM fd'
	assert_output --regexp '"errno": *"EIO"'
	assert_output --regexp '"errno": *"ENOTTY"'
	assert_output --partial 'kernel lacks support'
}

@test "--socket --via=self: EIO, and the probe of a VM of our own says unsupported" {
	start_vmm
	run "$KVM_ASSIGN" --socket="$SOCK" --via=self --json assign "$RK_DEVICE"
	assert_equal "$status" 3
	assert_output --regexp '"errno": *"EIO"'
	assert_output --regexp '"creator_check": *"EIO"'
	assert_output --regexp '"probe": *\{"result": *"unsupported"'
	assert_output --partial 'kernel lacks support'
}

@test "--socket: a real /dev/kvm fd is refused, naming it (exit 6)" {
	start_vmm --send=sysfd
	run "$KVM_ASSIGN" --socket="$SOCK" assign "$RK_DEVICE"
	assert_equal "$status" 6
	assert_output --partial '/dev/kvm'
}

@test "--socket: a real vcpu fd is refused, naming it (exit 6)" {
	start_vmm --send=vcpu
	run "$KVM_ASSIGN" --socket="$SOCK" assign "$RK_DEVICE"
	assert_equal "$status" 6
	assert_output --partial 'anon_inode:kvm-vcpu'
}
