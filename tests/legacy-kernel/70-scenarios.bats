#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# 70-scenarios.bats - every scenario in tests/scenarios/ on a real Linux with
# legacy assignment (inside the guest tests/legacy-kernel*.sh boot, on each
# kernel line): the oracle the simulated kernel is held to by tests/70-scenarios.bats.

bats_require_minimum_version 1.5.0
load legacy
load ../scenarios/scenario

# The e1000e must be on pci-stub (a host driver would hold its regions: EBUSY).
setup() {
	lk_bind pci-stub
}

# The kernel line, for the LINE:RESULT expectations (tests/scenarios/README).
SCENARIO_KERNEL=$(uname -r | cut -d. -f1,2)
export SCENARIO_KERNEL

@test "every scenario file has its test here" {
	scenario_all_listed
}

@test "01-assign-deassign" {
	scenario 01-assign-deassign
}

@test "02-eexist-by-id" {
	scenario 02-eexist-by-id
}

@test "03-ebusy-second-id" {
	scenario 03-ebusy-second-id
}

@test "04-ebusy-second-vm" {
	scenario 04-ebusy-second-vm
}

@test "05-ebusy-close-releases" {
	scenario 05-ebusy-close-releases
}

@test "06-eperm-bridge" {
	scenario 06-eperm-bridge
}

@test "07-eperm-no-bars" {
	scenario 07-eperm-no-bars
}

@test "08-einval-no-iommu-flag" {
	scenario 08-einval-no-iommu-flag
}

@test "09-einval-no-device" {
	scenario 09-einval-no-device
}

@test "10-deassign" {
	scenario 10-deassign
}

@test "11-irq-no-irqchip" {
	scenario 11-irq-no-irqchip
}

@test "12-irq-unknown-id" {
	scenario 12-irq-unknown-id
}

@test "13-irq-bad-flags" {
	scenario 13-irq-bad-flags
}

@test "14-intx-without-pci23" {
	scenario 14-intx-without-pci23
}

@test "15-intx-with-pci23" {
	scenario 15-intx-with-pci23
}

@test "16-eexist-halves" {
	scenario 16-eexist-halves
}

@test "17-no-rollback" {
	scenario 17-no-rollback
}

@test "18-msi" {
	scenario 18-msi
}

@test "19-msix" {
	scenario 19-msix
}

@test "20-msix-before-count" {
	scenario 20-msix-before-count
}

@test "21-msix-nr-twice" {
	scenario 21-msix-nr-twice
}

@test "22-msix-reset-on-host-removal" {
	scenario 22-msix-reset-on-host-removal
}

@test "23-msix-count-above-table" {
	scenario 23-msix-count-above-table
}

@test "24-msix-count-zero" {
	scenario 24-msix-count-zero
}

@test "25-msix-count-257" {
	scenario 25-msix-count-257
}

@test "26-msix-entry-before-count" {
	scenario 26-msix-entry-before-count
}

@test "27-msix-entry-gsi0-lost" {
	scenario 27-msix-entry-gsi0-lost
}

@test "28-msix-entry-same-entry" {
	scenario 28-msix-entry-same-entry
}

@test "29-msix-entry-beyond-table" {
	scenario 29-msix-entry-beyond-table
}

@test "30-msix-unset-slots" {
	scenario 30-msix-unset-slots
}

@test "31-deassign-irq" {
	scenario 31-deassign-irq
}

@test "32-intx-mask" {
	scenario 32-intx-mask
}

@test "33-efault" {
	scenario 33-efault
}

@test "34-ids-per-vm" {
	scenario 34-ids-per-vm
}

@test "35-deassign-frees-state" {
	scenario 35-deassign-frees-state
}

@test "36-close-with-irqs" {
	scenario 36-close-with-irqs
}

