/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * check.h - what the check command's parts share: the list of checked items
 * (OK/WARN/FAIL/SKIP, why, fix), the facts the verdict needs, and --sysroot.
 */
#ifndef KVM_ASSIGN_CHECK_H
#define KVM_ASSIGN_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "device.h"
#include "probe.h"
#include "sysfs.h"

enum check_status { CHECK_OK, CHECK_WARN, CHECK_FAIL, CHECK_SKIP };

struct check_item {
	const char *section;		/* "kvm", "iommu", "vfio", "device" */
	char name[24];			/* stable key: "dev_kvm", "bar0", ... */
	enum check_status status;
	char *value;			/* the fact, for scripts and tests; may be NULL */
	char *message;			/* one line: what was found and why it matters */
	char *fix;			/* the command that fixes it, or NULL */
};

struct check_run {
	struct sysfs_ctx sys;		/* --sysroot: sys.root is "" for the running system */
	bool probe;			/* open /dev/kvm and probe (never for a plain snapshot) */
	struct check_item *items;
	size_t n, cap;

	/* Facts for the verdict. */
	int kvm_exit;			/* 0, or KA_EXIT_UNSUPPORTED/PERMISSION/NO_KVM */
	bool device_given, device_absent;
	bool iommu_groups;		/* /sys/kernel/iommu_groups is populated */
	bool vfio_module, vfio_dev;	/* vfio-pci loaded, /dev/vfio/vfio present */
	char kernel[128];		/* release, "" when unknown */
	const struct probe *probe_result;	/* NULL when not probed */
	char device[PCI_ADDR_STRLEN];
};

/* Add an item; message is printf-style, value and fix may be NULL. */
void check_add(struct check_run *c, const char *section, const char *name,
	       enum check_status st, const char *value, const char *fix,
	       const char *fmt, ...) __attribute__((format(printf, 7, 8)));

void check_host(struct check_run *c);
void check_device(struct check_run *c, const struct pci_addr *a);

#endif
