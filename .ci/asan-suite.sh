#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# .ci/asan-suite.sh DIR [TEST.bats...] - build DIR (an unconfigured copy of
# the tree; in place, as some tests find their helpers in the build tree)
# with AddressSanitizer and UndefinedBehaviorSanitizer and run
# the whole simulated suite on it: every tests/*.bats of TESTS, without the
# QEMU kernels (tests/*.sh) and without the tests that run valgrind (it and
# ASan cannot share a process) or count system calls and time (see below).  Passes with every test passing and no
# sanitizer report at all (reports go to files, so tests see normal output).
set -eu
src=$(cd "$1" && pwd)
build=$src
shift
reports=$(mktemp -d /tmp/kvm-assign-asan.XXXXXX)
chmod 1777 "$reports"	# tests drop to nobody
san="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
cd "$build"
./configure -q CFLAGS="-O1 -g $san" LDFLAGS="$san"
make -j2 >/dev/null
make -j2 check TESTS= >/dev/null	# the helpers, stub VMM and simulated kernel

export ASAN_OPTIONS="log_path=$reports/asan:detect_leaks=1:abort_on_error=0"
export UBSAN_OPTIONS="log_path=$reports/ubsan:print_stacktrace=1"
export KVM_ASSIGN="$build/src/kvm-assign" KVM_SIM="$build/tests/sim/kvm-sim" \
	STUB_VMM="$build/tests/vmm/stub-vmm" KVM_IOCTL="$build/tests/helpers/kvm-ioctl" \
	TOP_SRCDIR="$src" TOP_BUILDDIR="$build" BATS_LIB_PATH="${BATS_LIB_PATH:-/usr/lib/bats}"

# The suite's .bats files, in TESTS order.
if [ $# -gt 0 ]; then
	files=("$@")
else
	mapfile -t files < <(sed -n '/^TESTS = /,/^$/p' "$src/Makefile.am" | grep -o 'tests/[^ ]*\.bats')
fi
failed=0 ran=0
for f in "${files[@]}"; do
	# Names of the tests whose body does not run valgrind, as one bats --filter.
	filter=$(python3 - "$src/$f" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
names = []
for m in re.finditer(r'^@test "((?:[^"\\]|\\.)*)" \{\n(.*?)^\}', text, re.S | re.M):
    body = m.group(2)
    # valgrind cannot run an ASan binary; kill-at and kill-soak kill at the
    # Nth system call and the 1000-command load runs against 5 s bounds:
    # ASan's own calls and slowness move both, which is not a memory error;
    # LeakSanitizer cannot run under ptrace ("does not work under ptrace"),
    # so not under strace either.
    if not any(w in body for w in ('valgrind', 'kill-at', 'kill-soak', 'seq 1000', 'run strace ')):
        names.append(re.escape(m.group(1).replace('\\"', '"')))
print('^(' + '|'.join(names) + ')$' if names else '^$')
PY
)
	out=$(cd "$build" && bats --tap --filter "$filter" "$src/$f" 2>&1) || true
	n=$(grep -c '^ok ' <<<"$out" || true)
	bad=$(grep -c '^not ok ' <<<"$out" || true)
	ran=$((ran + n + bad))
	echo "asan: $f: $n passed, $bad failed"
	if [ "$bad" != 0 ] || ! grep -q '^1\.\.' <<<"$out"; then
		failed=$((failed + 1))
		grep -A20 '^not ok ' <<<"$out" | head -60
	fi
done
# LeakSanitizer cannot stop a process that is being traced (the VMM while
# kvm-assign holds it): that note is not a finding; valgrind checks leaks.
for r in "$reports"/*; do
	[ -e "$r" ] || continue
	if ! grep -qv 'Unable to get registers from thread\|^$' "$r"; then
		echo "asan: note, not a finding: $(head -n1 "$r")"
		rm -f "$r"
	fi
done
nreports=$(find "$reports" -type f | wc -l)
if [ "$nreports" != 0 ]; then
	echo "asan: $nreports sanitizer report(s):"
	for r in "$reports"/*; do echo "--- $r"; head -40 "$r"; done
fi
echo "asan: $ran tests ran, $failed file(s) with failures, $nreports sanitizer report(s)"
rm -rf "$reports"
[ "$failed" = 0 ] && [ "$nreports" = 0 ]
