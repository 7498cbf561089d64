#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# 90-batch.bats - kvm-assign batch: a whole setup from a file, checked before
# anything runs, run in one stop of the VMM, and undone when a step fails
# (the kernel state after equals the state before), or a signal comes.

load test_helper

# The realistic setup: assign, a 256-entry MSI-X table from --table=FILE,
# host and guest MSI-X, INTx masked.  Written to $B/setup.batch.
setup_batch() {
	B=$BATCH_TMPDIR
	for i in $(seq 0 255); do echo "$i $((i + 100))"; done >"$B/table"
	cat >"$B/setup.batch" <<-EOT
	# a NIC for the guest
	assign 03:00.0 --share-intx

	msix --id=0x300 --table=$B/table   # all 256 entries
	irq 03:00.0 --host=msix --guest=msix
	intx-mask 03:00.0 on
	EOT
}

setup() {
	BATCH_TMPDIR=$BATS_TEST_TMPDIR
	setup_batch
}

# in_vmm_batch [kvm-sim options] -- BEFORE-SHELL BATCH-ARGS...: under the
# simulated kernel and a stub VMM (irqchip), run the shell BEFORE (ka is
# kvm-assign aimed at the VMM), keep the state, then ka batch BATCH-ARGS;
# leaves $B/{before,after,out,err,rc}.
in_vmm_batch() {
	local simopts=()
	while [ "$1" != -- ]; do simopts+=("$1"); shift; done
	shift
	run sim "${simopts[@]}" -- "$TOP_SRCDIR/tests/helpers/with-vmm.sh" --irqchip -- bash -c '
		B=$1 DUMP=$2 BEFORE=$3
		shift 3
		# 260 ioctls through the simulated kernel: slow on a loaded machine.
		ka() { "$KVM_ASSIGN" -A dump -O "dump.name=$DUMP" --timeout=60 --pid="$VMM_PID" "$@"; }
		eval "$BEFORE" || { echo "before failed: $BEFORE" >&2; exit 99; }
		grep -v "^vm " "$B/kernel.state" >"$B/before" 2>/dev/null || : >"$B/before"
		ka batch "$@" >"$B/out" 2>"$B/err"
		echo $? >"$B/rc"
		grep -v "^vm " "$B/kernel.state" >"$B/after" 2>/dev/null || : >"$B/after"' _ "$B" "$DUMP" "$@"
	assert_success
	assert_output ""
}

@test "a whole setup runs, in one stop of the VMM, and its reverse takes it all away" {
	in_vmm_batch -- : "$B/setup.batch"
	assert_equal "$(cat "$B/rc")" 0
	assert_equal "$(cat "$B/err")" ""
	run grep -c '^msix vm=vm1 id=0x300 ' "$B/after"
	assert_output 256
	run grep '^dev ' "$B/after"
	assert_output "dev vm=vm1 id=0x300 addr=0000:03:00.0 flags=0x7 intx_mask=1 irq=0x404 guest_irq=0 msix_nr=256"
	# Every ioctl ran in the VMM, in one stop: one creator check from it.
	vmm=$(grep -m1 'ioctl=KVM_CREATE_VM' "$(klog)" | sed -E 's/.* pid=([0-9]+) .*/\1/')
	run grep -c "op=ioctl.* pid=$vmm .*ioctl=KVM_CHECK_EXTENSION" "$(klog)"
	assert_output 1
	run kernel_saw "$vmm"
	assert_equal "${#lines[@]}" $((1 + 257 + 2 + 1))
	# Each line says what it did.
	run cat "$B/out"
	assert_line --index 0 "$B/setup.batch:2: assign 0000:03:00.0: done"
	assert_line --index 3 "$B/setup.batch:6: intx-mask 0000:03:00.0: done"
	# The reverse, a teardown batch of its own.
	printf 'intx-mask 03:00.0 off\nirq --remove 03:00.0 --host=msix --guest=msix\ndeassign 03:00.0\n' >"$B/down.batch"
	in_vmm_batch -- 'ka batch "$B/setup.batch" >/dev/null' "$B/down.batch"
	assert_equal "$(cat "$B/rc")" 0
	assert_equal "$(cat "$B/after")" ""
}

