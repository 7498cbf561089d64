# SPDX-License-Identifier: GPL-2.0-or-later
# helper.bash - loaded by every test in tests/real-kernel/ (run inside the guest
# booted by tests/real-kernel.sh): assertions, paths, the emulated device.

bats_require_minimum_version 1.5.0	# run --separate-stderr
# Like bats_load_library, minus the dirname fork load.bash makes for each of
# its files: forks are slow under TCG, and this runs once a test.
rk_load() {
	local dir f
	local IFS=:
	for dir in $BATS_LIB_PATH; do
		[ -d "$dir/$1/src" ] || continue
		for f in "$dir/$1"/src/*.bash; do
			source "$f"
		done
		return 0
	done
	bats_load_library "$1"
}
rk_load bats-support
rk_load bats-assert

: "${KVM_ASSIGN:?run through tests/real-kernel.sh}"
: "${STUB_VMM:?run through tests/real-kernel.sh}"
# The e1000e the harness placed at 00:03.0: a real (emulated) device with MSI-X.
RK_DEVICE=${RK_DEVICE:-0000:00:03.0}
# A slot nothing occupies on QEMU's pc machine.
RK_ABSENT=0000:00:1f.7

# rk_wait_for PID CMD... - retry CMD until it succeeds; fail once process PID
# has exited or after 30 s (time, not tries: the guest runs under TCG).
rk_wait_for() {
	local pid=$1 end=$((SECONDS + 30))
	shift
	until "$@"; do
		kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.2
	done
}

# rk_start_qemu - a real QEMU on /dev/kvm, stopped (-S), in the background;
# sets QEMU_PID. rk_stop_qemu ends it (call it from teardown).
rk_start_qemu() {
	local qmp=$BATS_TEST_TMPDIR/qmp.sock
	qemu-system-x86_64 -accel kvm -S -display none -nodefaults -m 64 \
		-qmp "unix:$qmp,server=on,wait=off" \
		</dev/null >"$BATS_TEST_TMPDIR/qemu.log" 2>&1 &
	QEMU_PID=$!
	rk_wait_for "$QEMU_PID" test -S "$qmp" || {
		cat "$BATS_TEST_TMPDIR/qemu.log"
		return 1
	}
}
# rk_start_guest_qemu [QEMU options] - a real QEMU on /dev/kvm with a guest
# that runs, then halts (a boot sector: cli; hlt; jmp $-2), so nested KVM
# under TCG does not eat the CPU a spinning firmware would, and QMP on $QMP;
# sets QPID once QMP listens and says "running".
rk_start_guest_qemu() {
	QMP=$BATS_TEST_TMPDIR/qmp.sock
	printf '\372\364\353\375' >"$BATS_TEST_TMPDIR/boot.img"
	head -c 506 /dev/zero >>"$BATS_TEST_TMPDIR/boot.img"
	printf '\125\252' >>"$BATS_TEST_TMPDIR/boot.img"
	qemu-system-x86_64 -accel kvm -m 64 -display none -nodefaults "$@" \
		-drive "file=$BATS_TEST_TMPDIR/boot.img,format=raw,if=ide" \
		-qmp "unix:$QMP,server=on,wait=off" </dev/null >"$BATS_TEST_TMPDIR/qemu.log" 2>&1 3>&- &
	QPID=$!
	rk_wait_for "$QPID" test -S "$QMP" || {
		cat "$BATS_TEST_TMPDIR/qemu.log"
		return 1
	}
	run "${TOP_BUILDDIR:-}/tests/helpers/qmp-query" "$QMP"
	assert_output --partial '"status": "running"'
}
rk_stop_qemu() {
	[ -z "${QEMU_PID:-}" ] && return 0
	kill "$QEMU_PID" 2>/dev/null
	wait "$QEMU_PID" 2>/dev/null
	QEMU_PID=
}

# rk_need FILE... - fail the test, saying so, when a built program is missing.
rk_need() {
	local f
	for f; do
		[ -x "$f" ] || fail "$f is not built (make check builds it first)"
	done
}

# rk_msix_count ADDR - the MSI-X table size lspci reports for ADDR.
rk_msix_count() {
	lspci -vv -s "$1" 2>/dev/null | sed -n 's/.*MSI-X: Enable[-+] Count=\([0-9]*\).*/\1/p'
}
