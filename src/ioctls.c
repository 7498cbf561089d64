/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ioctls.c - the table of legacy ioctls and their argument fields, the
 * one place output code learns names, numbers and layouts from.
 */
#include <string.h>

#include "ioctls.h"

#define FIELD(type, member, hex) \
	{ #member, offsetof(type, member), sizeof(((type *)0)->member), hex }

static const struct field_desc pci_dev_fields[] = {
	FIELD(struct kvm_assigned_pci_dev, assigned_dev_id, 1),
	FIELD(struct kvm_assigned_pci_dev, busnr, 1),
	FIELD(struct kvm_assigned_pci_dev, devfn, 1),
	FIELD(struct kvm_assigned_pci_dev, flags, 1),
	FIELD(struct kvm_assigned_pci_dev, segnr, 1),
	{ NULL, 0, 0, 0 }
};

static const struct field_desc irq_fields[] = {
	FIELD(struct kvm_assigned_irq, assigned_dev_id, 1),
	FIELD(struct kvm_assigned_irq, host_irq, 0),
	FIELD(struct kvm_assigned_irq, guest_irq, 0),
	FIELD(struct kvm_assigned_irq, flags, 1),
	{ NULL, 0, 0, 0 }
};

static const struct field_desc msix_nr_fields[] = {
	FIELD(struct kvm_assigned_msix_nr, assigned_dev_id, 1),
	FIELD(struct kvm_assigned_msix_nr, entry_nr, 0),
	{ NULL, 0, 0, 0 }
};

static const struct field_desc msix_entry_fields[] = {
	FIELD(struct kvm_assigned_msix_entry, assigned_dev_id, 1),
	FIELD(struct kvm_assigned_msix_entry, gsi, 0),
	FIELD(struct kvm_assigned_msix_entry, entry, 0),
	{ NULL, 0, 0, 0 }
};

#define IOCTL(var, req, type, fields) \
	const struct ioctl_desc var = { #req, req, sizeof(type), fields }

IOCTL(ioctl_assign_pci_device, KVM_ASSIGN_PCI_DEVICE, struct kvm_assigned_pci_dev, pci_dev_fields);
IOCTL(ioctl_deassign_pci_device, KVM_DEASSIGN_PCI_DEVICE, struct kvm_assigned_pci_dev, pci_dev_fields);
IOCTL(ioctl_assign_dev_irq, KVM_ASSIGN_DEV_IRQ, struct kvm_assigned_irq, irq_fields);
IOCTL(ioctl_deassign_dev_irq, KVM_DEASSIGN_DEV_IRQ, struct kvm_assigned_irq, irq_fields);
IOCTL(ioctl_set_msix_nr, KVM_ASSIGN_SET_MSIX_NR, struct kvm_assigned_msix_nr, msix_nr_fields);
IOCTL(ioctl_set_msix_entry, KVM_ASSIGN_SET_MSIX_ENTRY, struct kvm_assigned_msix_entry, msix_entry_fields);
IOCTL(ioctl_set_intx_mask, KVM_ASSIGN_SET_INTX_MASK, struct kvm_assigned_pci_dev, pci_dev_fields);

uint32_t field_value(const struct field_desc *f, const void *arg)
{
	const unsigned char *p = (const unsigned char *)arg + f->offset;

	if (f->size == 2) {
		uint16_t v;
		memcpy(&v, p, sizeof(v));
		return v;
	}
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}
