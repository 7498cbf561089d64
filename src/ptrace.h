/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ptrace.h - one stopped thread of another process (x86_64): attaching,
 * waiting for its stops, its registers, signal mask, FPU state and memory.
 */
#ifndef KVM_ASSIGN_PTRACE_H
#define KVM_ASSIGN_PTRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/user.h>
#include <time.h>

/* What the last wait saw. */
enum stop_kind {
	STOP_NONE,		/* running, or never stopped */
	STOP_EVENT,		/* PTRACE_EVENT_STOP: our interrupt, inside get_signal() */
	STOP_GROUP,		/* PTRACE_EVENT_STOP of a group stop (SIGSTOP and kin) */
	STOP_SIGNAL,		/* signal-delivery stop of tracee.sig */
	STOP_SYSCALL,		/* syscall entry or exit stop */
	STOP_EXITED,		/* gone: tracee.status says how */
};

struct tracee {
	pid_t pid, tid;
	struct timespec deadline;
	bool attached;
	enum stop_kind stop;
	int sig;		/* STOP_SIGNAL, STOP_GROUP: the signal */
	int status;		/* STOP_EXITED: the wait status */
	bool no_sigmask_requests; /* the kernel lacks PTRACE_GETSIGMASK/SETSIGMASK
				   * (before 3.11: EIO, measured on 3.10.105) */
};

/* Deadline for every wait that follows: now + ms. */
void tracee_set_deadline(struct tracee *t, int ms);
/* PTRACE_SEIZE with PTRACE_O_TRACESYSGOOD; errno as ptrace's. */
int tracee_seize(struct tracee *t);
/* One stop, by the deadline: -1 with ETIMEDOUT, or ESRCH when it exited. */
int tracee_wait(struct tracee *t);
/* PTRACE_INTERRUPT, then wait until that event stop (signal stops meanwhile
 * are passed on: the thread is still the VMM's own then). */
int tracee_interrupt(struct tracee *t);
/* Resume with PTRACE_CONT or PTRACE_SYSCALL, delivering sig (0: none). */
int tracee_resume(struct tracee *t, int how, int sig);
void tracee_detach(struct tracee *t);

int tracee_getregs(struct tracee *t, struct user_regs_struct *r);
int tracee_setregs(struct tracee *t, const struct user_regs_struct *r);
/* The signal mask in force in the stopped thread (a temporary one of ppoll
 * and kin included): PTRACE_GETSIGMASK, or SigBlk of its /proc status where
 * the kernel lacks the request (then t->no_sigmask_requests is set). */
int tracee_getsigmask(struct tracee *t, unsigned long long *mask);
/* PTRACE_SETSIGMASK; EIO where the kernel lacks it: the thread must then
 * set its mask itself (rt_sigprocmask, run in it: src/inject.c). */
int tracee_setsigmask(struct tracee *t, unsigned long long mask);
/* The FPU/SSE/AVX state in the XSAVE layout a signal frame carries; *len is
 * its size. *xsave is false when only the 512-byte FXSAVE image exists. */
int tracee_getfpu(struct tracee *t, void *buf, size_t *len, bool *xsave);

int tracee_read(struct tracee *t, unsigned long addr, void *buf, size_t len);
int tracee_write(struct tracee *t, unsigned long addr, const void *buf, size_t len);

double ms_between(const struct timespec *a, const struct timespec *b);

#endif
