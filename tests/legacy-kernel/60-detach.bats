#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# 60-detach.bats - detach and reattach on the real legacy kernels: the e1000e
# at 00:03.0 to pci-stub and to vfio-pci and back, with lspci -k as the oracle
# after each step.  3.10 has no driver_override (3.16): there detach gives the
# stub the device's ids through new_id and reattach takes them back with
# remove_id (docs/kernel.md).

load legacy

REC=/run/kvm-assign/$RK_DEVICE
DRV=/sys/bus/pci/drivers
# The id detach gives the stub without driver_override: the device's exact ids.
hex() { local v; v=$(cat "$LK_SYSDEV/$1"); echo "${v#0x}"; }
ID="$(hex vendor) $(hex device) $(hex subsystem_vendor) $(hex subsystem_device) $(hex class) ffffff"
# has_override - the kernel has driver_override (3.16 and later).
has_override() { [ -e "$LK_SYSDEV/driver_override" ]; }

# to DRIVER [ADDR] - bind the device to DRIVER as a user would by hand: with
# driver_override where there is one (lk_bind), else unbind and bind (the
# driver must take the device's ids: pci-stub needs a new_id first).
to() {
	local a=${2:-$RK_DEVICE}
	if has_override; then lk_bind "$@"; return; fi
	[ "$(lk_driver "${2:-}")" = "$1" ] && return 0
	[ -e "/sys/bus/pci/devices/$a/driver" ] && echo "$a" >"/sys/bus/pci/devices/$a/driver/unbind"
	echo "$a" >"$DRV/$1/bind"
	[ "$(lk_driver "${2:-}")" = "$1" ] || fail "$a: not bound to $1"
}

# clean - both e1000e on e1000e, no driver_override, no id left with the
# stubs, no record, the interface down without addresses: as the guest booted.
clean() {
	local i d
	for i in /sys/bus/pci/devices/$RK_DEVICE/net/*; do
		[ -e "$i" ] || continue
		ip addr flush dev "${i##*/}" 2>/dev/null
		ip link set "${i##*/}" down 2>/dev/null
	done
	if ! has_override; then
		for d in pci-stub vfio-pci; do
			while echo "$ID" >"$DRV/$d/remove_id"; do :; done 2>/dev/null
			while echo "$(hex vendor) $(hex device)" >"$DRV/$d/remove_id"; do :; done 2>/dev/null
		done
	fi
	to e1000e
	to e1000e "$LK_BEHIND"
	if has_override; then echo >"$LK_SYSDEV/driver_override"; fi
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
# override - driver_override's value; "(none)" without driver_override.
override() { if has_override; then cat "$LK_SYSDEV/driver_override"; else echo "(none)"; fi; }
# no_override - what override says after a reattach: cleared, or none at all.
no_override() { if has_override; then echo "(null)"; else echo "(none)"; fi; }
iface() { local i; i=$(ls "$LK_SYSDEV/net"); echo "$i"; }

@test "detach to pci-stub, then reattach to e1000e, exactly as recorded" {
	assert_equal "$(oracle)" e1000e
	run "$KVM_ASSIGN" detach --driver=pci-stub "$RK_DEVICE"
	assert_success
	assert_output "$RK_DEVICE: detached from e1000e to pci-stub"
	assert_equal "$(oracle)" pci-stub
	if has_override; then
		assert_equal "$(override)" pci-stub
		! grep -q '^new_id=' "$REC" || fail "record: $(cat "$REC")"
	else
		grep -qx "new_id=$ID" "$REC" || fail "record: $(cat "$REC")"
	fi
	grep -qx driver=e1000e "$REC" || fail "record: $(cat "$REC")"
	# Again: already there, nothing written.
	run "$KVM_ASSIGN" detach --driver=pci-stub "$RK_DEVICE"
	assert_success
	assert_output "$RK_DEVICE: already on pci-stub: nothing to do"
	run "$KVM_ASSIGN" reattach "$RK_DEVICE"
	assert_success
	assert_output "$RK_DEVICE: reattached: from pci-stub back to e1000e; restored as $REC recorded"
	assert_equal "$(oracle)" e1000e
	assert_equal "$(override)" "$(no_override)"
	[ ! -e "$REC" ] || fail "the record is still there"
	[ -n "$(iface)" ] || fail "e1000e did not bring its interface back"
}

# The device taken by a VM: KVM_ASSIGN_PCI_DEVICE run by the VM's creator
# itself (tests/helpers/kvm-ioctl), so the proof of detach needs nothing of
# kvm-assign's in-VMM path; held for $1 ms in the background.
KVM_IOCTL=$TOP_BUILDDIR/tests/helpers/kvm-ioctl
hold() {
	"$KVM_IOCTL" --irqchip assign:1:0:0:0x18:1 "sleep:$1" deassign:1 \
		>"$BATS_TEST_TMPDIR/hold.out" 2>&1 3>&- &
	HOLD_PID=$!
	LK_PIDS+=("$HOLD_PID")
	rk_wait_for "$HOLD_PID" grep -q '^assign.* ret=0' "$BATS_TEST_TMPDIR/hold.out" || {
		cat "$BATS_TEST_TMPDIR/hold.out"
		return 1
	}
}

