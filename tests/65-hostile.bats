#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# 65-hostile.bats - input others may have made: dumps libpci would choke on,
# snapshots whose links lead out or whose files are FIFOs, devices or
# endless, and names that carry terminal escapes or bytes that are not UTF-8.

load test_helper

setup_file() {
	sysfs_from_dump "$BATS_FILE_TMPDIR/pci"
}

setup() {
	ROOT=$(mktemp -d /tmp/kvm-assign-hostile.XXXXXX)
	chmod 0755 "$ROOT"
	mkdir -p "$ROOT/sys/bus"
	cp -a "$BATS_FILE_TMPDIR/pci" "$ROOT/sys/bus/pci"
	# What a link out of the snapshot would reach: never to be printed.
	OUTSIDE=$(mktemp -d /tmp/kvm-assign-outside.XXXXXX)
	echo "SECRET-FIRST-LINE" > "$OUTSIDE/secret"
	mkdir "$OUTSIDE/dir"
	: > "$OUTSIDE/dir/outside-entry"
}

teardown() {
	rm -rf "$ROOT" "$OUTSIDE"
	helper_teardown
}

snapshot() { "$FIXTURES/check/mksysroot.sh" "$ROOT" "$@"; }

# bounded CMD...: run CMD, failing the test if it takes more than 10 s
bounded() {
	run timeout 10 "$@"
	[ "$status" -ne 124 ] || fail "hung: $*"
}

# needs_root REASON: skip, in one line, when not root
needs_root() { [ "$(id -u)" = 0 ] || skip "needs root: $1"; }

# ---------------------------------------------------------------- dumps

@test "a dump line at offset fffffff0 is refused before libpci reads it (it corrupted libpci's heap)" {
	printf '0000:03:00.0 Ethernet\nfffffff0: 86 80 d3 10\n' > "$BATS_TEST_TMPDIR/bad.dump"
	run "$KVM_ASSIGN" check -A dump -O "dump.name=$BATS_TEST_TMPDIR/bad.dump" 03:00.0
	assert_failure 5
	assert_output "kvm-assign: dump '$BATS_TEST_TMPDIR/bad.dump': line 2: register offset 'fffffff0' is beyond config space (0 to 0xfff)"
	run "$KVM_ASSIGN" --dry-run -A dump -O "dump.name=$BATS_TEST_TMPDIR/bad.dump" assign 03:00.0
	assert_failure 5
	assert_output --partial "line 2: register offset 'fffffff0'"
}

@test "dump lines: offsets 0 to 0xfff, two-digit hex bytes, bounded length, a newline at the end" {
	d=$BATS_TEST_TMPDIR/d.dump
	head=$'0000:03:00.0 Ethernet\n'
	for case in \
		"1000: 00|line 2: register offset '1000' is beyond config space (0 to 0xfff)" \
		"ff0: $(printf '00 %.0s' $(seq 17))|line 2: register line at offset ff0: 17 bytes run past 0xfff" \
		"00: 86 8g d3|line 2: register line at offset 000: column 8 is not a two-digit hex byte" \
		"00: 86 800 d3|line 2: register line at offset 000: column 8 is not a two-digit hex byte" \
		"x$(printf 'a%.0s' $(seq 300))|line 2: 301 bytes long, more than 253"; do
		printf '%s%s\n' "$head" "${case%%|*}" > "$d"
		run "$KVM_ASSIGN" check -A dump -O "dump.name=$d" 03:00.0
		assert_failure 5
		assert_output "kvm-assign: dump '$d': ${case#*|}"
	done
	printf '%s00: 86 80' "$head" > "$d"
	run "$KVM_ASSIGN" check -A dump -O "dump.name=$d" 03:00.0
	assert_output "kvm-assign: dump '$d': line 2: no newline at the end of the file"
	printf '%s00: 86\0 80\n' "$head" > "$d"
	run "$KVM_ASSIGN" check -A dump -O "dump.name=$d" 03:00.0
	assert_output --partial "a NUL byte at offset"
	# the fixture, lspci's own output, passes
	run "$KVM_ASSIGN" --json check "${PCI_DUMP[@]}" 03:00.0
	[ "$status" -ne 5 ]
}

@test "a FIFO or a device as the dump is refused at once" {
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	bounded "$KVM_ASSIGN" check -A dump -O "dump.name=$BATS_TEST_TMPDIR/fifo" 03:00.0
	assert_failure 5
	assert_output "kvm-assign: dump '$BATS_TEST_TMPDIR/fifo': not a regular file"
	bounded "$KVM_ASSIGN" check -A dump -O "dump.name=/dev/zero" 03:00.0
	assert_failure 5
	assert_output "kvm-assign: dump '/dev/zero': not a regular file"
}

# ---------------------------------------------------------------- links out of a snapshot

