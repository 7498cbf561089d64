/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vmfd.h - getting the VM fd a VMM hands over: received over a UNIX
 * socket with SCM_RIGHTS (docs/handoff.md), inherited, or found in a VMM.
 */
#ifndef KVM_ASSIGN_VMFD_H
#define KVM_ASSIGN_VMFD_H

#include <stddef.h>
#include <time.h>
#include <sys/types.h>

struct vmfd {
	int fd;
	int owned;		/* received by us: close it when done */
	pid_t peer_pid;		/* SO_PEERCRED of the sender, 0 when inherited */
	uid_t peer_uid;
	pid_t holder_pid;	/* --pid: the VMM, and its VM fd's number there */
	int holder_fd;
	unsigned long long holder_start;	/* its start time when it was found */
	char source[160];	/* "socket /run/vmm.sock" or "fd 5", for messages */
};

#define HANDOFF_MAGIC "KVM-VM-FD "
#define HANDOFF_VERSION 1

/* Each returns 0 or prints one error line and returns an exit code. */
int vmfd_from_socket(const char *path, int timeout_s, struct vmfd *out);
int vmfd_from_inherited(int fd, struct vmfd *out);
/* --pid: a VM fd of a running VMM, found in /proc/PID/fd; out->fd stays -1. */
int vmfd_from_pid(pid_t pid, int choice, struct vmfd *out);
/* The VM fd the global options name. */
int vmfd_acquire(struct vmfd *out);
void vmfd_release(struct vmfd *vm);

/*
 * The hand-off's receiving half, on a connected socket (exported for
 * fuzz/fuzz-handoff.c): the greeting line (up to '\n', at most linelen - 1
 * bytes, NUL-terminated) and every fd sent with it, at most VMFD_MAX_FDS
 * kept in fds[] (the rest closed).  0, or one error line and an exit code.
 */
#define VMFD_MAX_FDS 8		/* room to see, and refuse, a sender that sends several */
int vmfd_receive(int sock, const char *source, const struct timespec *deadline,
		 char *line, size_t linelen, int *fds, int *nfds);
/* "KVM-VM-FD 1\n" exactly: 0, or one error line and KA_EXIT_VMFD. */
int vmfd_check_greeting(const char *line, const char *source);

/* What /proc/self/fd/N links to ("anon_inode:kvm-vm" for a VM). */
int fd_link(int fd, char *buf, size_t len);

#endif
