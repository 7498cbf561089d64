// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * stub-vmm.c - a stub VMM for the tests: creates a KVM VM with real ioctls and
 * serves its fd by the hand-off protocol v1 (or execs a command inheriting it).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <grp.h>

/* glibc 2.27 wraps memfd_create; the helpers build with glibc 2.17 too. */
#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC 1U
#endif

#include "../../src/abi.h"
#include "../../docs/handoff-sender.h"

enum send_mode {
	SEND_VM, SEND_SYSFD, SEND_VCPU, SEND_NONE, SEND_TWO, SEND_MANY,
	SEND_MEMFD, SEND_BADVERSION, SEND_SHORT, SEND_STALL,
};

static const char *const send_names[] = {
	"vm", "sysfd", "vcpu", "none", "two", "many", "memfd", "badversion", "short", "stall",
};

static struct {
	const char *socket_path, *ready_file, *greeting;
	int exec_fd;
	bool irqchip, print_vm_fd;
	int vcpus;
	long uid;
	enum send_mode send;
} opt = { .exec_fd = -1, .uid = -1 };

static int sysfd = -1, vmfd = -1, vcpufd = -1;
static volatile sig_atomic_t stop_signal;

static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
	va_list ap;

	fputs("stub-vmm: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void usage(FILE *out, int code)
{
	fputs(
"Usage: stub-vmm [options] --socket=<path>\n"
"       stub-vmm [options] --exec-fd=<n> -- <command> [<arg>...]\n"
"\n"
"Create a KVM VM and serve its fd by the hand-off protocol v1 until SIGTERM\n"
"or SIGINT, or exec <command> with the VM fd inherited as fd <n>.\n"
"\n"
"Options:\n"
"  --socket=<path>        listen there; print \"ready <pid>\" once listening\n"
"  --ready-file=<path>    also write \"ready <pid>\" to <path> once listening\n"
"  --exec-fd=<n>          dup the VM fd to <n> (no CLOEXEC) and exec <command>\n"
"  --irqchip              KVM_CREATE_IRQCHIP\n"
"  --vcpus=<n>            create <n> vcpus\n"
"  --uid=<uid>            after creating the VM, become <uid> before listening\n"
"  --send=<mode>          vm (default), sysfd, vcpu, none, two, many, memfd,\n"
"                         badversion, short, stall: what each client receives\n"
"  --greeting=<text>      with --send=vm: greet with <text> and a newline\n"
"  --print-vm-fd          print \"vmfd <n>\" on stdout (after \"ready\")\n"
"  -h, --help             show this help\n", out);
	exit(code);
}

static void on_stop(int sig)
{
	stop_signal = sig;
}

/* A hand-made message for the misbehaving modes. */
static int send_raw(int conn, const char *data, size_t len, const int *fds, int nfds)
{
	char cbuf[CMSG_SPACE(sizeof(int) * 64)];
	struct iovec iov = { (void *)data, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (nfds > 0) {
		struct cmsghdr *c;

		memset(cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
	}
	do
		n = sendmsg(conn, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -1 : 0;
}

static void serve_client(int conn)
{
	int fds[64], memfd, r = 0;

	switch (opt.send) {
	case SEND_VM:
		if (opt.greeting) {
			char line[256];
			int n = snprintf(line, sizeof(line), "%s\n", opt.greeting);

			r = send_raw(conn, line, n < (int)sizeof(line) ? (size_t)n : sizeof(line) - 1, &vmfd, 1);
		} else {
			r = kvm_handoff_send(conn, vmfd);
		}
		break;
	case SEND_SYSFD:
		r = kvm_handoff_send(conn, sysfd);
		break;
	case SEND_VCPU:
		r = kvm_handoff_send(conn, vcpufd);
		break;
	case SEND_NONE:
		r = send_raw(conn, KVM_HANDOFF_GREETING, KVM_HANDOFF_GREETING_LEN, NULL, 0);
		break;
	case SEND_TWO:
		fds[0] = vmfd;
		fds[1] = sysfd;
		r = send_raw(conn, KVM_HANDOFF_GREETING, KVM_HANDOFF_GREETING_LEN, fds, 2);
		break;
	case SEND_MANY:
		for (int i = 0; i < 64; i++)
			fds[i] = vmfd;
		r = send_raw(conn, KVM_HANDOFF_GREETING, KVM_HANDOFF_GREETING_LEN, fds, 64);
		break;
	case SEND_MEMFD:
		memfd = (int)syscall(SYS_memfd_create, "not-kvm", MFD_CLOEXEC);
		if (memfd < 0)
			die("memfd_create: %s", strerror(errno));
		r = kvm_handoff_send(conn, memfd);
		close(memfd);
		break;
	case SEND_BADVERSION:
		r = send_raw(conn, "KVM-VM-FD 9\n", 12, &vmfd, 1);
		break;
	case SEND_SHORT:
	case SEND_STALL:
		break;
	}
	if (r < 0)
		fprintf(stderr, "stub-vmm: send: %s\n", strerror(errno));
}

static void announce_ready(void)
{
	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	if (opt.ready_file) {
		char tmp[4096];
		FILE *f;

		snprintf(tmp, sizeof(tmp), "%s.tmp", opt.ready_file);
		f = fopen(tmp, "we");
		if (!f || fprintf(f, "ready %d\n", (int)getpid()) < 0 || fclose(f) != 0 ||
		    rename(tmp, opt.ready_file) != 0)
			die("cannot write %s: %s", opt.ready_file, strerror(errno));
	}
}

static int listen_socket(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int s;

	if (strlen(opt.socket_path) >= sizeof(sa.sun_path))
		die("socket path too long: %s", opt.socket_path);
	strcpy(sa.sun_path, opt.socket_path);
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		die("socket: %s", strerror(errno));
	unlink(opt.socket_path);
	/* 0600 from the start: no window where others may connect. */
	{
		mode_t old = umask(0177);

		if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			die("bind %s: %s", opt.socket_path, strerror(errno));
		umask(old);
	}
	if (opt.uid >= 0) {
		uid_t u = (uid_t)opt.uid;

		if (chown(opt.socket_path, u, (gid_t)-1) < 0)
			die("chown %s: %s", opt.socket_path, strerror(errno));
		/* Before listen(): the peer credentials are taken there. */
		if (setgroups(0, NULL) < 0 || setresgid((gid_t)u, (gid_t)u, (gid_t)u) < 0 || setresuid(u, u, u) < 0)
			die("cannot become uid %ld: %s", opt.uid, strerror(errno));
	}
	if (listen(s, 16) < 0)
		die("listen: %s", strerror(errno));
	return s;
}

/* Serve until SIGTERM/SIGINT; poll and accept just restart after EINTR. */
static void serve(void)
{
	sigset_t block, waitmask;
	struct sigaction sa = { .sa_handler = on_stop };
	int lsock, stalled = -1;

	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &waitmask);
	sigdelset(&waitmask, SIGTERM);
	sigdelset(&waitmask, SIGINT);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	lsock = listen_socket();
	announce_ready();
	if (opt.print_vm_fd) {
		printf("vmfd %d\n", vmfd);	/* after "ready": that stays the first line */
		fflush(stdout);
	}
	while (!stop_signal) {
		struct pollfd p = { .fd = lsock, .events = POLLIN };
		int conn;

		if (ppoll(&p, 1, NULL, &waitmask) < 0)
			continue;	/* EINTR: a stop signal, or a tracer's doing */
		if (!(p.revents & POLLIN))
			continue;
		conn = accept4(lsock, NULL, NULL, SOCK_CLOEXEC);
		if (conn < 0)
			continue;
		if (opt.send == SEND_STALL) {
			/* Hold one connection open without a word until the next. */
			if (stalled >= 0)
				close(stalled);
			stalled = conn;
			continue;
		}
		serve_client(conn);
		close(conn);
	}
	if (stalled >= 0)
		close(stalled);
	close(lsock);
	unlink(opt.socket_path);
}

static void create_vm(void)
{
	int api;

	sysfd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (sysfd < 0)
		die("open /dev/kvm: %s", strerror(errno));
	api = ioctl(sysfd, KVM_GET_API_VERSION, 0);
	if (api != KVM_API_VERSION)
		die("KVM_GET_API_VERSION: %d (%s)", api, api < 0 ? strerror(errno) : "unexpected");
	vmfd = ioctl(sysfd, KVM_CREATE_VM, 0);
	if (vmfd < 0)
		die("KVM_CREATE_VM: %s", strerror(errno));
	if (opt.irqchip && ioctl(vmfd, KVM_CREATE_IRQCHIP, 0) < 0)
		die("KVM_CREATE_IRQCHIP: %s", strerror(errno));
	for (int i = 0; i < opt.vcpus; i++) {
		int fd = ioctl(vmfd, KVM_CREATE_VCPU, i);

		if (fd < 0)
			die("KVM_CREATE_VCPU %d: %s", i, strerror(errno));
		if (vcpufd < 0)
			vcpufd = fd;
	}
	if (opt.send == SEND_VCPU && vcpufd < 0) {
		vcpufd = ioctl(vmfd, KVM_CREATE_VCPU, 0);
		if (vcpufd < 0)
			die("KVM_CREATE_VCPU 0: %s", strerror(errno));
	}
}

static long number(const char *s, const char *what)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end || v < 0) {
		fprintf(stderr, "stub-vmm: bad %s: %s\nTry 'stub-vmm --help' for more information.\n",
			what, s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	enum { O_SOCKET = 256, O_READY, O_EXEC_FD, O_IRQCHIP, O_VCPUS, O_UID, O_SEND, O_PRINT, O_GREETING };
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, O_SOCKET },
		{ "ready-file", required_argument, NULL, O_READY },
		{ "exec-fd", required_argument, NULL, O_EXEC_FD },
		{ "irqchip", no_argument, NULL, O_IRQCHIP },
		{ "vcpus", required_argument, NULL, O_VCPUS },
		{ "uid", required_argument, NULL, O_UID },
		{ "send", required_argument, NULL, O_SEND },
		{ "print-vm-fd", no_argument, NULL, O_PRINT },
		{ "greeting", required_argument, NULL, O_GREETING },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (c) {
		case O_SOCKET:
			opt.socket_path = optarg;
			break;
		case O_READY:
			opt.ready_file = optarg;
			break;
		case O_EXEC_FD:
			opt.exec_fd = (int)number(optarg, "--exec-fd");
			break;
		case O_IRQCHIP:
			opt.irqchip = true;
			break;
		case O_VCPUS:
			opt.vcpus = (int)number(optarg, "--vcpus");
			break;
		case O_UID:
			opt.uid = number(optarg, "--uid");
			break;
		case O_SEND: {
			size_t i;

			for (i = 0; i < sizeof(send_names) / sizeof(send_names[0]); i++)
				if (!strcmp(optarg, send_names[i]))
					break;
			if (i == sizeof(send_names) / sizeof(send_names[0])) {
				fprintf(stderr, "stub-vmm: unknown --send mode: %s\n"
					"Try 'stub-vmm --help' for more information.\n", optarg);
				return 2;
			}
			opt.send = (enum send_mode)i;
			break;
		}
		case O_PRINT:
			opt.print_vm_fd = true;
			break;
		case O_GREETING:
			opt.greeting = optarg;
			break;
		case 'h':
			usage(stdout, 0);
			break;
		default:
			fputs("Try 'stub-vmm --help' for more information.\n", stderr);
			return 2;
		}
	}
	if ((opt.exec_fd >= 0) == (opt.socket_path != NULL) ||
	    (opt.exec_fd >= 0 && optind >= argc) || (opt.exec_fd < 0 && optind < argc)) {
		fputs("stub-vmm: give either --socket=<path>, or --exec-fd=<n> and a command\n"
		      "Try 'stub-vmm --help' for more information.\n", stderr);
		return 2;
	}

	create_vm();
	if (opt.exec_fd >= 0) {
		if (vmfd == opt.exec_fd) {
			if (fcntl(vmfd, F_SETFD, 0) < 0)
				die("fcntl: %s", strerror(errno));
		} else if (dup2(vmfd, opt.exec_fd) < 0) {
			die("dup2: %s", strerror(errno));
		}
		if (opt.print_vm_fd) {
			printf("vmfd %d\n", opt.exec_fd);
			fflush(stdout);
		}
		execvp(argv[optind], argv + optind);
		die("cannot run %s: %s", argv[optind], strerror(errno));
	}
	serve();
	return 0;
}
