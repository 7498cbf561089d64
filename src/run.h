/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * run.h - a command's ioctls as a plan: shown by --dry-run, or issued on
 * the VM fd in order, each result reported (-v, --json) and explained.
 */
#ifndef KVM_ASSIGN_RUN_H
#define KVM_ASSIGN_RUN_H

#include <stddef.h>

#include "device.h"
#include "ioctls.h"

struct op {
	const struct ioctl_desc *io;
	union ioctl_arg arg;
	long ret;
	int err;
	int done;		/* issued (ret/err valid) */
};

struct plan {
	const char *command;
	char what[96];		/* message prefix: "assign 0000:03:00.0" */
	const struct device_info *dev;	/* for hints, may be NULL */
	const struct pci_addr *addr;	/* likewise */
	size_t n;
	struct op ops[1 + KVM_MAX_MSIX_PER_DEV];
};

void plan_init(struct plan *p, const char *command, const char *what);
union ioctl_arg *plan_add(struct plan *p, const struct ioctl_desc *io);
/* Issue the plan (or print it for --dry-run); returns the exit code. */
int plan_run(struct plan *p);

#endif
