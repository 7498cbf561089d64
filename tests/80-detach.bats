#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# 80-detach.bats - detach and reattach on a fake /sys and /proc (--sysroot),
# with tests/helpers/fake-pci-kernel doing the PCI core's part of each write.

load test_helper

FAKE_KERNEL=$TOP_BUILDDIR/tests/helpers/fake-pci-kernel
NIC=0000:03:00.0 NIC2=0000:03:00.1 BRIDGE=0000:00:1c.0 NVME=0001:02:00.0

setup_file() {
	sysfs_from_dump "$BATS_FILE_TMPDIR/pci"
}

# tree [mksysroot options]: the fake root in $ROOT.  By default both
# functions of the NIC are on e1000e and share IOMMU group 7; the NVMe
# controller is on nvme; pci-stub and vfio-pci are loaded.
tree() {
	local pci d drv
	ROOT=${ROOT_DIR:-$BATS_TEST_TMPDIR/root}
	rm -rf "$ROOT"
	mkdir -p "$ROOT/sys/bus"
	cp -a "$BATS_FILE_TMPDIR/pci" "$ROOT/sys/bus/pci"
	"$FIXTURES/check/mksysroot.sh" "$ROOT" --iommu=on --vfio --group=7:$NIC,$NIC2 \
		--driver=$NIC=e1000e --driver=$NIC2=e1000e --driver=$NVME=nvme --driver=$BRIDGE=pcieport "$@"
	pci=$ROOT/sys/bus/pci
	mkdir -p "$pci/drivers/pci-stub" "$pci/drivers/vfio-pci"
	for d in "$pci"/drivers/*; do : > "$d/bind"; : > "$d/unbind"; done
	for d in "$pci"/devices/*; do echo '(null)' > "$d/driver_override"; done
	: > "$pci/drivers_probe"
	mkdir -p "$ROOT/proc/net" "$ROOT/proc/self" "$ROOT/run/kvm-assign"
	chmod 700 "$ROOT/run/kvm-assign"
	printf 'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n' > "$ROOT/proc/net/route"
	: > "$ROOT/proc/net/if_inet6"
	printf 'Main:\n  +-- 0.0.0.0/0 3 0 5\nLocal:\n  +-- 0.0.0.0/0 3 0 5\n' > "$ROOT/proc/net/fib_trie"
	echo '22 1 0:21 / / rw,relatime shared:1 - tmpfs tmpfs rw' > "$ROOT/proc/self/mountinfo"
	printf 'Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n' > "$ROOT/proc/swaps"
}

# kernel [fake-pci-kernel options]: start the fake PCI core on $ROOT.
kernel() {
	KLOG_W=$BATS_TEST_TMPDIR/writes
	: > "$KLOG_W"
	"$FAKE_KERNEL" --root="$ROOT" --log="$KLOG_W" "$@" > "$BATS_TEST_TMPDIR/fk.out" 2>&1 3>&- &
	FK_PID=$!
	for _ in $(seq 200); do grep -qs '^ready' "$BATS_TEST_TMPDIR/fk.out" && return 0; sleep 0.01; done
	fail "fake-pci-kernel did not start: $(cat "$BATS_TEST_TMPDIR/fk.out")"
}

teardown() {
	[ -z "${FK_PID:-}" ] || kill "$FK_PID" 2>/dev/null || true
	[ -z "${ROOT_DIR:-}" ] || rm -rf "$ROOT_DIR"
	helper_teardown
}

# The writes the fake kernel saw, one "PATH VALUE" line each, PATH under sys/bus/pci.
writes() { sleep 0.05; sed 's|^sys/bus/pci/||' "$KLOG_W"; }
driver_of() { local l; l=$(readlink "$ROOT/sys/bus/pci/devices/$1/driver") && echo "${l##*/}" || echo none; }
override_of() { cat "$ROOT/sys/bus/pci/devices/$1/driver_override"; }
# state: every file's contents and every link of the tree, to compare before
# and after (but the lock file, which each detach and reattach takes).
state() {
	(cd "$ROOT" && find . ! -path ./run/kvm-assign/lock -printf '%p %l\n' | sort &&
		find . -type f ! -path ./run/kvm-assign/lock -print0 | sort -z | xargs -0 md5sum)
}
# records: the records in the record directory (not its lock).
records() { ls "$ROOT/run/kvm-assign" | grep -vx lock; }
# unchanged_since STATE: nothing was written (the fake kernel saw nothing either).
assert_unchanged() {
	assert_equal "$(state)" "$1"
	[ ! -s "$KLOG_W" ] || fail "writes: $(cat "$KLOG_W")"
}
ka() { run "$KVM_ASSIGN" "$@"; }
D() { ka detach --sysroot="$ROOT" "$@"; }
R() { ka reattach --sysroot="$ROOT" "$@"; }
# refused EXIT TEXT args...: one error line with TEXT, exit EXIT, nothing written.
refused() {
	local code=$1 text=$2 before
	shift 2
	sleep 0.05
	: > "$KLOG_W"
	before=$(state)
	run "$KVM_ASSIGN" "$@"
	assert_failure "$code"
	assert_line --index 0 --regexp '^kvm-assign: '
	assert_line --index 0 --partial "$text"
	if [ "$code" = 2 ]; then
		assert_equal "${#lines[@]}" 2
	else
		assert_equal "${#lines[@]}" 1
	fi
	assert_unchanged "$before"
}
# The fixture's e1000e with an interface eth0, up (IFF_UP) or down.
netdev() {
	local n=$ROOT/sys/bus/pci/devices/$NIC/net/eth0
	mkdir -p "$n" "$ROOT/sys/class/net"
	ln -sfn "../../bus/pci/devices/$NIC/net/eth0" "$ROOT/sys/class/net/eth0"
	if [ "$1" = up ]; then echo 0x1003 > "$n/flags"; echo up > "$n/operstate"
	else echo 0x1002 > "$n/flags"; echo down > "$n/operstate"; fi
}

# ------------------------------------------------------------------ detach

