#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# bench/stats.sh - how long one `hv stats` sample takes for N running VMs.
#
# N small default-guest VMs (128 MiB, one disk, a nat NIC) are started and
# paused at once: 50 guests booting under TCG would not fit on 2 cores,
# and a paused QEMU answers QMP and shows in /proc just as a running one
# (its main loop is what answers; the vCPUs are stopped).  Each sample
# reads every VM's status, /proc figures and TAPs and asks its QEMU
# query-cpus-fast and query-blockstats over a fresh QMP connection, up to
# 16 VMs at a time.
#   counters     hv stats --counters --no-containers (one sample, a table)
#   prometheus   hv stats --prometheus (one sample of VMs and containers)
# Milliseconds of wall clock and of CPU (user+system of hv), medians of RUNS
# runs, for each N in COUNTS; the load average is printed, since on a
# shared host the wall clock is mostly waiting for a CPU.
#
# Usage: bench/stats.sh   (as root; run `make` first)
# Environment: RUNS (default 9), COUNTS (default "1 10 20 50").
set -u
export LC_ALL=C
ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd) || exit 1
HV=$ROOT/build/hv
RUNS=${RUNS:-9}
COUNTS=${COUNTS:-1 10 20 50}
export HV_HOME=${HV_HOME:-$(mktemp -d /tmp/hv-bench-stats.XXXXXX)}
cleanup() {
	local vm
	for vm in $(ls "$HV_HOME/vms" 2>/dev/null); do "$HV" delete --force "$vm" >/dev/null 2>&1; done
	rm -rf "$HV_HOME"
}
trap cleanup EXIT
runs() { # runs CMD...: "WALL CPU", medians of RUNS runs in ms (CPU: hv's user+system)
	python3 - "$RUNS" "$@" <<'PY'
import resource, statistics, subprocess, sys, time
walls, cpus = [], []
for _ in range(int(sys.argv[1])):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    subprocess.run(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    walls.append(time.monotonic() - t0)
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpus.append(r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime)
print("%.1f %.1f" % (statistics.median(walls) * 1000, statistics.median(cpus) * 1000))
PY
}

have=0
echo "# load before: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-5s %12s %12s %12s %12s %6s %s\n' VMS "counters" "(cpu)" "prometheus" "(cpu)" rows load
for n in $COUNTS; do
	while [ "$have" -lt "$n" ]; do
		vm=b$have
		"$HV" create "$vm" --memory 128 --disk 16M >/dev/null || exit 1
		"$HV" start "$vm" >/dev/null 2>&1 || exit 1
		"$HV" pause "$vm" >/dev/null || exit 1
		have=$((have + 1))
	done
	rows=$("$HV" stats --counters --no-containers | tail -n +2 | grep -c ' paused ')
	c=$(runs "$HV" stats --counters --no-containers)
	p=$(runs "$HV" stats --prometheus)
	printf '%-5s %12s %12s %12s %12s %6s %s\n' "$n" $c $p "$rows" "$(cut -d' ' -f1 /proc/loadavg)"
done
echo "# $(nproc) CPUs, $(uname -r); QEMU $(qemu-system-x86_64 --version | head -n 1 | awk '{print $4}')"
if command -v virsh >/dev/null && virsh -c qemu:///system list >/dev/null 2>&1; then
	echo "# libvirt is running: compare with: time virsh domstats (its own domains)"
else
	echo "# virsh domstats: not measured (libvirtd is not running here, and hv's VMs are not libvirt domains)"
fi
