/* SPDX-License-Identifier: GPL-2.0-or-later */
/* inject.h - run a batch of ioctls inside another process (the VMM)
 * through ptrace, because KVM accepts VM ioctls only from the VM's own mm. */
#ifndef KVM_ASSIGN_INJECT_H
#define KVM_ASSIGN_INJECT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct inject_call {
	unsigned long request;  /* ioctl request number */
	void *arg;              /* argument struct in OUR memory, copied into the
	                         * target and back; NULL = integer argument */
	size_t len;             /* its size (0 when arg == NULL) */
	unsigned long intarg;   /* the integer argument when arg == NULL */
	bool continue_on_error; /* run the next call even if this one fails */
	long ret;               /* out: the ioctl's return value, or -1 */
	int err;                /* out: errno in the target; ECANCELED = not run */
};

struct inject_report {
	pid_t tid;              /* the thread that ran the calls */
	double stopped_ms;      /* wall time it was held stopped */
	unsigned signals;       /* signals that arrived meanwhile, re-delivered */
	bool per_call;          /* fallback used: one ptrace round trip per call
	                         * (the target refused an executable scratch page) */
	int seccomp;            /* Seccomp: of /proc/PID/status when a call failed
	                         * with EPERM/EACCES/ENOSYS or the target died; else -1 */
};

/* Run calls[0..n) as ioctl(target_fd, ...) inside process pid, in ONE stop of
 * its main thread; stops at the first call that fails unless that call has
 * continue_on_error. timeout_ms <= 0 means 5000.
 * Returns 0 when the batch ran (each call has ret/err; calls after a failure
 * have err ECANCELED, and why may hold a note such as a seccomp hint),
 * -1 when injection itself failed: errno set and a one-line reason in why. */
int inject_ioctls(pid_t pid, int target_fd, struct inject_call *calls, size_t n,
		  int timeout_ms, struct inject_report *rep, char *why, size_t whylen);

#endif
