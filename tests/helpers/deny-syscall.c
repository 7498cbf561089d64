// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * deny-syscall.c - run a command with one system call failing with a chosen
 * errno, as on a kernel that lacks it: deny-syscall NR ERRNO -- CMD [ARG]...
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

int main(int argc, char **argv)
{
	long nr, err;
	char *end;

	if (argc < 5 || strcmp(argv[3], "--") != 0) {
		fputs("usage: deny-syscall NR ERRNO -- CMD [ARG]...\n", stderr);
		return 2;
	}
	nr = strtol(argv[1], &end, 10);
	if (*end || nr < 0)
		return 2;
	err = strtol(argv[2], &end, 10);
	if (*end || err <= 0 || err > 4095)
		return 2;
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)nr, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (unsigned)err),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0) {
		perror("deny-syscall: seccomp");
		return 125;
	}
	execvp(argv[4], argv + 4);
	perror(argv[4]);
	return 127;
}
