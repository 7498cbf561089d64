#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# 60-check.bats - check on /sys+/proc snapshots (tests/fixtures/check/mksysroot.sh
# around the dump's config spaces), /dev/kvm under the simulated kernel, and the
# device's interrupt facts against lspci -vv (the oracle) for every dumped device.

load test_helper

setup_file() {
	sysfs_from_dump "$BATS_FILE_TMPDIR/pci"
}

setup() {
	# Readable by everyone: one test runs the tool as nobody.
	ROOT=$(mktemp -d /tmp/kvm-assign-check.XXXXXX)
	chmod 0755 "$ROOT"
	mkdir -p "$ROOT/sys/bus"
	cp -a "$BATS_FILE_TMPDIR/pci" "$ROOT/sys/bus/pci"
}

teardown() {
	rm -rf "$ROOT"
	helper_teardown
}

# snapshot [mksysroot options]: finish the snapshot in $ROOT
snapshot() { "$FIXTURES/check/mksysroot.sh" "$ROOT" "$@"; }

# check_json [kvm-assign args]: run check --json on the snapshot; $output is the object
check_json() { run "$KVM_ASSIGN" --json check --sysroot="$ROOT" "$@"; }


@test "no IOMMU: the ACPI table, /sys/class/iommu and the groups FAIL with the firmware and boot fix; exit 9" {
	snapshot --iommu=none --driver=0000:03:00.0=pci-stub
	check_json 03:00.0
	assert_failure 9
	assert_equal "$(item acpi_table)" "fail "
	assert_equal "$(item class_iommu)" "fail "
	assert_equal "$(item iommu_groups)" "fail "
	assert_equal "$(item_field acpi_table fix)" "enable VT-d (Intel) or AMD-Vi/IOMMU in the firmware setup"
	assert_equal "$(item_field iommu_groups fix)" "enable VT-d/AMD-Vi in the firmware, then boot with intel_iommu=on (Intel) or amd_iommu=on (AMD)"
	assert_equal "$(item iommu_group)" "fail "
	run jq -r '[.verdict.legacy, .verdict.vfio, .verdict.exit_code, .exit_code] | @tsv' <<<"$output"
	assert_output "$(printf 'no\tno\t9\t9')"
}

@test "IOMMU off in the kernel: DMAR present, iommu_groups present but empty" {
	snapshot --iommu=off
	check_json
	assert_failure 9
	assert_equal "$(item acpi_table)" "ok DMAR"
	assert_equal "$(item iommu_groups)" "fail 0"
	assert_equal "$(item_field iommu_groups message)" "/sys/kernel/iommu_groups is empty: the IOMMU is off in the kernel"
	assert_equal "$(item cmdline)" "warn "
	assert_equal "$(item_field cmdline fix)" "boot with intel_iommu=on"
	snapshot --iommu=off --cmdline=intel_iommu=off
	check_json
	assert_equal "$(item cmdline)" "fail intel_iommu=off"
}

@test "IOMMU on, interrupts remapped, device on pci-stub: legacy assignment can work (exit 0)" {
	snapshot --iommu=on --intremap --vfio --driver=0000:03:00.0=pci-stub
	check_json 03:00.0
	assert_success
	for n in acpi_table class_iommu iommu_groups cmdline interrupt_remapping allow_unsafe_interrupts \
		vfio_pci dev_vfio memlock present header_type driver iommu_group bar0 bar2 bar3; do
		[[ $(item $n) == ok* ]] || fail "$n: $(item $n)"
	done
	assert_equal "$(item driver)" "ok pci-stub"
	assert_equal "$(item kernel)" "ok 4.9.0-8-amd64"
	assert_equal "$(item dev_kvm)" "skip "
	[ "$(jq '.items | map(select(.status == "fail")) | length' <<<"$output")" = 0 ] || fail "FAIL items"
	run jq -r '[.verdict.legacy, .verdict.vfio, .verdict.message] | @tsv' <<<"$output"
	assert_output "$(printf 'yes\tyes\tlegacy assignment can work here for 0000:03:00.0, as far as the snapshot shows (/dev/kvm not checked)')"
}

