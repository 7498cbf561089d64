#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0-or-later
# init.sh - /init of the real-kernel test guest: loads KVM and 9p, mounts the
# host's root and trees read-only, runs the inner Bats suite there, powers off.
#
# Built into the initramfs by tests/real-kernel.sh. Results go to the
# writable 9p share "results" (never the console, which the kernel shares):
# tap (Bats' TAP), stderr, status (Bats' exit code), timing, failed (why the
# suite could not start) or hung (what ran when the suite overran).

/bin/busybox --install -s /bin
export PATH=/bin

mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys

die() {
	echo "init: $*"
	[ -d /results/.mounted ] && echo "$*" >/results/failed
	sync
	poweroff -f
	echo o >/proc/sysrq-trigger
	exit 1
}

# Modules in dependency order, as the harness wrote them (none for a kernel
# that has everything built in: then /etc/modules is empty).
while read -r m; do
	[ -n "$m" ] || continue
	insmod "/lib/modules/$m.ko" || die "insmod $m failed"
done </etc/modules

p9() { mount -t 9p -o "trans=virtio,version=9p2000.L,msize=262144,$1" "$2" "$3"; }
# The host's files do not change while the suite runs: let the guest cache them.
p9ro() { p9 ro,cache=loose "$@"; }

p9 rw results /results || die "cannot mount the results share"
mkdir -p /results/.mounted
. /results/env || die "cannot read /results/env"

R=/mnt/host
p9ro hostroot "$R" || die "cannot mount the host root"
mount -t proc proc "$R/proc" &&
	mount -t sysfs sysfs "$R/sys" &&
	mount -t devtmpfs devtmpfs "$R/dev" &&
	mkdir -p "$R/dev/pts" "$R/dev/shm" &&
	ln -s /proc/self/fd "$R/dev/fd" &&
	ln -s fd/0 "$R/dev/stdin" && ln -s fd/1 "$R/dev/stdout" &&
	ln -s fd/2 "$R/dev/stderr" &&
	mount -t devpts devpts "$R/dev/pts" &&
	mount -t tmpfs tmpfs "$R/dev/shm" &&
	mount -t tmpfs tmpfs "$R/tmp" &&
	mount -t tmpfs tmpfs "$R/run" || die "cannot mount proc/sys/dev/tmp/run"

# The trees at their host paths; the outer one first when one holds the other.
for tag in $RK_TREES; do
	eval dir=\$RK_TREE_$tag
	mkdir -p "$R$dir" 2>/dev/null
	p9ro "$tag" "$R$dir" || die "cannot mount $tag at $dir"
done
mkdir -p "$R/run/results" && mount --bind /results "$R/run/results" ||
	die "cannot bind the results share"

# Before 3.17 the kernel credits nothing the virtio RNG gives (there is no
# rng_core.default_quality), so on 3.10 /dev/random stays unreadable for
# minutes, and glibc's arc4random (jq), without getrandom() there, waits
# for it: credit 512 bits read from the RNG (RNDADDENTROPY, with the host's
# perl: busybox has no ioctl).
if [ -c /dev/hwrng ] && [ ! -e /sys/module/rng_core/parameters/default_quality ]; then
	# (the RNG answers a read with a few bytes at a time)
	chroot "$R" perl -e 'open(my $h, "<", "/dev/hwrng") or die "/dev/hwrng: $!\n";
		my $d = ""; while (length($d) < 64) { sysread($h, $d, 64 - length($d), length($d)) or die "/dev/hwrng: $!\n" }
		open(my $r, ">", "/dev/random") or die "/dev/random: $!\n";
		ioctl($r, 0x40085203, pack("ii", 512, 64) . $d) or die "RNDADDENTROPY: $!\n"' ||
		die "cannot fill the entropy pool"
fi

uptime_s() { cut -d' ' -f1 /proc/uptime; }
echo "booted in $(uptime_s)s" >/results/timing

# Linux 4.1's 9p client now and then fails bash's read of bats' tracing.bash
# with EFAULT (3 boots in about 25, even after a first read succeeded): serve
# bats' own files from tmpfs instead, copied (retrying) from the share.
for d in usr/lib/bats-core usr/libexec/bats-core; do
	[ -d "$R/$d" ] || continue
	mkdir -p "/copy/$d"
	for f in "$R/$d"/*; do
		cp -p "$f" "/copy/$d/" 2>/dev/null || cp -p "$f" "/copy/$d/" ||
			die "cannot copy $f"
	done
	mount -t tmpfs tmpfs "$R/$d" && cp -p "/copy/$d"/* "$R/$d/" ||
		die "cannot put $d on tmpfs"
done

echo "init: running $RK_SUITE"
chroot "$R" /usr/bin/env -i \
	PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	HOME=/root TMPDIR=/tmp LANG=C.UTF-8 TERM=dumb \
	KVM_ASSIGN="$KVM_ASSIGN" KVM_SIM="$KVM_SIM" STUB_VMM="$STUB_VMM" \
	TOP_SRCDIR="$TOP_SRCDIR" TOP_BUILDDIR="$TOP_BUILDDIR" \
	BATS_LIB_PATH="$BATS_LIB_PATH" RK_DEVICE="$RK_DEVICE" RK_KERNEL_VERSION="$RK_KERNEL_VERSION" \
	KVM_ASSIGN_SOAK_CYCLES="$KVM_ASSIGN_SOAK_CYCLES" \
	BATS_TEST_TIMEOUT="$RK_TEST_TIMEOUT" KVM_ASSIGN_KILL_QEMU="$KVM_ASSIGN_KILL_QEMU" RESET_EVERY="$RESET_EVERY" KVM_ASSIGN_KILL_WALK_STRIDE="${KVM_ASSIGN_KILL_WALK_STRIDE:-}" \
	bats --tap --timing $RK_SUITE >/results/tap 2>/results/stderr &
suite=$!
# A hung test would hold the guest until the harness kills QEMU: instead say
# what was running, then stop.
(
	sleep "$RK_SUITE_TIMEOUT"
	{ echo "the suite ran over ${RK_SUITE_TIMEOUT}s; processes:"; ps; } >/results/hung
	sync
	poweroff -f
) &
wait "$suite"
echo $? >/results/status
echo "suite done at $(uptime_s)s" >>/results/timing

sync
umount -l "$R" /results 2>/dev/null
poweroff -f
echo o >/proc/sysrq-trigger
