#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# build.sh VERSION SRC OUT - rebuilds bzImage-VERSION-legacy of this folder.
#   VERSION  3.10.105, 4.1.15 or 4.9.229 (a line of SOURCES)
#   SRC      a checkout of that line's repository at its commit (SOURCES);
#            read only: it is copied
#   OUT      a directory that does not exist yet; the kernel is built there
#            and ends at OUT/arch/x86/boot/bzImage, then compared with
#            SHA256SUMS (a kernel build is not bit-for-bit reproducible:
#            the build time and host are in it, so a differing sum is
#            reported, not fatal; the size says more)
# Tools: Debian 12's gcc 12 and binutils 2.40, make, bc, flex, bison, patch.
# About 4 minutes on 2 cores.
set -eu
[ $# -eq 3 ] || { echo "usage: $0 VERSION SRC OUT" >&2; exit 2; }
ver=$1 out=$3
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$2" && pwd)
line=$(awk -v v="$ver" '$1 == v' "$here/SOURCES")
[ -n "$line" ] || { echo "$0: no kernel $ver in $here/SOURCES" >&2; exit 2; }
set -- $line
patchfile=$4
# The tree must be the release itself: its Makefile names it.
mk=$src/Makefile
[ "$(sed -n 's/^VERSION = //p' "$mk").$(sed -n 's/^PATCHLEVEL = //p' "$mk").$(sed -n 's/^SUBLEVEL = //p' "$mk")" = "$ver" ] ||
	{ echo "$0: $src is not Linux $ver (get $2 at $3)" >&2; exit 2; }
[ ! -e "$out" ] || { echo "$0: $out exists: name a new directory" >&2; exit 2; }
mkdir -p "$out"
cp -a "$src/." "$out/"
cd "$out"
rm -rf .git
[ "$patchfile" = - ] || patch -p1 <"$here/$patchfile"
cp "$here/config-$ver-legacy" .config
make ARCH=x86_64 olddefconfig
# What the tests need, all built in: olddefconfig must not have dropped any.
for o in KVM KVM_AMD KVM_DEVICE_ASSIGNMENT IOMMU_API INTEL_IOMMU IRQ_REMAP \
	PCI_STUB VFIO_PCI CHECKPOINT_RESTORE E1000E 9P_FS NET_9P_VIRTIO DEVTMPFS; do
	grep -q "^CONFIG_$o=y\$" .config || { echo "$0: CONFIG_$o=y lost" >&2; exit 1; }
done
cmp -s .config "$here/config-$ver-legacy" ||
	echo "$0: note: .config after olddefconfig differs from config-$ver-legacy"
make ARCH=x86_64 -j"$(nproc)" bzImage
img=arch/x86/boot/bzImage
echo "built $out/$img: $(wc -c <"$img") bytes (bzImage-$ver-legacy: $(wc -c <"$here/bzImage-$ver-legacy"))"
sum=$(sha256sum <"$img" | cut -d' ' -f1)
grep -q "^$sum [ *]bzImage-$ver-legacy\$" "$here/SHA256SUMS" &&
	echo "identical to bzImage-$ver-legacy" ||
	echo "sha256 $sum differs from SHA256SUMS (timestamps and host names are built in)"
