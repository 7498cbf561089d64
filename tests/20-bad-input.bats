#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# 20-bad-input.bats - every bad input gets one error line naming it, the
# documented exit code, and no ioctl reaches the (simulated) kernel.

load test_helper

# bad EXIT 'expected text' kvm-assign-args...: run against a live VMM
# under the simulated kernel, so any ioctl the tool let through is logged.
bad() {
	local code=$1 text=$2
	shift 2
	run with_vmm -- -- "$KVM_ASSIGN" "${PCI_DUMP[@]}" "$@"
	assert_failure "$code"
	# One kvm-assign line; a usage error adds util-linux's hint line.
	assert_line --index 0 --regexp "^kvm-assign: "
	assert_line --index 0 --partial "$text"
	if [ "$code" = 2 ]; then
		assert_line --index 1 --regexp "^Try 'kvm-assign( [a-z-]+)? --help' for more information\.$"
		assert_equal "${#lines[@]}" 2
	else
		assert_equal "${#lines[@]}" 1
	fi
	assert_no_legacy_ioctl
	BAD_COUNT=$((${BAD_COUNT:-0} + 1))
}

S=--socket=@SOCKET@

@test "malformed device addresses" {
	bad 2 "device '03:00': not a PCI address" $S assign 03:00
	bad 2 "device '03:00.8'" $S assign 03:00.8
	bad 2 "device '03:20.0'" $S assign 03:20.0
	bad 2 "device '100:00.0'" $S assign 100:00.0
	bad 2 "device '10000:00:00.0'" $S assign 10000:00:00.0
	bad 2 "device 'xyz'" $S assign xyz
	bad 2 "device '*:00.0'" $S assign '*:00.0'
	bad 2 "device ''" $S assign ''
	bad 2 "device '03:00.0 '" $S assign '03:00.0 '
	bad 2 "device '/sys/bus/pci/devices/'" $S assign /sys/bus/pci/devices/
	bad 2 "device '/sys/bus/pci/devices/garbage'" $S assign /sys/bus/pci/devices/garbage
	bad 2 "device '-3:00.0'" $S deassign -- -3:00.0
}

@test "missing and extra arguments" {
	bad 2 "no device given: assign needs a DEVICE" $S assign
	bad 2 "no device given: name a DEVICE or --id=N" $S deassign
	bad 2 "unexpected argument 'extra'" $S assign 03:00.0 extra
	bad 2 "unexpected argument '04:00.0'" $S deassign 03:00.0 04:00.0
	bad 2 "--bogus: unknown option" $S assign 03:00.0 --bogus
	bad 2 "--share-intx: unknown option" $S deassign --id=1 --share-intx
	bad 2 "no command given" $S
	bad 2 "unknown command 'asign'" $S asign 03:00.0
	bad 2 "unexpected argument 'now'" $S check 03:00.0 now
	bad 2 "device 'now': not a PCI address" $S check now
}

@test "out-of-range and malformed ids" {
	bad 2 "--id: '-1'" $S assign 03:00.0 --id=-1
	bad 2 "--id: '0x100000000'" $S deassign --id=0x100000000
	bad 2 "--id: '4294967296'" $S deassign --id=4294967296
	bad 2 "--id: 'abc'" $S deassign --id=abc
	bad 2 "--id: ''" $S deassign --id=
	bad 2 "--id: '12abc'" $S intx-mask --id=12abc on
}

@test "interrupt types and GSIs" {
	bad 2 "no interrupt given" $S irq --id=1
	bad 2 "--host: 'legacy' is not an interrupt type" $S irq --id=1 --host=legacy
	bad 2 "--guest: 'MSI' is not an interrupt type" $S irq --id=1 --guest=MSI --guest-irq=3
	bad 2 "--guest=msi needs --guest-irq=<gsi>" $S irq --id=1 --guest=msi
	bad 2 "--guest=intx needs --guest-irq=<gsi>" $S irq --id=1 --host=intx --guest=intx
	bad 2 "--guest-irq: '4096' is not a GSI" $S irq --id=1 --guest=intx --guest-irq=4096
	bad 2 "--guest-irq: '-5' is not a GSI" $S irq --id=1 --guest=intx --guest-irq=-5
	bad 2 "--guest-irq needs --guest=<type>" $S irq --id=1 --host=intx --guest-irq=5
	bad 2 "--guest-irq does not apply to --remove" $S irq --remove --id=1 --guest=intx --guest-irq=5
}

