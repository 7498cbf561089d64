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
#include <time.h>
#include <unistd.h>

#define DEFAULT_TIMEOUT_MS 5000
#define CLEANUP_GRACE_MS 1000   /* extra time to put the target back after a timeout */

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

int inject_ioctls(pid_t pid, int target_fd, struct inject_call *calls, size_t n,
		  int timeout_ms, struct inject_report *rep, char *why, size_t whylen)
{
	(void)pid; (void)target_fd; (void)calls; (void)n; (void)timeout_ms; (void)rep;
	say(why, whylen, "running ioctls inside another process is not supported on this "
	    "architecture (the legacy assignment ioctls only existed on x86)");
	errno = ENOTSUP;
	return -1;
}

#else /* __x86_64__ */

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>

/* The kernel-internal restart codes a syscall interrupted by a stop returns. */
#define ERESTARTSYS 512
#define ERESTARTNOINTR 513
#define ERESTARTNOHAND 514
#define ERESTART_RESTARTBLOCK 516

#define CAP_SYS_PTRACE_BIT 19
#define USER_CS_64 0x33          /* __USER_CS: a 64-bit code segment */

/*
 * The loop that runs in the target. Why code and not one ptrace round trip per
 * ioctl: a 257-ioctl MSI-X setup would otherwise hold the VMM 257 times longer.
 * Registers on entry: rbx = call table, r12 = its end, r13 = fd, r14 = tgid,
 * r15 = tid. Each table entry is { request, arg, ret, continue_on_error }.
 * It leaves rbx past the last call it ran, then sends itself SIGSTOP, which
 * cannot be blocked, caught or ignored and so changes no disposition (a forced
 * SIGTRAP from int3 would reset a blocked or ignored SIGTRAP to SIG_DFL). If a
 * seccomp filter refuses tgkill, it spins at inject_stub_done until our timeout.
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
	"2:	mov $234, %eax\n"         /* __NR_tgkill */
	"	mov %r14, %rdi\n"
	"	mov %r15, %rsi\n"
	"	mov $19, %edx\n"          /* SIGSTOP */
	"	syscall\n"
	"kvm_assign_inject_stub_done:\n"
	"	jmp kvm_assign_inject_stub_done\n"
	"kvm_assign_inject_stub_end:\n"
	".popsection\n");
extern const unsigned char kvm_assign_inject_stub[], kvm_assign_inject_stub_done[],
	kvm_assign_inject_stub_end[];

struct stub_entry {
	uint64_t request, arg;
	int64_t ret;
	uint64_t continue_on_error;
};
_Static_assert(sizeof(struct stub_entry) == 32, "the stub steps through 32-byte entries");

#define STUB_AREA 64            /* code, then the table at this offset */

enum where { AT_NONE, AT_GETSIGNAL, AT_SYSCALL };   /* which kind of stop */

enum want {
	W_EVENT = 1,            /* PTRACE_EVENT_STOP (interrupt or group stop) */
	W_SYSCALL = 2,          /* syscall entry or exit stop */
	W_STUB_DONE = 4,        /* the stub's own SIGSTOP (or its spin after a timeout) */
	W_SIGNAL = 8,           /* delivery stop of signal t->want_sig */
};

struct tracee {
	pid_t pid, tid;
	struct timespec deadline;
	bool attached, stopped, dirty, gone;
	enum where at;
	int stopsig;                    /* last stop's signal (delivery stops) */
	int want_sig;
	int exit_status;
	struct user_regs_struct saved;  /* exactly as at the first stop */
	unsigned long syscall_insn;
	unsigned long scratch;          /* our mapping in the target, or 0 */
	size_t scratch_len;
	siginfo_t *held;                /* signals that arrived while we held it */
	size_t nheld, held_cap;
	bool released;
	struct timespec stop_start, stop_end;
	int seccomp;
	char *why;
	size_t whylen;
};

/* ---- small helpers ---------------------------------------------------- */

static double ms_between(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) * 1e3 + (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

static void set_deadline(struct tracee *t, int ms)
{
	clock_gettime(CLOCK_MONOTONIC, &t->deadline);
	t->deadline.tv_sec += ms / 1000;
	t->deadline.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (t->deadline.tv_nsec >= 1000000000L) {
		t->deadline.tv_sec++;
		t->deadline.tv_nsec -= 1000000000L;
	}
}

/* A field of /proc/PID/status as a number, or -1. */
static long status_field(pid_t pid, const char *name)
{
	char path[64], line[256];
	size_t len = strlen(name);
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, len) && line[len] == ':') {
			v = strtol(line + len + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

static unsigned long long own_cap_eff(void)
{
	char line[256];
	unsigned long long caps = 0;
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "CapEff:", 7))
			caps = strtoull(line + 7, NULL, 16);
	fclose(f);
	return caps;
}

