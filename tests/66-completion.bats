#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# 66-completion.bats - the bash completion, driven as bash does: COMP_WORDS
# and COMP_CWORD set, _kvm_assign called, COMPREPLY read.

load test_helper

# complete WORD...: the completions for the last WORD of "kvm-assign WORD..."
complete_words() {
	COMP_WORDS=(kvm-assign "$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE="${COMP_WORDS[*]}"
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	_kvm_assign kvm-assign "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
	printf '%s\n' "${COMPREPLY[@]}" | sort
}

setup() {
	# shellcheck source=/dev/null
	source "$TOP_SRCDIR/completion/kvm-assign"
	KVM_ASSIGN_SYSFS=$BATS_TEST_TMPDIR/sys
	mkdir -p "$KVM_ASSIGN_SYSFS/bus/pci/devices/0000:03:00.0" "$KVM_ASSIGN_SYSFS/bus/pci/devices/0000:03:00.1" \
		"$KVM_ASSIGN_SYSFS/bus/pci/devices/0001:00:02.0"
	export KVM_ASSIGN_SYSFS
}

@test "completion: the commands, then a command's options" {
	run complete_words ''
	assert_output "$(printf '%s\n' assign batch check deassign detach intx-mask irq msix reattach status)"
	run complete_words de
	assert_output "$(printf '%s\n' deassign detach)"
	run complete_words assign --
	assert_line --share-intx
	assert_line --mask-intx
	assert_line --socket
	run complete_words check --s
	assert_output "$(printf '%s\n' --socket --sysroot)"
	run complete_words --via=s
	assert_output "--via=self"
	run complete_words detach --driver ''
	assert_output "$(printf '%s\n' auto pci-stub vfio-pci)"
	run complete_words irq --host=m
	assert_output "$(printf '%s\n' --host=msi --host=msix)"
}

@test "completion: PCI addresses from /sys/bus/pci/devices, global options and their values skipped" {
	run complete_words assign ''
	assert_output "$(printf '%s\n' 0000:03:00.0 0000:03:00.1 0001:00:02.0 03:00.0 03:00.1)"
	run complete_words --socket /run/vm.sock assign 0000:03
	assert_output "$(printf '%s\n' 0000:03:00.0 0000:03:00.1)"
	run complete_words -p 1234 check 03:00.
	assert_output "$(printf '%s\n' 03:00.0 03:00.1)"
	run complete_words intx-mask 03:00.0 o
	assert_output "$(printf '%s\n' off on)"
}

@test "completion: --pid offers the processes holding a kvm-vm fd, and only those" {
	run with_vmm -- -- bash -c '
		source "$1/completion/kvm-assign"
		COMP_WORDS=(kvm-assign --pid ""); COMP_CWORD=2
		_kvm_assign; printf "%s\n" "${COMPREPLY[@]}" | grep -qx "$VMM_PID" || { echo "no $VMM_PID in: ${COMPREPLY[*]}"; exit 1; }
		printf "%s\n" "${COMPREPLY[@]}" | grep -qx "$$" && { echo "the shell itself offered"; exit 1; }
		COMP_WORDS=(kvm-assign --pid=""); COMP_CWORD=1
		_kvm_assign; printf "%s\n" "${COMPREPLY[@]}" | grep -qx -- "--pid=$VMM_PID"' _ "$TOP_SRCDIR"
	assert_success
}

@test "completion: bash-completion loads the installed file by the command's name" {
	[ -r /usr/share/bash-completion/bash_completion ] || skip "bash-completion is not installed"
	run bash -c 'source /usr/share/bash-completion/bash_completion; source "$1"; complete -p kvm-assign' _ "$TOP_SRCDIR/completion/kvm-assign"
	assert_success
	assert_output "complete -F _kvm_assign kvm-assign"
}
