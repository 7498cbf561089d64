// SPDX-License-Identifier: GPL-2.0-or-later
/* qmp-query.c - ask a QEMU over its QMP socket one command (default
 * query-status) and print the answer: is the VMM still alive and serving? */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* Read one line ('\n'-terminated) within 10 s; 0 on success. */
static int read_line(int s, char *buf, size_t len)
{
	size_t got = 0;

	while (got < len - 1) {
		struct pollfd p = { s, POLLIN, 0 };
		ssize_t n;

		if (poll(&p, 1, 10000) <= 0)
			return -1;
		n = read(s, buf + got, 1);
		if (n <= 0)
			return -1;
		if (buf[got++] == '\n')
			break;
	}
	buf[got] = '\0';
	return 0;
}

static int command(int s, const char *cmd, char *buf, size_t len)
{
	char req[256];

	snprintf(req, sizeof(req), "{\"execute\":\"%s\"}\n", cmd);
	if (write(s, req, strlen(req)) < 0)
		return -1;
	/* Skip asynchronous events until the reply. */
	do {
		if (read_line(s, buf, len) < 0)
			return -1;
	} while (strstr(buf, "\"event\""));
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char buf[4096];
	int s;

	if (argc < 2 || argc > 3 || strlen(argv[1]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "usage: qmp-query SOCKET [COMMAND]\n");
		return 2;
	}
	strcpy(sa.sun_path, argv[1]);
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    read_line(s, buf, sizeof(buf)) < 0 || !strstr(buf, "QMP") ||
	    command(s, "qmp_capabilities", buf, sizeof(buf)) < 0 ||
	    command(s, argc == 3 ? argv[2] : "query-status", buf, sizeof(buf)) < 0) {
		fprintf(stderr, "qmp-query: %s: no answer (%s)\n", argv[1], strerror(errno));
		return 1;
	}
	fputs(buf, stdout);
	close(s);
	return 0;
}
