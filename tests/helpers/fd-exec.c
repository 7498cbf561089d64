// SPDX-License-Identifier: GPL-2.0-or-later
/* fd-exec.c - for the tests: receive a VMM's VM fd by the hand-off, put it at
 * fd N and exec a command, so that command inherits a fd it did not create. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char data[16];
	union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } u;
	struct iovec iov = { data, sizeof(data) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *c;
	int s, fd = -1, target;

	if (argc < 5 || strcmp(argv[3], "--") || strlen(argv[1]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "usage: fd-exec SOCKET N -- COMMAND [ARG...]\n");
		return 2;
	}
	target = atoi(argv[2]);
	strcpy(sa.sun_path, argv[1]);
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    recvmsg(s, &msg, MSG_CMSG_CLOEXEC) <= 0) {
		fprintf(stderr, "fd-exec: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	c = CMSG_FIRSTHDR(&msg);
	if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(c), sizeof(fd));
	if (fd < 0) {
		fprintf(stderr, "fd-exec: no fd from %s\n", argv[1]);
		return 1;
	}
	close(s);
	/* dup2 clears CLOEXEC on the copy: the command inherits it. */
	if ((fd == target ? fcntl(fd, F_SETFD, 0) : dup2(fd, target)) < 0) {
		fprintf(stderr, "fd-exec: dup2: %s\n", strerror(errno));
		return 1;
	}
	execvp(argv[4], argv + 4);
	fprintf(stderr, "fd-exec: %s: %s\n", argv[4], strerror(errno));
	return 127;
}