@test "a 3.10 kernel (no /sys/class/iommu before 3.17): IOMMU groups show the IOMMU active; exit 0" {
	snapshot --line=3.10 --iommu=on --intremap --driver=0000:03:00.0=pci-stub
	check_json 03:00.0
	assert_success
	assert_equal "$(item kernel)" "ok 3.10.105"
	assert_equal "$(item class_iommu)" "ok absent"
	assert_equal "$(item_field class_iommu message)" "no /sys/class/iommu (kernels before 3.17 lack it): the IOMMU groups show an active IOMMU driver"
	assert_equal "$(item interrupt_remapping)" "ok on"
	[[ $(item iommu_group) == ok* ]] || fail "iommu_group: $(item iommu_group)"
	[ "$(jq '.items | map(select(.status == "fail")) | length' <<<"$output")" = 0 ] || fail "FAIL items"
}

@test "a 3.10 kernel with the IOMMU off or absent: class_iommu and iommu_groups FAIL; exit 9" {
	for iommu in off none; do
		snapshot --line=3.10 --iommu=$iommu --driver=0000:03:00.0=pci-stub
		check_json 03:00.0
		assert_failure 9
		assert_equal "$(item class_iommu)" "fail "
		assert_equal "$(item_field class_iommu message)" "no /sys/class/iommu and no IOMMU group: no IOMMU driver is active"
		[[ $(item iommu_groups) == fail* ]] || fail "iommu_groups: $(item iommu_groups)"
		assert_equal "$(item interrupt_remapping)" "warn off"
	done
}

@test "no interrupt remapping: FAIL unless allow_unsafe_assigned_interrupts is set (then WARN)" {
	snapshot --iommu=on
	check_json
	assert_failure 9
	assert_equal "$(item interrupt_remapping)" "warn capable"
	assert_equal "$(item allow_unsafe_interrupts)" "fail N"
	assert_output --partial 'echo 1 > /sys/module/kvm/parameters/allow_unsafe_assigned_interrupts'
	snapshot --iommu=on --unsafe=Y
	check_json
	assert_success
	assert_equal "$(item allow_unsafe_interrupts)" "warn Y"
}

@test "a device bound to a host driver: FAIL (EBUSY), and kvm-assign detach as the fix" {
	snapshot --iommu=on --intremap --driver=0000:03:00.0=e1000e
	check_json 03:00.0
	assert_failure 9
	assert_equal "$(item driver)" "fail e1000e"
	assert_equal "$(item_field driver message)" "bound to the host driver e1000e, which holds its regions: KVM_ASSIGN_PCI_DEVICE fails with EBUSY"
	assert_equal "$(item_field driver fix)" "kvm-assign detach 0000:03:00.0"
}

@test "pci-stub, vfio-pci and no driver are all OK" {
	snapshot --iommu=on --intremap --driver=0000:03:00.0=pci-stub --driver=0000:03:00.1=vfio-pci
	check_json 03:00.0
	assert_equal "$(item driver)" "ok pci-stub"
	check_json 03:00.1
	assert_equal "$(item driver)" "ok vfio-pci"
	check_json 0001:02:00.0
	assert_equal "$(item driver)" "ok "
	assert_success
}

@test "resource files the caller cannot read and write: FAIL per BAR with EACCES (the kernel's check)" {
	snapshot --iommu=on --intremap --ro-resources=0000:03:00.0
	as=() ka=$KVM_ASSIGN
	if [ "$(id -u)" = 0 ]; then
		nobody_copy "$KVM_ASSIGN"
		as=(setpriv --reuid=65534 --regid=65534 --clear-groups) ka=$NOBODY_DIR/kvm-assign
	fi
	run "${as[@]}" "$ka" --json check --sysroot="$ROOT" 03:00.0
	assert_failure 9
	for b in bar0 bar2 bar3; do
		assert_equal "$(item $b)" "fail EACCES"
	done
	assert_equal "$(item_field bar0 message)" "Region 0: memory at fea00000 (32-bit); resource0: Permission denied for uid $("${as[@]}" id -u), so KVM_ASSIGN_PCI_DEVICE fails with EACCES"
	[[ $(item_field bar0 fix) == *"chown \$USER $ROOT/sys/bus/pci/devices/0000:03:00.0/resource0" ]] || fail "$(item_field bar0 fix)"
	assert_equal "$(item bar1)" ""
}

@test "a bridge: header type 1 FAIL (EPERM), and no BARs" {
	snapshot --iommu=on --intremap
	check_json 00:1c.0
	assert_failure 9
	assert_equal "$(item header_type)" "fail 1"
	assert_equal "$(item_field header_type message)" "header type 1: a PCI bridge cannot be assigned (EPERM)"
	assert_equal "$(item bars)" "fail 0"
}

