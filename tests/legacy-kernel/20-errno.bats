#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# 20-errno.bats - every (ioctl, errno) this kernel can answer, produced for
# real inside a real QEMU (--pid) and inside the stub VMM (--socket), with
# kvm-assign's exit code and the key words of its explanation.
#
# Exit codes asserted (see legacy.bash): 1 for every refusal below, EPERM of
# KVM_ASSIGN_PCI_DEVICE included (a bridge, a device without BARs: the
# kernel refused the device, not the caller); 4 for EACCES (the VMM's user
# cannot use the device's resource files).

load legacy

D=0000:00:03.0

setup_file() {
	load legacy
	lk_bind pci-stub
	{
		echo "# exit codes asserted: 1 = the kernel refused (EEXIST EBUSY EINVAL ENODEV ENOSPC ENXIO,"
		echo "#   and EPERM of KVM_ASSIGN_PCI_DEVICE: bridge, no BARs); 4 = EACCES (the VMM's uid"
		echo "#   cannot use the device's resource files)"
	} >&3
}

setup() {
	rk_need "$KVM_ASSIGN" "$STUB_VMM"
	lk_bind pci-stub
	lk_fresh
}

teardown() {
	lk_stop_all
	lk_bind pci-stub
}

# runs_as UID PID - PID's real, effective, saved and fs uids are all UID.
runs_as() {
	[ "$(awk '$1 == "Uid:" { print $2, $3, $4, $5 }' "/proc/$2/status")" = "$1 $1 $1 $1" ]
}

# both [stub options] - a QEMU and a stub VMM, both with an in-kernel irqchip.
both() {
	lk_start_stub stub --irqchip "$@"
	lk_start_qemu
}

@test "KVM_ASSIGN_PCI_DEVICE EEXIST: the same id twice (exit 1)" {
	both
	for m in qemu stub; do
		ok $m assign $D
		refused $m 1 KVM_ASSIGN_PCI_DEVICE EEXIST assign $D
		assert_output --partial "already in use in this VM"
		ok $m deassign $D
	done
}

@test "KVM_ASSIGN_PCI_DEVICE EBUSY: the host driver e1000e holds it, and the message names it (exit 1)" {
	lk_bind e1000e
	both
	for m in qemu stub; do
		lk_dmesg_mark
		refused $m 1 KVM_ASSIGN_PCI_DEVICE EBUSY assign $D
		assert_output --partial "host driver e1000e"
		run lk_dmesg_since
		assert_output --partial "Could not get access to device regions"
	done
	assert_equal "$(lk_driver)" e1000e
}

@test "KVM_ASSIGN_PCI_DEVICE EBUSY: the same device under a second id in the same VM: 'this VM already holds' (exit 1)" {
	both
	for m in qemu stub; do
		ok $m assign $D
		refused $m 1 KVM_ASSIGN_PCI_DEVICE EBUSY assign --id=7 $D
		assert_output --partial "this VM already holds"
		ok $m deassign $D
	done
}

@test "KVM_ASSIGN_PCI_DEVICE EBUSY: the device held by another VM: 'another VM' (exit 1)" {
	both
	ok qemu assign $D
	refused stub 1 KVM_ASSIGN_PCI_DEVICE EBUSY assign $D
	assert_output --partial "another VM"
	ok qemu deassign $D
	ok stub assign $D
	refused qemu 1 KVM_ASSIGN_PCI_DEVICE EBUSY assign $D
	assert_output --partial "another VM"
}

