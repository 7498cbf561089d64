#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# soak.sh - the full-length kill soaks behind 'make soak' (CI runs short ones
# in tests/42-inject-kill.bats): every system call of a command from its
# very first, then KILL_SOAK_RANDOM (default 10000) kills at random instants,
# each against the stand-in VMM under the simulated kernel; then
# KILL_SOAK_QEMU (default 1000) kills inside a real QEMU on Debian's 6.1 and
# on the legacy 4.1.15 kernel; then the kill walk at every step inside 3.10.105
# and 4.1.15; then KVM_ASSIGN_SOAK_CYCLES (default 112)
# cycles of 9 in-VMM commands in one QEMU on 4.1.15 (1008 commands; make
# check runs 12). Results land in soak-walk/, soak-random/, soak-qemu-*.tap
# and soak-cycles.tap of the build tree.
set -u
B=${TOP_BUILDDIR:-.}
# The programs, copied: an hour long, a soak must not meet a rebuild.
S=$B/soak-bin
rm -rf "$S" && mkdir -p "$S/src" "$S/tests/helpers" "$S/tests/sim" "$S/tests/vmm" || exit 1
cp "$B/src/kvm-assign" "$S/src/" &&
	cp "$B/tests/sim/kvm-sim" "$S/tests/sim/" && cp "$B/tests/vmm/stub-vmm" "$S/tests/vmm/" &&
	for p in busy-target target-feeder kill-at qmp-query fd-exec scenario-run kvm-ioctl; do
		[ ! -x "$B/tests/helpers/$p" ] || cp "$B/tests/helpers/$p" "$S/tests/helpers/" || exit 1
	done || exit 1
export TOP_BUILDDIR=$S TOP_SRCDIR=${TOP_SRCDIR:-.} KVM_ASSIGN=$S/src/kvm-assign \
	KVM_SIM=$S/tests/sim/kvm-sim STUB_VMM=$S/tests/vmm/stub-vmm
status=0
# Losses to the kernel's windows (kill-soak.sh) are counted and reported;
# at most one in a hundred kills is taken for them.
export KILL_SOAK_WINDOW=${KILL_SOAK_WINDOW:-$(( ${KILL_SOAK_RANDOM:-10000} / 100 ))}
echo "== every system call, from the program's start"
KILL_SOAK_FROM=1 "$KVM_SIM" -- "$TOP_SRCDIR/tests/helpers/kill-soak.sh" walk "$B/soak-walk" || status=1
echo "== ${KILL_SOAK_RANDOM:-10000} random instants"
"$KVM_SIM" -- "$TOP_SRCDIR/tests/helpers/kill-soak.sh" random "${KILL_SOAK_RANDOM:-10000}" "$B/soak-random" || status=1
echo "where the random kills landed:"
awk '{ print $2 }' "$B/soak-random/kills" | sort | uniq -c
# Against a real QEMU with a guest running, on both real kernels (about a
# second a kill under TCG; KILL_SOAK_QEMU=0 skips them).
n=${KILL_SOAK_QEMU:-1000}
if [ "$n" -gt 0 ]; then
	for k in "real-kernel.sh 45-kill-qemu.bats" "legacy-kernel.sh 95-kill-qemu.bats"; do
		echo "== $n kills inside a real QEMU: tests/$k"
		set -- $k
		# (on 4.1.15 the MSI-X count stays set between kills: the full
		# 257-ioctl setup runs after every 10th, which resets it)
		KVM_ASSIGN_RK_SUITE=$(case $1 in legacy*) echo tests/legacy-kernel/soak ;; esac) \
		RESET_EVERY=10 KVM_ASSIGN_KILL_QEMU=$n KVM_ASSIGN_REAL_KERNEL_TIMEOUT=$((n * 10 + 600)) \
		KVM_ASSIGN_REAL_KERNEL_TEST_TIMEOUT=$((n * 10 + 300)) \
			sh "$TOP_SRCDIR/tests/$1" "$2" | tee "$B/soak-qemu-${1%%.sh}.tap" || status=1
		grep -q '^not ok\|^Bail out' "$B/soak-qemu-${1%%.sh}.tap" && status=1
	done
fi
# The full kill walk inside the legacy kernels (make check kills at every 8th
# step): 3.10 without PTRACE_GETSIGMASK, 4.1 with it.
for line in 3.10 4.1; do
	echo "== the kill walk at every step on $line: tests/legacy-kernel.sh 40-kill-walk.bats"
	KVM_ASSIGN_RK_LINE=$line KVM_ASSIGN_KILL_WALK_STRIDE=1 KVM_ASSIGN_REAL_KERNEL_TIMEOUT=3000 \
		sh "$TOP_SRCDIR/tests/legacy-kernel.sh" 40-kill-walk.bats | tee "$B/soak-walk-$line.tap" || status=1
	grep -q '^not ok\|^Bail out' "$B/soak-walk-$line.tap" && status=1
done
c=${KVM_ASSIGN_SOAK_CYCLES:-112}
if [ "$c" -gt 0 ]; then
	echo "== $((c * 9)) in-VMM commands in one QEMU on 4.1.15: tests/legacy-kernel.sh 90-soak.bats"
	KVM_ASSIGN_SOAK_CYCLES=$c KVM_ASSIGN_REAL_KERNEL_TIMEOUT=$((c * 30 + 600)) \
		sh "$TOP_SRCDIR/tests/legacy-kernel.sh" 90-soak.bats | tee "$B/soak-cycles.tap" || status=1
	grep -q '^not ok\|^Bail out' "$B/soak-cycles.tap" && status=1
fi
exit $status
