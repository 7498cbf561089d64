#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# .ci/old-libpci.sh PCIUTILS_SRC [TEST.bats...] - build kvm-assign against
# the libpci of a pciutils source tree (for example `git archive v3.2.1` of
# https://github.com/pciutils/pciutils) and run the simulated suite on it:
# every tests/*.bats of TESTS (or those named), not the QEMU kernels
# (tests/*.sh).  A packager's check that this libpci is enough; CI cannot
# fetch old pciutils, so it is run by hand (make check-old-libpci
# PCIUTILS_SRC=DIR).  Nothing is written to PCIUTILS_SRC or to this tree:
# both are copied to a temporary directory, removed at the end
# (KEEP=1 keeps it).
#
# POPT_PKGCONFIG=DIR adds DIR (holding a popt.pc, say of an old popt) to
# PKG_CONFIG_PATH as well (popt 1.13 leaks an option's argument in
# poptGetNextOpt, "XXX memory leak, hard to plug" in its popt.c: the
# valgrind tests see that).  Needs what make check needs (bats, jq, ...),
# and root, as the suite does.
set -eu
[ $# -ge 1 ] || { echo "usage: .ci/old-libpci.sh PCIUTILS_SRC [TEST.bats...]" >&2; exit 2; }
pciutils=$(cd "$1" && pwd)
shift
top=$(cd "$(dirname "$0")/.." && pwd)
[ -f "$pciutils/lib/pci.h" ] || { echo "old-libpci: $pciutils: not a pciutils source tree (no lib/pci.h)" >&2; exit 2; }
work=$(mktemp -d /tmp/kvm-assign-old-libpci.XXXXXX)
chmod 755 "$work"	# the suite drops to nobody
[ "${KEEP:-}" = 1 ] || trap 'rm -rf "$work"' EXIT

# libpci alone, static, without the optional libraries (as the issue
# measured), reading the system's pci.ids: the suite compares names with
# lspci's.
ids=
for d in /usr/share/misc /usr/share/hwdata /usr/share; do
	[ -f "$d/pci.ids" ] && { ids=$d; break; }
done
cp -a "$pciutils" "$work/pciutils"
# A tree built before keeps its lib/config.h (its prefix, its ID file path).
make -C "$work/pciutils" clean >/dev/null 2>&1 || true
make -C "$work/pciutils" lib/libpci.a install-lib ZLIB=no DNS=no HWDB=no SHARED=no \
	PREFIX="$work/prefix" ${ids:+IDSDIR="$ids"} >"$work/libpci-build.log" 2>&1 ||
	{ tail -n 30 "$work/libpci-build.log"; echo "old-libpci: libpci did not build" >&2; exit 1; }
export PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig${POPT_PKGCONFIG:+:$POPT_PKGCONFIG}${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
echo "old-libpci: libpci $(pkg-config --modversion libpci) in $work/prefix"

# This tree, unconfigured: its tracked files, else all of it (a tarball).
mkdir "$work/src"
if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
	(cd "$top" && git ls-files -z | tar --null -T - -cf -) | tar -xf - -C "$work/src"
	(cd "$work/src" && ./autogen.sh >/dev/null 2>&1)
else
	(cd "$top" && tar -cf - --exclude=config.status --exclude=config.h --exclude='*.o' .) | tar -xf - -C "$work/src"
fi
cd "$work/src"
./configure -q
grep '^#define HAVE_DECL_' config.h | sed 's/^/old-libpci: /'
make -j2 >"$work/build.log" 2>&1 || { tail -n 40 "$work/build.log"; echo "old-libpci: the build failed" >&2; exit 1; }
make -j2 check TESTS= >>"$work/build.log" 2>&1 || { tail -n 40 "$work/build.log"; echo "old-libpci: the test programs did not build" >&2; exit 1; }
if grep -q 'warning:' "$work/build.log"; then grep 'warning:' "$work/build.log"; echo "old-libpci: the build warns" >&2; exit 1; fi
./src/kvm-assign --version

if [ $# -gt 0 ]; then
	tests="$*"
else
	tests=$(sed -n '/^TESTS = /,/^$/p' Makefile.am | grep -o 'tests/[^ ]*\.bats' | tr '\n' ' ')
fi
status=0
make -j2 check TESTS="$tests" >"$work/check.log" 2>&1 || status=$?
grep -E '^(PASS|FAIL|ERROR|XFAIL|XPASS|SKIP):' "$work/check.log" || true
grep -E '^# (TOTAL|PASS|SKIP|XFAIL|FAIL|XPASS|ERROR):' "$work/check.log" || true
if [ "$status" != 0 ]; then
	cat tests/*.log | grep -B2 -A12 '^not ok' | head -n 80
	echo "old-libpci: the simulated suite failed against libpci $(pkg-config --modversion libpci)" >&2
	exit 1
fi
echo "old-libpci: the simulated suite passed against libpci $(pkg-config --modversion libpci)"
