#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# 50-check.bats - check on a real kernel (QEMU's default machine, no IOMMU):
# the IOMMU items FAIL with the right fix, and the emulated device's interrupt
# facts agree with what lspci -vv reads from the same hardware.

load helper

setup() {
	rk_need "$KVM_ASSIGN"
}

# item NAME: "status value" of one item in $output (check --json)
item() { jq -r --arg n "$1" '.items[] | select(.name == $n) | "\(.status) \(.value // "")"' <<<"$output"; }
field() { jq -r --arg n "$1" ".items[] | select(.name == \$n) | .$2" <<<"$output"; }

@test "check: this 4.12+ kernel lacks legacy assignment (exit 3), the probe says ENOTTY" {
	run "$KVM_ASSIGN" --json check
	assert_equal "$status" 3
	assert_equal "$(item dev_kvm)" "ok ok"
	assert_equal "$(item api_version)" "ok 12"
	assert_equal "$(item legacy_ioctls)" "fail unsupported"
	run jq -r '.verdict.legacy' <<<"$output"
	assert_output no
}

@test "check: no IOMMU on the default machine: the IOMMU items FAIL with the firmware and boot fix" {
	run "$KVM_ASSIGN" --json check
	assert_equal "$status" 3
	assert_equal "$(item acpi_table)" "fail "
	assert_equal "$(field acpi_table fix)" "enable VT-d (Intel) or AMD-Vi/IOMMU in the firmware setup"
	[[ $(item class_iommu) == fail* ]] || fail "class_iommu: $(item class_iommu)"
	[[ $(item iommu_groups) == fail* ]] || fail "iommu_groups: $(item iommu_groups)"
	[[ $(field iommu_groups fix) == *intel_iommu=on* ]] || fail "$(field iommu_groups fix)"
	run jq -r '.verdict.vfio' <<<"$output"
	assert_output no
}

@test "check DEVICE: the emulated device's interrupt facts equal lspci -vv's" {
	local out pin msi msix ctl st
	out=$(lspci -vv -s "$RK_DEVICE" 2>/dev/null)
	pin=$(sed -n 's/^\tInterrupt: pin \(.\) routed.*/\1/p' <<<"$out")
	msi=$(sed -n 's/.*MSI: Enable[-+] Count=\([0-9]*\/[0-9]*\) .*/\1/p' <<<"$out")
	msix=$(sed -n 's/.*MSI-X: Enable[-+] Count=\([0-9]*\) .*/\1/p' <<<"$out")
	ctl=$(sed -n 's/^\tControl:.* \(DisINTx[-+]\).*/\1/p' <<<"$out")
	st=$(sed -n 's/^\tStatus:.* \(INTx[-+]\)$/\1/p' <<<"$out")
	[ -n "$pin" ] || pin=none
	run "$KVM_ASSIGN" --json check "$RK_DEVICE"
	assert_equal "$status" 3
	got=$(jq -r '[.items[] | select(.name == "intx_pin" or .name == "msi" or .name == "msix" or .name == "intx_mask") | .value] | join(" ")' <<<"$output")
	assert_equal "$got" "$pin ${msi:-none} ${msix:-none} $ctl $st"
	assert_equal "$(item present)" "ok $(lspci -n -s "$RK_DEVICE" | awk '{print $3}')"
	[[ $(item driver) == fail* || $(item driver) == "ok "* ]] || fail "driver: $(item driver)"
}
