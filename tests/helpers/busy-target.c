// SPDX-License-Identifier: GPL-2.0-or-later
/* busy-target.c - a stand-in VMM for the injection tests: it sits in blocking
 * syscalls, counts signals, checks a numbered byte stream and its registers. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "../../src/abi.h"

#ifndef PR_SET_MDWE
#define PR_SET_MDWE 65
#define PR_MDWE_REFUSE_EXEC_GAIN 1
#endif

static volatile sig_atomic_t got_usr1, got_usr2, got_rt, got_term;
/* shared with target-feeder, which sends a standard signal only when the last
 * one of its kind arrived: two pending at once would merge, a loss not ours */
static volatile long *shared, shared_none[3];

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		shared[0] = ++got_usr1;
	else if (sig == SIGUSR2)
		shared[1] = ++got_usr2;
	else if (sig == SIGRTMIN)
		shared[2] = ++got_rt;
	else
		got_term = 1;
}

/* signals whose handler makes an interrupted call fail with EINTR */
static long no_restart_count(void)
{
	return got_usr2 + got_rt + got_term;
}

struct counts {
	unsigned long bytes_ok, bytes_bad, eintr_unexpected, bad_errno, canary_bad, mask_bad, loops;
	unsigned char next;
};

static void usage(void)
{
	fprintf(stderr, "usage: busy-target --fifo PATH [--counters FILE] "
		"[--seccomp=errno|kill] [--mdwe] [--vfork-hang]\n");
	exit(2);
}

static void handle(int sig, int flags)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = flags;
	sigaction(sig, &sa, NULL);
}

/* ioctl → EPERM or kill: a sandboxed VMM refusing the injected call */
static void install_seccomp(int kill)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_ioctl, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, kill ? SECCOMP_RET_KILL_PROCESS
					       : SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { sizeof(f) / sizeof(f[0]), f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0) {
		perror("seccomp");
		exit(1);
	}
}

/* ppoll through a raw syscall with known values in callee-saved registers:
 * an injection that does not put the registers back shows up here. */
static long ppoll_canary(struct pollfd *pfd, const struct timespec *ts, struct counts *c)
{
	register long r12 __asm__("r12") = 0x1212121212121212L;
	register long r13 __asm__("r13") = 0x1313131313131313L;
	register long r14 __asm__("r14") = 0x1414141414141414L;
	register long r15 __asm__("r15") = 0x1515151515151515L;
	register long r10 __asm__("r10") = 0;   /* no signal mask */
	register long r8 __asm__("r8") = 8;
	long ret, xmm = 0x0808080808080808L;

	/* xmm8 too: the FPU state a signal frame carries must come back */
	__asm__ volatile("movq %[x], %%xmm8\n\t"
			 "syscall\n\t"
			 "movq %%xmm8, %[x]"
			 : "=a"(ret), "+r"(r12), "+r"(r13), "+r"(r14), "+r"(r15), "+r"(r10), "+r"(r8),
			   [x] "+r"(xmm)
			 : "0"((long)SYS_ppoll), "D"(pfd), "S"(1L), "d"(ts)
			 : "rcx", "r11", "xmm8", "memory");
	if (r12 != 0x1212121212121212L || r13 != 0x1313131313131313L ||
	    r14 != 0x1414141414141414L || r15 != 0x1515151515151515L ||
	    xmm != 0x0808080808080808L)
		c->canary_bad++;
	return ret;
}

/* A call returned -1: EINTR only if a non-SA_RESTART handler ran meanwhile
 * (ppoll, nanosleep and timed accept are never restarted, so any handler). */
static void check_fail(struct counts *c, int err, long nr_before, long all_before, int restartable)
{
	long after = no_restart_count(), all_after = after + got_usr1;

	if (err == EAGAIN || err == ETIMEDOUT)
		return;
	if (err != EINTR) {
		c->bad_errno++;
		return;
	}
	if (restartable ? after == nr_before : all_after == all_before)
		c->eintr_unexpected++;
}

static void take_bytes(struct counts *c, const unsigned char *buf, ssize_t n)
{
	for (ssize_t i = 0; i < n; i++) {
		if (buf[i] == c->next)
			c->bytes_ok++;
		else
			c->bytes_bad++;
		c->next = (unsigned char)(buf[i] + 1);
	}
}

