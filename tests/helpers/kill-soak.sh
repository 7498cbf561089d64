#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# kill-soak.sh - kill kvm-assign while it works inside a stand-in VMM, again
# and again, and check after each kill that the VMM runs on unaltered.
#
#   kill-soak.sh walk OUTDIR        SIGKILL at each of the command's system calls in turn
#   kill-soak.sh random N OUTDIR    N SIGKILLs at random instants
#
# Run it under the simulated kernel (tests/sim/kvm-sim -- kill-soak.sh ...):
# busy-target, the stand-in VMM, creates its VM there. It sits in blocking
# calls (read, ppoll, nanosleep, accept) under target-feeder's rain of
# signals and numbered bytes, and counts anything lost or changed: registers
# (r12-r15 and xmm8 across ppoll), its signal mask, EINTR without a signal.
# Between kills this script checks what it can see from outside: the VMM
# not stopped and not traced, its signal mask back, no page left behind.
#
# On a real kernel (tests/legacy-kernel/), busy-target creates a real VM;
# KILL_SOAK_DEVICE names a real device on pci-stub (default: 03:00.0 of the
# device dump, which KILL_SOAK_KA gives: "-A dump -O dump.name=..."), and
# KILL_SOAK_ENTRIES its MSI-X entries (default 8). KILL_SOAK_WRAP is a
# command prefix for kvm-assign (deny-syscall: an older kernel's interfaces).
#
# OUTDIR gets one line per kill in kills ("N where outcome"), the summary in
# summary, and the VMM's and feeder's counts; the exit status is 0 only when
# every kill left the VMM as it was.
set -u
mode=$1
if [ "$mode" = walk ]; then out=$2; n=0; else n=$2; out=$3; fi
H=${TOP_BUILDDIR:?}/tests/helpers
: "${KVM_ASSIGN:?}" "${DUMP:=${TOP_SRCDIR:?}/tests/fixtures/devices.dump}"
mkdir -p "$out"
rm -f "$out/kills" "$out/fifo" "$out/never"
mkfifo "$out/fifo" "$out/never"
exec 8<>"$out/never"	# read -t on it waits, nothing ever comes

"$H/busy-target" --vm --fifo "$out/fifo" --counters "$out/counters" >"$out/vmm" 2>&1 &
T=$!
feeder=
# the stand-in VMM and the feeder end with this script, however it ends
trap 'kill $feeder $T 2>/dev/null' EXIT
for _ in $(seq 200); do grep -q '^pid=' "$out/vmm" && break; sleep 0.05; done
grep -q '^pid=' "$out/vmm" || { echo "kill-soak: the stand-in VMM did not start"; cat "$out/vmm"; exit 99; }
DEV=${KILL_SOAK_DEVICE:-03:00.0}
# shellcheck disable=SC2206
KA=(${KILL_SOAK_KA--A dump -O dump.name=$DUMP}) WRAP=(${KILL_SOAK_WRAP:-})
# shellcheck disable=SC2206
ENTRIES=(${KILL_SOAK_ENTRIES:-0:24 1:25 2:26 3:27 4:28 5:29 6:30 7:31})
K=("${WRAP[@]}" "$KVM_ASSIGN" -q "${KA[@]}" --timeout=${KILL_SOAK_TIMEOUT:-5} --pid=$T)
# The command under the knife: 9 calls in one stop (the creator check, the
# MSI-X count, 8 entries); a deassign and assign between kills resets it.
CMD=("${K[@]}" msix "$DEV" --count=${#ENTRIES[@]} "${ENTRIES[@]}")
reset() {
	"${K[@]}" deassign "$DEV" 2>"$out/deassign.err"
	"${K[@]}" assign "$DEV" || { sleep 0.5; "${K[@]}" assign "$DEV"; } || {
		echo "kill-soak: cannot assign again after: $(tail -n 1 "$out/kills" 2>/dev/null)"
		cat "$out/deassign.err"
		check_vmm
		exit 98
	}
}
reset
"$H/target-feeder" "$T" "$out/fifo" "$out/counters" 0 0 >"$out/fed" &
feeder=$!

rwx() { grep -c ' rwxp 00000000 00:00 0 *$' "/proc/$T/maps"; }
base_rwx=$(rwx)
leaks=0 bad=0

# After a kill: the VMM must run (not stopped), untraced, with no signal
# blocked (the stub blocks them all until it puts the thread back, within
# a nap of 10 ms once it sees kvm-assign gone).
check_vmm() {
	local state tracer blk i
	for i in $(seq 100); do
		state=$(sed 's/.*) \(.\).*/\1/' "/proc/$T/stat" 2>/dev/null)
		tracer=$(sed -n 's/^TracerPid:\t//p' "/proc/$T/status" 2>/dev/null)
		blk=$(sed -n 's/^SigBlk:\t//p' "/proc/$T/task/$T/status" 2>/dev/null)
		case $state in
		S|R|D) [ "$tracer" = 0 ] && [ "$blk" = 0000000000000000 ] && return 0 ;;
		*) ;;
		esac
		sleep 0.02
	done
	echo "state=$state tracer=$tracer blocked=$blk"
	return 1
}

