/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sigframe.h - a way back that needs no tracer: an rt_sigreturn frame holding
 * a thread's own state, and the two instruction sequences that reach it.
 */
#ifndef KVM_ASSIGN_SIGFRAME_H
#define KVM_ASSIGN_SIGFRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/user.h>

struct tracee;

/*
 * In the VMM's own code: a "syscall; ret" (the gadget every injected call runs
 * at) and glibc's or musl's signal restorer "mov $15, %rax; syscall". With the
 * stack pointer on the restorer's address and a frame above it, whatever system
 * call the gadget runs is followed by rt_sigreturn: the thread puts itself back,
 * registers, signal mask and FPU state, even when nobody is there to do it.
 */
struct way_back {
	unsigned long gadget;		/* 0f 05 c3 */
	unsigned long restorer;		/* 48 c7 c0 0f 00 00 00 0f 05 */
	unsigned long frame;		/* where the frame sits: rsp for the chain */
	size_t frame_len;
	unsigned long own_mask;		/* in the frame: the mask it restores (8 bytes) */
	unsigned long all_mask;		/* beside it: every signal (8 bytes), for a
					 * thread that blocks them itself */
};

/* Find both sequences in pid's executable mappings (before attaching: the
 * code does not move). 0, or -1 with errno ENOEXEC when one is missing. */
int way_back_find(pid_t pid, struct way_back *wb);
/* After attaching: are they still there? */
bool way_back_still_there(struct tracee *t, const struct way_back *wb);

/*
 * Build, in the thread's stack below its red zone, the frame that restores
 * regs (the state to return to: not in a system call) with signal mask
 * mask and the FPU image fpu (fpu_len bytes, XSAVE layout when xsave).
 * Sets wb->frame. 0, or -1 with errno.
 */
int way_back_write(struct tracee *t, struct way_back *wb, const struct user_regs_struct *regs,
		   unsigned long long mask, const void *fpu, size_t fpu_len, bool xsave);

/* The registers that run system call nr(a...) at the gadget, then return to
 * the frame: the thread is safe to let go at any instant after they are set. */
struct user_regs_struct way_back_call(const struct way_back *wb, const struct user_regs_struct *base,
				      long nr, const long args[6]);

#endif
