/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * abi.h - the KVM ioctl ABI kvm-assign speaks, including the legacy
 * device-assignment ioctls removed from Linux 4.12 and from its headers in 6.9.
 *
 * One definition, carried here on purpose: <linux/kvm.h> must never be
 * included (6.9+ headers lack these names, older ones would clash).
 */
#ifndef KVM_ASSIGN_ABI_H
#define KVM_ASSIGN_ABI_H

#include <stddef.h>
#include <stdint.h>
#include <linux/ioctl.h>

#define KVMIO 0xAE

/* System ioctls (on /dev/kvm) and the VM ioctls used besides assignment. */
#define KVM_GET_API_VERSION       _IO(KVMIO, 0x00)
#define KVM_CREATE_VM             _IO(KVMIO, 0x01)
#define KVM_CHECK_EXTENSION       _IO(KVMIO, 0x03)
#define KVM_CREATE_VCPU           _IO(KVMIO, 0x41)
#define KVM_CREATE_IRQCHIP        _IO(KVMIO, 0x60)

#define KVM_API_VERSION 12

/* Capabilities that concern legacy assignment (docs/kernel.md, "The ABI"). */
#define KVM_CAP_IOMMU             18
#define KVM_CAP_ASSIGN_DEV_IRQ    29
#define KVM_CAP_PCI_SEGMENT       47
#define KVM_CAP_PCI_2_3           75

struct kvm_assigned_pci_dev {
	uint32_t assigned_dev_id;
	uint32_t busnr;
	uint32_t devfn;
	uint32_t flags;
	uint32_t segnr;
	union {
		uint32_t reserved[11];
	};
};

#define KVM_DEV_ASSIGN_ENABLE_IOMMU (1u << 0)
#define KVM_DEV_ASSIGN_PCI_2_3      (1u << 1)
#define KVM_DEV_ASSIGN_MASK_INTX    (1u << 2)

struct kvm_assigned_irq {
	uint32_t assigned_dev_id;
	uint32_t host_irq;	/* ignored by the kernel */
	uint32_t guest_irq;
	uint32_t flags;
	union {
		uint32_t reserved[12];
	};
};

#define KVM_DEV_IRQ_HOST_INTX    (1u << 0)
#define KVM_DEV_IRQ_HOST_MSI     (1u << 1)
#define KVM_DEV_IRQ_HOST_MSIX    (1u << 2)
#define KVM_DEV_IRQ_GUEST_INTX   (1u << 8)
#define KVM_DEV_IRQ_GUEST_MSI    (1u << 9)
#define KVM_DEV_IRQ_GUEST_MSIX   (1u << 10)
#define KVM_DEV_IRQ_HOST_MASK    0x00ffu
#define KVM_DEV_IRQ_GUEST_MASK   0xff00u

#define KVM_MAX_MSIX_PER_DEV 256
/* The highest GSI: KVM's routing table holds 4096 (KVM_MAX_IRQ_ROUTES). */
#define KVM_MAX_GSI 4095

struct kvm_assigned_msix_nr {
	uint32_t assigned_dev_id;
	uint16_t entry_nr;
	uint16_t padding;
};

struct kvm_assigned_msix_entry {
	uint32_t assigned_dev_id;
	uint32_t gsi;
	uint16_t entry;	/* the index in the device's MSI-X table */
	uint16_t padding[3];
};

/* KVM_ASSIGN_PCI_DEVICE is _IOR although the kernel reads it: historical. */
#define KVM_ASSIGN_PCI_DEVICE     _IOR(KVMIO, 0x69, struct kvm_assigned_pci_dev)
#define KVM_ASSIGN_DEV_IRQ        _IOW(KVMIO, 0x70, struct kvm_assigned_irq)
#define KVM_DEASSIGN_PCI_DEVICE   _IOW(KVMIO, 0x72, struct kvm_assigned_pci_dev)
#define KVM_ASSIGN_SET_MSIX_NR    _IOW(KVMIO, 0x73, struct kvm_assigned_msix_nr)
#define KVM_ASSIGN_SET_MSIX_ENTRY _IOW(KVMIO, 0x74, struct kvm_assigned_msix_entry)
#define KVM_DEASSIGN_DEV_IRQ      _IOW(KVMIO, 0x75, struct kvm_assigned_irq)
#define KVM_ASSIGN_SET_INTX_MASK  _IOW(KVMIO, 0xa4, struct kvm_assigned_pci_dev)

