// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * deny-syscall.c - run a command with one system call failing with a chosen
 * errno, as on a kernel that lacks it: deny-syscall NR ERRNO -- CMD [ARG]...
 * NR:A,B... fails it only when its first argument is A, B... (a ptrace
 * request, for one): deny-syscall 101:0x420a,0x420b 5 -- CMD is a kernel
 * before 3.11, without PTRACE_GETSIGMASK/SETSIGMASK (EIO).
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

#define MAX_ARGS 8

int main(int argc, char **argv)
{
	long nr, err;
	unsigned long a0[MAX_ARGS];
	unsigned na = 0;
	char *end;

	if (argc < 5 || strcmp(argv[3], "--") != 0) {
		fputs("usage: deny-syscall NR ERRNO -- CMD [ARG]...\n", stderr);
		return 2;
	}
	nr = strtol(argv[1], &end, 10);
	if ((*end && *end != ':') || nr < 0)
		return 2;
	while (*end && na < MAX_ARGS) {
		a0[na++] = strtoul(end + 1, &end, 0);
		if (*end && *end != ',')
			return 2;
	}
	if (*end)
		return 2;
	err = strtol(argv[2], &end, 10);
	if (*end || err <= 0 || err > 4095)
		return 2;
	/* arch, nr, then (with A,B...) the first argument's low word; the
	 * last two: allow, deny */
	struct sock_filter f[6 + 2 * MAX_ARGS + 1] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 0),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)nr, 0, 0),
	};
	unsigned n = 4, allow;

	if (na)
		f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
						      offsetof(struct seccomp_data, args[0]));
	for (unsigned i = 0; i < na; i++) {
		/* a match jumps to deny, past the rest of the list and allow */
		f[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)a0[i],
						    (unsigned char)(na - i), 0);
		n++;
	}
	allow = n;
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (unsigned)err);
	/* not x86_64, or another call: allow */
	f[1].jf = (unsigned char)(allow - 2);
	f[3].jf = (unsigned char)(allow - 4);
	if (!na)
		f[3].jt = 1;	/* the call itself: deny */
	struct sock_fprog prog = { .len = (unsigned short)n, .filter = f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0) {
		perror("deny-syscall: seccomp");
		return 125;
	}
	execvp(argv[4], argv + 4);
	perror(argv[4]);
	return 127;
}
