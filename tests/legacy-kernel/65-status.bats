#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# 65-status.bats - status at every stage of the sysadmin's flow on the real
# 4.1.15: the e1000e on its driver, detached, assigned into a real QEMU by
# --pid, with MSI-X routed, after QEMU is killed, and reattached; each stage
# also confirmed from outside (the driver link, enable, /proc/interrupts).
# The tests are the flow's stages, in order: each starts where the last ended.

load legacy

D=$RK_DEVICE
REC=/run/kvm-assign/$RK_DEVICE

# clean - the device on e1000e, no override, no record (as 60-detach.bats).
clean() {
	lk_bind e1000e
	[ ! -e "$LK_SYSDEV/driver_override" ] || echo >"$LK_SYSDEV/driver_override"
	rm -f "$REC"
}

setup_file() {
	load legacy
	clean
}

teardown_file() {
	clean
}

setup() {
	rk_need "$KVM_ASSIGN" "$QMP_QUERY"
}

teardown() {
	lk_stop_all
}

st() { run "$KVM_ASSIGN" status "$@"; }
# the kvm:ADDR interrupt numbers /proc/interrupts shows, comma-separated.
kvm_irqs() { lk_irqs | awk -F: '{ gsub(/ /, "", $1); printf "%s%s", n++ ? "," : "", $1 }'; }
# after_kill - QEMU killed: the kernel released the device with the VM; the
# device is on pci-stub, not enabled, and reattach (or a new assign) is next.
after_kill() {
	kill -KILL "$QEMU_PID"
	wait "$QEMU_PID" || true
	lk_released
	st
	assert_success
	assert_output "DEVICE        DRIVER       RECORD     ENABLE  KVM IRQS
$D  pci-stub     e1000e     0       -
    next: kvm-assign --pid=PID assign $D  (to give it to a VM)
    or:   kvm-assign reattach $D  (back to e1000e)"
}

@test "1. on e1000e nothing is shown, the device itself says detach; 2. detached: pci-stub, the record, assign or reattach next" {
	st
	assert_success
	assert_output "no device detached by kvm-assign, on pci-stub or vfio-pci, or held by a VM"
	st "$D"
	assert_success
	assert_line --index 1 --regexp "^$D  e1000e +- +[0-9]+ +-\$"
	assert_line "    next: kvm-assign detach $D  (to give it to a VM)"

	run "$KVM_ASSIGN" detach --driver=pci-stub "$D"
	assert_success
	st
	assert_success
	assert_output "DEVICE        DRIVER       RECORD     ENABLE  KVM IRQS
$D  pci-stub     e1000e     0       -
    next: kvm-assign --pid=PID assign $D  (to give it to a VM)
    or:   kvm-assign reattach $D  (back to e1000e)"
}

@test "3. a QEMU runs: named in the assign; 4. assigned by --pid: enabled, may be held, --probe knows; QEMU killed: released" {
	[ "$(lk_driver)" = pci-stub ] || fail "stage 2 did not leave the device on pci-stub"
	lk_start_qemu
	st
	assert_line "    next: kvm-assign --pid=$QEMU_PID assign $D  (to give it to a VM)"
	ok pid assign "$D"
	assert_equal "$(lk_enable)" 1
	st
	assert_output "DEVICE        DRIVER       RECORD     ENABLE  KVM IRQS
$D  pci-stub     e1000e     1       -
    vmm:  may be held by $QEMU_PID (qemu-system-x86): --probe asks inside each
    next: kvm-assign --pid=$QEMU_PID deassign $D  (to take it back from the VM)"
	st --probe
	assert_success
	assert_line "    vmm:  its VM is in $QEMU_PID (qemu-system-x86)"
	run "$KVM_ASSIGN" --json status --probe "$LK_BEHIND"
	assert_equal "$(jq -c '[.devices[0].probe, .devices[0].held_by]' <<<"$output")" '["not held",[]]'
	# The probes stopped QEMU only briefly: it goes on as before.
	run "$QMP_QUERY" "$QMP"
	assert_output --partial '"status": "prelaunch"'
	after_kill
}

@test "5. MSI-X routed: the five kvm:ADDR lines /proc/interrupts shows; 6. QEMU killed: released, reattach next" {
	lk_start_qemu
	ok pid assign "$D"
	ok pid msix "$D" "${LK_MSIX[@]}"
	ok pid irq "$D" --host=msix --guest=msix
	assert_equal "$(lk_irq_count)" 5
	st
	assert_line --index 1 "$D  pci-stub     e1000e     1       $(kvm_irqs)"
	run "$KVM_ASSIGN" --json status
	assert_equal "$(jq -r '.devices[0].kvm_irqs | map(tostring) | join(",")' <<<"$output")" "$(kvm_irqs)"
	after_kill
}

@test "7. reattached: back on e1000e, nothing to show" {
	run "$KVM_ASSIGN" reattach "$D"
	assert_success
	assert_equal "$(lk_driver)" e1000e
	st
	assert_output "no device detached by kvm-assign, on pci-stub or vfio-pci, or held by a VM"
}
