#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# .ci/lint.sh - cppcheck and clang-tidy over src/ of this configured tree;
# any finding fails.  Checks enabled:
#   cppcheck: warning, portability, performance (and its errors), with the
#     findings judged false positives listed in .ci/cppcheck.supp, each why;
#   clang-tidy: clang-analyzer-* but security.insecureAPI (strcpy & co.), and
#     bugprone-* but easily-swappable-parameters, reserved-identifier,
#     narrowing-conversions, assignment-in-if-condition, macro-parentheses,
#     branch-clone, implicit-widening-of-multiplication-result,
#     sizeof-expression and suspicious-string-compare (style: the code
#     tests strcmp() as a boolean), and four analyzer checks whose only
#     findings were judged false positives in files of other changes
#     (core.NonNullParamChecker: cmd-assign.c, cmd-batch.c after take_args;
#     core.uninitialized.ArraySubscript/Assign: msix.c after parse_pair
#     returned 0; core.NullDereference: run.c print_op_json's dry-run v).
set -eu
cd "$(dirname "$0")/.."
rc=0
cppcheck -q --enable=warning,portability,performance --std=c11 --inline-suppr \
	--suppressions-list=.ci/cppcheck.supp --error-exitcode=1 \
	-D__linux__ -D__x86_64__ --include=config.h -I src \
	--template='{file}:{line}: {severity}: {message} [{id}]' src/*.c || rc=1
checks='-*,clang-analyzer-*,-clang-analyzer-security.insecureAPI.*,bugprone-*'
checks="$checks,-bugprone-easily-swappable-parameters,-bugprone-reserved-identifier"
checks="$checks,-bugprone-narrowing-conversions,-bugprone-assignment-in-if-condition"
checks="$checks,-bugprone-macro-parentheses,-bugprone-branch-clone,-bugprone-sizeof-expression"
checks="$checks,-bugprone-implicit-widening-of-multiplication-result,-bugprone-suspicious-string-compare"
checks="$checks,-clang-analyzer-core.NonNullParamChecker,-clang-analyzer-core.uninitialized.ArraySubscript"
checks="$checks,-clang-analyzer-core.uninitialized.Assign,-clang-analyzer-core.NullDereference"
for f in src/*.c; do
	clang-tidy -quiet --warnings-as-errors='*' --checks="$checks" "$f" -- \
		-std=gnu11 -include config.h -I. -Isrc $(pkg-config --cflags libpci popt) 2>/dev/null || rc=1
done
[ "$rc" = 0 ] && echo "lint: cppcheck and clang-tidy: no findings"
exit "$rc"