static int read_small_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t r;

	if (fd < 0)
		return -1;
	r = read(fd, buf, len - 1);
	close(fd);
	if (r < 0)
		return -1;
	buf[r] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static char thread_state(pid_t pid, pid_t tid)
{
	char path[64], buf[512], *p;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)pid, (int)tid);
	if (read_small_file(path, buf, sizeof(buf)) < 0)
		return '?';
	p = strrchr(buf, ')');      /* comm may hold spaces and parentheses */
	return p && p[1] == ' ' ? p[2] : '?';
}

/* The main thread, as it usually sits in ppoll; if it has exited (a zombie
 * leader), a live thread not in an ioctl: vcpu threads sit in KVM_RUN. */
static pid_t pick_thread(pid_t pid)
{
	char path[64], buf[128];
	pid_t fallback = pid, chosen = 0;
	struct dirent *de;
	DIR *d;

	if (!strchr("ZX", thread_state(pid, pid)))
		return pid;
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return pid;
	while (!chosen && (de = readdir(d))) {
		pid_t tid = (pid_t)atoi(de->d_name);

		if (tid <= 0 || strchr("ZX?", thread_state(pid, tid)))
			continue;
		if (fallback == pid)
			fallback = tid;
		snprintf(path, sizeof(path), "/proc/%d/task/%d/syscall", (int)pid, (int)tid);
		if (read_small_file(path, buf, sizeof(buf)) == 0 && strncmp(buf, "16 ", 3))
			chosen = tid;
	}
	closedir(d);
	return chosen ? chosen : fallback;
}

/* Why PTRACE_SEIZE said EPERM, most specific cause first; the errno to report. */
static int explain_eperm(struct tracee *t)
{
	char comm[64] = "?", path[64], yama[16];
	long tracer = status_field(t->pid, "TracerPid");
	bool cap = own_cap_eff() & (1ULL << CAP_SYS_PTRACE_BIT);
	long target_uid = status_field(t->pid, "Uid");
	int scope = -1;
	struct stat st;

	if (read_small_file("/proc/sys/kernel/yama/ptrace_scope", yama, sizeof(yama)) == 0)
		scope = atoi(yama);
	if (target_uid < 0 || strchr("ZX?", thread_state(t->pid, t->tid))) {
		/* an exiting process has no mm left to trace */
		say(t->why, t->whylen, "process %d is exiting or has exited", t->pid);
		return ESRCH;
	} else if (tracer > 0) {
		snprintf(path, sizeof(path), "/proc/%ld/comm", tracer);
		read_small_file(path, comm, sizeof(comm));
		say(t->why, t->whylen, "cannot attach to process %d: it is already traced by "
		    "process %ld (%s), and a process can have only one tracer; detach that "
		    "debugger or strace first", t->pid, tracer, comm);
	} else if (scope == 3) {
		say(t->why, t->whylen, "cannot attach to process %d: ptrace is disabled "
		    "(kernel.yama.ptrace_scope = 3, which cannot be lowered until reboot)", t->pid);
	} else if (scope == 2 && !cap) {
		say(t->why, t->whylen, "cannot attach to process %d: kernel.yama.ptrace_scope = 2 "
		    "allows ptrace only with CAP_SYS_PTRACE; run as root", t->pid);
	} else if (target_uid >= 0 && (uid_t)target_uid != getuid() && !cap) {
		say(t->why, t->whylen, "cannot attach to process %d: it runs as uid %ld and we "
		    "run as uid %u without CAP_SYS_PTRACE; run as root or as its user",
		    t->pid, target_uid, (unsigned)getuid());
	} else if (scope == 1 && !cap) {
		say(t->why, t->whylen, "cannot attach to process %d: kernel.yama.ptrace_scope = 1 "
		    "lets a process trace only its descendants; run as root (CAP_SYS_PTRACE) "
		    "or set the sysctl to 0", t->pid);
	} else {
		snprintf(path, sizeof(path), "/proc/%d", t->pid);
		if (stat(path, &st) == 0 && st.st_uid == 0 && target_uid > 0 && !cap)
			say(t->why, t->whylen, "cannot attach to process %d: it is not dumpable "
			    "(setuid, or PR_SET_DUMPABLE 0); run as root", t->pid);
		else
			say(t->why, t->whylen, "cannot attach to process %d: ptrace refused "
			    "(Operation not permitted) by a security module (AppArmor, SELinux, "
			    "Landlock) or the process is not dumpable", t->pid);
	}
	return EPERM;
}

/* ---- waiting for stops ------------------------------------------------ */

/* waitpid with a deadline: spin briefly (a stop normally comes within
 * microseconds and every microsecond counts as VMM stop time), then nap. */
static int wait_tracee(struct tracee *t, int *status)
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

