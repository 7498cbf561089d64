#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# 20-device.bats - kvm-assign's libpci lookups on the guest's real (emulated)
# PCI devices, checked against what lspci reads from the same hardware.

load helper

setup() {
	rk_need "$KVM_ASSIGN"
}

@test "a present device resolves to its bus and devfn" {
	run "$KVM_ASSIGN" --dry-run assign "$RK_DEVICE"
	assert_success
	assert_output --partial 'busnr'
	# 00:03.0 is devfn 3 << 3 = 0x18
	assert_output --regexp 'devfn[^0-9a-fx]*(0x0*18|24)([^0-9a-fx]|$)'
}

@test "an absent device is refused (exit 5)" {
	run lspci -s "$RK_ABSENT"
	assert_output ''
	run "$KVM_ASSIGN" --dry-run assign "$RK_ABSENT"
	assert_equal "$status" 5
}

# pairs N: the entry:gsi pairs for N MSI-X entries (entry i to gsi 100+i)
pairs() { local i; for ((i = 0; i < $1; i++)); do echo "$i:$((100 + i))"; done; }

@test "the MSI-X table size read through libpci matches lspci" {
	local n
	n=$(rk_msix_count "$RK_DEVICE")
	[ "$n" -gt 0 ]
	run "$KVM_ASSIGN" --dry-run msix "$RK_DEVICE" --count="$n" $(pairs "$n")
	assert_success
	assert_line --index 0 --partial "entry_nr=$n "
	run "$KVM_ASSIGN" --dry-run msix "$RK_DEVICE" --count=$((n + 1)) $(pairs $((n + 1)))
	assert_equal "$status" 2
	assert_output --partial "has only $n MSI-X table entries"
}
