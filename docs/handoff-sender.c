/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * handoff-sender.c - the VM fd hand-off protocol v1, sender side: a minimal,
 * self-contained implementation a VMM author can copy (see docs/handoff.md).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "handoff-sender.h"

int kvm_handoff_send(int conn, int vmfd)
{
	static const char greeting[] = KVM_HANDOFF_GREETING;
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} control;
	struct iovec iov = { (void *)greeting, KVM_HANDOFF_GREETING_LEN };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control.buf,
		.msg_controllen = sizeof(control.buf),
	};
	struct cmsghdr *cmsg;
	size_t sent = 0;

	_Static_assert(sizeof(greeting) - 1 == KVM_HANDOFF_GREETING_LEN, "greeting length");
	memset(&control, 0, sizeof(control));
	cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &vmfd, sizeof(int));

	/* The fd travels with the first byte; a short write sends the rest plain. */
	while (sent < KVM_HANDOFF_GREETING_LEN) {
		ssize_t n = sendmsg(conn, &msg, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		sent += (size_t)n;
		iov.iov_base = (char *)greeting + sent;
		iov.iov_len = KVM_HANDOFF_GREETING_LEN - sent;
		msg.msg_control = NULL;
		msg.msg_controllen = 0;
	}
	return 0;
}
