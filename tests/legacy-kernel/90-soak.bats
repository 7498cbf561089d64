#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# 90-soak.bats - in-VMM commands against one real QEMU, in full
# assign-to-deassign cycles, while QEMU keeps being sent a signal it ignores
# (each one is a signal-delivery stop while kvm-assign traces it): QEMU keeps
# answering QMP, is left running, and holds nothing of the device afterwards.

load legacy

# KVM_ASSIGN_SOAK_CYCLES cycles of 9 commands: 12 (108 commands) in make
# check; make soak runs 112 (1008 commands). A cycle takes about 1.2 s under
# TCG on an idle machine, 3.6 s beside another QEMU suite (112 took 400 s
# there), and over 8 s at a load average of 20: 30 s a cycle holds. On
# failure, teardown says how many cycles ran and what the last command said.
CYCLES=${KVM_ASSIGN_SOAK_CYCLES:-12}
BATS_TEST_TIMEOUT=$((CYCLES * 30 + 120))

setup() {
	rk_need "$KVM_ASSIGN" "$QMP_QUERY"
	lk_bind pci-stub
	lk_fresh
}

teardown() {
	[ -n "${SIGNALLER:-}" ] && kill "$SIGNALLER" 2>/dev/null
	[ ! -s "$BATS_TEST_TMPDIR/done" ] ||
		echo "cycles done: $(cat "$BATS_TEST_TMPDIR/done") of $CYCLES; the log's last lines:"
	tail -n 3 "$BATS_TEST_TMPDIR/soak.log" 2>/dev/null
	lk_stop_all
}

# sigwinch_disposition PID - "default" when PID neither catches, blocks nor
# ignores SIGWINCH (28): the kernel then discards it, unless PID is traced.
sigwinch_disposition() {
	local bit=$((1 << 27)) f v
	for f in SigCgt SigBlk SigIgn; do
		v=$(sed -n "s/^$f:\t*//p" "/proc/$1/status")
		(( 0x$v & bit )) && { echo "$f"; return; }
	done
	echo default
}

@test "$((CYCLES * 9)) commands in $CYCLES full cycles inside one QEMU, SIGWINCH sent all along: QEMU unharmed, nothing left assigned" {
	local D=$RK_DEVICE log=$BATS_TEST_TMPDIR/soak.log bad=0 n=0 c rc t0 t1
	lk_start_qemu
	[ "$(sigwinch_disposition "$QEMU_PID")" = default ]
	local fds_before maps_before
	fds_before=$(ls "/proc/$QEMU_PID/fd" | wc -l)
	# A signal every ~50 ms, counted in a file when stopped. It waits by a
	# read timing out on a FIFO nobody writes: no fork a signal (forks are
	# slow under TCG and would starve the one vCPU the commands run on).
	mkfifo "$BATS_TEST_TMPDIR/never"
	(
		exec 4<>"$BATS_TEST_TMPDIR/never"
		sent=0
		trap 'echo $sent >"$BATS_TEST_TMPDIR/sent"; exit 0' TERM
		while kill -WINCH "$QEMU_PID" 2>/dev/null; do
			sent=$((sent + 1))
			read -r -t 0.05 -u 4 _ || :	# times out: status 142
		done
		echo $sent >"$BATS_TEST_TMPDIR/sent"
	) 3>&- &
	SIGNALLER=$!
	K=("$KVM_ASSIGN" -v $LK_TIMEOUT --pid="$QEMU_PID")
	t0=$(date +%s%N)
	for ((c = 0; c < CYCLES; c++)); do
		for cmd in "assign $D" "msix $D ${LK_MSIX[*]}" \
			"irq $D --host=msix --guest=msix" \
			"irq --remove $D --host=msix --guest=msix" \
			"irq $D --host=intx --guest=intx --guest-irq=10" \
			"intx-mask $D on" "intx-mask $D off" \
			"irq --remove $D --host=intx --guest=intx" "deassign $D"; do
			rc=0
			# shellcheck disable=SC2086
			"${K[@]}" $cmd >>"$log" 2>&1 || rc=$?
			n=$((n + 1))
			if [ "$rc" != 0 ]; then
				bad=$((bad + 1))
				echo "# cycle $c: '$cmd' exited $rc" >&3
			fi
		done
		echo "$((c + 1))" >"$BATS_TEST_TMPDIR/done"
	done
	t1=$(date +%s%N)
	# The signaller runs until stopped here, or until QEMU is gone.
	kill "$SIGNALLER" 2>/dev/null || echo "# the signaller stopped early: QEMU gone?" >&3
	wait "$SIGNALLER" || true
	SIGNALLER=
	kill -0 "$QEMU_PID" || fail "QEMU died: $(tail -n 5 "$BATS_TEST_TMPDIR/qemu.log")"
	assert_equal "$bad" 0
	assert_equal "$n" $((CYCLES * 9))
	# Every ioctl ran inside QEMU and succeeded: 14 a cycle (msix is 6).
	run grep -c ": ok in pid $QEMU_PID (VMM stopped [0-9.]* ms)\$" "$log"
	assert_output $((CYCLES * 14))
	run grep -v ": ok in pid $QEMU_PID (VMM stopped [0-9.]* ms)\$" "$log"
	assert_output ""
	# The figures, as TAP comments: one stop per command (msix's ioctls share one).
	{
		echo "# soak: $n commands, $((CYCLES * 14)) ioctls in $(( (t1 - t0) / 1000000 )) ms, $(cat "$BATS_TEST_TMPDIR/sent") SIGWINCH sent"
		awk '!/^KVM_ASSIGN_SET_MSIX_ENTRY/' "$log" |
			sed -n 's/.*(VMM stopped \([0-9.]*\) ms)$/\1/p' | sort -n |
			awk '{ a[NR] = $1 } END { printf "# soak: QEMU stopped per command: median %.3f ms, max %.3f ms (n=%d)\n", a[int((NR + 1) / 2)], a[NR], NR }'
	} >&3
	# QEMU: alive, not left stopped, answering QMP, no fd more than before.
	[ "$(awk '{ print $3 }' "/proc/$QEMU_PID/stat")" != T ]
	run "$QMP_QUERY" "$QMP"
	assert_success
	assert_output --partial '"status": "prelaunch"'
	assert_equal "$(ls "/proc/$QEMU_PID/fd" | wc -l)" "$fds_before"
	# Nothing of the device left with KVM.
	lk_released
	run grep -c 'kvm:' /proc/interrupts
	assert_output 0
	assert_equal "$(lk_driver)" pci-stub
}