static int hold_signal(struct tracee *t)
{
	siginfo_t si;

	if (ptrace(PTRACE_GETSIGINFO, t->tid, 0, &si) < 0) {
		memset(&si, 0, sizeof(si));     /* keep at least the number */
		si.si_signo = t->stopsig;
		si.si_code = SI_TKILL;
	}
	if (t->nheld == t->held_cap) {
		size_t cap = t->held_cap ? t->held_cap * 2 : 8;
		siginfo_t *h = realloc(t->held, cap * sizeof(*h));

		if (!h)
			return -1;
		t->held = h;
		t->held_cap = cap;
	}
	t->held[t->nheld++] = si;
	return 0;
}

static void mark_gone(struct tracee *t, int status)
{
	t->gone = true;
	t->stopped = false;
	t->exit_status = status;
}

static bool is_stub_done(struct tracee *t, bool *foreign)
{
	struct user_regs_struct r;
	siginfo_t si;

	if (!t->scratch || ptrace(PTRACE_GETREGS, t->tid, 0, &r) < 0)
		return false;
	if (r.rip != t->scratch + (unsigned long)(kvm_assign_inject_stub_done - kvm_assign_inject_stub))
		return false;
	/* our tgkill, or someone else's SIGSTOP that merged with it */
	*foreign = t->stopsig == SIGSTOP &&
		(ptrace(PTRACE_GETSIGINFO, t->tid, 0, &si) < 0 ||
		 si.si_code != SI_TKILL || si.si_pid != t->pid);
	return true;
}

/*
 * Wait for a stop of a wanted kind. Signal-delivery stops of other signals
 * are remembered for later re-delivery and suppressed (the thread is running
 * our code, its handlers must not run now); group stops are overridden (the
 * kernel re-instates them at detach). resume is how to restart after those.
 */
static int wait_stop(struct tracee *t, int resume, unsigned want)
{
	for (;;) {
		int status, sig, event;
		bool foreign = false;

		if (wait_tracee(t, &status) < 0) {
			if (errno == ECHILD) {
				mark_gone(t, 0);
				errno = ESRCH;
			}
			return -1;
		}
		if (WIFEXITED(status) || WIFSIGNALED(status)) {
			mark_gone(t, status);
			errno = ESRCH;
			return -1;
		}
		if (!WIFSTOPPED(status))
			continue;
		t->stopped = true;
		sig = WSTOPSIG(status);
		event = status >> 16;
		t->stopsig = sig;
		if (event == PTRACE_EVENT_STOP) {
			t->at = AT_GETSIGNAL;
			if (want & W_EVENT)
				return 0;
			if ((want & W_STUB_DONE) && is_stub_done(t, &foreign))
				return 0;
		} else if (sig == (SIGTRAP | 0x80)) {
			t->at = AT_SYSCALL;
			if (want & W_SYSCALL)
				return 0;
		} else if (event == 0) {
			t->at = AT_GETSIGNAL;
			if ((want & W_SIGNAL) && sig == t->want_sig)
				return 0;
			if ((want & W_STUB_DONE) && sig == SIGSTOP && is_stub_done(t, &foreign)) {
				if (foreign && hold_signal(t) < 0)
					return -1;
				return 0;
			}
			if (hold_signal(t) < 0)
				return -1;
		}
		if (ptrace(resume, t->tid, 0, 0) < 0) {
			if (errno == ESRCH)
				continue;       /* dying: the next wait tells */
			return -1;
		}
		t->stopped = false;
	}
}

/* ---- running code in the target -------------------------------------- */

static int resume_as(struct tracee *t, int req, int sig)
{
	if (ptrace(req, t->tid, 0, (void *)(long)sig) < 0)
		return -1;
	t->stopped = false;
	return 0;
}

static int set_regs(struct tracee *t, struct user_regs_struct *r)
{
	if (ptrace(PTRACE_SETREGS, t->tid, 0, r) < 0)
		return -1;
	t->dirty = true;
	return 0;
}

/* Registers for running our code: orig_rax = -1 so that the kernel applies
 * no syscall-restart fixup to them on the way back to user mode. */
static struct user_regs_struct work_regs(struct tracee *t, unsigned long rip)
{
	struct user_regs_struct r = t->saved;

	r.rip = rip;
	r.orig_rax = (unsigned long)-1;
	return r;
}

