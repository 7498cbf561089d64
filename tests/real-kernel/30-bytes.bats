#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# 30-bytes.bats - on the real machine --dry-run prints the very bytes the
# simulated suite (tests/10-dry-run.bats) expects: the same binary, the same ABI.

load helper

setup() {
	rk_need "$KVM_ASSIGN"
}

# zeros N: N zero bytes in hex
zeros() { printf '%0*d' $(($1 * 2)) 0; }

dry() { run "$KVM_ASSIGN" --dry-run "$@"; }

@test "assign of the real 00:03.0: id 0x18, devfn 0x18, IOMMU flag" {
	dry assign "$RK_DEVICE"
	assert_success
	assert_output "KVM_ASSIGN_PCI_DEVICE 0x8040ae69 assigned_dev_id=0x18 busnr=0x0 devfn=0x18 flags=0x1 segnr=0x0 bytes=180000000000000018000000010000000000000000000000$(zeros 40)"
}

# The rest name no device: byte for byte the lines of tests/10-dry-run.bats.
@test "deassign --id=0x300 as in the simulated suite" {
	dry deassign --id=0x300
	assert_success
	assert_output "KVM_DEASSIGN_PCI_DEVICE 0x4040ae72 assigned_dev_id=0x300 busnr=0x0 devfn=0x0 flags=0x0 segnr=0x0 bytes=00030000$(zeros 60)"
}

@test "irq --host=intx --guest=intx as in the simulated suite" {
	dry irq --id=0x300 --host=intx --guest=intx --guest-irq=10
	assert_success
	assert_output "KVM_ASSIGN_DEV_IRQ 0x4040ae70 assigned_dev_id=0x300 host_irq=0 guest_irq=10 flags=0x101 bytes=00030000000000000a00000001010000$(zeros 48)"
}

@test "msix of the real 00:03.0: SET_MSIX_NR then SET_MSIX_ENTRY, in order" {
	dry msix "$RK_DEVICE" --count=2 1:47 0:40
	assert_success
	assert_line --index 0 "KVM_ASSIGN_SET_MSIX_NR 0x4008ae73 assigned_dev_id=0x18 entry_nr=2 bytes=1800000002000000"
	assert_line --index 1 "KVM_ASSIGN_SET_MSIX_ENTRY 0x4010ae74 assigned_dev_id=0x18 gsi=47 entry=1 bytes=180000002f0000000100000000000000"
	assert_line --index 2 "KVM_ASSIGN_SET_MSIX_ENTRY 0x4010ae74 assigned_dev_id=0x18 gsi=40 entry=0 bytes=18000000280000000000000000000000"
	assert_equal "${#lines[@]}" 3
}

@test "intx-mask --id=0x300 on as in the simulated suite" {
	dry intx-mask --id=0x300 on
	assert_success
	assert_output "KVM_ASSIGN_SET_INTX_MASK 0x4040aea4 assigned_dev_id=0x300 busnr=0x0 devfn=0x0 flags=0x4 segnr=0x0 bytes=00030000000000000000000004000000$(zeros 48)"
}
