#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# 10-nointremap.bats - an Intel IOMMU without interrupt remapping, and the kvm
# option allow_unsafe_assigned_interrupts off: the kernel refuses every
# assignment with EPERM (exit 1: refused, not a permission of the caller),
# and check says not ready (exit 9).

load ../legacy

setup() {
	rk_need "$KVM_ASSIGN" "$STUB_VMM"
	lk_bind pci-stub
}

teardown() {
	lk_stop_all
}

@test "the machine: an IOMMU, no remapped interrupts, the unsafe option off" {
	[ -e /sys/firmware/acpi/tables/DMAR ]
	run grep -c ' IR-' /proc/interrupts
	assert_output 0
	assert_equal "$(cat /sys/module/kvm/parameters/allow_unsafe_assigned_interrupts)" N
}

@test "assign: EPERM from the kernel, in QEMU and in the stub, and dmesg names the option (exit 1)" {
	lk_start_stub stub --irqchip
	lk_start_qemu
	for m in qemu stub; do
		lk_dmesg_mark
		refused $m 1 KVM_ASSIGN_PCI_DEVICE EPERM assign "$RK_DEVICE"
		assert_output --partial "interrupt remapping"
		run lk_dmesg_since
		assert_output --partial "No interrupt remapping support, disallowing device assignment"
	done
	lk_released
}

@test "check and check DEVICE: remapping off, the option not set: not ready (exit 9)" {
	for dev in "" "$RK_DEVICE"; do
		run "$KVM_ASSIGN" --json check $dev
		assert_failure 9
		assert_equal "$(verdict)" "no 9"
		assert_equal "$(item legacy_ioctls)" "ok supported"
		assert_equal "$(item allow_unsafe_interrupts)" "fail N"
		[[ $(item interrupt_remapping) != ok* ]] || fail "interrupt_remapping: $(item interrupt_remapping)"
	done
}
