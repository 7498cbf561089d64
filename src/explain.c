/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * explain.c - the (ioctl, errno) table: each row is the kernel's reason
 * for an errno, as docs/kernel.md gives it, and the fix people used.
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
	enum explain_detail detail;
	int exit_code;		/* 0: by the errno's class */
};

static const struct row rows[] = {
	/* KVM_ASSIGN_PCI_DEVICE, in the order the kernel checks */
	{ KVM_ASSIGN_PCI_DEVICE, EINVAL, "the kernel found no PCI device at that address (or refused the flags)",
	  "check the address with lspci", DETAIL_NONE, 0 },
	{ KVM_ASSIGN_PCI_DEVICE, EEXIST, "that assigned-device id is already in use in this VM",
	  "deassign it first, or choose another --id", DETAIL_NONE, 0 },
	/* The kernel refusing the device, not the caller lacking a permission. */
	{ KVM_ASSIGN_PCI_DEVICE, EPERM, "the kernel refused the device: it is a bridge, has no BARs, or the host lacks interrupt remapping",
	  "see dmesg; without interrupt remapping only the kvm module option allow_unsafe_assigned_interrupts=1 (unsafe) lets it through",
	  DETAIL_REFUSED_DEVICE, KA_EXIT_REFUSED },
	{ KVM_ASSIGN_PCI_DEVICE, EACCES, "the VMM cannot read and write the device's sysfs resource files",
	  "give the VMM's user read+write access to /sys/bus/pci/devices/<address>/resource*", DETAIL_NONE, 0 },
	{ KVM_ASSIGN_PCI_DEVICE, EBUSY, "the device is held: by a host driver, by another VM, or by this VM under another id",
	  NULL, DETAIL_HOLDER, 0 },
	{ KVM_ASSIGN_PCI_DEVICE, ENODEV, "no IOMMU found",
	  "enable VT-d or AMD-Vi in the firmware and boot with intel_iommu=on (Intel) or amd_iommu=on (AMD)", DETAIL_NONE, 0 },
	{ KVM_ASSIGN_PCI_DEVICE, ENOMEM, "the kernel ran out of memory", NULL, DETAIL_NONE, 0 },

	{ KVM_DEASSIGN_PCI_DEVICE, EINVAL, "no device with that assigned-device id in this VM",
	  "check the id (by default (domain << 16) | (bus << 8) | devfn)", DETAIL_NONE, 0 },

	{ KVM_ASSIGN_DEV_IRQ, EINVAL, "the VM has no in-kernel irqchip, the interrupt types are not one host and/or one guest type, or MSI-X entries were not set first",
	  "create the irqchip in the VMM (KVM_CREATE_IRQCHIP); for MSI-X run 'kvm-assign msix' first", DETAIL_NONE, 0 },
	{ KVM_ASSIGN_DEV_IRQ, ENODEV, "no device with that assigned-device id in this VM",
	  "assign the device first", DETAIL_NONE, 0 },
	{ KVM_ASSIGN_DEV_IRQ, EEXIST, "an interrupt of that side is already assigned to the device",
	  "remove it first with 'kvm-assign irq --remove'", DETAIL_NONE, 0 },
	{ KVM_ASSIGN_DEV_IRQ, EIO, "the host INTx line is shared with another device, and without PCI 2.3 masking it cannot be shared",
	  "assign with --share-intx on a device that supports INTx masking, or use --host=msi", DETAIL_NONE, 0 },
	{ KVM_ASSIGN_DEV_IRQ, ENOSPC, "the device has fewer MSI-X vectors than the count given to 'kvm-assign msix' (the kernel accepts any count up to 256; "
	  "before 3.14 it answers with the table's size instead of ENOSPC)",
	  "remove the interrupt ('kvm-assign irq --remove --host=msix'), then give a count within the device's MSI-X table (lspci -vv: MSI-X Count)", DETAIL_NONE, 0 },

	{ KVM_DEASSIGN_DEV_IRQ, EINVAL, "the VM has no in-kernel irqchip",
	  "create the irqchip in the VMM (KVM_CREATE_IRQCHIP)", DETAIL_NONE, 0 },
	{ KVM_DEASSIGN_DEV_IRQ, ENODEV, "no device with that assigned-device id in this VM", NULL, DETAIL_NONE, 0 },
	{ KVM_DEASSIGN_DEV_IRQ, ENXIO, "no interrupt of that kind is assigned to the device",
	  "nothing to remove (QEMU treated this as harmless)", DETAIL_NONE, 0 },

	{ KVM_ASSIGN_SET_MSIX_NR, EINVAL, "no device with that id in this VM, or its MSI-X count is already set",
	  "a count stays until the host MSI-X interrupt is removed ('kvm-assign irq --remove --host=msix') or the device is deassigned; then give the count and every entry in one 'kvm-assign msix'",
	  DETAIL_NONE, 0 },
	{ KVM_ASSIGN_SET_MSIX_ENTRY, EINVAL, "no device with that assigned-device id in this VM", NULL, DETAIL_NONE, 0 },
	{ KVM_ASSIGN_SET_MSIX_ENTRY, ENOSPC, "no free MSI-X slot: the count was never set, or its slots are used up",
	  "give the count and every entry in one 'kvm-assign msix'; to start over, remove the host MSI-X interrupt or deassign the device", DETAIL_NONE, 0 },

	{ KVM_ASSIGN_SET_INTX_MASK, ENODEV, "no device with that assigned-device id in this VM", NULL, DETAIL_NONE, 0 },

	/* any ioctl */
	{ 0, EFAULT, "the kernel could not read the argument (a bug in kvm-assign: please report it)", NULL, DETAIL_NONE, 0 },
	{ 0, EPERM, "operation not permitted", "run as root or as the VMM's user", DETAIL_NONE, 0 },
	{ 0, EACCES, "permission denied", "run as root or as the VMM's user", DETAIL_NONE, 0 },
	{ 0, ENOMEM, "the kernel ran out of memory", NULL, DETAIL_NONE, 0 },
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
	out->detail = DETAIL_NONE;
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
		out->detail = rows[i].detail;
		if (rows[i].exit_code)
			out->exit_code = rows[i].exit_code;
		return;
	}
}

/*
 * Before 3.14 KVM enabled host MSI-X with pci_enable_msix, which answers a
 * count above the device's table with the table's size: KVM_ASSIGN_DEV_IRQ
 * returned that number having enabled nothing (measured on 3.10.105; 4.1
 * and 4.9 answer ENOSPC). No other ioctl here returns a positive value.
 */
int explain_positive(const struct ioctl_desc *io, long ret)
{
	return ret > 0 && io->request == KVM_ASSIGN_DEV_IRQ ? ENOSPC : 0;
}
