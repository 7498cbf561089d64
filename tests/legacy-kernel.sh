#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# legacy-kernel.sh - the real-kernel harness on a Linux with legacy device
# assignment (tests/kernels/), q35 with an Intel IOMMU and interrupt
# remapping: every ioctl really works or fails there; runs
# tests/legacy-kernel/*.bats.
#
# KVM_ASSIGN_RK_LINE picks the kernel line (real-kernel.sh): 4.1 (default)
# runs the whole suite; 3.10 and 4.9 (tests/legacy-kernel-3.10.sh, -4.9.sh)
# run the focused suite below, unless files are named. The focused suite is
# the one list of what runs on the other lines: every subcommand through the
# stub VMM (--socket, --fd, --pid) and a real QEMU by --pid, effects seen
# from outside (00-infra, 10-assign); check's verdicts (30-check); detach and
# reattach round trips (60-detach); the 36 scenarios (70-scenarios); the
# kill walk at every 8th step, nothing harmed (40-kill-walk). Left to
# the 4.1 line: the errno catalogue (20-errno, also covered by the
# scenarios), batch (80-batch) and the short soak (90-soak).
FOCUSED="00-infra.bats 10-assign.bats 30-check.bats 40-kill-walk.bats 60-detach.bats 70-scenarios.bats"
KVM_ASSIGN_RK_KERNEL=legacy KVM_ASSIGN_RK_MACHINE=legacy
: "${KVM_ASSIGN_RK_LINE:=4.1}"
if [ "$KVM_ASSIGN_RK_LINE" != 4.1 ] && [ $# = 0 ] && [ -z "${KVM_ASSIGN_RK_SUITE:-}" ]; then
	# shellcheck disable=SC2086
	set -- $FOCUSED
fi
# Guest budgets, in seconds of wall time: they catch a guest that hangs, so
# they hold far beyond make check -j2's load (two QEMU suites on two cores).
# On a machine loaded to a load average of 20 (2026-12-06) the whole suite
# took about 1800 s (60 tests in 1080 s, the other 16 in 740 s), the focused
# one 400 s with 15 of its tests failing early; idle, each takes about its
# CPU time: about 6 and 4 minutes.
if [ "$KVM_ASSIGN_RK_LINE" = 4.1 ] && [ $# = 0 ]; then
	: "${KVM_ASSIGN_REAL_KERNEL_TIMEOUT:=2400}"
else
	: "${KVM_ASSIGN_REAL_KERNEL_TIMEOUT:=1500}"
fi
export KVM_ASSIGN_RK_KERNEL KVM_ASSIGN_RK_MACHINE KVM_ASSIGN_RK_LINE KVM_ASSIGN_REAL_KERNEL_TIMEOUT
exec sh "$(dirname "$0")/real-kernel.sh" "$@"
