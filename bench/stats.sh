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
# query-cpus-fast, query-blockstats and the balloon's guest-stats over a
# fresh QMP connection (all VMs at once, one poll over the sockets).
# Rows, run round-robin so that a slow spell of the host hits all alike:
#   before       HV_BEFORE (an older hv binary) stats --counters, if given
#   counters     hv stats --counters --no-containers (one sample, a table)
#   prometheus   hv stats --prometheus (one sample of VMs and containers)
#   hv list      the reference: process start and every VM's status
#   peer         a plain python3 script doing the same QMP queries and
#                /proc reads for the same VMs, one VM after another (there
#                is no libvirt here to compare `virsh domstats` with)
# Milliseconds of wall clock and of CPU (user+system of the command),
# medians of RUNS rounds, for each N in COUNTS; the load average is
# printed, since on a shared host the wall clock is mostly waiting for a
# CPU.
#
# Usage: bench/stats.sh   (as root; run `make` first)
# Environment: RUNS (default 9), COUNTS (default "1 10 20 50"), HV_BEFORE.
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
	rm -rf "$HV_HOME" "${PEER:-}"
}
trap cleanup EXIT
PEER=$(mktemp /tmp/hv-bench-peer.XXXXXX.py)
cat >"$PEER" <<'PY'
# The peer: what a user would write with python3 alone, for every running VM.
import glob, json, os, socket, sys
def qmp(path):
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    f = s.makefile("rw")
    f.readline()
    out = []
    for cmd in ({"execute": "qmp_capabilities"}, {"execute": "query-cpus-fast"}, {"execute": "query-blockstats"},
                {"execute": "qom-get", "arguments": {"path": "/machine/peripheral/balloon0", "property": "guest-stats"}}):
        f.write(json.dumps(cmd) + "\n")
        f.flush()
        while True:
            r = json.loads(f.readline())
            if "event" not in r:
                break
        out.append(r.get("return"))
    s.close()
    return out
def ticks(path):
    v = open(path).read().rsplit(")", 1)[1].split()
    return int(v[11]) + int(v[12])
rows = []
for d in sorted(glob.glob(os.environ["HV_HOME"] + "/vms/*/")):
    st = json.load(open(d + "status.json"))
    if st["state"] not in ("running", "paused"):
        continue
    pid = st["qemu"]["pid"]
    _, cpus, blocks, guest = qmp(d + "qmp.sock")
    vcpu = sum(ticks("/proc/%d/task/%d/stat" % (pid, c["thread-id"])) for c in cpus)
    rss = int(open("/proc/%d/statm" % pid).read().split()[1]) * 4096
    rows.append((d, ticks("/proc/%d/stat" % pid), vcpu, rss, [b["stats"]["wr_bytes"] for b in blocks], guest))
print(len(rows))
PY
runs() { # runs CMD1 -- CMD2 -- ...: "WALL CPU" per command, medians of RUNS rounds, round-robin
	python3 - "$RUNS" "$@" <<'PY'
import resource, statistics, subprocess, sys, time
cmds, cur = [], []
for a in sys.argv[2:]:
    if a == "--":
        cmds.append(cur)
        cur = []
    else:
        cur.append(a)
cmds.append(cur)
walls = [[] for _ in cmds]
cpus = [[] for _ in cmds]
for _ in range(int(sys.argv[1])):
    for i, c in enumerate(cmds):
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.monotonic()
        subprocess.run(c, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        walls[i].append(time.monotonic() - t0)
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus[i].append(r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime)
print(" ".join("%.1f %.1f" % (statistics.median(w) * 1000, statistics.median(c) * 1000) for w, c in zip(walls, cpus)))
PY
}

have=0
echo "# load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# wall ms (cpu ms), medians of $RUNS rounds; peer/hv: the python3 peer's wall over hv stats --counters'"
printf '%-4s %-15s %-15s %-15s %-15s %-15s %7s %4s %s\n' VMS before counters prometheus "hv list" peer peer/hv rows load
for n in $COUNTS; do
	while [ "$have" -lt "$n" ]; do
		vm=b$have
		"$HV" create "$vm" --memory 128 --disk 16M >/dev/null || exit 1
		"$HV" start "$vm" >/dev/null 2>&1 || exit 1
		"$HV" pause "$vm" >/dev/null || exit 1
		have=$((have + 1))
	done
	rows=$("$HV" stats --counters --no-containers | tail -n +2 | grep -c ' paused ')
	peerrows=$(python3 "$PEER")
	[ "$peerrows" = "$rows" ] || echo "# the peer read $peerrows VMs, hv $rows"
	before=()
	[ -n "${HV_BEFORE:-}" ] && before=("$HV_BEFORE" stats --counters --no-containers --)
	set -- $(runs "${before[@]}" "$HV" stats --counters --no-containers -- "$HV" stats --prometheus -- "$HV" list -- python3 "$PEER")
	[ -n "${HV_BEFORE:-}" ] || set -- - - "$@"
	printf '%-4s %-15s %-15s %-15s %-15s %-15s %7s %4s %s\n' "$n" "$1 ($2)" "$3 ($4)" "$5 ($6)" "$7 ($8)" "$9 (${10})" \
		"$(python3 -c "print('%.1f' % ($9 / $3))")" "$rows" "$(cut -d' ' -f1 /proc/loadavg)"
done
rm -f "$PEER"
echo "# $(nproc) CPUs, $(uname -r); QEMU $(qemu-system-x86_64 --version | head -n 1 | awk '{print $4}')"
if command -v virsh >/dev/null && virsh -c qemu:///system list >/dev/null 2>&1; then
	echo "# libvirt is running: compare with: time virsh domstats (its own domains)"
else
	echo "# virsh domstats: not measured (libvirtd is not running here, and hv's VMs are not libvirt domains)"
fi
