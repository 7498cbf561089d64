# SPDX-License-Identifier: GPL-2.0-or-later
# scenario.bash - loaded by tests/70-scenarios.bats (simulated kernel) and
# tests/legacy-kernel/70-scenarios.bats (real 4.1.15): runs one scenario file
# with tests/helpers/scenario-run and compares its per-step output with the
# results the file expects.

: "${TOP_SRCDIR:?run through make check or tests/legacy-kernel.sh}"
: "${TOP_BUILDDIR:?run through make check or tests/legacy-kernel.sh}"
SCENARIO_DIR=$TOP_SRCDIR/tests/scenarios
SCENARIO_RUN=$TOP_BUILDDIR/tests/helpers/scenario-run

# The machine the scenarios are written for, as kvm-sim models it; the real
# one is the legacy harness's q35 guest: the e1000e (MSI-X table of 5, INTx
# not shared) at 00:03.0, a PCIe root port at 00:04.0, the host bridge
# (no BARs) at 00:00.0; nothing else the scenarios name exists.
SCENARIO_SIM_MACHINE=(
	--device=0000:00:03.0,msix=5
	--device=0000:00:04.0,bridge
	--device=0000:00:00.0,no-bars
)

# scenario NAME [WRAPPER...] - run tests/scenarios/NAME.scn (under WRAPPER,
# e.g. kvm-sim and its options); fail with a diff of expected and actual.
scenario() {
	local name=$1 file expected
	shift
	file=$SCENARIO_DIR/$name.scn
	[ -x "$SCENARIO_RUN" ] || { echo "$SCENARIO_RUN missing: build it with make check" >&2; return 1; }
	expected=$("$SCENARIO_RUN" --list "$file") || { echo "scenario-run refused $file" >&2; return 1; }
	run --separate-stderr "$@" "$SCENARIO_RUN" "$file"
	if [ "$status" -ne 0 ] || [ "$output" != "$expected" ]; then
		echo "scenario $name: exit $status; expected (-) and actual (+):" >&2
		diff -U 100 <(printf '%s\n' "$expected") <(printf '%s\n' "$output") | tail -n +3 >&2
		[ -z "$stderr" ] || printf '%s\n' "$stderr" >&2
		return 1
	fi
}

# Every scenario file must be run by the test file that calls this.
scenario_all_listed() {
	local have want missing
	have=$(sed -n 's/^	scenario \([0-9A-Za-z_-]*\).*/\1/p' "$BATS_TEST_FILENAME" | sort -u)
	want=$(cd "$SCENARIO_DIR" && ls -- *.scn | sed 's/\.scn$//' | sort)
	missing=$(comm -13 <(printf '%s\n' "$have") <(printf '%s\n' "$want"))
	if [ -n "$missing" ]; then
		echo "scenarios without a test in ${BATS_TEST_FILENAME##*/}:" $missing >&2
		return 1
	fi
}
