#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# 45-in-vmm.bats - ioctls run inside the VM's creator (ptrace injection), as
# the simulated kernel's creator-only rule demands: --via, --pid, owner search.

load test_helper

in_vmm() {
	run with_vmm -- --irqchip -- "$@"
}

@test "--socket: EIO in kvm-assign, then the ioctl runs in the VMM and succeeds" {
	in_vmm "$KVM_ASSIGN" "${PCI_DUMP[@]}" --json --socket=@SOCKET@ assign 03:00.0
	assert_success
	vmm=$(grep -m1 'ioctl=KVM_CREATE_VM' "$(klog)" | sed -E 's/.* pid=([0-9]+) .*/\1/')
	# Both calls that reached the kernel: ours (EIO), then the VMM's.
	run jq -r '[.ran_in, .result, .errno, .creator_check] | @tsv' <<<"$output"
	assert_line --index 0 "$(printf 'self\terror\tEIO\tEIO')"
	assert_line --index 1 "$(printf '%s\tok\t\t' "$vmm")"
	assert_equal "${#lines[@]}" 2
	run kernel_saw
	assert_line --index 0 "KVM_ASSIGN_PCI_DEVICE 00030000030000000000000001000000$(zeros 48) EIO"
	assert_line --index 1 "KVM_ASSIGN_PCI_DEVICE 00030000030000000000000001000000$(zeros 48) 0"
	assert_equal "${#lines[@]}" 2
	run kernel_saw "$vmm"
	assert_output "KVM_ASSIGN_PCI_DEVICE 00030000030000000000000001000000$(zeros 48) 0"
	run grep '^dev ' "$(kstate)"
	assert_output "dev vm=vm1 id=0x300 addr=0000:03:00.0 flags=0x1 intx_mask=0 irq=0x0 guest_irq=0 msix_nr=0"
}

@test "a whole MSI-X assignment through --pid: the bytes the kernel receives and the state it keeps" {
	in_vmm bash -c '
		K=("$KVM_ASSIGN" -A dump -O "dump.name=$1" --pid=$VMM_PID)
		"${K[@]}" assign 03:00.0 --share-intx &&
		"${K[@]}" msix 03:00.0 --count=2 1:41 0:40 &&
		"${K[@]}" irq 03:00.0 --host=msix --guest=msix &&
		"${K[@]}" intx-mask 03:00.0 on' _ "$DUMP"
	assert_success
	run kernel_saw
	assert_line --index 0 "KVM_ASSIGN_PCI_DEVICE 00030000030000000000000003000000$(zeros 48) 0"
	assert_line --index 1 "KVM_ASSIGN_SET_MSIX_NR 0003000002000000 0"
	assert_line --index 2 "KVM_ASSIGN_SET_MSIX_ENTRY 00030000290000000100000000000000 0"
	assert_line --index 3 "KVM_ASSIGN_SET_MSIX_ENTRY 00030000280000000000000000000000 0"
	assert_line --index 4 "KVM_ASSIGN_DEV_IRQ 00030000000000000000000004040000$(zeros 48) 0"
	assert_line --index 5 "KVM_ASSIGN_SET_INTX_MASK 000300000000000000000000040000000$(zeros 47)0 0"
	assert_equal "${#lines[@]}" 6
	run cat "$(kstate)"
	assert_line "dev vm=vm1 id=0x300 addr=0000:03:00.0 flags=0x7 intx_mask=1 irq=0x404 guest_irq=0 msix_nr=2"
	assert_line "msix vm=vm1 id=0x300 slot=0 entry=1 gsi=41"
	assert_line "msix vm=vm1 id=0x300 slot=1 entry=0 gsi=40"
}

