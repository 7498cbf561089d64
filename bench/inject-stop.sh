#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# inject-stop.sh - how long the VMM stands still for one injected batch: a
# single ioctl against 1 + 256 (an MSI-X setup), medians and their ratio.
#
# usage: bench/inject-stop.sh [repetitions]   (after 'make check', from the
# build tree, or with BUILDDIR=... pointing at it)
set -eu
reps=${1:-500}
h=${BUILDDIR:-.}/tests/helpers
for p in busy-target inject-run; do
	[ -x "$h/$p" ] || { echo "inject-stop.sh: $h/$p missing: run 'make check' first" >&2; exit 1; }
done
d=$(mktemp -d)
trap 'kill "$tpid" 2>/dev/null; rm -rf "$d"' EXIT
mkfifo "$d/fifo"
# the stand-in VMM sits in blocking calls, as QEMU's main thread does in ppoll
"$h/busy-target" --fifo "$d/fifo" >"$d/out" 2>&1 &
tpid=$!
i=0
until grep -q '^pid=' "$d/out"; do
	i=$((i + 1)); [ $i -lt 100 ] || { echo "busy-target did not start" >&2; exit 1; }
	sleep 0.05
done
pty=$(sed -n 's/.* pty=\([0-9]*\).*/\1/p' "$d/out")

# warm-up, then the two batch sizes interleaved so that load drifts hit both
"$h/inject-run" -q -k msix -n 50 -m 257 "$tpid" "$pty" >/dev/null
one=; big=
for round in 1 2 3 4 5; do
	one="$one $("$h/inject-run" -q -k msix -n $((reps / 5)) -m 1 "$tpid" "$pty")"
	big="$big $("$h/inject-run" -q -k msix -n $((reps / 5)) -m 257 "$tpid" "$pty")"
done
median() { printf '%s\n' $1 | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
m1=$(median "$one")
m257=$(median "$big")
echo "reps=$reps (5 rounds, median of round medians)"
echo "stop_ms_1call=$m1"
echo "stop_ms_257calls=$m257"
awk -v a="$m1" -v b="$m257" 'BEGIN { r = b / a; printf "ratio=%.2f (goal <= 3: %s)\n", r, r <= 3 ? "met" : "NOT met" }'
