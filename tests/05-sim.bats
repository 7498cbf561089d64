#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# 05-sim.bats - self-tests of the test machinery: the simulated kernel kvm-sim
# (driven by raw ioctls from tests/helpers/kvm-ioctl) and the stub VMM.

load test_helper
bats_require_minimum_version 1.5.0

setup() {
	KLOG="$BATS_TEST_TMPDIR/kernel.log"
	KSTATE="$BATS_TEST_TMPDIR/kernel.state"
}

setup_file() {
	if [ ! -x "${KVM_IOCTL:-}" ]; then
		echo "05-sim: \$KVM_IOCTL (tests/helpers/kvm-ioctl) is missing: run 'make check'" >&2
		return 1
	fi
}

# kio [kvm-sim options] -- [kvm-ioctl args]: raw ioctls under the simulator.
kio() {
	local simargs=()
	while [ $# -gt 0 ] && [ "$1" != "--" ]; do
		simargs+=("$1")
		shift
	done
	shift
	sim "${simargs[@]}" -- "$KVM_IOCTL" "$@"
}

# Start a stub VMM in the background (inside a sim'd shell); used as
#   sim -- bash -c "$(vmm_script [stub options]) ; <commands using $SOCK $VMM_PID>"
vmm_script() {
	local sock="$BATS_TEST_TMPDIR/vmm.sock" out="$BATS_TEST_TMPDIR/vmm.out"
	cat <<EOF
SOCK='$sock'
rm -f '$out' '$sock'
'$STUB_VMM' --socket='$sock' $* > '$out' 2>&1 &
want='^ready '; case '$*' in *--print-vm-fd*) want='^vmfd ';; esac
for i in \$(seq 100); do grep -qs "\$want" '$out' && break; sleep 0.05; done
VMM_PID=\$(awk '/^ready /{print \$2}' '$out')
VMFD=\$(awk '/^vmfd /{print \$2}' '$out')
EOF
}

A=0x100                 # the id QEMU derives for 0000:01:00.0
DEV="$A:0:1:0"          # id:segment:bus:devfn
IOMMU=1 PCI23=3         # flags: ENABLE_IOMMU, ENABLE_IOMMU|PCI_2_3

# ---------------------------------------------------------------- kvm-sim CLI

@test "kvm-sim: --help exits 0, usage errors exit 2" {
	run "$KVM_SIM" --help
	assert_success
	assert_output --partial 'Usage: kvm-sim'
	run "$KVM_SIM" --bogus -- true
	assert_equal "$status" 2
	assert_output --partial "Try 'kvm-sim --help'"
	run "$KVM_SIM"
	assert_equal "$status" 2
	run "$KVM_SIM" --fail=KVM_NOPE:EIO -- true
	assert_equal "$status" 2
	run "$KVM_SIM" --device=zz -- true
	assert_equal "$status" 2
}

@test "kvm-sim: passes the command's exit status, 128+N when killed, 127 if missing" {
	run "$KVM_SIM" -- sh -c 'exit 7'
	assert_equal "$status" 7
	run "$KVM_SIM" -- sh -c 'kill -9 $$'
	assert_equal "$status" 137
	run -127 "$KVM_SIM" -- /nonexistent/program
	assert_equal "$status" 127
}

@test "kvm-sim: ordinary calls pass untouched and are not logged" {
	run sim -- sh -c 'cat /etc/hostname >/dev/null && readlink /proc/self/exe && ls /proc/self/fd | wc -l'
	assert_success
	assert_line --index 0 --regexp '/readlink$'
	[ ! -s "$KLOG" ]
}

@test "kvm-sim: a non-KVMIO ioctl on a VM fd reaches the real kernel (not trapped)" {
	run kio -- raw:0x5401
	assert_success
	assert_output 'raw:0x5401 ret=-1 errno=ENOTTY'
	run grep -c 'op=ioctl' "$KLOG"
	assert_output 1                 # only KVM_CREATE_VM
}

@test "kvm-sim: the command's process group is killed when the command exits" {
	SECONDS=0
	run "$KVM_SIM" -- bash -c 'sleep 60 & echo started'
	assert_success
	[ "$SECONDS" -lt 5 ]
}

@test "kvm-sim: no fds leak into the command" {
	run sim -- sh -c 'ls /proc/self/fd'
	assert_success
	assert_output "$(sh -c 'ls /proc/self/fd')"
}

# ------------------------------------------------------------------ /dev/kvm

