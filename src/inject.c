// SPDX-License-Identifier: GPL-2.0-or-later
/* inject.c - run a batch of ioctls inside the VMM through ptrace: KVM's VM
 * ioctls answer EIO to any mm but the VM creator's, so they must run there. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "inject.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void say(char *why, size_t whylen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (!why || !whylen)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

#ifndef __x86_64__

int inject_ioctls(const struct inject_target *tg, struct inject_call *calls, size_t n,
		  int timeout_ms, struct inject_report *rep, char *why, size_t whylen)
{
	(void)tg; (void)calls; (void)n; (void)timeout_ms; (void)rep;
	say(why, whylen, "running ioctls inside another process is not supported on this "
	    "architecture (the legacy assignment ioctls only existed on x86)");
	errno = ENOTSUP;
	return -1;
}

#else /* __x86_64__ */

#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/kcmp.h>

#include "procinfo.h"
#include "ptrace.h"
#include "sigframe.h"

#define DEFAULT_TIMEOUT_MS 5000
#define CLEANUP_GRACE_MS 1000   /* extra time to put the target back after a timeout */
#define BUSY_RETRY_US 2000      /* another kvm-assign holds the target: try again */
#define DYING_POLLS 200         /* ms to see a thread that stopped answering die */

/* The kernel-internal codes that make it restart an interrupted call. */
#define ERESTARTSYS 512
#define ERESTARTNOINTR 513
#define ERESTARTNOHAND 514
#define ERESTART_RESTARTBLOCK 516

#define USER_CS_64 0x33          /* __USER_CS: a 64-bit code segment */
#define ALL_SIGNALS (~0ULL)      /* the kernel keeps SIGKILL and SIGSTOP out */

/*
 * The scratch page. Code first; then the words the stub and we share; then
 * the call table, one { request, arg, ret, continue_on_error } per call; then
 * each argument struct.
 */
#define PAGE_DONE 0x100         /* u32: the stub set it: results are in */
#define PAGE_LEN 0x108          /* u64: the page's length, for munmap */
#define PAGE_GADGET 0x110       /* u64: the way back's "syscall; ret" */
#define PAGE_TS 0x118           /* struct timespec: the stub's nap */
#define PAGE_NAPS 0x128         /* u32: naps left before it leaves anyway */
#define STUB_AREA 0x140         /* the table starts here */
#define NAP_MS 10
#define NOT_RUN INT64_MIN       /* a table entry's ret before the stub runs it */

/*
 * The loop that runs in the target. Registers on entry: rbx = call table,
 * r12 = its end, r13 = fd, r14 = our pid, r15 = the page; rsp = the way
 * back's frame (sigframe.c). It runs the calls, sets DONE, then naps until we
 * are gone (kill(r14, 0) says ESRCH) or its naps run out; then it unmaps its
 * own page from the gadget, whose `ret` leads to rt_sigreturn: the thread is
 * back as it was, whether or not we are still there. We catch it after DONE,
 * read the results, unmap the page and put it back ourselves (exactly, with
 * the kernel's restart of an interrupted call) before it gets that far.
 */
__asm__(
	".pushsection .rodata.kvm_assign_inject_stub, \"a\"\n"
	"kvm_assign_inject_stub:\n"
	"1:	cmp %r12, %rbx\n"
	"	jae 2f\n"
	"	mov $16, %eax\n"          /* __NR_ioctl */
	"	mov %r13, %rdi\n"
	"	mov (%rbx), %rsi\n"
	"	mov 8(%rbx), %rdx\n"
	"	syscall\n"
	"	mov %rax, 16(%rbx)\n"
	"	add $32, %rbx\n"
	"	cmp $-4095, %rax\n"       /* -4095..-1 is an errno */
	"	jb 1b\n"
	"	cmpq $0, -8(%rbx)\n"
	"	jne 1b\n"
	"2:	movl $1, 0x100(%r15)\n"   /* PAGE_DONE */
	"3:	subl $1, 0x128(%r15)\n"   /* PAGE_NAPS */
	"	jc 4f\n"
	"	movq $0, 0x118(%r15)\n"   /* PAGE_TS: 10 ms */
	"	movq $10000000, 0x120(%r15)\n"
	"	mov $271, %eax\n"         /* __NR_ppoll(NULL, 0, ts, NULL, 8) */
	"	xor %edi, %edi\n"
	"	xor %esi, %esi\n"
	"	lea 0x118(%r15), %rdx\n"
	"	xor %r10d, %r10d\n"
	"	mov $8, %r8d\n"
	"	syscall\n"
	"	mov $62, %eax\n"          /* __NR_kill(us, 0) */
	"	mov %r14, %rdi\n"
	"	xor %esi, %esi\n"
	"	syscall\n"
	"	cmp $-3, %rax\n"          /* -ESRCH: we are gone */
	"	jne 3b\n"
	"4:	mov $11, %eax\n"          /* __NR_munmap(page, len) at the gadget */
	"	mov %r15, %rdi\n"
	"	mov 0x108(%r15), %rsi\n"
	"	mov 0x110(%r15), %rcx\n"
	"	jmp *%rcx\n"
	"kvm_assign_inject_stub_end:\n"
	".popsection\n");
extern const unsigned char kvm_assign_inject_stub[], kvm_assign_inject_stub_end[];

struct stub_entry {
	uint64_t request, arg;
	int64_t ret;
	uint64_t continue_on_error;
};
_Static_assert(sizeof(struct stub_entry) == 32, "the stub steps through 32-byte entries");

