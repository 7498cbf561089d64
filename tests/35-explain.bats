#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# 35-explain.bats - every explanation, every exit code: each (ioctl, errno) of
# src/explain.c and docs/kernel.md, provoked in the VMM, as a user sees it.
# Each errno the legacy kernel can produce is also produced for real there
# (tests/legacy-kernel/); injected ones (--fail) are those it cannot.

load test_helper

# refusal [kvm-sim options] [--no-irqchip] -- 'SETUP' COMMAND...: under the
# simulated kernel (creator-only rule on) and a stub VMM (with an in-kernel
# irqchip unless --no-irqchip), run the shell SETUP, in which ka is kvm-assign
# aimed at the VMM's socket and must succeed, then ka COMMAND twice: plain and
# with --json (after the shell $REDO, if set, for a refusal that leaves
# something behind).  Leaves $T/{rc,out,err,json.rc,json,json.err,vmm} and the kernel
# state before, after the plain run and after the --json run.
refusal() {
	local simopts=() stub=(--irqchip)
	while [ "$1" != -- ]; do
		if [ "$1" = --no-irqchip ]; then stub=(); else simopts+=("$1"); fi
		shift
	done
	shift
	T=$BATS_TEST_TMPDIR
	PCI_SYSFS=${PCI_SYSFS:-} run sim "${simopts[@]}" -- "$TOP_SRCDIR/tests/helpers/with-vmm.sh" "${stub[@]}" -- bash -c '
		T=$1 DUMP=$2 REDO=$3 SETUP=$4
		shift 4
		if [ -n "$PCI_SYSFS" ]; then pci=(-A linux-sysfs -O "sysfs.path=$PCI_SYSFS"); else pci=(-A dump -O "dump.name=$DUMP"); fi
		ka() { "$KVM_ASSIGN" "${pci[@]}" --socket="$VMM_SOCKET" "$@"; }
		eval "$SETUP" || { echo "setup failed: $SETUP" >&2; exit 99; }
		echo "$VMM_PID" >"$T/vmm"
		cp "$T/kernel.state" "$T/state.before"
		ka "$@" >"$T/out" 2>"$T/err"
		echo $? >"$T/rc"
		cp "$T/kernel.state" "$T/state.after"
		eval "${REDO:-:}" || { echo "redo failed: $REDO" >&2; exit 99; }
		ka --json "$@" >"$T/json" 2>"$T/json.err"
		echo $? >"$T/json.rc"
		cp "$T/kernel.state" "$T/state.json"' _ "$T" "${DUMP_FILE:-$DUMP}" "${REDO:-}" "$@"
	assert_success
	assert_output ""
}