@test "/dev/kvm: open is simulated and logged; CLOEXEC follows the open flags" {
	run kio -- api syscap:18 syscap:29 syscap:47 syscap:75 syscap:99
	assert_success
	assert_line 'api ret=12'
	assert_line 'syscap:18 ret=1'
	assert_line 'syscap:29 ret=1'
	assert_line 'syscap:47 ret=1'
	assert_line 'syscap:75 ret=1'
	assert_line 'syscap:99 ret=0'
	run grep -E '^op=open .*path=/dev/kvm flags=0x80002 ret=[0-9]+ obj=sys1$' "$KLOG"
	assert_success
	# fdinfo flags are octal; O_CLOEXEC is 02000000
	run sim -- bash -c "(exec 7</dev/kvm; grep flags /proc/self/fdinfo/7)
		$(vmm_script --print-vm-fd)
		for f in /proc/\$VMM_PID/fd/*; do
			[ \"\$(readlink \$f)\" = /dev/kvm ] && grep flags /proc/\$VMM_PID/fdinfo/\${f##*/}
		done
		grep flags /proc/\$VMM_PID/fdinfo/\$VMFD"
	assert_line --index 0 --regexp '^flags:[[:space:]]+0[01]?[0-7]{5}$'
	assert_line --index 1 --regexp '^flags:[[:space:]]+02[0-7]{6}$'     # /dev/kvm, O_CLOEXEC
	assert_line --index 2 --regexp '^flags:[[:space:]]+02[0-7]{6}$'     # the VM fd
}

@test "/dev/kvm: --no-dev-kvm gives ENOENT, --dev-kvm-errno=EACCES that errno" {
	run kio --no-dev-kvm -- api
	assert_failure
	assert_output 'open ret=-1 errno=ENOENT'
	run kio --dev-kvm-errno=EACCES -- api
	assert_output 'open ret=-1 errno=EACCES'
	run grep -c 'op=open .*errno=EACCES' "$KLOG"
	assert_output 1
}

@test "capabilities: --no-iommu clears KVM_CAP_IOMMU; --mode=removed answers 0" {
	run kio --no-iommu -- syscap:18 cap:18 cap:29
	assert_line 'syscap:18 ret=0'
	assert_line 'cap:18 ret=0'
	assert_line 'cap:29 ret=1'
	run kio --mode=removed -- syscap:18 syscap:29 syscap:47 syscap:75 cap:18
	assert_output "$(printf 'syscap:%s ret=0\n' 18 29 47 75; echo 'cap:18 ret=0')"
}

# ------------------------------------------------------- links, kcmp, vcpus

@test "readlink: /proc/self/fd/N shows /dev/kvm and anon_inode:kvm-vm" {
	run kio -- readlink:vm readlink:sys
	assert_line 'readlink:vm link=anon_inode:kvm-vm'
	assert_line 'readlink:sys link=/dev/kvm'
	run grep -c '^op=readlink .*link=anon_inode:kvm-vm ret=17$' "$KLOG"
	assert_output 1
}

@test "readlink: another process's fds, vcpus, relative to cwd and to a dirfd (find)" {
	run sim -- bash -c "$(vmm_script --vcpus=2 --print-vm-fd)
		readlink /proc/\$VMM_PID/fd/\$VMFD
		cd /proc/\$VMM_PID/fd && readlink \$VMFD
		find /proc/\$VMM_PID/fd -lname 'anon_inode:kvm-vcpu:*' -printf '%l\n' | sort
		ls -l /proc/\$VMM_PID/fd | grep -c kvm-"
	assert_success
	assert_line --index 0 'anon_inode:kvm-vm'
	assert_line --index 1 'anon_inode:kvm-vm'
	assert_line --index 2 'anon_inode:kvm-vcpu:0'
	assert_line --index 3 'anon_inode:kvm-vcpu:1'
	assert_line --index 4 '3'
}

@test "readlink: fds of non-simulated files still show their real links" {
	run sim -- sh -c 'readlink /proc/self/fd/0 </dev/null'
	assert_output '/dev/null'
}

@test "kcmp(KCMP_FILE): a received VM fd is the VMM's file" {
	run sim -- bash -c "$(vmm_script --print-vm-fd)
		'$KVM_IOCTL' --recv=\$SOCK kcmp:\$VMM_PID:\$VMFD kcmp:\$VMM_PID:0"
	assert_success
	assert_line --regexp '^recv len=12 data=KVM-VM-FD 1\\n nfds=1 ctrunc=0 fd=[0-9]+ link=anon_inode:kvm-vm$'
	assert_line --regexp '^kcmp:[0-9]+:[0-9]+ ret=0$'
	assert_line --regexp '^kcmp:[0-9]+:0 ret=[12]$'
}

@test "vcpu and irqchip: EEXIST twice; irqchip after a vcpu is EINVAL" {
	run kio -- vcpu:0 vcpu:0 vcpu:5000 irqchip
	assert_line --regexp '^vcpu:0 ret=[0-9]+$'
	assert_line 'vcpu:0 ret=-1 errno=EEXIST'
	assert_line 'vcpu:5000 ret=-1 errno=EINVAL'
	assert_line 'irqchip ret=-1 errno=EINVAL'
	run kio -- --irqchip irqchip
	assert_output 'irqchip ret=-1 errno=EEXIST'
}

# ---------------------------------------------------------- the creator rule

@test "creator rule: a forked child gets EIO for every VM ioctl, the creator does not" {
	run kio -- --irqchip assign:$DEV:$IOMMU fork:cap:18 fork:deassign:$A fork:assign:0x200:0:2:0:1 cap:18
	assert_line "assign:$DEV:$IOMMU ret=0"
	assert_line 'cap:18 ret=-1 errno=EIO'
	assert_line "deassign:$A ret=-1 errno=EIO"
	assert_line 'assign:0x200:0:2:0:1 ret=-1 errno=EIO'
	assert_line 'cap:18 ret=1'
	run grep -c 'why=not-creator' "$KLOG"
	assert_output 3
	run grep -c '^dev ' "$KSTATE"
	assert_output 1
}

