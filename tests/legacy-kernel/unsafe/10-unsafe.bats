#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# 10-unsafe.bats - no interrupt remapping, but booted with
# kvm.allow_unsafe_assigned_interrupts=1: assignment works again (host MSI
# on a non-remapped chip), and check passes with a WARN (exit 0).

load ../legacy

setup() {
	rk_need "$KVM_ASSIGN" "$STUB_VMM"
	lk_bind pci-stub
}

teardown() {
	lk_stop_all
}

@test "the machine: no remapped interrupts, the unsafe option on" {
	run grep -c ' IR-' /proc/interrupts
	assert_output 0
	assert_equal "$(cat /sys/module/kvm/parameters/allow_unsafe_assigned_interrupts)" Y
}

@test "assign, irq msi and msix, deassign all work in QEMU and in the stub" {
	lk_start_stub stub --irqchip
	lk_start_qemu
	for m in qemu stub; do
		ok $m assign "$RK_DEVICE"
		assert_equal "$(lk_enable)" 1
		ok $m irq "$RK_DEVICE" --host=msi --guest=msi --guest-irq=24
		# Not remapped: a plain PCI-MSI chip.
		run grep "kvm:$RK_DEVICE\$" /proc/interrupts
		assert_equal "${#lines[@]}" 1
		assert_output --regexp ' PCI-MSI'
		refute_output --partial 'IR-'
		ok $m irq --remove "$RK_DEVICE" --host=msi --guest=msi
		ok $m msix "$RK_DEVICE" "${LK_MSIX[@]}"
		ok $m irq "$RK_DEVICE" --host=msix --guest=msix
		assert_equal "$(grep -c "kvm:$RK_DEVICE\$" /proc/interrupts)" 5
		ok $m deassign "$RK_DEVICE"
		lk_released
	done
}

@test "check and check DEVICE: the unsafe option WARNs, legacy can work (exit 0)" {
	for dev in "" "$RK_DEVICE"; do
		run "$KVM_ASSIGN" --json check $dev
		assert_success
		assert_equal "$(verdict)" "yes 0"
		assert_equal "$(item allow_unsafe_interrupts)" "warn Y"
	done
}