@test "a device without MSI-X; one with a 64-entry table in domain 1" {
	snapshot --iommu=on --intremap
	check_json 03:00.1
	assert_success
	assert_equal "$(item msix)" "ok none"
	assert_equal "$(item msi)" "ok 1/1"
	assert_equal "$(item intx_pin)" "ok B"
	check_json 0001:02:00.0
	assert_equal "$(item msix)" "ok 64"
	assert_equal "$(item msi)" "ok none"
	assert_equal "$(item segment)" "ok "
}

@test "a group with several devices: WARN naming each member and its driver" {
	snapshot --iommu=on --intremap --driver=0000:03:00.0=pci-stub --driver=0000:03:00.1=e1000e \
		--group=7:0000:03:00.0,0000:03:00.1
	check_json 03:00.0
	assert_success
	assert_equal "$(item iommu_group)" "warn 7"
	msg=$(item_field iommu_group message)
	[[ $msg == "group 7 shares 2 devices: "* ]] || fail "$msg"
	[[ $msg == *"0000:03:00.0 (pci-stub)"* && $msg == *"0000:03:00.1 (e1000e)"* ]] || fail "$msg"
	assert_equal "$(item_field iommu_group fix)" "kvm-assign detach --driver=vfio-pci --group 0000:03:00.0"
}

# lspci_facts ADDR: "pin msi msix intx_mask" as lspci -vv prints them for the dump
lspci_facts() {
	local out pin msi msix ctl st
	out=$(lspci -F "$DUMP" -vv -s "$1" 2>/dev/null)
	pin=$(sed -n 's/^\tInterrupt: pin \(.\) routed.*/\1/p' <<<"$out")
	msi=$(sed -n 's/.*MSI: Enable[-+] Count=\([0-9]*\/[0-9]*\) .*/\1/p' <<<"$out")
	msix=$(sed -n 's/.*MSI-X: Enable[-+] Count=\([0-9]*\) .*/\1/p' <<<"$out")
	ctl=$(sed -n 's/^\tControl:.* \(DisINTx[-+]\).*/\1/p' <<<"$out")
	st=$(sed -n 's/^\tStatus:.* \(INTx[-+]\)$/\1/p' <<<"$out")
	[ "$pin" != "?" ] && [ -n "$pin" ] || pin=none
	echo "$pin ${msi:-none} ${msix:-none} $ctl $st"
}

@test "interrupt facts equal lspci -vv's for every device in the dump, through the dump and through sysfs" {
	snapshot --iommu=on --intremap
	n=0
	while read -r addr; do
		want=$(lspci_facts "$addr")
		for access in PCI_DUMP SYSROOT; do
			if [ $access = PCI_DUMP ]; then
				run "$KVM_ASSIGN" "${PCI_DUMP[@]}" --json check --sysroot="$ROOT" "$addr"
			else
				run "$KVM_ASSIGN" --json check --sysroot="$ROOT" "$addr"
			fi
			got=$(jq -r '[.items[] | select(.name == "intx_pin" or .name == "msi" or .name == "msix" or .name == "intx_mask") | .value] | join(" ")' <<<"$output")
			assert_equal "$got" "$want"
		done
		n=$((n + 1))
	done < <(lspci -F "$DUMP" -D | cut -d' ' -f1)
	[ "$n" = 4 ] || fail "the dump has $n devices, expected 4"
}

@test "names come from libpci's ID database, as lspci shows them" {
	snapshot
	check_json 03:00.0
	name=$(lspci -F "$DUMP" -s 03:00.0 -mm | awk -F'"' '{print $4 " " $6}')
	assert_equal "$(item_field present message)" "$name [8086:10d3]"
}

@test "a snapshot of a 4.12+ kernel: kernel lacks support (exit 3), /dev/kvm not checked" {
	snapshot --iommu=on --intremap --kernel=6.1.0-13-amd64
	check_json
	assert_failure 3
	assert_equal "$(item kernel)" "fail 6.1.0-13-amd64"
	assert_equal "$(item_field dev_kvm message)" "not checked: a --sysroot snapshot (--probe checks this host's /dev/kvm)"
	run jq -r '.verdict.message' <<<"$output"
	assert_output "legacy assignment cannot work: the kernel lacks it; VFIO can work once vfio-pci is loaded (modprobe vfio-pci)"
}