@test "creator rule: the creator itself after execve gets EIO (new mm)" {
	run kio -- cap:18 exec pid cap:18 vcpu:0
	assert_line --index 0 'cap:18 ret=1'
	assert_line --index 2 'cap:18 ret=-1 errno=EIO'
	assert_line --index 3 'vcpu:0 ret=-1 errno=EIO'
	pid=$(grep -m1 '^op=open' "$KLOG" | sed -E 's/.* pid=([0-9]+) .*/\1/')
	run grep -c "op=ioctl .* pid=$pid .*why=not-creator" "$KLOG"
	assert_output 2
}

@test "creator rule: threads of the creator share its mm; the log names the TGID" {
	run kio -- thread:cap:18
	assert_output 'cap:18 ret=1'
	run grep 'KVM_CHECK_EXTENSION' "$KLOG"
	assert_output --regexp ' pid=([0-9]+) tid=[0-9]+ '
	pid=$(sed -E 's/.* pid=([0-9]+) tid=([0-9]+) .*/\1/' <<<"$output")
	tid=$(sed -E 's/.* pid=([0-9]+) tid=([0-9]+) .*/\2/' <<<"$output")
	[ "$pid" != "$tid" ]
}

@test "creator rule: a VM fd received over the socket answers EIO" {
	run sim -- bash -c "$(vmm_script) '$KVM_IOCTL' --recv=\$SOCK cap:18 assign:$DEV:$IOMMU"
	assert_line 'cap:18 ret=-1 errno=EIO'
	assert_line "assign:$DEV:$IOMMU ret=-1 errno=EIO"
}

@test "creator rule: --creator-rule=off lets a forked child change the state" {
	run kio --creator-rule=off -- fork:assign:$DEV:$IOMMU exec deassign:$A
	assert_line "assign:$DEV:$IOMMU ret=0"
	assert_line "deassign:$A ret=0"
}

# ----------------------------------------------------- KVM_ASSIGN_PCI_DEVICE

@test "ASSIGN_PCI_DEVICE: ENABLE_IOMMU missing EINVAL, then EEXIST on the id" {
	run kio -- assign:$DEV:0 assign:$DEV:$IOMMU assign:$DEV:$IOMMU assign:$A:0:2:0:0
	assert_output "$(printf '%s\n' "assign:$DEV:0 ret=-1 errno=EINVAL" "assign:$DEV:$IOMMU ret=0" \
		"assign:$DEV:$IOMMU ret=-1 errno=EEXIST" "assign:$A:0:2:0:0 ret=-1 errno=EINVAL")"
}

@test "ASSIGN_PCI_DEVICE: absent EINVAL, bridge EPERM, no BARs EPERM, busy EBUSY" {
	run kio --device=0000:01:00.0 --device=0000:00:01.0,bridge --device=0000:02:00.0,no-bars \
		--device=0000:03:00.0,busy -- \
		assign:0x500:0:5:0:1 assign:0x8:0:0:8:1 assign:0x200:0:2:0:1 assign:0x300:0:3:0:1 \
		assign:$DEV:$IOMMU assign:0x999:0:1:0:1
	assert_line 'assign:0x500:0:5:0:1 ret=-1 errno=EINVAL'
	assert_line 'assign:0x8:0:0:8:1 ret=-1 errno=EPERM'
	assert_line 'assign:0x200:0:2:0:1 ret=-1 errno=EPERM'
	assert_line 'assign:0x300:0:3:0:1 ret=-1 errno=EBUSY'
	assert_line "assign:$DEV:$IOMMU ret=0"
	assert_line 'assign:0x999:0:1:0:1 ret=-1 errno=EBUSY'    # same device, second id
}

@test "ASSIGN_PCI_DEVICE: --no-iommu ENODEV; --no-intremap EPERM unless unsafe allowed" {
	run kio --no-iommu --no-intremap -- assign:$DEV:$IOMMU
	assert_output "assign:$DEV:$IOMMU ret=-1 errno=ENODEV"
	run kio --no-intremap -- assign:$DEV:$IOMMU
	assert_output "assign:$DEV:$IOMMU ret=-1 errno=EPERM"
	run kio --no-intremap --allow-unsafe-interrupts -- assign:$DEV:$IOMMU
	assert_output "assign:$DEV:$IOMMU ret=0"
}

@test "ASSIGN_PCI_DEVICE: PCI_2_3 is dropped silently for a device without INTx masking" {
	run kio --device=0000:01:00.0,no-intx-mask --device=0000:02:00.0 -- \
		assign:$DEV:$PCI23 assign:0x200:0:2:0:$PCI23
	assert_success
	assert_line "assign:$DEV:$PCI23 ret=0"
	run grep '^dev ' "$KSTATE"
	assert_line 'dev vm=vm1 id=0x100 addr=0000:01:00.0 flags=0x1 intx_mask=0 irq=0x0 guest_irq=0 msix_nr=0'
	assert_line 'dev vm=vm1 id=0x200 addr=0000:02:00.0 flags=0x3 intx_mask=0 irq=0x0 guest_irq=0 msix_nr=0'
}

