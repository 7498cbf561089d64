#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# 00-infra.bats - the guest itself: the Linux of tests/kernels/ the harness
# booted (RK_KERNEL_VERSION), legacy assignment built in, an IOMMU with
# interrupt remapping, the devices the other tests use.

load legacy

@test "the kernel is the one the harness booted, with KVM and legacy device assignment built in" {
	[ -n "$RK_KERNEL_VERSION" ] || fail "RK_KERNEL_VERSION not set by the harness"
	[[ $(uname -r) == "$RK_KERNEL_VERSION"* ]] || fail "kernel $(uname -r), not $RK_KERNEL_VERSION"
	[ -c /dev/kvm ]
	run zgrep -x 'CONFIG_KVM_DEVICE_ASSIGNMENT=y' /proc/config.gz
	assert_success
}

@test "the random pool is ready: getrandom() does not block the tools (jq)" {
	run timeout 10 jq -n 1
	assert_success
	assert_output 1
}

@test "an IOMMU with interrupt remapping, and the devices: e1000e at 00:03.0, a root port, an e1000e behind it" {
	[ -e /sys/firmware/acpi/tables/DMAR ]
	run grep -c ' IR-' /proc/interrupts
	[ "$output" -gt 0 ]
	run lspci -n -s ${RK_DEVICE#0000:}
	assert_output --partial '0200: 8086:10d3'
	run rk_msix_count "$RK_DEVICE"
	assert_output 5
	run lspci -n -s ${LK_BRIDGE#0000:}
	assert_output --partial ' 0604: '
	run lspci -n -s ${LK_BEHIND#0000:}
	assert_output --partial '0200: 8086:10d3'
}

@test "the device can go to pci-stub and back to e1000e (driver_override, or new_id and bind)" {
	lk_bind pci-stub
	assert_equal "$(lk_enable)" 0
	lk_bind e1000e
	assert_equal "$(lk_enable)" 1
	lk_bind pci-stub
}
