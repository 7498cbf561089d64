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

# Before 3.11 the kernel has no PTRACE_GETSIGMASK/SETSIGMASK: both answer EIO
# (measured on 3.10.105, docs/kernel.md §2). The thread's mask is then read
# from /proc and set by the thread itself (rt_sigprocmask, run in it).
SYS_PTRACE=101
NO_SIGMASK_REQUESTS=("$SYS_PTRACE:0x420a,0x420b" 5)

@test "no PTRACE_GETSIGMASK/SETSIGMASK (before 3.11): every in-VMM command runs, the VMM's signal mask kept" {
	[ -x "$DENY" ] || fail "$DENY is not built"
	H=$TOP_BUILDDIR/tests/helpers
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	run sim -- bash -c '
		H=$1 D=$2 DUMP=$3; shift 3
		"$H/busy-target" --vm --fifo "$D/fifo" >"$D/vmm" 2>&1 &
		T=$!
		for _ in $(seq 100); do grep -q "^pid=" "$D/vmm" && break; sleep 0.05; done
		K=("$@" "$KVM_ASSIGN" -A dump -O "dump.name=$DUMP" --pid=$T)
		for c in "assign 03:00.0" "msix 03:00.0 --count=2 0:24 1:25" \
			 "intx-mask 03:00.0 on" "intx-mask 03:00.0 off" \
			 "deassign 03:00.0"; do
			"${K[@]}" -v $c >"$D/out" 2>&1; rc=$?
			echo "$c: $rc"
			[ $rc = 0 ] || cat "$D/out"
		done
		grep -E "^(SigBlk|TracerPid|State):" /proc/$T/task/$T/status | tr "\t" " "
		kill $T; wait $T
		tail -n 1 "$D/vmm"' _ "$H" "$BATS_TEST_TMPDIR" "$DUMP" "$DENY" "${NO_SIGMASK_REQUESTS[@]}" --
	echo "$output"
	for c in "assign 03:00.0" "msix 03:00.0 --count=2 0:24 1:25" \
		 "intx-mask 03:00.0 on" "intx-mask 03:00.0 off" \
		 "deassign 03:00.0"; do
		assert_line "$c: 0"
	done
	# busy-target blocks nothing of its own: its mask is back, it is let go
	assert_line "SigBlk: 0000000000000000"
	assert_line "TracerPid: 0"
	assert_line --regexp "mask_bad=0\b"
	assert_line --regexp "canary_bad=0\b"
	run grep -c 'ioctl=KVM_ASSIGN_SET_MSIX_ENTRY .* ret=0$' "$(klog)"
	assert_output 2
}

# Before 3.17 a VM fd has no KVM_CHECK_EXTENSION: ENOTTY, after the creator
# rule (measured on 3.10.105, docs/kernel.md §3). In the creator it proves the
# creator as well as an answer would; the commands then run in a second stop.
@test "a VM fd without KVM_CHECK_EXTENSION (before 3.17): --socket and --pid commands run in the VMM" {
	run with_vmm --no-vm-check-extension -- --irqchip -- \
		"$KVM_ASSIGN" "${PCI_DUMP[@]}" --socket=@SOCKET@ assign 03:00.0
	assert_success
	assert_output ""
	run grep '^dev ' "$(kstate)"
	assert_output "dev vm=vm1 id=0x300 addr=0000:03:00.0 flags=0x1 intx_mask=0 irq=0x0 guest_irq=0 msix_nr=0"
	run grep -c 'comm=stub-vmm .*ioctl=KVM_CHECK_EXTENSION .*ENOTTY' "$(klog)"
	assert_output 1
	run with_vmm --no-vm-check-extension -- --irqchip -- \
		"$KVM_ASSIGN" "${PCI_DUMP[@]}" --pid=@PID@ assign 03:00.0
	assert_success
	run grep -c '^dev ' "$(kstate)"
	assert_output 1
}