@test "ASSIGN_PCI_DEVICE: a device held by another live VM is EBUSY, free once it is gone" {
	run sim -- bash -c "
		'$KVM_IOCTL' assign:$DEV:$IOMMU sleep:1500 &
		sleep 0.5; '$KVM_IOCTL' assign:$DEV:$IOMMU; wait
		'$KVM_IOCTL' assign:$DEV:$IOMMU"
	assert_output "$(printf '%s\n' "assign:$DEV:$IOMMU ret=0" "assign:$DEV:$IOMMU ret=-1 errno=EBUSY" \
		"sleep:1500 ret=0" "assign:$DEV:$IOMMU ret=0")"
}

@test "ASSIGN_PCI_DEVICE: no per-VM limit on assigned devices (the kernel keeps a list)" {
	local args=() i
	for i in $(seq 1 40); do args+=("assign:$((i << 8)):0:$i:0:$IOMMU"); done
	run kio -- "${args[@]}" deassign:$((20 << 8)) "assign:$((20 << 8)):0:20:0:$IOMMU"
	assert_success
	assert_equal "$(grep -c ' ret=0$' <<<"$output")" 42
	run grep '^vm ' "$KSTATE"
	assert_output --partial 'devices=40'
}

@test "ASSIGN_PCI_DEVICE: the log holds exactly the argument bytes" {
	run kio -- assign:0x12345:1:0x23:0x45:3
	assert_success
	run grep 'ioctl=KVM_ASSIGN_PCI_DEVICE' "$KLOG"
	assert_output --regexp "^op=ioctl seq=2 pid=[0-9]+ tid=[0-9]+ comm=kvm-ioctl fd=[0-9]+ obj=vm1 ioctl=KVM_ASSIGN_PCI_DEVICE nr=0x8040ae69 len=64 bytes=4523010023000000450000000300000001000000(00){44} ret=0\$"
}

# ------------------------------------------------- the other legacy ioctls

@test "DEASSIGN_PCI_DEVICE: unknown id EINVAL; frees the device and its irq state" {
	run kio -- --irqchip deassign:$A assign:$DEV:$PCI23 irq:$A:0x101:5 deassign:$A deassign:$A assign:$DEV:$IOMMU
	assert_output "$(printf '%s\n' "deassign:$A ret=-1 errno=EINVAL" "assign:$DEV:$PCI23 ret=0" \
		"irq:$A:0x101:5 ret=0" "deassign:$A ret=0" "deassign:$A ret=-1 errno=EINVAL" \
		"assign:$DEV:$IOMMU ret=0")"
	run grep '^dev ' "$KSTATE"
	assert_output 'dev vm=vm1 id=0x100 addr=0000:01:00.0 flags=0x1 intx_mask=0 irq=0x0 guest_irq=0 msix_nr=0'
}

@test "ASSIGN_DEV_IRQ: no irqchip EINVAL, unknown ENODEV, bad type combinations EINVAL" {
	run kio -- assign:$DEV:$PCI23 irq:$A:0x101:5
	assert_line "irq:$A:0x101:5 ret=-1 errno=EINVAL"
	run kio -- --irqchip assign:$DEV:$PCI23 irq:0x7:0x101:5 irq:$A:0x3:0 irq:$A:0x300:0 irq:$A:0:0 irq:$A:0x8:0 irq:$A:0x800:0
	assert_line 'irq:0x7:0x101:5 ret=-1 errno=ENODEV'
	assert_line "irq:$A:0x3:0 ret=-1 errno=EINVAL"
	assert_line "irq:$A:0x300:0 ret=-1 errno=EINVAL"
	assert_line "irq:$A:0:0 ret=-1 errno=EINVAL"
	assert_line "irq:$A:0x8:0 ret=-1 errno=EINVAL"
	assert_line "irq:$A:0x800:0 ret=-1 errno=EINVAL"
}

@test "ASSIGN_DEV_IRQ: host INTx without PCI_2_3 works (0) unless the line is shared (EIO)" {
	run kio -- --irqchip assign:$DEV:$IOMMU irq:$A:0x101:5
	assert_line "irq:$A:0x101:5 ret=0"
	run grep '^dev ' "$KSTATE"
	assert_output --partial 'flags=0x1 intx_mask=0 irq=0x101 guest_irq=5 '
	run kio --device=0000:01:00.0,shared-intx -- --irqchip assign:$DEV:$IOMMU irq:$A:0x101:5 \
		deassign:$A assign:$DEV:$PCI23 irq:$A:0x101:5
	assert_line --index 1 "irq:$A:0x101:5 ret=-1 errno=EIO"
	assert_line --index 4 "irq:$A:0x101:5 ret=0"      # PCI 2.3 masking: shared is fine
	# PCI_2_3 dropped for a device that cannot mask INTx: exclusive again, EIO.
	run kio --device=0000:01:00.0,shared-intx,no-intx-mask -- --irqchip assign:$DEV:$PCI23 irq:$A:0x101:5
	assert_line "irq:$A:0x101:5 ret=-1 errno=EIO"
}

