#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# 00-build.bats - the build and the project's own promises: --help, --version,
# the man page and README agreeing with the binary, CI running the README's command.

load test_helper

@test "--help prints usage to stdout and exits 0" {
	run "$KVM_ASSIGN" --help
	assert_success
	assert_line --index 0 "Usage:"
	assert_output --partial "Run 'kvm-assign <command> --help'"
	for cmd in assign deassign irq msix intx-mask check detach reattach; do
		assert_output --regexp " $cmd +[a-z]"
	done
}

@test "-h is --help" {
	run "$KVM_ASSIGN" -h
	assert_success
	assert_line --index 0 "Usage:"
}

@test "every command has its own --help, on stdout, exit 0" {
	for cmd in assign deassign irq msix intx-mask check detach reattach status; do
		run "$KVM_ASSIGN" "$cmd" --help
		assert_success
		assert_line --index 1 --partial "kvm-assign [options] $cmd"
	done
}

@test "--help lines fit in 80 columns" {
	for cmd in "" assign deassign irq msix intx-mask check detach reattach status; do
		run "$KVM_ASSIGN" $cmd --help
		while IFS= read -r line; do
			[ "${#line}" -le 80 ] || fail "too long ($cmd): $line"
		done <<<"$output"
	done
}

@test "--version names the package, and the libpci and popt it was built with" {
	run "$KVM_ASSIGN" --version
	assert_success
	assert_line --index 0 --regexp '^kvm-assign from kvm-assign [0-9]+\.[0-9]+\.[0-9]+$'
	assert_line --index 1 "built with libpci $(pkg-config --modversion libpci), popt $(pkg-config --modversion popt)"
	[ "${#lines[@]}" -eq 2 ]
}

@test "the man page documents every command, every global option and every exit code" {
	man="$TOP_SRCDIR/man/kvm-assign.8"
	for word in assign deassign irq msix intx\\-mask check detach reattach '\-\-driver' '\-\-group' '\-\-force' \
		'\-\-socket' '\-\-fd' '\-\-pid' '\-\-vm\-fd' '\-\-via' '\-\-timeout' '\-\-dry\-run' '\-\-json' '\-\-verbose' \
		'\-\-quiet' '\-\-pci\-access' '\-\-id' '\-\-share\-intx' '\-\-mask\-intx' \
		'\-\-host' '\-\-guest' '\-\-guest\-irq' '\-\-remove' '\-\-count'; do
		grep -qF -- "$word" "$man" || fail "man page lacks $word"
	done
	for code in 0 1 2 3 4 5 6 7 8 9 10; do
		grep -qx "\.B $code" "$man" || fail "man page EXIT STATUS lacks $code"
	done
}

@test "the exit codes in the man page are the ones in src/exitcodes.h" {
	run sed -n 's/^#define KA_EXIT_[A-Z_]* *\([0-9]*\).*/\1/p' "$TOP_SRCDIR/src/exitcodes.h"
	assert_success
	codes=$(echo $output)
	assert_equal "$codes" "0 1 2 3 4 5 6 7 8 9 10"
}

@test "README, --help and the man page list the same exit statuses" {
	run "$KVM_ASSIGN" --help
	assert_success
	help=$(sed -n '/^Exit status:$/,/^$/p' <<<"$output" | grep -E '^ ?[0-9]+  ' | sed 's/^ *//')
	readme=$(sed -n '/^Exit status/,/^Layout/p' "$TOP_SRCDIR/README" | grep -E '^ +[0-9]+  ' | sed 's/^ *//')
	[ -n "$help" ] || fail "--help lists no exit status"
	assert_equal "$readme" "$help"
	man=$(sed -n '/^\.SH EXIT STATUS/,/^\.SH /p' "$TOP_SRCDIR/man/kvm-assign.8" | sed -n 's/^\.B \([0-9]*\)$/\1/p' | xargs)
	assert_equal "$man" "$(awk '{print $1}' <<<"$help" | xargs)"
}

@test ".ci/run runs the README's test command verbatim" {
	cmd=$(grep -E '^    apt-get install .* make check( -j[0-9]+)?$' "$TOP_SRCDIR/README" | sed 's/^    //')
	[ -n "$cmd" ] || fail "README has no test command"
	grep -qxF "$cmd || status=\$?" "$TOP_SRCDIR/.ci/run" || fail ".ci/run does not run: $cmd"
}

@test "the ABI header is the project's own: <linux/kvm.h> is never included" {
	run grep -rlE '#[[:space:]]*include[[:space:]]*<linux/kvm\.h>' "$TOP_SRCDIR/src"
	assert_failure
}

@test "no command and an unknown command are usage errors (exit 2)" {
	run "$KVM_ASSIGN"
	assert_failure 2
	assert_output --partial "kvm-assign: no command given"
	assert_output --partial "Try 'kvm-assign --help' for more information."
	run "$KVM_ASSIGN" frobnicate
	assert_failure 2
	assert_output --partial "kvm-assign: unknown command 'frobnicate'"
}
