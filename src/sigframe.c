// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sigframe.c - a way back that needs no tracer: an rt_sigreturn frame holding
 * a thread's own state, and the two instruction sequences that reach it.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "sigframe.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "ptrace.h"

static const unsigned char gadget_code[] = { 0x0f, 0x05, 0xc3 };
static const unsigned char restorer_code[] = { 0x48, 0xc7, 0xc0, 0x0f, 0x00, 0x00, 0x00, 0x0f, 0x05 };

/* The kernel's x86_64 struct ucontext (not glibc's ucontext_t, whose
 * sigset is 128 bytes and which carries an FPU area of its own). */
struct k_sigcontext {
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
	uint16_t cs, gs, fs, ss;
	uint64_t err, trapno, oldmask, cr2;
	uint64_t fpstate;
	uint64_t reserved1[8];
};

struct k_stack {
	uint64_t ss_sp;
	int32_t ss_flags;
	int32_t pad;
	uint64_t ss_size;
};

struct k_ucontext {
	uint64_t uc_flags;
	uint64_t uc_link;
	struct k_stack uc_stack;
	struct k_sigcontext uc_mcontext;
	uint64_t uc_sigmask;
};

_Static_assert(sizeof(struct k_sigcontext) == 256, "struct sigcontext (x86_64)");
_Static_assert(offsetof(struct k_ucontext, uc_mcontext) == 40, "uc_mcontext");
_Static_assert(offsetof(struct k_ucontext, uc_sigmask) == 296, "uc_sigmask");

#define UC_FP_XSTATE 0x1
#define FP_XSTATE_MAGIC1 0x46505853U
#define FP_XSTATE_MAGIC2 0x46505845U
#define FXSAVE_SW_BYTES 464		/* struct _fpx_sw_bytes in the FXSAVE image */
#define RED_ZONE 128
#define USER_CS 0x33
#define USER_DS 0x2b
/* Not 0, SS_ONSTACK nor SS_DISABLE: sigreturn's sigaltstack step fails with
 * EINVAL, which it ignores, so the thread's alternate stack is left as it is. */
#define ALTSTACK_KEEP 4

static int scan_range(pid_t pid, unsigned long lo, unsigned long hi, struct way_back *wb)
{
	static unsigned char buf[65536];

	for (unsigned long a = lo; a < hi && !(wb->gadget && wb->restorer);
	     a += sizeof(buf) - sizeof(restorer_code)) {
		size_t want = hi - a < sizeof(buf) ? hi - a : sizeof(buf);
		struct iovec local = { buf, want }, remote = { (void *)a, want };
		ssize_t got = process_vm_readv(pid, &local, 1, &remote, 1, 0);
		unsigned char *p;

		if (got <= 0)
			return -1;
		if (!wb->gadget && (p = memmem(buf, (size_t)got, gadget_code, sizeof(gadget_code))))
			wb->gadget = a + (unsigned long)(p - buf);
		if (!wb->restorer &&
		    (p = memmem(buf, (size_t)got, restorer_code, sizeof(restorer_code))))
			wb->restorer = a + (unsigned long)(p - buf);
		if ((size_t)got < want)
			break;
	}
	return 0;
}

int way_back_find(pid_t pid, struct way_back *wb)
{
	char path[64], line[512];
	FILE *f;

	memset(wb, 0, sizeof(*wb));
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	/* the C library first: both sequences are its own */
	for (int pass = 0; pass < 2 && !(wb->gadget && wb->restorer); pass++) {
		f = fopen(path, "re");
		if (!f)
			return -1;
		while (fgets(line, sizeof(line), f) && !(wb->gadget && wb->restorer)) {
			unsigned long lo, hi;
			char perms[8];
			int name = 0;
			bool libc;

			if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %n", &lo, &hi, perms, &name) < 3 ||
			    perms[0] != 'r' || perms[2] != 'x')
				continue;
			libc = strstr(line + name, "/libc") != NULL;
			if (libc != (pass == 0))
				continue;
			scan_range(pid, lo, hi, wb);
		}
		fclose(f);
	}
	if (!wb->gadget || !wb->restorer) {
		errno = ENOEXEC;
		return -1;
	}
	return 0;
}

bool way_back_still_there(struct tracee *t, const struct way_back *wb)
{
	unsigned char g[sizeof(gadget_code)], r[sizeof(restorer_code)];

	return tracee_read(t, wb->gadget, g, sizeof(g)) == 0 &&
	       tracee_read(t, wb->restorer, r, sizeof(r)) == 0 &&
	       memcmp(g, gadget_code, sizeof(g)) == 0 && memcmp(r, restorer_code, sizeof(r)) == 0;
}

