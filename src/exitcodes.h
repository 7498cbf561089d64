/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * exitcodes.h - kvm-assign's exit status, part of its interface: scripts
 * test these numbers, so they are documented in kvm-assign(8), --help and
 * the README, and never change.
 */
#ifndef KVM_ASSIGN_EXITCODES_H
#define KVM_ASSIGN_EXITCODES_H

#define KA_EXIT_OK           0	/* done */
#define KA_EXIT_REFUSED      1	/* the kernel refused for another reason */
#define KA_EXIT_USAGE        2	/* bad command line */
#define KA_EXIT_UNSUPPORTED  3	/* kernel lacks legacy device assignment */
#define KA_EXIT_PERMISSION   4	/* permission denied */
#define KA_EXIT_NODEV        5	/* PCI device not found */
#define KA_EXIT_VMFD         6	/* VM fd unavailable or invalid */
#define KA_EXIT_NOT_OWNER    7	/* the VM belongs to another process and the ioctl could not run there */
#define KA_EXIT_NO_KVM       8	/* /dev/kvm missing or unusable: cannot tell */
#define KA_EXIT_NOT_READY    9	/* check: the kernel has it, but this host or device is not ready */
#define KA_EXIT_ROLLBACK    10	/* batch: a step failed and undoing the steps before it failed too */

/* The words --help prints for each; the README's list says the same. */
#define KA_EXIT_SUMMARY \
	" 0  success\n" \
	" 1  the kernel refused\n" \
	" 2  usage error\n" \
	" 3  kernel lacks support\n" \
	" 4  permission denied\n" \
	" 5  device not found\n" \
	" 6  VM fd unavailable or invalid\n" \
	" 7  the ioctl could not run in the VM's creator\n" \
	" 8  /dev/kvm missing or unusable\n" \
	" 9  check: supported, but the host or device is not ready\n" \
	"10  batch: a step failed, and rollback could not undo all\n"

#endif
