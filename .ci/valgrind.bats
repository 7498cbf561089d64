#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# .ci/valgrind.bats - valgrind memcheck on every subcommand's main path, no
# error and no definite or indirect leak: the ioctl commands and batch run
# inside a stub VMM under the simulated kernel (--pid, as with QEMU), check
# on a snapshot; detach and reattach are the suite's own valgrind test
# (tests/80-detach.bats), which .ci/valgrind.sh runs beside this file.

load "$TOP_SRCDIR/tests/test_helper"

export VG="valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect --suppressions=$TOP_SRCDIR/tests/valgrind.supp"

@test "valgrind: assign, msix, irq, intx-mask, deassign and batch inside a VMM" {
	printf 'assign 03:00.0\nintx-mask 03:00.0 on\n' > "$BATS_TEST_TMPDIR/steps"
	printf 'deassign 03:00.0\n' > "$BATS_TEST_TMPDIR/steps.down"
	run with_vmm -- --irqchip -- bash -c '
		set -e
		DUMP=$1 STEPS=$2
		ka() { $VG "$KVM_ASSIGN" -A dump -O "dump.name=$DUMP" --pid="$VMM_PID" "$@"; }
		ka assign 03:00.0
		ka msix 03:00.0 --count=2 0:40 1:41
		ka --json irq 03:00.0 --host=msix --guest=msix
		ka intx-mask 03:00.0 on
		ka -v deassign 03:00.0
		ka batch "$STEPS"
		ka batch "$STEPS.down"
		$VG "$KVM_ASSIGN" -A dump -O "dump.name=$DUMP" --dry-run assign 03:00.0' _ "$DUMP" "$BATS_TEST_TMPDIR/steps"
	assert_success
}

@test "valgrind: check on a snapshot with a device, human and --json" {
	ROOT=$BATS_TEST_TMPDIR/root
	sysfs_from_dump "$BATS_TEST_TMPDIR/pci"
	mkdir -p "$ROOT/sys/bus"
	cp -a "$BATS_TEST_TMPDIR/pci" "$ROOT/sys/bus/pci"
	"$FIXTURES/check/mksysroot.sh" "$ROOT" --iommu=on --driver=0000:03:00.0=e1000e
	run $VG "$KVM_ASSIGN" check --sysroot="$ROOT" 03:00.0
	assert_failure 9
	run $VG "$KVM_ASSIGN" --json check "${PCI_DUMP[@]}" 03:00.0
	[ "$status" -ne 99 ]
}