static size_t align_up(size_t v, size_t a)
{
	return (v + a - 1) & ~(a - 1);
}

int way_back_write(struct tracee *t, struct way_back *wb, const struct user_regs_struct *regs,
		   unsigned long long mask, const void *fpu, size_t fpu_len, bool xsave)
{
	/* [restorer address][ucontext][pad to 64][FPU image][MAGIC2][all ones] */
	size_t uc_off = 8, fpu_off = align_up(uc_off + sizeof(struct k_ucontext), 64);
	size_t all_off = align_up(fpu_off + fpu_len + 4, 8);
	size_t len = align_up(all_off + 8, 64);
	uint64_t all = ~0ULL;
	unsigned long base = ((regs->rsp - RED_ZONE - len) & ~63UL);
	struct k_ucontext uc;
	unsigned char *buf;
	uint64_t restorer = wb->restorer;
	int rc;

	if (xsave && fpu_len < 512 + 64) {
		errno = EPROTO;
		return -1;
	}
	buf = calloc(1, len);
	if (!buf)
		return -1;
	memset(&uc, 0, sizeof(uc));
	uc.uc_flags = xsave ? UC_FP_XSTATE : 0;
	uc.uc_stack.ss_flags = ALTSTACK_KEEP;
	uc.uc_mcontext = (struct k_sigcontext){
		.r8 = regs->r8, .r9 = regs->r9, .r10 = regs->r10, .r11 = regs->r11,
		.r12 = regs->r12, .r13 = regs->r13, .r14 = regs->r14, .r15 = regs->r15,
		.rdi = regs->rdi, .rsi = regs->rsi, .rbp = regs->rbp, .rbx = regs->rbx,
		.rdx = regs->rdx, .rax = regs->rax, .rcx = regs->rcx, .rsp = regs->rsp,
		.rip = regs->rip, .eflags = regs->eflags, .cs = USER_CS, .ss = USER_DS,
		.fpstate = base + fpu_off,
	};
	uc.uc_sigmask = mask;
	memcpy(buf, &restorer, sizeof(restorer));
	memcpy(buf + uc_off, &uc, sizeof(uc));
	memcpy(buf + fpu_off, fpu, fpu_len);
	memcpy(buf + all_off, &all, sizeof(all));
	if (xsave) {
		/* ptrace keeps XCR0 where a signal frame has its software bytes:
		 * write those, and MAGIC2 right after the state they describe. */
		struct {
			uint32_t magic1, extended_size;
			uint64_t xfeatures;
			uint32_t xstate_size, padding[7];
		} sw = { FP_XSTATE_MAGIC1, (uint32_t)fpu_len + 4, 0, (uint32_t)fpu_len, { 0 } };
		uint32_t magic2 = FP_XSTATE_MAGIC2;

		_Static_assert(sizeof(sw) == 512 - FXSAVE_SW_BYTES, "struct _fpx_sw_bytes");
		memcpy(&sw.xfeatures, (const unsigned char *)fpu + FXSAVE_SW_BYTES, sizeof(sw.xfeatures));
		memcpy(buf + fpu_off + FXSAVE_SW_BYTES, &sw, sizeof(sw));
		memcpy(buf + fpu_off + fpu_len, &magic2, sizeof(magic2));
	} else {
		/* no software bytes: the kernel restores the FXSAVE image alone */
		memset(buf + fpu_off + FXSAVE_SW_BYTES, 0, 512 - FXSAVE_SW_BYTES);
	}
	rc = tracee_write(t, base, buf, len);
	free(buf);
	if (rc < 0)
		return -1;
	wb->frame = base;
	wb->frame_len = len;
	wb->own_mask = base + uc_off + offsetof(struct k_ucontext, uc_sigmask);
	wb->all_mask = base + all_off;
	return 0;
}

struct user_regs_struct way_back_call(const struct way_back *wb, const struct user_regs_struct *base,
				      long nr, const long args[6])
{
	struct user_regs_struct r = *base;

	r.rip = wb->gadget;
	r.rsp = wb->frame;	/* the gadget's ret pops the restorer */
	r.rax = (unsigned long)nr;
	r.orig_rax = (unsigned long)-1;
	r.rdi = (unsigned long)args[0];
	r.rsi = (unsigned long)args[1];
	r.rdx = (unsigned long)args[2];
	r.r10 = (unsigned long)args[3];
	r.r8 = (unsigned long)args[4];
	r.r9 = (unsigned long)args[5];
	return r;
}