@test "an absent device: FAIL, exit 5" {
	snapshot --iommu=on --intremap
	check_json 04:00.0
	assert_failure 5
	assert_equal "$(item present)" "fail "
}

@test "the simulated kernel with legacy assignment, a ready snapshot: every KVM item OK, exit 0" {
	snapshot --iommu=on --intremap --driver=0000:03:00.0=pci-stub
	run sim --mode=legacy -- "$KVM_ASSIGN" --json check --sysroot="$ROOT" --probe 03:00.0
	assert_success
	for n in kernel dev_kvm api_version legacy_ioctls cap_iommu cap_assign_dev_irq cap_pci_2_3 cap_pci_segment; do
		[[ $(item $n) == ok* ]] || fail "$n: $(item $n)"
	done
	assert_equal "$(item api_version)" "ok 12"
	assert_equal "$(item legacy_ioctls)" "ok supported"
	run jq -r '[.legacy_assignment, .probe.errno, .verdict.legacy, .exit_code] | @tsv' <<<"$output"
	assert_output "$(printf 'supported\tEINVAL\tyes\t0')"
}

@test "the simulated kernel without an IOMMU: KVM_CAP_IOMMU 0 is FAIL (ENODEV), exit 9" {
	snapshot --iommu=on --intremap
	run sim --mode=legacy --no-iommu -- "$KVM_ASSIGN" --json check --sysroot="$ROOT" --probe
	assert_failure 9
	assert_equal "$(item cap_iommu)" "fail 0"
	assert_equal "$(item_field cap_iommu message)" "KVM_CHECK_EXTENSION(18) = 0: KVM finds no IOMMU: KVM_ASSIGN_PCI_DEVICE fails with ENODEV"
}

@test "the simulated 4.12+ kernel: the probe's ENOTTY is FAIL, capabilities SKIP, exit 3 (also on the live host)" {
	snapshot --iommu=on --intremap
	run sim --mode=removed -- "$KVM_ASSIGN" --json check --sysroot="$ROOT" --probe
	assert_failure 3
	assert_equal "$(item legacy_ioctls)" "fail unsupported"
	assert_equal "$(item cap_iommu)" "skip 0"
	run sim --mode=removed -- "$KVM_ASSIGN" check
	assert_failure 3
	assert_line --regexp '^  FAIL  legacy_ioctls +KVM_DEASSIGN_PCI_DEVICE got ENOTTY: '
	assert_line --regexp '^verdict: legacy assignment cannot work: the kernel lacks it; VFIO '
}

@test "the simulated kernel: /dev/kvm missing is exit 8, not accessible exit 4, each with its fix" {
	run sim --no-dev-kvm -- "$KVM_ASSIGN" --json check
	assert_failure 8
	assert_equal "$(item dev_kvm)" "fail ENOENT"
	assert_equal "$(item_field dev_kvm fix)" "modprobe kvm-intel (or kvm-amd)"
	run sim --dev-kvm-errno=EACCES -- "$KVM_ASSIGN" --json check
	assert_failure 4
	assert_equal "$(item dev_kvm)" "fail EACCES"
	[[ $(item_field dev_kvm fix) == *"usermod -aG kvm"* ]] || fail "$(item_field dev_kvm fix)"
}

@test "human output: aligned columns, a fix line under each WARN/FAIL, one verdict line" {
	snapshot --iommu=off
	run "$KVM_ASSIGN" check --sysroot="$ROOT" 03:00.0
	assert_failure 9
	# every item line puts its message at the same column
	cols=$(grep -E '^  (OK|WARN|FAIL|SKIP) ' <<<"$output" | sed -E 's/^(  [A-Z]+ +[a-z0-9_]+ +).*/\1/' | awk '{print length}' | sort -u)
	assert_equal "$cols" "$(echo "$cols" | head -n 1)"
	assert_line --regexp '^  FAIL  iommu_groups +/sys/kernel/iommu_groups is empty: the IOMMU is off in the kernel$'
	assert_line --regexp '^ +fix: enable VT-d/AMD-Vi in the firmware, then boot with intel_iommu=on'
	[ "$(grep -c '^verdict: ' <<<"$output")" = 1 ]
	[[ $output != *$'\033'* ]] || fail "colour when not on a terminal"
}

