#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# 50-removed.bats - a kernel without legacy assignment (4.12+, ENOTTY): every
# subcommand through --socket, --fd and --pid says so with exit 3; and check.

load test_helper

LACKS="legacy device assignment left Linux in 4.12 (or CONFIG_KVM_DEVICE_ASSIGNMENT is off)"
VFIO="use VFIO instead: bind the device to vfio-pci and give it to the VMM"

# removed WAY IOCTL WHAT COMMAND...: run COMMAND under a 4.12+ kernel
# (kvm-sim --mode=removed, creator-only rule on) with the VM fd given by WAY
# (socket, fd or pid), plain and with --json; the first ioctl of the command
# is IOCTL, its message prefix WHAT.  Asserts the message, exit 3 and the
# --json verdict: from the VMM's own ENOTTY (socket, pid), or from the probe
# (fd: the creator's mm went with the exec, so nothing can run in the VMM).
removed() {
	local way=$1 ioctl=$2 what=$3 line vmm json
	shift 3
	line="kvm-assign: $what: kernel lacks support for $ioctl: $LACKS: $VFIO"
	T=$BATS_TEST_TMPDIR
	for json in "" --json; do
		rm -f "$(klog)" "$(kstate)"
		rc=0
		case $way in
		fd)
			with_vmm --mode=removed -- --irqchip --exec-fd=5 -- \
				"$KVM_ASSIGN" "${PCI_DUMP[@]}" $json --fd=5 "$@" >"$T/out$json" 2>"$T/err$json" || rc=$?
			;;
		socket|pid)
			with_vmm --mode=removed -- --irqchip -- bash -c \
				'echo "$VMM_PID" >"$0"; exec "$@"' "$T/vmm" \
				"$KVM_ASSIGN" "${PCI_DUMP[@]}" $json --$way=@$(tr a-z A-Z <<<"$way")@ "$@" \
				>"$T/out$json" 2>"$T/err$json" || rc=$?
			;;
		esac
		echo $rc >"$T/rc$json"
	done
	assert_equal "$(cat "$T/rc")" 3
	assert_equal "$(cat "$T/rc--json")" 3
	assert_equal "$(cat "$T/out")" ""
	assert_equal "$(cat "$T/err")" "$line"
	assert_equal "$(cat "$T/err--json")" "$line"
	if [ "$way" = fd ]; then
		# Our own attempt got EIO; the probe on a VM of our own got ENOTTY.
		run jq -r '[.ioctl, .ran_in, .errno, .message, .hint, .exit_code, .creator_check,
			.probe.result, .probe.step, .probe.errno] | @tsv' "$T/out--json"
		assert_output "$(printf '%s\tself\tEIO\t%s\t%s\t3\tEIO\tunsupported\tKVM_DEASSIGN_PCI_DEVICE\tENOTTY' \
			"$ioctl" "kernel lacks support for $ioctl: $LACKS" "$VFIO")"
		run kernel_saw
		assert_regex "${lines[0]}" "^$ioctl [0-9a-f]+ EIO\$"
		assert_line --index 1 "KVM_DEASSIGN_PCI_DEVICE ffffffff$(zeros 60) ENOTTY"
		assert_equal "${#lines[@]}" 2
		return
	fi
	# The real ioctl ran in the VMM, and the kernel said ENOTTY there.
	vmm=$(cat "$T/vmm")
	run jq -r --argjson vmm "$vmm" 'select(.ran_in == $vmm) | [.ioctl, .result, .errno, .message, .hint, .exit_code, has("probe")] | @tsv' "$T/out--json"
	assert_output "$(printf '%s\terror\tENOTTY\t%s\t%s\t3\tfalse' "$ioctl" "kernel lacks support for $ioctl: $LACKS" "$VFIO")"
	run kernel_saw "$vmm"
	assert_regex "$output" "^$ioctl [0-9a-f]+ ENOTTY\$"
	if [ "$way" = pid ]; then
		# No VM fd here: nothing was tried in kvm-assign itself.
		run jq -r 'select(.ran_in == "self")' "$T/out--json"
		assert_output ""
		run kernel_saw
		assert_equal "${#lines[@]}" 1
	else
		run jq -r 'select(.ran_in == "self") | [.ioctl, .errno, .creator_check] | @tsv' "$T/out--json"
		assert_output "$(printf '%s\tEIO\tEIO' "$ioctl")"
		run kernel_saw
		assert_regex "${lines[0]}" "^$ioctl [0-9a-f]+ EIO\$"
		assert_equal "${#lines[@]}" 2
	fi
}