/* How far the thread has been taken from its own state, in order. */
enum phase {
	PH_DETACHED,    /* not attached (or let go) */
	PH_HELD,        /* stopped, nothing changed: letting go is enough */
	PH_ARMED,       /* its registers run a call at the gadget, then rt_sigreturn */
	PH_MAPPED,      /* ... and the scratch page exists */
	PH_RUNNING,     /* the stub runs in it */
	PH_UNMAPPED,    /* page gone, the way back still armed */
	PH_RESTORED,    /* registers and signal mask are its own again */
};

struct injection {
	const struct inject_target *tg;
	struct inject_call *calls;
	size_t n;
	int timeout_ms;
	struct inject_report *rep;
	char *why;
	size_t whylen;

	struct tracee t;
	enum phase phase;
	struct way_back wb;
	struct user_regs_struct entry;  /* where we took it: registers at that stop */
	bool at_entry;                  /* that stop is a system call entry (else get_signal) */
	struct user_regs_struct own;    /* its own state, as rt_sigreturn puts it back */
	struct user_regs_struct exact;  /* the same, for us to put back at a get_signal()
	                                 * stop: the kernel then restarts an interrupted
	                                 * call itself, restart_syscall included */
	unsigned long long own_mask;
	bool blocked;                   /* every signal blocked (the mask set by ptrace,
	                                 * or rt_sigprocmask returned 0 in the thread) */
	unsigned long page;
	size_t page_len;
	unsigned char *buf;             /* our copy of the page from STUB_AREA on */
	size_t ran;
	struct timespec held_from, held_to;
	int ret, err;
};

/* ---- small helpers ---------------------------------------------------- */

static size_t align_up(size_t v, size_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static size_t arg_offset(const struct inject_call *calls, size_t n, size_t i)
{
	size_t off = align_up(STUB_AREA + n * sizeof(struct stub_entry), 16);

	for (size_t k = 0; k < i; k++)
		off += align_up(calls[k].len, 16);
	return off;
}

/* Record the failure of a step: errno, and the reason unless one was said. */
static int fail(struct injection *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct injection *j, const char *fmt, ...)
{
	int e = errno;
	va_list ap;

	if (!j->why[0]) {
		va_start(ap, fmt);
		vsnprintf(j->why, j->whylen, fmt, ap);
		va_end(ap);
	}
	j->err = e ? e : EIO;
	errno = j->err;
	return -1;
}

static void explain_gone(struct injection *j)
{
	int st = j->t.status;

	if (WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS)
		say(j->why, j->whylen, "process %d was killed by SIGSYS during the injected "
		    "call: its seccomp filter (Seccomp: %d) forbids it", j->tg->pid, j->rep->seccomp);
	else if (WIFSIGNALED(st))
		say(j->why, j->whylen, "process %d exited during the injection (killed by "
		    "signal %d, %s)", j->tg->pid, WTERMSIG(st), strsignal(WTERMSIG(st)));
	else if (WIFEXITED(st))
		say(j->why, j->whylen, "process %d exited during the injection (status %d)",
		    j->tg->pid, WEXITSTATUS(st));
	else
		say(j->why, j->whylen, "process %d went away during the injection", j->tg->pid);
}

/* ---- attaching: only to the process that was checked ----------------- */

/* Another kvm-assign already holds it: wait for our turn, by the deadline.
 * (Its tracer may let go between our refusal and our look: try again.) */
static int seize_in_turn(struct injection *j)
{
	struct tracee *t = &j->t;
	char comm[32];
	int untraced_refusals = 0;

	for (;;) {
		struct timespec now;
		long tracer;

		if (tracee_seize(t) == 0)
			return 0;
		if (errno != EPERM)
			break;
		tracer = proc_status_field(j->tg->pid, "TracerPid");
		if (tracer > 0) {
			proc_comm((pid_t)tracer, comm, sizeof(comm));
			/* "?": that tracer is gone already */
			if (strcmp(comm, "kvm-assign") != 0 && strcmp(comm, "?") != 0) {
				errno = EPERM;
				break;
			}
			untraced_refusals = 0;
		} else if (++untraced_refusals == 3) {
			errno = EPERM;
			break;	/* refused for another reason: say which */
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (ms_between(&t->deadline, &now) >= 0) {
			say(j->why, j->whylen, "process %d is in the hands of another kvm-assign "
			    "(pid %ld), which did not finish within %d ms", j->tg->pid, tracer,
			    j->timeout_ms);
			errno = EBUSY;
			return fail(j, "busy");
		}
		usleep(BUSY_RETRY_US);
	}
	if (errno == EPERM)
		errno = proc_explain_eperm(j->tg->pid, t->tid, j->why, j->whylen);
	else if (errno == ESRCH)
		say(j->why, j->whylen, "no process %d", j->tg->pid);
	return fail(j, "cannot attach to process %d: %s", j->tg->pid, strerror(errno));
}

/*
 * Held, nothing changed yet: is it the process that was found? Its pid cannot
 * be reused while we hold it, so this settles it: the same start time, the
 * same VM (the same open file, or a VM fd at that number), an owner we act for.
 */
static int verify_target(struct injection *j)
{
	const struct inject_target *tg = j->tg;
	char path[64], link[64];
	ssize_t len;
	long uid;

	if (tg->start_time && proc_start_time(tg->pid) != tg->start_time) {
		errno = ESRCH;
		return fail(j, "process %d is not the one that was checked: its start time "
			    "changed (the pid was reused)", tg->pid);
	}
	uid = proc_status_field(tg->pid, "Uid");
	j->rep->owner = (uid_t)uid;
	if (uid < 0) {
		errno = ESRCH;
		return fail(j, "process %d: cannot read its owner", tg->pid);
	}
	if (tg->nuids) {
		size_t i;

		for (i = 0; i < tg->nuids && tg->uids[i] != (uid_t)uid; i++)
			;
		if (i == tg->nuids) {
			errno = EPERM;
			return fail(j, "process %d runs as uid %ld, neither root, you nor the socket's "
				    "peer: refusing to act on its VM unless --owner=%ld says so",
				    tg->pid, uid, uid);
		}
	}
	if (tg->same_file >= 0) {
		if (syscall(SYS_kcmp, getpid(), tg->pid, KCMP_FILE, tg->same_file, tg->fd) != 0) {
			errno = ESRCH;
			return fail(j, "process %d no longer holds this VM as fd %d", tg->pid, tg->fd);
		}
	} else if (tg->fd_link) {
		snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)tg->pid, tg->fd);
		len = readlink(path, link, sizeof(link) - 1);
		if (len < 0 || (size_t)len != strlen(tg->fd_link) || memcmp(link, tg->fd_link, (size_t)len)) {
			errno = ESRCH;
			return fail(j, "process %d: fd %d is no longer a KVM VM", tg->pid, tg->fd);
		}
	}
	return 0;
}

