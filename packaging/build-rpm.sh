#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# packaging/build-rpm.sh [OUTDIR] - build the RPM from this tree as a
# packager does: make dist's tarball, then rpmbuild -tb on it (its spec is
# packaging/rpm/kvm-assign.spec).  The packages land in OUTDIR (default:
# the tree's parent directory).  On a system without an RPM database (Debian's
# rpm package) the BuildRequires cannot be looked up: --nodeps then, and
# configure checks the same floors through pkg-config.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
out=$(cd "${1:-..}" && pwd)
version=$(sed -n 's/^AC_INIT(\[kvm-assign\], \[\([^]]*\)\].*/\1/p' configure.ac)
if ! grep -q "^Version: *$version\$" packaging/rpm/kvm-assign.spec; then
	echo "build-rpm.sh: packaging/rpm/kvm-assign.spec's Version is not configure.ac's $version" >&2
	exit 1
fi
[ -f Makefile ] || { [ -x configure ] || ./autogen.sh; ./configure -q; }
make dist >/dev/null
work=$(mktemp -d /tmp/kvm-assign-rpm.XXXXXX)
trap 'rm -rf "$work"' EXIT
nodeps=
rpm -q rpm >/dev/null 2>&1 || nodeps=--nodeps
rpmbuild --define "_topdir $work" $nodeps -tb "$top/kvm-assign-$version.tar.gz"
find "$work/RPMS" -name "*.rpm" -exec cp {} "$out/" \;
ls "$out"/kvm-assign-*.rpm
