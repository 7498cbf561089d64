// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * abtime.c - time command A against command B, side by side in one run:
 * warm-up runs, then A and B alternated (ABBA...) so that drift in the
 * machine's load hits both alike; prints the median, quartiles and extremes
 * of each, the ratio of the medians, and each side's peak RSS.
 *
 * usage: abtime [-w warmup] [-n runs] [-p prepare] [-i] [-q] A... ::: B...
 *   -p CMD  run CMD (through /bin/sh -c) before every run of A or B, untimed
 *   -i      ignore non-zero exit statuses (default: stop, exit 1)
 * Output, one line:  a_med= a_q1= a_q3= a_min= a_max= b_med= ... ratio= a_rss_kib= b_rss_kib=
 * (milliseconds; ratio = a_med / b_med).  Commands run without a shell, with
 * stdin, stdout and stderr on /dev/null.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int ignore_status;

static void usage(void)
{
	fprintf(stderr, "usage: abtime [-w warmup] [-n runs] [-p prepare] [-i] A... ::: B...\n");
	exit(2);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Run argv, return its wall time in ms; *rss_kib gets its peak RSS. */
static double run(char **argv, long *rss_kib)
{
	struct rusage ru;
	double t0, t1;
	int status;
	pid_t pid;

	t0 = now_ms();
	pid = fork();
	if (pid < 0) {
		perror("abtime: fork");
		exit(1);
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	while (wait4(pid, &status, 0, &ru) < 0)
		if (errno != EINTR) {
			perror("abtime: wait4");
			exit(1);
		}
	t1 = now_ms();
	if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0) && !ignore_status) {
		if (WIFSIGNALED(status))
			fprintf(stderr, "abtime: '%s' was killed by signal %d (%s)\n", argv[0],
				WTERMSIG(status), strsignal(WTERMSIG(status)));
		else
			fprintf(stderr, "abtime: '%s' exited with %d; -i ignores that\n", argv[0],
				WEXITSTATUS(status));
		exit(1);
	}
	if (rss_kib && ru.ru_maxrss > *rss_kib)
		*rss_kib = ru.ru_maxrss;
	return t1 - t0;
}

static void prepare(const char *cmd)
{
	char *argv[] = { "/bin/sh", "-c", (char *)cmd, NULL };
	int saved = ignore_status;

	if (!cmd)
		return;
	ignore_status = 1;
	run(argv, NULL);
	ignore_status = saved;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* the p-th quantile of sorted v[0..n), linear between neighbours */
static double quantile(const double *v, int n, double p)
{
	double pos = p * (n - 1);
	int i = (int)pos;

	return i + 1 < n ? v[i] + (pos - i) * (v[i + 1] - v[i]) : v[n - 1];
}

static void stats(const char *name, double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	printf("%s_med=%.4f %s_q1=%.4f %s_q3=%.4f %s_min=%.4f %s_max=%.4f ", name, quantile(v, n, 0.5),
	       name, quantile(v, n, 0.25), name, quantile(v, n, 0.75), name, v[0], name, v[n - 1]);
}

int main(int argc, char **argv)
{
	int warm = 3, runs = 20, opt, sep;
	const char *prep = NULL;
	long rss_a = 0, rss_b = 0;
	double *ta, *tb, med_a, med_b;
	char **a, **b;

	while ((opt = getopt(argc, argv, "+w:n:p:i")) != -1) {
		switch (opt) {
		case 'w': warm = atoi(optarg); break;
		case 'n': runs = atoi(optarg); break;
		case 'p': prep = optarg; break;
		case 'i': ignore_status = 1; break;
		default: usage();
		}
	}
	for (sep = optind; sep < argc && strcmp(argv[sep], ":::"); sep++)
		;
	if (sep == optind || sep >= argc - 1 || runs < 1 || warm < 0)
		usage();
	argv[sep] = NULL;
	a = argv + optind;
	b = argv + sep + 1;
	ta = calloc((size_t)runs, sizeof(*ta));
	tb = calloc((size_t)runs, sizeof(*tb));
	if (!ta || !tb)
		return 1;
	for (int i = 0; i < warm; i++) {
		prepare(prep);
		run(a, NULL);
		prepare(prep);
		run(b, NULL);
	}
	for (int i = 0; i < runs; i++) {
		/* ABBA: neither side always goes first */
		if (i % 2 == 0) {
			prepare(prep);
			ta[i] = run(a, &rss_a);
			prepare(prep);
			tb[i] = run(b, &rss_b);
		} else {
			prepare(prep);
			tb[i] = run(b, &rss_b);
			prepare(prep);
			ta[i] = run(a, &rss_a);
		}
	}
	stats("a", ta, runs);
	stats("b", tb, runs);
	med_a = quantile(ta, runs, 0.5);
	med_b = quantile(tb, runs, 0.5);
	printf("ratio=%.4f runs=%d a_rss_kib=%ld b_rss_kib=%ld\n", med_b > 0 ? med_a / med_b : 0.0,
	       runs, rss_a, rss_b);
	free(ta);
	free(tb);
	return 0;
}
