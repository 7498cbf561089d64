// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * procinfo.c - what /proc says of another process: identity (start time),
 * owner, thread states, tracer, and why ptrace refused to attach to it.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "procinfo.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CAP_SYS_PTRACE_BIT 19

/* A small /proc file, first line only, never more than len - 1 bytes. */
static int read_line(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	ssize_t r;

	if (fd < 0)
		return -1;
	r = read(fd, buf, len - 1);
	close(fd);
	if (r < 0)
		return -1;
	buf[r] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

long proc_status_field(pid_t pid, const char *name)
{
	char path[64], line[256];
	size_t len = strlen(name);
	long v = -1;
	FILE *f;

	if (pid > 0)
		snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/status");
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, len) && line[len] == ':') {
			v = strtol(line + len + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

int proc_thread_sigset(pid_t pid, pid_t tid, const char *name, unsigned long long *set)
{
	char path[64], line[256];
	size_t len = strlen(name);
	int rc = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/status", (int)pid, (int)tid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, len) && line[len] == ':') {
			char *end;

			errno = 0;
			*set = strtoull(line + len + 1, &end, 16);
			rc = errno || end == line + len + 1 ? -1 : 0;
			break;
		}
	fclose(f);
	if (rc < 0 && !errno)
		errno = ENOENT;
	return rc;
}

static unsigned long long own_cap_eff(void)
{
	char line[256];
	unsigned long long caps = 0;
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "CapEff:", 7))
			caps = strtoull(line + 7, NULL, 16);
	fclose(f);
	return caps;
}

unsigned long long proc_start_time(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long start = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (read_line(path, buf, sizeof(buf)) < 0)
		return 0;
	p = strrchr(buf, ')');	/* comm may hold spaces and parentheses */
	/* after ")": state is field 3, starttime field 22 */
	if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
			 &start) != 1)
		return 0;
	return start;
}

char proc_thread_state(pid_t pid, pid_t tid)
{
	char path[64], buf[512], *p;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)pid, (int)tid);
	if (read_line(path, buf, sizeof(buf)) < 0)
		return '?';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : '?';
}

void proc_comm(pid_t pid, char *buf, size_t len)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	if (read_line(path, buf, len) < 0)
		snprintf(buf, len, "?");
	for (char *p = buf; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			*p = '?';
}

pid_t proc_pick_thread(pid_t pid)
{
	char path[64], buf[128];
	pid_t fallback = pid, chosen = 0;
	struct dirent *de;
	DIR *d;

	if (!strchr("ZX", proc_thread_state(pid, pid)))
		return pid;
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return pid;
	while (!chosen && (de = readdir(d))) {
		pid_t tid = (pid_t)atoi(de->d_name);

		if (tid <= 0 || strchr("ZX?", proc_thread_state(pid, tid)))
			continue;
		if (fallback == pid)
			fallback = tid;
		snprintf(path, sizeof(path), "/proc/%d/task/%d/syscall", (int)pid, (int)tid);
		if (read_line(path, buf, sizeof(buf)) == 0 && strncmp(buf, "16 ", 3))
			chosen = tid;
	}
	closedir(d);
	return chosen ? chosen : fallback;
}

int proc_explain_eperm(pid_t pid, pid_t tid, char *why, size_t whylen)
{
	char comm[64], path[64], yama[16];
	long tracer = proc_status_field(pid, "TracerPid");
	bool cap = own_cap_eff() & (1ULL << CAP_SYS_PTRACE_BIT);
	long target_uid = proc_status_field(pid, "Uid");
	int scope = -1;
	struct stat st;

	if (read_line("/proc/sys/kernel/yama/ptrace_scope", yama, sizeof(yama)) == 0)
		scope = atoi(yama);
	if (target_uid < 0 || strchr("ZX?", proc_thread_state(pid, tid))) {
		/* an exiting process has no mm left to trace */
		snprintf(why, whylen, "process %d is exiting or has exited", (int)pid);
		return ESRCH;
	} else if (tracer > 0) {
		proc_comm((pid_t)tracer, comm, sizeof(comm));
		snprintf(why, whylen, "cannot attach to process %d: it is already traced by "
			 "process %ld (%s), and a process can have only one tracer; detach that "
			 "debugger or strace first", (int)pid, tracer, comm);
	} else if (scope == 3) {
		snprintf(why, whylen, "cannot attach to process %d: ptrace is disabled "
			 "(kernel.yama.ptrace_scope = 3, which cannot be lowered until reboot)", (int)pid);
	} else if (scope == 2 && !cap) {
		snprintf(why, whylen, "cannot attach to process %d: kernel.yama.ptrace_scope = 2 "
			 "allows ptrace only with CAP_SYS_PTRACE; run as root", (int)pid);
	} else if (target_uid >= 0 && (uid_t)target_uid != getuid() && !cap) {
		snprintf(why, whylen, "cannot attach to process %d: it runs as uid %ld and we "
			 "run as uid %u without CAP_SYS_PTRACE; run as root or as its user",
			 (int)pid, target_uid, (unsigned)getuid());
	} else if (scope == 1 && !cap) {
		snprintf(why, whylen, "cannot attach to process %d: kernel.yama.ptrace_scope = 1 "
			 "lets a process trace only its descendants; run as root (CAP_SYS_PTRACE) "
			 "or set the sysctl to 0", (int)pid);
	} else {
		snprintf(path, sizeof(path), "/proc/%d", (int)pid);
		if (stat(path, &st) == 0 && st.st_uid == 0 && target_uid > 0 && !cap)
			snprintf(why, whylen, "cannot attach to process %d: it is not dumpable "
				 "(setuid, or PR_SET_DUMPABLE 0); run as root", (int)pid);
		else
			snprintf(why, whylen, "cannot attach to process %d: ptrace refused "
				 "(Operation not permitted) by a security module (AppArmor, SELinux, "
				 "Landlock) or the process is not dumpable", (int)pid);
	}
	return EPERM;
}
