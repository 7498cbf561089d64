#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# 85-status.bats - status on fake /sys, /proc and /run roots (--sysroot), built
# as 80-detach.bats builds them, at each stage of the flow; and --probe inside
# a stub VMM under the simulated kernel.

load test_helper

FAKE_KERNEL=$TOP_BUILDDIR/tests/helpers/fake-pci-kernel
NIC=0000:03:00.0 NIC2=0000:03:00.1 NVME=0001:02:00.0

setup_file() {
	sysfs_from_dump "$BATS_FILE_TMPDIR/pci"
}

# tree [mksysroot options]: the fake root in $ROOT, as 80-detach.bats's: both
# NIC functions on e1000e, the NVMe on nvme, pci-stub and vfio-pci loaded;
# every device's enable count 0, and no process holding a VM.
tree() {
	local pci d
	ROOT=$BATS_TEST_TMPDIR/root
	rm -rf "$ROOT"
	mkdir -p "$ROOT/sys/bus"
	cp -a "$BATS_FILE_TMPDIR/pci" "$ROOT/sys/bus/pci"
	"$FIXTURES/check/mksysroot.sh" "$ROOT" --iommu=on --vfio --group=7:$NIC,$NIC2 \
		--driver=$NIC=e1000e --driver=$NIC2=e1000e --driver=$NVME=nvme "$@"
	pci=$ROOT/sys/bus/pci
	mkdir -p "$pci/drivers/pci-stub" "$pci/drivers/vfio-pci" "$ROOT/run/kvm-assign"
	for d in "$pci"/drivers/*; do : > "$d/bind"; : > "$d/unbind"; done
	for d in "$pci"/devices/*; do echo '(null)' > "$d/driver_override"; echo 0 > "$d/enable"; done
	: > "$pci/drivers_probe"
	fake_host_proc "$ROOT"
}

# kernel: the fake PCI core on $ROOT (tests/helpers/fake-pci-kernel).
kernel() {
	"$FAKE_KERNEL" --root="$ROOT" --log="$BATS_TEST_TMPDIR/writes" > "$BATS_TEST_TMPDIR/fk.out" 2>&1 3>&- &
	FK_PID=$!
	for _ in $(seq 200); do grep -qs '^ready' "$BATS_TEST_TMPDIR/fk.out" && return 0; sleep 0.01; done
	fail "fake-pci-kernel did not start: $(cat "$BATS_TEST_TMPDIR/fk.out")"
}

teardown() {
	[ -z "${FK_PID:-}" ] || kill "$FK_PID" 2>/dev/null || true
	helper_teardown
}

# vmm PID COMM: a process of the snapshot holding a VM fd (fd 9).
vmm() {
	mkdir -p "$ROOT/proc/$1/fd"
	echo "$2" > "$ROOT/proc/$1/comm"
	ln -s /dev/null "$ROOT/proc/$1/fd/0"
	ln -s anon_inode:kvm-vm "$ROOT/proc/$1/fd/9"
}
# held ADDR IRQ...: a VM holds ADDR (enable 1) with host interrupts IRQ...
held() {
	local a=$1 irq
	shift
	echo 1 > "$ROOT/sys/bus/pci/devices/$a/enable"
	for irq; do
		printf ' %s:          0   IR-PCI-MSI 49152-edge      kvm:%s\n' "$irq" "$a" >> "$ROOT/proc/interrupts"
	done
}
# record ADDR DRIVER: the record detach leaves (the format of 80-detach.bats).
record() {
	printf '# kvm-assign detach record\nversion=1\ndevice=%s\ndriver=%s\noverride=\ntarget=pci-stub\n' \
		"$1" "$2" > "$ROOT/run/kvm-assign/$1"
}
stub() { ln -sfn ../../drivers/pci-stub "$ROOT/sys/bus/pci/devices/$1/driver"; }
S() { run "$KVM_ASSIGN" status --sysroot="$ROOT" "$@"; }
J() { run "$KVM_ASSIGN" --json status --sysroot="$ROOT" "$@"; }
# dev ADDR JQ: one field of the device ADDR in $output, a status --json object.
dev() { jq -c --arg a "$1" ".devices[] | select(.device == \$a) | $2" <<<"$output"; }

@test "nothing detached, nothing on a stub, nothing held: one line, exit 0; --json an empty list" {
	tree
	S
	assert_success
	assert_output "no device detached by kvm-assign, on pci-stub or vfio-pci, or held by a VM"
	J
	assert_success
	assert_equal "$(jq -c '[.operation, .devices, .vmms]' <<<"$output")" '["status",[],[]]'
}

@test "DEVICE on its host driver: shown anyway, the next command is detach" {
	tree
	S 03:00.0
	assert_success
	assert_output "DEVICE        DRIVER       RECORD     ENABLE  KVM IRQS
$NIC  e1000e       -          0       -
    next: kvm-assign detach $NIC  (to give it to a VM)"
}

@test "the flow: after detach the record says e1000e, next assign or reattach; after reattach nothing" {
	tree
	kernel
	run "$KVM_ASSIGN" detach --sysroot="$ROOT" --driver=pci-stub 03:00.0
	assert_success
	S
	assert_success
	assert_output "DEVICE        DRIVER       RECORD     ENABLE  KVM IRQS
$NIC  pci-stub     e1000e     0       -
    next: kvm-assign --pid=PID assign $NIC  (to give it to a VM)
    or:   kvm-assign reattach $NIC  (back to e1000e)"
	J
	assert_equal "$(dev $NIC '[.driver, .record.driver, .record.target, .record.path, .held]')" \
		"[\"pci-stub\",\"e1000e\",\"pci-stub\",\"$ROOT/run/kvm-assign/$NIC\",false]"
	assert_equal "$(dev $NIC '[.next[].command]')" "[\"kvm-assign --pid=PID assign $NIC\",\"kvm-assign reattach $NIC\"]"
	run "$KVM_ASSIGN" reattach --sysroot="$ROOT" 03:00.0
	assert_success
	S
	assert_output "no device detached by kvm-assign, on pci-stub or vfio-pci, or held by a VM"
}

@test "held by a VM: enable count, the kvm:ADDR interrupt lines, the VMMs that may hold it, deassign next" {
	tree --driver=$NIC=pci-stub
	record $NIC e1000e
	held $NIC 40 41 42
	vmm 4242 qemu-system-x86
	mkdir -p "$ROOT/proc/77/fd"; ln -s /dev/null "$ROOT/proc/77/fd/0"	# no VM: not a VMM
	S
	assert_success
	assert_output "DEVICE        DRIVER       RECORD     ENABLE  KVM IRQS
$NIC  pci-stub     e1000e     1       40,41,42
    vmm:  may be held by 4242 (qemu-system-x86): --probe asks inside each
    next: kvm-assign --pid=4242 deassign $NIC  (to take it back from the VM)"
	J
	assert_equal "$(dev $NIC '[.enable, .kvm_irqs, .held, .held_by, .probe]')" '[1,[40,41,42],true,[4242],"not asked"]'
	assert_equal "$(jq -c '.vmms' <<<"$output")" '[{"pid":4242,"comm":"qemu-system-x86","vm_fds":[9],"probe_error":null}]'
}

@test "two VMMs: the command names PID, not a guess" {
	tree --driver=$NIC=pci-stub
	held $NIC
	vmm 100 qemu-a
	vmm 200 qemu-b
	S
	assert_line "    vmm:  may be held by 100 (qemu-a), 200 (qemu-b): --probe asks inside each"
	assert_line "    next: kvm-assign --pid=PID deassign $NIC  (to take it back from the VM)"
}

@test "after the VMM died: not enabled, no kvm lines, no VMM: reattach (or assign again) next" {
	tree --driver=$NIC=pci-stub
	record $NIC e1000e
	S
	assert_success
	assert_output "DEVICE        DRIVER       RECORD     ENABLE  KVM IRQS
$NIC  pci-stub     e1000e     0       -
    next: kvm-assign --pid=PID assign $NIC  (to give it to a VM)
    or:   kvm-assign reattach $NIC  (back to e1000e)"
}

@test "interrupts routed to KVM show a device even on no driver; a device on none and disabled is not listed" {
	tree
	rm "$ROOT/sys/bus/pci/devices/$NIC/driver" "$ROOT/sys/bus/pci/devices/$NIC2/driver"
	held $NIC 50
	echo 0 > "$ROOT/sys/bus/pci/devices/$NIC/enable"
	S
	assert_output --partial "$NIC  (none)       -          0       50"
	refute_output --partial "$NIC2"
}

@test "vfio-pci enabled: a VFIO user holds it; reattach once it stops, never assign" {
	tree --driver=$NIC=vfio-pci
	held $NIC
	S
	assert_line "$NIC  vfio-pci     -          1       -"
	assert_line "    next: kvm-assign reattach $NIC  (once the VFIO user holding it (its VMM) is stopped)"
	refute_output --partial " assign "
}

@test "a stale record (device back on its driver) and an unusable one: rm next, reattach's reason shown" {
	tree --driver=$NVME=pci-stub
	record $NIC e1000e
	echo garbage > "$ROOT/run/kvm-assign/$NVME"
	S
	assert_success
	assert_line "$NIC  e1000e       e1000e     0       -"
	assert_line "    next: rm $ROOT/run/kvm-assign/$NIC  (the record is stale: the device is on a host driver)"
	assert_line "$NVME  pci-stub     unusable   0       -"
	assert_line "    record: record $ROOT/run/kvm-assign/$NVME is corrupt: 'garbage' is not KEY=VALUE"
	assert_line "    next: rm $ROOT/run/kvm-assign/$NVME  (the record is unusable: reattach refuses it)"
}

@test "a record of a device that is gone; names in the record directory and kvm: lines that are no address are ignored" {
	tree
	record 0000:0a:00.0 igb
	: > "$ROOT/run/kvm-assign/not-an-address"
	: > "$ROOT/run/kvm-assign/.0000:03:00.0.tmp"
	printf ' 60:  0  PCI-MSI  1-edge  kvm:../../etc\n 61:  0  PCI-MSI  1-edge  kvm:0000:3:00.0\n' >> "$ROOT/proc/interrupts"
	S
	assert_output "DEVICE        DRIVER       RECORD     ENABLE  KVM IRQS
0000:0a:00.0  (gone)       igb        ?       -
    next: rm $ROOT/run/kvm-assign/0000:0a:00.0  (the device is gone: its record is stale)"
}

@test "a driver name with control characters is escaped in the table, kept in --json" {
	tree
	d=$'pci-stub\e[2J'
	mkdir "$ROOT/sys/bus/pci/drivers/$d"
	ln -sfn "../../drivers/$d" "$ROOT/sys/bus/pci/devices/$NIC/driver"
	echo 1 > "$ROOT/sys/bus/pci/devices/$NIC/enable"
	S 03:00.0
	assert_line --index 1 --partial 'pci-stub\x1b[2J'
	refute_output --partial $'\e'
	J 03:00.0
	assert_equal "$(dev $NIC .driver)" '"pci-stub\u001b[2J"'
}

@test "usage: a bad address, two devices, --probe with --sysroot (exit 2); no such device and no record (exit 5)" {
	tree
	S eth0
	assert_failure 2
	S 03:00.0 03:00.1
	assert_failure 2
	S --probe
	assert_failure 2
	assert_line --index 0 "kvm-assign: --probe asks this host's VMMs: it does not go with --sysroot"
	S 0f:00.0
	assert_failure 5
	assert_output "kvm-assign: 0000:0f:00.0: no such device (no $ROOT/sys/bus/pci/devices/0000:0f:00.0) and no record of it: lspci -D lists the devices"
}

@test "a device directory linked out of the root is not followed" {
	tree
	ln -s / "$ROOT/sys/bus/pci/devices/0000:09:00.0"
	S 09:00.0
	assert_success
	assert_line --index 1 "0000:09:00.0  (none)       -          ?       -"
}

# ----------------------------------------------------- --probe (simulated kernel)

@test "--probe asks inside the VMM: its VM holds the device assign gave it, and no other" {
	# A device of this machine's /sys, as assign by --pid finds it.
	dev=$(ls /sys/bus/pci/devices | head -1)
	other=$(ls /sys/bus/pci/devices | sed -n 2p)
	[ -n "$other" ] || fail "this machine has fewer than two PCI devices"
	run with_vmm -- --irqchip -- sh -c '"$1" --pid="$2" assign "$3" &&
		"$1" status --probe "$3" && "$1" --json status --probe "$4"' _ "$KVM_ASSIGN" @PID@ "$dev" "$other"
	assert_success
	vpid=$(jq -r '.vmms[0].pid' <<<"${lines[-1]}")
	assert_line "    vmm:  its VM is in $vpid (stub-vmm)"
	assert_line "    next: kvm-assign --pid=$vpid deassign $dev  (to take it back from the VM)"
	# The other device: asked, not held; the VM was asked with DEASSIGN_DEV_IRQ and nothing changed.
	assert_equal "$(jq -c --arg a "$other" '.devices[] | select(.device == $a) | [.probe, .held_by]' <<<"${lines[-1]}")" '["not held",[]]'
	run grep -c 'ioctl=KVM_DEASSIGN_DEV_IRQ' "$(klog)"
	assert_output 2
	run grep '^dev ' "$(kstate)"
	assert_output --partial "irq=0x0"
}
