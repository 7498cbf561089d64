#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# .ci/symbols.sh [--libpci NODE] BINARY... - every libc symbol the binaries
# import existed in glibc 2.17 (GLIBC_FLOOR), and with --libpci every libpci
# symbol existed in libpci version node NODE (LIBPCI_3.2 is the newest node
# of libpci 3.2.1, the oldest supported; pciutils' lib/libpci.ver).
#
# The version nodes come from this machine's own libraries (objdump -T).  A
# symbol passes when the OLDEST node that defines its name is at most the
# floor, not the node the binary happens to import: a binary built here
# imports what this glibc's headers select (pthread_create@GLIBC_2.34, where
# libpthread's symbols moved into libc) and never runs on glibc 2.17 anyway.
# The question is whether the same source builds and runs there, and a name
# glibc 2.17 had answers it (pthread_create@GLIBC_2.2.5).
#
# One exception, by name: stat, fstat, lstat, fstatat, mknod and mknodat
# (and their *64) are symbols only since glibc 2.33; before, <sys/stat.h>
# made them inline calls of __xstat, __fxstat, ... (GLIBC_2.2.5), and those
# are checked instead.
set -eu
GLIBC_FLOOR=${GLIBC_FLOOR:-GLIBC_2.17}
libpci_floor=
if [ "${1:-}" = --libpci ]; then
	libpci_floor=$2
	shift 2
fi
[ $# -gt 0 ] || { echo "usage: .ci/symbols.sh [--libpci NODE] BINARY..." >&2; exit 2; }

# NAME NODE for every defined, versioned symbol of a library (both @ and @@).
defined() {
	objdump -T "$1" | awk '$0 !~ /\*UND\*/ && NF >= 7 { v = $(NF-1); gsub(/[()]/, "", v); print $NF, v }'
}
# The library a binary loads for SONAME (from ldd), else nothing.
lib_of() { ldd "$1" | awk -v s="$2" '$1 == s { print $3 }'; }
# NAME OLDEST-NODE from NAME NODE lines of one node family (prefix $1).
oldest() {
	grep " $1" | sort -k1,1 -k2,2V | awk '!seen[$1]++'
}
# Fails when NODE is newer than FLOOR (version sort).
not_newer() { [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | tail -n1)" = "$2" ]; }

tables=$(mktemp -d /tmp/kvm-assign-symbols.XXXXXX)
trap 'rm -rf "$tables"' EXIT
status=0
for bin in "$@"; do
	objdump -T "$bin" | awk '/\*UND\*/ && NF >= 5 { v = $(NF-1); gsub(/[()]/, "", v); print $NF, v }' \
		>"$tables/imports"
	: >"$tables/glibc"
	for so in libc.so.6 libpthread.so.0 libdl.so.2 librt.so.1 libm.so.6; do
		f=$(lib_of "$bin" "$so")
		[ -z "$f" ] || defined "$f" >>"$tables/glibc"
	done
	oldest GLIBC_ <"$tables/glibc" >"$tables/glibc-oldest"
	n=0
	while read -r name node; do
		case $node in
		GLIBC_*)
			look=$name
			case $name in
			stat|stat64) look=__x$name ;;
			fstat|fstat64|fstatat|fstatat64) look=__fx${name#f} ;;
			lstat|lstat64) look=__lx${name#l} ;;
			mknod|mknodat) look=__x$name ;;
			esac
			old=$(awk -v s="$look" '$1 == s { print $2 }' "$tables/glibc-oldest")
			if [ -z "$old" ]; then
				echo "symbols: $bin: $name@$node: not found in this machine's glibc"
				status=1
			elif ! not_newer "$old" "$GLIBC_FLOOR"; then
				echo "symbols: $bin: $name@$node: glibc has it only since $old, newer than $GLIBC_FLOOR"
				status=1
			fi
			n=$((n + 1)) ;;
		LIBPCI_*)
			[ -n "$libpci_floor" ] || continue
			f=$(lib_of "$bin" libpci.so.3)
			old=$(defined "$f" | oldest LIBPCI_ | awk -v s="$name" '$1 == s { print $2 }')
			if [ -z "$old" ] || ! not_newer "$old" "$libpci_floor"; then
				echo "symbols: $bin: $name@$node: libpci has it only since ${old:-?}, newer than $libpci_floor"
				status=1
			fi
			n=$((n + 1)) ;;
		esac
	done <"$tables/imports"
	echo "symbols: $bin: $n versioned imports checked against $GLIBC_FLOOR${libpci_floor:+ and $libpci_floor}"
done
exit $status