@test "ASSIGN_DEV_IRQ: EEXIST for a second half; the host half is not rolled back" {
	run kio -- --irqchip assign:$DEV:$IOMMU irq:$A:0x002:0 irq:$A:0x204:0 irq:$A:0x100:7 irq:$A:0x200:9
	assert_line "irq:$A:0x002:0 ret=0"                  # host MSI alone
	assert_line "irq:$A:0x204:0 ret=-1 errno=EEXIST"    # host already assigned
	assert_line "irq:$A:0x100:7 ret=0"                  # guest INTx alone
	assert_line "irq:$A:0x200:9 ret=-1 errno=EEXIST"
	run grep '^dev ' "$KSTATE"
	assert_output --partial 'irq=0x102 guest_irq=7 '
	run kio -- --irqchip assign:$DEV:$IOMMU irq:$A:0x100:3 irq:$A:0x202:0
	assert_line "irq:$A:0x202:0 ret=-1 errno=EEXIST"
	run grep '^dev ' "$KSTATE"
	assert_output --partial 'irq=0x102 guest_irq=3 '     # host MSI stayed
}

@test "ASSIGN_DEV_IRQ: HOST_MSIX needs MSI-X entries first" {
	run kio -- --irqchip assign:$DEV:$IOMMU irq:$A:0x404:0 msixnr:$A:2 msixent:$A:0:24 \
		irq:$A:0x404:0 msixent:$A:1:25 irq:$A:0x404:0
	assert_line --index 0 "assign:$DEV:$IOMMU ret=0"
	assert_line --index 1 "irq:$A:0x404:0 ret=-1 errno=EINVAL"
	assert_line --index 4 "irq:$A:0x404:0 ret=-1 errno=EINVAL"     # entries 0 and 0: duplicate
	assert_line --index 6 "irq:$A:0x404:0 ret=0"
}

@test "kvm-sim --kernel=LINE: 3.10 answers host MSI-X above the table with its size, 4.9 a count above 256 with ENOSPC" {
	run kio --kernel=3.10 --device=0000:01:00.0,msix=5 -- --irqchip assign:$DEV:$IOMMU msixnr:$A:6 \
		msixent:$A:0:24 msixent:$A:1:25 msixent:$A:2:26 msixent:$A:3:27 msixent:$A:4:28 msixent:$A:5:29 \
		irq:$A:0x404:0 irq:$A:0x404:0 msixnr:$A:5
	assert_line --index 8 "irq:$A:0x404:0 ret=5"                # the table's size: nothing enabled,
	assert_line --index 9 "irq:$A:0x404:0 ret=5"                # so the same again, not EEXIST
	assert_line --index 10 "msixnr:$A:5 ret=-1 errno=EINVAL"    # and the count stays
	for line in 4.1 4.9; do
		run kio --kernel=$line --device=0000:01:00.0,msix=5 -- --irqchip assign:$DEV:$IOMMU msixnr:$A:257 irq:$A:0x404:0
		assert_line --index 1 "msixnr:$A:257 ret=-1 errno=EINVAL"
		assert_line --index 2 "irq:$A:0x404:0 ret=-1 errno=$([ $line = 4.9 ] && echo ENOSPC || echo EINVAL)"
	done
	run "$KVM_SIM" --kernel=5.0 -- true
	assert_equal "$status" 2
}

@test "ASSIGN_DEV_IRQ: host MSI-X checks the device's table: a count above it ENOSPC, an entry beyond it EINVAL" {
	run kio --device=0000:01:00.0,msix=5 -- --irqchip assign:$DEV:$IOMMU msixnr:$A:6 \
		msixent:$A:0:24 msixent:$A:1:25 msixent:$A:2:26 msixent:$A:3:27 msixent:$A:4:28 msixent:$A:5:29 \
		irq:$A:0x404:0 msixnr:$A:5
	assert_line --index 1 "msixnr:$A:6 ret=0"                # accepted: the kernel does not know the table
	assert_line --index 7 "msixent:$A:5:29 ret=0"
	assert_line --index 8 "irq:$A:0x404:0 ret=-1 errno=ENOSPC"
	assert_line --index 9 "msixnr:$A:5 ret=-1 errno=EINVAL"  # the count stays
	run kio --device=0000:01:00.0,msix=5 -- --irqchip assign:$DEV:$IOMMU msixnr:$A:1 msixent:$A:7:24 \
		irq:$A:0x404:0 msixent:$A:7:0 msixent:$A:4:24 irq:$A:0x404:0
	assert_line --index 3 "irq:$A:0x404:0 ret=-1 errno=EINVAL"
	assert_line --index 6 "irq:$A:0x404:0 ret=0"
	run "$KVM_SIM" --device=0000:01:00.0,msix=x -- true
	assert_equal "$status" 2
}

