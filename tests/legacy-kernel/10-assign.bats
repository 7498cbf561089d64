#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# 10-assign.bats - every subcommand really works on a kernel with legacy
# assignment, run inside a real QEMU (--pid) and the stub VMM (--socket, --fd);
# each effect is confirmed from outside: dmesg, /proc/interrupts, sysfs.

load legacy

setup_file() {
	load legacy
	lk_bind pci-stub
}

setup() {
	rk_need "$KVM_ASSIGN" "$STUB_VMM" "$FD_EXEC" "$QMP_QUERY"
	lk_fresh
}

teardown() {
	lk_stop_all
}

# cycle MODE - every subcommand once, with its effect checked after each.
cycle() {
	local m=$1 D=$RK_DEVICE
	lk_dmesg_mark
	ok "$m" assign "$D"
	assert_equal "$(lk_enable)" 1
	run lk_dmesg_since
	assert_line --regexp "$(lk_assign_msg assign)"

	ok "$m" irq "$D" --host=intx --guest=intx --guest-irq=10
	run lk_irqs IO-APIC
	assert_success
	assert_equal "${#lines[@]}" 1
	# 4.1: "IR-IO-APIC  23-fasteoi"; 3.10: "IR-IO-APIC-fasteoi" (no pin)
	assert_output --regexp "IR-IO-APIC( +[0-9]+)?-fasteoi +kvm:$D\$"
	ok "$m" intx-mask "$D" on
	ok "$m" intx-mask "$D" off
	ok "$m" irq --remove "$D" --host=intx
	assert_equal "$(lk_irq_count)" 0
	ok "$m" irq --remove "$D" --guest=intx

	ok "$m" irq "$D" --host=msi --guest=msi --guest-irq=24
	run lk_irqs PCI-MSI
	assert_equal "${#lines[@]}" 1
	assert_equal "$(lk_irq_count)" 1
	ok "$m" irq --remove "$D" --host=msi --guest=msi
	assert_equal "$(lk_irq_count)" 0

	ok "$m" msix "$D" "${LK_MSIX[@]}"
	assert_equal "$(lk_irq_count)" 0
	ok "$m" irq "$D" --host=msix --guest=msix
	# One host interrupt per MSI-X entry, each remapped.
	assert_equal "$(lk_irq_count PCI-MSI)" 5
	assert_equal "$(lk_irq_count)" 5
	ok "$m" irq --remove "$D" --host=msix --guest=msix
	assert_equal "$(lk_irq_count)" 0

	lk_dmesg_mark
	ok "$m" deassign "$D"
	assert_equal "$(lk_enable)" 0
	run lk_dmesg_since
	assert_line --regexp "$(lk_assign_msg deassign)"
	lk_released
}

@test "QEMU --pid: assign, irq intx/msi/msix, msix, intx-mask, irq --remove, deassign all work, seen from outside" {
	lk_start_qemu
	cycle pid
	# QEMU went on as if nothing happened.
	run "$QMP_QUERY" "$QMP"
	assert_success
	assert_output --partial '"status": "prelaunch"'
}

@test "stub VMM --socket: the same cycle, inside the stub" {
	lk_start_stub vmm --irqchip
	cycle socket
}

@test "stub VMM --fd (a fd received by the hand-off, the stub alive): the same cycle, inside the stub" {
	lk_start_stub vmm --irqchip
	cycle fd
}

@test "assign --share-intx (PCI 2.3): host INTx on a shared line, masked and unmasked, then removed" {
	lk_start_qemu
	ok pid assign --share-intx "$RK_DEVICE"
	ok pid irq "$RK_DEVICE" --host=intx --guest=intx --guest-irq=11
	run lk_irqs IO-APIC
	assert_equal "${#lines[@]}" 1
	ok pid intx-mask "$RK_DEVICE" on
	ok pid intx-mask "$RK_DEVICE" off
	ok pid irq --remove "$RK_DEVICE" --host=intx --guest=intx
	assert_equal "$(lk_irq_count)" 0
	ok pid deassign "$RK_DEVICE"
	lk_released
}

@test "killing QEMU with the device and its MSI-X assigned releases both; a fresh QEMU can assign it" {
	lk_start_qemu
	ok pid assign "$RK_DEVICE"
	ok pid msix "$RK_DEVICE" "${LK_MSIX[@]}"
	ok pid irq "$RK_DEVICE" --host=msix --guest=msix
	assert_equal "$(lk_irq_count)" 5
	kill -KILL "$VMM_PID"
	wait "$VMM_PID" || true
	lk_released
	lk_start_qemu
	ok pid assign "$RK_DEVICE"
	assert_equal "$(lk_enable)" 1
}

@test "stopping the stub VMM (closing its VM) releases the device; a fresh stub can assign it" {
	lk_start_stub one --irqchip
	ok socket assign "$RK_DEVICE"
	ok socket irq "$RK_DEVICE" --host=intx --guest=intx --guest-irq=10
	assert_equal "$(lk_enable)" 1
	lk_stop "$VMM_PID"
	lk_released
	lk_start_stub two --irqchip
	ok socket assign "$RK_DEVICE"
	assert_equal "$(lk_enable)" 1
}

@test "stub-vmm --exec-fd -- kvm-assign --fd: after exec the VM's creator is gone, nothing can run (exit 7)" {
	run "$STUB_VMM" --irqchip --exec-fd=7 -- "$KVM_ASSIGN" -v --fd=7 assign "$RK_DEVICE"
	assert_failure 7
	# The real kernel's creator rule: its own try answered EIO.
	assert_line --partial "KVM_ASSIGN_PCI_DEVICE 0x8040ae69 assigned_dev_id=0x18 busnr=0x0 devfn=0x18 flags=0x1 segnr=0x0: EIO in this process"
	assert_output --partial "no other process holds this VM, so none can be its creator"
	lk_released
}
