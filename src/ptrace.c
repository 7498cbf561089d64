// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ptrace.c - one stopped thread of another process (x86_64): attaching,
 * waiting for its stops, its registers, signal mask, FPU state and memory.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "ptrace.h"
#include "procinfo.h"

#include <elf.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/wait.h>

#ifndef PTRACE_GETSIGMASK
#define PTRACE_GETSIGMASK 0x420a
#define PTRACE_SETSIGMASK 0x420b
#endif
#ifndef NT_X86_XSTATE
#define NT_X86_XSTATE 0x202
#endif

double ms_between(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) * 1e3 + (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

void tracee_set_deadline(struct tracee *t, int ms)
{
	clock_gettime(CLOCK_MONOTONIC, &t->deadline);
	t->deadline.tv_sec += ms / 1000;
	t->deadline.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (t->deadline.tv_nsec >= 1000000000L) {
		t->deadline.tv_sec++;
		t->deadline.tv_nsec -= 1000000000L;
	}
}

int tracee_seize(struct tracee *t)
{
	if (ptrace(PTRACE_SEIZE, t->tid, 0, PTRACE_O_TRACESYSGOOD) < 0)
		return -1;
	t->attached = true;
	t->stop = STOP_NONE;
	return 0;
}

/* waitpid by the deadline: spin briefly (a stop comes within microseconds,
 * and each one counts as time the VMM is held), then nap. */
static int wait_deadline(struct tracee *t, int *status)
{
	struct timespec now, spin_until, nap = { 0, 20000 };

	clock_gettime(CLOCK_MONOTONIC, &spin_until);
	spin_until.tv_nsec += 2000000L;
	for (;;) {
		pid_t r = waitpid(t->tid, status, __WALL | WNOHANG);

		if (r == t->tid)
			return 0;
		if (r < 0 && errno != EINTR)
			return -1;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (ms_between(&t->deadline, &now) >= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (ms_between(&spin_until, &now) < 0) {
			sched_yield();
			continue;
		}
		nanosleep(&nap, NULL);
		if (nap.tv_nsec < 1000000L)
			nap.tv_nsec *= 2;
	}
}

int tracee_wait(struct tracee *t)
{
	int status;

	for (;;) {
		if (wait_deadline(t, &status) < 0) {
			if (errno == ECHILD) {
				t->stop = STOP_EXITED;
				t->status = 0;
				errno = ESRCH;
			}
			return -1;
		}
		if (WIFEXITED(status) || WIFSIGNALED(status)) {
			t->stop = STOP_EXITED;
			t->status = status;
			t->attached = false;
			errno = ESRCH;
			return -1;
		}
		if (!WIFSTOPPED(status))
			continue;
		t->sig = WSTOPSIG(status);
		if (status >> 16 == PTRACE_EVENT_STOP) {
			/* a group stop carries its stop signal; our interrupt SIGTRAP */
			t->stop = t->sig == SIGSTOP || t->sig == SIGTSTP || t->sig == SIGTTIN ||
				  t->sig == SIGTTOU ? STOP_GROUP : STOP_EVENT;
		} else if (t->sig == (SIGTRAP | 0x80)) {
			t->stop = STOP_SYSCALL;
		} else if (status >> 16 == 0) {
			t->stop = STOP_SIGNAL;
		} else {
			/* an event we did not ask for: treat as an event stop */
			t->stop = STOP_EVENT;
		}
		return 0;
	}
}

int tracee_resume(struct tracee *t, int how, int sig)
{
	if (ptrace(how, t->tid, 0, (void *)(long)sig) < 0)
		return -1;
	t->stop = STOP_NONE;
	return 0;
}

int tracee_interrupt(struct tracee *t)
{
	if (ptrace(PTRACE_INTERRUPT, t->tid, 0, 0) < 0)
		return -1;
	for (;;) {
		if (tracee_wait(t) < 0)
			return -1;
		if (t->stop == STOP_EVENT || t->stop == STOP_GROUP)
			return 0;
		/* A signal or syscall stop came first: let it go its way. Any
		 * trap clears a pending interrupt (ptrace_stop), so ask again.
		 * (On 3.10.105 a tracer's death leaves TIF_SYSCALL_TRACE set,
		 * so the next tracer's first stop may be a syscall stop.) */
		if (ptrace(PTRACE_INTERRUPT, t->tid, 0, 0) < 0 ||
		    tracee_resume(t, PTRACE_CONT, t->stop == STOP_SIGNAL ? t->sig : 0) < 0)
			return -1;
	}
}

void tracee_detach(struct tracee *t)
{
	if (t->attached)
		ptrace(PTRACE_DETACH, t->tid, 0, 0);
	t->attached = false;
	t->stop = STOP_NONE;
}

int tracee_getregs(struct tracee *t, struct user_regs_struct *r)
{
	return ptrace(PTRACE_GETREGS, t->tid, 0, r) < 0 ? -1 : 0;
}

int tracee_setregs(struct tracee *t, const struct user_regs_struct *r)
{
	return ptrace(PTRACE_SETREGS, t->tid, 0, r) < 0 ? -1 : 0;
}

int tracee_getsigmask(struct tracee *t, unsigned long long *mask)
{
	if (!t->no_sigmask_requests) {
		if (ptrace(PTRACE_GETSIGMASK, t->tid, sizeof(*mask), mask) == 0)
			return 0;
		if (errno != EIO)
			return -1;
		t->no_sigmask_requests = true;	/* an unknown request: before 3.11 */
	}
	/* the same set (current->blocked), while the thread is stopped */
	return proc_thread_sigset(t->pid, t->tid, "SigBlk", mask);
}

int tracee_setsigmask(struct tracee *t, unsigned long long mask)
{
	if (t->no_sigmask_requests) {
		errno = EIO;
		return -1;
	}
	return ptrace(PTRACE_SETSIGMASK, t->tid, sizeof(mask), &mask) < 0 ? -1 : 0;
}

int tracee_getfpu(struct tracee *t, void *buf, size_t *len, bool *xsave)
{
	struct iovec iov = { buf, *len };

	if (ptrace(PTRACE_GETREGSET, t->tid, NT_X86_XSTATE, &iov) == 0) {
		*len = iov.iov_len;
		*xsave = true;
		return 0;
	}
	/* a CPU without XSAVE: the FXSAVE image is all there is */
	if (*len < sizeof(struct user_fpregs_struct) ||
	    ptrace(PTRACE_GETFPREGS, t->tid, 0, buf) < 0)
		return -1;
	*len = sizeof(struct user_fpregs_struct);
	*xsave = false;
	return 0;
}

int tracee_read(struct tracee *t, unsigned long addr, void *buf, size_t len)
{
	struct iovec local = { buf, len }, remote = { (void *)addr, len };
	ssize_t r = process_vm_readv(t->tid, &local, 1, &remote, 1, 0);

	if (r == (ssize_t)len)
		return 0;
	if (r >= 0)
		errno = EFAULT;
	return -1;
}

int tracee_write(struct tracee *t, unsigned long addr, const void *buf, size_t len)
{
	struct iovec local = { (void *)buf, len }, remote = { (void *)addr, len };
	ssize_t r = process_vm_writev(t->tid, &local, 1, &remote, 1, 0);

	if (r == (ssize_t)len)
		return 0;
	if (r >= 0)
		errno = EFAULT;
	return -1;
}