# matrix_row K IOCTL ERRNO: the setup batch with every IOCTL failing with
# ERRNO (injected), another device assigned before.  IOCTL "-": a real
# EBUSY instead, the device already held under another id.
matrix_row() {
	if [ "$2" = - ]; then
		in_vmm_batch -- 'ka assign 03:00.0 --id=7 >/dev/null' "$B/setup.batch"
	else
		in_vmm_batch "--fail=$2:$3" -- 'ka assign 0001:02:00.0 >/dev/null' "$B/setup.batch"
	fi
}

@test "failure at every step: rolled back, the kernel state after is the state before" {
	echo "# rollback matrix: step k fails -> exit, state after == before, steps undone" >&3
	for row in "1 - EBUSY 1 0" "2 KVM_ASSIGN_SET_MSIX_NR EINVAL 1 1" \
		   "2 KVM_ASSIGN_SET_MSIX_ENTRY ENOSPC 1 1" "3 KVM_ASSIGN_DEV_IRQ ENOMEM 1 1" \
		   "4 KVM_ASSIGN_SET_INTX_MASK EACCES 4 2"; do
		set -- $row
		matrix_row "$1" "$2" "$3"
		assert_equal "$(cat "$B/rc")" "$4"
		assert_equal "$(cat "$B/after")" "$(cat "$B/before")"
		grep -q "kvm-assign: batch $B/setup.batch:[0-9]*: .*: ${2/-/KVM_ASSIGN_PCI_DEVICE} failed with $3 in the VMM" "$B/err" ||
			fail "step $1 ($2): no explanation: $(cat "$B/err")"
		undone=$(grep -c ': undone$' "$B/out" || true)
		assert_equal "$undone" "$5"
		echo "# k=$1 ${2/-/KVM_ASSIGN_PCI_DEVICE (real, held under id 7)}=$3: exit $4, state == before: yes, undone: $undone, $(grep -c ': kept' "$B/out" || true) kept (msix: goes with deassign)" >&3
	done
}

@test "the failed guest half of an irq: the host half it left is removed too" {
	# The guest half already set before the batch: the batch's guest half is
	# EEXIST after its host half went in; the kernel keeps that host half.
	printf 'irq 0001:02:00.0 --host=intx --guest=intx --guest-irq=10\n' >"$B/irq.batch"
	in_vmm_batch -- 'ka assign 0001:02:00.0 --share-intx && ka irq 0001:02:00.0 --guest=msi --guest-irq=9' "$B/irq.batch"
	assert_equal "$(cat "$B/rc")" 1
	assert_equal "$(cat "$B/after")" "$(cat "$B/before")"
	run kernel_saw
	assert_line --index 2 "KVM_ASSIGN_DEV_IRQ 00020100000000000000000001000000$(zeros 48) 0"
	assert_line --index 3 "KVM_ASSIGN_DEV_IRQ 00020100000000000a00000000010000$(zeros 48) EEXIST"
	assert_line --index 4 "KVM_DEASSIGN_DEV_IRQ 00020100000000000000000001000000$(zeros 48) 0"
	echo "# irq with the guest half already set: EEXIST on the guest half, host half removed, state == before" >&3
}

@test "--no-rollback: the state after a failure at step k is exactly steps 1..k-1" {
	for row in "2 KVM_ASSIGN_SET_MSIX_NR" "3 KVM_ASSIGN_DEV_IRQ" "4 KVM_ASSIGN_SET_INTX_MASK"; do
		set -- $row
		head -n $(( $1 == 2 ? 2 : $1 == 3 ? 4 : 5 )) "$B/setup.batch" >"$B/prefix.batch"
		in_vmm_batch -- : "$B/prefix.batch"
		cp "$B/after" "$B/expected"
		in_vmm_batch "--fail=$2:EINVAL" -- : --no-rollback "$B/setup.batch"
		[ "$(cat "$B/rc")" = 1 ] || fail "exit $(cat "$B/rc"): $(cat "$B/err")"
		assert_equal "$(cat "$B/after")" "$(cat "$B/expected")"
		echo "# --no-rollback k=$1: state == steps 1..$(( $1 - 1 )): yes" >&3
	done
}

