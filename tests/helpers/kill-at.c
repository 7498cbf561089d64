// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * kill-at.c - run a command and SIGKILL it at the entry of its Nth system
 * call (all threads counted), naming that call: kill-at N -- CMD [ARG]...
 * kill-at at=CALL#K -- CMD: the same at the Kth call named CALL (as named
 * below, e.g. "ptrace(SETREGS)"), whatever the number of calls before it.
 * kill-at hold=CALL:FILE -- CMD: hold it at its first CALL until FILE
 * exists, then let it run on.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>

/* The calls kvm-assign's injection is made of, by name; the rest by number. */
static const char *call_name(long nr, long a0)
{
	static char buf[48];
	static const char *const requests[] = {
		[PTRACE_GETREGS] = "GETREGS", [PTRACE_SETREGS] = "SETREGS",
		[PTRACE_CONT] = "CONT", [PTRACE_SYSCALL] = "SYSCALL", [PTRACE_DETACH] = "DETACH",
		[PTRACE_GETFPREGS] = "GETFPREGS",
	};

	switch (nr) {
	case SYS_ptrace:
		if (a0 == PTRACE_SEIZE)
			return "ptrace(SEIZE)";
		if (a0 == PTRACE_INTERRUPT)
			return "ptrace(INTERRUPT)";
		if (a0 == 0x420a)
			return "ptrace(GETSIGMASK)";
		if (a0 == 0x420b)
			return "ptrace(SETSIGMASK)";
		if (a0 == PTRACE_GETREGSET)
			return "ptrace(GETREGSET)";
		if (a0 >= 0 && a0 < (long)(sizeof(requests) / sizeof(requests[0])) && requests[a0]) {
			snprintf(buf, sizeof(buf), "ptrace(%s)", requests[a0]);
			return buf;
		}
		snprintf(buf, sizeof(buf), "ptrace(%ld)", a0);
		return buf;
	case SYS_process_vm_readv: return "process_vm_readv";
	case SYS_process_vm_writev: return "process_vm_writev";
	case SYS_wait4: return "wait4";
	case SYS_ioctl: return "ioctl";
	case SYS_openat: return "openat";
	case SYS_read: return "read";
	case SYS_write: return "write";
	case SYS_close: return "close";
	case SYS_kcmp: return "kcmp";
	case SYS_readlink: return "readlink";
	case SYS_nanosleep: return "nanosleep";
	case SYS_clock_nanosleep: return "clock_nanosleep";
	case SYS_sched_yield: return "sched_yield";
	case SYS_clone: return "clone";
	case SYS_clone3: return "clone3";
	case SYS_mmap: return "mmap";
	case SYS_munmap: return "munmap";
	case SYS_exit: return "exit";
	case SYS_exit_group: return "exit_group";
	default:
		snprintf(buf, sizeof(buf), "syscall %ld", nr);
		return buf;
	}
}