/*
 * A blocking call with a timeout (accept/recv with SO_RCVTIMEO, epoll_wait,
 * semtimedop, io_getevents) answers our stop with a bare -EINTR, which the
 * VMM would see as if a signal had come. For calls that did nothing when they
 * fail so, we record -ERESTARTSYS instead: the kernel then restarts them
 * (their timeout starts again). Not close(), connect() and the like, where
 * EINTR still means "it happened". Safe to let go right after: that is the
 * kernel's own restart.
 */
static bool adopt_restart_semantics(struct user_regs_struct *r)
{
	static const long restartable[] = {
		SYS_read, SYS_readv, SYS_write, SYS_writev, SYS_recvfrom, SYS_recvmsg,
		SYS_recvmmsg, SYS_sendto, SYS_sendmsg, SYS_accept, SYS_accept4,
		SYS_epoll_wait, SYS_epoll_pwait, SYS_epoll_pwait2, SYS_io_getevents,
		SYS_semop, SYS_semtimedop,
	};

	if ((long)r->rax != -EINTR || (long)r->orig_rax < 0)
		return false;
	for (size_t i = 0; i < sizeof(restartable) / sizeof(restartable[0]); i++)
		if ((long)r->orig_rax == restartable[i]) {
			r->rax = (unsigned long)-ERESTARTSYS;
			return true;
		}
	return false;
}

/* Calls that put a temporary signal mask in force until they return: while
 * the thread is stopped inside one, ptrace shows that mask, not its own. */
static bool temporary_mask(const struct user_regs_struct *r)
{
	long nr = (long)r->orig_rax;

	return (nr == SYS_ppoll && r->r10) || (nr == SYS_pselect6 && r->r9) ||
	       (nr == SYS_epoll_pwait && r->r8) || (nr == SYS_epoll_pwait2 && r->r8) ||
	       nr == SYS_rt_sigsuspend;
}

static bool is_restart_code(long rax)
{
	return rax == -ERESTARTSYS || rax == -ERESTARTNOINTR || rax == -ERESTARTNOHAND ||
	       rax == -ERESTART_RESTARTBLOCK;
}

/*
 * From our interrupt to the entry of the thread's next system call: there
 * its whole state is plain, no temporary signal mask in force. An interrupted
 * call is restarted by the kernel on the way, so that is immediate for a VMM
 * waiting in ppoll. Signals met on the way are delivered: the thread is
 * still the VMM's own.
 */
static int reach_syscall_entry(struct injection *j)
{
	struct tracee *t = &j->t;
	unsigned char insn[2];

	if (tracee_resume(t, PTRACE_SYSCALL, 0) < 0)
		return fail(j, "cannot resume the thread");
	for (;;) {
		if (tracee_wait(t) < 0) {
			if (errno == ETIMEDOUT)
				say(j->why, j->whylen, "thread %d of process %d made no system call "
				    "within %d ms (state %c); nothing was changed", t->tid,
				    j->tg->pid, j->timeout_ms, proc_thread_state(j->tg->pid, t->tid));
			return fail(j, "waiting for a system call");
		}
		if (t->stop == STOP_SYSCALL)
			break;
		if (t->stop == STOP_GROUP) {
			errno = EAGAIN;
			return fail(j, "process %d was stopped (%s) meanwhile; nothing was changed: "
				    "try again once it runs", j->tg->pid, strsignal(t->sig));
		}
		if (tracee_resume(t, PTRACE_SYSCALL, t->stop == STOP_SIGNAL ? t->sig : 0) < 0)
			return fail(j, "cannot resume the thread");
	}
	/* After an event stop the first system call stop is always an entry. */
	if (tracee_getregs(t, &j->entry) < 0)
		return fail(j, "cannot read registers");
	if (tracee_read(t, j->entry.rip - 2, insn, 2) < 0 || insn[0] != 0x0f || insn[1] != 0x05) {
		errno = ENOEXEC;
		return fail(j, "process %d entered a system call other than by the syscall "
			    "instruction", j->tg->pid);
	}
	/* Its own state: about to make that call. */
	j->at_entry = true;
	j->own = j->entry;
	j->own.rip -= 2;
	j->own.rax = j->entry.orig_rax;
	j->own.orig_rax = (unsigned long)-1;
	j->exact = j->own;
	return 0;
}

