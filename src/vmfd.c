/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vmfd.c - getting the VM fd a VMM hands over: received over a UNIX
 * socket with SCM_RIGHTS (docs/handoff.md), inherited, or found in a VMM.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "exitcodes.h"
#include "kvm-assign.h"
#include "owner.h"
#include "procinfo.h"
#include "util.h"
#include "vmfd.h"


int fd_link(int fd, char *buf, size_t len)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, buf, len - 1);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

/* A VM fd is the anon inode KVM_CREATE_VM makes; /dev/kvm or a vcpu is not. */
static int check_is_vm(int fd, const char *source)
{
	char link[PATH_MAX];

	if (fd_link(fd, link, sizeof(link)) < 0) {
		err_msg("%s: cannot inspect the fd: %s", source, strerror(errno));
		return KA_EXIT_VMFD;
	}
	if (strcmp(link, VM_FD_LINK) != 0) {
		err_msg("%s: not a KVM VM fd (it is %s): hand over the fd KVM_CREATE_VM returned", source, link);
		return KA_EXIT_VMFD;
	}
	return 0;
}

int vmfd_from_inherited(int fd, struct vmfd *out)
{
	int rc;

	memset(out, 0, sizeof(*out));
	out->fd = -1;
	snprintf(out->source, sizeof(out->source), "fd %d", fd);
	if (fcntl(fd, F_GETFD) < 0) {
		err_msg("fd %d: not open in kvm-assign: pass the VM fd to it without close-on-exec", fd);
		return KA_EXIT_VMFD;
	}
	rc = check_is_vm(fd, out->source);
	if (rc)
		return rc;
	out->fd = fd;
	return 0;
}

static int remaining_ms(const struct timespec *deadline)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (deadline->tv_sec - now.tv_sec) * 1000LL + (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms < 0 ? 0 : ms > INT_MAX ? INT_MAX : (int)ms;
}

static void close_all(int *fds, int n)
{
	for (int i = 0; i < n; i++)
		close(fds[i]);
}

/* Read the greeting line and every fd that comes with it, until '\n'. */
int vmfd_receive(int sock, const char *source, const struct timespec *deadline,
		   char *line, size_t linelen, int *fds, int *nfds)
{
	size_t got = 0;

	*nfds = 0;
	while (got < linelen - 1 && !memchr(line, '\n', got)) {
		union {
			char buf[CMSG_SPACE(VMFD_MAX_FDS * sizeof(int))];
			struct cmsghdr align;
		} control;
		struct iovec iov = { line + got, linelen - 1 - got };
		struct msghdr msg = {
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = control.buf, .msg_controllen = sizeof(control.buf),
		};
		struct pollfd pfd = { sock, POLLIN, 0 };
		int pr = poll(&pfd, 1, remaining_ms(deadline));
		ssize_t n;

		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0) {
			err_msg("%s: %s", source, strerror(errno));
			return KA_EXIT_VMFD;
		}
		if (pr == 0) {
			err_msg("%s: no VM fd within %d s: is the peer a kvm-assign hand-off socket? (--timeout)",
				source, opts.timeout_s);
			return KA_EXIT_VMFD;
		}
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0) {
			err_msg("%s: receive failed: %s", source, strerror(errno));
			return KA_EXIT_VMFD;
		}
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
			if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
				continue;
			int k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			int *p = (int *)CMSG_DATA(c);
			for (int i = 0; i < k; i++) {
				if (*nfds < VMFD_MAX_FDS)
					fds[(*nfds)++] = p[i];
				else
					close(p[i]);
			}
		}
		if (msg.msg_flags & MSG_CTRUNC) {
			err_msg("%s: the peer sent more file descriptors than fit (control data truncated): a hand-off carries exactly one",
				source);
			return KA_EXIT_VMFD;
		}
		if (n == 0)
			break;
		got += n;
	}
	line[got] = '\0';
	return 0;
}

