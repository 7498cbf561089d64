// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * kvm-ioctl.c - test helper: open /dev/kvm, create a VM and run raw KVM ioctls
 * given on the command line, printing ret/errno for each; or receive a hand-off.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <linux/kcmp.h>

#include "../../src/abi.h"
#include "../../src/errnames.h"

static int sysfd = -1, vmfd = -1;
static char **saved_argv;

static void usage(FILE *out, int code)
{
	fputs(
"Usage: kvm-ioctl [options] [<op>...]\n"
"\n"
"Opens /dev/kvm, creates a VM (unless --vmfd or --recv gives one) and runs\n"
"each <op>, printing \"<op> ret=<n>\" or \"<op> ret=-1 errno=<NAME>\".\n"
"\n"
"Options:\n"
"  --irqchip            KVM_CREATE_IRQCHIP right after creating the VM\n"
"  --vmfd=<n>           use the inherited fd <n> as the VM fd\n"
"  --sysfd=<n>          use the inherited fd <n> as the /dev/kvm fd\n"
"  --recv=<socket>      receive a VM fd by the hand-off protocol and report it\n"
"  --cmsg-space=<n>     control buffer size for --recv (default: one fd; max 4096)\n"
"  --timeout=<ms>       give up waiting in --recv after <ms> (default 2000)\n"
"  --churn=<ms>         only create and close VMs for <ms> milliseconds while two\n"
"                       other processes ping-pong over pipes; print the count\n"
"\n"
"Ops (numbers in C syntax; fields are the raw struct fields):\n"
"  assign:<id>:<seg>:<bus>:<devfn>:<flags>   KVM_ASSIGN_PCI_DEVICE\n"
"  deassign:<id>                             KVM_DEASSIGN_PCI_DEVICE\n"
"  irq:<id>:<flags>:<guest_irq>              KVM_ASSIGN_DEV_IRQ\n"
"  deirq:<id>:<flags>                        KVM_DEASSIGN_DEV_IRQ\n"
"  msixnr:<id>:<nr>                          KVM_ASSIGN_SET_MSIX_NR\n"
"  msixent:<id>:<entry>:<gsi>                KVM_ASSIGN_SET_MSIX_ENTRY\n"
"  intx:<id>:<flags>                         KVM_ASSIGN_SET_INTX_MASK\n"
"  efault:<name>     that ioctl (assign, deassign, irq, ...) with a bad pointer\n"
"  cap:<n> | syscap:<n>   KVM_CHECK_EXTENSION on the VM fd | on /dev/kvm\n"
"  api | irqchip | vcpu:<n>   KVM_GET_API_VERSION, KVM_CREATE_IRQCHIP, _VCPU\n"
"  raw:<nr>[:<arg>]  any ioctl number on the VM fd, integer argument\n"
"  readlink:vm|sys   readlink /proc/self/fd/<fd>\n"
"  kcmp:<pid>:<fd>   kcmp(KCMP_FILE) of our VM fd with <fd> of <pid> (0 = same)\n"
"  fork:<op>         run <op> in a forked child\n"
"  thread:<op>       run <op> in a new thread\n"
"  exec              re-exec this program (same pid) with the VM fd, for the rest\n"
"  pid               print our pid\n"
"  sleep:<ms>        hold everything open for <ms> milliseconds\n", out);
	exit(code);
}

/*
 * The first VM and the last one closed flip KVM's preempt-notifier static key,
 * a jump label in finish_task_switch() that every context switch runs: the
 * kernel live-patches it (text_poke_bp) while the ping-pong pair keeps the
 * other CPUs switching. Under multi-threaded TCG this once locked a vCPU up.
 */
static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

static int churn(int ms)
{
	int ab[2], ba[2], n = 0, rc = 0;
	long long end = now_ms() + ms;
	pid_t pp;

	if (pipe(ab) || pipe(ba))
		return perror("kvm-ioctl: pipe"), 1;
	pp = fork();
	if (pp < 0)
		return perror("kvm-ioctl: fork"), 1;
	if (pp == 0) {
		char c = 'x';
		bool echo;

		setpgid(0, 0);
		echo = fork() == 0;

		for (;;) {      /* until churn kills the group (or a pipe breaks) */
			if (echo ? read(ab[0], &c, 1) != 1 || write(ba[1], &c, 1) != 1
				 : write(ab[1], &c, 1) != 1 || read(ba[0], &c, 1) != 1)
				_exit(0);
		}
	}
	setpgid(pp, pp);
	close(ab[0]), close(ab[1]), close(ba[0]), close(ba[1]);
	do {
		int fd = ioctl(sysfd, KVM_CREATE_VM, 0);

		if (fd < 0) {
			printf("churn ret=-1 errno=%s after vms=%d\n", errno_symbol(errno), n);
			rc = 1;
			break;
		}
		close(fd);
		n++;
	} while (now_ms() < end);
	kill(-pp, SIGKILL);
	waitpid(pp, NULL, 0);
	if (!rc)
		printf("churn vms=%d\n", n);
	return rc;
}