@test "--sysroot: an absolute link starts again at the root, '..' stops at it" {
	snapshot
	ln -sfn "$OUTSIDE/secret" "$ROOT/proc/sys/kernel/osrelease"
	run "$KVM_ASSIGN" check --sysroot="$ROOT"
	refute_output --partial SECRET
	assert_output --regexp "SKIP +kernel +not in the snapshot \($ROOT/proc/sys/kernel/osrelease: No such file or directory\)"
	# the same absolute path inside the snapshot is what it names
	mkdir -p "$ROOT/$OUTSIDE"
	echo "4.9.0-inside" > "$ROOT/$OUTSIDE/secret"
	run "$KVM_ASSIGN" --json check --sysroot="$ROOT"
	assert_equal "$(item kernel)" "ok 4.9.0-inside"
	# climbing out with .. lands on the root's own etc
	rm -rf "$ROOT/${OUTSIDE#/}"
	ln -sfn "../../../../../../../../../..$OUTSIDE/secret" "$ROOT/proc/sys/kernel/osrelease"
	run "$KVM_ASSIGN" check --sysroot="$ROOT"
	refute_output --partial SECRET
	ln -sfn /etc/shadow "$ROOT/proc/sys/kernel/osrelease"
	run "$KVM_ASSIGN" check --sysroot="$ROOT"
	refute_output --partial "root:"
	assert_output --partial "not in the snapshot"
}

@test "--sysroot: a group's devices linked out of the snapshot list the snapshot's directory, not the host's" {
	snapshot --iommu=on --group=7:0000:03:00.0,0000:03:00.1
	rm -rf "$ROOT/sys/kernel/iommu_groups/7/devices"
	ln -s "$OUTSIDE/dir" "$ROOT/sys/kernel/iommu_groups/7/devices"
	run "$KVM_ASSIGN" check --sysroot="$ROOT" 03:00.0
	refute_output --partial outside-entry
	ln -sfn /etc "$ROOT/sys/kernel/iommu_groups/7/devices"
	run "$KVM_ASSIGN" --json check --sysroot="$ROOT" 03:00.0
	refute_output --partial passwd
	assert_equal "$(item_field iommu_group message)" "group 7, the device alone: 0000:03:00.0"
}

@test "--sysroot: a link loop ends with ELOOP, and so does a long chain" {
	snapshot
	ln -sfn osrelease "$ROOT/proc/sys/kernel/osrelease"
	bounded "$KVM_ASSIGN" check --sysroot="$ROOT"
	assert_output --partial "osrelease: Too many levels of symbolic links"
	rm "$ROOT/proc/sys/kernel/osrelease"
	for i in $(seq 0 45); do ln -s "l$((i + 1))" "$ROOT/proc/sys/kernel/l$i"; done
	echo 4.9.0 > "$ROOT/proc/sys/kernel/l46"
	ln -s l0 "$ROOT/proc/sys/kernel/osrelease"
	bounded "$KVM_ASSIGN" check --sysroot="$ROOT"
	assert_output --partial "Too many levels of symbolic links"
}

@test "--sysroot: libpci is not let at a device directory that leads out of the snapshot" {
	snapshot
	mv "$ROOT/sys/bus/pci/devices/0000:03:00.0" "$OUTSIDE/dev"
	ln -s "$OUTSIDE/dev" "$ROOT/sys/bus/pci/devices/0000:03:00.0"
	run "$KVM_ASSIGN" --json check --sysroot="$ROOT" 03:00.0
	assert_equal "$(item present)" "fail "
	ln -sfn /etc/passwd "$ROOT/sys/bus/pci/devices/0000:03:00.1/config"
	run "$KVM_ASSIGN" --json check --sysroot="$ROOT" 03:00.1
	assert_equal "$(item_field present message)" "not read: $ROOT/sys/bus/pci/devices/0000:03:00.1/config is a symbolic link, not a regular file"
}

# ---------------------------------------------------------------- FIFOs, devices, endless files

@test "--sysroot: a FIFO as osrelease, cmdline, a module parameter or a device's config does not block" {
	snapshot --iommu=on
	for f in proc/sys/kernel/osrelease proc/cmdline sys/module/kvm/parameters/allow_unsafe_assigned_interrupts \
		sys/bus/pci/devices/0000:03:00.0/config; do
		cp -a "$ROOT/$f" "$BATS_TEST_TMPDIR/saved"
		rm "$ROOT/$f"
		mkfifo "$ROOT/$f"
		bounded "$KVM_ASSIGN" --json check --sysroot="$ROOT" 03:00.0
		[ "$status" -ne 0 ] || [ "$status" -ne 124 ]
		jq -e . <<<"$output" >/dev/null || fail "$f: not JSON: $output"
		rm "$ROOT/$f"
		cp -a "$BATS_TEST_TMPDIR/saved" "$ROOT/$f"
	done
	rm "$ROOT/proc/cmdline"
	mkfifo "$ROOT/proc/cmdline"
	bounded "$KVM_ASSIGN" --json check --sysroot="$ROOT"
	assert_equal "$(item_field cmdline message)" "$ROOT/proc/cmdline unreadable: not a regular file"
}

