/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * status.h - gathering what the status command shows: the devices kvm-assign
 * detached, those on pci-stub or vfio-pci, those a VM holds, and the VMMs.
 */
#ifndef KVM_ASSIGN_STATUS_H
#define KVM_ASSIGN_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "detach.h"
#include "owner.h"
#include "sysfs.h"

#define STATUS_MAX_VMMS 64
#define STATUS_MAX_IRQS 64
#define STATUS_MAX_NEXT 2

/* A process holding a KVM VM fd: a VMM that may hold a device. */
struct status_vmm {
	pid_t pid;
	char comm[64];			/* /proc/PID/comm, "" if unreadable */
	int fds[MAX_VM_FDS];
	int nfds;
	char probe_why[256];		/* --probe could not ask it: why ("" when asked) */
};

/* One command a sysadmin may type next, and what it is for. */
struct status_next {
	char command[256];
	char purpose[128];
};

struct status_device {
	char addr[PCI_ADDR_STRLEN];
	bool present;			/* in /sys/bus/pci/devices */
	char driver[64];		/* "" for none */
	int record;			/* 1 a record, 0 none, -1 unusable */
	struct detach_record rec;
	char record_path[4200];
	char record_why[512];		/* record -1: why */
	int enable;			/* the enable count, -1 unreadable */
	unsigned irqs[STATUS_MAX_IRQS];	/* /proc/interrupts lines named kvm:ADDR */
	size_t nirqs;
	bool held;			/* enabled or interrupts routed, or the probe says so */
	int probe;			/* --probe: 1 a VM holds it, 0 none does, -1 not asked or unknown */
	pid_t holders[STATUS_MAX_VMMS];	/* --probe: the VMMs whose VM holds it */
	size_t nholders;
	struct status_next next[STATUS_MAX_NEXT];
	size_t nnext;
};

struct status_report {
	struct status_device *dev;
	size_t n;
	struct status_vmm vmm[STATUS_MAX_VMMS];
	size_t nvmm;
	unsigned unreadable;		/* processes whose fds could not be read */
};

struct status_request {
	const char *only;		/* one device (canonical address), or NULL for all */
	bool probe;			/* ask inside each VMM which devices its VM holds */
	int timeout_ms;			/* for each VMM's stop (--probe) */
	const uid_t *uids;		/* --probe acts only on VMMs of these owners */
	size_t nuids;
};

/* Fill rep; 0, or an exit status (KA_EXIT_NODEV: only names no device and no record). */
int status_gather(const struct sysfs_ctx *ctx, const struct status_request *req, struct status_report *rep);
void status_report_free(struct status_report *rep);

#endif