@test "MSI-X counts, entries and GSIs" {
	bad 2 "no --count given" $S msix --id=1 0:1
	bad 2 "--count: '0'" $S msix --id=1 --count=0
	bad 2 "--count: '257'" $S msix --id=1 --count=257 0:1
	bad 2 "--count: 'many'" $S msix --id=1 --count=many
	bad 2 "'4:10': entry 4 is outside the 4 entries of --count (0 to 3)" $S msix --id=1 --count=4 0:1 1:2 2:3 4:10
	bad 2 "'1:11': entry 1 is given twice" $S msix --id=1 --count=4 0:1 1:10 1:11 2:3
	bad 2 "'1:4096': '4096' is not a GSI" $S msix --id=1 --count=2 0:1 1:4096
	bad 2 "'1' is not an <entry>:<gsi> pair" $S msix --id=1 --count=1 1
	bad 2 "'a:1': 'a' is not an MSI-X entry number" $S msix --id=1 --count=1 a:1
	bad 2 "--count=4 but 2 <entry>:<gsi> pairs given" $S msix --id=1 --count=4 0:1 1:2
	bad 2 "--count=9: device 0000:03:00.0 has only 8 MSI-X table entries" $S msix 03:00.0 --count=9 0:1 1:1 2:1 3:1 4:1 5:1 6:1 7:1 8:1
	bad 2 "device 0000:03:00.1 has no MSI-X capability" $S msix 03:00.1 --count=1 0:1
}

@test "INTx mask states" {
	bad 2 "'maybe' is not a mask state" $S intx-mask --id=1 maybe
	bad 2 "no state given: say on or off" $S intx-mask --id=1
	bad 2 "unexpected argument 'off'" $S intx-mask 03:00.0 on off
}

@test "VM fd sources: malformed, conflicting, missing" {
	bad 2 "--fd: 'abc' is not a file descriptor number" --fd=abc assign 03:00.0
	bad 2 "--fd: '-1'" --fd=-1 assign 03:00.0
	bad 2 "--socket: empty path" --socket= assign 03:00.0
	long=/tmp/$(printf 'x%.0s' {1..120})
	bad 2 "socket '$long': path too long (at most 107 bytes)" --socket="$long" assign 03:00.0
	bad 2 "--socket, --fd and --pid each name a VM: give one" $S --fd=0 assign 03:00.0
	bad 2 "--socket, --fd and --pid each name a VM: give one" --pid=1 --fd=0 assign 03:00.0
	bad 2 "--pid: '0' is not a process id" --pid=0 assign 03:00.0
	bad 2 "--pid: 'self' is not a process id" --pid=self assign 03:00.0
	bad 2 "--vm-fd: 'x' is not a file descriptor number" --pid=1 --vm-fd=x assign 03:00.0
	bad 2 "no VM given: use --socket=PATH, --fd=N or --pid=PID" assign 03:00.0
	bad 2 "--timeout: '0'" $S --timeout=0 assign 03:00.0
	bad 2 "--timeout: 'soon'" $S --timeout=soon assign 03:00.0
	bad 2 "unknown libpci method 'nosuch'" $S -A nosuch assign 03:00.0
	bad 2 "'junk' is not a known libpci NAME=VALUE parameter" $S -O junk assign 03:00.0
}

@test "VM fds that are not there or not a VM: exit 6" {
	bad 6 "socket /nonexistent/vmm.sock: cannot connect: No such file or directory" \
		--socket=/nonexistent/vmm.sock assign 03:00.0
	bad 6 "fd 77: not open in kvm-assign" --fd=77 assign 03:00.0
	bad 6 "fd 0: not a KVM VM fd (it is /dev/null)" --fd=0 assign 03:00.0 </dev/null
}

@test "a device that is not there: exit 5" {
	bad 5 "device 0000:05:00.0: not found" $S assign 05:00.0
	bad 5 "device 0001:00:00.0: not found" $S assign /sys/bus/pci/devices/0001:00:00.0
}