int main(int argc, char **argv)
{
	const char *fifo = NULL, *counters = NULL;
	int seccomp = -1, mdwe = 0, vfork_hang = 0, want_vm = 0, vm = -1, rfd, pty, lsock;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { 0, 3000 };
	struct counts c = { 0 };
	unsigned char buf[256];

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--fifo") && i + 1 < argc)
			fifo = argv[++i];
		else if (!strcmp(argv[i], "--counters") && i + 1 < argc)
			counters = argv[++i];
		else if (!strcmp(argv[i], "--seccomp=errno"))
			seccomp = 0;
		else if (!strcmp(argv[i], "--seccomp=kill"))
			seccomp = 1;
		else if (!strcmp(argv[i], "--mdwe"))
			mdwe = 1;
		else if (!strcmp(argv[i], "--vfork-hang"))
			vfork_hang = 1;
		else if (!strcmp(argv[i], "--vm"))
			want_vm = 1;	/* be a VMM: hold a VM we created (kvm-assign --pid) */
		else
			usage();
	}
	if (!fifo)
		usage();
	shared = shared_none;
	if (counters) {
		int cfd = open(counters, O_RDWR | O_CREAT | O_TRUNC, 0644);

		if (cfd < 0 || ftruncate(cfd, 4096) < 0 ||
		    (shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, cfd, 0)) ==
		    MAP_FAILED) {
			perror("busy-target: counters");
			return 1;
		}
		close(cfd);
	}
	/* O_RDWR: the fifo never reports EOF when the feeder closes it */
	rfd = open(fifo, O_RDWR);
	pty = posix_openpt(O_RDWR | O_NOCTTY);
	lsock = socket(AF_UNIX, SOCK_STREAM, 0);
	if (rfd < 0 || pty < 0 || lsock < 0 || bind(lsock, (struct sockaddr *)&sa,
						     sizeof(sa_family_t)) < 0 ||
	    listen(lsock, 1) < 0 || setsockopt(lsock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		perror("busy-target: setup");
		return 1;
	}
	handle(SIGUSR1, SA_RESTART);
	handle(SIGUSR2, 0);
	handle(SIGRTMIN, 0);
	handle(SIGTERM, 0);
	if (mdwe && prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0, 0, 0) < 0) {
		perror("busy-target: PR_SET_MDWE");
		return 1;
	}
	if (want_vm) {
		int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);

		vm = kvm < 0 ? -1 : ioctl(kvm, KVM_CREATE_VM, 0);
		if (vm < 0) {
			perror("busy-target: /dev/kvm, KVM_CREATE_VM");
			return 1;
		}
		close(kvm);
	}
	dprintf(1, "pid=%d fifo=%d pty=%d sock=%d vm=%d\n", getpid(), rfd, pty, lsock, vm);
	if (seccomp >= 0)
		install_seccomp(seccomp);
	if (vfork_hang) {
		/* the parent waits for the child in an uninterruptible sleep */
		pid_t child = vfork();

		if (child == 0) {
			syscall(SYS_pause);
			_exit(0);
		}
	}

	while (!got_term) {
		struct pollfd pfd = { lsock, POLLIN, 0 };
		struct timespec ts = { 0, 3000000 }, nap = { 0, 2000000 };
		long nr = no_restart_count(), all = nr + got_usr1;
		ssize_t r;
		int s;

		c.loops++;
		/* no signal is ever blocked here: a mask left behind shows */
		{
			sigset_t now;

			sigprocmask(SIG_BLOCK, NULL, &now);
			if (!sigisemptyset(&now))
				c.mask_bad++;
		}
		r = read(rfd, buf, sizeof(buf));
		if (r < 0)
			check_fail(&c, errno, nr, all, 1);
		else
			take_bytes(&c, buf, r);
		if (got_term)
			break;
		nr = no_restart_count();
		all = nr + got_usr1;
		r = ppoll_canary(&pfd, &ts, &c);
		if (r < 0)
			check_fail(&c, (int)-r, nr, all, 0);
		nr = no_restart_count();
		all = nr + got_usr1;
		if (nanosleep(&nap, NULL) < 0)
			check_fail(&c, errno, nr, all, 0);
		nr = no_restart_count();
		all = nr + got_usr1;
		s = accept(lsock, NULL, NULL);
		if (s >= 0)
			close(s);
		else
			check_fail(&c, errno, nr, all, 0);
	}
	/* what the feeder wrote but we had not read yet */
	fcntl(rfd, F_SETFL, O_NONBLOCK);
	for (ssize_t r; (r = read(rfd, buf, sizeof(buf))) > 0;)
		take_bytes(&c, buf, r);
	dprintf(1, "usr1=%d usr2=%d rt=%d bytes_ok=%lu bytes_bad=%lu eintr_unexpected=%lu "
		"bad_errno=%lu canary_bad=%lu mask_bad=%lu loops=%lu\n", (int)got_usr1, (int)got_usr2,
		(int)got_rt, c.bytes_ok, c.bytes_bad, c.eintr_unexpected, c.bad_errno,
		c.canary_bad, c.mask_bad, c.loops);
	return 0;
}
