#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# check-vs-lspci.sh - times 'kvm-assign check DEV' against 'lspci -vv -s DEV'
# on the same lspci -xxx dump, N runs each, and prints the ratio (goal: <= 1).
# Usage: bench/check-vs-lspci.sh [DEV [DUMP [N]]]   (KVM_ASSIGN overrides the binary)
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
dev=${1:-0000:03:00.0}
dump=${2:-$here/tests/fixtures/devices.dump}
n=${3:-200}
ka=${KVM_ASSIGN:-$here/src/kvm-assign}
[ -x "$ka" ] || { echo "check-vs-lspci.sh: $ka not built (make)" >&2; exit 1; }
command -v lspci >/dev/null || { echo "check-vs-lspci.sh: lspci not found (pciutils)" >&2; exit 1; }

# loop CMD...: seconds (to ms) for n runs; the exit status of each run is ignored
loop() {
	start=$(date +%s%N)
	i=0
	while [ "$i" -lt "$n" ]; do
		"$@" >/dev/null 2>&1 || true
		i=$((i + 1))
	done
	echo $(( ($(date +%s%N) - start) / 1000000 ))
}

if command -v hyperfine >/dev/null 2>&1; then
	hyperfine -N -i --runs "$n" \
		"$ka -A dump -O dump.name=$dump check $dev" \
		"lspci -F $dump -vv -s $dev"
fi
ka_ms=$(loop "$ka" -A dump -O "dump.name=$dump" check "$dev")
ls_ms=$(loop lspci -F "$dump" -vv -s "$dev")
echo "kvm-assign check $dev: $ka_ms ms for $n runs"
echo "lspci -vv -s $dev:     $ls_ms ms for $n runs"
awk -v a="$ka_ms" -v b="$ls_ms" 'BEGIN { r = b ? a / b : 0; printf "ratio check/lspci: %.2f (%s)\n", r, r <= 1 ? "check no slower" : "check slower" }'