int vmfd_check_greeting(const char *line, const char *source)
{
	size_t mlen = strlen(HANDOFF_MAGIC);
	char shown[40];
	size_t digits;
	long version;

	snprintf(shown, sizeof(shown), "%.*s", (int)strcspn(line, "\n"), line);
	for (char *p = shown; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			*p = '?';
	if (strncmp(line, HANDOFF_MAGIC, mlen) != 0) {
		err_msg("%s: not a kvm-assign hand-off (the peer said '%s'): see docs/handoff.md", source, shown);
		return KA_EXIT_VMFD;
	}
	/* Exactly a decimal number: no sign, space or leading zero (strtol takes them). */
	digits = strspn(line + mlen, "0123456789");
	if (digits == 0 || digits > 9 || line[mlen + digits] != '\n' ||
	    (digits > 1 && line[mlen] == '0')) {
		err_msg("%s: malformed hand-off greeting '%s'", source, shown);
		return KA_EXIT_VMFD;
	}
	version = strtol(line + mlen, NULL, 10);
	if (version != HANDOFF_VERSION) {
		err_msg("%s: hand-off version %ld is not supported (kvm-assign speaks version %d)",
			source, version, HANDOFF_VERSION);
		return KA_EXIT_VMFD;
	}
	return 0;
}

/* Replace what would break a one-line message (a link's target is anyone's). */
static void printable(char *s)
{
	for (; *s; s++)
		if (*s < 0x20 || *s == 0x7f)
			*s = '?';
}

/* The message for a socket that could not be reached (open or connect). */
static int connect_error(const char *source, int e)
{
	if (e == EACCES || e == EPERM) {
		err_msg("%s: cannot connect: %s: run as the VMM's user or root", source, strerror(e));
		return KA_EXIT_PERMISSION;
	}
	err_msg("%s: cannot connect: %s%s", source, strerror(e),
		e == ENOENT || e == ECONNREFUSED ? ": is the VMM running and serving its VM fd there?" : "");
	return KA_EXIT_VMFD;
}

/* May a directory hold the socket: can no one but root and us change its entries? */
static int check_dir(const struct stat *st, const char *dir, const char *source)
{
	uid_t me = geteuid();

	if (st->st_uid != 0 && st->st_uid != me) {
		err_msg("%s: %s is owned by uid %u, neither root nor uid %u: another user could replace the socket; move it to a directory only its owner can write",
			source, dir, (unsigned)st->st_uid, (unsigned)me);
		return KA_EXIT_VMFD;
	}
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) && !(st->st_mode & S_ISVTX)) {
		err_msg("%s: %s is writable by others (mode %04o) and not sticky: another user could replace the socket; move it to a directory only its owner can write",
			source, dir, (unsigned)(st->st_mode & 07777));
		return KA_EXIT_VMFD;
	}
	return 0;
}

/*
 * Open the socket file of PATH (O_PATH), refusing a path another user could
 * point at a different VMM: a symbolic link in any component, or a directory
 * on the way that someone but root and us may write (a sticky one, as /tmp,
 * is fine when root's or ours: others cannot rename or remove our entries;
 * a socket they made there fails SO_PEERCRED, and a hard link of theirs to
 * another VMM's socket shows as a second link).
 *
 * Races: the path is walked from / one component at a time with
 * openat(O_PATH|O_NOFOLLOW), so no link is ever followed, and each directory
 * is checked by fstat on the fd we hold, not by name. The caller connects to
 * /proc/self/fd/N of the returned fd, which reaches exactly the socket inode
 * checked here, whatever is renamed or replaced meanwhile. (Linux 2.6.39 has
 * all of this; openat2's RESOLVE_NO_SYMLINKS would need 5.6.)
 */
