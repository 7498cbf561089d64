// SPDX-License-Identifier: GPL-2.0-or-later
/* fd-forward.c - a middleman for the tests: receives a VMM's VM fd by the
 * hand-off and serves it on its own socket, so its peer is not the creator. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../../docs/handoff-sender.h"

static int unix_socket(const char *path, struct sockaddr_un *sa)
{
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (s < 0 || strlen(path) >= sizeof(sa->sun_path)) {
		fprintf(stderr, "fd-forward: bad socket %s\n", path);
		exit(1);
	}
	strcpy(sa->sun_path, path);
	return s;
}

static int receive_fd(const char *from)
{
	struct sockaddr_un sa;
	int s = unix_socket(from, &sa), fd = -1;
	char data[16];
	union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } u;
	struct iovec iov = { data, sizeof(data) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *c;

	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 || recvmsg(s, &msg, 0) <= 0) {
		fprintf(stderr, "fd-forward: %s: %s\n", from, strerror(errno));
		exit(1);
	}
	c = CMSG_FIRSTHDR(&msg);
	if (c && c->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(c), sizeof(fd));
	close(s);
	if (fd < 0) {
		fprintf(stderr, "fd-forward: no fd from %s\n", from);
		exit(1);
	}
	return fd;
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa;
	int vmfd, s;

	if (argc != 3) {
		fprintf(stderr, "usage: fd-forward FROM-SOCKET TO-SOCKET\n");
		return 2;
	}
	vmfd = receive_fd(argv[1]);
	s = unix_socket(argv[2], &sa);
	unlink(argv[2]);
	if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(s, 8) < 0) {
		fprintf(stderr, "fd-forward: %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	for (;;) {
		int c = accept(s, NULL, NULL);

		if (c < 0 && errno == EINTR)
			continue;
		if (c < 0)
			return 1;
		if (kvm_handoff_send(c, vmfd) < 0)
			fprintf(stderr, "fd-forward: send: %s\n", strerror(errno));
		close(c);
	}
}
