/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ioctls.h - what kvm-assign knows about each legacy ioctl: its name,
 * number and the fields of its argument, for --dry-run, -v and --json.
 */
#ifndef KVM_ASSIGN_IOCTLS_H
#define KVM_ASSIGN_IOCTLS_H

#include <stddef.h>
#include <stdint.h>

#include "abi.h"

struct field_desc {
	const char *name;
	size_t offset;
	size_t size;		/* 2 or 4 */
	int hex;		/* print as 0x... in text output */
};

struct ioctl_desc {
	const char *name;
	unsigned long request;
	size_t size;		/* of the argument struct */
	const struct field_desc *fields;	/* NULL-terminated by name */
};

/* The argument of any legacy ioctl, kept zeroed outside its fields. */
union ioctl_arg {
	struct kvm_assigned_pci_dev dev;
	struct kvm_assigned_irq irq;
	struct kvm_assigned_msix_nr msix_nr;
	struct kvm_assigned_msix_entry msix_entry;
	unsigned char bytes[64];
};

extern const struct ioctl_desc ioctl_assign_pci_device;
extern const struct ioctl_desc ioctl_deassign_pci_device;
extern const struct ioctl_desc ioctl_assign_dev_irq;
extern const struct ioctl_desc ioctl_deassign_dev_irq;
extern const struct ioctl_desc ioctl_set_msix_nr;
extern const struct ioctl_desc ioctl_set_msix_entry;
extern const struct ioctl_desc ioctl_set_intx_mask;

uint32_t field_value(const struct field_desc *f, const void *arg);

#endif