IRQ=(irq 03:00.0 --host=msi --guest=msi --guest-irq=5)
UNIRQ=(irq --remove 03:00.0 --host=msi --guest=msi)
MSIX=(msix 03:00.0 --count=2 0:40 1:41)

@test "--socket assign: kernel lacks support, exit 3" {
	removed socket KVM_ASSIGN_PCI_DEVICE "assign 0000:03:00.0" assign 03:00.0
}
@test "--socket deassign: kernel lacks support, exit 3" {
	removed socket KVM_DEASSIGN_PCI_DEVICE "deassign id 0x300" deassign --id=0x300
}
@test "--socket irq: kernel lacks support, exit 3" {
	removed socket KVM_ASSIGN_DEV_IRQ "irq 0000:03:00.0" "${IRQ[@]}"
}
@test "--socket irq --remove: kernel lacks support, exit 3" {
	removed socket KVM_DEASSIGN_DEV_IRQ "irq 0000:03:00.0" "${UNIRQ[@]}"
}
@test "--socket msix: kernel lacks support (for the count, the first ioctl), exit 3" {
	removed socket KVM_ASSIGN_SET_MSIX_NR "msix 0000:03:00.0" "${MSIX[@]}"
}
@test "--socket intx-mask: kernel lacks support, exit 3" {
	removed socket KVM_ASSIGN_SET_INTX_MASK "intx-mask 0000:03:00.0" intx-mask 03:00.0 on
}

@test "--pid assign: kernel lacks support, exit 3" {
	removed pid KVM_ASSIGN_PCI_DEVICE "assign 0000:03:00.0" assign 03:00.0
}
@test "--pid deassign: kernel lacks support, exit 3" {
	removed pid KVM_DEASSIGN_PCI_DEVICE "deassign 0000:03:00.0" deassign 03:00.0
}
@test "--pid irq: kernel lacks support, exit 3" {
	removed pid KVM_ASSIGN_DEV_IRQ "irq 0000:03:00.0" "${IRQ[@]}"
}
@test "--pid irq --remove: kernel lacks support, exit 3" {
	removed pid KVM_DEASSIGN_DEV_IRQ "irq 0000:03:00.0" "${UNIRQ[@]}"
}
@test "--pid msix: kernel lacks support, exit 3" {
	removed pid KVM_ASSIGN_SET_MSIX_NR "msix 0000:03:00.0" "${MSIX[@]}"
}
@test "--pid intx-mask: kernel lacks support, exit 3" {
	removed pid KVM_ASSIGN_SET_INTX_MASK "intx-mask id 0x300" intx-mask --id=0x300 off
}

@test "--fd assign: the creator is gone, the probe says the kernel lacks support, exit 3" {
	removed fd KVM_ASSIGN_PCI_DEVICE "assign 0000:03:00.0" assign 03:00.0
}
@test "--fd deassign: the probe says the kernel lacks support, exit 3" {
	removed fd KVM_DEASSIGN_PCI_DEVICE "deassign 0000:03:00.0" deassign 03:00.0
}
@test "--fd irq: the probe says the kernel lacks support, exit 3" {
	removed fd KVM_ASSIGN_DEV_IRQ "irq 0000:03:00.0" "${IRQ[@]}"
}
@test "--fd irq --remove: the probe says the kernel lacks support, exit 3" {
	removed fd KVM_DEASSIGN_DEV_IRQ "irq 0000:03:00.0" "${UNIRQ[@]}"
}
@test "--fd msix: the probe says the kernel lacks support, exit 3" {
	removed fd KVM_ASSIGN_SET_MSIX_NR "msix 0000:03:00.0" "${MSIX[@]}"
}
@test "--fd intx-mask: the probe says the kernel lacks support, exit 3" {
	removed fd KVM_ASSIGN_SET_INTX_MASK "intx-mask 0000:03:00.0" intx-mask 03:00.0 on
}

@test "--via=self: EIO in kvm-assign, then the probe: kernel lacks support, exit 3" {
	run with_vmm --mode=removed -- --irqchip -- \
		"$KVM_ASSIGN" "${PCI_DUMP[@]}" --via=self --socket=@SOCKET@ assign 03:00.0
	assert_failure 3
	assert_output "kvm-assign: assign 0000:03:00.0: kernel lacks support for KVM_ASSIGN_PCI_DEVICE: $LACKS: $VFIO"
	run kernel_saw
	assert_line --index 0 "KVM_ASSIGN_PCI_DEVICE 00030000030000000000000001000000$(zeros 48) EIO"
	assert_line --index 1 "KVM_DEASSIGN_PCI_DEVICE ffffffff$(zeros 60) ENOTTY"
	assert_equal "${#lines[@]}" 2
	# Nothing ran in the VMM: --via=self never leaves kvm-assign.
	run grep -c 'ioctl=KVM_CHECK_EXTENSION .*arg=18 ' "$(klog)"
	assert_output 1

	rm -f "$(klog)"
	run with_vmm --mode=removed -- --irqchip -- \
		"$KVM_ASSIGN" "${PCI_DUMP[@]}" --json --via=self --socket=@SOCKET@ assign 03:00.0
	assert_failure 3
	run jq -r 'select(.ioctl) | [.ran_in, .errno, .message, .exit_code, .creator_check, .probe.result, .probe.errno] | @tsv' <<<"${lines[0]}"
	assert_output "$(printf 'self\tEIO\tkernel lacks support for KVM_ASSIGN_PCI_DEVICE: %s\t3\tEIO\tunsupported\tENOTTY' "$LACKS")"
}