@test "an undo the kernel refuses: loud, what is left, the command to clean it, exit 10" {
	in_vmm_batch --fail=KVM_ASSIGN_SET_INTX_MASK:EINVAL --fail=KVM_DEASSIGN_PCI_DEVICE:EIO -- : "$B/setup.batch"
	assert_equal "$(cat "$B/rc")" 10
	run cat "$B/err"
	assert_line --partial "ROLLBACK INCOMPLETE: 1 step could not be undone"
	assert_line --regexp "setup.batch:2: left: assign 0000:03:00.0 \(KVM_DEASSIGN_PCI_DEVICE EIO\): clean up with: kvm-assign --pid=[0-9]+ deassign --id=0x300$"
	run grep -c '^dev ' "$B/after"
	assert_output 1
	echo "# undo refused (DEASSIGN EIO): exit 10, the device left and named" >&3
}

@test "--json: one object per step and a summary with the exit code" {
	in_vmm_batch --fail=KVM_ASSIGN_DEV_IRQ:ENOMEM -- : --json "$B/setup.batch"
	run jq -r '"\(.line) \(.result)"' < <(head -n 4 "$B/out")
	assert_output "$(printf '2 undone\n4 kept\n5 failed\n6 not-run')"
	run jq -r '"\(.failed_line) \(.rolled_back) \(.undo_failed) \(.exit_code)"' < <(tail -n 1 "$B/out")
	assert_output "5 true 0 1"
}