static unsigned long num(const char *s)
{
	char *end;
	unsigned long v = strtoul(s, &end, 0);

	if (*end) {
		fprintf(stderr, "kvm-ioctl: bad number: %s\n", s);
		exit(2);
	}
	return v;
}

/* Split "a:b:c" into at most max fields (in place). */
static int fields(char *s, char **f, int max)
{
	int n = 0;

	while (n < max) {
		f[n++] = s;
		s = strchr(s, ':');
		if (!s)
			break;
		*s++ = '\0';
	}
	return n;
}

static void report(const char *op, long r)
{
	if (r < 0)
		printf("%s ret=-1 errno=%s\n", op, errno_symbol(errno));
	else
		printf("%s ret=%ld\n", op, r);
	fflush(stdout);
}

static void need(int have, int want, const char *op)
{
	if (have != want) {
		fprintf(stderr, "kvm-ioctl: %s wants %d fields\n", op, want - 1);
		exit(2);
	}
}

static void run_op(const char *op_text);

static void *thread_main(void *arg)
{
	run_op(arg);
	return NULL;
}

static void run_op(const char *op_text)
{
	char buf[256], *f[8];
	int n;
	long r;

	snprintf(buf, sizeof(buf), "%s", op_text);
	n = fields(buf, f, 8);
	if (!strcmp(f[0], "fork") && n >= 2) {
		pid_t p = fork();
		int st;

		if (p == 0) {
			run_op(op_text + 5);
			_exit(0);
		}
		waitpid(p, &st, 0);
		return;
	}
	if (!strcmp(f[0], "thread") && n >= 2) {
		pthread_t t;

		pthread_create(&t, NULL, thread_main, (void *)(op_text + 7));
		pthread_join(t, NULL);
		return;
	}
	if (!strcmp(f[0], "assign")) {
		struct kvm_assigned_pci_dev d = { 0 };

		need(n, 6, op_text);
		d.assigned_dev_id = num(f[1]);
		d.segnr = num(f[2]);
		d.busnr = num(f[3]);
		d.devfn = num(f[4]);
		d.flags = num(f[5]);
		r = ioctl(vmfd, KVM_ASSIGN_PCI_DEVICE, &d);
	} else if (!strcmp(f[0], "deassign")) {
		struct kvm_assigned_pci_dev d = { 0 };

		need(n, 2, op_text);
		d.assigned_dev_id = num(f[1]);
		r = ioctl(vmfd, KVM_DEASSIGN_PCI_DEVICE, &d);
	} else if (!strcmp(f[0], "irq") || !strcmp(f[0], "deirq")) {
		struct kvm_assigned_irq q = { 0 };
		bool assign = f[0][0] == 'i';

		need(n, assign ? 4 : 3, op_text);
		q.assigned_dev_id = num(f[1]);
		q.flags = num(f[2]);
		if (assign)
			q.guest_irq = num(f[3]);
		r = ioctl(vmfd, assign ? KVM_ASSIGN_DEV_IRQ : KVM_DEASSIGN_DEV_IRQ, &q);
	} else if (!strcmp(f[0], "msixnr")) {
		struct kvm_assigned_msix_nr m = { 0 };

		need(n, 3, op_text);
		m.assigned_dev_id = num(f[1]);
		m.entry_nr = num(f[2]);
		r = ioctl(vmfd, KVM_ASSIGN_SET_MSIX_NR, &m);
	} else if (!strcmp(f[0], "msixent")) {
		struct kvm_assigned_msix_entry e = { 0 };

		need(n, 4, op_text);
		e.assigned_dev_id = num(f[1]);
		e.entry = num(f[2]);
		e.gsi = num(f[3]);
		r = ioctl(vmfd, KVM_ASSIGN_SET_MSIX_ENTRY, &e);
	} else if (!strcmp(f[0], "intx")) {
		struct kvm_assigned_pci_dev d = { 0 };

		need(n, 3, op_text);
		d.assigned_dev_id = num(f[1]);
		d.flags = num(f[2]);
		r = ioctl(vmfd, KVM_ASSIGN_SET_INTX_MASK, &d);
	} else if (!strcmp(f[0], "efault")) {
		static const struct { const char *name; unsigned long cmd; } t[] = {
			{ "assign", KVM_ASSIGN_PCI_DEVICE }, { "deassign", KVM_DEASSIGN_PCI_DEVICE },
			{ "irq", KVM_ASSIGN_DEV_IRQ }, { "deirq", KVM_DEASSIGN_DEV_IRQ },
			{ "msixnr", KVM_ASSIGN_SET_MSIX_NR }, { "msixent", KVM_ASSIGN_SET_MSIX_ENTRY },
			{ "intx", KVM_ASSIGN_SET_INTX_MASK },
		};
		size_t i;

		need(n, 2, op_text);
		for (i = 0; i < sizeof(t) / sizeof(t[0]) && strcmp(t[i].name, f[1]); i++)
			;
		if (i == sizeof(t) / sizeof(t[0]))
			usage(stderr, 2);
		r = ioctl(vmfd, t[i].cmd, (void *)8);
	} else if (!strcmp(f[0], "cap") || !strcmp(f[0], "syscap")) {
		need(n, 2, op_text);
		r = ioctl(f[0][0] == 'c' ? vmfd : sysfd, KVM_CHECK_EXTENSION, num(f[1]));
	} else if (!strcmp(f[0], "api")) {
		r = ioctl(sysfd, KVM_GET_API_VERSION, 0);
	} else if (!strcmp(f[0], "irqchip")) {
		r = ioctl(vmfd, KVM_CREATE_IRQCHIP, 0);
	} else if (!strcmp(f[0], "vcpu")) {
		need(n, 2, op_text);
		r = ioctl(vmfd, KVM_CREATE_VCPU, num(f[1]));
	} else if (!strcmp(f[0], "raw")) {
		r = ioctl(vmfd, num(f[1]), n > 2 ? num(f[2]) : 0);
	} else if (!strcmp(f[0], "readlink")) {
		char path[64], link[PATH_MAX];
		ssize_t len;

		need(n, 2, op_text);
		snprintf(path, sizeof(path), "/proc/self/fd/%d", !strcmp(f[1], "sys") ? sysfd : vmfd);
		len = readlink(path, link, sizeof(link) - 1);
		if (len >= 0) {
			link[len] = '\0';
			printf("%s link=%s\n", op_text, link);
			fflush(stdout);
			return;
		}
		r = len;
	} else if (!strcmp(f[0], "kcmp")) {
		need(n, 3, op_text);
		r = syscall(SYS_kcmp, getpid(), (pid_t)num(f[1]), KCMP_FILE, vmfd, num(f[2]));
	} else if (!strcmp(f[0], "pid")) {
		r = getpid();
	} else if (!strcmp(f[0], "sleep")) {
		need(n, 2, op_text);
		r = usleep((useconds_t)num(f[1]) * 1000);
	} else {
		fprintf(stderr, "kvm-ioctl: unknown op: %s\n", op_text);
		exit(2);
	}
	report(op_text, r);
}

