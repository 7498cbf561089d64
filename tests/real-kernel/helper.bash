# SPDX-License-Identifier: GPL-2.0-or-later
# helper.bash - loaded by every test in tests/real-kernel/ (run inside the guest
# booted by tests/real-kernel.sh): assertions, paths, the emulated device.

bats_load_library bats-support
bats_load_library bats-assert

: "${KVM_ASSIGN:?run through tests/real-kernel.sh}"
: "${STUB_VMM:?run through tests/real-kernel.sh}"
# The e1000e the harness placed at 00:03.0: a real (emulated) device with MSI-X.
RK_DEVICE=${RK_DEVICE:-0000:00:03.0}
# A slot nothing occupies on QEMU's pc machine.
RK_ABSENT=0000:00:1f.7

# rk_wait_for PID CMD... - retry CMD until it succeeds; fail once process PID
# has exited or after 30 s (time, not tries: the guest runs under TCG).
rk_wait_for() {
	local pid=$1 end=$((SECONDS + 30))
	shift
	until "$@"; do
		kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.2
	done
}

# rk_need FILE... - fail the test, saying so, when a built program is missing.
rk_need() {
	local f
	for f; do
		[ -x "$f" ] || fail "$f is not built (make check builds it first)"
	done
}

# rk_msix_count ADDR - the MSI-X table size lspci reports for ADDR.
rk_msix_count() {
	lspci -vv -s "$1" 2>/dev/null | sed -n 's/.*MSI-X: Enable[-+] Count=\([0-9]*\).*/\1/p'
}
