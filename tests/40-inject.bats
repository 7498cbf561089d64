#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# 40-inject.bats - the in-VMM execution mechanism (src/inject.c) against
# busy-target, a stand-in VMM in blocking calls under a rain of signals.

load test_helper

H="$TOP_BUILDDIR/tests/helpers"

setup() {
	for p in busy-target target-feeder inject-run; do
		[ -x "$H/$p" ] || { echo "$H/$p is missing: build it with 'make check'" >&2; return 1; }
	done
	D=$(mktemp -d)
	mkfifo "$D/fifo"
	PIDS=()
}

teardown() {
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	rm -rf "$D"
	helper_teardown
}

# start_target [busy-target options]: sets TPID, PTY, FIFOFD
start_target() {
	"$H/busy-target" --fifo "$D/fifo" --counters "$D/counters" "$@" >"$D/out" 2>&1 &
	TPID=$!
	PIDS+=("$TPID")
	for _ in $(seq 100); do grep -q '^pid=' "$D/out" && break; sleep 0.05; done
	PTY=$(sed -n 's/.* pty=\([0-9]*\).*/\1/p' "$D/out")
	FIFOFD=$(sed -n 's/.* fifo=\([0-9]*\).*/\1/p' "$D/out")
	[ -n "$PTY" ] || { cat "$D/out" >&2; return 1; }
}

# stop_target: SIGTERM, then the summary line it prints
stop_target() {
	kill -TERM "$TPID"
	wait "$TPID" || true
	tail -n 1 "$D/out"
}

@test "1000 injections into a target in blocking calls under signals lose nothing" {
	start_target
	"$H/target-feeder" "$TPID" "$D/fifo" "$D/counters" 3000 3000 >"$D/fed" &
	feeder=$!
	run "$H/inject-run" -n 1000 -m 4 "$TPID" "$PTY"
	assert_success
	assert_output --partial "batches=1000 calls=4 errors=0"
	wait "$feeder"
	sleep 0.3
	summary=$(stop_target)
	fed=$(cat "$D/fed")
	echo "fed: $fed"; echo "got: $summary"
	for s in usr1 usr2 rt; do
		[ "$(kv_field $s "$fed")" = "$(kv_field $s "$summary")" ]
	done
	[ "$(kv_field bytes "$fed")" = "$(kv_field bytes_ok "$summary")" ]
	[ "$(kv_field bytes_bad "$summary")" = 0 ]
	[ "$(kv_field eintr_unexpected "$summary")" = 0 ]
	[ "$(kv_field bad_errno "$summary")" = 0 ]
	[ "$(kv_field canary_bad "$summary")" = 0 ]
}

@test "a 257-call batch copies every struct in and out" {
	start_target
	run "$H/inject-run" -n 20 -m 257 "$TPID" "$PTY"
	assert_success
	assert_output --partial "errors=0"
	summary=$(stop_target)
	[ "$(kv_field canary_bad "$summary")" = 0 ]
}

@test "integer-result ioctl on a fifo the target holds (FIONREAD)" {
	start_target
	run "$H/inject-run" -k fionread -n 10 -m 3 "$TPID" "$FIFOFD"
	assert_success
	assert_output --partial "errors=0"
}

@test "an fd the target does not hold fails in the call, not in the injection" {
	start_target
	run "$H/inject-run" -n 1 -m 1 "$TPID" 999
	assert_failure
	assert_output --partial "call 1: Bad file descriptor"
	summary=$(stop_target)
	[ "$(kv_field eintr_unexpected "$summary")" = 0 ]
}

@test "a target under a W^X policy (PR_SET_MDWE) is served one call per stop" {
	start_target --mdwe
	run "$H/inject-run" -n 20 -m 6 "$TPID" "$PTY"
	assert_success
	assert_output --partial "errors=0"
}

@test "EPERM for another uid's process is explained" {
	start_target
	nobody_copy "$H/inject-run"
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$NOBODY_DIR/inject-run" "$TPID" "$PTY"
	assert_failure
	assert_output --partial "runs as uid 0 and we run as uid 65534 without CAP_SYS_PTRACE"
}

@test "a target already traced by another tracer is reported as such" {
	start_target
	strace -p "$TPID" -o /dev/null &
	PIDS+=("$!")
	for _ in $(seq 100); do
		[ "$(awk '/^TracerPid:/ {print $2}' "/proc/$TPID/status")" != 0 ] && break
		sleep 0.05
	done
	run "$H/inject-run" "$TPID" "$PTY"
	assert_failure
	assert_output --partial "already traced by process"
	assert_output --partial "(strace)"
}

@test "a thread that cannot be stopped times out, is left untouched, and works after" {
	start_target --vfork-hang
	sleep 0.2
	child=$(pgrep -P "$TPID")
	PIDS+=("$child")
	start=$(date +%s%N)
	run "$H/inject-run" -t 300 "$TPID" "$PTY"
	assert_failure
	assert_output --partial "did not stop within 300 ms (state D"
	[ $(( ($(date +%s%N) - start) / 1000000 )) -lt 3000 ]
	[ "$(awk '/^TracerPid:/ {print $2}' "/proc/$TPID/status")" = 0 ]
	kill -9 "$child"
	sleep 0.2
	run "$H/inject-run" -n 3 "$TPID" "$PTY"
	assert_success
	summary=$(stop_target)
	[ "$(kv_field canary_bad "$summary")" = 0 ]
}

@test "a target that dies midway is reported cleanly, without a hang" {
	start_target
	"$H/inject-run" -n 1000000 -m 4 "$TPID" "$PTY" >"$D/run" 2>&1 &
	runner=$!
	sleep 0.5
	kill -9 "$TPID"
	for _ in $(seq 100); do kill -0 "$runner" 2>/dev/null || break; sleep 0.05; done
	run kill -0 "$runner"
	assert_failure
	cat "$D/run"
	grep -Eq "exited during the injection \(killed by signal 9|is exiting or has exited|no process $TPID" "$D/run"
}

@test "a seccomp filter answering EPERM is named as the likely cause" {
	start_target --seccomp=errno
	run "$H/inject-run" "$TPID" "$PTY"
	assert_failure
	assert_output --partial "Operation not permitted"
	assert_output --partial "seccomp filter (Seccomp: 2)"
	summary=$(stop_target)
	[ "$(kv_field eintr_unexpected "$summary")" = 0 ]
}

@test "a seccomp filter that kills is reported as such" {
	start_target --seccomp=kill
	run "$H/inject-run" "$TPID" "$PTY"
	assert_failure
	assert_output --partial "killed by SIGSYS"
}