@test "DEASSIGN_DEV_IRQ: removing host MSI-X frees the table and the count: SET_MSIX_NR again is 0" {
	run kio -- --irqchip assign:$DEV:$IOMMU msixnr:$A:2 msixent:$A:0:24 msixent:$A:1:25 irq:$A:0x404:0 \
		msixnr:$A:3 deirq:$A:0x004 msixnr:$A:3 irq:$A:0x004:0 msixent:$A:0:24 msixent:$A:1:25 \
		msixent:$A:2:26 irq:$A:0x004:0
	assert_line --index 5 "msixnr:$A:3 ret=-1 errno=EINVAL"   # while host MSI-X is on
	assert_line --index 6 "deirq:$A:0x004 ret=0"
	assert_line --index 7 "msixnr:$A:3 ret=0"
	assert_line --index 8 "irq:$A:0x004:0 ret=-1 errno=EINVAL" # fresh table: entry 0 three times
	assert_line --index 12 "irq:$A:0x004:0 ret=0"
	run grep '^dev ' "$KSTATE"
	assert_output --partial 'irq=0x404 guest_irq=0 msix_nr=3'
	# Removing only the guest half keeps the count.
	run kio -- --irqchip assign:$DEV:$IOMMU msixnr:$A:1 msixent:$A:0:24 irq:$A:0x404:0 deirq:$A:0x400 msixnr:$A:1
	assert_line --index 5 "msixnr:$A:1 ret=-1 errno=EINVAL"
}

@test "DEASSIGN_DEV_IRQ: unknown ENODEV, no irqchip EINVAL, nothing assigned ENXIO" {
	run kio -- assign:$DEV:$PCI23 deirq:0x7:0x101 deirq:$A:0x101
	assert_line 'deirq:0x7:0x101 ret=-1 errno=ENODEV'
	assert_line "deirq:$A:0x101 ret=-1 errno=EINVAL"
	run kio -- --irqchip assign:$DEV:$PCI23 deirq:$A:0x101 irq:$A:0x101:5 deirq:$A:0x100 deirq:$A:0x001 deirq:$A:0x001
	assert_line --index 1 "deirq:$A:0x101 ret=-1 errno=ENXIO"
	assert_line --index 2 "irq:$A:0x101:5 ret=0"
	assert_line --index 3 "deirq:$A:0x100 ret=0"
	assert_line --index 4 "deirq:$A:0x001 ret=0"
	assert_line --index 5 "deirq:$A:0x001 ret=-1 errno=ENXIO"
}

@test "SET_MSIX_NR: unknown EINVAL, 0 EINVAL, second call EINVAL; >256 is stored first" {
	run kio -- assign:$DEV:$IOMMU msixnr:0x7:4 msixnr:$A:0 msixnr:$A:256 msixnr:$A:4
	assert_line 'msixnr:0x7:4 ret=-1 errno=EINVAL'
	assert_line "msixnr:$A:0 ret=-1 errno=EINVAL"
	assert_line "msixnr:$A:256 ret=0"
	assert_line "msixnr:$A:4 ret=-1 errno=EINVAL"
	run kio -- assign:$DEV:$IOMMU msixnr:$A:257 msixnr:$A:4
	assert_line "msixnr:$A:257 ret=-1 errno=EINVAL"
	assert_line "msixnr:$A:4 ret=-1 errno=EINVAL"      # the bad count was kept
	run grep '^dev ' "$KSTATE"
	assert_output --partial 'msix_nr=257'
}

@test "SET_MSIX_ENTRY: unknown EINVAL, before NR ENOSPC, same entry replaces, full ENOSPC" {
	run kio -- assign:$DEV:$IOMMU msixent:0x7:0:1 msixent:$A:0:24 msixnr:$A:2 \
		msixent:$A:3:24 msixent:$A:3:30 msixent:$A:1:25 msixent:$A:2:26
	assert_line 'msixent:0x7:0:1 ret=-1 errno=EINVAL'
	assert_line "msixent:$A:0:24 ret=-1 errno=ENOSPC"
	assert_line "msixent:$A:3:30 ret=0"
	assert_line "msixent:$A:2:26 ret=-1 errno=ENOSPC"
	run grep '^msix ' "$KSTATE"
	assert_output "$(printf '%s\n' 'msix vm=vm1 id=0x100 slot=0 entry=3 gsi=30' \
		'msix vm=vm1 id=0x100 slot=1 entry=1 gsi=25')"
}

@test "SET_INTX_MASK: unknown ENODEV; only the MASK_INTX flag is read" {
	run kio -- assign:$DEV:$PCI23 intx:0x7:4 intx:$A:0xff
	assert_line 'intx:0x7:4 ret=-1 errno=ENODEV'
	assert_line "intx:$A:0xff ret=0"
	run grep '^dev ' "$KSTATE"
	assert_output --partial 'flags=0x7 intx_mask=1 '
	run kio -- assign:$DEV:$PCI23 intx:$A:4 intx:$A:0
	run grep '^dev ' "$KSTATE"
	assert_output --partial 'flags=0x3 intx_mask=0 '
}

