#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# real-kernel.sh - runs tests/real-kernel/*.bats inside Debian's stock kernel
# booted under QEMU (TCG) with a real /dev/kvm, and prints their TAP as its own.
#
# Needs qemu-system-x86, busybox-static, bats, apt-get (kernel download, then
# cached in $KVM_ASSIGN_TEST_CACHE). It never skips on its own: a missing piece
# is a "Bail out!". KVM_ASSIGN_SKIP_REAL_KERNEL=1 skips it, but not when CI=true.
# KVM_ASSIGN_KERNEL_PKG pins the kernel package (default: what linux-image-amd64
# depends on); KVM_ASSIGN_REAL_KERNEL_TIMEOUT bounds the guest, and
# KVM_ASSIGN_REAL_KERNEL_TEST_TIMEOUT each inner test (seconds).
# KVM_ASSIGN_RK_MACHINE=q35-iommu boots QEMU's q35 with an emulated Intel IOMMU
# (interrupt remapping on, intel_iommu=on) and runs tests/real-kernel/iommu/.
# Usage: real-kernel.sh [FILE.bats...]   (default: all of the machine's suite)

set -u

here=$(cd "$(dirname "$0")" && pwd)
TOP_SRCDIR=${TOP_SRCDIR:-$(dirname "$here")}
TOP_BUILDDIR=${TOP_BUILDDIR:-$TOP_SRCDIR}
KVM_ASSIGN=${KVM_ASSIGN:-$TOP_BUILDDIR/src/kvm-assign}
KVM_SIM=${KVM_SIM:-$TOP_BUILDDIR/tests/sim/kvm-sim}
STUB_VMM=${STUB_VMM:-$TOP_BUILDDIR/tests/vmm/stub-vmm}
BATS_LIB_PATH=${BATS_LIB_PATH:-/usr/lib/bats}
CACHE=${KVM_ASSIGN_TEST_CACHE:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/kvm-assign-tests}
TIMEOUT=${KVM_ASSIGN_REAL_KERNEL_TIMEOUT:-480}
SUITE=$TOP_SRCDIR/tests/real-kernel
INIT=$SUITE/init.sh
# The machine: QEMU's default pc, or q35 with an Intel IOMMU (for check).
case ${KVM_ASSIGN_RK_MACHINE:-pc} in
pc) MACHINE_ARGS= ; MACHINE_APPEND= ; SUITE_DIR=tests/real-kernel ;;
q35-iommu)
	# The IOMMU must exist before the devices it translates.
	MACHINE_ARGS="-machine q35 -device intel-iommu,intremap=on"
	MACHINE_APPEND=" intel_iommu=on"
	SUITE_DIR=tests/real-kernel/iommu ;;
*) echo "Bail out! real kernel: unknown KVM_ASSIGN_RK_MACHINE '$KVM_ASSIGN_RK_MACHINE'"; exit 1 ;;
esac
# The emulated PCI device the inner tests use: e1000e has MSI-X (5 vectors).
RK_DEVICE=0000:00:03.0
# insmod order: each module after those it depends on (modinfo depends=).
MODULES="irqbypass ccp kvm kvm-amd virtio_ring virtio virtio_pci_legacy_dev
virtio_pci_modern_dev virtio_pci 9pnet 9pnet_virtio netfs fscache 9p"

start=$(date +%s)
run=
cleanup() { [ -n "$run" ] && rm -rf "$run"; }
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

bail() {
	echo "Bail out! real kernel: $*"
	exit 1
}
log_tail() {	# show a log as TAP comments
	[ -s "$1" ] || return 0
	echo "# --- last lines of $2 ---"
	tail -n "${3:-40}" "$1" | tr -d '\r' | sed 's/^/# /'
}

if [ "${KVM_ASSIGN_SKIP_REAL_KERNEL:-0}" = 1 ]; then
	[ "${CI:-}" = true ] &&
		bail "KVM_ASSIGN_SKIP_REAL_KERNEL=1 is refused when CI=true"
	echo "1..0 # SKIP real-kernel tests: KVM_ASSIGN_SKIP_REAL_KERNEL=1"
	exit 0
fi

for tool in qemu-system-x86_64 busybox bats apt-get apt-cache dpkg gzip timeout; do
	command -v "$tool" >/dev/null 2>&1 ||
		bail "'$tool' not found (packages: qemu-system-x86 busybox-static bats apt dpkg gzip coreutils)"
done
busybox=$(command -v busybox)
ldd "$busybox" >/dev/null 2>&1 &&
	bail "$busybox is dynamically linked: install busybox-static"
[ -r "$INIT" ] || bail "$INIT missing"
mkdir -p "$CACHE" || bail "cannot create cache $CACHE"

