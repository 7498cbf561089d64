#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# 10-vmfd.bats - kvm-assign against the real KVM: its own probe, VM fds handed
# over by a VMM (KVM lets only their creator use them), and running inside it
# (tests/real-kernel/40-qemu-pid.bats does the same inside a real QEMU).

load helper

setup() {
	rk_need "$KVM_ASSIGN" "$STUB_VMM"
}

teardown() {
	[ -z "${VMM_PID:-}" ] || kill "$VMM_PID" 2>/dev/null || true
}

# start_vmm [ARGS] - stub-vmm serving a real VM on $SOCK; sets VMM_PID.
start_vmm() {
	SOCK=$BATS_TEST_TMPDIR/vmm.sock
	"$STUB_VMM" --socket="$SOCK" "$@" >"$BATS_TEST_TMPDIR/vmm.out" 2>&1 &
	VMM_PID=$!
	rk_wait_for "$VMM_PID" grep -q "^ready $VMM_PID" "$BATS_TEST_TMPDIR/vmm.out" || {
		cat "$BATS_TEST_TMPDIR/vmm.out"
		return 1
	}
}

# rec N FILTER - jq FILTER on the Nth (from 0) JSON object of $output
rec() { jq -rs --argjson n "$1" ".[\$n] | $2" <<<"$output"; }

@test "check: the probe meets ENOTTY, the capabilities are 0 (exit 3)" {
	run "$KVM_ASSIGN" check
	assert_equal "$status" 3
	assert_output --regexp 'legacy_ioctls +KVM_DEASSIGN_PCI_DEVICE got ENOTTY'
	run --separate-stderr "$KVM_ASSIGN" --json check
	assert_equal "$status" 3
	local json=$output
	run jq -r '[.legacy_assignment, .probe.step, .probe.errno] | @tsv' <<<"$json"
	assert_output "$(printf 'kernel lacks support\tKVM_DEASSIGN_PCI_DEVICE\tENOTTY')"
	# docs/kernel.md §5: IOMMU 18, ASSIGN_DEV_IRQ 29, PCI_2_3 75 answer 0
	run jq -r '[.items[] | select(.name | startswith("cap_")) | "\(.name)=\(.value)"] | join(" ")' \
		<<<"$json"
	assert_output 'cap_iommu=0 cap_assign_dev_irq=0 cap_pci_2_3=0 cap_pci_segment=1'
}

@test "--fd: an inherited VM fd answers EIO (creator-only), the probe ENOTTY" {
	run --separate-stderr "$STUB_VMM" --exec-fd=5 -- \
		"$KVM_ASSIGN" --fd=5 --json assign "$RK_DEVICE"
	assert_equal "$status" 3
	assert_equal "$(rec 0 '[.ioctl, .ran_in, .errno, .creator_check] | @tsv')" \
		"$(printf 'KVM_ASSIGN_PCI_DEVICE\tself\tEIO\tEIO')"
	assert_equal "$(rec 0 '[.probe.result, .probe.errno] | @tsv')" \
		"$(printf 'unsupported\tENOTTY')"
	[[ $stderr == *'kernel lacks support'* ]]
}

@test "--socket: EIO here, then ENOTTY inside the VMM that created the VM" {
	start_vmm
	run --separate-stderr "$KVM_ASSIGN" --socket="$SOCK" --json assign "$RK_DEVICE"
	assert_equal "$status" 3
	assert_equal "$(rec 0 '[.ran_in, .errno, .creator_check] | @tsv')" \
		"$(printf 'self\tEIO\tEIO')"
	assert_equal "$(rec 1 '[.ran_in, .errno, .exit_code] | @tsv')" \
		"$(printf '%s\tENOTTY\t3' "$VMM_PID")"
	[[ $stderr == *'kernel lacks support'* ]]
	kill -0 "$VMM_PID"
}

@test "--socket --via=self: only EIO here, and the probe says unsupported" {
	start_vmm
	run --separate-stderr "$KVM_ASSIGN" --socket="$SOCK" --via=self --json assign "$RK_DEVICE"
	assert_equal "$status" 3
	assert_equal "$(rec 0 '[.ran_in, .errno, .probe.errno] | @tsv')" \
		"$(printf 'self\tEIO\tENOTTY')"
}

@test "--socket: a real /dev/kvm fd is refused, naming it (exit 6)" {
	start_vmm --send=sysfd
	run "$KVM_ASSIGN" --socket="$SOCK" assign "$RK_DEVICE"
	assert_equal "$status" 6
	assert_output --partial 'not a KVM VM fd (it is /dev/kvm)'
}

@test "--socket: a real vcpu fd is refused, naming it (exit 6)" {
	start_vmm --send=vcpu
	run "$KVM_ASSIGN" --socket="$SOCK" assign "$RK_DEVICE"
	assert_equal "$status" 6
	assert_output --partial 'not a KVM VM fd (it is anon_inode:kvm-vcpu:0)'
}
