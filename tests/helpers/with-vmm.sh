#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# with-vmm.sh - start the stub VMM on a socket, run one command against it,
# stop the VMM: with-vmm.sh [stub-vmm options] -- command [args]
# The socket path is exported as VMM_SOCKET and the VMM's pid as VMM_PID;
# @SOCKET@ and @PID@ in the command's arguments are replaced by them.
set -u
stub_args=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
	stub_args+=("$1")
	shift
done
[ "${1:-}" = "--" ] && shift
dir=$(mktemp -d "${TMPDIR:-/tmp}/with-vmm.XXXXXX")
export VMM_SOCKET="$dir/vmm.sock"
exec 3< <("$STUB_VMM" --socket="$VMM_SOCKET" "${stub_args[@]}" 2>"$dir/stub.err")
read -r -t 10 word VMM_PID <&3 || {
	echo "with-vmm: the stub VMM did not become ready:" >&2
	cat "$dir/stub.err" >&2
	rm -rf "$dir"
	exit 125
}
[ "$word" = ready ] || { echo "with-vmm: unexpected stub output '$word'" >&2; exit 125; }
export VMM_PID
# @SOCKET@ and @PID@ in the command stand for the VMM's socket and pid.
cmd=()
for a in "$@"; do
	a=${a//@SOCKET@/$VMM_SOCKET}
	cmd+=("${a//@PID@/$VMM_PID}")
done
"${cmd[@]}" 3<&-
status=$?
kill "$VMM_PID" 2>/dev/null
wait 2>/dev/null
rm -rf "$dir"
exit "$status"
