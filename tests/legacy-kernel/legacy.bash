# SPDX-License-Identifier: GPL-2.0-or-later
# legacy.bash - loaded by the tests in tests/legacy-kernel/ (run inside a
# Linux with legacy device assignment, tests/kernels/, booted by
# tests/legacy-kernel*.sh; RK_KERNEL_VERSION names it):
# the device's driver, the VMMs (real QEMU, stub VMM) and what the kernel shows.
#
# The exit-code contract these tests assert (src/exitcodes.h, kvm-assign(8)):
#   0 done; 1 the kernel refused (EEXIST, EBUSY, EINVAL, ENODEV, ENOSPC,
#   ENXIO, and EPERM from KVM_ASSIGN_PCI_DEVICE: a bridge, no BARs, no
#   interrupt remapping); 4 permission denied (EACCES: the VMM cannot use the
#   device's resource files); 7 the VM's creator is gone; 9 check: supported
#   but this host or device is not ready.

source "${BASH_SOURCE[0]%/*}/../real-kernel/helper.bash"

QMP_QUERY=$TOP_BUILDDIR/tests/helpers/qmp-query
FD_EXEC=$TOP_BUILDDIR/tests/helpers/fd-exec
# The q35 machine's devices (tests/real-kernel.sh, legacy machines).
LK_BRIDGE=0000:00:04.0		# the PCIe root port
LK_BEHIND=0000:01:00.0		# the second e1000e, behind it
LK_HOSTBRIDGE=0000:00:00.0	# q35's host bridge: an endpoint without BARs
LK_SYSDEV=/sys/bus/pci/devices/$RK_DEVICE
# The MSI-X entries of the e1000e's whole table (5), to GSIs >= 24.
LK_MSIX=(--count=5 0:24 1:25 2:26 3:27 4:28)

