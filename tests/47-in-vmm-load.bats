#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# 47-in-vmm-load.bats - 1000 kvm-assign commands run inside a VMM (under the
# simulated kernel) that sits in blocking calls under a rain of signals.

load test_helper

@test "1000 in-VMM commands: the VMM loses no data, no signal, no interrupted call" {
	H="$TOP_BUILDDIR/tests/helpers"
	D="$BATS_TEST_TMPDIR"
	mkfifo "$D/fifo"
	# Everything under one simulated kernel: the VMM's VM, and kvm-assign's calls.
	run sim -- bash -c '
		H=$1 D=$2
		"$H/busy-target" --vm --fifo "$D/fifo" --counters "$D/counters" >"$D/out" 2>&1 &
		T=$!
		for _ in $(seq 100); do grep -q "^pid=" "$D/out" && break; sleep 0.05; done
		K=("$KVM_ASSIGN" -A dump -O "dump.name=$3" --pid=$T)
		"${K[@]}" assign 03:00.0 --share-intx || exit 90
		"$H/target-feeder" "$T" "$D/fifo" "$D/counters" 3000 3000 >"$D/fed" &
		feeder=$!
		bad=0
		for i in $(seq 1000); do
			"${K[@]}" intx-mask --id=0x300 $([ $((i % 2)) = 0 ] && echo on || echo off) || bad=$((bad + 1))
		done
		wait $feeder
		sleep 0.3
		kill -TERM $T; wait $T
		echo "failed=$bad"
		echo "fed: $(cat "$D/fed")"
		echo "got: $(tail -n 1 "$D/out")"' _ "$H" "$D" "$DUMP"
	assert_success
	assert_line "failed=0"
	fed=$(sed -n 's/^fed: //p' <<<"$output")
	got=$(sed -n 's/^got: //p' <<<"$output")
	for s in usr1 usr2 rt; do
		[ -n "$(kv_field $s "$fed")" ] || fail "feeder reported no $s count: $fed"
		assert_equal "$(kv_field $s "$got")" "$(kv_field $s "$fed")"
	done
	assert_equal "$(kv_field bytes_ok "$got")" "$(kv_field bytes "$fed")"
	assert_equal "$(kv_field bytes_bad "$got")" 0
	assert_equal "$(kv_field eintr_unexpected "$got")" 0
	assert_equal "$(kv_field canary_bad "$got")" 0
	# Every one of the 1000 ran in the VMM and reached the kernel from there.
	run grep -c "ioctl=KVM_ASSIGN_SET_INTX_MASK .* ret=0\$" "$(klog)"
	assert_output 1000
	run grep '^dev ' "$(kstate)"
	assert_output --partial "intx_mask=1"
}
