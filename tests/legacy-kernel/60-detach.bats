#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# 60-detach.bats - detach and reattach on the real 4.1.15: the e1000e at 00:03.0
# to pci-stub and to vfio-pci and back, with lspci -k as the oracle after each step.

load legacy

REC=/run/kvm-assign/$RK_DEVICE

# clean - the device on e1000e, no driver_override (or, where there is none,
# no ID added to pci-stub), no record, its interface down without addresses:
# how the guest booted it.
clean() {
	local i
	for i in /sys/bus/pci/devices/$RK_DEVICE/net/*; do
		[ -e "$i" ] || continue
		ip addr flush dev "${i##*/}" 2>/dev/null
		ip link set "${i##*/}" down 2>/dev/null
	done
	lk_bind e1000e
	if [ -e "$LK_SYSDEV/driver_override" ]; then
		echo >"$LK_SYSDEV/driver_override"
	else
		echo "8086 10d3" >/sys/bus/pci/drivers/pci-stub/remove_id 2>/dev/null || :
	fi
	rm -f "$REC"
}

setup() {
	rk_need "$KVM_ASSIGN"
	clean
}

# Whatever happened, the device ends on e1000e, as it booted.
teardown() {
	clean
}

# oracle - the driver lspci -k says is in use for the device, or "none".
oracle() {
	local d
	d=$(lspci -k -s "${RK_DEVICE#0000:}" | sed -n 's/^\tKernel driver in use: //p')
	echo "${d:-none}"
}
override() { cat "$LK_SYSDEV/driver_override"; }
iface() { local i; i=$(ls "$LK_SYSDEV/net"); echo "$i"; }

@test "detach to pci-stub, then reattach to e1000e, exactly as recorded" {
	assert_equal "$(oracle)" e1000e
	run "$KVM_ASSIGN" detach --driver=pci-stub "$RK_DEVICE"
	assert_success
	assert_output "$RK_DEVICE: detached from e1000e to pci-stub"
	assert_equal "$(oracle)" pci-stub
	assert_equal "$(override)" pci-stub
	grep -qx driver=e1000e "$REC" || fail "record: $(cat "$REC")"
	# Again: already there, nothing written.
	run "$KVM_ASSIGN" detach --driver=pci-stub "$RK_DEVICE"
	assert_success
	assert_output "$RK_DEVICE: already on pci-stub: nothing to do"
	run "$KVM_ASSIGN" reattach "$RK_DEVICE"
	assert_success
	assert_output "$RK_DEVICE: reattached: from pci-stub back to e1000e; restored as $REC recorded"
	assert_equal "$(oracle)" e1000e
	assert_equal "$(override)" "(null)"
	[ ! -e "$REC" ] || fail "the record is still there"
	[ -n "$(iface)" ] || fail "e1000e did not bring its interface back"
}

@test "detach to pci-stub, then assign really works (no EBUSY), then deassign and reattach" {
	run "$KVM_ASSIGN" detach "$RK_DEVICE"
	assert_success
	assert_output "$RK_DEVICE: detached from e1000e to pci-stub; auto: this kernel has legacy device assignment"
	assert_equal "$(oracle)" pci-stub
	lk_start_stub vmm --irqchip
	ok socket assign "$RK_DEVICE"
	# Held by the VM: reattach refuses rather than pull the device from under it.
	run "$KVM_ASSIGN" reattach "$RK_DEVICE"
	assert_failure 1
	assert_output --partial "$RK_DEVICE: still enabled (enable count 1): a VM or a VFIO user holds it"
	assert_equal "$(oracle)" pci-stub
	ok socket deassign "$RK_DEVICE"
	lk_stop_all
	run "$KVM_ASSIGN" reattach "$RK_DEVICE"
	assert_success
	assert_equal "$(oracle)" e1000e
}

@test "detach to vfio-pci (the device is alone in its IOMMU group), then reattach to e1000e" {
	run "$KVM_ASSIGN" --json detach --driver=vfio-pci "$RK_DEVICE"
	assert_success
	run jq -r '[.device, .before, .after, .changed] | @tsv' <<<"$output"
	assert_output "$(printf '%s\te1000e\tvfio-pci\ttrue' "$RK_DEVICE")"
	assert_equal "$(oracle)" vfio-pci
	group=$(readlink "$LK_SYSDEV/iommu_group")
	[ -c "/dev/vfio/${group##*/}" ] || fail "no /dev/vfio/${group##*/}"
	run "$KVM_ASSIGN" reattach "$RK_DEVICE"
	assert_success
	assert_equal "$(oracle)" e1000e
}

@test "the interface up with an address is refused, naming it; --force takes it anyway" {
	i=$(iface)
	ip addr add 10.0.2.15/24 dev "$i"
	ip link set "$i" up
	run "$KVM_ASSIGN" detach --driver=pci-stub "$RK_DEVICE"
	assert_failure 1
	assert_output "kvm-assign: $RK_DEVICE: the host uses it: interface $i is up with address 10.0.2.15 (ip link set $i down): free it first, or give --force"
	assert_equal "$(oracle)" e1000e
	assert_equal "$(override)" "(null)"
	[ ! -e "$REC" ] || fail "a refused detach left a record"
	run "$KVM_ASSIGN" detach --driver=pci-stub --force "$RK_DEVICE"
	assert_success
	assert_output "$RK_DEVICE: detached from e1000e to pci-stub; forced although interface $i is up with address 10.0.2.15 (ip link set $i down)"
	assert_equal "$(oracle)" pci-stub
	run "$KVM_ASSIGN" reattach "$RK_DEVICE"
	assert_success
	assert_equal "$(oracle)" e1000e
}

@test "--dry-run prints the writes and the device stays on e1000e" {
	run "$KVM_ASSIGN" --dry-run detach --driver=pci-stub "$RK_DEVICE"
	assert_success
	assert_line "echo pci-stub > $LK_SYSDEV/driver_override"
	assert_line "echo $RK_DEVICE > $LK_SYSDEV/driver/unbind"
	assert_line "echo $RK_DEVICE > /sys/bus/pci/drivers_probe"
	assert_equal "$(oracle)" e1000e
	assert_equal "$(override)" "(null)"
	[ ! -e "$REC" ] || fail "--dry-run left a record"
}

@test "reattach without a record: the kernel's probe gives it back to e1000e" {
	lk_bind pci-stub
	assert_equal "$(oracle)" pci-stub
	run "$KVM_ASSIGN" reattach "$RK_DEVICE"
	assert_success
	assert_output "$RK_DEVICE: reattached: from pci-stub back to e1000e; no record of a detach ($REC; records last until the host reboots): the kernel's probe picked the driver"
	assert_equal "$(oracle)" e1000e
	assert_equal "$(override)" "(null)"
}

@test "a bridge and an endpoint without BARs are refused, --force or not" {
	run "$KVM_ASSIGN" detach --driver=pci-stub --force "$LK_BRIDGE"
	assert_failure 1
	assert_output "kvm-assign: $LK_BRIDGE: a PCI bridge (header type 1): only endpoints can be assigned: detach the devices behind it"
	run "$KVM_ASSIGN" detach --driver=pci-stub --force "$LK_HOSTBRIDGE"
	assert_failure 1
	assert_output "kvm-assign: $LK_HOSTBRIDGE: no BARs: KVM_ASSIGN_PCI_DEVICE and VFIO refuse a device without resources"
	assert_equal "$(oracle)" e1000e
}
