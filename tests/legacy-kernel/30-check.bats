#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# 30-check.bats - check on a kernel that has legacy assignment, with an IOMMU
# and interrupt remapping: the host can do it (exit 0), and so can the device
# once on pci-stub; bound to e1000e it cannot yet (exit 9). The same verdicts
# on 3.10.105 (no /sys/class/iommu there), 4.1.15 and 4.9.229.

load legacy

setup() {
	rk_need "$KVM_ASSIGN"
	lk_bind pci-stub
}

teardown() {
	lk_bind pci-stub
}

@test "check: the probe finds the ioctls, IOMMU and remapping pass: 'can work' (exit 0)" {
	run "$KVM_ASSIGN" check
	assert_success
	assert_line "verdict: legacy assignment can work here"
	run "$KVM_ASSIGN" --json check
	assert_success
	assert_equal "$(verdict)" "yes 0"
	assert_equal "$(item legacy_ioctls)" "ok supported"
	assert_equal "$(item cap_iommu)" "ok 1"
	assert_equal "$(item interrupt_remapping)" "ok on"
	assert_equal "$(item allow_unsafe_interrupts)" "ok N"
	[[ $(item class_iommu) == ok* ]] || fail "class_iommu: $(item class_iommu)"
	# Before 3.17 no /sys/class/iommu: the groups stand for it.
	[ -e /sys/class/iommu ] || assert_equal "$(item class_iommu)" "ok absent"
	[ ! -e /sys/class/iommu ] || [[ $(item class_iommu) == "ok " ]] || fail "class_iommu: $(item class_iommu)"
}

@test "check DEVICE on pci-stub: can work (exit 0), and assign then really works" {
	run "$KVM_ASSIGN" --json check "$RK_DEVICE"
	assert_success
	assert_equal "$(verdict)" "yes 0"
	assert_equal "$(item driver)" "ok pci-stub"
	assert_equal "$(item msix)" "ok 5"
	run "$KVM_ASSIGN" check "$RK_DEVICE"
	assert_success
	assert_line "verdict: legacy assignment can work here for $RK_DEVICE"
	# The verdict holds: the kernel gives the device to a VM. Raw ioctls from
	# the VM's creator (tests/helpers/scenario-run), so that the proof needs
	# no ptrace (kvm-assign's own assign is 10-assign.bats's).
	printf '%s\n' 'KVM_CREATE_VM A => 0' \
		"KVM_ASSIGN_PCI_DEVICE A id=0x18 addr=$RK_DEVICE flags=ENABLE_IOMMU => 0" \
		'KVM_DEASSIGN_PCI_DEVICE A id=0x18 => 0' >"$BATS_TEST_TMPDIR/take.scn"
	run "$TOP_BUILDDIR/tests/helpers/scenario-run" "$BATS_TEST_TMPDIR/take.scn"
	assert_success
}

@test "check DEVICE bound to e1000e: the driver item FAILs (exit 9)" {
	lk_bind e1000e
	run "$KVM_ASSIGN" --json check "$RK_DEVICE"
	assert_failure 9
	assert_equal "$(verdict)" "no 9"
	assert_equal "$(item driver)" "fail e1000e"
}
