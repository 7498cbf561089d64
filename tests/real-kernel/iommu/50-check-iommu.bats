#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# 50-check-iommu.bats - check on a real kernel with an IOMMU (QEMU q35 with
# intel-iommu, intremap=on, intel_iommu=on): the IOMMU items pass, groups exist.

load ../helper

setup() {
	rk_need "$KVM_ASSIGN"
}

# item NAME: "status value" of one item in $output (check --json)
item() { jq -r --arg n "$1" '.items[] | select(.name == $n) | "\(.status) \(.value // "")"' <<<"$output"; }

@test "the guest really has an IOMMU with interrupt remapping" {
	[ -e /sys/firmware/acpi/tables/DMAR ]
	run ls /sys/class/iommu
	assert_output --partial dmar
	run grep -c 'IR-' /proc/interrupts
	[ "$output" -gt 0 ]
}

@test "check: the IOMMU items pass: DMAR table, an active IOMMU, populated groups, interrupt remapping" {
	run "$KVM_ASSIGN" --json check
	# Still a 4.12+ kernel: legacy assignment is gone whatever the IOMMU says.
	assert_equal "$status" 3
	[[ $(item acpi_table) == "ok DMAR"* ]] || fail "acpi_table: $(item acpi_table)"
	[[ $(item class_iommu) == ok* ]] || fail "class_iommu: $(item class_iommu)"
	[[ $(item iommu_groups) == ok* ]] || fail "iommu_groups: $(item iommu_groups)"
	[[ $(item cmdline) == ok* ]] || fail "cmdline: $(item cmdline)"
	[[ $(item interrupt_remapping) == ok* ]] || fail "interrupt_remapping: $(item interrupt_remapping)"
	json=$output
	run jq -r '.verdict.legacy' <<<"$json"
	assert_output no
	# With an IOMMU, VFIO is the way forward (yes, or after loading vfio-pci).
	run jq -r '.verdict.vfio' <<<"$json"
	assert_output --regexp '^(yes|after-modprobe)$'
}

@test "check DEVICE: the emulated device has an IOMMU group, the one sysfs shows" {
	group=$(basename "$(readlink "/sys/bus/pci/devices/$RK_DEVICE/iommu_group")")
	[ -n "$group" ]
	run "$KVM_ASSIGN" --json check "$RK_DEVICE"
	assert_equal "$status" 3
	[[ $(item iommu_group) == "ok $group"* ]] || fail "iommu_group: $(item iommu_group) (sysfs: $group)"
}
