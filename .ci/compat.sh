#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# .ci/compat.sh [--libpci NODE] - in a built tree (make and make check
# TESTS=): the checks that the sources still build on the oldest userland
# supported (README, "For distributions"): glibc 2.17, gcc 4.8.
#  1. every program built here (the tool, the test programs, the benchmarks
#     if built) imports only libc symbols glibc 2.17 had, and with --libpci
#     only libpci symbols of that version node (.ci/symbols.sh);
#  2. src/errnames.h names each errno as glibc's strerrorname_np does;
#  3. the C sources use nothing gcc 4.8 lacks: no C2X feature (gcc
#     -std=gnu11 -Wpedantic says "C2X" of each), and none of the constructs
#     and functions below, which it cannot see.
set -eu
cd "$(dirname "$0")/.."
status=0

# 1. the symbols of every ELF program built from the tree (fuzz/: clang's
#    libFuzzer, a developer tool, is not for old userlands).
progs=
for f in src/kvm-assign tests/sim/* tests/vmm/* tests/helpers/* bench/*; do
	[ -f "$f" ] && [ -x "$f" ] && [ "$(head -c 4 "$f" | tail -c 3)" = ELF ] && progs="$progs $f"
done
# shellcheck disable=SC2086
sh .ci/symbols.sh "$@" $progs || status=1

# 2. errnames.h against strerrorname_np, where this glibc has it (2.32).
tmp=$(mktemp -d /tmp/kvm-assign-compat.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/names.c" <<'EOF'
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include "errnames.h"
int main(void)
{
	int bad = 0;

	for (int e = -1; e < 4096; e++) {
		const char *a = errno_symbol(e), *b = strerrorname_np(e);

		if ((a || b) && (!a || !b || strcmp(a, b) != 0)) {
			printf("errnames: %d: errnames.h says %s, strerrorname_np %s\n", e, a ? a : "nothing", b ? b : "nothing");
			bad = 1;
		}
	}
	return bad;
}
EOF
if ${CC:-cc} -std=gnu11 -Wall -Isrc -o "$tmp/names" "$tmp/names.c" 2>/dev/null; then
	"$tmp/names" && echo "errnames: errnames.h agrees with strerrorname_np on -1..4095" || status=1
else
	echo "errnames: no strerrorname_np in this glibc: not compared"
fi

# 3. gcc 4.8: C11 (-std=gnu11) but not what came later.
srcs=$(ls src/*.c tests/helpers/*.c tests/sim/*.c tests/vmm/*.c bench/*.c docs/*.c)
inc="-include config.h $(pkg-config --cflags libpci popt)"
for f in $srcs; do
	# shellcheck disable=SC2086
	${CC:-gcc} -std=gnu11 -Wpedantic -fsyntax-only $inc "$f" 2>&1 | grep -i 'c2x\|c23' && status=1
done
# gcc 4.9: _Generic, _Thread_local, stdatomic.h, __auto_type, max_align_t;
# gcc 5: __has_include, __builtin_*_overflow; gcc 7: the fallthrough
# attribute; glibc 2.28: threads.h.  libc functions newer than glibc 2.17
# that the symbol check cannot see in a program CI does not build.
forbidden='_Generic|_Thread_local|stdatomic\.h|threads\.h|__auto_type|max_align_t|__has_include|__builtin_[a-z]+_overflow|fallthrough\)|\[\[[a-z_: ]+\]\]'
forbidden="$forbidden|\\b(strerrorname_np|strerrordesc_np|reallocarray|getrandom|explicit_bzero|memfd_create|copy_file_range|pidfd_[a-z_]+|close_range|closefrom|statx|renameat2|getentropy|pthread_getattr_default_np|posix_spawn_file_actions_addclosefrom_np|posix_spawn_file_actions_addchdir_np|fcntl64|mlock2|pkey_[a-z]+|gettid|tgkill|sigabbrev_np|sigdescr_np|qsort_r|strlcpy|strlcat)\\("
# shellcheck disable=SC2086
if grep -nE "$forbidden" $srcs src/*.h | grep -v 'src/errnames.h:.*strerrorname_np\|^[^:]*:[0-9]*:\s*\(/\?\*\|//\)'; then
	echo "compat: a construct gcc 4.8 or a function glibc 2.17 lacks (above)"
	status=1
fi
[ "$status" = 0 ] && echo "compat: ok"
exit $status