static int open_socket_path(const char *path, const char *source, int *out)
{
	char full[PATH_MAX], shown[PATH_MAX], name[NAME_MAX + 1];
	struct stat st, parent;
	const char *p;
	int cur, fd, rc = 0;

	*out = -1;
	if (path[0] != '/') {
		char cwd[PATH_MAX];

		if (!getcwd(cwd, sizeof(cwd))) {
			err_msg("%s: cannot learn the current directory: %s", source, strerror(errno));
			return KA_EXIT_VMFD;
		}
		if ((size_t)snprintf(full, sizeof(full), "%s/%s", cwd, path) >= sizeof(full))
			return connect_error(source, ENAMETOOLONG);
		path = full;
	}
	cur = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (cur < 0 || fstat(cur, &st) < 0) {
		rc = connect_error(source, errno);
		goto out;
	}
	parent = st;
	strcpy(shown, "/");
	for (p = path;;) {
		size_t len;

		p += strspn(p, "/");
		len = strcspn(p, "/");
		if (len == 0)
			break;
		if (len > NAME_MAX) {
			rc = connect_error(source, ENAMETOOLONG);
			goto out;
		}
		memcpy(name, p, len);
		name[len] = '\0';
		p += len;
		if (!strcmp(name, "."))
			continue;
		if (!strcmp(name, "..")) {
			err_msg("%s: the path has a '..' component: give the socket's path without it", source);
			rc = KA_EXIT_VMFD;
			goto out;
		}
		/* Going into a directory: it must be one, and a safe one. */
		if (!S_ISDIR(st.st_mode)) {
			rc = connect_error(source, ENOTDIR);
			goto out;
		}
		rc = check_dir(&st, shown, source);
		if (rc)
			goto out;
		parent = st;
		fd = openat(cur, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st) < 0) {
			rc = connect_error(source, errno);
			if (fd >= 0)
				close(fd);
			goto out;
		}
		snprintf(shown + strlen(shown), sizeof(shown) - strlen(shown), "%s%s",
			 strcmp(shown, "/") ? "/" : "", name);
		if (S_ISLNK(st.st_mode)) {
			char target[PATH_MAX];
			ssize_t n = readlinkat(cur, name, target, sizeof(target) - 1);

			target[n < 0 ? 0 : n] = '\0';
			printable(target);
			err_msg("%s: %s is a symbolic link (to %s): refusing to follow it", source, shown, target);
			close(fd);
			rc = KA_EXIT_VMFD;
			goto out;
		}
		close(cur);
		cur = fd;
	}
	/*
	 * A second name for the socket in a directory others may write (sticky)
	 * could be another user's hard link to a different VMM's socket.
	 */
	if (S_ISSOCK(st.st_mode) && st.st_nlink > 1 && (parent.st_mode & (S_IWGRP | S_IWOTH))) {
		err_msg("%s: %s has %lu hard links and its directory is writable by others: one may be another user's link to a different VMM's socket; move it to a directory only its owner can write",
			source, shown, (unsigned long)st.st_nlink);
		rc = KA_EXIT_VMFD;
		goto out;
	}
	*out = cur;
	return 0;
out:
	if (cur >= 0)
		close(cur);
	return rc;
}

