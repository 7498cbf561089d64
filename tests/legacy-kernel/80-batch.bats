#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# 80-batch.bats - kvm-assign batch on the real Linux 4.1.15: real failures
# (another VM holding the device, this VM holding it under another id, an irq
# half already set) leave the device where it started: its driver, its
# enable count, no kvm line in /proc/interrupts; a whole setup and its
# reverse leave the host as it was.

load legacy

setup_file() {
	load legacy
	lk_bind pci-stub
}

setup() {
	rk_need "$KVM_ASSIGN" "$STUB_VMM"
	lk_released || fail "the device is still held by KVM before the test"
	B=$BATS_TEST_TMPDIR
	D=$RK_DEVICE
	cat >"$B/setup.batch" <<-EOT
	assign $D --share-intx
	msix $D ${LK_MSIX[*]}
	irq $D --host=msix --guest=msix
	intx-mask $D on
	EOT
	printf 'intx-mask %s off\nirq --remove %s --host=msix --guest=msix\ndeassign %s\n' "$D" "$D" "$D" >"$B/reverse.batch"
}

teardown() {
	lk_stop_all
	lk_bind pci-stub
}

# where - the device's place on the host: driver, enable count, kvm irqs.
where() { echo "driver=$(lk_driver) enable=$(lk_enable) kvm_irqs=$(lk_irq_count)"; }

@test "a whole setup in QEMU, then its reverse: the host as it was" {
	lk_start_qemu
	before=$(where)
	run ka qemu --timeout=60 batch "$B/setup.batch"
	assert_success
	assert_equal "$(lk_enable)" 1
	assert_equal "$(lk_irq_count PCI-MSI)" 5
	run ka qemu --timeout=60 batch "$B/reverse.batch"
	assert_success
	assert_equal "$(where)" "$before"
	lk_released
}

@test "EBUSY from another VM holding the device: nothing changed, that VM keeps it" {
	lk_start_stub other --irqchip
	ka stub assign "$D"
	held=$(where)
	lk_start_qemu
	run ka qemu --timeout=60 batch "$B/setup.batch"
	assert_failure 1
	assert_output --partial "KVM_ASSIGN_PCI_DEVICE failed with EBUSY in the VMM"
	assert_equal "$(where)" "$held"
	ka stub deassign "$D"
	lk_released
}

@test "EBUSY mid-batch (the device already held under another id): rolled back" {
	lk_start_qemu
	before=$(where)
	cp "$B/setup.batch" "$B/busy.batch"
	echo "assign --id=0x99 $D" >>"$B/busy.batch"
	run ka qemu --timeout=60 batch "$B/busy.batch"
	assert_failure 1
	assert_output --partial "KVM_ASSIGN_PCI_DEVICE failed with EBUSY in the VMM"
	assert_output --partial "busy.batch:1: assign $D: undone"
	assert_equal "$(where)" "$before"
	lk_released
}

@test "an irq half already set: the host half the failed step left is removed" {
	lk_start_qemu
	ka qemu assign "$D" --share-intx
	ka qemu irq "$D" --guest=intx --guest-irq=10
	held=$(where)
	printf 'irq %s --host=intx --guest=intx --guest-irq=11\n' "$D" >"$B/irq.batch"
	run ka qemu --timeout=60 batch "$B/irq.batch"
	assert_failure 1
	assert_output --partial "KVM_ASSIGN_DEV_IRQ failed with EEXIST in the VMM"
	# The host INTx the batch's first half requested is gone again.
	assert_equal "$(where)" "$held"
	assert_equal "$(lk_irq_count)" 0
	ka qemu irq --remove "$D" --guest=intx
	ka qemu deassign "$D"
	lk_released
}

@test "from the host driver and back: detach in the batch, a failure undoes it" {
	lk_bind e1000e
	before=$(where)
	lk_start_qemu
	{ echo "detach $D --driver=pci-stub"; cat "$B/setup.batch"; echo "assign --id=0x99 $D"; } >"$B/detach.batch"
	run ka qemu --timeout=60 batch "$B/detach.batch"
	assert_failure 1
	assert_output --partial "detach.batch:1: detach $D: undone"
	assert_equal "$(where)" "$before"
	# And all of it, then the reverse with reattach.
	{ echo "detach $D --driver=pci-stub"; cat "$B/setup.batch"; } >"$B/detach.batch"
	run ka qemu --timeout=60 batch "$B/detach.batch"
	assert_success
	assert_equal "$(lk_driver)" pci-stub
	{ cat "$B/reverse.batch"; echo "reattach $D"; } >"$B/back.batch"
	run ka qemu --timeout=60 batch "$B/back.batch"
	assert_success
	assert_equal "$(where)" "$before"
}
