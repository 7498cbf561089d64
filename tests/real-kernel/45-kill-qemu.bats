#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# 45-kill-qemu.bats - kvm-assign SIGKILLed at random instants while it works
# inside a real QEMU with a guest running (Debian's 6.1): QEMU runs on, not
# stopped, not traced, its signal mask as before, and QMP answers "running".
# KVM_ASSIGN_KILL_QEMU sets the number of kills (make soak: 1000).

load helper

# about a second a kill under TCG: room for the number asked
BATS_TEST_TIMEOUT=$(( ${KVM_ASSIGN_KILL_QEMU:-24} * 4 + 120 ))

QMP_QUERY=${TOP_BUILDDIR:-}/tests/helpers/qmp-query

setup() {
	rk_need "$KVM_ASSIGN" "$QMP_QUERY"
	rk_start_guest_qemu -smp 2
}

teardown() {
	kill "$QPID" 2>/dev/null || true
	wait "$QPID" 2>/dev/null || true
}

@test "SIGKILL at random instants inside a real QEMU: it runs on, unaltered, and QMP answers" {
	local n=${KVM_ASSIGN_KILL_QEMU:-24} pairs=() i
	for i in $(seq 0 255); do pairs+=("$i:$((32 + i))"); done
	run "$TOP_SRCDIR/tests/helpers/kill-qemu.sh" "$QPID" "$QMP" "$n" "$BATS_TEST_TMPDIR/k" -- \
		"$KVM_ASSIGN" -q --pid="$QPID" msix --id=1 --count=256 "${pairs[@]}"
	echo "$output"
	assert_success
	echo "# $(tr '\n' ' ' <"$BATS_TEST_TMPDIR/k/summary")" >&3
	run kill -0 "$QPID"
	assert_success
}
