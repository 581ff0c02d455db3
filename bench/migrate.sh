#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# bench/migrate.sh - live migration between two hv stores on this host:
# total time and downtime of `hv migrate` next to the same migration
# driven by a plain QMP script (bench/migrate-qmp.py: the source hv VM's
# QEMU, a second QEMU with the same command line and -incoming defer,
# migrate over TCP on loopback, no bandwidth limit on either).
# Default guest under TCG, MEMS (default "512 2048") MiB, 1 vCPU; two workloads
# on shared storage (then a --copy-storage row, at the end):
#   idle   the guest's shell waiting
#   dirty  tests/migrate/dirty.c incrementing a byte in every page of
#          DIRTY (default 256) MiB, page after page, in a loop
# Each figure is the median of RUNS (default 5) migrations, each of a
# freshly booted VM (a VM that came in by migration has its untouched
# pages unmapped, which makes the next copy of it faster: both rows
# start from the same state); hv's and the plain script's runs alternate.
# usage: bench/migrate.sh          (run under flock /tmp/hv-suite.lock)
set -u
export LC_ALL=C
ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd) || exit 1
HV=$ROOT/build/hv
RUNS=${RUNS:-5}
MEMS=${MEMS-512 2048}
DIRTY=${DIRTY:-256}
A=$(mktemp -d /tmp/hv-bench-a.XXXXXX)
B=$(mktemp -d /tmp/hv-bench-b.XXXXXX)
W=$(mktemp -d /tmp/hv-bench-w.XXXXXX)
T=$W/tmpfs
trap 'for s in $A $B $T/store; do HV_HOME=$s $HV delete --force bm >/dev/null 2>&1; done; umount $T 2>/dev/null; rm -rf $A $B $W' EXIT
cc -static -O2 -o "$W/dirty" "$ROOT/tests/migrate/dirty.c" || exit 1

boot() { # boot bm in store $1 with workload $2
	HV_HOME=$1 "$HV" create bm --memory "${MEM}M" --nic nat >/dev/null || exit 1
	HV_HOME=$1 "$HV" start bm >/dev/null || exit 1
	HV_HOME=$1 "$HV" exec bm -- true || exit 1
	if [ "$2" = dirty ]; then
		HV_HOME=$1 "$HV" cp "$W/dirty" bm:/root/dirty
		HV_HOME=$1 "$HV" exec bm -- sh -c "setsid /root/dirty $DIRTY /tmp/c /tmp/n </dev/null >/dev/null 2>&1 &"
		sleep 3
	fi
}
median() { python3 -c 'import sys,statistics; v=[float(x) for x in sys.argv[1:]]; print(round(statistics.median(v)))' "$@"; }
field() { python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }

printf '%-5s %-6s %-6s %10s %12s   (medians of %d, TCG)\n' MiB workload driver total_ms downtime_ms "$RUNS"
for MEM in $MEMS; do
for wl in idle dirty; do
	hv_tot=() hv_down=() q_tot=() q_down=()
	for ((i = 0; i < RUNS; i++)); do
		# hv and the plain script take turns, each on a freshly booted VM
		boot "$A" "$wl"
		out=$(HV_HOME=$A "$HV" migrate bm "$B" --json) || exit 1
		hv_tot+=("$(field "$out" total_ms)") hv_down+=("$(field "$out" downtime_ms)")
		HV_HOME=$B "$HV" delete --force bm >/dev/null
		boot "$A" "$wl"
		# under TCG hv pauses the source for the copy: the plain row does the same
		paused=$(HV_HOME=$A "$HV" info bm --json | python3 -c 'import json,sys; print("--paused" if json.load(sys.stdin)["accel"] == "tcg" else "")')
		out=$(python3 "$ROOT/bench/migrate-qmp.py" "$A/vms/bm" "$W/plain" $paused) || exit 1
		q_tot+=("$(field "$out" total_ms)") q_down+=("$(field "$out" downtime_ms)")
		HV_HOME=$A "$HV" delete --force bm >/dev/null
	done
	printf '%-5s %-6s %-6s %10s %12s   (runs: %s / %s)\n' "$MEM" "$wl" hv "$(median "${hv_tot[@]}")" "$(median "${hv_down[@]}")" "${hv_tot[*]}" "${hv_down[*]}"
	printf '%-5s %-6s %-6s %10s %12s   (runs: %s / %s)\n' "$MEM" "$wl" qmp "$(median "${q_tot[@]}")" "$(median "${q_down[@]}")" "${q_tot[*]}" "${q_down[*]}"
	printf '%-5s %-6s hv/qmp total: %.2f\n' "$MEM" "$wl" "$(python3 -c "print($(median "${hv_tot[@]}") / $(median "${q_tot[@]}"))")"
done
done

# --- --copy-storage: a 512 MiB idle guest whose 64 MiB disk holds random
# data, to a store on a tmpfs (another filesystem: the disk must be copied);
# the plain script's new disk is on the same tmpfs
mkdir -p "$T" && mount -t tmpfs -o size=2g hv-bench "$T" || exit 1
mkdir -p "$T/store"
boot_disk() {
	HV_HOME=$A "$HV" create bm --memory 512M --disk 64M >/dev/null || exit 1
	HV_HOME=$A "$HV" start bm >/dev/null || exit 1
	HV_HOME=$A "$HV" exec bm -- sh -c 'dd if=/dev/urandom of=/dev/vda bs=1M count=64 conv=fsync 2>/dev/null' || exit 1
}
hv_tot=() hv_down=() hv_disk=() q_tot=() q_down=()
for ((i = 0; i < RUNS; i++)); do
	boot_disk
	out=$(HV_HOME=$A "$HV" migrate bm "$T/store" --copy-storage --json) || exit 1
	hv_tot+=("$(field "$out" total_ms)") hv_down+=("$(field "$out" downtime_ms)") hv_disk+=("$(field "$out" disk_ms)")
	HV_HOME=$T/store "$HV" delete --force bm >/dev/null
	boot_disk
	paused=$(HV_HOME=$A "$HV" info bm --json | python3 -c 'import json,sys; print("--paused" if json.load(sys.stdin)["accel"] == "tcg" else "")')
	rm -rf "$T/plain"
	out=$(python3 "$ROOT/bench/migrate-qmp.py" "$A/vms/bm" "$T/plain" $paused --copy-storage) || exit 1
	q_tot+=("$(field "$out" total_ms)") q_down+=("$(field "$out" downtime_ms)")
	HV_HOME=$A "$HV" delete --force bm >/dev/null
done
printf '%-5s %-6s %-6s %10s %12s   (runs: %s / %s; disk copy %s ms)\n' 512 copy64 hv "$(median "${hv_tot[@]}")" "$(median "${hv_down[@]}")" "${hv_tot[*]}" "${hv_down[*]}" "$(median "${hv_disk[@]}")"
printf '%-5s %-6s %-6s %10s %12s   (runs: %s / %s)\n' 512 copy64 qmp "$(median "${q_tot[@]}")" "$(median "${q_down[@]}")" "${q_tot[*]}" "${q_down[*]}"
printf '%-5s %-6s hv/qmp total: %.2f\n' 512 copy64 "$(python3 -c "print($(median "${hv_tot[@]}") / $(median "${q_tot[@]}"))")"
