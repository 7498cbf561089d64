/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * handoff-sender.h - the VM fd hand-off protocol v1, sender side: what a VMM
 * calls to give its KVM VM fd to kvm-assign (see docs/handoff.md).
 */
#ifndef KVM_HANDOFF_SENDER_H
#define KVM_HANDOFF_SENDER_H

/* The whole data of a v1 message: 12 ASCII bytes, no NUL. */
#define KVM_HANDOFF_GREETING "KVM-VM-FD 1\n"
#define KVM_HANDOFF_GREETING_LEN 12

/*
 * Send the v1 message on the accepted UNIX stream connection conn: the
 * greeting as data and vmfd in one SCM_RIGHTS control message. The caller
 * then closes conn. Returns 0, or -1 with errno set.
 */
int kvm_handoff_send(int conn, int vmfd);

#endif
