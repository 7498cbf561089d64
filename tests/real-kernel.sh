#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# real-kernel.sh - runs tests/real-kernel/*.bats inside Debian's stock kernel
# booted under QEMU (TCG) with a real /dev/kvm, and prints their TAP as its own.
#
# Needs qemu-system-x86, busybox-static, bats, apt-get (kernel download, then
# cached in $KVM_ASSIGN_TEST_CACHE). It never skips on its own (but for a
# missing legacy kernel, below): a missing piece is a "Bail out!".
# KVM_ASSIGN_SKIP_REAL_KERNEL=1 skips it, but not when CI=true.
# KVM_ASSIGN_KERNEL_PKG pins the kernel package (default: what linux-image-amd64
# depends on); KVM_ASSIGN_REAL_KERNEL_TIMEOUT bounds the guest, and
# KVM_ASSIGN_REAL_KERNEL_TEST_TIMEOUT each inner test (seconds).
# KVM_ASSIGN_RK_MACHINE=q35-iommu boots QEMU's q35 with an emulated Intel IOMMU
# (interrupt remapping on, intel_iommu=on) and runs tests/real-kernel/iommu/.
#
# KVM_ASSIGN_RK_KERNEL=legacy boots instead a Linux with legacy device
# assignment built in (everything built in: no modules, no download), of the
# line KVM_ASSIGN_RK_LINE names: 3.10 (3.10.105), 4.1 (4.1.15, the default)
# or 4.9 (4.9.229). The kernel is tests/kernels/bzImage-VERSION-legacy of the
# source tree (tests/kernels/README), or KVM_ASSIGN_LEGACY_KERNEL (the file,
# or a directory holding bzImage-VERSION-legacy); it must match the
# SHA256SUMS beside it. Nothing else is looked at: no other folder, no cache.
# Missing: a TAP skip, but a "Bail out!" when CI=true. Its machines
# (KVM_ASSIGN_RK_MACHINE) are q35 with a PCIe root port at 00:04.0 and a
# second e1000e behind it (01:00.0):
#   legacy             intel-iommu,intremap=on + intel_iommu=on
#   legacy-nointremap  intel-iommu,intremap=off + intel_iommu=on
#   legacy-noiommu     no IOMMU at all
# Their suites: tests/legacy-kernel/, and its nointremap/ and noiommu/.
# KVM_ASSIGN_RK_APPEND adds to the kernel command line; KVM_ASSIGN_RK_SUITE
# names another suite directory (below the source tree) to run.
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
# Budgets that catch hangs, not slowness: a test that takes 5 s on an idle
# machine took 58 s on one loaded to a load average of 20.
TIMEOUT=${KVM_ASSIGN_REAL_KERNEL_TIMEOUT:-900}
SUITE=$TOP_SRCDIR/tests/real-kernel
INIT=$SUITE/init.sh
KERNEL=${KVM_ASSIGN_RK_KERNEL:-debian}
MACHINE=${KVM_ASSIGN_RK_MACHINE:-pc}
# The machine: QEMU's default pc, or q35 with an Intel IOMMU (for check); the
# legacy kernel's q35 machines also have a bridge (its assign answers EPERM).
# The IOMMU must exist before the devices it translates.
IOMMU_ON="-machine q35 -device intel-iommu,intremap=on"
BRIDGE="-device pcie-root-port,id=rp1,chassis=1,addr=04.0
-device e1000e,bus=rp1,netdev=nic1 -netdev user,id=nic1,restrict=on"
# 4.1's getrandom() blocks until its pool has 128 bits of credited entropy,
# which an idle TCG guest may not gather for minutes (jq calls it): credit a
# virtio RNG's output (rng_core.default_quality) so the pool fills at boot.
RNG="-device virtio-rng-pci"
RNG_APPEND=" rng_core.default_quality=1000"
# Under load the legacy kernels' boot-time check that the timer interrupt
# reaches the CPU through the remapped IO-APIC can time out under TCG, and
# the guest panics ("timer doesn't work through Interrupt-remapped
# IO-APIC"): no_timer_check skips that check (the timer works).
LK_APPEND="$RNG_APPEND no_timer_check"
case $KERNEL:$MACHINE in
debian:pc) MACHINE_ARGS= ; MACHINE_APPEND= ; SUITE_DIR=tests/real-kernel ;;
debian:q35-iommu)
	MACHINE_ARGS=$IOMMU_ON
	MACHINE_APPEND=" intel_iommu=on"
	SUITE_DIR=tests/real-kernel/iommu ;;