@test "bad lines of every kind are refused before anything runs, naming file:line:word" {
	for bad in "assing 03:00.0|'assing': batch: 'assing' is not a batch step" \
		   "assign 03:00.0 --bogus|'--bogus': assign: unknown option" \
		   "assign 99:00.0x|'99:00.0x': assign:" \
		   "assign|'assign': assign: no device given" \
		   "msix --id=1 --count=2 0:1|'2': msix: --count=2 but 1" \
		   "msix --id=1 --count=1 0:0|'0:0': msix: '0:0': GSI 0" \
		   "msix --id=1 --table=/nonexistent|'/nonexistent': msix: --table: cannot read" \
		   "irq 03:00.0 --host=msx|'msx': irq: --host: 'msx'" \
		   "irq 03:00.0 --guest=intx|'intx': irq: --guest=intx needs --guest-irq" \
		   "intx-mask 03:00.0 maybe|'maybe': intx-mask:" \
		   "deassign 03:00.0|'deassign': deassign: a batch either sets up" \
		   "assign 03:00.0 --socket=/x|'--socket=/x': assign: unknown option" \
		   "detach 03:00.0 --driver=e1000|'e1000': detach: --driver"; do
		line=${bad%%|*} msg=${bad#*|}
		printf 'assign 03:00.0\n# comment\n\n%s\n' "$line" >"$B/bad.batch"
		in_vmm_batch -- : "$B/bad.batch"
		assert_equal "$(cat "$B/rc")" 2
		grep -qF "kvm-assign: batch: $B/bad.batch:4: $msg" "$B/err" || fail "for '$line': $(cat "$B/err")"
		assert_equal "$(kernel_saw)" ""
		assert_equal "$(cat "$B/out")" ""
	done
	# A bad line in a --table file names that file and its line.
	printf '0 30\n1\n' >"$B/bad.table"
	printf 'msix --id=1 --table=%s\n' "$B/bad.table" >"$B/bad.batch"
	in_vmm_batch -- : "$B/bad.batch"
	assert_equal "$(cat "$B/rc")" 2
	grep -qF "bad.batch:1: '$B/bad.table:2': msix: --table: $B/bad.table:2: give one" "$B/err" || fail "$(cat "$B/err")"
}

@test "--dry-run prints the whole plan with every ioctl's bytes, and runs nothing" {
	run "$KVM_ASSIGN" "${PCI_DUMP[@]}" --dry-run batch "$B/setup.batch"
	assert_success
	assert_line --index 0 "# $B/setup.batch:2: assign 0000:03:00.0"
	assert_line --index 1 "KVM_ASSIGN_PCI_DEVICE 0x8040ae69 assigned_dev_id=0x300 busnr=0x3 devfn=0x0 flags=0x3 segnr=0x0 bytes=00030000030000000000000003000000$(zeros 48)"
	assert_equal "$(grep -c '^KVM_ASSIGN_SET_MSIX_ENTRY' <<<"$output")" 256
	assert_line "KVM_ASSIGN_DEV_IRQ 0x4040ae70 assigned_dev_id=0x300 host_irq=0 guest_irq=0 flags=0x4 bytes=0003000000000000000000000400$(zeros 50)"
	assert_line "KVM_ASSIGN_DEV_IRQ 0x4040ae70 assigned_dev_id=0x300 host_irq=0 guest_irq=0 flags=0x400 bytes=0003000000000000000000000004$(zeros 50)"
	run "$KVM_ASSIGN" "${PCI_DUMP[@]}" --dry-run --json batch "$B/setup.batch"
	assert_success
	assert_equal "$(jq -r .result <<<"$output" | sort -u)" "dry-run"
}

@test "a signal mid-batch stops between steps and rolls back" {
	# 2000 steps in one stop; SIGTERM once the VMM has begun them.  The
	# injection holds the signal to its end; the batch then stops and undoes.
	{ echo "assign 03:00.0"; for i in $(seq 1000); do echo "intx-mask 03:00.0 on"; echo "intx-mask 03:00.0 off"; done; } >"$B/long.batch"
	in_vmm_batch -- '"$KVM_ASSIGN" -A dump -O "dump.name=$DUMP" --timeout=120 --pid=$VMM_PID batch "$B/long.batch" >"$B/out.bg" 2>"$B/err.bg" & bg=$!
		until grep -q "pid=$VMM_PID .*ioctl=KVM_ASSIGN_PCI_DEVICE" "$B/kernel.log"; do sleep 0.005; done
		kill -TERM $bg; wait $bg; echo $? >"$B/rc.bg"' "$B/setup.batch" --dry-run
	[ "$(cat "$B/rc.bg")" = 143 ] || fail "exit $(cat "$B/rc.bg"): $(cat "$B/err.bg")"
	assert_equal "$(grep -c '^dev ' "$B/kernel.state")" 0
	grep -q "stopped by Terminated between steps: the steps done were undone" "$B/err.bg" || fail "$(cat "$B/err.bg")"
	assert_equal "$(grep -c ': undone$' "$B/out.bg")" 2001
	echo "# SIGTERM mid-batch (2001 steps, in the VMM's stop): exit 143, all 2001 undone, state == before" >&3
}

@test "--json says why when there is no VM: one object with the exit code" {
	run "$KVM_ASSIGN" --json --socket=/nonexistent deassign --id=1
	assert_failure 6
	run jq -r '"\(.result) \(.exit_code)"' <<<"$(echo "$output" | grep '^{')"
	assert_output "error 6"
	run "$KVM_ASSIGN" --json --pid=1 deassign --id=1
	assert_failure
	run jq -r '.exit_code' <<<"$(echo "$output" | grep '^{')"
	[ "$output" -gt 0 ]
}

# fake_root [DRIVER]: a fake /sys and /proc (as 80-detach.bats makes them) in
# $ROOT, 03:00.0 on DRIVER (e1000e), and the fake PCI core serving its writes.
fake_root() {
	local pci d
	ROOT=$BATS_TEST_TMPDIR/root
	mkdir -p "$ROOT/sys/bus"
	sysfs_from_dump "$ROOT/sys/bus/pci"
	"$FIXTURES/check/mksysroot.sh" "$ROOT" --iommu=on --driver=0000:03:00.0="${1:-e1000e}" --driver=0000:03:00.1=e1000e
	pci=$ROOT/sys/bus/pci
	mkdir -p "$pci/drivers/pci-stub" "$pci/drivers/vfio-pci"
	for d in "$pci"/drivers/*; do : > "$d/bind"; : > "$d/unbind"; done
	for d in "$pci"/devices/*; do echo '(null)' > "$d/driver_override"; done
	: > "$pci/drivers_probe"
	mkdir -p "$ROOT/run/kvm-assign"
	fake_host_proc "$ROOT"
	"$TOP_BUILDDIR/tests/helpers/fake-pci-kernel" --root="$ROOT" --log="$BATS_TEST_TMPDIR/writes" \
		>"$BATS_TEST_TMPDIR/fk.out" 2>&1 3>&- &
	FK_PID=$!
	for _ in $(seq 200); do grep -qs '^ready' "$BATS_TEST_TMPDIR/fk.out" && return 0; sleep 0.01; done
	fail "fake-pci-kernel did not start: $(cat "$BATS_TEST_TMPDIR/fk.out")"
}
# tree_state: every path and link of the fake root but the records (which
# driver each device is on), and each device's override ("(null)" or empty
# alike: no override), to compare.
tree_state() {
	(cd "$ROOT" && find . -path ./run -prune -o -printf '%p %l\n' | sort)
	for d in "$ROOT"/sys/bus/pci/devices/*; do
		echo "${d##*/} override=$(sed 's/^(null)$//' "$d/driver_override")"
	done
}