@test "detach to pci-stub from e1000e: override, unbind, probe, in that order; a record" {
	tree
	kernel
	D --driver=pci-stub 03:00.0
	assert_success
	assert_output "$NIC: detached from e1000e to pci-stub"
	assert_equal "$(writes)" "devices/$NIC/driver_override pci-stub
drivers/e1000e/unbind $NIC
drivers_probe $NIC"
	assert_equal "$(driver_of $NIC)" pci-stub
	assert_equal "$(driver_of $NIC2)" e1000e
	run grep -v '^#' "$ROOT/run/kvm-assign/$NIC"
	assert_output "version=1
device=$NIC
driver=e1000e
override=
target=pci-stub"
	run ls -a "$ROOT/run/kvm-assign"
	assert_output ".
..
$NIC
lock"
}

@test "-v prints each write as it is made, as a shell command" {
	tree
	kernel
	ka -v detach --sysroot="$ROOT" --driver=pci-stub 03:00.0
	assert_success
	assert_output "# record in $ROOT/run/kvm-assign/$NIC: driver=e1000e override= target=pci-stub
echo pci-stub > $ROOT/sys/bus/pci/devices/$NIC/driver_override
echo $NIC > $ROOT/sys/bus/pci/devices/$NIC/driver/unbind
echo $NIC > $ROOT/sys/bus/pci/drivers_probe
$NIC: detached from e1000e to pci-stub"
}

@test "already on the target driver: says so, exit 0, writes nothing" {
	tree --driver=$NIC=pci-stub
	kernel
	before=$(state)
	D --driver=pci-stub 03:00.0
	assert_success
	assert_output "$NIC: already on pci-stub: nothing to do"
	assert_unchanged "$before"
}

@test "--driver=auto picks pci-stub where the kernel has legacy assignment, vfio-pci where not" {
	tree
	kernel
	run sim --mode=legacy -- "$KVM_ASSIGN" --dry-run detach --sysroot="$ROOT" 03:00.0
	assert_success
	assert_line "echo pci-stub > $ROOT/sys/bus/pci/devices/$NIC/driver_override"
	assert_line "$NIC: would move from e1000e to pci-stub; auto: this kernel has legacy device assignment"
	run sim --mode=removed -- "$KVM_ASSIGN" --dry-run detach --sysroot="$ROOT" --group 03:00.0
	assert_success
	assert_line "echo vfio-pci > $ROOT/sys/bus/pci/devices/$NIC/driver_override"
	assert_line "$NIC: would move from e1000e to vfio-pci; auto: this kernel lacks legacy device assignment"
	run sim --no-dev-kvm -- "$KVM_ASSIGN" detach --sysroot="$ROOT" 03:00.0
	assert_failure 8
	assert_output --partial "$NIC: --driver=auto: cannot tell whether this kernel has legacy assignment"
	[ ! -s "$KLOG_W" ] || fail "writes: $(cat "$KLOG_W")"
}

@test "vfio-pci: a group member still on a host driver is refused, listed with its driver" {
	tree
	kernel
	refused 1 "$NIC: IOMMU group 7 also holds $NIC2 (e1000e) on host drivers: VFIO needs every endpoint of the group off host drivers: add --group to detach them too" \
		detach --sysroot="$ROOT" --driver=vfio-pci 03:00.0
}

@test "vfio-pci: members on no driver, pci-stub or vfio-pci, and bridges, count as off" {
	tree --driver=$NIC2=pci-stub
	kernel
	D --driver=vfio-pci 03:00.0
	assert_success
	assert_output "$NIC: detached from e1000e to vfio-pci"
	assert_equal "$(driver_of $NIC2)" pci-stub
}

@test "--group: every bound endpoint of the group moves, each with its record" {
	tree
	kernel
	D --driver=vfio-pci --group 03:00.0
	assert_success
	assert_output "$NIC: detached from e1000e to vfio-pci
$NIC2: detached from e1000e to vfio-pci; a member of IOMMU group 7"
	assert_equal "$(driver_of $NIC) $(driver_of $NIC2)" "vfio-pci vfio-pci"
	[ -f "$ROOT/run/kvm-assign/$NIC" ] && [ -f "$ROOT/run/kvm-assign/$NIC2" ]
	R --group 03:00.0
	assert_success
	assert_output "$NIC: reattached: from vfio-pci back to e1000e; restored as $ROOT/run/kvm-assign/$NIC recorded
$NIC2: reattached: from vfio-pci back to e1000e; restored as $ROOT/run/kvm-assign/$NIC2 recorded"
	assert_equal "$(driver_of $NIC) $(driver_of $NIC2)" "e1000e e1000e"
	run records
	assert_output ""
}

@test "--group is all or nothing: a member's failed write puts back the ones moved, and says so" {
	tree
	# The second function's driver_override cannot be written: a directory.
	rm "$ROOT/sys/bus/pci/devices/$NIC2/driver_override"
	mkdir "$ROOT/sys/bus/pci/devices/$NIC2/driver_override"
	kernel
	D --driver=vfio-pci --group 03:00.0
	assert_failure 1
	assert_output "kvm-assign: $NIC2: write 'vfio-pci' to $ROOT/sys/bus/pci/devices/$NIC2/driver_override: Is a directory (EISDIR); put back: $NIC (e1000e)"
	assert_equal "$(writes)" "devices/$NIC/driver_override vfio-pci
drivers/e1000e/unbind $NIC
drivers_probe $NIC
devices/$NIC/driver_override 
drivers/vfio-pci/unbind $NIC
drivers/e1000e/bind $NIC"
	assert_equal "$(driver_of $NIC) $(driver_of $NIC2)" "e1000e e1000e"
	run records
	assert_output ""
}

@test "--group all or nothing: a member the kernel does not bind is put back too" {
	tree
	kernel --refuse=$NIC2=vfio-pci
	D --driver=vfio-pci --group 03:00.0
	assert_failure 1
	assert_output "kvm-assign: $NIC2: the kernel did not bind it to vfio-pci: it is on no driver (vfio-pci refuses a device outside an IOMMU group; dmesg says why); put back: $NIC (e1000e), $NIC2 (e1000e)"
	assert_equal "$(driver_of $NIC) $(driver_of $NIC2)" "e1000e e1000e"
	assert_equal "$(override_of $NIC2)" ""
	run records
	assert_output ""
}