int main(int argc, char **argv)
{
	long target = 0, seen = 0;
	const char *hold_call = NULL, *hold_file = NULL, *at_call = NULL;
	long at_count = 0, at_seen = 0;
	pid_t child, w;
	int status;
	char *end, holdbuf[128];

	if (argc < 4 || strcmp(argv[2], "--") != 0) {
		fputs("usage: kill-at N -- CMD [ARG]...   (N 0: list the calls, kill nothing)\n", stderr);
		return 2;
	}
	if (!strncmp(argv[1], "at=", 3)) {
		snprintf(holdbuf, sizeof(holdbuf), "%s", argv[1] + 3);
		end = strrchr(holdbuf, '#');
		if (!end || (at_count = strtol(end + 1, NULL, 10)) <= 0)
			return 2;
		*end = '\0';
		at_call = holdbuf;
		target = -1;
	} else if (!strncmp(argv[1], "hold=", 5)) {
		snprintf(holdbuf, sizeof(holdbuf), "%s", argv[1] + 5);
		end = strrchr(holdbuf, ':');
		if (!end)
			return 2;
		*end = '\0';
		hold_call = holdbuf;
		hold_file = end + 1;
		target = -1;
	} else {
		target = strtol(argv[1], &end, 10);
		if (*end || target < 0)
			return 2;
	}
	child = fork();
	if (child < 0)
		return 125;
	if (child == 0) {
		ptrace(PTRACE_TRACEME, 0, 0, 0);
		raise(SIGSTOP);
		execvp(argv[3], argv + 3);
		_exit(127);
	}
	waitpid(child, &status, 0);	/* its SIGSTOP */
	ptrace(PTRACE_SETOPTIONS, child, 0, PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACECLONE |
	       PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL);
	ptrace(PTRACE_SYSCALL, child, 0, 0);
	/* Entry and exit stops alternate per thread; count entries from the exec on. */
	{
		static unsigned char in_call[4194304 / 8];
		int execed = 0;

		while ((w = waitpid(-1, &status, __WALL)) > 0) {
			int sig = 0;

			if (WIFEXITED(status) || WIFSIGNALED(status)) {
				if (w == child) {
					fprintf(stderr, "kill-at: finished after %ld calls\n", seen);
					return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
				}
				continue;
			}
			if (!WIFSTOPPED(status))
				continue;
			if (WSTOPSIG(status) == (SIGTRAP | 0x80)) {
				unsigned bit = 1u << (w & 7);

				in_call[w / 8 % sizeof(in_call)] ^= (unsigned char)bit;
				if (target == 0 && execed && (in_call[w / 8 % sizeof(in_call)] & bit)) {
					struct user_regs_struct r;

					/* counting: name each call, for choosing where to kill */
					ptrace(PTRACE_GETREGS, w, 0, &r);
					printf("call %ld: %s\n", seen + 1, call_name((long)r.orig_rax, (long)r.rdi));
				}
				if (hold_call && execed && (in_call[w / 8 % sizeof(in_call)] & bit)) {
					struct user_regs_struct r;

					ptrace(PTRACE_GETREGS, w, 0, &r);
					if (!strcmp(call_name((long)r.orig_rax, (long)r.rdi), hold_call)) {
						printf("held at %s\n", hold_call);
						fflush(stdout);
						while (access(hold_file, F_OK) != 0)
							usleep(10000);
						hold_call = NULL;
					}
				}
				if (at_call && execed && (in_call[w / 8 % sizeof(in_call)] & bit)) {
					struct user_regs_struct r;

					ptrace(PTRACE_GETREGS, w, 0, &r);
					if (!strcmp(call_name((long)r.orig_rax, (long)r.rdi), at_call) &&
					    ++at_seen == at_count)
						target = seen + 1;
				}
				if (execed && (in_call[w / 8 % sizeof(in_call)] & bit) && ++seen == target) {
					struct user_regs_struct r;

					ptrace(PTRACE_GETREGS, w, 0, &r);
					kill(child, SIGKILL);
					printf("killed at call %ld: %s\n", seen, call_name((long)r.orig_rax, (long)r.rdi));
					fflush(stdout);
					/* every thread's end too: a traced leader is reaped last */
					while ((w = waitpid(-1, &status, __WALL)) > 0)
						if (w == child && (WIFSIGNALED(status) || WIFEXITED(status)))
							break;
					return 0;
				}
			} else if (status >> 16 == PTRACE_EVENT_EXEC) {
				execed = 1;
				memset(in_call, 0, sizeof(in_call));
				/* inside execve still: its exit stop comes next */
				in_call[w / 8 % sizeof(in_call)] |= (unsigned char)(1u << (w & 7));
			} else if (status >> 16 == 0 && WSTOPSIG(status) != SIGSTOP) {
				sig = WSTOPSIG(status);	/* a signal for it: deliver it */
			}
			ptrace(PTRACE_SYSCALL, w, 0, (void *)(long)sig);
		}
	}
	return 125;
}