/* Every size and offset as the kernel laid them out (docs/kernel.md, "The ABI"). */
_Static_assert(sizeof(struct kvm_assigned_pci_dev) == 64, "kvm_assigned_pci_dev size");
_Static_assert(offsetof(struct kvm_assigned_pci_dev, assigned_dev_id) == 0, "pci_dev.assigned_dev_id");
_Static_assert(offsetof(struct kvm_assigned_pci_dev, busnr) == 4, "pci_dev.busnr");
_Static_assert(offsetof(struct kvm_assigned_pci_dev, devfn) == 8, "pci_dev.devfn");
_Static_assert(offsetof(struct kvm_assigned_pci_dev, flags) == 12, "pci_dev.flags");
_Static_assert(offsetof(struct kvm_assigned_pci_dev, segnr) == 16, "pci_dev.segnr");
_Static_assert(offsetof(struct kvm_assigned_pci_dev, reserved) == 20, "pci_dev.reserved");

_Static_assert(sizeof(struct kvm_assigned_irq) == 64, "kvm_assigned_irq size");
_Static_assert(offsetof(struct kvm_assigned_irq, assigned_dev_id) == 0, "irq.assigned_dev_id");
_Static_assert(offsetof(struct kvm_assigned_irq, host_irq) == 4, "irq.host_irq");
_Static_assert(offsetof(struct kvm_assigned_irq, guest_irq) == 8, "irq.guest_irq");
_Static_assert(offsetof(struct kvm_assigned_irq, flags) == 12, "irq.flags");
_Static_assert(offsetof(struct kvm_assigned_irq, reserved) == 16, "irq.reserved");

_Static_assert(sizeof(struct kvm_assigned_msix_nr) == 8, "kvm_assigned_msix_nr size");
_Static_assert(offsetof(struct kvm_assigned_msix_nr, assigned_dev_id) == 0, "msix_nr.assigned_dev_id");
_Static_assert(offsetof(struct kvm_assigned_msix_nr, entry_nr) == 4, "msix_nr.entry_nr");
_Static_assert(offsetof(struct kvm_assigned_msix_nr, padding) == 6, "msix_nr.padding");

_Static_assert(sizeof(struct kvm_assigned_msix_entry) == 16, "kvm_assigned_msix_entry size");
_Static_assert(offsetof(struct kvm_assigned_msix_entry, assigned_dev_id) == 0, "msix_entry.assigned_dev_id");
_Static_assert(offsetof(struct kvm_assigned_msix_entry, gsi) == 4, "msix_entry.gsi");
_Static_assert(offsetof(struct kvm_assigned_msix_entry, entry) == 8, "msix_entry.entry");
_Static_assert(offsetof(struct kvm_assigned_msix_entry, padding) == 10, "msix_entry.padding");

/* The numbers themselves, so a typo in a size above cannot shift one. */
_Static_assert(KVM_ASSIGN_PCI_DEVICE == 0x8040AE69, "KVM_ASSIGN_PCI_DEVICE");
_Static_assert(KVM_ASSIGN_DEV_IRQ == 0x4040AE70, "KVM_ASSIGN_DEV_IRQ");
_Static_assert(KVM_DEASSIGN_PCI_DEVICE == 0x4040AE72, "KVM_DEASSIGN_PCI_DEVICE");
_Static_assert(KVM_ASSIGN_SET_MSIX_NR == 0x4008AE73, "KVM_ASSIGN_SET_MSIX_NR");
_Static_assert(KVM_ASSIGN_SET_MSIX_ENTRY == 0x4010AE74, "KVM_ASSIGN_SET_MSIX_ENTRY");
_Static_assert(KVM_DEASSIGN_DEV_IRQ == 0x4040AE75, "KVM_DEASSIGN_DEV_IRQ");
_Static_assert(KVM_ASSIGN_SET_INTX_MASK == 0x4040AEA4, "KVM_ASSIGN_SET_INTX_MASK");

/* The id QEMU derived from the address; kvm-assign's default. */
static inline uint32_t kvm_assigned_dev_id(unsigned domain, unsigned bus, unsigned devfn)
{
	return (domain << 16) | (bus << 8) | devfn;
}

#endif