@test "bad argument pointer: EFAULT for every legacy ioctl" {
	run kio -- --irqchip assign:$DEV:$IOMMU efault:assign efault:deassign efault:irq efault:deirq \
		efault:msixnr efault:msixent efault:intx
	assert_equal "$(grep -c 'errno=EFAULT' <<<"$output")" 7
	run grep -c 'bytes=unreadable ret=-1 errno=EFAULT' "$KLOG"
	assert_output 7
}

@test "--mode=removed: every legacy ioctl is ENOTTY, even before any device" {
	run kio --mode=removed -- --irqchip assign:$DEV:$IOMMU deassign:$A irq:$A:0x101:5 deirq:$A:1 \
		msixnr:$A:1 msixent:$A:0:1 intx:$A:4 efault:assign
	assert_success
	assert_equal "$(grep -c 'errno=ENOTTY' <<<"$output")" 8
}

# ----------------------------------------------------- injection, log, state

@test "--fail=N:ERRNO fails the N-th simulated ioctl, as numbered in the log" {
	run kio --fail=2:EBUSY --fail=3:5 -- cap:18 assign:$DEV:$IOMMU assign:$DEV:$IOMMU
	assert_output "$(printf '%s\n' 'cap:18 ret=-1 errno=EBUSY' "assign:$DEV:$IOMMU ret=-1 errno=EIO" \
		"assign:$DEV:$IOMMU ret=0")"
	run grep -E '^op=ioctl seq=2 .* ret=-1 errno=EBUSY why=injected$' "$KLOG"
	assert_success
}

@test "--fail=NAME:ERRNO fails every call of that ioctl, after the creator rule" {
	run kio --fail=KVM_ASSIGN_PCI_DEVICE:ENOMEM -- assign:$DEV:$IOMMU fork:assign:$DEV:$IOMMU assign:$DEV:$IOMMU
	assert_output "$(printf '%s\n' "assign:$DEV:$IOMMU ret=-1 errno=ENOMEM" \
		"assign:$DEV:$IOMMU ret=-1 errno=EIO" "assign:$DEV:$IOMMU ret=-1 errno=ENOMEM")"
	run kio --fail=KVM_CREATE_VM:EMFILE -- cap:1
	assert_failure
	assert_output 'create-vm ret=-1 errno=EMFILE'
}

@test "log: one line per simulated call, seq counts ioctls, _IO calls log arg=" {
	run kio -- cap:75 msixnr:$A:3
	run cat "$KLOG"
	assert_line --index 0 --regexp '^op=open pid=[0-9]+ tid=[0-9]+ comm=kvm-ioctl path=/dev/kvm flags=0x80002 ret=[0-9]+ obj=sys1$'
	assert_line --index 1 --regexp '^op=ioctl seq=1 .* obj=sys1 ioctl=KVM_CREATE_VM nr=0x0000ae01 len=0 arg=0 ret=[0-9]+ new=vm1$'
	assert_line --index 2 --regexp '^op=ioctl seq=2 .* obj=vm1 ioctl=KVM_CHECK_EXTENSION nr=0x0000ae03 len=0 arg=75 ret=1$'
	assert_line --index 3 --regexp '^op=ioctl seq=3 .* ioctl=KVM_ASSIGN_SET_MSIX_NR nr=0x4008ae73 len=8 bytes=0001000003000000 ret=-1 errno=EINVAL$'
}

@test "state: vm and dev lines follow the kernel's state" {
	run kio -- --irqchip vcpu:0 assign:$DEV:$PCI23 irq:$A:0x101:11 msixnr:$A:1 msixent:$A:0:40
	assert_success
	run cat "$KSTATE"
	assert_output --regexp '^vm name=vm1 creator=[0-9]+ irqchip=1 vcpus=1 devices=1
dev vm=vm1 id=0x100 addr=0000:01:00.0 flags=0x3 intx_mask=0 irq=0x101 guest_irq=11 msix_nr=1
msix vm=vm1 id=0x100 slot=0 entry=0 gsi=40$'
}

@test "robustness: many processes and threads at once, some killed mid-call" {
	run sim -- bash -c "exec 2>/dev/null
		for i in \$(seq 8); do '$KVM_IOCTL' thread:cap:18 fork:cap:18 api assign:$DEV:$IOMMU >/dev/null & done
		for i in \$(seq 4); do '$KVM_IOCTL' exec cap:18 >/dev/null & p=\$!; kill -9 \$p 2>/dev/null; done
		wait; '$KVM_IOCTL' cap:18"
	assert_success
	assert_output 'cap:18 ret=1'
	[ "$(grep -c 'ioctl=KVM_CREATE_VM .* new=vm' "$KLOG")" -ge 9 ]
	[ "$(grep -c 'ioctl=KVM_ASSIGN_PCI_DEVICE .* ret=0$' "$KLOG")" -ge 1 ]
}

# ------------------------------------------------------------------ stub-vmm

@test "stub-vmm: usage errors exit 2; no /dev/kvm fails" {
	run "$STUB_VMM"
	assert_equal "$status" 2
	run "$STUB_VMM" --socket=x --send=bogus
	assert_equal "$status" 2
	run sim --no-dev-kvm -- "$STUB_VMM" --socket="$BATS_TEST_TMPDIR/s"
	assert_failure
	assert_output --partial 'open /dev/kvm'
}