/* One syscall at the borrowed syscall instruction, entry stop to exit stop. */
static int remote_syscall(struct tracee *t, long nr, long a0, long a1, long a2,
			  long a3, long a4, long a5, long *ret)
{
	struct user_regs_struct r = work_regs(t, t->syscall_insn);

	r.rax = (unsigned long)nr;
	r.rdi = (unsigned long)a0;
	r.rsi = (unsigned long)a1;
	r.rdx = (unsigned long)a2;
	r.r10 = (unsigned long)a3;
	r.r8 = (unsigned long)a4;
	r.r9 = (unsigned long)a5;
	if (set_regs(t, &r) < 0 || resume_as(t, PTRACE_SYSCALL, 0) < 0 ||
	    wait_stop(t, PTRACE_SYSCALL, W_SYSCALL) < 0 ||
	    resume_as(t, PTRACE_SYSCALL, 0) < 0 ||
	    wait_stop(t, PTRACE_SYSCALL, W_SYSCALL) < 0)
		return -1;
	/* At the exit stop the result is in rax, on every kernel; the tidier
	 * PTRACE_GET_SYSCALL_INFO only exists from Linux 5.3 (EIO before). */
	if (ptrace(PTRACE_GETREGS, t->tid, 0, &r) < 0)
		return -1;
	*ret = (long)r.rax;
	if (*ret == -ERESTARTSYS || *ret == -ERESTARTNOINTR || *ret == -ERESTARTNOHAND ||
	    *ret == -ERESTART_RESTARTBLOCK)
		*ret = -EINTR;  /* we set orig_rax = -1 next, so the kernel will not restart it */
	return 0;
}

/* Bring a thread held at a syscall stop to a stop inside get_signal(), the
 * only place from which the kernel's restart handling of the VMM's own
 * interrupted syscall still runs after we put its registers back. */
static int to_signal_stop(struct tracee *t)
{
	if (t->at == AT_GETSIGNAL)
		return 0;
	if (ptrace(PTRACE_INTERRUPT, t->tid, 0, 0) < 0 || resume_as(t, PTRACE_CONT, 0) < 0)
		return -1;
	return wait_stop(t, PTRACE_CONT, W_EVENT);
}

/*
 * A blocking call with a timeout (accept/recv with SO_RCVTIMEO, epoll_wait,
 * semtimedop, io_getevents) answers our stop with a bare -EINTR, which the
 * VMM would see as if a signal had come. For calls that did nothing when they
 * fail so, we record -ERESTARTSYS instead: the kernel then restarts them
 * (their timeout starts again), unless a re-delivered signal's handler lacks
 * SA_RESTART, when EINTR is the right answer anyway. Not close(), connect()
 * and the like, where EINTR still means "it happened".
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

static bool range_has_syscall(const unsigned char *p, size_t len, size_t *off)
{
	const unsigned char *q = len >= 2 ? memmem(p, len, "\x0f\x05", 2) : NULL;

	if (!q)
		return false;
	*off = (size_t)(q - p);
	return true;
}

/* Find a `syscall` (0f 05) to borrow: the one the thread just ran (rip - 2),
 * else one in the vDSO, else in any executable mapping. */
static int find_syscall_insn(struct tracee *t)
{
	unsigned long rip = t->saved.rip;
	char path[64], line[512];
	unsigned char buf[65536];
	FILE *f;
	int pass;

	if ((rip & 0xfff) >= 2) {
		errno = 0;
		long w = ptrace(PTRACE_PEEKTEXT, t->tid, (void *)(rip - 2), 0);

		if (errno == 0 && (w & 0xffff) == 0x050f) {
			t->syscall_insn = rip - 2;
			return 0;
		}
	}
	snprintf(path, sizeof(path), "/proc/%d/maps", t->tid); /* the leader may be a zombie */
	for (pass = 0; pass < 2; pass++) {
		f = fopen(path, "re");
		if (!f)
			return -1;
		while (fgets(line, sizeof(line), f)) {
			unsigned long lo, hi;
			char perms[8];
			int name = 0;

			if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %n", &lo, &hi, perms, &name) < 3 ||
			    perms[2] != 'x' || perms[0] != 'r')
				continue;
			if (pass == 0 && !strstr(line + name, "[vdso]"))
				continue;
			for (unsigned long a = lo; a < hi; a += sizeof(buf) - 1) {
				size_t want = hi - a < sizeof(buf) ? hi - a : sizeof(buf);
				struct iovec local = { buf, want }, remote = { (void *)a, want };
				ssize_t got = process_vm_readv(t->tid, &local, 1, &remote, 1, 0);
				size_t off;

				if (got <= 0)
					break;
				if (range_has_syscall(buf, (size_t)got, &off)) {
					t->syscall_insn = a + off;
					fclose(f);
					return 0;
				}
			}
		}
		fclose(f);
	}
	errno = ENOEXEC;
	return -1;
}

