/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * explain.c - the (ioctl, errno) table: each row is the kernel's reason
 * for an errno, as KERNEL-FACTS.md §4 gives it, and the fix people used.
 */
#include <errno.h>
#include <stddef.h>

#include "exitcodes.h"
#include "explain.h"

struct row {
	unsigned long request;	/* 0: any ioctl */
	int err;
	const char *why;
	const char *todo;
	int rebind_hint;
};

static const struct row rows[] = {
	/* KVM_ASSIGN_PCI_DEVICE, in the order the kernel checks */
	{ KVM_ASSIGN_PCI_DEVICE, EINVAL, "the kernel found no PCI device at that address (or refused the flags)",
	  "check the address with lspci", 0 },
	{ KVM_ASSIGN_PCI_DEVICE, EEXIST, "that assigned-device id is already in use in this VM",
	  "deassign it first, or choose another --id", 0 },
	{ KVM_ASSIGN_PCI_DEVICE, EPERM, "the kernel refused the device: it is a bridge, has no BARs, or the host lacks interrupt remapping",
	  "see dmesg; without interrupt remapping only the kvm module option allow_unsafe_assigned_interrupts=1 (unsafe) lets it through", 0 },
	{ KVM_ASSIGN_PCI_DEVICE, EACCES, "the VMM cannot read and write the device's sysfs resource files",
	  "give the VMM's user read+write access to /sys/bus/pci/devices/<address>/resource*", 0 },
	{ KVM_ASSIGN_PCI_DEVICE, EBUSY, "the device is enabled or its regions are held by a host driver",
	  NULL, 1 },
	{ KVM_ASSIGN_PCI_DEVICE, ENODEV, "no IOMMU found",
	  "enable VT-d or AMD-Vi in the firmware and boot with intel_iommu=on (Intel) or amd_iommu=on (AMD)", 0 },
	{ KVM_ASSIGN_PCI_DEVICE, ENOMEM, "the kernel ran out of memory", NULL, 0 },

	{ KVM_DEASSIGN_PCI_DEVICE, EINVAL, "no device with that assigned-device id in this VM",
	  "check the id (by default (domain << 16) | (bus << 8) | devfn)", 0 },

	{ KVM_ASSIGN_DEV_IRQ, EINVAL, "the VM has no in-kernel irqchip, the interrupt types are not one host and/or one guest type, or MSI-X entries were not set first",
	  "create the irqchip in the VMM (KVM_CREATE_IRQCHIP); for MSI-X run 'kvm-assign msix' first", 0 },
	{ KVM_ASSIGN_DEV_IRQ, ENODEV, "no device with that assigned-device id in this VM",
	  "assign the device first", 0 },
	{ KVM_ASSIGN_DEV_IRQ, EEXIST, "an interrupt of that side is already assigned to the device",
	  "remove it first with 'kvm-assign irq --remove'", 0 },
	{ KVM_ASSIGN_DEV_IRQ, EIO, "the host INTx line cannot be shared without PCI 2.3 masking",
	  "assign with --share-intx on a device that supports INTx masking, or use --host=msi", 0 },

	{ KVM_DEASSIGN_DEV_IRQ, EINVAL, "the VM has no in-kernel irqchip",
	  "create the irqchip in the VMM (KVM_CREATE_IRQCHIP)", 0 },
	{ KVM_DEASSIGN_DEV_IRQ, ENODEV, "no device with that assigned-device id in this VM", NULL, 0 },
	{ KVM_DEASSIGN_DEV_IRQ, ENXIO, "no interrupt of that kind is assigned to the device",
	  "nothing to remove (QEMU treated this as harmless)", 0 },

	{ KVM_ASSIGN_SET_MSIX_NR, EINVAL, "no device with that id in this VM, or its MSI-X count was already set",
	  "the count can be set once per assignment: deassign and assign again to change it", 0 },
	{ KVM_ASSIGN_SET_MSIX_ENTRY, EINVAL, "no device with that assigned-device id in this VM", NULL, 0 },
	{ KVM_ASSIGN_SET_MSIX_ENTRY, ENOSPC, "no free MSI-X slot: the count was never set, or its slots are used up",
	  "the count can be set once per assignment: deassign and assign again, then give the count and every entry in one 'kvm-assign msix'", 0 },

	{ KVM_ASSIGN_SET_INTX_MASK, ENODEV, "no device with that assigned-device id in this VM", NULL, 0 },

	/* any ioctl */
	{ 0, EFAULT, "the kernel could not read the argument (a bug in kvm-assign: please report it)", NULL, 0 },
	{ 0, EPERM, "operation not permitted", "run as root or as the VMM's user", 0 },
	{ 0, EACCES, "permission denied", "run as root or as the VMM's user", 0 },
	{ 0, ENOMEM, "the kernel ran out of memory", NULL, 0 },
};

static int exit_code_for(int err)
{
	switch (err) {
	case ENOTTY:
		return KA_EXIT_UNSUPPORTED;
	case EPERM:
	case EACCES:
		return KA_EXIT_PERMISSION;
	default:
		return KA_EXIT_REFUSED;
	}
}

void explain(const struct ioctl_desc *io, int err, struct explanation *out)
{
	out->why = NULL;
	out->todo = NULL;
	out->rebind_hint = 0;
	out->exit_code = exit_code_for(err);

	if (err == ENOTTY) {
		out->why = LACKS_SUPPORT_WHY;
		out->todo = LACKS_SUPPORT_TODO;
		return;
	}
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		if (rows[i].err != err || (rows[i].request && rows[i].request != io->request))
			continue;
		out->why = rows[i].why;
		out->todo = rows[i].todo;
		out->rebind_hint = rows[i].rebind_hint;
		return;
	}
}
