/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * explain.h - why the kernel answered an ioctl with an errno, and what to
 * do about it: the table built from docs/kernel.md.
 */
#ifndef KVM_ASSIGN_EXPLAIN_H
#define KVM_ASSIGN_EXPLAIN_H

#include "ioctls.h"

/* Rows whose cause depends on the device: run.c looks closer. */
enum explain_detail {
	DETAIL_NONE,
	DETAIL_HOLDER,		/* EBUSY: a host driver, another VM or another id holds it */
	DETAIL_REFUSED_DEVICE,	/* EPERM: a bridge, no BARs, or no interrupt remapping */
};

struct explanation {
	const char *why;	/* the cause, in the kernel's terms */
	const char *todo;	/* what to do, or NULL */
	int exit_code;
	enum explain_detail detail;
};

void explain(const struct ioctl_desc *io, int err, struct explanation *out);

/* The errno a positive return stands for (0: a plain success). */
int explain_positive(const struct ioctl_desc *io, long ret);

/* The fixed words for ENOTTY, shared by every path that learns it. */
#define LACKS_SUPPORT_WHY "legacy device assignment left Linux in 4.12 (or CONFIG_KVM_DEVICE_ASSIGNMENT is off)"
#define LACKS_SUPPORT_TODO "use VFIO instead: bind the device to vfio-pci and give it to the VMM"

#endif
