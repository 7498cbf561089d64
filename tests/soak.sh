#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# soak.sh - the full-length kill soaks behind 'make soak' (CI runs short ones
# in tests/42-inject-kill.bats): every system call of a command from its
# very first, then KILL_SOAK_RANDOM (default 10000) kills at random instants,
# each against the stand-in VMM under the simulated kernel. Results land in
# soak-walk/ and soak-random/ of the build tree.
set -u
B=${TOP_BUILDDIR:-.}
export TOP_BUILDDIR=$B TOP_SRCDIR=${TOP_SRCDIR:-.} KVM_ASSIGN=${KVM_ASSIGN:-$B/src/kvm-assign}
status=0
echo "== every system call, from the program's start"
KILL_SOAK_FROM=1 "$B/tests/sim/kvm-sim" -- "$TOP_SRCDIR/tests/helpers/kill-soak.sh" walk "$B/soak-walk" || status=1
echo "== ${KILL_SOAK_RANDOM:-10000} random instants"
"$B/tests/sim/kvm-sim" -- "$TOP_SRCDIR/tests/helpers/kill-soak.sh" random "${KILL_SOAK_RANDOM:-10000}" "$B/soak-random" || status=1
echo "where the random kills landed:"
awk '{ print $2 }' "$B/soak-random/kills" | sort | uniq -c
exit $status
