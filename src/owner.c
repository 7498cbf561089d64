/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * owner.c - finding the VMM that created a VM: its VM fds in /proc/PID/fd,
 * and the processes that hold the same open file as a handed-over fd.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/kcmp.h>

#include "owner.h"
#include "procinfo.h"

static int is_vm_link(pid_t pid, const char *fdname)
{
	char path[300], link[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/fd/%s", (int)pid, fdname);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return 0;
	link[n] = '\0';
	return strcmp(link, VM_FD_LINK) == 0;
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

int vm_fds_of(pid_t pid, int *fds, int max)
{
	char path[32];
	struct dirent *e;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	if (!d)
		return -1;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || !is_vm_link(pid, e->d_name))
			continue;
		if (n < max)
			fds[n++] = atoi(e->d_name);
	}
	closedir(d);
	qsort(fds, n, sizeof(*fds), cmp_int);
	return n;
}

static bool no_kcmp;	/* the kernel answered ENOSYS: built without CHECKPOINT_RESTORE */

bool kcmp_missing(void)
{
	return no_kcmp;
}

/* Does pid hold our open file, and under which fd? -1 if not, or if the
 * kernel cannot tell (no kcmp): every VM fd looks alike in /proc. */
static int same_file_fd(pid_t pid, int ours)
{
	int fds[MAX_VM_FDS];
	int n = vm_fds_of(pid, fds, MAX_VM_FDS);

	for (int i = 0; i < n && !no_kcmp; i++) {
		if (syscall(SYS_kcmp, getpid(), pid, KCMP_FILE, ours, fds[i]) == 0)
			return fds[i];
		if (errno == ENOSYS)
			no_kcmp = true;
	}
	return -1;
}

int vm_holders(int ours, pid_t preferred, struct vm_holder *out, int max, bool preferred_only)
{
	struct dirent *e;
	DIR *d;
	int n = 0, fd;
	pid_t self = getpid();

	if (preferred > 0 && preferred != self && (fd = same_file_fd(preferred, ours)) >= 0)
		out[n++] = (struct vm_holder){ preferred, fd, proc_start_time(preferred) };
	if (preferred_only && n)
		return n;
	d = opendir("/proc");
	if (!d)
		return n;
	while ((e = readdir(d)) && n < max) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);

		if (*end || pid <= 0 || pid == self || pid == preferred)
			continue;
		fd = same_file_fd((pid_t)pid, ours);
		if (fd >= 0)
			out[n++] = (struct vm_holder){ (pid_t)pid, fd, proc_start_time((pid_t)pid) };
	}
	closedir(d);
	return n;
}
