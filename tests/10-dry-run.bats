#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# 10-dry-run.bats - the exact argument bytes of every ioctl, per docs/kernel.md
# §5, as --dry-run prints them and --json reports them (parsed by jq).

load test_helper


dry() { run "$KVM_ASSIGN" "${PCI_DUMP[@]}" --dry-run "$@"; }

@test "assign: KVM_ASSIGN_PCI_DEVICE 0x8040ae69, id from QEMU's formula, IOMMU flag always set" {
	dry assign 0000:03:00.0
	assert_success
	assert_output "KVM_ASSIGN_PCI_DEVICE 0x8040ae69 assigned_dev_id=0x300 busnr=0x3 devfn=0x0 flags=0x1 segnr=0x0 bytes=00030000030000000000000001000000$(zeros 48)"
}

@test "assign: domain, --share-intx and --mask-intx land in segnr and flags" {
	dry assign 0001:02:00.0 --share-intx --mask-intx
	assert_success
	assert_output "KVM_ASSIGN_PCI_DEVICE 0x8040ae69 assigned_dev_id=0x10200 busnr=0x2 devfn=0x0 flags=0x7 segnr=0x1 bytes=0002010002000000000000000700000001000000$(zeros 44)"
}

@test "assign: --id overrides the formula; devfn packs slot and function" {
	dry assign 03:00.1 --id=0x12345678
	assert_success
	assert_output --partial "assigned_dev_id=0x12345678 busnr=0x3 devfn=0x1 flags=0x1 segnr=0x0 bytes=7856341203000000010000000100000000000000$(zeros 44)"
}

@test "assign: a sysfs path names the same device as its address" {
	dry assign /sys/bus/pci/devices/0000:03:00.0/
	assert_success
	assert_output --partial "assigned_dev_id=0x300 busnr=0x3 devfn=0x0"
}

@test "deassign: KVM_DEASSIGN_PCI_DEVICE 0x4040ae72 sends only the id, by --id or by address" {
	dry deassign --id=0x300
	assert_success
	assert_output "KVM_DEASSIGN_PCI_DEVICE 0x4040ae72 assigned_dev_id=0x300 busnr=0x0 devfn=0x0 flags=0x0 segnr=0x0 bytes=00030000$(zeros 60)"
	by_id=$output
	dry deassign 03:00.0
	assert_success
	assert_output "$by_id"
}

@test "deassign by address needs no device present (hot-unplugged)" {
	dry deassign 0000:0a:1f.7
	assert_success
	assert_output --partial "assigned_dev_id=0xaff busnr=0x0 devfn=0x0"
	assert_output --partial " bytes=ff0a0000$(zeros 60)"
}

@test "irq: KVM_ASSIGN_DEV_IRQ 0x4040ae70, host and guest flags, guest_irq" {
	dry irq --id=0x300 --host=intx --guest=intx --guest-irq=10
	assert_success
	assert_output "KVM_ASSIGN_DEV_IRQ 0x4040ae70 assigned_dev_id=0x300 host_irq=0 guest_irq=10 flags=0x101 bytes=00030000000000000a00000001010000$(zeros 48)"
}

@test "irq: every host and guest type maps to its flag bit" {
	for pair in "intx 0x1" "msi 0x2" "msix 0x4"; do
		set -- $pair
		dry irq --id=1 --host=$1
		assert_success
		assert_output --partial "flags=$2 "
	done
	for pair in "intx 0x100" "msi 0x200" "msix 0x400"; do
		set -- $pair
		dry irq --id=1 --guest=$1 --guest-irq=5
		assert_success
		assert_output --partial "flags=$2 "
	done
	dry irq --id=1 --host=msi --guest=msix
	assert_output --partial "guest_irq=0 flags=0x402 "
}

@test "irq --remove: KVM_DEASSIGN_DEV_IRQ 0x4040ae75 with the chosen halves" {
	dry irq --remove 03:00.0 --host=msi --guest=msi
	assert_success
	assert_output "KVM_DEASSIGN_DEV_IRQ 0x4040ae75 assigned_dev_id=0x300 host_irq=0 guest_irq=0 flags=0x202 bytes=000300000000000000000000020200000$(zeros 47)0"
}

@test "msix: SET_MSIX_NR 0x4008ae73 then one SET_MSIX_ENTRY 0x4010ae74 per pair, in order" {
	dry msix 03:00.0 --count=2 1:47 0:40
	assert_success
	assert_line --index 0 "KVM_ASSIGN_SET_MSIX_NR 0x4008ae73 assigned_dev_id=0x300 entry_nr=2 bytes=0003000002000000"
	assert_line --index 1 "KVM_ASSIGN_SET_MSIX_ENTRY 0x4010ae74 assigned_dev_id=0x300 gsi=47 entry=1 bytes=000300002f0000000100000000000000"
	assert_line --index 2 "KVM_ASSIGN_SET_MSIX_ENTRY 0x4010ae74 assigned_dev_id=0x300 gsi=40 entry=0 bytes=00030000280000000000000000000000"
	assert_equal "${#lines[@]}" 3
}

@test "msix: 256 entries, the kernel's maximum, make 257 ioctls" {
	pairs=()
	for ((i = 0; i < 256; i++)); do pairs+=("$i:$((i + 100))"); done
	dry msix --id=5 --count=256 "${pairs[@]}"
	assert_success
	assert_equal "${#lines[@]}" 257
	assert_line --index 0 --partial "entry_nr=256 bytes=0500000000010000"
	assert_line --index 256 --partial "gsi=355 entry=255 bytes=0500000063010000ff00000000000000"
}

@test "intx-mask: KVM_ASSIGN_SET_INTX_MASK 0x4040aea4 with MASK_INTX for on, 0 for off" {
	dry intx-mask --id=0x300 on
	assert_success
	assert_output "KVM_ASSIGN_SET_INTX_MASK 0x4040aea4 assigned_dev_id=0x300 busnr=0x0 devfn=0x0 flags=0x4 segnr=0x0 bytes=000300000000000000000000040000000$(zeros 47)0"
	dry intx-mask 03:00.0 off
	assert_success
	assert_output --partial "flags=0x0 segnr=0x0 bytes=00030000$(zeros 60)"
}

@test "--json --dry-run: one object per ioctl that jq reads, with every field and the bytes" {
	dry --json msix 03:00.0 --count=2 0:40 1:41
	assert_success
	assert_equal "${#lines[@]}" 3
	run jq -r '[.operation, .ioctl, .request, .request_hex, .result, .bytes] | @tsv' <<<"$output"
	assert_success
	assert_line --index 0 "$(printf 'msix\tKVM_ASSIGN_SET_MSIX_NR\t1074310771\t0x4008ae73\tdry-run\t0003000002000000')"
	assert_line --index 2 "$(printf 'msix\tKVM_ASSIGN_SET_MSIX_ENTRY\t1074835060\t0x4010ae74\tdry-run\t00030000290000000100000000000000')"
	dry --json assign 0001:02:00.0 --share-intx
	run jq -c '.fields' <<<"$output"
	assert_output '{"assigned_dev_id":66048,"busnr":2,"devfn":0,"flags":3,"segnr":1}'
}

@test "--dry-run needs no VM fd and issues nothing, even under a kernel" {
	run sim -- "$KVM_ASSIGN" "${PCI_DUMP[@]}" --dry-run assign 03:00.0
	assert_success
	# Not even /dev/kvm is opened: the log stays empty.
	[ ! -s "$(klog)" ] || fail "the kernel saw: $(cat "$(klog)")"
}