@test "deassign and irq --remove through the VMM undo the state" {
	in_vmm bash -c '
		K=("$KVM_ASSIGN" -A dump -O "dump.name=$1" --socket=$VMM_SOCKET)
		"${K[@]}" assign 03:00.0 --share-intx &&
		"${K[@]}" irq 03:00.0 --host=intx --guest=intx --guest-irq=10 &&
		"${K[@]}" irq --remove 03:00.0 --host=intx --guest=intx &&
		"${K[@]}" deassign --id=0x300' _ "$DUMP"
	assert_success
	run kernel_saw
	assert_line --index 2 "KVM_ASSIGN_DEV_IRQ 00030000000000000a00000001010000$(zeros 48) EIO"
	assert_line --index 3 "KVM_ASSIGN_DEV_IRQ 00030000000000000a00000001010000$(zeros 48) 0"
	assert_line --index 5 "KVM_DEASSIGN_DEV_IRQ 000300000000000000000000010100000$(zeros 47)0 0"
	assert_line --index 7 "KVM_DEASSIGN_PCI_DEVICE 00030000$(zeros 60) 0"
	run grep -c '^dev ' "$(kstate)"
	assert_output 0
}

@test "all of a command's ioctls run in one stop of the VMM" {
	pairs=$(for i in $(seq 0 255); do printf '%d:%d ' $i $((i + 100)); done)
	in_vmm bash -c '"$KVM_ASSIGN" -A dump -O "dump.name=$1" --pid=$VMM_PID assign --id=9 03:00.0 &&
		"$KVM_ASSIGN" --json --pid=$VMM_PID msix --id=9 --count=256 '"$pairs" _ "$DUMP"
	assert_success
	assert_equal "${#lines[@]}" 257
	run jq -r '"\(.tid) \(.stopped_ms)"' <<<"$output"
	assert_equal "$(sort -u <<<"$output" | wc -l)" 1
	run grep -c 'msix vm=vm1 id=0x9 ' "$(kstate)"
	assert_output 256
}

@test "--via=owner goes straight to the VMM; --via=self never leaves kvm-assign (exit 7)" {
	in_vmm "$KVM_ASSIGN" "${PCI_DUMP[@]}" --via=owner --socket=@SOCKET@ assign 03:00.0
	assert_success
	run kernel_saw
	assert_output "KVM_ASSIGN_PCI_DEVICE 00030000030000000000000001000000$(zeros 48) 0"
	rm -f "$(klog)" "$(kstate)"
	in_vmm "$KVM_ASSIGN" "${PCI_DUMP[@]}" --via=self --socket=@SOCKET@ assign 03:00.0
	assert_failure 7
	assert_output "kvm-assign: assign 0000:03:00.0: KVM_ASSIGN_PCI_DEVICE failed with EIO: the VM belongs to another process (KVM accepts VM ioctls only from the process that created the VM): run it inside the VMM: drop --via=self, or use --pid=PID"
	# Only kvm-assign's own attempt, then its probe on a VM of its own.
	run kernel_saw
	assert_line --index 0 "KVM_ASSIGN_PCI_DEVICE 00030000030000000000000001000000$(zeros 48) EIO"
	assert_line --index 1 "KVM_DEASSIGN_PCI_DEVICE ffffffff$(zeros 60) EINVAL"
	assert_equal "${#lines[@]}" 2
}

@test "a forwarded fd: the socket's peer is not the creator, the VMM holding the same file is found" {
	run with_vmm -- -- bash -c '
		exec 3< <(exec "$TOP_BUILDDIR/tests/helpers/fd-forward" "$VMM_SOCKET" "$VMM_SOCKET.fwd")
		read -r _ fwd <&3
		"$KVM_ASSIGN" -A dump -O "dump.name=$1" --json --socket="$VMM_SOCKET.fwd" assign 03:00.0
		rc=$?; kill $fwd; echo "vmm=$VMM_PID fwd=$fwd"; exit $rc' _ "$DUMP"
	assert_success
	vmm=$(sed -n 's/^vmm=\([0-9]*\) .*/\1/p' <<<"$output")
	fwd=$(sed -n 's/.* fwd=\([0-9]*\)$/\1/p' <<<"$output")
	[ -n "$vmm" ] && [ -n "$fwd" ] && [ "$vmm" != "$fwd" ]
	run jq -r 'select(.ioctl) | .ran_in' <<<"${lines[1]}"
	assert_output "$vmm"
}

@test "--fd inherited across exec: the creator's mm is gone, nobody can issue VM ioctls (exit 7)" {
	run with_vmm -- --exec-fd=5 -- "$KVM_ASSIGN" "${PCI_DUMP[@]}" --fd=5 assign 03:00.0
	assert_failure 7
	assert_output --partial "no other process holds this VM, so none can be its creator"
}

