#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# 40-qemu-pid.bats - kvm-assign --pid against a real, unmodified QEMU on the
# real KVM: the ioctls run inside QEMU (ptrace) and QEMU keeps running.

load helper

QMP_QUERY=${TOP_BUILDDIR:-}/tests/helpers/qmp-query

setup() {
	rk_need "$KVM_ASSIGN" "$STUB_VMM" "$QMP_QUERY"
	# A running guest (no -S) with two vcpus: QEMU's main loop sits in ppoll.
	rk_start_guest_qemu -smp 2
}

teardown() {
	kill "$QPID" 2>/dev/null || true
	wait "$QPID" 2>/dev/null || true
}

@test "--pid finds QEMU's VM fd and runs assign inside QEMU: the real ioctl answers ENOTTY" {
	run "$KVM_ASSIGN" --json --pid="$QPID" assign "$RK_DEVICE"
	assert_equal "$status" 3
	json=$(grep '^{' <<<"$output")
	run jq -r '[.ioctl, .ran_in, .errno, .result] | @tsv' <<<"$json"
	assert_output "$(printf 'KVM_ASSIGN_PCI_DEVICE\t%s\tENOTTY\terror' "$QPID")"
	run jq -r '.stopped_ms > 0' <<<"$json"
	assert_output true
}

@test "every subcommand aimed at QEMU by --pid runs inside it and says kernel lacks support" {
	for args in "assign $RK_DEVICE --share-intx" "deassign $RK_DEVICE" \
		"irq $RK_DEVICE --host=msi --guest=msi --guest-irq=24" \
		"irq --remove $RK_DEVICE --host=msi" "msix $RK_DEVICE --count=1 0:24" \
		"intx-mask $RK_DEVICE on"; do
		run "$KVM_ASSIGN" --json --pid="$QPID" $args
		assert_equal "$status" 3
		assert_output --partial "kernel lacks support for KVM_"
		run jq -r 'select(.ioctl) | "\(.ran_in) \(.errno)"' <<<"$(grep '^{' <<<"$output")"
		assert_output "$QPID ENOTTY"
	done
}

@test "-v names QEMU's pid and how long it was stopped" {
	run "$KVM_ASSIGN" -v --pid="$QPID" deassign --id=0x18
	assert_equal "$status" 3
	assert_line --index 0 --regexp "^KVM_DEASSIGN_PCI_DEVICE 0x4040ae72 assigned_dev_id=0x18 .*: ENOTTY in pid $QPID \(VMM stopped [0-9.]+ ms\)$"
}

@test "after 200 in-QEMU commands QEMU still answers QMP query-status" {
	local bad=0 i rc log=$BATS_TEST_TMPDIR/200.log
	for i in $(seq 200); do
		rc=0
		"$KVM_ASSIGN" -v --pid="$QPID" intx-mask --id=$i on >>"$log" 2>/dev/null || rc=$?
		[ "$rc" = 3 ] || bad=$((bad + 1))
	done
	assert_equal "$bad" 0
	# Each one really ran inside QEMU and met the real kernel's ENOTTY there.
	run grep -c ": ENOTTY in pid $QPID (VMM stopped [0-9.]* ms)\$" "$log"
	assert_output 200
	# The stop times, for the record (TAP comment).
	sed -n 's/.*(VMM stopped \([0-9.]*\) ms)$/\1/p' "$log" | sort -n |
		awk '{ a[NR] = $1 } END { printf "# QEMU stopped per command: median %.3f ms, max %.3f ms (n=%d)\n", a[int((NR + 1) / 2)], a[NR], NR }' >&3
	kill -0 "$QPID"
	run "$QMP_QUERY" "$QMP"
	assert_success
	assert_output --partial '"status": "running"'
}

@test "--socket with the stub VMM: the ioctl runs inside the stub, ENOTTY from the real kernel" {
	local sock=$BATS_TEST_TMPDIR/vmm.sock vmm
	"$STUB_VMM" --socket="$sock" >"$BATS_TEST_TMPDIR/vmm.out" 2>&1 &
	vmm=$!
	rk_wait_for "$vmm" grep -q '^ready ' "$BATS_TEST_TMPDIR/vmm.out"
	run "$KVM_ASSIGN" --json --socket="$sock" assign "$RK_DEVICE"
	kill "$vmm"
	assert_equal "$status" 3
	run jq -r '"\(.ran_in) \(.errno)"' <<<"$(grep '^{' <<<"$output")"
	assert_line --index 0 "self EIO"
	assert_line --index 1 "$vmm ENOTTY"
}