# check on a snapshot of a host that is ready otherwise (IOMMU and interrupt
# remapping on, kernel 4.9), probing the simulated /dev/kvm: the verdict
# then rests on the kernel alone.
check_ready_host() {
	local sr=$BATS_TEST_TMPDIR/sysroot
	[ -d "$sr" ] || {
		sysfs_from_dump "$sr/sys/bus/pci"
		bash "$TOP_SRCDIR/tests/fixtures/check/mksysroot.sh" "$sr" --iommu=on --intremap
	}
	run sim "$@" -- "$KVM_ASSIGN" check --sysroot="$sr" --probe
	text_status=$status text=$output
	run sim "$@" -- "$KVM_ASSIGN" --json check --sysroot="$sr" --probe
	json_status=$status
	run jq -r '[.exit_code, .verdict.legacy, (.items[] | select(.name == "dev_kvm" or .name == "legacy_ioctls")
		| "\(.name)=\(.status)/\(.value)")] | join(" ")' <<<"$output"
	json=$output
	output=$text
	mapfile -t lines <<<"$text"
}

@test "check on a 4.12+ kernel: the probe's ENOTTY, the kernel lacks it, exit 3" {
	check_ready_host --mode=removed
	assert_equal "$text_status" 3
	assert_line "  FAIL  legacy_ioctls            KVM_DEASSIGN_PCI_DEVICE got ENOTTY: $LACKS"
	assert_line "                                 fix: $VFIO"
	assert_line "verdict: legacy assignment cannot work: the kernel lacks it; VFIO can work once vfio-pci is loaded (modprobe vfio-pci)"
	assert_equal "$json_status" 3
	assert_equal "$json" "3 no dev_kvm=ok/ok legacy_ioctls=fail/unsupported"
	run kernel_saw
	assert_line "KVM_DEASSIGN_PCI_DEVICE ffffffff$(zeros 60) ENOTTY"
}

@test "check on a kernel with legacy assignment: supported, exit 0" {
	check_ready_host --mode=legacy
	assert_equal "$text_status" 0
	assert_line "  OK    legacy_ioctls            KVM_DEASSIGN_PCI_DEVICE on a VM of our own: EINVAL for an unused id, so the ioctls exist"
	assert_line "verdict: legacy assignment can work here"
	assert_equal "$json_status" 0
	assert_equal "$json" "0 yes dev_kvm=ok/ok legacy_ioctls=ok/supported"
}

@test "check without /dev/kvm: cannot tell, exit 8" {
	check_ready_host --mode=removed --no-dev-kvm
	assert_equal "$text_status" 8
	assert_line "  FAIL  dev_kvm                  /dev/kvm is missing: kvm is not loaded, or the CPU lacks hardware virtualization"
	assert_line "  SKIP  legacy_ioctls            not checked: /dev/kvm unusable"
	assert_line "verdict: cannot tell whether legacy assignment can work: /dev/kvm is missing or unusable; VFIO can work once vfio-pci is loaded (modprobe vfio-pci)"
	assert_equal "$json_status" 8
	assert_equal "$json" "8 unknown dev_kvm=fail/ENOENT legacy_ioctls=skip/null"
}

@test "check with /dev/kvm not accessible: permission denied, exit 4" {
	check_ready_host --mode=removed --dev-kvm-errno=EACCES
	assert_equal "$text_status" 4
	assert_line "  FAIL  dev_kvm                  /dev/kvm is not accessible to uid $(id -u): Permission denied"
	assert_line "  SKIP  legacy_ioctls            not checked: /dev/kvm unusable"
	assert_line "verdict: cannot tell whether legacy assignment can work: /dev/kvm is not accessible; VFIO can work once vfio-pci is loaded (modprobe vfio-pci)"
	assert_equal "$json_status" 4
	assert_equal "$json" "4 unknown dev_kvm=fail/EACCES legacy_ioctls=skip/null"
}
