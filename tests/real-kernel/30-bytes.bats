#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# 30-bytes.bats - the --dry-run argument bytes on the real machine are the
# literal ones the simulated suite expects: the same binary, the same ABI.

load helper

setup() {
	rk_need "$KVM_ASSIGN"
}

# The hex bytes of a --dry-run dump: offsets ("0000:") and spaces dropped.
dump_hex() {
	"$KVM_ASSIGN" --dry-run "$@" |
		sed -E 's/^[[:space:]]*[0-9a-fA-F]+:[[:space:]]//' |
		tr -d ' \t\n' | tr 'A-F' 'a-f'
}

zeros() { printf '%0*d' $(($1 * 2)) 0; }

@test "assign 0000:00:03.0: kvm_assigned_pci_dev, id 0x18, devfn 0x18, ENABLE_IOMMU" {
	run dump_hex assign 0000:00:03.0
	assert_success
	# assigned_dev_id, busnr, devfn, flags, segnr, reserved[11]
	assert_output --partial "18000000""00000000""18000000""01000000""00000000$(zeros 44)"
}

@test "msix 0000:00:03.0 --count=2: kvm_assigned_msix_nr, id 0x18, 2 entries" {
	run dump_hex msix 0000:00:03.0 --count=2
	assert_success
	# assigned_dev_id, entry_nr (u16), padding (u16)
	assert_output --partial "18000000""0200""0000"
}
