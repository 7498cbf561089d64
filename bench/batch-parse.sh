#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# batch-parse.sh - how long kvm-assign takes to parse and check a batch file
# of N lines (default 10000): --dry-run of a file of assign, msix, irq and
# intx-mask lines, output discarded.  Usage: bench/batch-parse.sh [N] [RUNS]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
ka=${KVM_ASSIGN:-$top/src/kvm-assign}
n=${1:-10000}
runs=${2:-5}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
i=0
while [ $i -lt "$n" ]; do
	case $((i % 4)) in
	0) echo "intx-mask --id=0x$((i % 4096)) on  # a comment" ;;
	1) echo "irq --id=0x$((i % 4096)) --host=msix --guest=msix" ;;
	2) echo "msix --id=0x$((i % 4096)) --count=4 0:24 1:25 2:26 3:27" ;;
	3) echo "intx-mask --id=0x$((i % 4096)) off" ;;
	esac
	i=$((i + 1))
done >"$dir/big.batch"
# The parse alone: a bad last line makes kvm-assign parse everything and stop.
cp "$dir/big.batch" "$dir/bad.batch"
echo "assign 03:00.0 --bogus" >>"$dir/bad.batch"
best_parse= best_plan=
r=0
while [ $r -lt "$runs" ]; do
	t0=$(date +%s%N)
	"$ka" --dry-run batch "$dir/bad.batch" >/dev/null 2>&1 || :
	t1=$(date +%s%N)
	"$ka" --dry-run batch "$dir/big.batch" >/dev/null
	t2=$(date +%s%N)
	p=$(( (t1 - t0) / 1000000 )) d=$(( (t2 - t1) / 1000000 ))
	[ -z "$best_parse" ] || [ "$p" -lt "$best_parse" ] && best_parse=$p
	[ -z "$best_plan" ] || [ "$d" -lt "$best_plan" ] && best_plan=$d
	r=$((r + 1))
done
echo "lines=$n parse_and_check_ms=$best_parse dry_run_whole_plan_ms=$best_plan (best of $runs)"