one_kill() {	# $1: how (at=CALL#K, or "t<microseconds>")
	local how=$1 where outcome now
	if [ "${how#t}" != "$how" ]; then
		"${CMD[@]}" 2>/dev/null &
		local p=$! st tracer=0 line task call=""
		# a builtin wait, no fork: an exec would take longer than the command
		read -r -t "$(printf '0.%06d' "${how#t}")" _ <&8
		# Where it is, read without a fork: is the VMM held, and by what call?
		while read -r line; do
			case $line in TracerPid:*) tracer=${line#TracerPid:}; tracer=${tracer//[[:space:]]/} ;; esac
		done <"/proc/$T/status"
		read -r st <"/proc/$T/stat"; st=${st##*) }; st=${st%% *}
		for task in /proc/$p/task/*; do
			{ read -r line <"$task/syscall"; } 2>/dev/null || continue
			case $line in 101\ *) call=ptrace ;; 61\ *|247\ *) [ -z "$call" ] && call=wait ;; esac
		done
		[ -n "${KILL_SOAK_DEBUG:-}" ] && echo "debug p=$p tracer=$tracer st=$st call=$call" >&2
		# (the tracer is kvm-assign's worker thread)
		if [ "$tracer" = 0 ] || [ ! -e "/proc/$p/task/$tracer" ]; then where="not-attached"
		elif [ "$st" = t ]; then where="held${call:+,$call}"
		else where="attached,vmm-running"
		fi
		kill -9 "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	else
		where=$("$H/kill-at" "$how" -- "${CMD[@]}" 2>/dev/null | sed 's/^killed at call [0-9]*: //')
		[ -n "$where" ] || where="(finished-first)"
		where="${how#at=} $where"
	fi
	if outcome=$(check_vmm); then
		outcome=ok
	else
		bad=$((bad + 1))
	fi
	now=$(rwx)
	if [ "$now" -gt "$base_rwx" ]; then
		outcome="$outcome page-left"
		leaks=$((leaks + now - base_rwx))
		base_rwx=$now
	fi
	echo "${how%%=*} $where $outcome" >>"$out/kills"
	reset
}

if [ "$mode" = walk ]; then
	# Every call from the first ptrace on, each named with its occurrence
	# ("ptrace(SETREGS)#3"), so that a kill lands on the same step however
	# many polls came before it (KILL_SOAK_FROM=1: from the program's start;
	# before its first ptrace nothing can reach the VMM, so CI starts there).
	"$H/kill-at" 0 -- "${CMD[@]}" >"$out/calls" 2>/dev/null
	first=${KILL_SOAK_FROM:-$(grep -m1 ': ptrace(' "$out/calls" | sed 's/^call \([0-9]*\):.*/\1/')}
	[ -n "$first" ] || { echo "kill-soak: cannot list the command's calls"; exit 99; }
	# KILL_SOAK_STRIDE=N: every Nth step only (a slow machine's short walk)
	sed 's/^call [0-9]*: //' "$out/calls" | awk -v from="$first" -v stride="${KILL_SOAK_STRIDE:-1}" \
		'{ n[$0]++ } NR >= from && (NR - from) % stride == 0 { print $0 "#" n[$0] }' >"$out/steps"
	reset
	while IFS= read -r step; do one_kill "at=$step"; done <"$out/steps"
	n=$(wc -l <"$out/steps")
else
	# random instants over the command's run (about 8 ms under the simulation)
	for i in $(seq "$n"); do one_kill "t$(( (RANDOM * 32768 + RANDOM) % ${KILL_SOAK_SPAN_US:-12000} ))"; done
fi

kill -TERM "$feeder"; wait "$feeder"
sleep 0.3
kill -TERM "$T"; wait "$T"
T= feeder=
fed=$(cat "$out/fed") got=$(tail -n 1 "$out/vmm")
{
	echo "kills=$n bad=$bad pages_left=$leaks"
	echo "fed: $fed"
	echo "got: $got"
} >"$out/summary"
cat "$out/summary"
field() { sed -n "s/.*\b$1=\([0-9]*\).*/\1/p" <<<"$2"; }
# What the kernel's own windows can cost (kvm-assign(8), "If kvm-assign is
# killed"): a signal held at its delivery between attaching and stopping the
# thread is dropped with its dead tracer; a call that answers the stop request
# with EINTR (a socket call with a timeout) returns it if the tracer dies
# before the stop. Counted apart; more than KILL_SOAK_WINDOW of them fails.
window=$(( $(field eintr_unexpected "$got") ))
for s in usr1 usr2 rt; do window=$(( window + $(field $s "$fed") - $(field $s "$got") )); done
echo "kernel-window losses: $window (allowed ${KILL_SOAK_WINDOW:-0})" | tee -a "$out/summary"
ok=1
[ "$bad" = 0 ] || ok=0
for s in usr1 usr2 rt; do [ "$(field $s "$fed")" -ge "$(field $s "$got")" ] || ok=0; done
[ "$window" -le "${KILL_SOAK_WINDOW:-0}" ] || ok=0
[ "$(field bytes "$fed")" = "$(field bytes_ok "$got")" ] || ok=0
for c in bytes_bad bad_errno canary_bad mask_bad; do [ "$(field $c "$got")" = 0 ] || ok=0; done
[ "$ok" = 1 ]
