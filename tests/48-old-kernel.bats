#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# 48-old-kernel.bats - what kvm-assign does when a kernel lacks an interface it
# can use (docs/kernel.md §2): kcmp is absent without CONFIG_CHECKPOINT_RESTORE.
# (That every command works on 4.1.15 itself is shown by tests/legacy-kernel/.)

load test_helper

DENY=${TOP_BUILDDIR:-$TOP_SRCDIR}/tests/helpers/deny-syscall
SYS_KCMP=312
ENOSYS=38

@test "no kcmp: a handed-over fd cannot be matched to its VMM: exit 7, says why and asks for --pid" {
	[ -x "$DENY" ] || fail "$DENY is not built"
	run with_vmm -- --irqchip -- \
		"$DENY" $SYS_KCMP $ENOSYS -- "$KVM_ASSIGN" "${PCI_DUMP[@]}" --socket=@SOCKET@ assign 03:00.0
	assert_failure 7
	assert_output "kvm-assign: assign 0000:03:00.0: cannot tell which process holds this VM: this kernel has no kcmp (CONFIG_CHECKPOINT_RESTORE is off): aim kvm-assign at the VMM that created the VM, with --pid=PID"
	# Nothing ran in the VMM: only kvm-assign's own attempt reached the kernel.
	run grep -c 'comm=stub-vmm .*ioctl=KVM_ASSIGN_PCI_DEVICE' "$(klog)"
	assert_output 0
}

@test "no kcmp: --pid needs none, and the command runs in the VMM" {
	[ -x "$DENY" ] || fail "$DENY is not built"
	run with_vmm -- --irqchip -- \
		"$DENY" $SYS_KCMP $ENOSYS -- "$KVM_ASSIGN" "${PCI_DUMP[@]}" --pid=@PID@ assign 03:00.0
	assert_success
	assert_output ""
	run grep '^dev ' "$(kstate)"
	assert_output "dev vm=vm1 id=0x300 addr=0000:03:00.0 flags=0x1 intx_mask=0 irq=0x0 guest_irq=0 msix_nr=0"
}
