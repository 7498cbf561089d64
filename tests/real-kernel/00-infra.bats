#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# 00-infra.bats - the guest itself: real /dev/kvm, nested QEMU, the shared
# trees and the emulated PCI device; these hold whatever state the tool is in.

load helper

@test "/dev/kvm is a character device of the kvm module" {
	[ -c /dev/kvm ]
	grep -q '^kvm_amd ' /proc/modules
}

@test "the build tree is mounted over 9p at its host path" {
	run awk -v d="$TOP_BUILDDIR" '$2 == d && $3 == "9p"' /proc/mounts
	assert_success
	assert_output --partial ' 9p '
}

# Each first VM and last close flips a jump label every context switch runs;
# under multi-threaded TCG (-smp 2) this locked a vCPU up within seconds
# (soft lockup at finish_task_switch+0x9f), hence the harness's -smp 1.
@test "the guest stays up while VMs are created and closed for 15 s amid context switches" {
	run "$TOP_BUILDDIR/tests/helpers/kvm-ioctl" --churn=15000
	assert_success
	assert_output --regexp '^churn vms=[0-9]+$'
	echo "# $output" >&3
	[ "${output#churn vms=}" -ge 100 ] || fail "only ${output#churn vms=} VMs in 15 s"
}

teardown() {
	rk_stop_qemu
}

@test "a real QEMU runs on /dev/kvm and its VM fd is anon_inode:kvm-vm" {
	rk_start_qemu
	run ls -l "/proc/$QEMU_PID/fd"
	assert_output --partial 'anon_inode:kvm-vm'
	assert_output --partial 'anon_inode:kvm-vcpu:0'
}

@test "lspci sees the emulated e1000e with MSI-X" {
	run lspci -nn -s "$RK_DEVICE"
	assert_success
	assert_output --partial '[8086:10d3]'
	run rk_msix_count "$RK_DEVICE"
	assert_output 5
}
