#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# run.sh - the benchmark suite ('make bench'): every performance figure as a
# ratio against a baseline measured side by side in the same run (A and B
# alternated by bench/abtime, after warm-up runs), printed beside its goal
# with "met" or "NOT met".  Medians; q1-q3 is the spread of the middle half.
#
# usage: bench/run.sh [P1 P2 P3 P4 P5 P6 P4q]   (default: all; from the build
# tree, or with BUILDDIR=... pointing at it; TOP_SRCDIR defaults to this
# script's ..).  'make bench' builds what it needs and runs it; make bench
# BENCH="P1 P4" picks figures.  P4q is P4 again on a real QEMU inside Linux
# 4.1.15 (tests/legacy-kernel.sh with tests/legacy-kernel/bench, the kernel
# of tests/kernels/, about 90 s under TCG); BENCH_QEMU=0 leaves it out.
#
# P1 compares with bench/p1-baseline.c, P3 with lspci (the former
# bench/check-vs-lspci.sh), P4c is what bench/inject-stop.sh measured; P4 and P6 run on the stand-in VMMs under
# the simulated kernel (tests/sim/kvm-sim), P2, P3 and P5 need no VMM.
# Exit status: 0 when every figure measured meets its goal, 1 otherwise,
# 2 when the suite could not run.
set -u
export LC_ALL=C
TOP_SRCDIR=${TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
BUILDDIR=$(cd "${BUILDDIR:-.}" && pwd)
KVM_ASSIGN=$BUILDDIR/src/kvm-assign
KVM_SIM=$BUILDDIR/tests/sim/kvm-sim
STUB_VMM=$BUILDDIR/tests/vmm/stub-vmm
H=$BUILDDIR/tests/helpers
AB=$BUILDDIR/bench/abtime
P1B=$BUILDDIR/bench/p1-baseline
DUMP=$TOP_SRCDIR/tests/fixtures/devices.dump
DEV=0000:03:00.0
export KVM_ASSIGN KVM_SIM STUB_VMM TOP_SRCDIR
bail() { echo "bench: $*" >&2; exit 2; }
for p in "$KVM_ASSIGN" "$KVM_SIM" "$STUB_VMM" "$AB" "$P1B" "$H/busy-target" "$H/inject-run"; do
	[ -x "$p" ] || bail "$p missing: run 'make bench' (it builds everything first)"
done
command -v lspci >/dev/null || bail "lspci not found (apt-get install pciutils)"
[ -x /usr/bin/time ] || bail "/usr/bin/time not found (apt-get install time)"

# sel ID: is figure ID wanted (all are when none was named)?
ONLY=("$@")
sel() { local w; [ ${#ONLY[@]} = 0 ] && return 0; for w in "${ONLY[@]}"; do [ "$w" = "$1" ] && return 0; done; return 1; }

W=$(mktemp -d "${TMPDIR:-/tmp}/kvm-assign-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT
MISSED=0

# kv KEY LINE: the value of KEY=... in an abtime line
kv() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$2"; }
# verdict VALUE OP GOAL: "met" or "NOT met" (OP le: VALUE <= GOAL; ge: >=)
verdict() {
	if awk -v v="$1" -v g="$3" -v op="$2" 'BEGIN { exit !(op == "le" ? v <= g : v >= g) }'; then
		echo met
	else
		MISSED=1
		echo "NOT met"
	fi
}
# figure ID TEXT VALUE OP GOAL DETAIL: one result line, goal and verdict
figure() {
	local v
	v=$(verdict "$3" "$4" "$5")
	[ "$v" = met ] || MISSED=1
	printf '%-3s %-62s %8sx  goal %s %sx: %s\n' "$1" "$2" \
		"$(awk -v v="$3" 'BEGIN { printf(v < 10 ? "%.3f" : "%.1f", v) }')" \
		"$([ "$4" = le ] && echo '<=' || echo '>=')" "$5" "$v"
	[ -z "${6:-}" ] || printf '      %s\n' "$6"
}
# ms LINE SIDE: "median ms (q1-q3)" of side a or b of an abtime line
ms() { printf '%.2f ms (q1-q3 %.2f-%.2f)' "$(kv "$2_med" "$1")" "$(kv "$2_q1" "$1")" "$(kv "$2_q3" "$1")"; }

# mktree DIR N: a sysfs tree (DIR/devices/ADDR/config) of N devices on
# domain 0, $DEV among them, each with $DEV's config space from the dump,
# its MSI-X table grown to 256 entries (the layout test_helper.bash's
# sysfs_from_dump makes).
mktree() {
	local dir=$1 n=$2 i
	mkdir -p "$dir/devices"
	local hex
	hex=$(awk -v dev="$DEV" '
		$1 == dev { on = 1; next }
		on && /^$/ { exit }
		on && /^[0-9a-f][0-9a-f]: / { $1 = ""; printf "%s", $0 }' "$DUMP")
	# shellcheck disable=SC2059,SC2086
	printf "$(printf '\\x%s' $hex)" > "$W/config.tmpl"
	[ -s "$W/config.tmpl" ] || bail "$DEV not in $DUMP"
	# an MSI-X table of 256 entries (the fixture's has 8): follow the
	# capability list to MSI-X (id 0x11), set Message Control's size to 255
	local off id
	off=$(od -An -tu1 -j52 -N1 "$W/config.tmpl")
	while [ "$off" -ne 0 ]; do
		id=$(od -An -tu1 -j"$off" -N1 "$W/config.tmpl")
		[ "$id" -eq 17 ] && break
		off=$(od -An -tu1 -j$((off + 1)) -N1 "$W/config.tmpl")
	done
	[ "$off" -ne 0 ] || bail "$DEV has no MSI-X capability in $DUMP"
	printf '\377\000' | dd of="$W/config.tmpl" bs=1 seek=$((off + 2)) conv=notrunc status=none
	{
		echo "$dir/devices/$DEV"
		for ((i = 0; i < 65536 && n > 1; i++)); do
			printf -v a '0000:%02x:%02x.%x' $((i >> 8)) $(((i >> 3) & 31)) $((i & 7))
			[ "$a" = "$DEV" ] && continue
			echo "$dir/devices/$a"
			n=$((n - 1))
		done
	} > "$W/dirs"
	xargs mkdir -p < "$W/dirs"
	sed 's|$|/config|' "$W/dirs" > "$W/configs"
	xargs -a "$W/configs" tee < "$W/config.tmpl" > /dev/null
}

# mkroot DIR: a fake root for --sysroot (DIR/sys, DIR/proc, DIR/run) around
# the 8-device tree, $DEV on e1000e: the one 80-detach.bats builds
mkroot() {
	local root=$1 pci=$1/sys/bus/pci d
	mkdir -p "$root/sys/bus"
	cp -a "$W/tree8" "$pci"
	"$TOP_SRCDIR/tests/fixtures/check/mksysroot.sh" "$root" --iommu=on --driver=$DEV=e1000e >/dev/null ||
		bail "mksysroot.sh failed"
	mkdir -p "$pci/drivers/pci-stub" "$pci/drivers/vfio-pci" "$root/proc/net" "$root/proc/self" "$root/run/kvm-assign"
	for d in "$pci"/drivers/*; do : > "$d/bind"; : > "$d/unbind"; done
	for d in "$pci"/devices/*; do echo '(null)' > "$d/driver_override"; done
	: > "$pci/drivers_probe"
	printf 'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n' > "$root/proc/net/route"
	: > "$root/proc/net/if_inet6"
	printf 'Main:\n  +-- 0.0.0.0/0 3 0 5\nLocal:\n  +-- 0.0.0.0/0 3 0 5\n' > "$root/proc/net/fib_trie"
	echo '22 1 0:21 / / rw,relatime shared:1 - tmpfs tmpfs rw' > "$root/proc/self/mountinfo"
	printf 'Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n' > "$root/proc/swaps"
}

echo "kvm-assign benchmarks: $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -r), $(nproc) CPUs, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1)"
echo "each figure: median of A / median of B, A and B alternated in one run"
echo

# --- P1: one operation end to end against the minimal C program ----------
if sel P1; then
	mktree "$W/tree8" 8
	# Both run under the simulated kernel against a stub VMM with an irqchip;
	# each run assigns $DEV, and the untimed prepare step deassigns it.
	line=$("$KVM_SIM" -- "$TOP_SRCDIR/tests/helpers/with-vmm.sh" --irqchip -- \
		"$AB" -w 5 -n 60 -p "\"\$KVM_ASSIGN\" --pid=\$VMM_PID deassign --id=0x300" \
		"$KVM_ASSIGN" -A linux-sysfs -O "sysfs.path=$W/tree8" --socket=@SOCKET@ assign "$DEV" ::: \
		"$P1B" @SOCKET@ "$W/tree8/devices/$DEV") || bail "P1 failed: $line"
	figure P1 "assign end to end (socket, lookup, in-VMM ioctl) / minimal C" \
		"$(kv ratio "$line")" le 1.3 "kvm-assign $(ms "$line" a); bench/p1-baseline $(ms "$line" b)"
fi

# --- P2: device lookup in 4,096 devices against 8 ------------------------
if sel P2; then
	[ -d "$W/tree8" ] || mktree "$W/tree8" 8
	mktree "$W/tree4096" 4096
	line=$("$AB" -w 10 -n 200 \
		"$KVM_ASSIGN" -A linux-sysfs -O "sysfs.path=$W/tree4096" --dry-run assign "$DEV" ::: \
		"$KVM_ASSIGN" -A linux-sysfs -O "sysfs.path=$W/tree8" --dry-run assign "$DEV") || bail "P2 failed"
	figure P2 "device lookup: sysfs of 4,096 devices / of 8 (--dry-run assign)" \
		"$(kv ratio "$line")" le 1.1 "4,096: $(ms "$line" a); 8: $(ms "$line" b)"
fi

# --- P3: check DEV against lspci -vv -s DEV on the same dump -------------
if sel P3; then
	# check exits 3 on a host without legacy assignment: the status is not the point
	line=$("$AB" -i -w 5 -n 100 \
		"$KVM_ASSIGN" -A dump -O "dump.name=$DUMP" check "$DEV" ::: \
		lspci -F "$DUMP" -vv -s "$DEV") || bail "P3 failed"
	figure P3 "check DEV / lspci -vv -s DEV (same dump)" \
		"$(kv ratio "$line")" le 1.0 "check $(ms "$line" a); lspci $(ms "$line" b)"
fi

# --- P4: MSI-X setups and the VMM's stop ---------------------------------
if sel P4; then
	pairs=()
	for i in $(seq 0 255); do pairs+=("$i:$((i + 100))"); done
	[ -d "$W/tree8" ] || mktree "$W/tree8" 8
	mkfifo "$W/fifo"
	# Under the simulated kernel, a stand-in VMM (busy-target --vm) that sits
	# in blocking calls as QEMU's main thread does; --pid finds its VM.
	"$KVM_SIM" -- bash -c '
		AB=$1 W=$2 H=$3 DUMP=$4 DEV=$5; shift 5
		"$H/busy-target" --vm --fifo "$W/fifo" >"$W/bt.out" 2>&1 &
		T=$!
		for _ in $(seq 100); do grep -q "^pid=" "$W/bt.out" && break; sleep 0.05; done
		K=("$KVM_ASSIGN" -A linux-sysfs -O "sysfs.path=$W/tree8" --pid=$T)
		reset="${K[*]} deassign $DEV >/dev/null 2>&1; ${K[*]} assign $DEV"
		"${K[@]}" assign "$DEV" || exit 90
		"$AB" -w 3 -n 30 -p "$reset" "${K[@]}" msix "$DEV" --count=256 "$@" ::: \
			"${K[@]}" msix "$DEV" --count=1 0:100 > "$W/p4a" || exit 91
		# 256 invocations of one in-VMM ioctl each (see the README)
		printf "%s\n" "${K[@]}" > "$W/kargs"
		"$AB" -w 1 -n 5 -p "$reset" "${K[@]}" msix "$DEV" --count=256 "$@" ::: \
			bash -c "mapfile -t K < $W/kargs; for i in {1..256}; do \"\${K[@]}\" intx-mask $DEV on || exit 1; done" \
			> "$W/p4b" || exit 92
		# the stop kvm-assign itself reports, 1 ioctl against 256 + 2 (kvm-sim)
		for i in 1 2 3 4 5 6 7 8 9 10 11; do
			eval "$reset" >/dev/null 2>&1
			"${K[@]}" --json msix "$DEV" --count=256 "$@" | sed -n "1s/.*\"stopped_ms\":\([0-9.]*\).*/\1/p" >> "$W/stop256"
			"${K[@]}" --json intx-mask "$DEV" on | sed -n "s/.*\"stopped_ms\":\([0-9.]*\).*/\1/p" >> "$W/stop1"
		done
		kill -TERM $T; wait $T 2>/dev/null
		exit 0' _ "$AB" "$W" "$H" "$DUMP" "$DEV" "${pairs[@]}" || bail "P4 failed ($?): $(cat "$W/bt.out" 2>/dev/null)"
	median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
	s256=$(median $(cat "$W/stop256")) s1=$(median $(cat "$W/stop1"))
	line=$(cat "$W/p4a")
	figure P4a "MSI-X setup in one invocation: 256 entries / 1 entry" \
		"$(kv ratio "$line")" le 1.5 "256: $(ms "$line" a); 1: $(ms "$line" b); $(printf \
		'stops reported: %.2f / %.2f ms (kvm-sim answers each ioctl)' "$s256" "$s1")"
	line=$(cat "$W/p4b")
	figure P4b "256 invocations of one ioctl / one 256-entry invocation" \
		"$(awk -v r="$(kv ratio "$line")" 'BEGIN { print 1 / r }')" ge 50 \
		"one: $(ms "$line" a); 256 invocations: $(ms "$line" b)"
	# The stop itself, as the former bench/inject-stop.sh measured it: src/inject.c
	# against the stand-in VMM (no simulator: real ioctls on its pty).
	mkfifo "$W/fifo2"
	"$H/busy-target" --fifo "$W/fifo2" >"$W/bt2.out" 2>&1 &
	bt=$!
	for _ in $(seq 100); do grep -q '^pid=' "$W/bt2.out" && break; sleep 0.05; done
	pty=$(sed -n 's/.* pty=\([0-9]*\).*/\1/p' "$W/bt2.out")
	[ -n "$pty" ] || bail "busy-target did not start: $(cat "$W/bt2.out")"
	"$H/inject-run" -q -k msix -n 50 -m 258 "$bt" "$pty" >/dev/null || bail "inject-run failed"
	one= big=
	for round in 1 2 3 4 5; do
		one="$one $("$H/inject-run" -q -k msix -n 100 -m 2 "$bt" "$pty")"
		big="$big $("$H/inject-run" -q -k msix -n 100 -m 258 "$bt" "$pty")"
	done
	kill "$bt" 2>/dev/null; wait "$bt" 2>/dev/null
	m1=$(median $one) m258=$(median $big)
	figure P4c "VMM stop: 256-entry setup (258 ioctls) / one ioctl (2)" \
		"$(awk -v a="$m258" -v b="$m1" 'BEGIN { print a / b }')" le 3 \
		"$(printf '%.4f ms / %.4f ms: src/inject.c on busy-target, real ioctls on its pty, median of 5 rounds of 100' "$m258" "$m1")"
fi

# --- P5: peak RSS of each subcommand -------------------------------------
if sel P5; then
	[ -d "$W/tree8" ] || mktree "$W/tree8" 8
	mkroot "$W/root"
	# rss NAME ARGS...: run ARGS under /usr/bin/time -v, record NAME's peak RSS in KiB
	: > "$W/rss"
	"$KVM_SIM" -- "$TOP_SRCDIR/tests/helpers/with-vmm.sh" --irqchip -- bash -c '
		W=$1 DUMP=$2 DEV=$3; shift 3
		rss() {
			local name=$1; shift
			/usr/bin/time -v -o "$W/time.out" "$@" >/dev/null 2>&1
			echo "$name $? $(sed -n "s/.*Maximum resident set size (kbytes): //p" "$W/time.out")" >> "$W/rss"
		}
		K=("$KVM_ASSIGN" -A linux-sysfs -O "sysfs.path=$W/tree8" --socket=$VMM_SOCKET)
		rss assign "${K[@]}" assign --share-intx "$DEV"
		rss msix "${K[@]}" msix "$DEV" --count=256 "$@"
		rss irq "${K[@]}" irq "$DEV" --host=msix --guest=msix
		rss intx-mask "${K[@]}" intx-mask "$DEV" on
		rss deassign "${K[@]}" deassign "$DEV"
		rss check "$KVM_ASSIGN" -A dump -O "dump.name=$DUMP" check "$DEV"
		rss detach "$KVM_ASSIGN" --dry-run detach --sysroot="$W/root" "$DEV"
		rss reattach "$KVM_ASSIGN" --dry-run reattach --sysroot="$W/root" "$DEV"
		if "$KVM_ASSIGN" batch --help >/dev/null 2>&1; then
			printf "deassign %s\n" "$DEV" > "$W/undo.batch"
			"${K[@]}" assign "$DEV"
			rss batch "${K[@]}" batch "$W/undo.batch"
		fi' _ "$W" "$DUMP" "$DEV" $(for i in $(seq 0 255); do echo "$i:$((i + 100))"; done)
	max=0 detail=
	while read -r name status kib; do
		detail="$detail $name=$(awk -v k="$kib" 'BEGIN { printf "%.2f", k / 1024 }')$([ "$status" = 0 ] || echo "(exit $status)")"
		[ "${kib:-0}" -gt "$max" ] && max=$kib
	done < "$W/rss"
	[ -s "$W/rss" ] || bail "P5 measured nothing"
	v=$(verdict "$max" le 4096)
	[ "$v" = met ] || MISSED=1
	printf '%-3s %-62s %6.2f MiB  goal <= 4 MiB: %s\n' P5 "peak RSS, the largest of every subcommand" "$(awk -v k="$max" 'BEGIN { print k / 1024 }')" "$v"
	printf '      MiB:%s\n' "$detail"
fi

# --- P6: a batch of a full setup against the same steps one by one -------
if sel P6; then
	if ! "$KVM_ASSIGN" batch --help >/dev/null 2>&1; then
		echo "P6  not measured: no batch command yet"
	else
		[ -d "$W/tree8" ] || mktree "$W/tree8" 8
		mkroot "$W/root6"
		# the PCI core's half of detach and reattach on the fake tree
		"$H/fake-pci-kernel" --root="$W/root6" --log="$W/writes6" > "$W/fk.out" 2>&1 &
		fk=$!
		for _ in $(seq 200); do grep -qs '^ready' "$W/fk.out" && break; sleep 0.01; done
		grep -qs '^ready' "$W/fk.out" || bail "fake-pci-kernel did not start: $(cat "$W/fk.out")"
		pairs=$(for i in $(seq 0 255); do printf ' %d:%d' "$i" $((i + 100)); done)
		printf '%s\n' "detach --driver=pci-stub $DEV" "assign $DEV" "msix $DEV --count=256$pairs" \
			"irq $DEV --host=msix --guest=msix" > "$W/setup.batch"
		# Both sides through bash -c, so that each pays the same shell; the
		# prepare step undoes the setup with single commands.
		"$KVM_SIM" -- "$TOP_SRCDIR/tests/helpers/with-vmm.sh" --irqchip -- bash -c '
			W=$1 DEV=$2 AB=$3 pairs=$4
			K="$KVM_ASSIGN -A linux-sysfs -O sysfs.path=$W/root6/sys/bus/pci --socket=$VMM_SOCKET"
			S="--sysroot=$W/root6"
			"$AB" -w 2 -n 20 -p "$K irq --remove $DEV --host=msix --guest=msix; $K deassign $DEV; $K reattach $S $DEV" \
				bash -c "$K batch $S $W/setup.batch" ::: \
				bash -c "$K detach $S --driver=pci-stub $DEV && $K assign $DEV && $K msix $DEV --count=256$pairs && $K irq $DEV --host=msix --guest=msix" \
				> "$W/p6" 2> "$W/p6.err"' _ "$W" "$DEV" "$AB" "$pairs"
		rc=$?
		kill "$fk" 2>/dev/null; wait "$fk" 2>/dev/null
		line=$(cat "$W/p6")
		if [ "$rc" = 0 ] && [ -n "$line" ]; then
			figure P6 "full setup as single commands / as one batch" \
				"$(awk -v r="$(kv ratio "$line")" 'BEGIN { print 1 / r }')" ge 10 \
				"batch (detach, assign, 256-entry msix, irq): $(ms "$line" a); 4 commands: $(ms "$line" b)"
		else
			MISSED=1
			echo "P6  not measured: a run failed:"
			sed 's/^/      /' "$W/p6.err"
		fi
	fi
fi

# --- P4 on a real QEMU in Linux 4.1.15 (tests/legacy-kernel.sh) ----------
if sel P4q; then
	if [ "${BENCH_QEMU:-1}" = 0 ]; then
		echo "P4q not measured: BENCH_QEMU=0"
	elif [ ! -f "$TOP_SRCDIR/tests/legacy-kernel.sh" ]; then
		echo "P4q not measured: no tests/legacy-kernel.sh"
	else
		# A second boot when the first printed nothing: under load the 4.1.15
		# guest sometimes panics at boot ("timer doesn't work through
		# Interrupt-remapped IO-APIC").
		for attempt in 1 2; do
			KVM_ASSIGN_RK_LINE=4.1 KVM_ASSIGN_RK_SUITE=tests/legacy-kernel/bench TOP_BUILDDIR=$BUILDDIR \
				KVM_ASSIGN_REAL_KERNEL_TIMEOUT=360 KVM_ASSIGN_REAL_KERNEL_TEST_TIMEOUT=240 \
				sh "$TOP_SRCDIR/tests/legacy-kernel.sh" > "$W/qemu.tap" 2>&1
			grep -q '^# P4' "$W/qemu.tap" && break
		done
		if grep -q '^# P4' "$W/qemu.tap"; then
			sed -n 's/^# \(P4[abc]\) /\1q /p' "$W/qemu.tap" | while read -r id text; do
				printf '%-3s %s\n' "$id" "$text"
			done
			grep -q '^# P4.*NOT met' "$W/qemu.tap" && MISSED=1
		else
			echo "P4q not measured: the legacy-kernel run printed no figures:"
			grep -E '^(not ok|Bail out|# )' "$W/qemu.tap" | head -n 5 | sed 's/^/      /'
		fi
	fi
fi

echo
[ "$MISSED" = 0 ] && echo "every goal measured is met" || echo "some goals are NOT met"
exit "$MISSED"
