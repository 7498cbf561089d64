/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * explain.h - why the kernel answered an ioctl with an errno, and what to
 * do about it: the table built from KERNEL-FACTS.md §4.
 */
#ifndef KVM_ASSIGN_EXPLAIN_H
#define KVM_ASSIGN_EXPLAIN_H

#include "ioctls.h"

struct explanation {
	const char *why;	/* the cause, in the kernel's terms */
	const char *todo;	/* what to do, or NULL */
	int exit_code;
	int rebind_hint;	/* todo wants the device's driver and address */
};

void explain(const struct ioctl_desc *io, int err, struct explanation *out);

/* The fixed words for ENOTTY, shared by every path that learns it. */
#define LACKS_SUPPORT_WHY "legacy device assignment left Linux in 4.12 (or CONFIG_KVM_DEVICE_ASSIGNMENT is off)"
#define LACKS_SUPPORT_TODO "use VFIO instead: bind the device to vfio-pci and give it to the VMM"

#endif