teardown() {
	[ -z "${FK_PID:-}" ] || kill "$FK_PID" 2>/dev/null || true
	helper_teardown
}

@test "detach in a batch: undone by reattach when a later step fails; --dry-run shows its writes" {
	fake_root
	{ echo "detach 03:00.0 --driver=pci-stub"; cat "$B/setup.batch"; } >"$B/detach.batch"
	run "$KVM_ASSIGN" "${PCI_DUMP[@]}" --dry-run batch --sysroot="$ROOT" "$B/detach.batch"
	assert_success
	assert_line --index 0 "# $B/detach.batch:1: detach 0000:03:00.0"
	assert_line "echo pci-stub > $ROOT/sys/bus/pci/devices/0000:03:00.0/driver_override"
	assert_equal "$(cat "$BATS_TEST_TMPDIR/writes")" ""
	tree_state >"$B/tree.before"
	in_vmm_batch --fail=KVM_ASSIGN_DEV_IRQ:ENOMEM -- : --sysroot="$ROOT" "$B/detach.batch"
	[ "$(cat "$B/rc")" = 1 ] || fail "exit $(cat "$B/rc"): $(cat "$B/err")"
	run cat "$B/out"
	assert_line --index 0 "$B/detach.batch:1: detach 0000:03:00.0: undone"
	assert_line --index 1 "$B/detach.batch:3: assign 0000:03:00.0: undone"
	assert_equal "$(cat "$B/after")" "$(cat "$B/before")"
	sleep 0.1
	tree_state >"$B/tree.after"
	run diff "$B/tree.before" "$B/tree.after"
	assert_success
	# The fake kernel saw the detach, then the reattach.
	run sed 's|^sys/bus/pci/||' "$BATS_TEST_TMPDIR/writes"
	assert_output "$(printf '%s\n' 'devices/0000:03:00.0/driver_override pci-stub' 'drivers/e1000e/unbind 0000:03:00.0' \
		'drivers_probe 0000:03:00.0' 'devices/0000:03:00.0/driver_override ' \
		'drivers/pci-stub/unbind 0000:03:00.0' 'drivers/e1000e/bind 0000:03:00.0')"
	echo "# detach, then irq fails: reattached to e1000e, /sys as before, kernel state as before" >&3
}

# ---------------------------------------------------------------- hostile batch and table files

@test "a FIFO, /dev/zero or a directory as the batch or --table file is refused at once, naming it" {
	mkfifo "$B/fifo"
	for f in "$B/fifo" /dev/zero "$B"; do
		run timeout 10 "$KVM_ASSIGN" --dry-run batch "$f"
		[ "$status" -ne 124 ] || fail "batch $f hung"
		assert_failure 2
		assert_output "kvm-assign: batch: $f: not a regular file: give a regular file, or - for standard input"
		echo "msix --id=1 --table=$f" >"$B/t.batch"
		run timeout 10 "$KVM_ASSIGN" --dry-run batch "$B/t.batch"
		[ "$status" -ne 124 ] || fail "--table=$f hung"
		assert_failure 2
		assert_output --partial "t.batch:1: '$f': msix: --table: cannot read '$f': not a regular file"
		run timeout 10 "$KVM_ASSIGN" --dry-run msix --id=1 --table="$f"
		[ "$status" -ne 124 ] || fail "msix --table=$f hung"
		assert_failure 2
		assert_line --index 0 "kvm-assign: --table: cannot read '$f': not a regular file"
	done
	# Standard input may be anything: /dev/zero ends at its first byte.
	run timeout 10 "$KVM_ASSIGN" --dry-run batch - </dev/zero
	assert_failure 2
	assert_output "kvm-assign: batch: <stdin>:1: a NUL byte: not a line of text: nothing was run"
}