# --- the kernel: Debian's stock package, unpacked once --------------------
pkg=${KVM_ASSIGN_KERNEL_PKG:-}
[ -n "$pkg" ] || pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
	sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n 1)
[ -n "$pkg" ] || pkg=$(apt-cache pkgnames linux-image-6.1.0- 2>/dev/null |
	grep -E '^linux-image-6\.1\.0-[0-9]+-amd64$' | sort -V | tail -n 1)
[ -n "$pkg" ] || pkg=$(cd "$CACHE" && ls -d linux-image-*-amd64 2>/dev/null |
	sort -V | tail -n 1)
[ -n "$pkg" ] ||
	bail "no linux-image-*-amd64 known to apt-cache nor cached (run apt-get update)"

fetch_kernel() {	# $1 = package: leaves $CACHE/$1/{vmlinuz,kver,modules/*.ko}
	tmp=$(mktemp -d "$CACHE/.fetch.XXXXXX") || return 1
	dl() { (cd "$tmp" && apt-get download -o APT::Sandbox::User=root "$1"); }
	if ! dl "$1" >"$tmp/log" 2>&1; then
		# A fresh CI machine may not have apt lists yet.
		[ "$(id -u)" = 0 ] && apt-get update -qq >>"$tmp/log" 2>&1 &&
			dl "$1" >>"$tmp/log" 2>&1 ||
			{ log_tail "$tmp/log" "apt-get download $1"; rm -rf "$tmp"; return 1; }
	fi
	dpkg -x "$tmp"/*.deb "$tmp/x" || { rm -rf "$tmp"; return 1; }
	kver=$(ls "$tmp/x/lib/modules")
	mkdir -p "$tmp/k/modules"
	cp "$tmp/x/boot/vmlinuz-$kver" "$tmp/k/vmlinuz" || { rm -rf "$tmp"; return 1; }
	for m in $MODULES; do
		f=$(find "$tmp/x/lib/modules/$kver/kernel" -name "$m.ko*" | head -n 1)
		case $f in
		*.ko) cp "$f" "$tmp/k/modules/$m.ko" ;;
		*.ko.xz) xz -dc "$f" >"$tmp/k/modules/$m.ko" ;;
		*.ko.zst) zstd -qdc "$f" >"$tmp/k/modules/$m.ko" ;;
		*) echo "# module $m not in $1"; rm -rf "$tmp"; return 1 ;;
		esac || { rm -rf "$tmp"; return 1; }
	done
	echo "$kver" >"$tmp/k/kver"
	rm -rf "${CACHE:?}/$1" && mv "$tmp/k" "$CACHE/$1"
	rm -rf "$tmp"
}
kdir=$CACHE/$pkg
# One fetch at a time: make -j may run this and real-kernel-iommu.sh at once.
exec 9>"$CACHE/.lock" && flock 9 || bail "cannot lock $CACHE/.lock"
if [ ! -s "$kdir/kver" ]; then
	echo "# fetching $pkg into $CACHE"
	fetch_kernel "$pkg" || bail "cannot download or unpack $pkg"
fi
kver=$(cat "$kdir/kver")

# --- the initramfs: busybox, the modules, init.sh; cached by content -------
key=$( { cat "$INIT"; echo "$MODULES"; "$busybox" 2>&1 | head -n 1; } |
	sha256sum | cut -c1-16)
initrd=$CACHE/initrd-$kver-$key.gz
if [ ! -s "$initrd" ]; then
	tmp=$(mktemp -d "$CACHE/.initrd.XXXXXX") || bail "mktemp failed"
	mkdir -p "$tmp/root/bin" "$tmp/root/etc" "$tmp/root/dev" "$tmp/root/proc" \
		"$tmp/root/sys" "$tmp/root/mnt/host" "$tmp/root/results" "$tmp/root/lib"
	cp "$busybox" "$tmp/root/bin/busybox" &&
		cp "$INIT" "$tmp/root/init" && chmod 755 "$tmp/root/init" &&
		cp -r "$kdir/modules" "$tmp/root/lib/" &&
		printf '%s\n' $MODULES >"$tmp/root/etc/modules" &&
		(cd "$tmp/root" && find . | "$busybox" cpio -o -H newc 2>/dev/null |
			gzip -1) >"$tmp/initrd.gz" &&
		mv "$tmp/initrd.gz" "$initrd" ||
		{ rm -rf "$tmp"; bail "cannot build the initramfs"; }
	rm -rf "$tmp"
fi

flock -u 9 && exec 9>&-

# --- the shares: host root, the trees at their own paths, the results ------
run=$(mktemp -d "${TMPDIR:-/tmp}/kvm-assign-rk.XXXXXX") || bail "mktemp failed"
mkdir "$run/results"
src=$(cd "$TOP_SRCDIR" && pwd -P) || bail "no source tree $TOP_SRCDIR"
build=$(cd "$TOP_BUILDDIR" && pwd -P) || bail "no build tree $TOP_BUILDDIR"
share() { echo "-virtfs local,path=$1,mount_tag=$2,security_model=none${3:+,$3}"; }
shares="$(share / hostroot readonly=on,multidevs=remap) $(share "$run/results" results)"
case $build in
"$src") trees="build" ;;
"$src"/*) trees="src build" ;;
*) trees="build src" ;;
esac
for t in $trees; do
	eval "dir=\$$t"
	shares="$shares $(share "$dir" "$t" readonly=on)"
done
suite=$src/$SUITE_DIR
if [ $# -gt 0 ]; then
	suite=
	for f; do suite="$suite $src/$SUITE_DIR/${f#*"$SUITE_DIR"/}"; done
fi
cat >"$run/results/env" <<EOF
RK_TREES='$trees'
RK_TREE_src='$src'
RK_TREE_build='$build'
RK_SUITE='$suite'
RK_DEVICE='$RK_DEVICE'
RK_SUITE_TIMEOUT='$((TIMEOUT - 120))'
RK_TEST_TIMEOUT='${KVM_ASSIGN_REAL_KERNEL_TEST_TIMEOUT:-60}'
KVM_ASSIGN='$KVM_ASSIGN'
KVM_SIM='$KVM_SIM'
STUB_VMM='$STUB_VMM'
TOP_SRCDIR='$TOP_SRCDIR'
TOP_BUILDDIR='$TOP_BUILDDIR'
BATS_LIB_PATH='$BATS_LIB_PATH'
EOF

# --- one boot for the whole suite -----------------------------------------
# Paths with spaces would break $shares; Automake build trees rarely have them.
# mitigations=off: syscalls and forks cost far less under TCG. A locked-up
# guest panics after 40 s instead of sitting out the timeout. The e1000e is
# placed before the 9p devices take slot 3.
# One vCPU: with -smp 2, QEMU's multi-threaded TCG locked a vCPU up (soft
# lockup at finish_task_switch+0x9f, or the whole guest) when the kernel
# live-patched the jump label KVM flips at each first VM and last close
# while the other vCPU ran it; 00-infra.bats's churn test provoked it in 2
# of 2 boots with -smp 2, never with -smp 1. One vCPU was also faster.
# shellcheck disable=SC2086
timeout -k 10 "$TIMEOUT" qemu-system-x86_64 -accel tcg -cpu max -m 1024 -smp 1 \
	$MACHINE_ARGS -nodefaults -display none -no-reboot \
	-kernel "$kdir/vmlinuz" -initrd "$initrd" \
	-append "console=ttyS0 quiet panic=-1 mitigations=off softlockup_panic=1 watchdog_thresh=20$MACHINE_APPEND" \
	-serial "file:$run/console.log" \
	-device e1000e,addr=03.0,netdev=nic0 -netdev user,id=nic0,restrict=on \
	$shares \
	</dev/null >"$run/qemu.log" 2>&1
rc=$?
took=$(( $(date +%s) - start ))

res=$run/results
if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
	why="the guest did not finish within ${TIMEOUT}s (killed)"
elif [ -s "$res/hung" ]; then
	why="the suite ran over $((TIMEOUT - 120))s (guest uptime); see the processes above"
	log_tail "$res/hung" "processes in the guest" 200 >"$run/hung.txt"
elif [ -s "$res/failed" ]; then
	why="guest init: $(cat "$res/failed")"
elif [ ! -s "$res/status" ]; then
	why="the guest stopped before the suite finished (qemu exit $rc)"
elif ! grep -q '^1\.\.[0-9]' "$res/tap" 2>/dev/null; then
	why="the inner bats printed no TAP plan (bats exit $(cat "$res/status"))"
else
	why=
fi

[ -f "$res/tap" ] && cat "$res/tap"
echo "# real kernel $kver ($pkg) on ${KVM_ASSIGN_RK_MACHINE:-pc}, ${took}s in all, cache $CACHE"
[ -f "$res/timing" ] && sed 's/^/# guest /' "$res/timing"
log_tail "$res/stderr" "inner bats stderr"
[ -f "$run/hung.txt" ] && cat "$run/hung.txt"
if [ -n "$why" ]; then
	log_tail "$run/qemu.log" "qemu output"
	log_tail "$run/console.log" "guest console"
	bail "$why"
fi
exit 0