/*
 * Take the thread where our interrupt stopped it (inside get_signal()), or,
 * when a call with a temporary signal mask is in force there, at its next
 * system call entry. Sets its own state and mask; changes nothing but the
 * kernel's own restart decision (adopt_restart_semantics).
 */
static int take_thread(struct injection *j)
{
	struct tracee *t = &j->t;
	struct user_regs_struct *r = &j->entry;

	if (tracee_getregs(t, r) < 0)
		return fail(j, "cannot read registers");
	if (r->cs != USER_CS_64) {
		errno = ENOEXEC;
		return fail(j, "process %d is not a 64-bit process", j->tg->pid);
	}
	if (adopt_restart_semantics(r) && tracee_setregs(t, r) < 0)
		return fail(j, "cannot write registers");
	/* also learns whether the kernel has PTRACE_GETSIGMASK/SETSIGMASK */
	if (tracee_getsigmask(t, &j->own_mask) < 0)
		return fail(j, "cannot read the signal mask");
	if (temporary_mask(r) || t->no_sigmask_requests) {
		/* Without PTRACE_SETSIGMASK the thread blocks signals itself, by
		 * a call substituted at an entry: nothing is delivered between
		 * a syscall entry stop and the call, so no signal can be held at
		 * its delivery with our registers in the thread (arm). */
		if (reach_syscall_entry(j) < 0)
			return -1;
	} else {
		/* Here, its own mask is in force: take it now, before any signal
		 * can come and be held at its delivery (a signal held so is lost
		 * if we die then: the kernel drops it with its tracer). */
		j->at_entry = false;
		j->exact = *r;
		j->own = *r;
		j->own.orig_rax = (unsigned long)-1;
		if ((long)r->orig_rax >= 0 && is_restart_code((long)r->rax)) {
			unsigned char insn[2];

			/* what the kernel would do on its way back: make the call again */
			if (tracee_read(t, r->rip - 2, insn, 2) < 0 || insn[0] != 0x0f || insn[1] != 0x05) {
				errno = ENOEXEC;
				return fail(j, "process %d is in a system call not entered by the "
					    "syscall instruction", j->tg->pid);
			}
			/* The kernel would make the call again, or go on through
			 * restart_syscall with what it kept of it; rt_sigreturn forgets
			 * that (restart_syscall would answer EINTR), so on the way back
			 * the call is made again from its start: a relative sleep or
			 * timeout starts over. Only a restarted restart is left to EINTR. */
			j->own.rip -= 2;
			j->own.rax = r->orig_rax;
		}
		return 0;
	}
	if (tracee_getsigmask(t, &j->own_mask) < 0)
		return fail(j, "cannot read the signal mask");
	return 0;
}

/* ---- arming the way back, mapping the scratch page -------------------- */

static int next_syscall_stop(struct injection *j);

/*
 * A kernel without PTRACE_SETSIGMASK (before 3.11): at the system call entry
 * where take_thread left it, the call becomes rt_sigprocmask(SIG_SETMASK,
 * every signal), returning to the gadget's ret, so to rt_sigreturn. No signal
 * is delivered between an entry stop and its call, and none is delivered
 * after it, so none is ever held at its delivery with our registers in the
 * thread; if we die at any instant from here on, the call (ours or its own)
 * completes and rt_sigreturn puts back its registers and its own mask, and
 * whatever came meanwhile is pending then, delivered as it would have been.
 */
static int block_by_call(struct injection *j)
{
	long args[6] = { SIG_SETMASK, (long)j->wb.all_mask, 0, sizeof(unsigned long long), 0, 0 };
	struct user_regs_struct r = way_back_call(&j->wb, &j->entry, SYS_rt_sigprocmask, args);

	r.orig_rax = SYS_rt_sigprocmask;
	r.rip = j->wb.gadget + 2;
	if (tracee_setregs(&j->t, &r) < 0)
		return fail(j, "cannot write registers");
	j->phase = PH_ARMED;
	if (next_syscall_stop(j) < 0 || tracee_getregs(&j->t, &r) < 0)
		return fail(j, "cannot block signals");
	if ((long)r.rax != 0) {
		errno = (long)r.rax < 0 && (long)r.rax > -4096 ? (int)-(long)r.rax : EPROTO;
		return fail(j, "cannot block signals in process %d: rt_sigprocmask: %s",
			    j->tg->pid, strerror(errno));
	}
	j->blocked = true;
	return 0;
}