# lk_bind DRIVER [ADDR] - bind the device to DRIVER (pci-stub or e1000e):
# by driver_override, or where the kernel has none (3.10; it is 3.16) by the
# driver's bind file, pci-stub given the device's ID by new_id for that
# bind only (remove_id after, so no later probe sends the device there).
lk_bind() {
	local addr=${2:-$RK_DEVICE} dev drv=/sys/bus/pci/drivers/$1 id
	dev=/sys/bus/pci/devices/$addr
	[ "$(lk_driver "${2:-}")" = "$1" ] && return 0
	if [ -e "$dev/driver_override" ]; then
		echo "$1" >"$dev/driver_override"
		[ -e "$dev/driver" ] && echo "$addr" >"$dev/driver/unbind"
		echo "$addr" >/sys/bus/pci/drivers_probe
	else
		[ -e "$dev/driver" ] && echo "$addr" >"$dev/driver/unbind"
		id="$(sed 's/^0x//' "$dev/vendor") $(sed 's/^0x//' "$dev/device")"
		[ "$1" != pci-stub ] || echo "$id" >"$drv/new_id"
		[ "$(lk_driver "${2:-}")" = "$1" ] || echo "$addr" >"$drv/bind"
		[ "$1" != pci-stub ] || echo "$id" >"$drv/remove_id"
	fi
	[ "$(lk_driver "${2:-}")" = "$1" ] || fail "$addr: not bound to $1"
}
# lk_driver [ADDR] - the driver bound to the device, or nothing.
lk_driver() {
	local l
	l=$(readlink "/sys/bus/pci/devices/${1:-$RK_DEVICE}/driver") || return 0
	echo "${l##*/}"
}
# lk_enable - the device's enable count (pci_enable_device nesting).
lk_enable() { cat "$LK_SYSDEV/enable"; }
# lk_irqs [KIND] - /proc/interrupts lines KVM requested for the device
# (KIND: IO-APIC or PCI-MSI narrows them to that chip).
lk_irqs() { grep "${1:+IR-$1.*}kvm:$RK_DEVICE\$" /proc/interrupts; }
lk_irq_count() { grep -c "${1:+IR-$1.*}kvm:$RK_DEVICE\$" /proc/interrupts; }
# lk_dmesg_mark / lk_dmesg_since - the kernel log written since the mark.
lk_dmesg_mark() { LK_DMESG_LINES=$(dmesg | wc -l); }
lk_dmesg_since() { dmesg | tail -n "+$((LK_DMESG_LINES + 1))"; }
# lk_assign_msg assign|deassign - a regexp for the kernel's line when KVM
# assigns or deassigns the device: "pci-stub DEV: kvm assign device" from
# 4.1 on; "assign device 0:0:3.0" (segment:bus:slot.function) on 3.10.
lk_assign_msg() {
	local a=${RK_DEVICE//[:.]/ } short
	# shellcheck disable=SC2086
	short=$(printf '%x:%x:%x.%x' $(printf '0x%s ' $a))
	echo "(pci-stub $RK_DEVICE: kvm $1 device|\] $1 device ${short//./\\.})\$"
}
# lk_released - nothing of the device is left with KVM.
lk_released() {
	[ "$(lk_enable)" = 0 ] && ! grep -q "kvm:$RK_DEVICE\$" /proc/interrupts
}
# lk_fresh - the device released before a test: when a VMM of an earlier test
# outlived it (a test killed by its timeout skips teardown), kill every
# process that holds a VM, saying so, and wait for the release.
lk_fresh() {
	local p end=$((SECONDS + 10))
	lk_released && return 0
	for p in /proc/[0-9]*; do
		ls -l "$p/fd" 2>/dev/null | grep -q 'anon_inode:kvm-vm$' || continue
		echo "# killing ${p#/proc/} ($(tr '\0' ' ' <"$p/cmdline" | cut -c1-60)): it holds a VM" >&3
		kill -KILL "${p#/proc/}" 2>/dev/null
	done
	until lk_released; do
		[ "$SECONDS" -lt "$end" ] || fail "the device is still held by KVM before the test"
		sleep 0.2
	done
}

# lk_start_stub NAME [stub-vmm options] - a stub VMM serving its VM on
# $BATS_TEST_TMPDIR/NAME.sock; sets STUB_PID and STUB_SOCK, and VMM_PID and
# VMM_SOCK (the VMM of ka's modes pid, socket and fd).
lk_start_stub() {
	local name=$1 out
	shift
	STUB_SOCK=$BATS_TEST_TMPDIR/$name.sock
	out=$BATS_TEST_TMPDIR/$name.out
	"$STUB_VMM" "$@" --socket="$STUB_SOCK" >"$out" 2>&1 3>&- &
	STUB_PID=$!
	LK_PIDS+=("$STUB_PID")
	rk_wait_for "$STUB_PID" grep -q '^ready ' "$out" || {
		cat "$out"
		return 1
	}
	VMM_PID=$STUB_PID VMM_SOCK=$STUB_SOCK
}
# lk_has_vm PID - the process holds a KVM VM fd.
lk_has_vm() { ls -l "/proc/$1/fd" 2>/dev/null | grep -q 'anon_inode:kvm-vm$'; }
# lk_start_qemu [QEMU options] - a real QEMU (q35, in-kernel irqchip unless
# the options say otherwise), stopped (-S), with QMP on $QMP; sets QEMU_PID
# and VMM_PID once its VM exists and QMP listens.
lk_start_qemu() {
	QMP=$BATS_TEST_TMPDIR/qmp.sock
	rm -f "$QMP"
	qemu-system-x86_64 -accel kvm -machine q35 -S -nodefaults -display none \
		-m 64 -qmp "unix:$QMP,server=on,wait=off" "$@" \
		</dev/null >"$BATS_TEST_TMPDIR/qemu.log" 2>&1 3>&- &
	QEMU_PID=$!
	LK_PIDS+=("$QEMU_PID")
	rk_wait_for "$QEMU_PID" test -S "$QMP" &&
		rk_wait_for "$QEMU_PID" lk_has_vm "$QEMU_PID" || {
		cat "$BATS_TEST_TMPDIR/qemu.log"
		return 1
	}
	VMM_PID=$QEMU_PID
}
# lk_stop PID - end a VMM: SIGTERM, and SIGKILL (saying so) when it is still
# there after 10 s; return once it is reaped, so its VM is closed.
lk_stop() {
	local end=$((SECONDS + 10))
	kill "$1" 2>/dev/null || return 0
	while kill -0 "$1" 2>/dev/null && [ "$SECONDS" -lt "$end" ]; do
		[ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" = Z ] && break
		sleep 0.1
	done
	if [ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" != Z ] && kill -0 "$1" 2>/dev/null; then
		echo "# VMM $1 outlived SIGTERM by 10 s: $(grep -E '^(State|SigPnd|ShdPnd|SigBlk|TracerPid):' "/proc/$1/status" | tr '\n\t' '  ')" >&3
		kill -KILL "$1" 2>/dev/null
	fi
	wait "$1" 2>/dev/null
	return 0
}
lk_stop_all() {
	local p
	for p in "${LK_PIDS[@]}"; do
		lk_stop "$p"
	done
	LK_PIDS=()
}
LK_PIDS=()

# ka MODE ARGS... - kvm-assign against a VMM. MODE qemu: --pid=$QEMU_PID;
# stub: --socket=$STUB_SOCK; pid, socket: the current VMM (VMM_PID,
# VMM_SOCK); fd: the VM fd inherited as fd 7 from a process that received it
# by the hand-off from $VMM_SOCK, while that VMM lives.
# --timeout: a first assign maps all of QEMU's RAM into the emulated IOMMU,
# about 0.5 s under TCG, but over the default 5 s on a loaded machine.
LK_TIMEOUT=--timeout=60
ka() {
	local mode=$1
	shift
	case $mode in
	qemu) "$KVM_ASSIGN" $LK_TIMEOUT --pid="$QEMU_PID" "$@" ;;
	stub) "$KVM_ASSIGN" $LK_TIMEOUT --socket="$STUB_SOCK" "$@" ;;
	pid) "$KVM_ASSIGN" $LK_TIMEOUT --pid="$VMM_PID" "$@" ;;
	socket) "$KVM_ASSIGN" $LK_TIMEOUT --socket="$VMM_SOCK" "$@" ;;
	fd) "$FD_EXEC" "$VMM_SOCK" 7 -- "$KVM_ASSIGN" $LK_TIMEOUT --fd=7 "$@" ;;
	esac
}
# pid_of MODE - the pid of the VMM that mode reaches.
pid_of() {
	case $1 in
	qemu) echo "$QEMU_PID" ;;
	stub) echo "$STUB_PID" ;;
	*) echo "$VMM_PID" ;;
	esac
}

# refused MODE EXIT IOCTL ERRNO ARGS... - kvm-assign ARGS exits EXIT after
# IOCTL answered ERRNO inside the VMM ($output holds what it said).
refused() {
	local mode=$1 code=$2 ioctl=$3 err=$4
	shift 4
	run ka "$mode" -v "$@"
	assert_failure "$code"
	assert_line --regexp "^$ioctl 0x[0-9a-f]+ .*: $err in pid $(pid_of "$mode") "
	assert_output --partial "$ioctl failed with $err in the VMM"
}
# ok MODE ARGS... - kvm-assign ARGS succeeds inside the VMM.
ok() {
	run ka "$1" -v "${@:2}"
	assert_success
	assert_line --regexp ": ok in pid $(pid_of "$1") "
	refute_output --regexp ": E[A-Z]+ in pid "
}

# item NAME - "status value" of one item of kvm-assign --json check in $output.
item() { jq -r --arg n "$1" '.items[] | select(.name == $n) | "\(.status) \(.value // "")"' <<<"$output"; }
# verdict - "legacy exit_code" of the verdict in $output.
verdict() { jq -r '"\(.verdict.legacy) \(.verdict.exit_code)"' <<<"$output"; }
