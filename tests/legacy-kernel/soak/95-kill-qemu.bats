#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# 95-kill-qemu.bats - on Linux 4.1.15, kvm-assign SIGKILLed at random
# instants while a 257-ioctl MSI-X setup runs inside a real QEMU that holds
# the e1000e: QEMU runs on, not stopped, not traced, its signal mask as
# before, QMP answers "running". KVM_ASSIGN_KILL_QEMU sets the number of
# kills (make soak: 1000). Not in the CI boot (its main suite is long
# enough): make soak runs it, or
#   KVM_ASSIGN_RK_SUITE=tests/legacy-kernel/soak sh tests/legacy-kernel.sh

load ../legacy

# a few seconds a kill under TCG (with the deassign and assign after it)
BATS_TEST_TIMEOUT=$(( ${KVM_ASSIGN_KILL_QEMU:-16} * 8 + 120 ))

setup() {
	LK_PIDS=()
	lk_bind pci-stub
	# a guest that runs, then halts (cli; hlt), as in real-kernel/40-qemu-pid.bats
	printf '\372\364\353\375' >"$BATS_TEST_TMPDIR/boot.img"
	head -c 506 /dev/zero >>"$BATS_TEST_TMPDIR/boot.img"
	printf '\125\252' >>"$BATS_TEST_TMPDIR/boot.img"
	QMP=$BATS_TEST_TMPDIR/qmp.sock
	qemu-system-x86_64 -accel kvm -machine q35 -nodefaults -display none -m 64 \
		-drive "file=$BATS_TEST_TMPDIR/boot.img,format=raw,if=ide" \
		-qmp "unix:$QMP,server=on,wait=off" </dev/null >"$BATS_TEST_TMPDIR/qemu.log" 2>&1 3>&- &
	QEMU_PID=$!
	LK_PIDS+=("$QEMU_PID")
	rk_wait_for "$QEMU_PID" test -S "$QMP" && rk_wait_for "$QEMU_PID" lk_has_vm "$QEMU_PID" || {
		cat "$BATS_TEST_TMPDIR/qemu.log"
		return 1
	}
	run "$QMP_QUERY" "$QMP"
	assert_output --partial '"status": "running"'
	"$KVM_ASSIGN" --pid="$QEMU_PID" assign --id=1 "$RK_DEVICE" || fail "cannot assign the device to QEMU"
}

teardown() {
	rk_stop_qemu
	for p in "${LK_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	lk_released || true
}

@test "SIGKILL at random instants during a 257-ioctl setup inside a real QEMU: it runs on, unaltered" {
	local n=${KVM_ASSIGN_KILL_QEMU:-16} pairs=() i
	for i in $(seq 0 255); do pairs+=("$i:$((32 + i))"); done
	# the count stays set: deassign and assign again after each kill
	RESET="'$KVM_ASSIGN' --pid=$QEMU_PID deassign --id=1; '$KVM_ASSIGN' --pid=$QEMU_PID assign --id=1 $RK_DEVICE" \
		run "$TOP_SRCDIR/tests/helpers/kill-qemu.sh" "$QEMU_PID" "$QMP" "$n" "$BATS_TEST_TMPDIR/k" -- \
		"$KVM_ASSIGN" -q --pid="$QEMU_PID" msix --id=1 --count=256 "${pairs[@]}"
	echo "$output"
	assert_success
	echo "# $(tr '\n' ' ' <"$BATS_TEST_TMPDIR/k/summary")" >&3
	# QEMU still holds the device as id 1, and gives it back on deassign
	run "$KVM_ASSIGN" --pid="$QEMU_PID" deassign --id=1
	assert_success
}
