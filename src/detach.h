/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * detach.h - take a PCI device (and its IOMMU group) from its host driver to
 * pci-stub or vfio-pci through driver_override, record it, and give it back.
 */
#ifndef KVM_ASSIGN_DETACH_H
#define KVM_ASSIGN_DETACH_H

#include <stdbool.h>
#include <stddef.h>

#include "device.h"
#include "sysfs.h"

/* Where detach records what it changed; /run is emptied when the host boots. */
#define DETACH_RECORD_DIR "/run/kvm-assign"

/* One device detach or reattach handled: what the output reports. */
struct detach_entry {
	char addr[PCI_ADDR_STRLEN];
	char before[64];		/* driver before, "" for none */
	char after[64];			/* driver after (or that would be, with --dry-run) */
	bool changed;			/* writes were made (or would be) */
	bool recorded;			/* reattach: a record said what to restore */
	char note[512];			/* one line for the human output */
};

struct detach_report {
	struct detach_entry *e;
	size_t n;
	char why[2048];			/* the error line when the exit status is not 0 */
};

struct detach_request {
	const char *target;		/* "pci-stub", "vfio-pci" or "auto" */
	bool group;			/* move the IOMMU group's bound endpoints too */
	bool force;			/* detach even though the host uses it */
};

/* Is name a driver detach can move devices to (pci-stub, vfio-pci)? */
bool detach_target_valid(const char *name);
/* Does a device on drv ("" for none) count as off the host: none or a stub? */
bool detach_driver_off_host(const char *drv);

/*
 * Detach the device at addr (canonical "0000:03:00.0"): all or nothing.
 * Returns an exit status (exitcodes.h); rep->why says why when not 0.
 */
int detach_device(const struct sysfs_ctx *ctx, const char *addr, const struct detach_request *req,
		  struct detach_report *rep);
/* Give the device back (and, with group, the members detach recorded). */
int reattach_device(const struct sysfs_ctx *ctx, const char *addr, bool group, struct detach_report *rep);
void detach_report_free(struct detach_report *rep);

/* What detach recorded for a device: what reattach would restore. */
struct detach_record {
	char driver[64], override[64], target[64];
};
/* The record of addr: 1 read, 0 none, -1 unusable (why says what is wrong). */
int detach_record_read(const struct sysfs_ctx *ctx, const char *addr, struct detach_record *out,
		       char *why, size_t len);

/*
 * The advice for a device a host driver holds, for check's driver item and
 * for the EBUSY explanation: "kvm-assign detach [--driver=T] ADDR".
 * target NULL leaves the choice to detach (auto).
 */
void detach_advice(const char *addr, const char *target, char *buf, size_t len);

#endif