static size_t align_up(size_t v, size_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/* Layout of the scratch area: stub, table, then each argument struct. */
static size_t arg_offset(const struct inject_call *calls, size_t n, size_t i)
{
	size_t off = align_up(STUB_AREA + n * sizeof(struct stub_entry), 16);

	for (size_t k = 0; k < i; k++)
		off += align_up(calls[k].len, 16);
	return off;
}

static int map_scratch(struct tracee *t, size_t len, bool *per_call)
{
	long ret;

	*per_call = false;
	if (remote_syscall(t, SYS_mmap, 0, (long)len, PROT_READ | PROT_WRITE | PROT_EXEC,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, &ret) < 0)
		return -1;
	if (ret == -EACCES || ret == -EPERM) {
		/* W^X policy (PR_SET_MDWE, SELinux execmem): data only, one stop per call */
		*per_call = true;
		if (remote_syscall(t, SYS_mmap, 0, (long)len, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, &ret) < 0)
			return -1;
	}
	if (ret < 0 && ret > -4096) {
		say(t->why, t->whylen, "cannot map a scratch page in process %d: mmap: %s",
		    t->pid, strerror((int)-ret));
		errno = (int)-ret;
		return -1;
	}
	t->scratch = (unsigned long)ret;
	t->scratch_len = len;
	return 0;
}

static int copy_to_target(struct tracee *t, const void *buf, size_t len, unsigned long at)
{
	struct iovec local = { (void *)buf, len }, remote = { (void *)at, len };
	ssize_t r = process_vm_writev(t->tid, &local, 1, &remote, 1, 0);

	if (r == (ssize_t)len)
		return 0;
	if (r >= 0)
		errno = EFAULT;
	return -1;
}

static int copy_from_target(struct tracee *t, void *buf, size_t len, unsigned long at)
{
	struct iovec local = { buf, len }, remote = { (void *)at, len };
	ssize_t r = process_vm_readv(t->tid, &local, 1, &remote, 1, 0);

	if (r == (ssize_t)len)
		return 0;
	if (r >= 0)
		errno = EFAULT;
	return -1;
}

/* Run the stub; *ran = how many table entries it ran. A call that blocks
 * past the deadline is interrupted (it sees EINTR) and reported as a timeout. */
static int run_stub(struct tracee *t, size_t n, int fd, size_t *ran)
{
	unsigned long table = t->scratch + STUB_AREA;
	unsigned long done_rip = t->scratch +
		(unsigned long)(kvm_assign_inject_stub_done - kvm_assign_inject_stub);
	struct user_regs_struct r = work_regs(t, t->scratch);
	bool timed_out = false;

	r.rbx = table;
	r.r12 = table + n * sizeof(struct stub_entry);
	r.r13 = (unsigned long)fd;
	r.r14 = (unsigned long)t->pid;
	r.r15 = (unsigned long)t->tid;
	if (set_regs(t, &r) < 0 || resume_as(t, PTRACE_CONT, 0) < 0)
		return -1;
	if (wait_stop(t, PTRACE_CONT, W_STUB_DONE) < 0) {
		if (errno != ETIMEDOUT || t->gone)
			return -1;
		/* stuck in an ioctl, or tgkill refused: interrupt it and look */
		set_deadline(t, CLEANUP_GRACE_MS);
		if (ptrace(PTRACE_INTERRUPT, t->tid, 0, 0) < 0 ||
		    wait_stop(t, PTRACE_CONT, W_EVENT) < 0)
			return -1;
		timed_out = true;
	}
	if (ptrace(PTRACE_GETREGS, t->tid, 0, &r) < 0)
		return -1;
	*ran = (r.rbx - table) / sizeof(struct stub_entry);
	if (timed_out && r.rip != done_rip) {
		errno = ETIMEDOUT;
		return -1;
	}
	return 0;
}

/* Undo everything: unmap, put the registers back at a get_signal() stop,
 * re-deliver the signals that arrived meanwhile, detach. Best effort: on a
 * later failure the thread's exit detaches for us. */
static void release(struct tracee *t)
{
	if (!t->released) {
		clock_gettime(CLOCK_MONOTONIC, &t->stop_end);
		t->released = true;
	}
}

static void redeliver_and_detach(struct tracee *t)
{
	size_t i = 0;

	if (t->nheld == 0) {
		release(t);
		ptrace(PTRACE_DETACH, t->tid, 0, 0);
		return;
	}
	/* We are at an event stop, where a signal cannot be injected: queue the
	 * first one and catch its delivery stop, where its siginfo can be restored. */
	t->want_sig = t->held[0].si_signo;
	if (syscall(SYS_tgkill, t->pid, t->tid, t->want_sig) < 0 ||
	    resume_as(t, PTRACE_CONT, 0) < 0 || wait_stop(t, PTRACE_CONT, W_SIGNAL) < 0) {
		i = 1;
		goto rest;
	}
	for (;;) {
		int sig = t->held[i].si_signo;

		/* one at a time, so two of the same standard signal do not merge */
		ptrace(PTRACE_SETSIGINFO, t->tid, 0, &t->held[i]);
		release(t);
		if (i + 1 == t->nheld) {
			ptrace(PTRACE_DETACH, t->tid, 0, (void *)(long)sig);
			return;
		}
		if (resume_as(t, PTRACE_CONT, sig) < 0)
			break;
		i++;
		t->want_sig = t->held[i].si_signo;
		if (syscall(SYS_tgkill, t->pid, t->tid, t->want_sig) < 0 ||
		    wait_stop(t, PTRACE_CONT, W_SIGNAL) < 0) {
			i++;    /* that one is queued already */
			goto rest;
		}
	}
rest:
	/* Could not hand them over one by one (a stop signal, a blocked signal,
	 * the process exiting): queue the rest, they may merge, then detach. */
	for (; i < t->nheld; i++)
		syscall(SYS_tgkill, t->pid, t->tid, t->held[i].si_signo);
	if (t->gone)
		return;
	if (!t->stopped) {
		if (ptrace(PTRACE_INTERRUPT, t->tid, 0, 0) < 0 ||
		    wait_stop(t, PTRACE_CONT, W_EVENT) < 0)
			return;
	}
	release(t);
	ptrace(PTRACE_DETACH, t->tid, 0, 0);
}

static void put_back(struct tracee *t)
{
	if (!t->attached || t->gone)
		return;
	if (!t->stopped && !t->dirty)
		return;         /* never stopped: nothing to undo, thread exit detaches */
	set_deadline(t, CLEANUP_GRACE_MS);
	if (!t->stopped) {
		/* still running our code (timed out): try to catch it once more */
		if (ptrace(PTRACE_INTERRUPT, t->tid, 0, 0) < 0 ||
		    wait_stop(t, PTRACE_CONT, W_EVENT) < 0)
			return;
	}
	if (t->scratch) {
		/* munmap from its entry stop, then the interrupt trap after it */
		struct user_regs_struct r = work_regs(t, t->syscall_insn);

		r.rax = SYS_munmap;
		r.rdi = t->scratch;
		r.rsi = t->scratch_len;
		if (set_regs(t, &r) == 0 && resume_as(t, PTRACE_SYSCALL, 0) == 0 &&
		    wait_stop(t, PTRACE_SYSCALL, W_SYSCALL) == 0 &&
		    ptrace(PTRACE_INTERRUPT, t->tid, 0, 0) == 0 &&
		    resume_as(t, PTRACE_CONT, 0) == 0)
			wait_stop(t, PTRACE_CONT, W_EVENT);
		if (t->gone || !t->stopped)
			return;
		t->scratch = 0;
	}
	if (t->dirty) {
		if (to_signal_stop(t) < 0)
			return;
		/* exactly as found, with orig_rax and -ERESTART*: the kernel's own
		 * restart logic then resumes the VMM's interrupted call */
		if (ptrace(PTRACE_SETREGS, t->tid, 0, &t->saved) < 0)
			return;
		t->dirty = false;
	}
	redeliver_and_detach(t);
}

/* ---- the batch -------------------------------------------------------- */

struct job {
	pid_t pid;
	int fd;
	struct inject_call *calls;
	size_t n;
	int timeout_ms;
	struct inject_report *rep;
	char *why;
	size_t whylen;
	int ret, err;
	bool still_attached;
};

static void explain_gone(struct tracee *t)
{
	int st = t->exit_status;

	if (WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS)
		say(t->why, t->whylen, "process %d was killed by SIGSYS during the injected "
		    "call: its seccomp filter (Seccomp: %d) forbids it", t->pid, t->seccomp);
	else if (WIFSIGNALED(st))
		say(t->why, t->whylen, "process %d exited during the injection (killed by "
		    "signal %d, %s)", t->pid, WTERMSIG(st), strsignal(WTERMSIG(st)));
	else if (WIFEXITED(st))
		say(t->why, t->whylen, "process %d exited during the injection (status %d)",
		    t->pid, WEXITSTATUS(st));
	else
		say(t->why, t->whylen, "process %d went away during the injection", t->pid);
}

/*
 * After a failed step: a thread that answered ESRCH, or that we hold stopped
 * but no longer answers GETREGS, was killed meanwhile (SIGKILL needs no
 * stop); its memory reads and ptrace requests failed only because it is
 * dying. Collect its exit within the cleanup grace, so that the report says
 * how it ended. A stop instead means it is alive: put_back takes over.
 */
static void check_death(struct tracee *t, int err)
{
	struct timespec deadline = t->deadline;
	struct user_regs_struct r;
	int status;

	if (!t->attached || t->gone)
		return;
	if (err != ESRCH && !(t->stopped && ptrace(PTRACE_GETREGS, t->tid, 0, &r) < 0 &&
			      errno == ESRCH))
		return;
	set_deadline(t, CLEANUP_GRACE_MS);
	t->stopped = false;
	while (!t->gone && !t->stopped) {
		if (wait_tracee(t, &status) < 0) {
			if (errno == ECHILD)
				mark_gone(t, 0);
			break;
		}
		if (WIFEXITED(status) || WIFSIGNALED(status))
			mark_gone(t, status);
		else if (WIFSTOPPED(status))
			t->stopped = true;
	}
	t->deadline = deadline;
}

static void fail(struct tracee *t, const char *what)
{
	int e = errno;

	if (t->gone)
		explain_gone(t);
	else if (e == ETIMEDOUT)
		say(t->why, t->whylen, "%s: timed out (thread %d in state %c)", what, t->tid,
		    thread_state(t->pid, t->tid));
	else
		say(t->why, t->whylen, "%s in process %d: %s", what, t->pid, strerror(e));
	errno = t->gone ? ESRCH : e;
}

static int batch(struct job *j, struct tracee *t)
{
	struct inject_call *calls = j->calls;
	size_t n = j->n, len = arg_offset(calls, n, n), arg_start = arg_offset(calls, n, 0);
	size_t ran = 0;
	unsigned char *buf;
	bool per_call;
	int rc = 0;

	if (ptrace(PTRACE_SEIZE, t->tid, 0, PTRACE_O_TRACESYSGOOD) < 0) {
		int e = errno;

		if (e == EPERM)
			e = explain_eperm(t);   /* ESRCH when it is exiting */
		else if (e == ESRCH)
			say(t->why, t->whylen, "no process %d", t->pid);
		else
			say(t->why, t->whylen, "cannot attach to process %d: %s", t->pid,
			    strerror(e));
		errno = e;
		return -1;
	}
	t->attached = true;
	if (ptrace(PTRACE_INTERRUPT, t->tid, 0, 0) < 0 || wait_stop(t, PTRACE_CONT, W_EVENT) < 0) {
		char st = thread_state(t->pid, t->tid);

		if (errno != ETIMEDOUT) {
			fail(t, "cannot stop the thread");
			return -1;
		}
		say(t->why, t->whylen, "thread %d of process %d did not stop within %d ms "
		    "(state %c%s)", t->tid, t->pid, j->timeout_ms, st,
		    st == 'D' ? ": uninterruptible sleep, e.g. vfork or I/O" : "");
		errno = ETIMEDOUT;
		return -1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t->stop_start);
	if (ptrace(PTRACE_GETREGS, t->tid, 0, &t->saved) < 0) {
		fail(t, "cannot read registers");
		return -1;
	}
	if (adopt_restart_semantics(&t->saved))
		t->dirty = true;        /* so the adjusted registers get installed */
	if (t->saved.cs != USER_CS_64) {
		say(t->why, t->whylen, "process %d is not a 64-bit process", t->pid);
		errno = ENOEXEC;
		return -1;
	}
	if (find_syscall_insn(t) < 0) {
		fail(t, "no syscall instruction to borrow");
		return -1;
	}
	len = align_up(len, (size_t)sysconf(_SC_PAGESIZE));
	if (map_scratch(t, len, &per_call) < 0) {
		if (!t->why[0])
			fail(t, "cannot map a scratch page");
		return -1;
	}
	j->rep->per_call = per_call;

	/* Everything goes over in one write: stub, table, argument structs. */
	buf = calloc(1, len);
	if (!buf) {
		say(t->why, t->whylen, "out of memory");
		return -1;
	}
	memcpy(buf, kvm_assign_inject_stub,
	       (size_t)(kvm_assign_inject_stub_end - kvm_assign_inject_stub));
	for (size_t i = 0; i < n; i++) {
		struct stub_entry *e = (struct stub_entry *)(buf + STUB_AREA) + i;
		size_t off = arg_offset(calls, n, i);

		e->request = calls[i].request;
		e->arg = calls[i].arg ? t->scratch + off : calls[i].intarg;
		e->continue_on_error = calls[i].continue_on_error;
		if (calls[i].arg)
			memcpy(buf + off, calls[i].arg, calls[i].len);
	}
	if (copy_to_target(t, buf, len, t->scratch) < 0) {
		free(buf);
		fail(t, "cannot write the scratch page");
		return -1;
	}

	if (!per_call) {
		rc = run_stub(t, n, j->fd, &ran);
	} else {
		/* no executable page: the same loop, one ptrace round trip per call */
		for (ran = 0; ran < n; ran++) {
			struct stub_entry *e = (struct stub_entry *)(buf + STUB_AREA) + ran;

			rc = remote_syscall(t, SYS_ioctl, j->fd, (long)e->request, (long)e->arg,
					    0, 0, 0, &e->ret);
			if (rc < 0)
				break;
			if (e->ret < 0 && e->ret > -4096 && !e->continue_on_error) {
				ran++;
				break;
			}
		}
	}
	if (rc < 0 && errno != ETIMEDOUT) {
		free(buf);
		fail(t, "running the calls failed");
		return -1;
	}
	/* the stub's table (its results) and the argument structs come back */
	if (per_call ? copy_from_target(t, buf + arg_start, len - arg_start,
					t->scratch + arg_start)
		     : copy_from_target(t, buf, len, t->scratch)) {
		free(buf);
		fail(t, "cannot read the results back");
		return -1;
	}
	for (size_t i = 0; i < ran && i < n; i++) {
		struct stub_entry *e = (struct stub_entry *)(buf + STUB_AREA) + i;
		bool failed = e->ret < 0 && e->ret > -4096;

		calls[i].ret = failed ? -1 : e->ret;
		calls[i].err = failed ? (int)-e->ret : 0;
		if (calls[i].arg)
			memcpy(calls[i].arg, buf + arg_offset(calls, n, i), calls[i].len);
	}
	free(buf);
	if (rc < 0) {
		say(t->why, t->whylen, "ioctl %zu of %zu did not return within %d ms; it was "
		    "interrupted", ran + 1, n, j->timeout_ms);
		errno = ETIMEDOUT;
		return -1;
	}
	return 0;
}

static void seccomp_note(struct job *j, struct tracee *t)
{
	for (size_t i = 0; i < j->n; i++) {
		int e = j->calls[i].err;

		if (e != EPERM && e != EACCES && e != ENOSYS)
			continue;
		j->rep->seccomp = t->seccomp;
		if (t->seccomp == 2)
			say(j->why, j->whylen, "call %zu failed with %s; process %d runs under a "
			    "seccomp filter (Seccomp: 2), which may be what refused it", i + 1,
			    strerror(e), j->pid);
		return;
	}
}

static void *worker(void *arg)
{
	struct job *j = arg;
	struct tracee t = {
		.pid = j->pid, .tid = pick_thread(j->pid), .why = j->why, .whylen = j->whylen,
	};

	t.seccomp = (int)status_field(j->pid, "Seccomp");
	set_deadline(&t, j->timeout_ms);
	j->ret = batch(j, &t);
	j->err = errno;
	if (j->ret < 0)
		check_death(&t, j->err);
	put_back(&t);
	if (!t.released)
		check_death(&t, 0);
	if (t.gone && j->ret == 0) {
		/* the calls ran, then a re-delivered signal ended it: not our failure */
	} else if (t.gone) {
		explain_gone(&t);
		j->ret = -1;
		j->err = ESRCH;
	}
	if (t.gone && WIFSIGNALED(t.exit_status) && WTERMSIG(t.exit_status) == SIGSYS)
		j->rep->seccomp = t.seccomp;
	if (j->ret == 0)
		seccomp_note(j, &t);
	j->rep->tid = t.tid;
	j->rep->signals = (unsigned)t.nheld;
	if (t.stop_start.tv_sec || t.stop_start.tv_nsec)
		j->rep->stopped_ms = ms_between(&t.stop_start, t.released ? &t.stop_end
						: &t.stop_start);
	j->still_attached = t.attached && !t.gone && !t.released;
	if (j->still_attached && j->ret == 0) {
		j->ret = -1;
		j->err = EIO;
		say(j->why, j->whylen, "process %d could not be put back cleanly", j->pid);
	}
	free(t.held);
	return NULL;
}

int inject_ioctls(pid_t pid, int target_fd, struct inject_call *calls, size_t n,
		  int timeout_ms, struct inject_report *rep, char *why, size_t whylen)
{
	struct inject_report dummy;
	char dummy_why[8];
	struct job j = {
		.pid = pid, .fd = target_fd, .calls = calls, .n = n,
		.timeout_ms = timeout_ms > 0 ? timeout_ms : DEFAULT_TIMEOUT_MS,
		.rep = rep ? rep : &dummy, .why = why && whylen ? why : dummy_why,
		.whylen = why && whylen ? whylen : sizeof(dummy_why),
	};
	sigset_t block, old;
	pthread_t th;
	int e;

	memset(j.rep, 0, sizeof(*j.rep));
	j.rep->tid = pid;
	j.rep->seccomp = -1;
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
	if (pid <= 0 || target_fd < 0) {
		say(j.why, j.whylen, "invalid process id or file descriptor");
		errno = EINVAL;
		return -1;
	}
	if (n == 0)
		return 0;

	/* Ctrl-C while the VMM runs our code would leave it wrecked: hold
	 * SIGINT/SIGTERM/SIGHUP until it is put back (they stay pending). */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	/* A thread of its own: if the target can never be stopped we cannot
	 * PTRACE_DETACH it (that needs a stop), but a tracer thread's exit does. */
	e = pthread_create(&th, NULL, worker, &j);
	if (e == 0) {
		pthread_join(th, NULL);
	} else {
		say(j.why, j.whylen, "cannot start the tracer thread: %s", strerror(e));
		j.ret = -1;
		j.err = e;
	}
	if (j.still_attached) {
		/* the kernel detaches at the tracer thread's exit, just after join
		 * returns: wait for it so a retry is not refused as "already traced" */
		for (int i = 0; i < 1000 && status_field(pid, "TracerPid") > 0; i++)
			usleep(1000);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = j.err;
	return j.ret;
}

#endif /* __x86_64__ */
