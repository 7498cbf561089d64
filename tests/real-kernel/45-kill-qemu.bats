#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# 45-kill-qemu.bats - kvm-assign SIGKILLed at random instants while it works
# inside a real QEMU with a guest running (Debian's 6.1): QEMU runs on, not
# stopped, not traced, its signal mask as before, and QMP answers "running".
# KVM_ASSIGN_KILL_QEMU sets the number of kills (make soak: 1000, at instants
# from a random seed); without it, make check's 24 at the instants seed 1
# picks, the same each run (the seed is in the summary: KILL_SEED repeats a
# run's choices).

load helper

# About a second a kill under TCG on an idle machine, 3.4 s at a load average
# of 14: 15 s a kill holds far beyond make check's load.
BATS_TEST_TIMEOUT=$(( ${KVM_ASSIGN_KILL_QEMU:-24} * 15 + 120 ))
[ -n "${KVM_ASSIGN_KILL_QEMU:-}" ] || export KILL_SEED=1

QMP_QUERY=${TOP_BUILDDIR:-}/tests/helpers/qmp-query

setup() {
	rk_need "$KVM_ASSIGN" "$QMP_QUERY"
	rk_start_guest_qemu -smp 2
}

teardown() {
	# what a timeout cut short: how far the kills got, the last ones
	[ ! -s "$BATS_TEST_TMPDIR/k/kills" ] || {
		echo "kills done: $(wc -l <"$BATS_TEST_TMPDIR/k/kills"); the last:"
		tail -n 5 "$BATS_TEST_TMPDIR/k/kills"
	}
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