@test "two detach --group at once: one moves the group, the other finds it moved (a lock)" {
	tree
	kernel
	"$KVM_ASSIGN" detach --sysroot="$ROOT" --driver=vfio-pci --group 03:00.0 > "$BATS_TEST_TMPDIR/a" 2>&1 3>&- &
	a=$!
	"$KVM_ASSIGN" detach --sysroot="$ROOT" --driver=vfio-pci --group 03:00.1 > "$BATS_TEST_TMPDIR/b" 2>&1 3>&- &
	b=$!
	wait "$a" || fail "first: $(cat "$BATS_TEST_TMPDIR/a")"
	wait "$b" || fail "second: $(cat "$BATS_TEST_TMPDIR/b")"
	assert_equal "$(driver_of $NIC) $(driver_of $NIC2)" "vfio-pci vfio-pci"
	# Six writes, one device's three after the other's: never interleaved.
	run writes
	assert_equal "${#lines[@]}" 6
	assert_equal "$(sed 's/ .*//; s/[0-9a-f:.]*\/driver_override/X/' <<<"$output" | sed -n '1p;4p' | sort -u)" "devices/X"
	run cat "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b"
	assert_line --regexp "already on vfio-pci: nothing to do$"
}

@test "in use: an interface up with an address is refused, naming it; --force detaches anyway" {
	tree
	netdev up
	printf 'eth0\t0002000A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n' >> "$ROOT/proc/net/route"
	cat > "$ROOT/proc/net/fib_trie" <<-'EOT'
	Main:
	  +-- 0.0.0.0/0 3 0 5
	     +-- 10.0.2.0/24 2 0 2
	        |-- 10.0.2.0
	           /24 link UNICAST
	        |-- 10.0.2.15
	           /32 host LOCAL
	Local:
	  +-- 0.0.0.0/0 3 0 5
	     |-- 10.0.2.15
	        /32 host LOCAL
	EOT
	kernel
	refused 1 "$NIC: the host uses it: interface eth0 is up with address 10.0.2.15 (ip link set eth0 down): free it first, or give --force" \
		detach --sysroot="$ROOT" --driver=pci-stub 03:00.0
	D --driver=pci-stub --force 03:00.0
	assert_success
	assert_output "$NIC: detached from e1000e to pci-stub; forced although interface eth0 is up with address 10.0.2.15 (ip link set eth0 down)"
}

@test "in use: an IPv6 address, or only a route; a down interface is not in use" {
	tree
	netdev up
	echo "20010db8000000000000000000000001 02 40 00 80     eth0" > "$ROOT/proc/net/if_inet6"
	echo "fe800000000000000000000000000001 02 40 20 80     eth0" >> "$ROOT/proc/net/if_inet6"
	kernel
	refused 1 "interface eth0 is up with address 2001:db8::1 (ip link set eth0 down)" detach --sysroot="$ROOT" --driver=pci-stub 03:00.0
	: > "$ROOT/proc/net/if_inet6"
	printf 'eth0\t00000000\t0202000A\t0003\t0\t0\t0\t00000000\t0\t0\t0\n' >> "$ROOT/proc/net/route"
	refused 1 "interface eth0 is up with a route to default via 10.0.2.2 (ip link set eth0 down)" detach --sysroot="$ROOT" --driver=pci-stub 03:00.0
	netdev down
	# A virtio-net's interface sits one level down: virtio0/net/.
	v=$ROOT/sys/bus/pci/devices/$NIC2/virtio0/net/eth1
	mkdir -p "$v"
	echo 0x1003 > "$v/flags"
	printf 'eth1\t0001A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n' >> "$ROOT/proc/net/route"
	refused 1 "$NIC2: the host uses it: interface eth1 is up with a route to 192.168.1.0/24 (ip link set eth1 down)" \
		detach --sysroot="$ROOT" --driver=pci-stub 03:00.1
	D --driver=pci-stub 03:00.0
	assert_success
}

@test "in use: a mounted partition, active swap, the boot VGA device" {
	tree
	b=$ROOT/sys/bus/pci/devices/$NVME/nvme/nvme0/nvme0n1
	mkdir -p "$b/nvme0n1p1" "$b/nvme0n1p2"
	echo 259:0 > "$b/dev"; echo 259:1 > "$b/nvme0n1p1/dev"; echo 259:2 > "$b/nvme0n1p2/dev"
	: > "$b/nvme0n1p1/partition"; : > "$b/nvme0n1p2/partition"
	echo '30 22 259:1 / /boot rw,relatime shared:2 - ext4 /dev/nvme0n1p1 rw' >> "$ROOT/proc/self/mountinfo"
	kernel
	refused 1 "$NVME: the host uses it: block device nvme0n1p1 (259:1) is mounted on /boot (umount /boot): free it first, or give --force" \
		detach --sysroot="$ROOT" --driver=pci-stub 0001:02:00.0
	# btrfs: an anonymous device number, the source names the partition.
	sed -i '$d' "$ROOT/proc/self/mountinfo"
	echo '31 22 0:45 / /home rw,relatime shared:3 - btrfs /dev/nvme0n1p1 rw,space_cache' >> "$ROOT/proc/self/mountinfo"
	refused 1 "block device nvme0n1p1 (259:1) is mounted on /home (umount /home)" detach --sysroot="$ROOT" --driver=pci-stub 0001:02:00.0
	sed -i '$d' "$ROOT/proc/self/mountinfo"
	echo '/dev/nvme0n1p2                          partition	8388604		0		-2' >> "$ROOT/proc/swaps"
	refused 1 "block device nvme0n1p2 is active swap (swapoff /dev/nvme0n1p2)" detach --sysroot="$ROOT" --driver=pci-stub 0001:02:00.0
	echo 1 > "$ROOT/sys/bus/pci/devices/$NIC/boot_vga"
	refused 1 "$NIC: the host uses it: it is the boot VGA device, the host's console: free it first, or give --force" \
		detach --sysroot="$ROOT" --driver=pci-stub 03:00.0
	D --driver=pci-stub --force 03:00.0
	assert_success
}