@test "colour only on a terminal, and never with NO_COLOR" {
	snapshot --iommu=off
	run script -qec "$KVM_ASSIGN check --sysroot=$ROOT" /dev/null
	[[ $output == *$'\033[1;31mFAIL'* ]] || fail "no colour on a tty"
	run env NO_COLOR=1 script -qec "$KVM_ASSIGN check --sysroot=$ROOT" /dev/null
	[[ $output != *$'\033'* ]] || fail "colour despite NO_COLOR"
}

@test "--json is one object; -q prints nothing; the exit status is the same" {
	snapshot --iommu=off
	check_json 03:00.0
	assert_failure 9
	assert_equal "${#lines[@]}" 1
	run jq -e '(.items | length) > 20 and .verdict.exit_code == 9 and .device == "0000:03:00.0"' <<<"$output"
	assert_success
	run "$KVM_ASSIGN" -q check --sysroot="$ROOT" 03:00.0
	assert_failure 9
	assert_output ""
}

@test "--sysroot sets libpci's sysfs.path, -O sysfs.path wins; bad --sysroot and a lone --probe are usage errors" {
	snapshot --iommu=on --intremap
	mkdir -p "$BATS_TEST_TMPDIR/empty/devices"
	check_json 03:00.0
	assert_equal "$(item present)" "ok 8086:10d3"
	run "$KVM_ASSIGN" -O sysfs.path="$BATS_TEST_TMPDIR/empty" --json check --sysroot="$ROOT" 03:00.0
	assert_failure 5
	run "$KVM_ASSIGN" check --sysroot=/nonexistent
	assert_failure 2
	assert_line --index 0 "kvm-assign: --sysroot: '/nonexistent': No such file or directory"
	run "$KVM_ASSIGN" check --probe
	assert_failure 2
	assert_line --index 0 --partial "--probe goes with --sysroot"
}

@test "a dump without --sysroot: driver, group and BAR access are SKIP" {
	run "$KVM_ASSIGN" "${PCI_DUMP[@]}" --json check 03:00.0
	assert_equal "$(item driver)" "skip "
	assert_equal "$(item iommu_group)" "skip "
	assert_equal "$(item bar0)" "skip "
}

@test "no leaks and no memory errors (valgrind), with a device and --json" {
	command -v valgrind >/dev/null || fail "valgrind not installed"
	snapshot --iommu=on --driver=0000:03:00.0=e1000e --group=7:0000:03:00.0,0000:03:00.1
	run memcheck "$KVM_ASSIGN" --json check --sysroot="$ROOT" 03:00.0
	assert_failure 9
}

@test "a dump without memfd_create (kernels before 3.17; strace injects ENOSYS): libpci reads the checked copy, an unlinked temp file" {
	command -v strace >/dev/null || fail "this test needs strace (apt-get install strace)"
	snapshot --line=3.10 --iommu=on --intremap --driver=0000:03:00.0=pci-stub
	cp "$DUMP" "$ROOT/lspci.txt"
	mkdir "$BATS_TEST_TMPDIR/tmp"
	TMPDIR=$BATS_TEST_TMPDIR/tmp run strace -f -qq -o "$BATS_TEST_TMPDIR/trace" -e trace=openat,memfd_create,unlink \
		-e inject=memfd_create:error=ENOSYS "$KVM_ASSIGN" check --sysroot="$ROOT" -A dump -O "dump.name=$ROOT/lspci.txt" 03:00.0
	assert_success
	assert_line --regexp '^  OK    present +.*\[8086:10d3\]$'
	run grep -c 'memfd_create(.*ENOSYS.*(INJECTED)' "$BATS_TEST_TMPDIR/trace"
	assert_output 1
	# The temp file, unlinked at once; libpci opens it through /proc, never the dump by name.
	run grep -cE "(openat|unlink)\(.*\"$BATS_TEST_TMPDIR/tmp/kvm-assign-dump\.[A-Za-z0-9]{6}\"" "$BATS_TEST_TMPDIR/trace"
	assert_output 2
	run grep -cE 'openat\(AT_FDCWD, "/proc/self/fd/[0-9]+", O_RDONLY\) = [0-9]+' "$BATS_TEST_TMPDIR/trace"
	assert_output 1
	run grep -c "\"$ROOT/lspci.txt\", O_RDONLY|O_NOCTTY" "$BATS_TEST_TMPDIR/trace"
	assert_output 1
	run ls -A "$BATS_TEST_TMPDIR/tmp"
	assert_output ""
}
