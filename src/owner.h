/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * owner.h - finding the VMM that created a VM: its VM fds in /proc/PID/fd,
 * and the processes that hold the same open file as a handed-over fd.
 */
#ifndef KVM_ASSIGN_OWNER_H
#define KVM_ASSIGN_OWNER_H

#include <stdbool.h>
#include <sys/types.h>

#define MAX_VM_FDS 16
/* What /proc/PID/fd/N links to for a VM made by KVM_CREATE_VM. */
#define VM_FD_LINK "anon_inode:kvm-vm"
#define MAX_CANDIDATES 32

struct vm_holder {
	pid_t pid;
	int fd;			/* the VM fd's number in that process */
	unsigned long long start_time;	/* when it was found: proc_start_time() */
};

/*
 * The fds of pid that are KVM VMs (link anon_inode:kvm-vm), ascending.
 * Returns their count, or -1 with errno (ESRCH, EACCES, ...).
 */
int vm_fds_of(pid_t pid, int *fds, int max);

/*
 * Processes other than this one that hold the open file behind our fd
 * (kcmp KCMP_FILE), the preferred pid first when it is one of them. With
 * preferred_only, the preferred pid alone when it holds it (no scan of
 * every process: the socket's peer is nearly always the VM's creator).
 */
int vm_holders(int ours, pid_t preferred, struct vm_holder *out, int max, bool preferred_only);

/* True once kcmp answered ENOSYS (a kernel without CONFIG_CHECKPOINT_RESTORE):
 * then no holder can be proven to hold our VM. */
bool kcmp_missing(void);

#endif
