#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# 70-scenarios.bats - every scenario in tests/scenarios/ under the simulated
# kernel: kvm-sim must answer each step as the real legacy kernel does (the
# same files run on Linux 4.1.15 in tests/legacy-kernel/70-scenarios.bats).

load test_helper
load scenarios/scenario
bats_require_minimum_version 1.5.0

# sim_machine [--kvm-sim-option...] COMMAND...
sim_machine() {
	local opts=()
	while [[ ${1:-} == --* ]]; do opts+=("$1"); shift; done
	"$KVM_SIM" --log="$BATS_TEST_TMPDIR/kernel.log" "${SCENARIO_SIM_MACHINE[@]}" "${opts[@]}" -- "$@"
}

@test "every scenario file has its test here" {
	scenario_all_listed
}

@test "scenario-run refuses SET_MSIX_ENTRY after SET_MSIX_NR above 256 (it oopses the real kernel)" {
	f=$BATS_TEST_TMPDIR/oops.scn
	printf '%s\n' 'KVM_CREATE_VM A => 0' \
		'KVM_ASSIGN_PCI_DEVICE A id=1 addr=0000:00:03.0 flags=ENABLE_IOMMU => 0' \
		'KVM_ASSIGN_SET_MSIX_NR A id=1 entry_nr=257 => EINVAL' \
		'KVM_ASSIGN_SET_MSIX_ENTRY A id=1 entry=0 gsi=24 => EFAULT' >"$f"
	run sim_machine "$SCENARIO_RUN" "$f"
	assert_equal "$status" 2
	assert_output --partial 'refused'
	refute_output --partial '=>'
	[ ! -s "$BATS_TEST_TMPDIR/kernel.log" ] || ! grep -q 'KVM_ASSIGN' "$BATS_TEST_TMPDIR/kernel.log"
	# 0x10101 would be 257 once truncated to the u16 field: refused as a number.
	sed -i 's/entry_nr=257/entry_nr=0x10101/' "$f"
	run "$SCENARIO_RUN" --list "$f"
	assert_equal "$status" 2
}

@test "scenario-run reports a mismatch: exit 1, the actual result on stdout" {
	f=$BATS_TEST_TMPDIR/wrong.scn
	printf '%s\n' 'KVM_CREATE_VM A => 0' 'KVM_DEASSIGN_PCI_DEVICE A id=5 => 0' >"$f"
	run --separate-stderr sim_machine "$SCENARIO_RUN" "$f"
	assert_equal "$status" 1
	assert_output "$(printf '%s\n' 'KVM_CREATE_VM A => 0' 'KVM_DEASSIGN_PCI_DEVICE A id=5 => EINVAL')"
	[[ $stderr == *"MISMATCH"*"expected 0"* ]]
}

@test "01-assign-deassign" {
	scenario 01-assign-deassign sim_machine
}

@test "02-eexist-by-id" {
	scenario 02-eexist-by-id sim_machine
}

@test "03-ebusy-second-id" {
	scenario 03-ebusy-second-id sim_machine
}

@test "04-ebusy-second-vm" {
	scenario 04-ebusy-second-vm sim_machine
}

@test "05-ebusy-close-releases" {
	scenario 05-ebusy-close-releases sim_machine
}

@test "06-eperm-bridge" {
	scenario 06-eperm-bridge sim_machine
}

@test "07-eperm-no-bars" {
	scenario 07-eperm-no-bars sim_machine
}

@test "08-einval-no-iommu-flag" {
	scenario 08-einval-no-iommu-flag sim_machine
}

@test "09-einval-no-device" {
	scenario 09-einval-no-device sim_machine
}

@test "10-deassign" {
	scenario 10-deassign sim_machine
}

@test "11-irq-no-irqchip" {
	scenario 11-irq-no-irqchip sim_machine
}

@test "12-irq-unknown-id" {
	scenario 12-irq-unknown-id sim_machine
}