static int arm(struct injection *j)
{
	static unsigned char fpu[16384] __attribute__((aligned(64)));
	struct tracee *t = &j->t;
	long args[6] = { 0, (long)j->page_len, PROT_READ | PROT_WRITE | PROT_EXEC,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0 };
	struct user_regs_struct r;
	size_t fpu_len = sizeof(fpu);
	bool xsave;

	if (tracee_getfpu(t, fpu, &fpu_len, &xsave) < 0)
		return fail(j, "cannot read the FPU state");
	if (way_back_write(t, &j->wb, &j->own, j->own_mask, fpu, fpu_len, xsave) < 0)
		return fail(j, "cannot write the way back on its stack");
	/* The call that maps the scratch page, then rt_sigreturn: from here on,
	 * letting go means exactly that. At a system call entry the call about
	 * to be made becomes the mmap, returning to the gadget's ret. */
	r = way_back_call(&j->wb, &j->entry, SYS_mmap, args);
	if (j->at_entry) {
		r.orig_rax = SYS_mmap;
		r.rip = j->wb.gadget + 2;
	}
	if (t->no_sigmask_requests)
		return block_by_call(j);
	if (tracee_setregs(t, &r) < 0)
		return fail(j, "cannot write registers");
	j->phase = PH_ARMED;
	/* Signals now wait, pending, until rt_sigreturn or we put its mask back. */
	if (tracee_setsigmask(t, ALL_SIGNALS) < 0)
		return fail(j, "cannot block signals");
	j->blocked = true;
	return 0;
}

/* Resume to the next system call stop; signal stops on the way (a fault
 * only: everything else is blocked) end the injection. */
static int next_syscall_stop(struct injection *j)
{
	struct tracee *t = &j->t;

	for (;;) {
		if (tracee_resume(t, PTRACE_SYSCALL, 0) < 0 || tracee_wait(t) < 0)
			return -1;
		if (t->stop == STOP_SYSCALL)
			return 0;
		if (t->stop == STOP_SIGNAL) {
			errno = EFAULT;
			say(j->why, j->whylen, "the injected code met %s in process %d",
			    strsignal(t->sig), j->tg->pid);
			return -1;
		}
		/* a group stop: override it (detaching reinstates it) */
	}
}

/* One system call at the gadget, from a syscall exit stop: entry, exit, result. */
static int call_at_gadget(struct injection *j, long nr, const long args[6], long *ret)
{
	struct user_regs_struct r = way_back_call(&j->wb, &j->entry, nr, args);

	if (tracee_setregs(&j->t, &r) < 0 || next_syscall_stop(j) < 0 ||
	    next_syscall_stop(j) < 0 || tracee_getregs(&j->t, &r) < 0)
		return -1;
	*ret = (long)r.rax;
	return 0;
}

static int map_page(struct injection *j)
{
	struct user_regs_struct r;
	long ret;

	if (j->t.no_sigmask_requests) {
		/* from rt_sigprocmask's exit stop (block_by_call) */
		long args[6] = { 0, (long)j->page_len, PROT_READ | PROT_WRITE | PROT_EXEC,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0 };

		if (call_at_gadget(j, SYS_mmap, args, &ret) < 0)
			return fail(j, "cannot map a scratch page");
	} else {
		/* to the mmap's exit stop: at the gadget, or substituted at an entry */
		if ((!j->at_entry && next_syscall_stop(j) < 0) || next_syscall_stop(j) < 0 ||
		    tracee_getregs(&j->t, &r) < 0)
			return fail(j, "cannot map a scratch page");
		ret = (long)r.rax;
	}
	if (ret == -EACCES || ret == -EPERM) {
		/* W^X policy (PR_SET_MDWE, SELinux execmem): data only, one stop per call */
		long args[6] = { 0, (long)j->page_len, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0 };

		j->rep->per_call = true;
		if (call_at_gadget(j, SYS_mmap, args, &ret) < 0)
			return fail(j, "cannot map a scratch page");
	}
	if (ret < 0 && ret > -4096) {
		errno = (int)-ret;
		return fail(j, "cannot map a scratch page in process %d: mmap: %s", j->tg->pid,
			    strerror(errno));
	}
	j->page = (unsigned long)ret;
	j->phase = PH_MAPPED;
	return 0;
}

/* ---- running the calls ------------------------------------------------ */

static int write_page(struct injection *j)
{
	unsigned char *page = calloc(1, j->page_len);
	uint64_t len = j->page_len, gadget = j->wb.gadget;
	uint32_t naps = (uint32_t)((j->timeout_ms + CLEANUP_GRACE_MS) / NAP_MS);
	int rc;

	if (!page)
		return fail(j, "out of memory");
	memcpy(page, kvm_assign_inject_stub,
	       (size_t)(kvm_assign_inject_stub_end - kvm_assign_inject_stub));
	memcpy(page + PAGE_LEN, &len, sizeof(len));
	memcpy(page + PAGE_GADGET, &gadget, sizeof(gadget));
	memcpy(page + PAGE_NAPS, &naps, sizeof(naps));
	for (size_t i = 0; i < j->n; i++) {
		struct stub_entry e = {
			.request = j->calls[i].request,
			.ret = NOT_RUN,
			.continue_on_error = j->calls[i].continue_on_error,
		};
		size_t off = arg_offset(j->calls, j->n, i);

		e.arg = j->calls[i].arg ? j->page + off : j->calls[i].intarg;
		memcpy(page + STUB_AREA + i * sizeof(e), &e, sizeof(e));
		if (j->calls[i].arg)
			memcpy(page + off, j->calls[i].arg, j->calls[i].len);
	}
	memcpy(j->buf, page + STUB_AREA, j->page_len - STUB_AREA);
	rc = tracee_write(&j->t, j->page, page, j->page_len);
	free(page);
	return rc < 0 ? fail(j, "cannot write the scratch page") : 0;
}

