/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * procinfo.h - what /proc says of another process: identity (start time),
 * owner, thread states, tracer, and why ptrace refused to attach to it.
 */
#ifndef KVM_ASSIGN_PROCINFO_H
#define KVM_ASSIGN_PROCINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* A field of /proc/PID/status as a number (the first one), or -1. */
long proc_status_field(pid_t pid, const char *name);
/* A signal set of /proc/PID/task/TID/status (SigBlk, SigPnd, ShdPnd...),
 * hexadecimal: 0, or -1 when the file or the field is missing. */
int proc_thread_sigset(pid_t pid, pid_t tid, const char *name, unsigned long long *set);
/* Field 22 of /proc/PID/stat, the start time in clock ticks; 0 if unknown. */
unsigned long long proc_start_time(pid_t pid);
/* The state letter of a thread (R, S, D, T, t, Z, X), '?' if unknown. */
char proc_thread_state(pid_t pid, pid_t tid);
/* /proc/PID/comm, made printable. */
void proc_comm(pid_t pid, char *buf, size_t len);
/* The thread to borrow: the main one, or a live one not inside an ioctl
 * (vcpu threads sit in KVM_RUN) when the leader has exited. */
pid_t proc_pick_thread(pid_t pid);
/* Why PTRACE_SEIZE said EPERM, most specific cause first, into why; returns
 * the errno to report (ESRCH when the process is exiting). */
int proc_explain_eperm(pid_t pid, pid_t tid, char *why, size_t whylen);

#endif