legacy:legacy)
	MACHINE_ARGS="$IOMMU_ON $BRIDGE $RNG"
	MACHINE_APPEND=" intel_iommu=on$LK_APPEND"
	SUITE_DIR=tests/legacy-kernel ;;
legacy:legacy-nointremap)
	MACHINE_ARGS="-machine q35 -device intel-iommu,intremap=off $BRIDGE $RNG"
	MACHINE_APPEND=" intel_iommu=on$LK_APPEND"
	SUITE_DIR=tests/legacy-kernel/nointremap ;;
legacy:legacy-noiommu)
	MACHINE_ARGS="-machine q35 $BRIDGE $RNG"
	MACHINE_APPEND=$LK_APPEND
	SUITE_DIR=tests/legacy-kernel/noiommu ;;
*) echo "Bail out! real kernel: no machine '$MACHINE' for kernel '$KERNEL' (KVM_ASSIGN_RK_MACHINE, KVM_ASSIGN_RK_KERNEL)"; exit 1 ;;
esac
MACHINE_APPEND="$MACHINE_APPEND${KVM_ASSIGN_RK_APPEND:+ $KVM_ASSIGN_RK_APPEND}"
SUITE_DIR=${KVM_ASSIGN_RK_SUITE:-$SUITE_DIR}
# The emulated PCI device the inner tests use: e1000e has MSI-X (5 vectors).
RK_DEVICE=0000:00:03.0
# insmod order: each module after those it depends on (modinfo depends=).
# The legacy kernel has all of it built in.
MODULES="irqbypass ccp kvm kvm-amd virtio_ring virtio virtio_pci_legacy_dev
virtio_pci_modern_dev virtio_pci 9pnet 9pnet_virtio netfs fscache 9p"
[ "$KERNEL" = legacy ] && MODULES=

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

# find_legacy_kernel - sets lkdir and lkfile, or lkwhy (why not).
case ${KVM_ASSIGN_RK_LINE:-4.1} in
3.10) LEGACY_VERSION=3.10.105 ;;
4.1) LEGACY_VERSION=4.1.15 ;;
4.9) LEGACY_VERSION=4.9.229 ;;
*) bail "KVM_ASSIGN_RK_LINE=$KVM_ASSIGN_RK_LINE: no such kernel line (3.10, 4.1, 4.9)" ;;
esac
LEGACY_NAME=bzImage-$LEGACY_VERSION-legacy
find_legacy_kernel() {
	lkdir=$TOP_SRCDIR/tests/kernels lkfile=$LEGACY_NAME
	if [ -n "${KVM_ASSIGN_LEGACY_KERNEL:-}" ]; then
		lkdir=$KVM_ASSIGN_LEGACY_KERNEL
		[ -d "$lkdir" ] || {
			lkdir=$(dirname "$KVM_ASSIGN_LEGACY_KERNEL")
			lkfile=$(basename "$KVM_ASSIGN_LEGACY_KERNEL")
		}
	fi
	[ -f "$lkdir/$lkfile" ] && return 0
	if [ -n "${KVM_ASSIGN_LEGACY_KERNEL:-}" ]; then
		lkwhy="KVM_ASSIGN_LEGACY_KERNEL=$KVM_ASSIGN_LEGACY_KERNEL: no such kernel"
		[ ! -d "$KVM_ASSIGN_LEGACY_KERNEL" ] || lkwhy="$lkwhy (no $lkfile in it)"
	else
		lkwhy="no $lkdir/$lkfile (tests/kernels/README)"
	fi
	return 1
}
if [ "$KERNEL" = legacy ]; then
	if ! find_legacy_kernel; then
		[ "${CI:-}" = true ] && bail "$lkwhy"
		echo "1..0 # SKIP legacy-kernel tests: $lkwhy"
		exit 0
	fi
	# Verified each run: 4 MB take no time, and a wrong kernel wastes a boot.
	[ -r "$lkdir/SHA256SUMS" ] || bail "$lkdir/SHA256SUMS missing"
	grep -q " \*\{0,1\}$lkfile\$" "$lkdir/SHA256SUMS" ||
		bail "$lkdir/SHA256SUMS does not list $lkfile"
	(cd "$lkdir" && grep " \*\{0,1\}$lkfile\$" SHA256SUMS | sha256sum -c --status) ||
		bail "$lkdir/$lkfile does not match its SHA256SUMS"
	TOOLS="qemu-system-x86_64 busybox bats gzip timeout sha256sum"