static void take_results(struct injection *j)
{
	for (size_t i = 0; i < j->n; i++) {
		struct stub_entry e;
		bool failed;

		memcpy(&e, j->buf + i * sizeof(e), sizeof(e));
		if (e.ret == NOT_RUN)
			break;
		failed = e.ret < 0 && e.ret > -4096;
		j->calls[i].ret = failed ? -1 : e.ret;
		j->calls[i].err = failed ? (int)-e.ret : 0;
		if (j->calls[i].arg)
			memcpy(j->calls[i].arg, j->buf + arg_offset(j->calls, j->n, i) - STUB_AREA,
			       j->calls[i].len);
		j->ran = i + 1;
	}
}

/* No executable page: the same calls, one ptrace round trip each. */
static int run_per_call(struct injection *j)
{
	for (size_t i = 0; i < j->n; i++) {
		struct stub_entry *e = (struct stub_entry *)(j->buf + i * sizeof(*e));
		long args[6] = { j->tg->fd, (long)e->request, (long)e->arg, 0, 0, 0 };

		if (call_at_gadget(j, SYS_ioctl, args, &e->ret) < 0)
			return fail(j, "running the calls failed");
		if (e->ret < 0 && e->ret > -4096 && !e->continue_on_error)
			break;
	}
	if (tracee_read(&j->t, j->page + STUB_AREA + j->n * sizeof(struct stub_entry),
			j->buf + j->n * sizeof(struct stub_entry),
			j->page_len - STUB_AREA - j->n * sizeof(struct stub_entry)) < 0)
		return fail(j, "cannot read the results back");
	take_results(j);
	return 0;
}

/* The stub: let it run, and catch it once DONE to read the results. */
static int run_stub(struct injection *j)
{
	struct tracee *t = &j->t;
	struct user_regs_struct r = j->entry;
	uint32_t done = 0;
	struct timespec now, nap = { 0, 20000 };

	r.rip = j->page;
	r.rsp = j->wb.frame;
	r.orig_rax = (unsigned long)-1;
	r.rbx = j->page + STUB_AREA;
	r.r12 = j->page + STUB_AREA + j->n * sizeof(struct stub_entry);
	r.r13 = (unsigned long)j->tg->fd;
	r.r14 = (unsigned long)getpid();
	r.r15 = j->page;
	if (tracee_setregs(t, &r) < 0 || tracee_resume(t, PTRACE_CONT, 0) < 0)
		return fail(j, "cannot start the calls");
	j->phase = PH_RUNNING;
	for (;;) {
		int status;
		pid_t w = waitpid(t->tid, &status, __WALL | WNOHANG);

		if (w == t->tid) {
			if (WIFEXITED(status) || WIFSIGNALED(status)) {
				t->stop = STOP_EXITED;
				t->status = status;
				t->attached = false;
				errno = ESRCH;
				return fail(j, "process went away");
			}
			/* a group stop: override it (detaching reinstates it) */
			if (WIFSTOPPED(status) && (status >> 16) == PTRACE_EVENT_STOP) {
				tracee_resume(t, PTRACE_CONT, 0);
				continue;
			}
			/* everything else is blocked: a fault in the injected code */
			t->stop = STOP_SIGNAL;
			t->sig = WSTOPSIG(status);
			errno = EFAULT;
			return fail(j, "the injected code met %s in process %d", strsignal(t->sig),
				    j->tg->pid);
		}
		if (tracee_read(t, j->page + PAGE_DONE, &done, sizeof(done)) == 0 && done)
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (ms_between(&t->deadline, &now) >= 0) {
			errno = ETIMEDOUT;
			return fail(j, "the calls did not finish within %d ms", j->timeout_ms);
		}
		nanosleep(&nap, NULL);
	}
	if (tracee_interrupt(t) < 0)
		return fail(j, "cannot stop the thread after the calls");
	if (tracee_read(t, j->page + STUB_AREA, j->buf, j->page_len - STUB_AREA) < 0)
		return fail(j, "cannot read the results back");
	take_results(j);
	return 0;
}

/* ---- putting it back -------------------------------------------------- */

/* Is the thread still on our side of the way back (the page, the gadget,
 * the restorer)?  If not, the stub ran out of naps and it put itself back. */
static bool still_ours(struct injection *j)
{
	struct user_regs_struct r;
	unsigned long ip;

	if (tracee_getregs(&j->t, &r) < 0)
		return false;
	ip = r.rip;
	return (ip >= j->page && ip < j->page + j->page_len) ||
	       (ip >= j->wb.gadget && ip <= j->wb.gadget + 3) ||
	       (ip >= j->wb.restorer && ip <= j->wb.restorer + 9);
}

/*
 * A kernel without PTRACE_SETSIGMASK: from a syscall exit or get_signal()
 * stop with every signal blocked, rt_sigprocmask(SIG_SETMASK, its own mask,
 * read from the way back's frame) at the gadget; our interrupt, asked for
 * before that call's entry stop is left, stops it in get_signal() on the way
 * out, before any signal is dequeued (the kernel serves a trap first): there
 * its own registers go back, exactly. If we die between the call and that
 * stop, a pending signal is delivered to the thread at the gadget (its
 * handler runs, and returns there), then rt_sigreturn puts it back: nothing
 * is lost, the VMM's own call is made afresh. Anything unexpected leaves it
 * to the way back.
 */
