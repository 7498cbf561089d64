#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# 66-completion.bats - the bash completion, driven as bash does: COMP_WORDS
# and COMP_CWORD set, _kvm_assign called, COMPREPLY read.

load test_helper

# complete_words WORD...: what bash offers for the end of "kvm-assign WORD...",
# as bash does it: COMP_LINE and COMP_POINT set, COMP_WORDS split as readline
# splits them (at blanks, and at ':' and '=' of COMP_WORDBREAKS, each a word
# of its own), _kvm_assign called.  Each reply is printed as the word on the
# line becomes: readline replaces only the text after the last ':' or '='.
# COMP_MODE=bc: with bash-completion loaded (_init_completion), else without.
complete_words() {
	local line="kvm-assign $*" w=() word= c i
	for ((i = 0; i < ${#line}; i++)); do
		c=${line:i:1}
		case $c in
		' ') [ -z "$word" ] || w+=("$word"); word= ;;
		[:=]) [ -z "$word" ] || w+=("$word"); w+=("$c"); word= ;;
		*) word+=$c ;;
		esac
	done
	[[ $line == *[:=] ]] || w+=("$word")
	local last=${line##* }
	local kept=${last%"${last##*[:=]}"}
	KEPT=$kept bash -c '
		[ "$1" != bc ] || source /usr/share/bash-completion/bash_completion
		source "$2/completion/kvm-assign"
		shift 2
		COMP_LINE=$1 COMP_POINT=${#1}
		shift
		COMP_WORDS=("$@") COMP_CWORD=$(($# - 1))
		_kvm_assign kvm-assign "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
		for r in "${COMPREPLY[@]}"; do printf "%s\n" "$KEPT$r"; done' _ "${COMP_MODE:-plain}" "$TOP_SRCDIR" \
		"$line" "${w[@]}" | sort
}

# modes: each way bash may run the completion (bash-completion if installed)
modes() {
	echo plain
	[ ! -r /usr/share/bash-completion/bash_completion ] || echo bc
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
	for COMP_MODE in $(modes); do
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
	done
}

@test "completion: PCI addresses from /sys/bus/pci/devices, global options and their values skipped" {
	for COMP_MODE in $(modes); do
		run complete_words assign ''
		assert_output "$(printf '%s\n' 0000:03:00.0 0000:03:00.1 0001:00:02.0 03:00.0 03:00.1)"
		run complete_words --socket /run/vm.sock assign 0000:03
		assert_output "$(printf '%s\n' 0000:03:00.0 0000:03:00.1)"
		run complete_words -p 1234 check 03:00.
		assert_output "$(printf '%s\n' 03:00.0 03:00.1)"
		run complete_words intx-mask 03:00.0 o
		assert_output "$(printf '%s\n' off on)"
	done
}

@test "completion: --pid offers the processes holding a kvm-vm fd, and only those" {
	run with_vmm -- -- bash -c '
		source "$1/completion/kvm-assign"
		COMP_LINE="kvm-assign --pid " COMP_POINT=17 COMP_WORDS=(kvm-assign --pid ""); COMP_CWORD=2
		_kvm_assign; printf "%s\n" "${COMPREPLY[@]}" | grep -qx "$VMM_PID" || { echo "no $VMM_PID in: ${COMPREPLY[*]}"; exit 1; }
		printf "%s\n" "${COMPREPLY[@]}" | grep -qx "$$" && { echo "the shell itself offered"; exit 1; }
		# "--pid=": bash makes "=" a word, and readline replaces what follows it
		COMP_LINE="kvm-assign --pid=" COMP_POINT=17 COMP_WORDS=(kvm-assign --pid =); COMP_CWORD=2
		_kvm_assign; printf "%s\n" "${COMPREPLY[@]}" | grep -qx -- "$VMM_PID"' _ "$TOP_SRCDIR"
	assert_success
}

@test "completion: bash-completion loads the installed file by the command's name" {
	[ -r /usr/share/bash-completion/bash_completion ] || skip "bash-completion is not installed"
	run bash -c 'source /usr/share/bash-completion/bash_completion; source "$1"; complete -p kvm-assign' _ "$TOP_SRCDIR/completion/kvm-assign"
	assert_success
	assert_output "complete -F _kvm_assign kvm-assign"
}

@test "completion: an address with colons completes, with and without bash-completion" {
	mkdir "$KVM_ASSIGN_SYSFS/bus/pci/devices/0000:00:03.0"
	for COMP_MODE in $(modes); do
		run complete_words assign 0000:00:0
		assert_output 0000:00:03.0
		run complete_words detach --group 00:03.
		assert_output 00:03.0
		run complete_words check 0000:
		assert_output "$(printf '%s\n' 0000:00:03.0 0000:03:00.0 0000:03:00.1)"
		run complete_words -O dump.name=x intx-mask 0001:00:02
		assert_output 0001:00:02.0
	done
}

@test "completion: names read from sysfs and /proc are never expanded, nor offered" {
	local d=$KVM_ASSIGN_SYSFS/bus/pci/devices
	mkdir "$d/\$(touch PWNED)" "$d/0000:03:00.2\$(touch PWNED2)" "$d/\`touch PWNED3\`"
	KVM_ASSIGN_PROC=$BATS_TEST_TMPDIR/proc
	export KVM_ASSIGN_PROC
	for p in 42 '4$(touch PWNED4)' '5`touch PWNED5`'; do
		mkdir -p "$KVM_ASSIGN_PROC/$p/fd"
		ln -s anon_inode:kvm-vm "$KVM_ASSIGN_PROC/$p/fd/3"
	done
	cd "$BATS_TEST_TMPDIR"
	for COMP_MODE in $(modes); do
		run complete_words assign ''
		! ls "$BATS_TEST_TMPDIR"/PWNED* 2>/dev/null || fail "completing ran a name's command ($COMP_MODE)"
		assert_output "$(printf '%s\n' 0000:03:00.0 0000:03:00.1 0001:00:02.0 03:00.0 03:00.1)"
		run complete_words intx-mask 03:00.0 ''
		assert_output "$(printf '%s\n' 0000:03:00.0 0000:03:00.1 0001:00:02.0 03:00.0 03:00.1 off on)"
		run complete_words --pid ''
		assert_output 42
		run complete_words --pid=
		assert_output --pid=42
	done
	! ls "$BATS_TEST_TMPDIR"/PWNED* 2>/dev/null || fail "completing ran a name's command"
}
