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

/*
 * The process to act on, and how to know it is still the one that was
 * checked: once attached, a process cannot be replaced under its pid, so
 * these are proven after attaching and before anything is changed.
 */
struct inject_target {
	pid_t pid;
	int fd;                         /* its fd the ioctls use */
	unsigned long long start_time;  /* proc_start_time() when it was found; 0: none */
	int same_file;                  /* our fd that must be the same open file
	                                 * as fd (kcmp); -1: check the link instead */
	const char *fd_link;            /* what /proc/PID/fd/FD must link to; NULL: any */
	const uid_t *uids;              /* its owner must be one of these */
	size_t nuids;                   /* 0: any owner */
};

struct inject_report {
	pid_t tid;              /* the thread that ran the calls */
	double stopped_ms;      /* wall time it was held stopped */
	unsigned signals;       /* signals that arrived meanwhile, left pending */
	bool per_call;          /* fallback used: one ptrace round trip per call
	                         * (the target refused an executable scratch page) */
	int seccomp;            /* Seccomp: of /proc/PID/status when a call failed
	                         * with EPERM/EACCES/ENOSYS or the target died; else -1 */
	uid_t owner;            /* the target's uid (also when refused for it) */
};

/*
 * Run calls[0..n) as ioctl(tg->fd, ...) inside process tg->pid, in ONE stop
 * of one of its threads; stops at the first call that fails unless that call
 * has continue_on_error. timeout_ms <= 0 means 5000.
 *
 * The thread is never left in a state it cannot leave by itself: from the
 * first register change on, it holds an rt_sigreturn frame of its own state,
 * so if this process dies (SIGKILL included) the thread finishes the call in
 * progress and puts itself back (registers, signal mask, FPU state). Signals
 * are blocked while our calls run and stay pending. On a kernel without
 * PTRACE_SETSIGMASK (before 3.11) the thread blocks them, and later restores
 * its mask, by rt_sigprocmask run in it, taken at a system call entry so that
 * no signal is ever held at its delivery with our registers in it
 * (docs/kernel.md §2 gives the windows of both ways).
 *
 * Returns 0 when the batch ran (each call has ret/err; calls after a failure
 * have err ECANCELED, and why may hold a note such as a seccomp hint),
 * -1 when injection itself failed: errno set and a one-line reason in why.
 * errno EPERM with rep->owner set: the owner is not one of tg->uids.
 */
int inject_ioctls(const struct inject_target *tg, struct inject_call *calls, size_t n,
		  int timeout_ms, struct inject_report *rep, char *why, size_t whylen);

#endif
