/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * probe.h - does this kernel have legacy device assignment?  There is no
 * capability bit, so the only test is to try one on a VM of our own.
 */
#ifndef KVM_ASSIGN_PROBE_H
#define KVM_ASSIGN_PROBE_H

#define KVM_DEVICE "/dev/kvm"

enum probe_result {
	PROBE_SUPPORTED,	/* the probe ioctl exists (EINVAL for an unused id) */
	PROBE_UNSUPPORTED,	/* ENOTTY: kernel lacks support */
	PROBE_FAILED,		/* could not tell: see step and err */
};

struct probe {
	enum probe_result result;
	const char *step;	/* what was done last: "open /dev/kvm", ... */
	int err;		/* its errno (the probe ioctl's when it ran) */
	int api_version;	/* KVM_GET_API_VERSION, -1 if not reached */
};

/*
 * Open /dev/kvm, create a VM and issue KVM_DEASSIGN_PCI_DEVICE for an id
 * that cannot be assigned in it: ENOTTY means no support, EINVAL support.
 */
void probe_legacy_support(struct probe *p);
/* One line saying why the probe could not tell. */
const char *probe_failure_text(const struct probe *p, char *buf, size_t len);

#endif