@test "--pid: no such process, no VM there, several VMs, --vm-fd" {
	run sim -- "$KVM_ASSIGN" --pid=999999 deassign --id=1
	assert_failure 6
	assert_output "kvm-assign: pid 999999: no such process"
	run sim -- bash -c 'exec "$KVM_ASSIGN" --pid=$$ deassign --id=1'
	assert_failure 6
	assert_output --regexp "^kvm-assign: pid [0-9]+: holds no KVM VM fd \(no /proc/[0-9]+/fd link is anon_inode:kvm-vm\): is it a VMM\?$"
}

@test "--pid with two VM fds: listed, --vm-fd picks one, a fd whose creator is gone is refused" {
	# The stub is exec'd by another: the new image creates a second VM and
	# keeps the first one's fd (5), whose creating mm died with the exec.
	run with_vmm -- --inherit-vm-fd=5 -- bash -c '
		K=("$KVM_ASSIGN" -A dump -O "dump.name=$1" --pid=$VMM_PID)
		"${K[@]}" assign 03:00.0; echo "rc=$?"
		"${K[@]}" --vm-fd=$VMM_VM_FD assign 03:00.0; echo "rc=$?"
		"${K[@]}" --vm-fd=5 assign 03:00.0; echo "rc=$?"
		"${K[@]}" --vm-fd=77 assign 03:00.0; echo "rc=$?"' _ "$DUMP"
	assert_line --index 0 --regexp "^kvm-assign: pid [0-9]+ holds 2 KVM VM fds \(5, [0-9]+\): choose one with --vm-fd$"
	assert_line --index 2 "rc=2"
	assert_line --index 3 "rc=0"
	assert_line --index 4 --regexp "^kvm-assign: assign 0000:03:00.0: none of the processes holding this VM \(pid [0-9]+\) created it"
	assert_line --index 5 "rc=7"
	assert_line --index 6 --regexp "^kvm-assign: pid [0-9]+: fd 77 is not one of its KVM VM fds \(5, [0-9]+\)$"
	assert_line --index 7 "rc=6"
}

@test "--vm-fd without --pid and --via=self with --pid are usage errors" {
	run sim -- "$KVM_ASSIGN" --vm-fd=4 --socket=/x deassign --id=1
	assert_failure 2
	assert_line --index 0 "kvm-assign: --vm-fd picks among the VM fds of --pid=PID: give --pid"
	run sim -- "$KVM_ASSIGN" --via=self --pid=1 deassign --id=1
	assert_failure 2
	assert_line --index 0 "kvm-assign: --via=self cannot use --pid: the VM fd is in another process"
	run "$KVM_ASSIGN" --via=elsewhere --pid=1 deassign --id=1
	assert_failure 2
	assert_line --index 0 "kvm-assign: --via: 'elsewhere' is not auto, self or owner"
}

@test "not allowed to look into a root VMM: permission denied, exit 4" {
	nobody_copy "$KVM_ASSIGN" "$DUMP"
	in_vmm bash -c '
		chmod 755 "${VMM_SOCKET%/*}"; chmod 666 "$VMM_SOCKET"
		setpriv --reuid=65534 --regid=65534 --clear-groups "$@"' _ \
		"$NOBODY_DIR/kvm-assign" -A dump -O "dump.name=$NOBODY_DIR/devices.dump" \
		--socket=@SOCKET@ assign 03:00.0
	assert_failure 4
	assert_output --regexp "^kvm-assign: assign 0000:03:00.0: cannot look into the VMM \(pid [0-9]+, the socket's peer\) to run KVM_ASSIGN_PCI_DEVICE there: /proc/[0-9]+/fd: Permission denied: run as root or as the VMM's user$"
}

@test "--json still says why when nothing could reach the kernel (--pid, no creator there)" {
	run with_vmm -- --inherit-vm-fd=5 -- bash -c '
		"$KVM_ASSIGN" --json --pid=$VMM_PID --vm-fd=5 deassign --id=1 2>/dev/null; echo "rc=$?"'
	assert_line --index 1 "rc=7"
	run jq -r '[.ioctl, .result, .ran_in, .exit_code] | @tsv' <<<"${lines[0]}"
	assert_output "$(printf 'KVM_DEASSIGN_PCI_DEVICE\tnot-run\t\t7')"
}
