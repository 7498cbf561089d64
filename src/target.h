/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * target.h - which assigned device a command acts on: DEVICE, --id, or
 * both, resolved to the id the kernel keys its list by.
 */
#ifndef KVM_ASSIGN_TARGET_H
#define KVM_ASSIGN_TARGET_H

#include <stdint.h>

#include "device.h"

enum lookup {
	LOOKUP_NONE,		/* the address only makes the id */
	LOOKUP_IF_PRESENT,	/* read its facts when it is there */
	LOOKUP_REQUIRED,	/* absent device: exit KA_EXIT_NODEV */
};

struct target {
	int have_device;
	struct pci_addr addr;
	struct device_info info;
	uint32_t id;
	char what[96];		/* "assign 0000:03:00.0" or "deassign id 0x300" */
};

struct source;

/* Syntax only, before anything else happens; returns 0 or a usage exit code. */
int target_parse(const struct source *src, const char *command, const char *device, const char *id,
		 struct target *t);
/* Look the device up as asked; returns 0 or an exit code. */
int target_lookup(const struct source *src, struct target *t, enum lookup how);

#endif
