#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# 10-noiommu.bats - q35 without any IOMMU: the kernel has legacy assignment
# but answers ENODEV to every assign (exit 1, "no IOMMU"), and check says
# not ready (exit 9).

load ../legacy

setup() {
	rk_need "$KVM_ASSIGN" "$STUB_VMM"
	lk_bind pci-stub
}

teardown() {
	lk_stop_all
}

@test "the machine: no DMAR table, no IOMMU groups" {
	[ ! -e /sys/firmware/acpi/tables/DMAR ]
	run ls /sys/kernel/iommu_groups
	assert_output ""
}

@test "assign: ENODEV from the kernel, in QEMU and in the stub; dmesg says 'iommu not found' (exit 1)" {
	lk_start_stub stub --irqchip
	lk_start_qemu
	for m in qemu stub; do
		lk_dmesg_mark
		refused $m 1 KVM_ASSIGN_PCI_DEVICE ENODEV assign "$RK_DEVICE"
		assert_output --partial "no IOMMU"
		run lk_dmesg_since
		assert_output --partial "iommu not found"
	done
	lk_released
}

@test "check and check DEVICE: no IOMMU: not ready (exit 9)" {
	for dev in "" "$RK_DEVICE"; do
		run "$KVM_ASSIGN" --json check $dev
		assert_failure 9
		assert_equal "$(verdict)" "no 9"
		assert_equal "$(item legacy_ioctls)" "ok supported"
		[[ $(item iommu_groups) == fail* ]] || fail "iommu_groups: $(item iommu_groups)"
	done
}
