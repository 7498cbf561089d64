#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# 10-msix-stop.bats - bench P4 (bench/run.sh) on a real QEMU in Linux 4.1.15:
# a 256-entry MSI-X setup against a 1-entry one and against 256 invocations,
# and the stop of QEMU it costs against the stop for one ioctl.  Not part of
# the legacy suite (a subdirectory); run it with
#   KVM_ASSIGN_RK_SUITE=tests/legacy-kernel/bench \
#   KVM_ASSIGN_REAL_KERNEL_TEST_TIMEOUT=240 sh tests/legacy-kernel.sh
# (bench/run.sh does: about 90 s; the test takes longer than the default 60 s).
# The figures are TAP comments ("# P4..."); the guest runs under TCG, so the
# milliseconds are slow and only the ratios mean anything.  The count of 256
# is above the e1000e's table (5 entries): by --id kvm-assign does not look
# the device up, and KVM takes any count up to 256 (KVM_MAX_MSIX_PER_DEV)
# until an irq --host=msix enables them, which this never does.

load ../legacy

setup() {
	rk_need "$KVM_ASSIGN" "$STUB_VMM"
	lk_bind pci-stub
}

teardown() {
	lk_stop_all
}

# now_ms: the wall clock in ms (bash's EPOCHREALTIME, no fork)
now_ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)).$((t % 1000 / 100)); }
# stop_of JSON: stopped_ms of the first op kvm-assign --json printed
stop_of() { sed -n '1s/.*"stopped_ms":\([0-9.]*\).*/\1/p' <<<"$1"; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
met() { awk -v r="$1" -v g="$3" -v op="$2" 'BEGIN { print (op == "le" ? r <= g : r >= g) ? "met" : "NOT met" }'; }

@test "P4 on QEMU: MSI-X setup wall times and QEMU's stops (figures as TAP comments)" {
	local id pairs=() K wall256=() wall1=() stop256=() stop1=() t0 out many w256 w1 s256 s1 r
	id=$(printf '0x%x' $(( (16#${RK_DEVICE:5:2} << 8) | (16#${RK_DEVICE:8:2} << 3) | ${RK_DEVICE:11:1} )))
	for i in $(seq 0 255); do pairs+=("$i:$((i + 24))"); done
	lk_start_qemu
	K=("$KVM_ASSIGN" --pid="$QEMU_PID")
	"${K[@]}" assign "$RK_DEVICE"
	reset() { "${K[@]}" deassign --id="$id" && "${K[@]}" assign "$RK_DEVICE"; }
	for round in $(seq 11); do
		reset
		t0=$(now_ms)
		out=$("${K[@]}" --json msix --id="$id" --count=256 "${pairs[@]}")
		wall256+=("$(awk -v a="$(now_ms)" -v b="$t0" 'BEGIN { print a - b }')")
		stop256+=("$(stop_of "$out")")
		reset
		t0=$(now_ms)
		"${K[@]}" msix --id="$id" --count=1 0:24
		wall1+=("$(awk -v a="$(now_ms)" -v b="$t0" 'BEGIN { print a - b }')")
		out=$("${K[@]}" --json intx-mask --id="$id" on)
		stop1+=("$(stop_of "$out")")
	done
	# 256 invocations of one in-QEMU ioctl each (intx-mask: see bench/run.sh)
	t0=$(now_ms)
	for i in $(seq 256); do "${K[@]}" intx-mask --id="$id" on; done
	many=$(awk -v a="$(now_ms)" -v b="$t0" 'BEGIN { print a - b }')
	"${K[@]}" deassign --id="$id"

	w256=$(median "${wall256[@]}") w1=$(median "${wall1[@]}") s256=$(median "${stop256[@]}") s1=$(median "${stop1[@]}")
	r=$(ratio "$w256" "$w1")
	echo "# P4a QEMU on 4.1.15 (TCG): 256-entry / 1-entry setup ${r}x (${w256} ms / ${w1} ms, median of 11): goal <= 1.5x: $(met "$r" le 1.5)" >&3
	r=$(ratio "$many" "$w256")
	echo "# P4b QEMU on 4.1.15 (TCG): 256 invocations / one 256-entry invocation ${r}x (${many} ms / ${w256} ms): goal >= 50x: $(met "$r" ge 50)" >&3
	r=$(ratio "$s256" "$s1")
	echo "# P4c QEMU on 4.1.15 (TCG): QEMU's stop for the 256-entry setup (258 ioctls) / for one ioctl (2) ${r}x (${s256} ms / ${s1} ms, median of 11): goal <= 3x: $(met "$r" le 3)" >&3
	[ -n "$s256" ] && [ -n "$s1" ]
}