# explained EXIT WHAT IOCTL ERRNO WHY [TODO]: the refusal ran in the VMM, the
# kernel answered IOCTL with ERRNO there, and the user saw exactly one line
# "kvm-assign: WHAT: IOCTL failed with ERRNO in the VMM: WHY[: TODO]" and exit
# status EXIT; --json (the VMM's record) says the same.
explained() {
	local code=$1 what=$2 ioctl=$3 err=$4 why=$5 todo=${6-} vmm msg
	msg="$ioctl failed with $err in the VMM: $why"
	vmm=$(cat "$T/vmm")
	assert_equal "$(cat "$T/rc")" "$code"
	assert_equal "$(cat "$T/out")" ""
	assert_equal "$(cat "$T/err")" "kvm-assign: $what: $msg${todo:+: $todo}"
	assert_equal "$(cat "$T/json.rc")" "$code"
	assert_equal "$(cat "$T/json.err")" "$(cat "$T/err")"
	run jq -r --argjson vmm "$vmm" 'select(.ran_in == $vmm and .result == "error")
		| [.ioctl, .errno, .message, (.hint // "(null)"), .exit_code, .return, has("creator_check")] | @tsv' "$T/json"
	assert_output "$(printf '%s\t%s\t%s\t%s\t%s\t-1\tfalse' "$ioctl" "$err" "$msg" "${todo:-(null)}" "$code")"
	# First, kvm-assign's own attempt: EIO by the creator-only rule, reported as such.
	run jq -r 'select(.ran_in == "self") | [.errno, .creator_check, .message, has("exit_code")] | @tsv' "$T/json"
	assert_output "$(printf 'EIO\tEIO\tthe VM belongs to another process (KVM accepts VM ioctls only from its creator): ran it inside pid %s instead\tfalse' "$vmm")"
	# The errno is the kernel's answer in the VMM, to both runs.
	kernel_saw "$vmm" >"$T/saw"
	run grep -cE "^$ioctl [0-9a-f]+ $err\$" "$T/saw"
	assert_output 2
}

# No half-done state: neither refused run changed what the kernel keeps.
state_unchanged() {
	run diff "$T/state.before" "$T/state.after"
	assert_success
	run diff "$T/state.before" "$T/state.json"
	assert_success
}

REBIND_03="echo 8086 10d3 > /sys/bus/pci/drivers/pci-stub/new_id; echo 0000:03:00.0 > /sys/bus/pci/devices/0000:03:00.0/driver/unbind; echo 0000:03:00.0 > /sys/bus/pci/drivers/pci-stub/bind"
HELD="the device is held: by a host driver, by another VM, or by this VM under another id"
NO_DEV="no device with that assigned-device id in this VM"
FEWER_MSIX="the device has fewer MSI-X vectors than the count given to 'kvm-assign msix' (the kernel accepts any count up to 256; before 3.14 it answers with the table's size instead of ENOSPC)"
FEWER_MSIX_FIX="remove the interrupt ('kvm-assign irq --remove --host=msix'), then give a count within the device's MSI-X table (lspci -vv: MSI-X Count)"
MSIX_AGAIN="a count stays until the host MSI-X interrupt is removed ('kvm-assign irq --remove --host=msix') or the device is deassigned; then give the count and every entry in one 'kvm-assign msix'"

# sysfs_with_driver DRIVER: a sysfs tree of the fixture dump whose 03:00.0 is
# bound to DRIVER (libpci reads the driver link), in $BATS_TEST_TMPDIR/sys.
sysfs_with_driver() {
	local sys=$BATS_TEST_TMPDIR/sys
	sysfs_from_dump "$sys"
	mkdir -p "$sys/bus/pci/drivers/$1"
	ln -s "../../bus/pci/drivers/$1" "$sys/devices/0000:03:00.0/driver"
	PCI_SYSFS=$sys
}

# --- KVM_ASSIGN_PCI_DEVICE, in the order the kernel checks ---

@test "assign: id already in use: EEXIST, exit 1, the first assignment stays" {
	refusal -- 'ka assign 03:00.0' assign 03:00.0
	explained 1 "assign 0000:03:00.0" KVM_ASSIGN_PCI_DEVICE EEXIST \
		"that assigned-device id is already in use in this VM" "deassign it first, or choose another --id"
	state_unchanged
	run grep '^dev ' "$T/state.after"
	assert_output "dev vm=vm1 id=0x300 addr=0000:03:00.0 flags=0x1 intx_mask=0 irq=0x0 guest_irq=0 msix_nr=0"
}

@test "assign: no device at that address in the kernel: EINVAL, exit 1, no dev line" {
	refusal --device=0000:03:00.0 -- : assign 03:00.1
	explained 1 "assign 0000:03:00.1" KVM_ASSIGN_PCI_DEVICE EINVAL \
		"the kernel found no PCI device at that address (or refused the flags)" "check the address with lspci"
	state_unchanged
	refute grep -q '^dev ' "$T/state.json"
}

@test "assign: a bridge: EPERM is the kernel refusing it, exit 1" {
	refusal --device=0000:00:1c.0,bridge -- : assign 00:1c.0
	explained 1 "assign 0000:00:1c.0" KVM_ASSIGN_PCI_DEVICE EPERM \
		"the kernel refused the device: it is a bridge (header type 1), and only endpoints can be assigned" \
		"assign the devices behind it instead"
	state_unchanged
	refute grep -q '^dev ' "$T/state.json"
}

@test "assign: a device without BARs: EPERM is the kernel refusing it, exit 1" {
	# A host bridge as q35's 00:00.0: header type 0, no BARs, no capabilities.
	DUMP_FILE=$BATS_TEST_TMPDIR/nobars.dump
	{
		echo "0000:00:00.0 Host bridge: Intel Corporation 82G33/G31/P35/P31 Express DRAM Controller"
		echo "00: 86 80 c0 29 06 00 00 00 02 00 00 06 00 00 00 00"
		for o in 10 20 30 40 50 60 70 80 90 a0 b0 c0 d0 e0 f0; do
			echo "$o: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"
		done
	} >"$DUMP_FILE"
	refusal --device=0000:00:00.0,no-bars -- : assign 00:00.0
	explained 1 "assign 0000:00:00.0" KVM_ASSIGN_PCI_DEVICE EPERM \
		"the kernel refused the device: it has no BARs (memory or I/O regions)" \
		"a device without BARs cannot be assigned"
	state_unchanged
	refute grep -q '^dev ' "$T/state.json"
}

@test "assign: no interrupt remapping: EPERM is the kernel refusing, exit 1; allow_unsafe_assigned_interrupts lets it through" {
	refusal --no-intremap -- : assign 03:00.0
	explained 1 "assign 0000:03:00.0" KVM_ASSIGN_PCI_DEVICE EPERM \
		"the kernel refused the device: this host lacks interrupt remapping" \
		"enable interrupt remapping (VT-d or AMD-Vi in the firmware); or, accepting the risk, load kvm with allow_unsafe_assigned_interrupts=1; dmesg names the cause"
	state_unchanged
	refute grep -q '^dev ' "$T/state.json"

	rm -f "$(klog)" "$(kstate)"
	run sim --no-intremap --allow-unsafe-interrupts -- "$TOP_SRCDIR/tests/helpers/with-vmm.sh" --irqchip -- \
		"$KVM_ASSIGN" "${PCI_DUMP[@]}" --socket=@SOCKET@ assign 03:00.0
	assert_success
	assert_output ""
	run grep '^dev ' "$(kstate)"
	assert_output "dev vm=vm1 id=0x300 addr=0000:03:00.0 flags=0x1 intx_mask=0 irq=0x0 guest_irq=0 msix_nr=0"
}

@test "assign: the VMM cannot use the sysfs resource files: EACCES (injected), exit 4" {
	refusal --fail=KVM_ASSIGN_PCI_DEVICE:EACCES -- : assign 03:00.0
	explained 4 "assign 0000:03:00.0" KVM_ASSIGN_PCI_DEVICE EACCES \
		"the VMM cannot read and write the device's sysfs resource files" \
		"give the VMM's user read+write access to /sys/bus/pci/devices/<address>/resource*"
	state_unchanged
	refute grep -q '^dev ' "$T/state.json"
}

@test "assign: EBUSY, driver unknown (a dump): held by a host driver or a VM, both fixes" {
	refusal --device=0000:03:00.0,busy -- : assign 03:00.0
	explained 1 "assign 0000:03:00.0" KVM_ASSIGN_PCI_DEVICE EBUSY "$HELD" \
		"if a host driver holds it, bind it to pci-stub: $REBIND_03; if a VM does, deassign it there"
	state_unchanged
	refute grep -q '^dev ' "$T/state.json"
}

@test "assign: EBUSY for another device: the hint takes its own vendor/device ids from the dump" {
	refusal --device=0001:02:00.0,busy -- : assign 0001:02:00.0
	explained 1 "assign 0001:02:00.0" KVM_ASSIGN_PCI_DEVICE EBUSY "$HELD" \
		"if a host driver holds it, bind it to pci-stub: echo 144d a808 > /sys/bus/pci/drivers/pci-stub/new_id; echo 0001:02:00.0 > /sys/bus/pci/devices/0001:02:00.0/driver/unbind; echo 0001:02:00.0 > /sys/bus/pci/drivers/pci-stub/bind; if a VM does, deassign it there"
	state_unchanged
}

@test "assign: EBUSY with a host driver bound (sysfs): the driver is named, with the pci-stub rebind" {
	sysfs_with_driver e1000e
	refusal --device=0000:03:00.0,busy -- : assign 03:00.0
	explained 1 "assign 0000:03:00.0" KVM_ASSIGN_PCI_DEVICE EBUSY "host driver e1000e holds the device" \
		"bind it to pci-stub: $REBIND_03"
	state_unchanged
}

@test "assign: EBUSY with the device on pci-stub (sysfs): another VM holds it" {
	sysfs_with_driver pci-stub
	refusal --device=0000:03:00.0,busy -- : assign 03:00.0
	explained 1 "assign 0000:03:00.0" KVM_ASSIGN_PCI_DEVICE EBUSY \
		"another VM holds the device (or this VM, under an id other than 0x300)" \
		"deassign it in the VMM that holds it: kvm-assign --pid=PID deassign 0000:03:00.0"
	state_unchanged
}

@test "assign: the same device under a second id: EBUSY, this VM holds it under its address's id; only the first stays" {
	refusal -- 'ka assign 03:00.0' assign --id=2 03:00.0
	explained 1 "assign 0000:03:00.0" KVM_ASSIGN_PCI_DEVICE EBUSY \
		"this VM already holds the device, under id 0x300" "use --id=0x300, or deassign it first"
	state_unchanged
	run grep '^dev ' "$T/state.json"
	assert_output "dev vm=vm1 id=0x300 addr=0000:03:00.0 flags=0x1 intx_mask=0 irq=0x0 guest_irq=0 msix_nr=0"
	# It asked the kernel in the VMM with a call that changes nothing: no halves named.
	run kernel_saw "$(cat "$T/vmm")"
	assert_line "KVM_DEASSIGN_DEV_IRQ 00030000$(zeros 60) ENXIO"
}

@test "assign: no IOMMU: ENODEV, exit 1" {
	refusal --no-iommu -- : assign 03:00.0
	explained 1 "assign 0000:03:00.0" KVM_ASSIGN_PCI_DEVICE ENODEV "no IOMMU found" \
		"enable VT-d or AMD-Vi in the firmware and boot with intel_iommu=on (Intel) or amd_iommu=on (AMD)"
	state_unchanged
	refute grep -q '^dev ' "$T/state.json"
}

@test "assign: the kernel runs out of memory (injected: nothing real provokes it): ENOMEM, exit 1" {
	refusal --fail=KVM_ASSIGN_PCI_DEVICE:ENOMEM -- : assign 03:00.0
	explained 1 "assign 0000:03:00.0" KVM_ASSIGN_PCI_DEVICE ENOMEM "the kernel ran out of memory"
	state_unchanged
}

@test "assign: an errno with no row: its strerror text, no hint, exit 1" {
	refusal --fail=KVM_ASSIGN_PCI_DEVICE:EAGAIN -- : assign 03:00.0
	explained 1 "assign 0000:03:00.0" KVM_ASSIGN_PCI_DEVICE EAGAIN "Resource temporarily unavailable"
	state_unchanged
}

# --- KVM_DEASSIGN_PCI_DEVICE ---

@test "deassign: an unknown id: EINVAL, exit 1, the assigned device stays" {
	refusal -- 'ka assign 03:00.0' deassign --id=0x42
	explained 1 "deassign id 0x42" KVM_DEASSIGN_PCI_DEVICE EINVAL "$NO_DEV" \
		"check the id (by default (domain << 16) | (bus << 8) | devfn)"
	state_unchanged
	run grep -c '^dev ' "$T/state.json"
	assert_output 1
}

@test "deassign: EPERM (injected) falls to the any-ioctl row: exit 4" {
	refusal --fail=KVM_DEASSIGN_PCI_DEVICE:EPERM -- 'ka assign 03:00.0' deassign 03:00.0
	explained 4 "deassign 0000:03:00.0" KVM_DEASSIGN_PCI_DEVICE EPERM "operation not permitted" \
		"run as root or as the VMM's user"
	state_unchanged
}

# --- KVM_ASSIGN_DEV_IRQ ---

@test "irq: no in-kernel irqchip: EINVAL, exit 1" {
	refusal --no-irqchip -- 'ka assign 03:00.0' irq 03:00.0 --host=msi --guest=msi --guest-irq=5
	explained 1 "irq 0000:03:00.0" KVM_ASSIGN_DEV_IRQ EINVAL \
		"the VM has no in-kernel irqchip, the interrupt types are not one host and/or one guest type, or MSI-X entries were not set first" \
		"create the irqchip in the VMM (KVM_CREATE_IRQCHIP); for MSI-X run 'kvm-assign msix' first"
	state_unchanged
}

@test "irq: host MSI-X before the MSI-X entries: EINVAL, exit 1" {
	refusal -- 'ka assign 03:00.0' irq 03:00.0 --host=msix --guest=msix
	explained 1 "irq 0000:03:00.0" KVM_ASSIGN_DEV_IRQ EINVAL \
		"the VM has no in-kernel irqchip, the interrupt types are not one host and/or one guest type, or MSI-X entries were not set first" \
		"create the irqchip in the VMM (KVM_CREATE_IRQCHIP); for MSI-X run 'kvm-assign msix' first"
	state_unchanged
}

@test "irq: an unknown id: ENODEV, exit 1" {
	refusal -- 'ka assign 03:00.0' irq --id=7 --host=msi --guest=msi --guest-irq=5
	explained 1 "irq id 0x7" KVM_ASSIGN_DEV_IRQ ENODEV "$NO_DEV" "assign the device first"
	state_unchanged
}

@test "irq: a second host interrupt: EEXIST, exit 1, the first route stays" {
	refusal -- 'ka assign 03:00.0 && ka irq 03:00.0 --host=msi --guest=msi --guest-irq=11' irq 03:00.0 --host=msi
	explained 1 "irq 0000:03:00.0" KVM_ASSIGN_DEV_IRQ EEXIST \
		"an interrupt of that side is already assigned to the device" "remove it first with 'kvm-assign irq --remove'"
	state_unchanged
	run grep '^dev ' "$T/state.json"
	assert_output "dev vm=vm1 id=0x300 addr=0000:03:00.0 flags=0x1 intx_mask=0 irq=0x202 guest_irq=11 msix_nr=0"
}

@test "irq: host INTx on a shared line without --share-intx: EIO from the ioctl itself is INTx sharing, not the creator-only rule" {
	refusal --device=0000:03:00.0,shared-intx -- 'ka assign 03:00.0' irq 03:00.0 --host=intx --guest=intx --guest-irq=10
	explained 1 "irq 0000:03:00.0" KVM_ASSIGN_DEV_IRQ EIO \
		"the host INTx line is shared with another device, and without PCI 2.3 masking it cannot be shared" \
		"assign with --share-intx on a device that supports INTx masking, or use --host=msi"
	state_unchanged
	refute grep -qi 'creator\|another process' "$T/err"
	# kvm-assign's own attempts met the creator-only rule (EIO); in the VMM
	# the kernel accepted KVM_CHECK_EXTENSION ahead of each command (3 with
	# the setup's assign) and refused only the INTx request itself.
	irq="KVM_ASSIGN_DEV_IRQ 00030000000000000a00000001010000$(zeros 48) EIO"
	run kernel_saw
	assert_line --index 2 "$irq"
	assert_line --index 3 "$irq"
	assert_line --index 4 "$irq"
	assert_line --index 5 "$irq"
	assert_equal "${#lines[@]}" 6
	run kernel_saw "$(cat "$T/vmm")"
	assert_line --index 1 "$irq"
	assert_line --index 2 "$irq"
	run grep -c "pid=$(cat "$T/vmm") .*ioctl=KVM_CHECK_EXTENSION .*ret=1" "$(klog)"
	assert_output 3
}

@test "irq: host INTx without --share-intx on a line of its own works, as on the real kernel" {
	run sim -- "$TOP_SRCDIR/tests/helpers/with-vmm.sh" --irqchip -- bash -c '
		"$KVM_ASSIGN" "$@" assign 03:00.0 &&
		"$KVM_ASSIGN" "$@" irq 03:00.0 --host=intx --guest=intx --guest-irq=10' _ \
		"${PCI_DUMP[@]}" --socket=@SOCKET@
	assert_success
	assert_output ""
	run grep '^dev ' "$(kstate)"
	assert_output "dev vm=vm1 id=0x300 addr=0000:03:00.0 flags=0x1 intx_mask=0 irq=0x101 guest_irq=10 msix_nr=0"
}

@test "irq: --share-intx on a device that cannot mask INTx is dropped by the kernel: a shared line gives the same EIO" {
	refusal --device=0000:03:00.0,no-intx-mask,shared-intx -- 'ka assign --share-intx 03:00.0' irq 03:00.0 --host=intx --guest=intx --guest-irq=10
	explained 1 "irq 0000:03:00.0" KVM_ASSIGN_DEV_IRQ EIO \
		"the host INTx line is shared with another device, and without PCI 2.3 masking it cannot be shared" \
		"assign with --share-intx on a device that supports INTx masking, or use --host=msi"
	state_unchanged
	run grep '^dev ' "$T/state.json"
	assert_output "dev vm=vm1 id=0x300 addr=0000:03:00.0 flags=0x1 intx_mask=0 irq=0x0 guest_irq=0 msix_nr=0"
}

@test "irq: host MSI-X with a count above the device's table: ENOSPC, exit 1, names the fix" {
	# msix --id skips the table-size check kvm-assign makes from the device.
	refusal --device=0000:03:00.0,msix=8 -- 'ka assign 03:00.0 && ka msix --id=0x300 --count=9 0:30 1:31 2:32 3:33 4:34 5:35 6:36 7:37 8:38' \
		irq 03:00.0 --host=msix --guest=msix
	explained 1 "irq 0000:03:00.0" KVM_ASSIGN_DEV_IRQ ENOSPC \
		"$FEWER_MSIX" "$FEWER_MSIX_FIX"
	state_unchanged
}

@test "irq on a 3.10 kernel: host MSI-X with a count above the table answers the table's size, enables nothing: still refused, exit 1" {
	# Before 3.14 KVM_ASSIGN_DEV_IRQ returned pci_enable_msix's 8, not ENOSPC
	# (kvm-sim --kernel=3.10; measured on 3.10.105): a success to a caller
	# that looks only for -1.
	refusal --kernel=3.10 --device=0000:03:00.0,msix=8 -- 'ka assign 03:00.0 && ka msix --id=0x300 --count=9 0:30 1:31 2:32 3:33 4:34 5:35 6:36 7:37 8:38' \
		irq 03:00.0 --host=msix --guest=msix
	assert_equal "$(cat "$T/rc")" 1
	assert_equal "$(cat "$T/err")" "kvm-assign: irq 0000:03:00.0: KVM_ASSIGN_DEV_IRQ failed with ENOSPC in the VMM: $FEWER_MSIX: $FEWER_MSIX_FIX"
	assert_equal "$(cat "$T/json.rc")" 1
	run jq -r 'select(.ran_in != "self") | [.ioctl, .errno, .exit_code] | @tsv' "$T/json"
	assert_output "$(printf 'KVM_ASSIGN_DEV_IRQ\tENOSPC\t1')"
	kernel_saw "$(cat "$T/vmm")" >"$T/saw"
	run grep -cE '^KVM_ASSIGN_DEV_IRQ [0-9a-f]+ 8$' "$T/saw"
	assert_output 2
	state_unchanged
}

@test "irq: ENOMEM (injected) falls to the any-ioctl row: exit 1" {
	refusal --fail=KVM_ASSIGN_DEV_IRQ:ENOMEM -- 'ka assign 03:00.0' irq 03:00.0 --host=msi --guest=msi --guest-irq=5
	explained 1 "irq 0000:03:00.0" KVM_ASSIGN_DEV_IRQ ENOMEM "the kernel ran out of memory"
	state_unchanged
}

# --- KVM_DEASSIGN_DEV_IRQ ---

@test "irq --remove: nothing assigned: ENXIO, exit 1" {
	refusal -- 'ka assign 03:00.0' irq --remove 03:00.0 --host=intx --guest=intx
	explained 1 "irq 0000:03:00.0" KVM_DEASSIGN_DEV_IRQ ENXIO \
		"no interrupt of that kind is assigned to the device" "nothing to remove (QEMU treated this as harmless)"
	state_unchanged
}

@test "irq --remove: an unknown id: ENODEV, exit 1" {
	refusal -- 'ka assign 03:00.0' irq --remove --id=9 --host=msi
	explained 1 "irq id 0x9" KVM_DEASSIGN_DEV_IRQ ENODEV "$NO_DEV"
	state_unchanged
}

@test "irq --remove: no in-kernel irqchip: EINVAL, exit 1" {
	refusal --no-irqchip -- 'ka assign 03:00.0' irq --remove 03:00.0 --host=msi
	explained 1 "irq 0000:03:00.0" KVM_DEASSIGN_DEV_IRQ EINVAL "the VM has no in-kernel irqchip" \
		"create the irqchip in the VMM (KVM_CREATE_IRQCHIP)"
	state_unchanged
}

# --- KVM_ASSIGN_SET_MSIX_NR, KVM_ASSIGN_SET_MSIX_ENTRY ---

@test "msix twice: the count stays set: EINVAL, exit 1, the first table stays" {
	refusal -- 'ka assign 03:00.0 && ka msix 03:00.0 --count=2 0:40 1:41' msix 03:00.0 --count=1 0:50
	explained 1 "msix 0000:03:00.0" KVM_ASSIGN_SET_MSIX_NR EINVAL \
		"no device with that id in this VM, or its MSI-X count is already set" "$MSIX_AGAIN"
	state_unchanged
	run grep '^msix ' "$T/state.json"
	assert_line --index 0 "msix vm=vm1 id=0x300 slot=0 entry=0 gsi=40"
	assert_line --index 1 "msix vm=vm1 id=0x300 slot=1 entry=1 gsi=41"
	assert_equal "${#lines[@]}" 2
	# Nothing after the refused count reached the kernel.
	run kernel_saw "$(cat "$T/vmm")"
	refute_line --regexp "^KVM_ASSIGN_SET_MSIX_ENTRY 00030000(32|00)"
}

@test "msix: an unknown id: EINVAL from the count, exit 1" {
	refusal -- 'ka assign 03:00.0' msix --id=9 --count=1 0:3
	explained 1 "msix id 0x9" KVM_ASSIGN_SET_MSIX_NR EINVAL \
		"no device with that id in this VM, or its MSI-X count is already set" "$MSIX_AGAIN"
	state_unchanged
}

@test "msix: EFAULT (injected) is a bug to report: exit 1, no hint" {
	refusal --fail=KVM_ASSIGN_SET_MSIX_NR:EFAULT -- 'ka assign 03:00.0' msix 03:00.0 --count=1 0:3
	explained 1 "msix 0000:03:00.0" KVM_ASSIGN_SET_MSIX_NR EFAULT \
		"the kernel could not read the argument (a bug in kvm-assign: please report it)"
	state_unchanged
}

@test "msix: an entry refused as an unknown id (injected EINVAL): exit 1; the count the kernel took stays" {
	REDO='ka deassign 03:00.0 && ka assign 03:00.0'
	refusal --fail=KVM_ASSIGN_SET_MSIX_ENTRY:EINVAL -- 'ka assign 03:00.0' msix 03:00.0 --count=2 0:40 1:41
	explained 1 "msix 0000:03:00.0" KVM_ASSIGN_SET_MSIX_ENTRY EINVAL "$NO_DEV"
	# A command of several ioctls: the count went in before the entry was refused.
	run grep '^dev ' "$T/state.after"
	assert_output "dev vm=vm1 id=0x300 addr=0000:03:00.0 flags=0x1 intx_mask=0 irq=0x0 guest_irq=0 msix_nr=2"
	run jq -r --argjson vmm "$(cat "$T/vmm")" 'select(.ran_in == $vmm) | "\(.ioctl) \(.result) \(.errno)"' "$T/json"
	assert_line --index 0 "KVM_ASSIGN_SET_MSIX_NR ok null"
	assert_line --index 1 "KVM_ASSIGN_SET_MSIX_ENTRY error EINVAL"
	assert_equal "${#lines[@]}" 2
}

@test "msix: no free slot (injected ENOSPC): exit 1" {
	REDO='ka deassign 03:00.0 && ka assign 03:00.0'
	refusal --fail=KVM_ASSIGN_SET_MSIX_ENTRY:ENOSPC -- 'ka assign 03:00.0' msix 03:00.0 --count=2 0:40 1:41
	explained 1 "msix 0000:03:00.0" KVM_ASSIGN_SET_MSIX_ENTRY ENOSPC \
		"no free MSI-X slot: the count was never set, or its slots are used up" \
		"give the count and every entry in one 'kvm-assign msix'; to start over, remove the host MSI-X interrupt or deassign the device"
	run grep '^dev ' "$T/state.after"
	assert_output "dev vm=vm1 id=0x300 addr=0000:03:00.0 flags=0x1 intx_mask=0 irq=0x0 guest_irq=0 msix_nr=2"
}

# --- KVM_ASSIGN_SET_INTX_MASK ---

@test "intx-mask: an unknown id: ENODEV, exit 1" {
	refusal -- 'ka assign 03:00.0' intx-mask --id=9 on
	explained 1 "intx-mask id 0x9" KVM_ASSIGN_SET_INTX_MASK ENODEV "$NO_DEV"
	state_unchanged
}

@test "intx-mask: EACCES (injected) falls to the any-ioctl row: exit 4" {
	refusal --fail=KVM_ASSIGN_SET_INTX_MASK:EACCES -- 'ka assign 03:00.0' intx-mask 03:00.0 on
	explained 4 "intx-mask 0000:03:00.0" KVM_ASSIGN_SET_INTX_MASK EACCES "permission denied" \
		"run as root or as the VMM's user"
	state_unchanged
	run grep '^dev ' "$T/state.json"
	assert_output "dev vm=vm1 id=0x300 addr=0000:03:00.0 flags=0x1 intx_mask=0 irq=0x0 guest_irq=0 msix_nr=0"
}

# --- what follows a refusal ---

@test "a refusal inside the VMM needs no probe: kvm-assign opens no /dev/kvm of its own" {
	refusal -- 'ka assign 03:00.0' assign 03:00.0
	explained 1 "assign 0000:03:00.0" KVM_ASSIGN_PCI_DEVICE EEXIST \
		"that assigned-device id is already in use in this VM" "deassign it first, or choose another --id"
	# Only the stub VMM opened /dev/kvm; no probe VM was made.
	run grep -c '^op=open .*path=/dev/kvm' "$(klog)"
	assert_output 1
	run grep -c 'ioctl=KVM_CREATE_VM' "$(klog)"
	assert_output 1
}

@test "msix after irq --remove --host=msix: the count can be set again, as the real kernel allows" {
	run sim -- "$TOP_SRCDIR/tests/helpers/with-vmm.sh" --irqchip -- bash -c '
		"$KVM_ASSIGN" "$@" assign 03:00.0 &&
		"$KVM_ASSIGN" "$@" msix 03:00.0 --count=2 0:40 1:41 &&
		"$KVM_ASSIGN" "$@" irq 03:00.0 --host=msix --guest=msix &&
		"$KVM_ASSIGN" "$@" irq --remove 03:00.0 --host=msix --guest=msix &&
		"$KVM_ASSIGN" "$@" msix 03:00.0 --count=1 0:50 &&
		"$KVM_ASSIGN" "$@" irq 03:00.0 --host=msix --guest=msix' _ \
		"${PCI_DUMP[@]}" --socket=@SOCKET@
	assert_success
	assert_output ""
	run grep '^msix ' "$(kstate)"
	assert_output "msix vm=vm1 id=0x300 slot=0 entry=0 gsi=50"
}
