#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# packaging/build-deb.sh - build the Debian package from this tree: copies
# packaging/debian to ./debian (kept apart so a distribution's own debian/
# never collides with ours) and runs dpkg-buildpackage -us -uc -b.
# The .deb lands in the tree's parent directory.  Run on a clean tree.
set -eu
cd "$(dirname "$0")/.."
if [ -e debian ] && [ ! -e debian/.from-packaging ]; then
	echo "build-deb.sh: ./debian exists and is not ours: remove it first" >&2
	exit 1
fi
rm -rf debian
cp -r packaging/debian debian
: > debian/.from-packaging
[ -x build-aux/tap-driver.sh ] || ./autogen.sh
dpkg-buildpackage -us -uc -b "$@"