@test "KVM_ASSIGN_PCI_DEVICE EPERM: a bridge (the root port 00:04.0) is refused by the kernel (exit 1, not 4)" {
	run lspci -n -s ${LK_BRIDGE#0000:}
	assert_output --partial ' 0604: '
	both
	for m in qemu stub; do
		refused $m 1 KVM_ASSIGN_PCI_DEVICE EPERM assign $LK_BRIDGE
		assert_output --partial "bridge"
	done
}

@test "KVM_ASSIGN_PCI_DEVICE EPERM: a device without BARs (the host bridge 00:00.0) is refused (exit 1, not 4)" {
	# lspci -v lists no region of it, and sysfs has no resourceN file.
	run lspci -v -s ${LK_HOSTBRIDGE#0000:}
	assert_output --partial 'Host bridge'
	refute_output --regexp 'Memory at|I/O ports at'
	run compgen -G "/sys/bus/pci/devices/$LK_HOSTBRIDGE/resource[0-9]"
	assert_failure
	both
	for m in qemu stub; do
		refused $m 1 KVM_ASSIGN_PCI_DEVICE EPERM assign $LK_HOSTBRIDGE
		assert_output --partial "no BARs"
	done
}

@test "KVM_ASSIGN_PCI_DEVICE EACCES: a VMM that dropped to uid 65534 cannot use resource* (exit 4)" {
	lk_start_qemu -runas nobody
	lk_start_stub stub --irqchip --uid=65534	# last: VMM_PID is the stub
	# QEMU's -runas takes effect at the end of its start-up.
	rk_wait_for "$QEMU_PID" runs_as 65534 "$QEMU_PID" || fail "QEMU did not become uid 65534"
	# Both by --pid: the hand-off refuses a socket whose peer is neither
	# root nor us, --owner or not.
	for m in qemu pid; do
		runs_as 65534 "$(pid_of $m)" || fail "$m does not run as uid 65534"
		# --owner: act on a VMM of another user (not root, not us).
		refused $m 4 KVM_ASSIGN_PCI_DEVICE EACCES --owner=65534 assign $D
		assert_output --partial "resource"
	done
	lk_released
}

@test "KVM_ASSIGN_DEV_IRQ ENOSPC: msix --id --count=6 (over the table of 5), then host MSI-X (exit 1)" {
	both
	for m in qemu stub; do
		ok $m assign $D
		# No DEVICE argument: the tool cannot check the table size itself.
		ok $m msix --id=0x18 --count=6 0:24 1:25 2:26 3:27 4:28 5:29
		refused $m 1 KVM_ASSIGN_DEV_IRQ ENOSPC irq --id=0x18 --host=msix --guest=msix
		assert_output --partial "fewer MSI-X vectors"
		assert_equal "$(lk_irq_count)" 0
		ok $m deassign $D
	done
}

@test "KVM_DEASSIGN_DEV_IRQ ENXIO: irq --remove with no interrupt assigned (exit 1)" {
	both
	for m in qemu stub; do
		ok $m assign $D
		refused $m 1 KVM_DEASSIGN_DEV_IRQ ENXIO irq --remove $D --host=intx --guest=intx
		assert_output --partial "no interrupt of that kind"
		refused $m 1 KVM_DEASSIGN_DEV_IRQ ENXIO irq --remove $D --host=msi
		ok $m deassign $D
	done
}

@test "EINVAL: deassign and msix of an unknown id, host MSI-X before msix, a second msix count (exit 1)" {
	both
	for m in qemu stub; do
		refused $m 1 KVM_DEASSIGN_PCI_DEVICE EINVAL deassign --id=0x99
		assert_output --partial "no device with that assigned-device id"
		refused $m 1 KVM_ASSIGN_SET_MSIX_NR EINVAL msix --id=0x99 --count=1 0:24
		ok $m assign $D
		refused $m 1 KVM_ASSIGN_DEV_IRQ EINVAL irq $D --host=msix --guest=msix
		assert_output --partial "MSI-X entries were not set first"
		ok $m msix $D "${LK_MSIX[@]}"
		refused $m 1 KVM_ASSIGN_SET_MSIX_NR EINVAL msix $D "${LK_MSIX[@]}"
		ok $m deassign $D
	done
}

@test "ENODEV: irq, irq --remove and intx-mask of an unknown id (exit 1)" {
	both
	for m in qemu stub; do
		refused $m 1 KVM_ASSIGN_DEV_IRQ ENODEV irq --id=0x99 --host=msi --guest=msi --guest-irq=24
		assert_output --partial "no device with that assigned-device id"
		refused $m 1 KVM_DEASSIGN_DEV_IRQ ENODEV irq --remove --id=0x99 --host=msi
		refused $m 1 KVM_ASSIGN_SET_INTX_MASK ENODEV intx-mask --id=0x99 on
	done
}

@test "a VM without in-kernel irqchip: irq and irq --remove answer EINVAL (exit 1)" {
	lk_start_stub stub
	lk_start_qemu -machine kernel-irqchip=off
	for m in qemu stub; do
		ok $m assign $D
		refused $m 1 KVM_ASSIGN_DEV_IRQ EINVAL irq $D --host=msi --guest=msi --guest-irq=24
		assert_output --partial "irqchip"
		refused $m 1 KVM_DEASSIGN_DEV_IRQ EINVAL irq --remove $D --host=msi
		assert_output --partial "irqchip"
		assert_equal "$(lk_irq_count)" 0
		ok $m deassign $D
	done
}