else
	TOOLS="qemu-system-x86_64 busybox bats apt-get apt-cache dpkg gzip timeout"
fi
for tool in $TOOLS; do
	command -v "$tool" >/dev/null 2>&1 ||
		bail "'$tool' not found (packages: qemu-system-x86 busybox-static bats apt dpkg gzip coreutils)"
done
busybox=$(command -v busybox)
ldd "$busybox" >/dev/null 2>&1 &&
	bail "$busybox is dynamically linked: install busybox-static"
[ -r "$INIT" ] || bail "$INIT missing"
mkdir -p "$CACHE" || bail "cannot create cache $CACHE"

# --- the kernel: Debian's stock package, unpacked once; or the legacy one ---
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
debian_package() {	# the linux-image package to boot
	pkg=${KVM_ASSIGN_KERNEL_PKG:-}
	[ -n "$pkg" ] || pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n 1)
	[ -n "$pkg" ] || pkg=$(apt-cache pkgnames linux-image-6.1.0- 2>/dev/null |
		grep -E '^linux-image-6\.1\.0-[0-9]+-amd64$' | sort -V | tail -n 1)
	[ -n "$pkg" ] || pkg=$(cd "$CACHE" && ls -d linux-image-*-amd64 2>/dev/null |
		sort -V | tail -n 1)
	[ -n "$pkg" ] ||
		bail "no linux-image-*-amd64 known to apt-cache nor cached (run apt-get update)"
}
# One fetch at a time: make -j may run several of these boots at once.
exec 9>"$CACHE/.lock" && flock 9 || bail "cannot lock $CACHE/.lock"
if [ "$KERNEL" = legacy ]; then
	kver=$LEGACY_VERSION-legacy pkg=$lkdir/$lkfile vmlinuz=$lkdir/$lkfile kdir=
else
	debian_package
	kdir=$CACHE/$pkg
	if [ ! -s "$kdir/kver" ]; then
		echo "# fetching $pkg into $CACHE"
		fetch_kernel "$pkg" || bail "cannot download or unpack $pkg"
	fi
	kver=$(cat "$kdir/kver") vmlinuz=$kdir/vmlinuz
fi

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
		{ [ -z "$MODULES" ] || cp -r "$kdir/modules" "$tmp/root/lib/"; } &&
		{ [ -z "$MODULES" ] || printf '%s\n' $MODULES; } >"$tmp/root/etc/modules" &&
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
RK_TEST_TIMEOUT='${KVM_ASSIGN_REAL_KERNEL_TEST_TIMEOUT:-180}'
KVM_ASSIGN_KILL_QEMU='${KVM_ASSIGN_KILL_QEMU:-}'
KVM_ASSIGN_SOAK_CYCLES='${KVM_ASSIGN_SOAK_CYCLES:-}'
RK_KERNEL_VERSION='$([ "$KERNEL" = legacy ] && echo "$LEGACY_VERSION")'
RESET_EVERY='${RESET_EVERY:-}'
KVM_ASSIGN_KILL_WALK_STRIDE='${KVM_ASSIGN_KILL_WALK_STRIDE:-}'
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
	-kernel "$vmlinuz" -initrd "$initrd" \
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
echo "# real kernel $kver ($pkg) on $MACHINE${KVM_ASSIGN_RK_APPEND:+ + $KVM_ASSIGN_RK_APPEND}, ${took}s in all (budget ${TIMEOUT}s; load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)), cache $CACHE"
[ -f "$res/timing" ] && sed 's/^/# guest /' "$res/timing"
log_tail "$res/stderr" "inner bats stderr"
[ -f "$run/hung.txt" ] && cat "$run/hung.txt"
if [ -n "$why" ]; then
	log_tail "$run/qemu.log" "qemu output"
	log_tail "$run/console.log" "guest console"
	bail "$why"
fi
exit 0
