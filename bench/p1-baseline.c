// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * p1-baseline.c - the floor for one kvm-assign operation (bench P1): only
 * the system calls the operation cannot do without, no checks, no messages.
 *
 *   1. the hand-off: connect to the VMM's socket, receive the VM fd
 *      (SCM_RIGHTS, greeting "KVM-VM-FD 1\n", docs/handoff.md) and the
 *      peer's pid (SO_PEERCRED);
 *   2. the VM fd's number inside the VMM: /proc/PID/fd, kcmp(KCMP_FILE);
 *   3. the device: one read of its config space (sysfs config file);
 *   4. KVM_ASSIGN_PCI_DEVICE run inside the VMM, by src/inject.c (the same
 *      code kvm-assign uses: the minimal correct way to run an ioctl in
 *      another process is a ptrace stop with a scratch page and a signal
 *      frame, and a hand-written subset would be a different mechanism).
 *
 * usage: p1-baseline SOCKET SYSFS_DEVICE_DIR   (the directory's name is the
 * device's address, DDDD:BB:SS.F).  Exit 0 when the ioctl succeeded.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kcmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "../src/abi.h"
#include "../src/inject.h"

static int die(const char *what)
{
	fprintf(stderr, "p1-baseline: %s: %s\n", what, strerror(errno));
	return 1;
}

int main(int argc, char **argv)
{
	union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } ctl;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char greeting[16], path[64], link[64], cfg[64];
	struct iovec iov = { greeting, 12 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf) };
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	unsigned dom, bus, slot, func;
	int sock, vmfd = -1, theirs = -1, fd;
	struct dirent *e;
	const char *base;
	DIR *d;

	if (argc != 3)
		return fprintf(stderr, "usage: p1-baseline SOCKET SYSFS_DEVICE_DIR\n"), 2;
	base = strrchr(argv[2], '/') ? strrchr(argv[2], '/') + 1 : argv[2];
	if (sscanf(base, "%x:%x:%x.%x", &dom, &bus, &slot, &func) != 4)
		return fprintf(stderr, "p1-baseline: %s: not DDDD:BB:SS.F\n", base), 2;

	/* 1. the hand-off */
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", argv[1]);
	sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock < 0 || connect(sock, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return die("connect");
	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) < 1 || !CMSG_FIRSTHDR(&msg))
		return die("recvmsg");
	memcpy(&vmfd, CMSG_DATA(CMSG_FIRSTHDR(&msg)), sizeof(vmfd));
	if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0)
		return die("SO_PEERCRED");
	close(sock);

	/* 2. the same open file among the VMM's fds */
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)cred.pid);
	d = opendir(path);
	if (!d)
		return die(path);
	while (theirs < 0 && (e = readdir(d))) {
		char p[340];
		ssize_t n;

		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", path, e->d_name);
		n = readlink(p, link, sizeof(link) - 1);
		if (n < 0 || (link[n] = '\0', strcmp(link, "anon_inode:kvm-vm")))
			continue;
		if (syscall(SYS_kcmp, getpid(), cred.pid, KCMP_FILE, vmfd, atoi(e->d_name)) == 0)
			theirs = atoi(e->d_name);
	}
	closedir(d);
	if (theirs < 0)
		return errno = ESRCH, die("the VM fd in the VMM");

	/* 3. the device's config space */
	snprintf(path, sizeof(path), "%s/config", argv[2]);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read(fd, cfg, sizeof(cfg)) < 4 || (cfg[0] == '\xff' && cfg[1] == '\xff'))
		return die(path);
	close(fd);

	/* 4. the ioctl inside the VMM */
	struct kvm_assigned_pci_dev dev = {
		.assigned_dev_id = dom << 16 | bus << 8 | slot << 3 | func,
		.segnr = dom, .busnr = bus, .devfn = slot << 3 | func,
		.flags = KVM_DEV_ASSIGN_ENABLE_IOMMU,
	};
	struct inject_call call = { .request = KVM_ASSIGN_PCI_DEVICE, .arg = &dev, .len = sizeof(dev) };
	struct inject_target tg = { .pid = cred.pid, .fd = theirs, .same_file = vmfd };
	struct inject_report rep;
	char why[256];

	if (inject_ioctls(&tg, &call, 1, 5000, &rep, why, sizeof(why)) < 0)
		return fprintf(stderr, "p1-baseline: inject: %s\n", why), 1;
	if (call.ret < 0)
		return errno = call.err, die("KVM_ASSIGN_PCI_DEVICE");
	return 0;
}
