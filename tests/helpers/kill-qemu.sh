#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# kill-qemu.sh - SIGKILL kvm-assign at random instants while it works inside
# a real QEMU (a real guest running), and check after each kill that QEMU
# runs on: not stopped, not traced, its main thread's signal mask as before.
#
#   kill-qemu.sh QEMU_PID QMP_SOCKET N OUTDIR -- KVM-ASSIGN-COMMAND...
#
# RESET (environment), when set, is run (bash) after each kill (after every
# RESET_EVERY-th, default 1), e.g. to deassign and assign again. KILL_SEED
# seeds the choice of instants (bash's RANDOM): the same seed, the same steps
# and delays; unset, a seed from the clock. Writes OUTDIR/kills ("where
# outcome" per kill, as it goes) and OUTDIR/summary (with the seed); exit 0
# when every kill left QEMU as it was and QMP still answers "running" at the
# end, else it also prints each kill that did not.
set -u
Q=$1 QMP=$2 n=$3 out=$4
shift 5
seed=${KILL_SEED:-$(( $(date +%s%N) % 32768 ))}
RANDOM=$seed
CMD=("$@")
H=${TOP_BUILDDIR:?}/tests/helpers
mkdir -p "$out"
rm -f "$out/kills" "$out/never"
mkfifo "$out/never"
exec 8<>"$out/never"

blocked() {	# the main thread's blocked-signal mask
	local line
	while read -r line; do
		case $line in SigBlk:*) echo "${line#SigBlk:}" | tr -d '[:space:]'; return ;; esac
	done <"/proc/$Q/task/$Q/status"
}
rwx() { grep -c ' rwxp 00000000 00:00 0 *$' "/proc/$Q/maps"; }
base_blk=$(blocked) base_rwx=$(rwx) leaks=0 bad=0
# When, in one command's run, QEMU is in its hands (from its attach to its
# end): the kills spread over that window, and some before it.
us() { local t=${EPOCHREALTIME/./}; echo "${t#0}"; }
tracer_now() {
	local line
	while read -r line; do
		case $line in TracerPid:*) line=${line#TracerPid:}; echo "${line//[[:space:]]/}"; return ;; esac
	done <"/proc/$Q/status"
}
s=$(us)
"${CMD[@]}" >/dev/null 2>&1 &
p=$!
first=
while kill -0 "$p" 2>/dev/null; do
	[ -z "$first" ] && [ "$(tracer_now)" != 0 ] && first=$(( $(us) - s ))
done
wait "$p"
end=$(( $(us) - s ))
[ -n "$first" ] || first=$((end / 2))
from=$(( first * 8 / 10 )) span=$(( end - first * 8 / 10 + 1 ))
[ -n "${RESET:-}" ] && bash -c "$RESET" >/dev/null 2>&1

# QEMU as it was within 30 s of a kill (a loaded machine may take seconds to
# run the kernel's detach), else what it looks like.
check_qemu() {
	local state tracer blk line end=$((SECONDS + 30))
	while :; do
		tracer=x
		while read -r line; do
			case $line in TracerPid:*) tracer=${line#TracerPid:}; tracer=${tracer//[[:space:]]/} ;; esac
		done <"/proc/$Q/status"
		read -r state <"/proc/$Q/stat"; state=${state##*) }; state=${state%% *}
		blk=$(blocked)
		case $state in
		S|R|D) [ "$tracer" = 0 ] && [ "$blk" = "$base_blk" ] && return 0 ;;
		esac
		[ "$SECONDS" -lt "$end" ] || break
		sleep 0.05
	done
	echo "state=$state tracer=$tracer blocked=$blk (was $base_blk)"
	return 1
}

# The command's system calls from its first ptrace on, each named with its
# occurrence (kill-at at=CALL#K): under TCG the VMM is held for a few ms of
# a run of hundreds, so every other kill picks one of these steps at random
# (the others pick a random instant of the run).
"$H/kill-at" 0 -- "${CMD[@]}" >"$out/calls" 2>/dev/null
[ -n "${RESET:-}" ] && bash -c "$RESET" >/dev/null 2>&1
first_call=$(grep -m1 ': ptrace(' "$out/calls" | sed 's/^call \([0-9]*\):.*/\1/')
sed 's/^call [0-9]*: //' "$out/calls" | awk -v from="${first_call:-1}" '{ n[$0]++ } NR >= from { print $0 "#" n[$0] }' >"$out/steps"
mapfile -t steps <"$out/steps"

for i in $(seq "$n"); do
	if [ $((i % 2)) = 0 ] && [ ${#steps[@]} -gt 0 ]; then
		step=${steps[RANDOM % ${#steps[@]}]}
		"$H/kill-at" "at=$step" -- "${CMD[@]}" >/dev/null 2>&1
		where="step:$step"
	else
		"${CMD[@]}" >/dev/null 2>&1 &
		p=$!
		d=$(( from + (RANDOM * 32768 + RANDOM) % span ))
		read -r -t "$(printf '%d.%06d' $((d / 1000000)) $((d % 1000000)))" _ <&8
		tracer=0 st=?
		while read -r line; do
			case $line in TracerPid:*) tracer=${line#TracerPid:}; tracer=${tracer//[[:space:]]/} ;; esac
		done <"/proc/$Q/status"
		read -r st <"/proc/$Q/stat"; st=${st##*) }; st=${st%% *}
		if [ "$tracer" = 0 ] || [ ! -e "/proc/$p/task/$tracer" ]; then where=time:not-attached
		elif [ "$st" = t ]; then where=time:held
		else where=time:attached,vmm-running
		fi
		kill -9 "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	fi
	if outcome=$(check_qemu); then outcome=ok; else bad=$((bad + 1)); fi
	now=$(rwx)
	if [ "$now" -gt "$base_rwx" ]; then
		outcome="$outcome page-left"
		leaks=$((leaks + now - base_rwx))
		base_rwx=$now
	fi
	echo "$where $outcome" >>"$out/kills"
	[ -n "${RESET:-}" ] && [ $((i % ${RESET_EVERY:-1})) = 0 ] && bash -c "$RESET" >/dev/null 2>&1
done
qmp=$("$H/qmp-query" "$QMP" 2>&1)
case $qmp in *'"status": "running"'*) running=yes ;; *) running=no ;; esac
{
	echo "kills=$n bad=$bad pages_left=$leaks qemu_running=$running window_us=$from..$((from + span)) seed=$seed"
	awk '{ sub(/#.*/, "", $1); print $1 }' "$out/kills" | sort | uniq -c | tr -s ' \n' ' '
	echo
} >"$out/summary"
cat "$out/summary"
[ "$bad" = 0 ] || { echo "kills that left QEMU altered (KILL_SEED=$seed repeats the choices):"; grep -n -v ' ok\( page-left\)\{0,1\}$' "$out/kills"; }
[ "$running" = yes ] || echo "QMP after the kills: $qmp"
[ "$bad" = 0 ] && [ "$running" = yes ]