@test "stub-vmm: --send=vm hands over the VM fd with the v1 greeting; SIGTERM unlinks" {
	run sim -- bash -c "$(vmm_script --irqchip --ready-file="$BATS_TEST_TMPDIR/ready")
		stat -c '%a %F' \$SOCK
		'$KVM_IOCTL' --recv=\$SOCK
		'$KVM_IOCTL' --recv=\$SOCK
		cat '$BATS_TEST_TMPDIR/ready' | grep -qx \"ready \$VMM_PID\" && echo ready-file-ok
		kill -TERM \$VMM_PID; wait \$VMM_PID; echo vmm-exit=\$?
		test -e \$SOCK || echo unlinked"
	assert_success
	assert_line --index 0 '600 socket'
	assert_line --index 1 --regexp '^recv len=12 data=KVM-VM-FD 1\\n nfds=1 ctrunc=0 fd=[0-9]+ link=anon_inode:kvm-vm$'
	assert_line --index 2 --regexp '^recv len=12 data=KVM-VM-FD 1\\n nfds=1 ctrunc=0 '
	assert_line 'ready-file-ok'
	assert_line 'vmm-exit=0'
	assert_line 'unlinked'
	run grep -c 'ioctl=KVM_CREATE_IRQCHIP .* ret=0$' "$KLOG"
	assert_output 1
}

@test "stub-vmm: each misbehaving --send mode, as a receiver sees it" {
	for mode in sysfd vcpu none two memfd badversion short; do
		run sim -- bash -c "$(vmm_script --send=$mode) '$KVM_IOCTL' --recv=\$SOCK; kill \$VMM_PID"
		case $mode in
		sysfd) assert_output --regexp 'data=KVM-VM-FD 1\\n nfds=1 ctrunc=0 fd=[0-9]+ link=/dev/kvm$' ;;
		vcpu) assert_output --regexp 'nfds=1 ctrunc=0 fd=[0-9]+ link=anon_inode:kvm-vcpu:0$' ;;
		none) assert_output 'recv len=12 data=KVM-VM-FD 1\n nfds=0 ctrunc=0' ;;
		two) assert_output --regexp 'nfds=2 ctrunc=0 fd=[0-9]+ link=anon_inode:kvm-vm$' ;;
		memfd) assert_output --regexp 'nfds=1 ctrunc=0 fd=[0-9]+ link=/memfd:not-kvm \(deleted\)$' ;;
		badversion) assert_output --regexp '^recv len=12 data=KVM-VM-FD 9\\n nfds=1 ' ;;
		short) assert_output 'recv len=0 data= nfds=0 ctrunc=0' ;;
		esac
	done
}

@test "stub-vmm: --send=many overflows a one-fd control buffer (MSG_CTRUNC)" {
	run sim -- bash -c "$(vmm_script --send=many) '$KVM_IOCTL' --recv=\$SOCK
		'$KVM_IOCTL' --recv=\$SOCK --cmsg-space=1024; kill \$VMM_PID"
	assert_line --index 0 --regexp 'nfds=[0-9] ctrunc=1'
	assert_line --index 1 --regexp 'nfds=64 ctrunc=0'
}

@test "stub-vmm: --send=stall never answers (the receiver times out)" {
	run sim -- bash -c "$(vmm_script --send=stall) '$KVM_IOCTL' --timeout=300 --recv=\$SOCK; echo rc=\$?; kill \$VMM_PID"
	assert_line 'recv timeout'
	assert_line 'rc=1'
}

@test "stub-vmm: --exec-fd leaves the VM fd open across exec, where it answers EIO" {
	run sim -- "$STUB_VMM" --irqchip --print-vm-fd --exec-fd=7 -- "$KVM_IOCTL" --vmfd=7 readlink:vm cap:18
	assert_success
	assert_line 'vmfd 7'
	assert_line 'readlink:vm link=anon_inode:kvm-vm'
	assert_line 'cap:18 ret=-1 errno=EIO'
}

@test "stub-vmm: --uid drops to that uid before listening; the socket is its" {
	run sim -- bash -c "$(vmm_script --uid=65534)
		stat -c '%u %a' \$SOCK; awk '/^Uid:/{print \$2, \$3, \$4}' /proc/\$VMM_PID/status
		'$KVM_IOCTL' --recv=\$SOCK; kill \$VMM_PID"
	assert_line --index 0 '65534 600'
	assert_line --index 1 '65534 65534 65534'
	assert_line --index 2 --regexp 'nfds=1 ctrunc=0 fd=[0-9]+ link=anon_inode:kvm-vm$'
}

@test "stub-vmm: stopped, continued and signalled, it resumes serving" {
	run sim -- bash -c "$(vmm_script)
		kill -STOP \$VMM_PID; sleep 0.1; kill -CONT \$VMM_PID; kill -WINCH \$VMM_PID; kill -CHLD \$VMM_PID
		'$KVM_IOCTL' --recv=\$SOCK; kill \$VMM_PID"
	assert_success
	assert_output --regexp 'nfds=1 ctrunc=0 fd=[0-9]+ link=anon_inode:kvm-vm$'
}
