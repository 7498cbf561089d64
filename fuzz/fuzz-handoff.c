/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz-handoff.c - libFuzzer target: the hand-off's receiving half (vmfd.c)
 * on a socketpair fed arbitrary bytes and SCM_RIGHTS messages.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

#include "../src/kvm-assign.h"
#include "../src/vmfd.h"

struct global_opts opts = { .timeout_s = 1 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Open fds now, to see that every received one is closed or kept. */
static int fd_count(void)
{
	int n = 0;

	for (int fd = 0; fd < 1024; fd++)
		n += fcntl(fd, F_GETFD) >= 0;
	return n;
}

/*
 * The input is a list of messages: a byte (low 4 bits: fds to send, 0-15;
 * bit 4: send a socket, not /dev/null), a length byte, then that many bytes.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int sv[2], fds[VMFD_MAX_FDS], nfds = 0, before = fd_count(), rc;
	char line[64];
	struct timespec deadline;
	size_t i = 0;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	while (i + 2 <= size && size <= 8192) {
		unsigned nsend = data[i] & 15, len = data[i + 1];
		int sendfds[16];
		union {
			char buf[CMSG_SPACE(16 * sizeof(int))];
			struct cmsghdr align;
		} control;
		struct iovec iov;
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
		int kind = data[i] & 16;

		i += 2;
		if (len > size - i)
			len = (unsigned)(size - i);
		iov.iov_base = (void *)(data + i);
		iov.iov_len = len;
		i += len;
		for (unsigned k = 0; k < nsend; k++)
			sendfds[k] = kind ? socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0) : open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (nsend) {
			struct cmsghdr *c;

			msg.msg_control = control.buf;
			msg.msg_controllen = CMSG_SPACE(nsend * sizeof(int));
			c = CMSG_FIRSTHDR(&msg);
			c->cmsg_level = SOL_SOCKET;
			c->cmsg_type = SCM_RIGHTS;
			c->cmsg_len = CMSG_LEN(nsend * sizeof(int));
			memcpy(CMSG_DATA(c), sendfds, nsend * sizeof(int));
		}
		/* stream sockets carry no empty message without fds */
		if (len || nsend)
			sendmsg(sv[1], &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
		for (unsigned k = 0; k < nsend; k++)
			close(sendfds[k]);
	}
	shutdown(sv[1], SHUT_WR);
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += 1;
	rc = vmfd_receive(sv[0], "fuzz", &deadline, line, sizeof(line), fds, &nfds);
	if (nfds < 0 || nfds > VMFD_MAX_FDS || strlen(line) >= sizeof(line))
		abort();
	if (!rc)
		vmfd_check_greeting(line, "fuzz");
	for (int k = 0; k < nfds; k++)
		if (fcntl(fds[k], F_GETFD) < 0 || !(fcntl(fds[k], F_GETFD) & FD_CLOEXEC))
			abort();	/* kept fds are open, and close-on-exec */
	for (int k = 0; k < nfds; k++)
		close(fds[k]);
	close(sv[0]);
	close(sv[1]);
	if (fd_count() != before)
		abort();	/* a received fd leaked */
	return 0;
}