static void restore_by_call(struct injection *j)
{
	long args[6] = { SIG_SETMASK, (long)j->wb.own_mask, 0, sizeof(unsigned long long), 0, 0 };
	struct user_regs_struct r = way_back_call(&j->wb, &j->entry, SYS_rt_sigprocmask, args);
	struct tracee *t = &j->t;

	if (!j->blocked || (t->stop != STOP_SYSCALL && t->stop != STOP_EVENT))
		return;		/* not from an entry stop: only the way back is exact */
	if (tracee_setregs(t, &r) < 0 || next_syscall_stop(j) < 0 ||
	    ptrace(PTRACE_INTERRUPT, t->tid, 0, 0) < 0 || tracee_resume(t, PTRACE_CONT, 0) < 0)
		return;
	while (tracee_wait(t) == 0 && t->stop != STOP_EVENT && t->stop != STOP_GROUP)
		if (tracee_resume(t, PTRACE_CONT, t->stop == STOP_SIGNAL ? t->sig : 0) < 0)
			return;
	if ((t->stop != STOP_EVENT && t->stop != STOP_GROUP) || tracee_getregs(t, &r) < 0 ||
	    r.rip != j->wb.gadget + 2 || r.rax != 0)
		return;
	if (tracee_setregs(t, &j->exact) < 0)
		return;
	j->phase = PH_RESTORED;
}

/*
 * From any stop after the way back was armed: unmap the page if it is there,
 * then, at a stop inside get_signal(), its own registers (the call it was
 * about to make, made afresh) and signal mask. Any failure leaves the way
 * back armed, so letting go is still safe: the thread restores itself.
 */
static void put_back(struct injection *j)
{
	struct tracee *t = &j->t;
	long ret;

	if (j->phase < PH_ARMED || t->stop == STOP_EXITED || !t->attached)
		return;
	if (t->stop == STOP_NONE && tracee_interrupt(t) < 0)
		return;
	if (j->phase == PH_RUNNING && !still_ours(j)) {
		j->phase = PH_HELD;	/* it is its own again: only let go */
		return;
	}
	if (j->phase == PH_MAPPED || j->phase == PH_RUNNING) {
		long args[6] = { (long)j->page, (long)j->page_len, 0, 0, 0, 0 };

		if (call_at_gadget(j, SYS_munmap, args, &ret) < 0)
			return;
		j->phase = PH_UNMAPPED;
	}
	if (t->no_sigmask_requests) {
		restore_by_call(j);
		return;
	}
	if (t->stop != STOP_EVENT && t->stop != STOP_GROUP) {
		/* into get_signal() before it runs a single instruction of its own */
		if (ptrace(PTRACE_INTERRUPT, t->tid, 0, 0) < 0 || tracee_resume(t, PTRACE_CONT, 0) < 0)
			return;
		while (tracee_wait(t) == 0 && t->stop != STOP_EVENT && t->stop != STOP_GROUP)
			if (tracee_resume(t, PTRACE_CONT, 0) < 0)
				return;
		if (t->stop != STOP_EVENT && t->stop != STOP_GROUP)
			return;
	}
	if (tracee_setsigmask(t, j->own_mask) < 0 || tracee_setregs(t, &j->exact) < 0)
		return;
	j->phase = PH_RESTORED;
}

/* Signals that came while it was held: they wait, pending, for its own mask. */
static unsigned pending_signals(const struct injection *j)
{
	char path[64], line[256];
	unsigned n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/status", (int)j->tg->pid, (int)j->t.tid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "SigPnd:", 7) || !strncmp(line, "ShdPnd:", 7))
			n += (unsigned)__builtin_popcountll(strtoull(line + 7, NULL, 16));
	fclose(f);
	return n;
}

static void let_go(struct injection *j)
{
	if (j->phase != PH_DETACHED && j->t.stop != STOP_EXITED) {
		j->rep->signals = pending_signals(j);
		tracee_detach(&j->t);
	}
	clock_gettime(CLOCK_MONOTONIC, &j->held_to);
	j->phase = PH_DETACHED;
}

static void seccomp_note(struct injection *j)
{
	for (size_t i = 0; i < j->n; i++) {
		int e = j->calls[i].err;

		if (e != EPERM && e != EACCES && e != ENOSYS)
			continue;
		if (j->rep->seccomp == 2)
			say(j->why, j->whylen, "call %zu failed with %s; process %d runs under a "
			    "seccomp filter (Seccomp: 2), which may be what refused it", i + 1,
			    strerror(e), j->tg->pid);
		return;
	}
}

/* ---- the injection, step by step ------------------------------------- */

static int inject(struct injection *j)
{
	struct tracee *t = &j->t;
	int found, find_err;

	/* Its code, before attaching: once attached, every signal sent to the
	 * thread waits for us at its delivery, and a signal held there is lost
	 * if we die then (the kernel drops it with its tracer). So attach,
	 * stop and block signals with as little as possible in between: at the
	 * stop itself with PTRACE_SETSIGMASK; without it (before 3.11), by the
	 * thread at its next system call entry (take_thread, block_by_call). */
	found = way_back_find(j->tg->pid, &j->wb);
	find_err = errno;
	if (seize_in_turn(j) < 0)
		return -1;
	if (tracee_interrupt(t) < 0) {
		if (errno == ETIMEDOUT)
			say(j->why, j->whylen, "thread %d of process %d did not stop within %d ms "
			    "(state %c)", t->tid, j->tg->pid, j->timeout_ms,
			    proc_thread_state(j->tg->pid, t->tid));
		return fail(j, "cannot stop the thread");
	}
	j->phase = PH_HELD;
	clock_gettime(CLOCK_MONOTONIC, &j->held_from);
	if (verify_target(j) < 0)
		return -1;
	if (found < 0) {
		errno = find_err == ENOEXEC ? ENOEXEC : find_err;
		return fail(j, "cannot run safely inside process %d: its code has no way back "
			    "(no 'syscall; ret' and signal restorer in an executable mapping)",
			    j->tg->pid);
	}
	if (!way_back_still_there(t, &j->wb)) {
		errno = ENOEXEC;
		return fail(j, "process %d: its code changed while it was looked at", j->tg->pid);
	}
	if (take_thread(j) < 0 || arm(j) < 0 || map_page(j) < 0 || write_page(j) < 0)
		return -1;
	return j->rep->per_call ? run_per_call(j) : run_stub(j);
}

