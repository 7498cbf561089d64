// SPDX-License-Identifier: GPL-2.0-or-later
/* target-feeder.c - keeps busy-target busy during injections: a numbered byte
 * stream on its fifo and a steady rain of signals, with a count of each sent. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	/* A standard signal merges with a pending one of its kind: send the next
	 * only when busy-target counted the last (COUNTERS), else it is skipped
	 * this round. Real-time signals queue, so they are sent regardless. */
	struct timespec gap = { 0, 300000 };
	volatile long *got;
	unsigned long usr1 = 0, usr2 = 0, rt = 0, bytes = 0, nbytes, nsigs;
	unsigned char b = 0;
	pid_t pid;
	int fd;

	if (argc != 6) {
		fprintf(stderr, "usage: target-feeder PID FIFO COUNTERS BYTES SIGNALS (0 0: until SIGTERM)\n");
		return 2;
	}
	pid = (pid_t)atoi(argv[1]);
	nbytes = strtoul(argv[4], NULL, 10);
	nsigs = strtoul(argv[5], NULL, 10);
	/* 0 and 0: until SIGTERM, then the counts as always */
	if (nbytes == 0 && nsigs == 0) {
		nbytes = nsigs = (unsigned long)-1;
		signal(SIGTERM, on_term);
	}
	fd = open(argv[3], O_RDONLY);
	got = fd < 0 ? MAP_FAILED : mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	if (got == MAP_FAILED) {
		perror("target-feeder: counters");
		return 1;
	}
	close(fd);
	fd = open(argv[2], O_WRONLY);
	if (fd < 0) {
		perror("target-feeder: fifo");
		return 1;
	}
	for (unsigned long i = 0, sent = 0; (i < nbytes || sent < nsigs) && !stop; i++) {
		if (i < nbytes && write(fd, &b, 1) == 1) {
			b++;
			bytes++;
		}
		if (sent < nsigs) {
			int sig = i % 3 == 0 ? SIGUSR1 : i % 3 == 1 ? SIGUSR2 : SIGRTMIN;

			if ((sig == SIGUSR1 && got[0] != (long)usr1) ||
			    (sig == SIGUSR2 && got[1] != (long)usr2)) {
				nanosleep(&gap, NULL);
				continue;       /* the last one is still on its way */
			}
			sent++;
			if (kill(pid, sig) < 0) {
				perror("target-feeder: kill");
				break;
			}
			*(sig == SIGUSR1 ? &usr1 : sig == SIGUSR2 ? &usr2 : &rt) += 1;
		}
		nanosleep(&gap, NULL);
	}
	close(fd);
	munmap((void *)got, 4096);
	printf("usr1=%lu usr2=%lu rt=%lu bytes=%lu\n", usr1, usr2, rt, bytes);
	return 0;
}
