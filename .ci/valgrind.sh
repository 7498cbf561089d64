#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# .ci/valgrind.sh - valgrind memcheck on every subcommand's main path in the
# configured build of this tree: .ci/valgrind.bats, and the suite's own
# valgrind tests (check, detach and reattach, the hand-off's fds).
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
export KVM_ASSIGN="$top/src/kvm-assign" KVM_SIM="$top/tests/sim/kvm-sim" \
	STUB_VMM="$top/tests/vmm/stub-vmm" KVM_IOCTL="$top/tests/helpers/kvm-ioctl" \
	TOP_SRCDIR="$top" TOP_BUILDDIR="$top" BATS_LIB_PATH="${BATS_LIB_PATH:-/usr/lib/bats}"
bats .ci/valgrind.bats
bats --filter 'valgrind|fd is left open' tests/60-check.bats tests/80-detach.bats tests/30-handoff.bats