@test "a NUL byte is an error naming its line: it cannot hide a step behind a comment" {
	fake_root
	# One line to wc -l: a comment, a NUL, then padding; the old reader took
	# the bytes after its 8191st for a line of their own and ran the detach.
	{ printf '# nothing here\0'; head -c 8176 /dev/zero | tr '\0' ' '; printf 'detach --force --group --driver=pci-stub 03:00.0\n'; } >"$B/nul.batch"
	[ "$(wc -l <"$B/nul.batch")" = 1 ]
	run "$KVM_ASSIGN" "${PCI_DUMP[@]}" --dry-run batch --sysroot="$ROOT" "$B/nul.batch"
	assert_failure 2
	assert_output "kvm-assign: batch: $B/nul.batch:1: a NUL byte: not a line of text: nothing was run"
	# In a --table file too, naming the table's line.
	printf '0 30\n1 31\0\n' >"$B/nul.table"
	run "$KVM_ASSIGN" --dry-run msix --id=1 --table="$B/nul.table"
	assert_failure 2
	assert_line --index 0 "kvm-assign: --table: $B/nul.table:2: a NUL byte: not a line of text"
}

@test "caps: 4096 bytes a line, 10000 lines, 1 MiB; checked while reading" {
	pad=$(printf '%4076s' '')
	printf 'intx-mask --id=1 on %s\n' "$pad" >"$B/ok.batch"	# 4096 bytes and the newline
	printf 'intx-mask --id=1 on  %s\n' "$pad" >"$B/long.batch"	# 4097
	run "$KVM_ASSIGN" --dry-run batch "$B/ok.batch"
	assert_success
	run "$KVM_ASSIGN" --dry-run batch "$B/long.batch"
	assert_failure 2
	assert_output "kvm-assign: batch: $B/long.batch:1: a line longer than 4096 bytes: nothing was run"
	yes 'intx-mask --id=1 on' | head -n 10001 >"$B/lines.batch"
	run "$KVM_ASSIGN" --dry-run batch "$B/lines.batch"
	assert_failure 2
	assert_output "kvm-assign: batch: $B/lines.batch:10001: more than 10000 lines: nothing was run"
	# 300 lines of 4000 bytes: the size cap, before the line cap.
	for i in $(seq 300); do printf 'intx-mask --id=1 on%3981s\n' ''; done >"$B/big.batch"
	run "$KVM_ASSIGN" --dry-run batch "$B/big.batch"
	assert_failure 2
	assert_output "kvm-assign: batch: $B/big.batch:263: more than 1048576 bytes: nothing was run"
	# A table is held to the same caps.
	yes '0 30' | head -n 10001 >"$B/lines.table"
	run "$KVM_ASSIGN" --dry-run msix --id=1 --table="$B/lines.table"
	assert_failure 2
	assert_line --index 0 "kvm-assign: --table: $B/lines.table:257: more than 256 entries (the kernel's most)"
	{ for i in $(seq 10000); do echo '#'; done; echo '0 30'; } >"$B/comments.table"
	run "$KVM_ASSIGN" --dry-run msix --id=1 --table="$B/comments.table"
	assert_failure 2
	assert_line --index 0 "kvm-assign: --table: $B/comments.table:10001: more than 10000 lines"
}