@test "13-irq-bad-flags" {
	scenario 13-irq-bad-flags sim_machine
}

@test "14-intx-without-pci23" {
	scenario 14-intx-without-pci23 sim_machine
}

@test "15-intx-with-pci23" {
	scenario 15-intx-with-pci23 sim_machine
}

@test "16-eexist-halves" {
	scenario 16-eexist-halves sim_machine
}

@test "17-no-rollback" {
	scenario 17-no-rollback sim_machine
}

@test "18-msi" {
	scenario 18-msi sim_machine
}

@test "19-msix" {
	scenario 19-msix sim_machine
}

@test "20-msix-before-count" {
	scenario 20-msix-before-count sim_machine
}

@test "21-msix-nr-twice" {
	scenario 21-msix-nr-twice sim_machine
}

@test "22-msix-reset-on-host-removal" {
	scenario 22-msix-reset-on-host-removal sim_machine
}

@test "23-msix-count-above-table" {
	scenario 23-msix-count-above-table sim_machine
}

@test "24-msix-count-zero" {
	scenario 24-msix-count-zero sim_machine
}

@test "25-msix-count-257" {
	scenario 25-msix-count-257 sim_machine
}

@test "26-msix-entry-before-count" {
	scenario 26-msix-entry-before-count sim_machine
}

@test "27-msix-entry-gsi0-lost" {
	scenario 27-msix-entry-gsi0-lost sim_machine
}

@test "28-msix-entry-same-entry" {
	scenario 28-msix-entry-same-entry sim_machine
}

@test "29-msix-entry-beyond-table" {
	scenario 29-msix-entry-beyond-table sim_machine
}

@test "30-msix-unset-slots" {
	scenario 30-msix-unset-slots sim_machine
}

@test "31-deassign-irq" {
	scenario 31-deassign-irq sim_machine
}

@test "32-intx-mask" {
	scenario 32-intx-mask sim_machine
}

@test "33-efault" {
	scenario 33-efault sim_machine
}

@test "34-ids-per-vm" {
	scenario 34-ids-per-vm sim_machine
}

@test "35-deassign-frees-state" {
	scenario 35-deassign-frees-state sim_machine
}

@test "36-close-with-irqs" {
	scenario 36-close-with-irqs sim_machine
}


# The kernel lines' differences (docs/kernel.md): every scenario with a
# LINE:RESULT expectation runs again under kvm-sim --kernel=LINE, expecting
# that line's results, as tests/legacy-kernel/70-scenarios.bats does on it.
@test "the kernel lines' twins: LINE:RESULT scenarios under kvm-sim --kernel=LINE" {
	local f line n=0
	for f in "$SCENARIO_DIR"/*.scn; do
		for line in $(grep -v '^#' "$f" | grep -o ' [0-9]*\.[0-9]*:' | tr -d ' :' | sort -u); do
			SCENARIO_KERNEL=$line scenario "$(basename "$f" .scn)" sim_machine --kernel="$line"
			n=$((n + 1))
		done
	done
	[ "$n" -ge 1 ] || fail "no scenario names a kernel line"
}

@test "a LINE:RESULT expectation is used: 3.10's under the 4.x simulation is a mismatch" {
	SCENARIO_KERNEL=3.10 run --separate-stderr sim_machine "$SCENARIO_RUN" "$SCENARIO_DIR/23-msix-count-above-table.scn"
	assert_equal "$status" 1
	assert_line 'KVM_ASSIGN_DEV_IRQ A id=0x18 flags=HOST_MSIX|GUEST_MSIX => ENOSPC'
	SCENARIO_KERNEL=3.10 run "$SCENARIO_RUN" --list "$SCENARIO_DIR/23-msix-count-above-table.scn"
	assert_line 'KVM_ASSIGN_DEV_IRQ A id=0x18 flags=HOST_MSIX|GUEST_MSIX => 5'
}