@test "a bridge is refused even with --force; so is a device without BARs" {
	tree
	kernel
	refused 1 "$BRIDGE: a PCI bridge (header type 1): only endpoints can be assigned: detach the devices behind it" \
		detach --sysroot="$ROOT" --driver=pci-stub --force 00:1c.0
	# No BARs: zero the six BAR registers of the second function.
	printf '\0%.0s' $(seq 24) | dd of="$ROOT/sys/bus/pci/devices/$NIC2/config" bs=1 seek=16 conv=notrunc status=none
	refused 1 "$NIC2: no BARs: KVM_ASSIGN_PCI_DEVICE and VFIO refuse a device without resources" \
		detach --sysroot="$ROOT" --driver=pci-stub --force 03:00.1
}

@test "the target driver is not loaded: under --sysroot, say what to load" {
	tree
	rm -r "$ROOT/sys/bus/pci/drivers/pci-stub"
	kernel
	refused 3 "$NIC: driver pci-stub is not loaded (no $ROOT/sys/bus/pci/drivers/pci-stub): load it there: modprobe pci-stub" \
		detach --sysroot="$ROOT" --driver=pci-stub 03:00.0
}

# tree_310 [mksysroot options]: the tree as a kernel before 3.16 has it (as
# 3.10.105): no driver_override; drivers have new_id and remove_id.
tree_310() {
	local d
	tree "$@"
	rm "$ROOT"/sys/bus/pci/devices/*/driver_override
	for d in "$ROOT"/sys/bus/pci/drivers/*; do : > "$d/new_id"; : > "$d/remove_id"; done
}
# kernel_310: the fake PCI core of 3.10; e1000e's static ids take both NICs.
kernel_310() { kernel --no-override --probe=$NIC=e1000e --probe=$NIC2=e1000e "$@"; }
ID="8086 10d3 8086 a000 020000 ffffff"

@test "no driver_override (before 3.16): the stub's new_id with the exact ids, unbind, bind; the id recorded" {
	tree_310
	kernel_310
	D --driver=pci-stub 03:00.0
	assert_success
	assert_output "$NIC: detached from e1000e to pci-stub"
	assert_equal "$(writes)" "drivers/pci-stub/new_id $ID
drivers/e1000e/unbind $NIC
drivers/pci-stub/bind $NIC"
	assert_equal "$(driver_of $NIC)" pci-stub
	assert_equal "$(driver_of $NIC2)" e1000e
	run grep -v '^#' "$ROOT/run/kvm-assign/$NIC"
	assert_output "version=1
device=$NIC
driver=e1000e
override=
target=pci-stub
new_id=$ID"
	: > "$KLOG_W"
	R 03:00.0
	assert_success
	assert_output "$NIC: reattached: from pci-stub back to e1000e; restored as $ROOT/run/kvm-assign/$NIC recorded"
	assert_equal "$(writes)" "drivers/pci-stub/remove_id $ID
drivers/pci-stub/unbind $NIC
drivers/e1000e/bind $NIC"
	assert_equal "$(driver_of $NIC)" e1000e
	[ ! -e "$ROOT/run/kvm-assign/$NIC" ]
	# The id is gone from pci-stub: it no longer takes the device.
	echo $NIC > "$ROOT/sys/bus/pci/drivers/e1000e/unbind"
	echo $NIC > "$ROOT/sys/bus/pci/drivers/pci-stub/bind"
	sleep 0.1
	assert_equal "$(driver_of $NIC)" none
}

@test "no driver_override: a twin on no driver (new_id would bind it too) is refused, named; nothing written" {
	tree_310
	rm "$ROOT/sys/bus/pci/devices/$NIC2/driver"
	kernel_310
	refused 1 "$NIC: no driver_override (Linux before 3.16), and $NIC2 has the same ids and no driver: pci-stub's new_id would bind it too: bind it to a driver first" \
		detach --sysroot="$ROOT" --driver=pci-stub 03:00.0
	# On a driver, the twin is left alone: new_id binds no bound device.
	echo $NIC2 > "$ROOT/sys/bus/pci/drivers_probe"
	sleep 0.1
	D --driver=pci-stub 03:00.0
	assert_success
	assert_equal "$(driver_of $NIC2)" e1000e
}

@test "no driver_override, --group to vfio-pci: one id per device, each recorded and each taken back" {
	tree_310
	kernel_310
	D --driver=vfio-pci --group 03:00.0
	assert_success
	assert_equal "$(writes)" "drivers/vfio-pci/new_id $ID
drivers/e1000e/unbind $NIC
drivers/vfio-pci/bind $NIC
drivers/vfio-pci/new_id $ID
drivers/e1000e/unbind $NIC2
drivers/vfio-pci/bind $NIC2"
	: > "$KLOG_W"
	R --group 03:00.0
	assert_success
	assert_equal "$(writes)" "drivers/vfio-pci/remove_id $ID
drivers/vfio-pci/unbind $NIC
drivers/e1000e/bind $NIC
drivers/vfio-pci/remove_id $ID
drivers/vfio-pci/unbind $NIC2
drivers/e1000e/bind $NIC2"
	assert_equal "$(driver_of $NIC) $(driver_of $NIC2)" "e1000e e1000e"
}

@test "no driver_override: a refused bind is rolled back: the id taken back, the device on e1000e, no record" {
	tree_310
	kernel_310 --refuse=$NIC=pci-stub
	D --driver=pci-stub 03:00.0
	assert_failure 1
	assert_output "kvm-assign: $NIC: the kernel did not bind it to pci-stub: it is on no driver (dmesg says why); put back: $NIC (e1000e)"
	assert_equal "$(writes)" "drivers/pci-stub/new_id $ID
drivers/e1000e/unbind $NIC
drivers/pci-stub/bind $NIC
drivers/pci-stub/remove_id $ID
drivers/e1000e/bind $NIC"
	assert_equal "$(driver_of $NIC)" e1000e
	run records
	assert_output ""
}

@test "no driver_override: --dry-run prints the exact writes, and makes none" {
	tree_310
	kernel_310
	before=$(state)
	ka --dry-run detach --sysroot="$ROOT" --driver=pci-stub 03:00.0
	assert_success
	assert_output "# record in $ROOT/run/kvm-assign/$NIC: driver=e1000e override= target=pci-stub new_id=$ID
echo $ID > $ROOT/sys/bus/pci/drivers/pci-stub/new_id
echo $NIC > $ROOT/sys/bus/pci/devices/$NIC/driver/unbind
echo $NIC > $ROOT/sys/bus/pci/drivers/pci-stub/bind
$NIC: would move from e1000e to pci-stub"
	assert_unchanged "$before"
}

@test "no driver_override, reattach without a record: one 'VVVV DDDD' id back from the stub, unbind, probe" {
	tree_310 --driver=$NIC=pci-stub
	kernel_310
	echo 8086 10d3 > "$ROOT/sys/bus/pci/drivers/pci-stub/new_id"
	sleep 0.1
	: > "$KLOG_W"
	R 03:00.0
	assert_success
	assert_output "$NIC: reattached: from pci-stub back to e1000e; no record of a detach ($ROOT/run/kvm-assign/$NIC; records last until the host reboots): the kernel's probe picked the driver"
	assert_equal "$(writes)" "drivers/pci-stub/remove_id 8086 10d3
drivers/pci-stub/unbind $NIC
drivers_probe $NIC"
	assert_equal "$(driver_of $NIC)" e1000e
}

@test "a failed write names the device, the file and the errno; nothing is left changed" {
	tree
	rm "$ROOT/sys/bus/pci/drivers_probe"
	mkdir "$ROOT/sys/bus/pci/drivers_probe"
	kernel
	D --driver=pci-stub 03:00.0
	assert_failure 1
	assert_output "kvm-assign: $NIC: write '$NIC' to $ROOT/sys/bus/pci/drivers_probe: Is a directory (EISDIR); put back: $NIC (e1000e)"
	assert_equal "$(driver_of $NIC)" e1000e
	assert_equal "$(override_of $NIC)" ""
	run records
	assert_output ""
}

# ---------------------------------------------------------------- reattach

@test "reattach with a record: clears the override, unbinds the stub, binds the recorded driver" {
	tree
	kernel
	D --driver=pci-stub 03:00.0
	assert_success
	: > "$KLOG_W"
	R 03:00.0
	assert_success
	assert_output "$NIC: reattached: from pci-stub back to e1000e; restored as $ROOT/run/kvm-assign/$NIC recorded"
	assert_equal "$(writes)" "devices/$NIC/driver_override 
drivers/pci-stub/unbind $NIC
drivers/e1000e/bind $NIC"
	assert_equal "$(driver_of $NIC)" e1000e
	[ ! -e "$ROOT/run/kvm-assign/$NIC" ]
}

@test "reattach restores the override detach replaced" {
	tree
	echo e1000e > "$ROOT/sys/bus/pci/devices/$NIC/driver_override"
	kernel
	D --driver=pci-stub 03:00.0
	assert_success
	grep -qx override=e1000e "$ROOT/run/kvm-assign/$NIC"
	R 03:00.0
	assert_success
	assert_equal "$(override_of $NIC)" e1000e
	assert_equal "$(driver_of $NIC)" e1000e
}

@test "reattach without a record: says so, and lets the kernel's probe choose (drivers_probe)" {
	tree --driver=$NIC=pci-stub
	echo pci-stub > "$ROOT/sys/bus/pci/devices/$NIC/driver_override"
	kernel --probe=$NIC=e1000e
	R 03:00.0
	assert_success
	assert_output "$NIC: reattached: from pci-stub back to e1000e; no record of a detach ($ROOT/run/kvm-assign/$NIC; records last until the host reboots): the kernel's probe picked the driver"
	assert_equal "$(writes)" "devices/$NIC/driver_override 
drivers/pci-stub/unbind $NIC
drivers_probe $NIC"
	assert_equal "$(driver_of $NIC)" e1000e
}

@test "reattach of a device on its host driver and without a record changes nothing" {
	tree
	kernel
	before=$(state)
	R 03:00.0
	assert_success
	assert_output "$NIC: on the host driver e1000e already: nothing to give back"
	assert_unchanged "$before"
}

@test "a corrupt record is refused, named, with the fix; nothing is written" {
	tree --driver=$NIC=pci-stub
	kernel
	mkdir -p "$ROOT/run/kvm-assign"
	rec=$ROOT/run/kvm-assign/$NIC
	printf 'version=1\ndevice=%s\ndriver=e1000e;rm -rf /\noverride=\ntarget=pci-stub\n' $NIC > "$rec"
	refused 1 "$NIC: record $rec is corrupt: bad driver 'e1000e;rm -rf /': remove it (rm $rec) to let the kernel's probe pick the driver" \
		reattach --sysroot="$ROOT" 03:00.0
	printf 'version=1\ndevice=0000:03:00.1\ndriver=e1000e\noverride=\ntarget=pci-stub\n' > "$rec"
	refused 1 "record $rec is corrupt: bad device '0000:03:00.1'" reattach --sysroot="$ROOT" 03:00.0
	printf 'version=1\ndevice=%s\ndriver=e1000e\ntarget=pci-stub\n' $NIC > "$rec"
	refused 1 "record $rec is corrupt: no override= line" reattach --sysroot="$ROOT" 03:00.0
	printf 'garbage\n' > "$rec"
	refused 1 "record $rec is corrupt: 'garbage' is not KEY=VALUE" reattach --sysroot="$ROOT" 03:00.0
}

@test "a record naming a driver that is gone: the kernel's probe instead, and what to load" {
	tree
	kernel
	D --driver=pci-stub 03:00.0
	assert_success
	mv "$ROOT/sys/bus/pci/drivers/e1000e" "$BATS_TEST_TMPDIR/e1000e.unloaded"
	R 03:00.0
	assert_failure 1
	assert_output "kvm-assign: $NIC: driver e1000e is not loaded: the kernel's probe left the device on no driver: load it (modprobe e1000e), then run kvm-assign reattach $NIC again"
	assert_equal "$(driver_of $NIC)" none
	# The record stays: once the driver is back, reattach finishes the job.
	[ -f "$ROOT/run/kvm-assign/$NIC" ]
	kill "$FK_PID"; FK_PID=
	mv "$BATS_TEST_TMPDIR/e1000e.unloaded" "$ROOT/sys/bus/pci/drivers/e1000e"
	kernel
	R 03:00.0
	assert_success
	assert_equal "$(driver_of $NIC)" e1000e
}

@test "reattach refuses a device a VM still holds (enable count)" {
	tree --driver=$NIC=pci-stub
	echo 1 > "$ROOT/sys/bus/pci/devices/$NIC/enable"
	kernel
	refused 1 "$NIC: still enabled (enable count 1): a VM or a VFIO user holds it: deassign it or stop that VM first" \
		reattach --sysroot="$ROOT" 03:00.0
}

# ------------------------------------------------------- dry run, JSON, input

@test "--dry-run prints every write in order and writes nothing, no record either" {
	tree
	kernel
	before=$(state)
	ka --dry-run detach --sysroot="$ROOT" --driver=vfio-pci --group 03:00.0
	assert_success
	assert_output "# record in $ROOT/run/kvm-assign/$NIC: driver=e1000e override= target=vfio-pci
echo vfio-pci > $ROOT/sys/bus/pci/devices/$NIC/driver_override
echo $NIC > $ROOT/sys/bus/pci/devices/$NIC/driver/unbind
echo $NIC > $ROOT/sys/bus/pci/drivers_probe
# record in $ROOT/run/kvm-assign/$NIC2: driver=e1000e override= target=vfio-pci
echo vfio-pci > $ROOT/sys/bus/pci/devices/$NIC2/driver_override
echo $NIC2 > $ROOT/sys/bus/pci/devices/$NIC2/driver/unbind
echo $NIC2 > $ROOT/sys/bus/pci/drivers_probe
$NIC: would move from e1000e to vfio-pci
$NIC2: would move from e1000e to vfio-pci; a member of IOMMU group 7"
	assert_unchanged "$before"
	D --driver=pci-stub 03:00.0
	before=$(state); : > "$KLOG_W"
	ka --dry-run reattach --sysroot="$ROOT" 03:00.0
	assert_success
	assert_output "echo > $ROOT/sys/bus/pci/devices/$NIC/driver_override
echo $NIC > $ROOT/sys/bus/pci/devices/$NIC/driver/unbind
echo $NIC > $ROOT/sys/bus/pci/drivers/e1000e/bind
# remove the record $ROOT/run/kvm-assign/$NIC
$NIC: would move from pci-stub to e1000e; restored as $ROOT/run/kvm-assign/$NIC recorded"
	assert_unchanged "$before"
}

@test "--json: one object per device with the driver before and after" {
	tree
	kernel
	ka --json detach --sysroot="$ROOT" --driver=vfio-pci --group 03:00.0
	assert_success
	run jq -r '[.operation, .device, .before, .after, .changed, .dry_run, .record] | @tsv' <<<"$output"
	assert_output "$(printf 'detach\t%s\te1000e\tvfio-pci\ttrue\tfalse\t%s\n' $NIC "$ROOT/run/kvm-assign/$NIC"; printf 'detach\t%s\te1000e\tvfio-pci\ttrue\tfalse\t%s' $NIC2 "$ROOT/run/kvm-assign/$NIC2")"
	ka --json detach --sysroot="$ROOT" --driver=vfio-pci 03:00.0
	assert_success
	run jq -r '[.device, .before, .after, .changed, .record, .message] | @tsv' <<<"$output"
	assert_output "$(printf '%s\tvfio-pci\tvfio-pci\tfalse\t\talready on vfio-pci: nothing to do' $NIC)"
	ka --json reattach --sysroot="$ROOT" 03:00.0
	assert_success
	run jq -r '[.operation, .before, .after, .changed] | @tsv' <<<"$output"
	assert_output "$(printf 'reattach\tvfio-pci\te1000e\ttrue')"
}

# ESC, a screen clear and a newline that would forge a line of kvm-assign's own.
FORGE=$'\e[2J\nkvm-assign: FORGED'
SHOWN='\x1b[2J\x0akvm-assign: FORGED'

@test "a driver's name with ESC and a newline is shown escaped by detach, reattach, -v and --dry-run; --json stays JSON" {
	tree --driver=$NIC="e1000e$FORGE"
	kernel
	ka --json --dry-run detach --sysroot="$ROOT" --driver=pci-stub 03:00.0
	run jq -r .before <<<"$(grep '^{' <<<"$output")"
	assert_success
	[ -z "$output" ] || assert_output "e1000e$FORGE"
	# Whether detach takes such a device or refuses it, the name is shown escaped.
	for how in --dry-run -v; do
		ka $how detach --sysroot="$ROOT" --driver=pci-stub 03:00.0
		no_escape
		refute_line --regexp '^kvm-assign: FORGED'
		assert_output --partial "e1000e$SHOWN"
	done
	# Without a record, the kernel's probe binds a driver of that name: reattach says so escaped.
	kill "$FK_PID"
	tree --driver=$NIC=pci-stub
	echo pci-stub > "$ROOT/sys/bus/pci/devices/$NIC/driver_override"
	mkdir "$ROOT/sys/bus/pci/drivers/e1000e$FORGE"
	kernel --probe="$NIC=e1000e$FORGE"
	ka -v reattach --sysroot="$ROOT" 03:00.0
	assert_success
	no_escape
	assert_line --partial "$NIC: reattached: from pci-stub back to e1000e$SHOWN; no record"
	refute_line --regexp '^kvm-assign: FORGED'
}

@test "an interface's name with ESC is shown escaped in detach --force's note" {
	tree
	n=$ROOT/sys/bus/pci/devices/$NIC/net/$'eth0\e[31m'
	mkdir -p "$n" "$ROOT/sys/class/net"
	echo 0x1003 > "$n/flags"; echo up > "$n/operstate"
	printf 'eth0\e[31m\t0002000A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n' >> "$ROOT/proc/net/route"
	kernel
	D --driver=pci-stub --force 03:00.0
	assert_success
	no_escape
	assert_output --partial 'forced although interface eth0\x1b[31m is up'
}

@test "bad input: one line, the documented exit code, nothing written" {
	tree
	kernel
	refused 5 "0000:07:00.0: no such device (no $ROOT/sys/bus/pci/devices/0000:07:00.0): lspci -D lists the devices" \
		detach --sysroot="$ROOT" --driver=pci-stub 07:00.0
	refused 5 "0000:07:00.0: no such device" reattach --sysroot="$ROOT" 07:00.0
	refused 2 "--driver: 'e1000e' is not a driver detach binds to: pci-stub, vfio-pci or auto" \
		detach --sysroot="$ROOT" --driver=e1000e 03:00.0
	refused 2 "--driver: 'nouveau' is not a driver detach binds to" detach --sysroot="$ROOT" --driver=nouveau 03:00.0
	refused 2 "device '03:00': not a PCI address" detach --sysroot="$ROOT" 03:00
	refused 2 "no device given" detach --sysroot="$ROOT" --driver=pci-stub
	refused 2 "no device given" reattach --sysroot="$ROOT"
	refused 2 "unexpected argument '03:00.1'" detach --sysroot="$ROOT" 03:00.0 03:00.1
	refused 2 "--sysroot: '$ROOT/nowhere': No such file or directory" detach --sysroot="$ROOT/nowhere" 03:00.0
	refused 2 "--force: unknown option" reattach --sysroot="$ROOT" --force 03:00.0
}

@test "without permission to write sysfs: exit 4, the file named, run as root" {
	# Readable by nobody, as the tree in /tmp; the record directory nobody's alone.
	ROOT_DIR=$(mktemp -d /tmp/kvm-assign-detach.XXXXXX)
	tree
	chmod -R a+rX "$ROOT"
	chown 65534:65534 "$ROOT/run/kvm-assign"
	chmod 0700 "$ROOT/run/kvm-assign"
	kernel
	nobody_copy "$KVM_ASSIGN"
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$NOBODY_DIR/kvm-assign" detach --sysroot="$ROOT" --driver=pci-stub 03:00.0
	assert_failure 4
	assert_output "kvm-assign: $NIC: write 'pci-stub' to $ROOT/sys/bus/pci/devices/$NIC/driver_override: Permission denied (EACCES): run as root, with /sys mounted read-write; put back: nothing had moved"
	assert_equal "$(driver_of $NIC)" e1000e
}

# ------------------------------------- the record directory and its lock

REC_DIR_FIX="it must be root's alone (0700), as its records decide what reattach binds"

@test "record directory owned by another user, or writable by others: refused, nothing written" {
	tree
	kernel
	chown 65534 "$ROOT/run/kvm-assign"
	refused 1 "$NIC: the record directory $ROOT/run/kvm-assign is owned by uid 65534, not by uid 0: $REC_DIR_FIX" \
		detach --sysroot="$ROOT" --driver=pci-stub 03:00.0
	chown 0 "$ROOT/run/kvm-assign"
	chmod 0777 "$ROOT/run/kvm-assign"
	refused 1 "$NIC: the record directory $ROOT/run/kvm-assign is mode 0777: others can write records into it: $REC_DIR_FIX" \
		reattach --sysroot="$ROOT" 03:00.0
	refused 1 "$ROOT/run/kvm-assign is mode 0777" --dry-run reattach --sysroot="$ROOT" 03:00.0
}

@test "an old 0755 record directory of root's is made 0700; a missing one is made 0700" {
	tree
	kernel
	chmod 0755 "$ROOT/run/kvm-assign"
	D --driver=pci-stub 03:00.0
	assert_success
	assert_equal "$(stat -c %a "$ROOT/run/kvm-assign") $(stat -c %a "$ROOT/run/kvm-assign/lock")" "700 600"
	R 03:00.0
	assert_success
	rm -r "$ROOT/run"
	D --driver=pci-stub 03:00.0
	assert_success
	assert_equal "$(stat -c %a "$ROOT/run/kvm-assign")" 700
}

@test "run or run/kvm-assign a symlink elsewhere: refused, nothing created outside the root" {
	tree
	kernel
	mkdir "$BATS_TEST_TMPDIR/elsewhere"
	rm -r "$ROOT/run"
	ln -s "$BATS_TEST_TMPDIR/elsewhere" "$ROOT/run"
	refused 1 "$NIC: the record directory $ROOT/run/kvm-assign is it or its parent is a symlink or not a directory" \
		detach --sysroot="$ROOT" --driver=pci-stub 03:00.0
	rm "$ROOT/run"
	mkdir -m 0755 "$ROOT/run"
	chmod 0700 "$BATS_TEST_TMPDIR/elsewhere"
	ln -s "$BATS_TEST_TMPDIR/elsewhere" "$ROOT/run/kvm-assign"
	refused 1 "is it or its parent is a symlink or not a directory" detach --sysroot="$ROOT" --driver=pci-stub 03:00.0
	run ls -A "$BATS_TEST_TMPDIR/elsewhere"
	assert_output ""
}

@test "another user cannot hold the lock: nobody's flock on the (old, 0755) directory blocks nothing" {
	ROOT_DIR=$(mktemp -d /tmp/kvm-assign-detach.XXXXXX)
	tree
	chmod 0755 "$ROOT" "$ROOT/run" "$ROOT/run/kvm-assign"
	kernel
	setpriv --reuid=65534 --regid=65534 --clear-groups flock "$ROOT/run/kvm-assign" sleep 15 3>&- &
	blocker=$!
	sleep 0.5
	run timeout 10 "$KVM_ASSIGN" --timeout=2 detach --sysroot="$ROOT" --driver=pci-stub 03:00.0
	kill $blocker 2>/dev/null; wait $blocker || true
	assert_success
	assert_equal "$(stat -c %a "$ROOT/run/kvm-assign")" 700
	# Now nobody cannot open the directory, nor the lock in it.
	run setpriv --reuid=65534 --regid=65534 --clear-groups flock -n "$ROOT/run/kvm-assign/lock" true
	assert_failure
}

@test "a held lock: a bounded wait (--timeout), naming the holder's pid" {
	tree
	kernel
	echo 4242 > "$ROOT/run/kvm-assign/lock"
	chmod 0600 "$ROOT/run/kvm-assign/lock"
	flock "$ROOT/run/kvm-assign/lock" sleep 30 3>&- &
	holder=$!
	sleep 0.3
	start=$SECONDS
	ka --timeout=1 detach --sysroot="$ROOT" --driver=pci-stub 03:00.0
	assert_failure 1
	assert_output "kvm-assign: $NIC: $ROOT/run/kvm-assign/lock is held by pid 4242 (another kvm-assign): waited --timeout; wait for it to finish, or give a longer --timeout"
	[ $((SECONDS - start)) -le 4 ] || fail "waited $((SECONDS - start)) s"
	assert_equal "$(driver_of $NIC)" e1000e
	kill $holder; wait $holder || true
	assert_equal "$(driver_of $NIC)" e1000e
}

@test "a record that is a symlink (outside the root, or to another record) or a FIFO: refused at once, not followed" {
	tree --driver=$NIC=pci-stub
	kernel
	rec=$ROOT/run/kvm-assign/$NIC
	echo "SECRET first line" > "$BATS_TEST_TMPDIR/secret"
	ln -s "$BATS_TEST_TMPDIR/secret" "$rec"
	refused 1 "$NIC: record $rec: a symlink: remove it (rm $rec)" reattach --sysroot="$ROOT" 03:00.0
	refute_output --partial SECRET
	rm "$rec"
	printf 'version=1\ndevice=%s\ndriver=e1000e\noverride=\ntarget=pci-stub\n' $NIC2 > "$ROOT/run/kvm-assign/$NIC2"
	ln -s "$NIC2" "$rec"
	refused 1 "$NIC: record $rec: a symlink" reattach --sysroot="$ROOT" 03:00.0
	rm "$rec" "$ROOT/run/kvm-assign/$NIC2"
	mkfifo "$rec"
	run timeout 10 "$KVM_ASSIGN" reattach --sysroot="$ROOT" 03:00.0
	assert_failure 1
	assert_output --partial "record $rec: not a regular file of root's"
	run timeout 10 "$KVM_ASSIGN" --dry-run reattach --sysroot="$ROOT" 03:00.0
	assert_failure 1
}

@test "a record naming driver=.. is refused; a record's driver is never given to modprobe" {
	tree --driver=$NIC=pci-stub
	kernel
	rec=$ROOT/run/kvm-assign/$NIC
	printf 'version=1\ndevice=%s\ndriver=..\noverride=\ntarget=pci-stub\n' $NIC > "$rec"
	refused 1 "$NIC: record $rec is corrupt: bad driver '..'" reattach --sysroot="$ROOT" 03:00.0
}

@test "devices/X/config a FIFO: detach and --dry-run detach do not hang" {
	tree
	kernel
	rm "$ROOT/sys/bus/pci/devices/$NIC/config"
	mkfifo "$ROOT/sys/bus/pci/devices/$NIC/config"
	run timeout 10 "$KVM_ASSIGN" --dry-run detach --sysroot="$ROOT" --driver=pci-stub 03:00.0
	[ "$status" -ne 124 ] || fail "--dry-run detach hung on a FIFO config"
	run timeout 10 "$KVM_ASSIGN" detach --sysroot="$ROOT" --driver=pci-stub 03:00.0
	[ "$status" -ne 124 ] || fail "detach hung on a FIFO config"
}

@test "check names 'kvm-assign detach DEVICE' as the fix for a device on a host driver" {
	tree
	run "$KVM_ASSIGN" --json check --sysroot="$ROOT" 03:00.0
	assert_equal "$(item driver)" "fail e1000e"
	assert_equal "$(item_field driver fix)" "kvm-assign detach $NIC"
}

@test "no leaks and no memory errors (valgrind): detach --group, reattach --group, a rollback" {
	command -v valgrind >/dev/null || fail "valgrind not installed"
	tree
	kernel
	vg=(memcheck)
	run "${vg[@]}" "$KVM_ASSIGN" --json detach --sysroot="$ROOT" --driver=vfio-pci --group 03:00.0
	assert_success
	run "${vg[@]}" "$KVM_ASSIGN" reattach --sysroot="$ROOT" --group 03:00.0
	assert_success
	rm "$ROOT/sys/bus/pci/devices/$NIC2/driver_override"
	mkdir "$ROOT/sys/bus/pci/devices/$NIC2/driver_override"
	run "${vg[@]}" "$KVM_ASSIGN" detach --sysroot="$ROOT" --driver=vfio-pci --group 03:00.0
	assert_failure 1
	netdev up
	printf 'eth0\t0002000A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n' >> "$ROOT/proc/net/route"
	run "${vg[@]}" "$KVM_ASSIGN" detach --sysroot="$ROOT" --driver=pci-stub 03:00.0
	assert_failure 1
}

@test "a driver's name with ESC and a newline is refused before any write: it cannot forge a line in the record" {
	tree --driver=$NIC="e1000e$FORGE"
	kernel
	refused 1 "$NIC: its driver's name 'e1000e$SHOWN' is not one name of a driver (letters, digits, '_', '-', '.')" \
		detach --sysroot="$ROOT" --driver=pci-stub 03:00.0
	[ -z "$(records)" ] || fail "a record was written: $(records)"
	# Its override too, and in --dry-run.
	kill "$FK_PID"
	tree
	printf 'e1000e\e[2J\n' > "$ROOT/sys/bus/pci/devices/$NIC/driver_override"
	kernel
	refused 1 "$NIC: its driver_override 'e1000e\x1b[2J' is not one name of a driver (letters, digits, '_', '-', '.'): nothing written, as it would go into the record: clear the override by hand" \
		--dry-run detach --sysroot="$ROOT" --driver=pci-stub 03:00.0
}

@test "a record's driver is one name of a driver present in sysfs: '+', '/', '..' or an absent directory refused" {
	tree --driver=$NIC=pci-stub
	kernel
	rec=$ROOT/run/kvm-assign/$NIC
	for drv in 'e1000e+x' 'a/b' '..'; do
		printf 'version=1\ndevice=%s\ndriver=%s\noverride=\ntarget=pci-stub\n' $NIC "$drv" > "$rec"
		refused 1 "record $rec is corrupt: bad driver '$drv'" reattach --sysroot="$ROOT" 03:00.0
	done
}

@test "detach to pci-stub, then to vfio-pci: the record keeps e1000e, and reattach restores it" {
	tree
	kernel
	D --driver=pci-stub 03:00.0 --group
	assert_success
	D --driver=vfio-pci --group 03:00.0
	assert_success
	assert_equal "$(driver_of $NIC)" vfio-pci
	run grep -x 'driver=e1000e' "$ROOT/run/kvm-assign/$NIC"
	assert_success
	R --group 03:00.0
	assert_success
	assert_equal "$(driver_of $NIC)" e1000e
	assert_equal "$(override_of $NIC)" ''
}