/*
 * After a failed step: a thread that no longer answers ptrace was killed
 * meanwhile (SIGKILL needs no stop); the step failed only because it is
 * dying. Collect its end within the grace, so the report says how it ended.
 */
static void collect_death(struct injection *j)
{
	struct tracee *t = &j->t;
	struct user_regs_struct r;
	char state;

	if (t->stop == STOP_EXITED || !t->attached)
		return;
	/* a thread on its way out may show R or D a moment before Z */
	for (int i = 0; i < DYING_POLLS; i++) {
		if (tracee_getregs(t, &r) == 0 || errno != ESRCH)
			return;		/* stopped and answering: alive */
		state = proc_thread_state(j->tg->pid, t->tid);
		if (strchr("ZX?", state))
			break;
		if (i == DYING_POLLS - 1)
			return;		/* running: put_back deals with it */
		usleep(1000);
	}
	tracee_set_deadline(t, CLEANUP_GRACE_MS);
	while (t->stop != STOP_EXITED && tracee_wait(t) == 0)
		tracee_resume(t, PTRACE_CONT, 0);
}

static void *worker(void *arg)
{
	struct injection *j = arg;

	j->t.pid = j->tg->pid;
	j->t.tid = proc_pick_thread(j->tg->pid);
	j->rep->tid = j->t.tid;
	j->rep->seccomp = (int)proc_status_field(j->tg->pid, "Seccomp");
	tracee_set_deadline(&j->t, j->timeout_ms);
	j->ret = inject(j);
	if (j->ret < 0)
		collect_death(j);
	if (j->t.stop != STOP_EXITED) {
		tracee_set_deadline(&j->t, CLEANUP_GRACE_MS);
		put_back(j);
	}
	if (j->t.stop == STOP_EXITED) {
		j->why[0] = '\0';
		if (j->ran < j->n || j->ret < 0) {
			explain_gone(j);
			j->ret = -1;
			j->err = ESRCH;
		}
		/* else: the calls ran, then something else ended it: not our failure */
	}
	if (j->ret == 0 && j->phase != PH_RESTORED && j->t.stop != STOP_EXITED) {
		/* Left to restore itself (rt_sigreturn): exact but for one thing,
		 * a call restarted through restart_syscall answers EINTR. */
		say(j->why, j->whylen, "process %d was left to put itself back", j->tg->pid);
	}
	let_go(j);
	if (j->ret == 0)
		seccomp_note(j);
	if (j->held_from.tv_sec || j->held_from.tv_nsec)
		j->rep->stopped_ms = ms_between(&j->held_from, &j->held_to);
	return NULL;
}

int inject_ioctls(const struct inject_target *tg, struct inject_call *calls, size_t n,
		  int timeout_ms, struct inject_report *rep, char *why, size_t whylen)
{
	struct inject_report dummy;
	char dummy_why[8];
	struct injection j = {
		.tg = tg, .calls = calls, .n = n,
		.timeout_ms = timeout_ms > 0 ? timeout_ms : DEFAULT_TIMEOUT_MS,
		.rep = rep ? rep : &dummy, .why = why && whylen ? why : dummy_why,
		.whylen = why && whylen ? whylen : sizeof(dummy_why),
	};
	sigset_t block, old;
	pthread_t th;
	int e;

	memset(j.rep, 0, sizeof(*j.rep));
	j.rep->tid = tg->pid;
	j.rep->seccomp = -1;
	j.rep->owner = (uid_t)-1;
	j.why[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		calls[i].ret = -1;
		calls[i].err = ECANCELED;
		if ((calls[i].arg == NULL) != (calls[i].len == 0)) {
			say(j.why, j.whylen, "call %zu: arg and len must be both set or both zero", i);
			errno = EINVAL;
			return -1;
		}
	}
	if (tg->pid <= 0 || tg->fd < 0) {
		say(j.why, j.whylen, "invalid process id or file descriptor");
		errno = EINVAL;
		return -1;
	}
	if (n == 0)
		return 0;
	j.page_len = align_up(arg_offset(calls, n, n), (size_t)sysconf(_SC_PAGESIZE));
	j.buf = calloc(1, j.page_len);
	if (!j.buf) {
		say(j.why, j.whylen, "out of memory");
		errno = ENOMEM;
		return -1;
	}

	/* Ctrl-C would only cut the report short (the thread puts itself back
	 * without us): hold SIGINT/SIGTERM/SIGHUP until it is done. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	/* A thread of its own: the tracer is a thread, and its exit detaches. */
	e = pthread_create(&th, NULL, worker, &j);
	if (e == 0) {
		pthread_join(th, NULL);
	} else {
		say(j.why, j.whylen, "cannot start the tracer thread: %s", strerror(e));
		j.ret = -1;
		j.err = e;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	free(j.buf);
	errno = j.err;
	return j.ret;
}

#endif /* __x86_64__ */