int vmfd_from_socket(const char *path, int timeout_s, struct vmfd *out)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	struct timespec deadline;
	char line[64];
	int fds[VMFD_MAX_FDS];
	int nfds = 0, sock, pathfd, rc;

	memset(out, 0, sizeof(*out));
	out->fd = -1;
	snprintf(out->source, sizeof(out->source), "socket %s", path);
	if (strlen(path) >= sizeof(addr.sun_path))
		return usage_err(NULL, "socket '%s': path too long (at most %zu bytes)", path, sizeof(addr.sun_path) - 1);

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout_s;

	/* Connect to the very inode open_socket_path checked (see there). */
	rc = open_socket_path(path, out->source, &pathfd);
	if (rc)
		return rc;
	snprintf(addr.sun_path, sizeof(addr.sun_path), "/proc/self/fd/%d", pathfd);
	sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock < 0) {
		err_msg("%s: %s", out->source, strerror(errno));
		close(pathfd);
		return KA_EXIT_VMFD;
	}
	if (connect(sock, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		int e = errno;

		close(sock);
		close(pathfd);
		return connect_error(out->source, e);
	}
	close(pathfd);
	/* Only root or ourselves may hand us a fd we will act on. */
	if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0) {
		err_msg("%s: cannot learn the peer's credentials: %s", out->source, strerror(errno));
		close(sock);
		return KA_EXIT_VMFD;
	}
	if (cred.uid != 0 && cred.uid != geteuid()) {
		err_msg("%s: the peer (pid %d) runs as uid %u, neither root nor uid %u: refusing its fd",
			out->source, (int)cred.pid, (unsigned)cred.uid, (unsigned)geteuid());
		close(sock);
		return KA_EXIT_VMFD;
	}

	rc = vmfd_receive(sock, out->source, &deadline, line, sizeof(line), fds, &nfds);
	close(sock);
	if (!rc && nfds == 0) {
		err_msg("%s: the peer sent no file descriptor", out->source);
		rc = KA_EXIT_VMFD;
	}
	if (!rc && nfds > 1) {
		err_msg("%s: the peer sent %d file descriptors: a hand-off carries exactly one", out->source, nfds);
		rc = KA_EXIT_VMFD;
	}
	if (!rc)
		rc = vmfd_check_greeting(line, out->source);
	if (!rc)
		rc = check_is_vm(fds[0], out->source);
	if (rc) {
		close_all(fds, nfds);
		return rc;
	}
	out->fd = fds[0];
	out->owned = 1;
	out->peer_pid = cred.pid;
	out->peer_uid = cred.uid;
	return 0;
}

int vmfd_from_pid(pid_t pid, int choice, struct vmfd *out)
{
	int fds[MAX_VM_FDS], n;
	char list[96] = "";
	/* before its fds: a pid reused after this shows at attach (inject.c) */
	unsigned long long start = proc_start_time(pid);

	memset(out, 0, sizeof(*out));
	out->fd = -1;
	snprintf(out->source, sizeof(out->source), "pid %d", (int)pid);
	n = vm_fds_of(pid, fds, MAX_VM_FDS);
	if (n < 0 && errno == ENOENT) {
		err_msg("pid %d: no such process", (int)pid);
		return KA_EXIT_VMFD;
	}
	if (n < 0) {
		err_msg("pid %d: cannot list /proc/%d/fd: %s: run as root or as the VMM's user",
			(int)pid, (int)pid, strerror(errno));
		return errno == EACCES || errno == EPERM ? KA_EXIT_PERMISSION : KA_EXIT_VMFD;
	}
	for (int i = 0; i < n; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%d", i ? ", " : "", fds[i]);
	if (n == 0) {
		err_msg("pid %d: holds no KVM VM fd (no /proc/%d/fd link is anon_inode:kvm-vm): is it a VMM?",
			(int)pid, (int)pid);
		return KA_EXIT_VMFD;
	}
	if (choice >= 0) {
		for (int i = 0; i < n; i++)
			if (fds[i] == choice)
				goto found;
		err_msg("pid %d: fd %d is not one of its KVM VM fds (%s)", (int)pid, choice, list);
		return KA_EXIT_VMFD;
	}
	if (n > 1)
		return usage_err(NULL, "pid %d holds %d KVM VM fds (%s): choose one with --vm-fd", (int)pid, n, list);
	choice = fds[0];
found:
	out->holder_pid = pid;
	out->holder_fd = choice;
	out->holder_start = start;
	return 0;
}

int vmfd_acquire(struct vmfd *out)
{
	if (opts.pid > 0)
		return vmfd_from_pid(opts.pid, opts.vm_fd, out);
	if (opts.socket_path)
		return vmfd_from_socket(opts.socket_path, opts.timeout_s, out);
	return vmfd_from_inherited(opts.fd, out);
}

void vmfd_release(struct vmfd *vm)
{
	if (vm->owned && vm->fd >= 0)
		close(vm->fd);
	vm->fd = -1;
	vm->owned = 0;
}
