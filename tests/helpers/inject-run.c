// SPDX-License-Identifier: GPL-2.0-or-later
/* inject-run.c - drive inject_ioctls() against a running process: N batches
 * of M ioctls on one of its fds, checking results, timing each stop. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "../../src/inject.h"

static void usage(void)
{
	fprintf(stderr,
		"usage: inject-run [-n batches] [-m calls] [-t timeout-ms] [-k kind] [-q] PID FD\n"
		"kinds: winsz (FD a tty: set then read back the window size, copy in and out),\n"
		"       fionread (int result), msix (1 set + m-1 gets of 16-byte structs)\n");
	exit(2);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	long batches = 1, m = 2;
	int timeout = 2000, quiet = 0, opt, fd, errors = 0;
	const char *kind = "winsz";
	double *stops, sum = 0, max = 0;
	unsigned long signals = 0;
	struct inject_call *calls;
	unsigned char (*args)[16];
	pid_t pid;

	while ((opt = getopt(argc, argv, "n:m:t:k:q")) != -1) {
		switch (opt) {
		case 'n': batches = atol(optarg); break;
		case 'm': m = atol(optarg); break;
		case 't': timeout = atoi(optarg); break;
		case 'k': kind = optarg; break;
		case 'q': quiet = 1; break;
		default: usage();
		}
	}
	if (argc - optind != 2 || batches < 1 || m < 1)
		usage();
	pid = (pid_t)atoi(argv[optind]);
	fd = atoi(argv[optind + 1]);
	/* any owner, any kind of fd: the mechanism alone */
	struct inject_target target = { .pid = pid, .fd = fd, .same_file = -1 };
	calls = calloc((size_t)m, sizeof(*calls));
	args = calloc((size_t)m, sizeof(*args));
	stops = calloc((size_t)batches, sizeof(*stops));
	if (!calls || !args || !stops)
		return 1;

	for (long b = 0; b < batches; b++) {
		struct inject_report rep;
		char why[512];
		int rc;

		memset(args, 0, (size_t)m * sizeof(*args));
		for (long i = 0; i < m; i++) {
			struct inject_call *c = &calls[i];
			struct winsize *ws = (struct winsize *)args[i];

			memset(c, 0, sizeof(*c));
			c->arg = args[i];
			c->len = sizeof(args[i]);
			if (!strcmp(kind, "fionread")) {
				c->request = FIONREAD;
				c->len = sizeof(int);
			} else if (i == 0 || (!strcmp(kind, "winsz") && i % 2 == 0)) {
				/* a distinct size per call, read back by the next */
				c->request = TIOCSWINSZ;
				ws->ws_row = (unsigned short)(1 + (b + i) % 500);
				ws->ws_col = (unsigned short)(1 + (b * 7 + i) % 500);
			} else {
				c->request = TIOCGWINSZ;
			}
		}
		rc = inject_ioctls(&target, calls, (size_t)m, timeout, &rep, why, sizeof(why));
		if (rc < 0) {
			fprintf(stderr, "inject-run: batch %ld: %s (%s)\n", b + 1, why,
				strerror(errno));
			errors++;
			break;
		}
		stops[b] = rep.stopped_ms;
		sum += rep.stopped_ms;
		if (rep.stopped_ms > max)
			max = rep.stopped_ms;
		signals += rep.signals;
		for (long i = 0; i < m; i++) {
			struct inject_call *c = &calls[i];

			if (c->ret < 0) {
				fprintf(stderr, "inject-run: batch %ld call %ld: %s%s%s\n", b + 1,
					i + 1, strerror(c->err), why[0] ? ": " : "", why);
				errors++;
				break;
			}
			if (c->request == TIOCGWINSZ && !strcmp(kind, "winsz")) {
				struct winsize *ws = (struct winsize *)args[i];

				if (ws->ws_row != 1 + (b + i - 1) % 500 ||
				    ws->ws_col != 1 + (b * 7 + i - 1) % 500) {
					fprintf(stderr, "inject-run: batch %ld call %ld: read back "
						"%ux%u, wrong\n", b + 1, i + 1, ws->ws_row, ws->ws_col);
					errors++;
				}
			}
		}
		if (errors)
			break;
	}
	if (!errors || batches > 1) {
		long done = 0;

		while (done < batches && stops[done] > 0)
			done++;
		qsort(stops, (size_t)done, sizeof(*stops), cmp_double);
		if (!quiet || errors)
			printf("batches=%ld calls=%ld errors=%d median_ms=%.4f avg_ms=%.4f "
			       "max_ms=%.4f signals=%lu\n", done, m, errors,
			       done ? stops[done / 2] : 0.0, done ? sum / (double)done : 0.0, max,
			       signals);
		else
			printf("%.4f\n", done ? stops[done / 2] : 0.0);
	}
	free(calls);
	free(args);
	free(stops);
	return errors ? 1 : 0;
}