/* Re-exec ourselves in the same process: a new mm, the VM fd inherited. */
static void __attribute__((noreturn)) reexec(char **rest)
{
	char vmarg[32], sysarg[32], self[PATH_MAX];
	char *args[256];
	ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	int n = 0;

	if (len < 0) {
		perror("kvm-ioctl: /proc/self/exe");
		exit(1);
	}
	self[len] = '\0';

	fcntl(vmfd, F_SETFD, 0);
	fcntl(sysfd, F_SETFD, 0);
	snprintf(vmarg, sizeof(vmarg), "--vmfd=%d", vmfd);
	snprintf(sysarg, sizeof(sysarg), "--sysfd=%d", sysfd);
	args[n++] = saved_argv[0];
	args[n++] = vmarg;
	args[n++] = sysarg;
	while (*rest && n < 255)
		args[n++] = *rest++;
	args[n] = NULL;
	fflush(stdout);
	execv(self, args);
	perror("kvm-ioctl: exec");
	exit(1);
}

/* Receive one hand-off message and describe exactly what arrived. */
static int recv_handoff(const char *path, size_t cmsg_space, int timeout_ms)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char data[64];
	struct iovec iov = { data, sizeof(data) - 1 };
	static union {
		struct cmsghdr align;
		char buf[4096];
	} cbuf;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf.buf,
			     .msg_controllen = cmsg_space < sizeof(cbuf) ? cmsg_space : sizeof(cbuf) };
	struct pollfd p;
	struct cmsghdr *c;
	int s, nfds = 0;
	ssize_t len;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		printf("recv connect errno=%s\n", errno_symbol(errno));
		return 1;
	}
	p = (struct pollfd){ .fd = s, .events = POLLIN };
	if (poll(&p, 1, timeout_ms) == 0) {
		printf("recv timeout\n");
		return 1;
	}
	len = recvmsg(s, &mh, MSG_CMSG_CLOEXEC);
	if (len < 0) {
		printf("recv errno=%s\n", errno_symbol(errno));
		return 1;
	}
	data[len] = '\0';
	printf("recv len=%zd data=", len);
	for (ssize_t i = 0; i < len; i++)
		printf(data[i] == '\n' ? "\\n" : "%c", data[i]);
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (nfds++ == 0)
				vmfd = fd;
		}
	}
	printf(" nfds=%d ctrunc=%d", nfds, !!(mh.msg_flags & MSG_CTRUNC));
	if (nfds > 0) {
		char link[PATH_MAX], lp[64];
		ssize_t l;

		snprintf(lp, sizeof(lp), "/proc/self/fd/%d", vmfd);
		l = readlink(lp, link, sizeof(link) - 1);
		link[l < 0 ? 0 : l] = '\0';
		printf(" fd=%d link=%s", vmfd, link);
	}
	printf("\n");
	fflush(stdout);
	close(s);
	return 0;
}