@test "--sysroot: /dev/zero as /proc/interrupts or /proc/self/limits ends at once" {
	needs_root "mknod makes the character devices inside the snapshot"
	snapshot --iommu=on
	for f in proc/interrupts proc/self/limits; do
		rm "$ROOT/$f"
		mknod "$ROOT/$f" c 1 5
		bounded "$KVM_ASSIGN" --json check --sysroot="$ROOT"
		jq -e . <<<"$output" >/dev/null || fail "$f: not JSON"
	done
	assert_equal "$(item interrupt_remapping)" "warn capable"
	assert_equal "$(item memlock)" "skip "
	# and a link to the host's /dev/zero names the snapshot's /dev/zero: absent
	rm "$ROOT/proc/interrupts"
	ln -s /dev/zero "$ROOT/proc/interrupts"
	bounded "$KVM_ASSIGN" check --sysroot="$ROOT"
}

# ---------------------------------------------------------------- terminal escapes and UTF-8

@test "escapes in a driver's name, osrelease, cmdline and group members are shown escaped" {
	esc=$'\e[2J\e[1;1H'
	snapshot --iommu=on --group=3:0000:03:00.0,0000:03:00.1 --kernel="4.9.0${esc}OK" --cmdline="x=${esc}y"
	mkdir -p "$ROOT/sys/bus/pci/drivers/e1000e${esc}"
	ln -sfn "../../drivers/e1000e${esc}" "$ROOT/sys/bus/pci/devices/0000:03:00.0/driver"
	ln -s "../../../../bus/pci/devices/0000:03:00.1" "$ROOT/sys/kernel/iommu_groups/3/devices/0000:03:00.1${esc}"
	run "$KVM_ASSIGN" check --sysroot="$ROOT" 03:00.0
	no_escape
	assert_output --partial 'bound to the host driver e1000e\x1b[2J\x1b[1;1H'
	assert_output --partial '4.9.0\x1b[2J\x1b[1;1HOK'
	assert_output --partial '0000:03:00.1\x1b[2J'
	# C1 controls (U+009B is CSI) and bytes that are not UTF-8 too
	echo $'4.9.0\xc2\x9b2J\xff' > "$ROOT/proc/sys/kernel/osrelease"
	run "$KVM_ASSIGN" check --sysroot="$ROOT"
	no_escape
	assert_output --partial '4.9.0\xc2\x9b2J\xff'
}

@test "--json stays valid UTF-8: a byte that is not UTF-8 becomes U+FFFD, valid text stays" {
	snapshot
	printf '4.9.0-\xc3\xa9-\xff\xfe-\xed\xa0\x80-\xc0\xaf\n' > "$ROOT/proc/sys/kernel/osrelease"
	run "$KVM_ASSIGN" --json check --sysroot="$ROOT"
	run python3 -c 'import json,sys; o=json.loads(sys.stdin.buffer.read().decode("utf-8")); print([i["value"] for i in o["items"] if i["name"]=="kernel"][0])' <<<"$output"
	assert_success
	assert_output $'4.9.0-\u00e9-\ufffd\ufffd-\ufffd\ufffd\ufffd-\ufffd\ufffd'
}

@test "a rejected fd's path with escapes in it is shown escaped" {
	f="$BATS_TEST_TMPDIR/"$'evil\e[2K\rkvm-assign: OK'
	: > "$f"
	run bash -c 'exec 7<"$1"; "$2" --fd=7 deassign --id=1' _ "$f" "$KVM_ASSIGN"
	assert_failure 6
	no_escape
	assert_output --partial 'evil\x1b[2K\x0dkvm-assign: OK'
	[ "${#lines[@]}" -eq 1 ]
}

@test "a tracer's process name with escapes in it is shown escaped" {
	command -v strace >/dev/null || skip "needs strace to trace the VMM"
	mkdir "$BATS_TEST_TMPDIR/bin"
	cp "$(command -v strace)" "$BATS_TEST_TMPDIR/bin/"$'\e[31mst'
	run with_vmm -- -- bash -c '
		"$1" -p "$VMM_PID" -o /dev/null 2>/dev/null & t=$!
		for _ in $(seq 100); do [ "$(awk "/^TracerPid:/ {print \$2}" /proc/$VMM_PID/status)" != 0 ] && break; sleep 0.05; done
		"$2" -A dump -O "dump.name=$3" --pid="$VMM_PID" assign 03:00.0; rc=$?; kill $t; wait $t; exit $rc' _ \
		"$BATS_TEST_TMPDIR/bin/"$'\e[31mst' "$KVM_ASSIGN" "$DUMP"
	assert_failure
	no_escape
	# procinfo.c shows each control character of a name as '?'; either way, not raw
	assert_output --regexp 'already traced by process [0-9]+ \((\?|\\x1b)\[31mst\)'
}