@test "10^6 lines from a file or standard input fail fast, in bounded memory" {
	[ -x /usr/bin/time ] || skip "needs GNU time for the peak RSS"
	yes 'intx-mask --id=1 on' | head -n 1000000 >"$B/million.batch"
	for how in file stdin; do
		if [ $how = file ]; then
			run timeout 20 /usr/bin/time -f 'rss=%M s=%e' "$KVM_ASSIGN" --dry-run batch "$B/million.batch"
		else
			run timeout 20 /usr/bin/time -f 'rss=%M s=%e' "$KVM_ASSIGN" --dry-run batch - <"$B/million.batch"
		fi
		[ "$status" -ne 124 ] || fail "$how: over 20 s"
		assert_line --partial ":10001: more than 10000 lines: nothing was run"
		rss=$(sed -n 's/^rss=\([0-9]*\) .*/\1/p' <<<"$output")
		# ~30 MB for 10000 steps; the old reader took 2.7 GB (an ASan build some more).
		[ "$rss" -lt 200000 ] || fail "$how: peak RSS $rss kB"
		echo "# 10^6 lines from $how: exit 2, $(grep -o 'rss=.*' <<<"$output") (kB, seconds)" >&3
	done
}

@test "a driver's name with ESC and a newline: the batch's step, rollback and -v lines show it escaped" {
	fake_root $'e1000e\e[2J\nkvm-assign: FORGED'
	{ echo "detach 03:00.0 --driver=pci-stub"; cat "$B/setup.batch"; } >"$B/detach.batch"
	in_vmm_batch --fail=KVM_ASSIGN_DEV_IRQ:ENOMEM -- : -v --sysroot="$ROOT" "$B/detach.batch"
	run cat "$B/out" "$B/err"
	no_escape
	refute_line --regexp '^kvm-assign: FORGED'
	assert_output --partial 'e1000e\x1b[2J'
	# --json: every line an object, the name in it as it is.
	in_vmm_batch --fail=KVM_ASSIGN_DEV_IRQ:ENOMEM -- : --sysroot="$ROOT" "$B/detach.batch" --json
	run jq -c . "$B/out"
	assert_success
}

@test "two detaches of one device in a batch: rollback gives it back to e1000e, the override cleared" {
	fake_root
	{ echo "detach 03:00.0 --driver=pci-stub"; echo "detach 03:00.0 --driver=vfio-pci --group"; cat "$B/setup.batch"; } >"$B/detach.batch"
	tree_state >"$B/tree.before"
	in_vmm_batch --fail=KVM_ASSIGN_DEV_IRQ:ENOMEM -- : --sysroot="$ROOT" "$B/detach.batch"
	[ "$(cat "$B/rc")" = 1 ] || fail "exit $(cat "$B/rc"): $(cat "$B/err")"
	run cat "$B/out"
	assert_line --index 0 "$B/detach.batch:1: detach 0000:03:00.0: undone"
	assert_line --index 1 "$B/detach.batch:2: detach 0000:03:00.0: undone"
	sleep 0.1
	tree_state >"$B/tree.after"
	run diff "$B/tree.before" "$B/tree.after"
	assert_success
}

@test "a signal ends a batch's wait for the detach lock at once (SIGTERM), nothing moved" {
	fake_root
	chmod 700 "$ROOT/run/kvm-assign"
	: > "$ROOT/run/kvm-assign/lock"
	chmod 600 "$ROOT/run/kvm-assign/lock"
	flock "$ROOT/run/kvm-assign/lock" sleep 60 3>&- &
	holder=$!
	echo "detach 03:00.0 --driver=pci-stub" >"$B/lock.batch"
	sleep 0.3
	start=$SECONDS
	"$KVM_ASSIGN" "${PCI_DUMP[@]}" --timeout=30 batch --sysroot="$ROOT" "$B/lock.batch" >"$B/out" 2>"$B/err" 3>&- &
	ka=$!
	sleep 1
	kill -TERM $ka
	rc=0; wait $ka || rc=$?
	kill $holder 2>/dev/null; wait $holder || true
	[ $((SECONDS - start)) -le 5 ] || fail "the batch went on waiting: $((SECONDS - start)) s; $(cat "$B/err")"
	[ "$rc" != 0 ] || fail "exit 0 after a signal"
	run cat "$B/err"
	assert_output --partial "stopped by a signal while waiting"
	assert_equal "$(cat "$BATS_TEST_TMPDIR/writes")" ""
}
