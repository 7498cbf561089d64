#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# with-vmm.sh - start the stub VMM on a socket, run one command against it,
# stop the VMM: with-vmm.sh [options] -- command [args]
# Run it under the simulated kernel (test_helper.bash's with_vmm does).
# The options are stub-vmm's, and:
#   --exec-fd=N        (stub-vmm's) no socket: the stub execs the command
#                      itself, with the VM fd inherited as fd N
#   --inherit-vm-fd=N  the VMM is a stub exec'd by another one that created
#                      a VM first: it holds that VM, whose creator is gone,
#                      as fd N, besides its own
# The socket path is exported as VMM_SOCKET, the VMM's pid as VMM_PID and
# its own VM fd as VMM_VM_FD; @SOCKET@, @PID@ and @VMFD@ in the command's
# arguments are replaced by them.  The exit status is the command's; 125 if
# the VMM did not start.
set -u
stub_args=() exec_fd= inherit=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
	case $1 in
	--exec-fd=*) exec_fd=1 ;;
	--inherit-vm-fd=*) inherit=("$STUB_VMM" "--exec-fd=${1#*=}" --); shift; continue ;;
	esac
	stub_args+=("$1")
	shift
done
if [ "${1:-}" != "--" ] || [ $# = 1 ]; then
	echo "with-vmm: usage: with-vmm.sh [stub-vmm options] -- command [args]" >&2
	exit 125
fi
shift
if [ -n "$exec_fd" ]; then
	[ ${#inherit[@]} = 0 ] || { echo "with-vmm: --exec-fd and --inherit-vm-fd exclude each other" >&2; exit 125; }
	exec "$STUB_VMM" "${stub_args[@]}" -- "$@"
fi
dir=$(mktemp -d "${TMPDIR:-/tmp}/with-vmm.XXXXXX")
export VMM_SOCKET="$dir/vmm.sock"
exec 3< <(exec "${inherit[@]}" "$STUB_VMM" --socket="$VMM_SOCKET" --print-vm-fd "${stub_args[@]}" 2>"$dir/stub.err")
if ! read -r -t 10 word VMM_PID <&3 || [ "$word" != ready ] ||
   ! read -r -t 10 word VMM_VM_FD <&3 || [ "$word" != vmfd ]; then
	echo "with-vmm: the stub VMM did not become ready:" >&2
	cat "$dir/stub.err" >&2
	[ -z "${VMM_PID:-}" ] || kill "$VMM_PID" 2>/dev/null
	rm -rf "$dir"
	exit 125
fi
export VMM_PID VMM_VM_FD
cmd=()
for a in "$@"; do
	a=${a//@SOCKET@/$VMM_SOCKET}
	a=${a//@VMFD@/$VMM_VM_FD}
	cmd+=("${a//@PID@/$VMM_PID}")
done
"${cmd[@]}" 3<&-
status=$?
kill "$VMM_PID" 2>/dev/null
wait 2>/dev/null
rm -rf "$dir"
exit "$status"