int main(int argc, char **argv)
{
	bool irqchip = false;
	const char *recv_path = NULL;
	size_t cmsg_space = CMSG_SPACE(sizeof(int));
	int timeout_ms = 2000, churn_ms = -1, i;

	saved_argv = argv;
	for (i = 1; i < argc && !strncmp(argv[i], "--", 2); i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--irqchip"))
			irqchip = true;
		else if (!strncmp(a, "--vmfd=", 7))
			vmfd = (int)num(a + 7);
		else if (!strncmp(a, "--sysfd=", 8))
			sysfd = (int)num(a + 8);
		else if (!strncmp(a, "--recv=", 7))
			recv_path = a + 7;
		else if (!strncmp(a, "--cmsg-space=", 13))
			cmsg_space = num(a + 13);
		else if (!strncmp(a, "--timeout=", 10))
			timeout_ms = (int)num(a + 10);
		else if (!strncmp(a, "--churn=", 8))
			churn_ms = (int)num(a + 8);
		else if (!strcmp(a, "--help"))
			usage(stdout, 0);
		else if (!strcmp(a, "--")) {
			i++;
			break;
		} else
			usage(stderr, 2);
	}
	if (churn_ms >= 0) {
		sysfd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
		if (sysfd < 0) {
			printf("open ret=-1 errno=%s\n", errno_symbol(errno));
			return 1;
		}
		return churn(churn_ms);
	}
	if (recv_path) {
		if (recv_handoff(recv_path, cmsg_space, timeout_ms) != 0)
			return 1;
	} else if (vmfd < 0) {
		if (sysfd < 0)
			sysfd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
		if (sysfd < 0) {
			printf("open ret=-1 errno=%s\n", errno_symbol(errno));
			return 1;
		}
		vmfd = ioctl(sysfd, KVM_CREATE_VM, 0);
		if (vmfd < 0) {
			printf("create-vm ret=-1 errno=%s\n", errno_symbol(errno));
			return 1;
		}
		if (irqchip && ioctl(vmfd, KVM_CREATE_IRQCHIP, 0) < 0) {
			printf("irqchip ret=-1 errno=%s\n", errno_symbol(errno));
			return 1;
		}
	}
	for (; i < argc; i++) {
		if (!strcmp(argv[i], "exec"))
			reexec(argv + i + 1);
		run_op(argv[i]);
	}
	return 0;
}