@test "detach to pci-stub, then a VM really takes the device (no EBUSY); reattach waits for it to let go" {
	run "$KVM_ASSIGN" detach "$RK_DEVICE"
	assert_success
	assert_output "$RK_DEVICE: detached from e1000e to pci-stub; auto: this kernel has legacy device assignment"
	assert_equal "$(oracle)" pci-stub
	hold 20000
	assert_equal "$(lk_enable)" 1
	# Held by the VM: reattach refuses rather than pull the device from under it.
	run "$KVM_ASSIGN" reattach "$RK_DEVICE"
	assert_failure 1
	assert_output --partial "$RK_DEVICE: still enabled (enable count 1): a VM or a VFIO user holds it"
	assert_equal "$(oracle)" pci-stub
	lk_stop "$HOLD_PID" || :	# its status is SIGTERM's
	lk_fresh
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
	assert_equal "$(override)" "$(no_override)"
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
	if has_override; then
		assert_line "echo pci-stub > $LK_SYSDEV/driver_override"
		assert_line "echo $RK_DEVICE > $LK_SYSDEV/driver/unbind"
		assert_line "echo $RK_DEVICE > /sys/bus/pci/drivers_probe"
	else
		assert_line --index 1 "echo $ID > $DRV/pci-stub/new_id"
		assert_line --index 2 "echo $RK_DEVICE > $LK_SYSDEV/driver/unbind"
		assert_line --index 3 "echo $RK_DEVICE > $DRV/pci-stub/bind"
	fi
	assert_equal "$(oracle)" e1000e
	assert_equal "$(override)" "$(no_override)"
	[ ! -e "$REC" ] || fail "--dry-run left a record"
}

@test "reattach without a record: the kernel's probe gives it back to e1000e" {
	# By hand, as a user would; without driver_override, the stub needs the ids.
	has_override || echo "$(hex vendor) $(hex device)" >"$DRV/pci-stub/new_id"
	to pci-stub
	assert_equal "$(oracle)" pci-stub
	run "$KVM_ASSIGN" reattach "$RK_DEVICE"
	assert_success
	assert_output "$RK_DEVICE: reattached: from pci-stub back to e1000e; no record of a detach ($REC; records last until the host reboots): the kernel's probe picked the driver"
	assert_equal "$(oracle)" e1000e
	assert_equal "$(override)" "$(no_override)"
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

@test "the kernel line: driver_override exactly from 3.16 (3.10 lacks it)" {
	case $(uname -r) in
	3.10.*) ! has_override || fail "3.10 with driver_override?" ;;
	*) has_override || fail "$(uname -r) without driver_override" ;;
	esac
}

@test "without driver_override: the twin 01:00.0 on no driver is refused, named; on e1000e it is left alone" {
	has_override && skip "$(uname -r) has driver_override: new_id is not used"
	echo "$LK_BEHIND" >"/sys/bus/pci/devices/$LK_BEHIND/driver/unbind"
	run "$KVM_ASSIGN" detach --driver=pci-stub "$RK_DEVICE"
	assert_failure 1
	assert_output "kvm-assign: $RK_DEVICE: no driver_override (Linux before 3.16), and $LK_BEHIND has the same ids and no driver: pci-stub's new_id would bind it too: bind it to a driver first"
	assert_equal "$(oracle)" e1000e
	assert_equal "$(lk_driver "$LK_BEHIND")" ""
	[ ! -e "$REC" ] || fail "a refused detach left a record"
	# No id was given to pci-stub: it does not take the twin.
	run bash -c "echo $LK_BEHIND > $DRV/pci-stub/bind"
	assert_failure
	assert_equal "$(lk_driver "$LK_BEHIND")" ""
	to e1000e "$LK_BEHIND"
	run "$KVM_ASSIGN" detach --driver=pci-stub "$RK_DEVICE"
	assert_success
	assert_equal "$(lk_driver "$LK_BEHIND")" e1000e
	run "$KVM_ASSIGN" reattach "$RK_DEVICE"
	assert_success
	assert_equal "$(oracle)" e1000e
	# reattach took the id back: pci-stub no longer takes the twin (ENODEV).
	echo "$LK_BEHIND" >"/sys/bus/pci/devices/$LK_BEHIND/driver/unbind"
	run bash -c "echo $LK_BEHIND > $DRV/pci-stub/bind"
	assert_failure
	assert_output --partial "No such device"
	assert_equal "$(lk_driver "$LK_BEHIND")" ""
}
