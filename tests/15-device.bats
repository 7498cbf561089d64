#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# 15-device.bats - device lookup through the real libpci: the fixture dump
# (-A dump) and a fake sysfs tree made from it (-O sysfs.path=), lspci the oracle.

load test_helper

# pairs N: the N entry:gsi pairs 0:100 1:101 ...
pairs() { local i; for ((i = 0; i < $1; i++)); do printf '%d:%d ' $i $((100 + i)); done; }

setup() {
	SYSFS="$BATS_TEST_TMPDIR/sysfs"
	sysfs_from_dump "$SYSFS"
	PCI_SYSFS=(-A linux-sysfs -O "sysfs.path=$SYSFS")
}

@test "the fake sysfs tree holds the dump's config spaces" {
	[ -f "$SYSFS/devices/0000:03:00.0/config" ]
	run stat -c %s "$SYSFS/devices/0000:03:00.0/config"
	assert_output 256
}

@test "a present device is found through the dump and through sysfs" {
	for access in PCI_DUMP PCI_SYSFS; do
		declare -n a=$access
		run "$KVM_ASSIGN" "${a[@]}" --dry-run assign 0000:03:00.0
		assert_success
		assert_output --partial "busnr=0x3 devfn=0x0"
	done
}

@test "an absent device: exit 5, one line naming the address, through both methods" {
	for access in PCI_DUMP PCI_SYSFS; do
		declare -n a=$access
		run "$KVM_ASSIGN" "${a[@]}" --dry-run assign 0000:04:00.0
		assert_failure 5
		assert_output "kvm-assign: device 0000:04:00.0: not found: check the address with lspci"
	done
}

@test "a missing dump file is a libpci error, exit 5, naming the file" {
	run "$KVM_ASSIGN" -A dump -O dump.name=/nonexistent/dump --dry-run assign 03:00.0
	assert_failure 5
	assert_output --partial "/nonexistent/dump"
}

@test "msix: --count up to the device's MSI-X table size (8) passes, one more is refused" {
	for access in PCI_DUMP PCI_SYSFS; do
		declare -n a=$access
		run "$KVM_ASSIGN" "${a[@]}" --dry-run msix 03:00.0 --count=8 $(pairs 8)
		assert_success
		run "$KVM_ASSIGN" "${a[@]}" --dry-run msix 03:00.0 --count=9 $(pairs 9)
		assert_failure 2
		assert_line --index 0 "kvm-assign: --count=9: device 0000:03:00.0 has only 8 MSI-X table entries"
	done
}

@test "msix: a 64-entry table in domain 1" {
	run "$KVM_ASSIGN" "${PCI_SYSFS[@]}" --dry-run msix 0001:02:00.0 --count=64 $(pairs 64)
	assert_success
	run "$KVM_ASSIGN" "${PCI_SYSFS[@]}" --dry-run msix 0001:02:00.0 --count=65 $(pairs 65)
	assert_failure 2
	assert_output --partial "has only 64 MSI-X table entries"
}

@test "msix: a device without MSI-X is refused; an absent one is not checked" {
	run "$KVM_ASSIGN" "${PCI_DUMP[@]}" --dry-run msix 03:00.1 --count=1 0:1
	assert_failure 2
	assert_line --index 0 "kvm-assign: device 0000:03:00.1 has no MSI-X capability"
	run "$KVM_ASSIGN" "${PCI_DUMP[@]}" --dry-run msix 0b:00.0 --count=200 $(pairs 200)
	assert_success
}

@test "the MSI-X table size the tool enforces equals lspci's Count for every device in the dump" {
	while read -r addr; do
		count=$(lspci -F "$DUMP" -vv -s "$addr" | sed -n 's/.*MSI-X: Enable[-+] Count=\([0-9]*\).*/\1/p')
		if [ -z "$count" ]; then
			run "$KVM_ASSIGN" "${PCI_DUMP[@]}" --dry-run msix "$addr" --count=1 0:1
			assert_failure 2
			assert_output --partial "no MSI-X capability"
			continue
		fi
		run "$KVM_ASSIGN" "${PCI_DUMP[@]}" --dry-run msix "$addr" --count="$count" $(pairs $count)
		assert_success
		if [ "$count" -lt 256 ]; then
			run "$KVM_ASSIGN" "${PCI_DUMP[@]}" --dry-run msix "$addr" --count=$((count + 1)) $(pairs $((count + 1)))
			assert_failure 2
			assert_output --partial "has only $count MSI-X table entries"
		fi
	done < <(lspci -F "$DUMP" -D | cut -d' ' -f1)
}

@test "-A with an unknown method and -O with an unknown parameter are usage errors" {
	run "$KVM_ASSIGN" -A bogus --dry-run assign 03:00.0
	assert_failure 2
	assert_line --index 0 --partial "unknown libpci method 'bogus'"
	run "$KVM_ASSIGN" -O no.such.param=1 --dry-run assign 03:00.0
	assert_failure 2
	assert_line --index 0 --partial "'no.such.param=1' is not a known libpci NAME=VALUE parameter"
}
