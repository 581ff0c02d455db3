#!/bin/bash
# SPDX-License-Identifier: MIT
# hv stats and hv top against one booted default guest with a disk, a NIC
# on a host-only test network and a nat NIC: a CPU burner shows as about
# one vCPU, a dd to the disk as at least its bytes written, pings of a
# known size as at least their bytes on the TAP; the Prometheus text
# parses; hv top draws its table in tmux and quits on q.  Then a
# container burning CPU, through its cgroup.
source "$(dirname "$0")/../oci/lib.bash"

# jq-less field access: stats_field JSON-TEXT PYTHON-EXPRESSION-ON-e
# (e: the first entry)
sfield() {
	python3 -c "import json,sys
e = json.load(sys.stdin)[0]
print($2)" <<<"$1"
}

"$HV" net create tst --mode host-only --subnet 10.77.211.0/24 >/dev/null
"$HV" create s1 --cpus 1 --memory 256 --disk 64M --nic network=tst --nic nat >/dev/null
start_vm s1
wait_log s1 "s1:~#" 60 || fail "s1 did not boot"
wait_log s1 "network: eth0 .* [0-9.]+/[0-9]+" 30 || fail "s1 got no DHCP lease"

# --- counters, one sample ---
j=$("$HV" stats s1 --counters --json)
expect_eq "one entry, a running VM" "$(sfield "$j" 'e["kind"], e["state"], e["vcpus"]')" "vm running 1"
expect_eq "its disk and NICs" "$(sfield "$j" '[d["name"] for d in e["disks"]], [(n["name"], n["counted"]) for n in e["nics"]]')" \
	"['disk0'] [('net0', True), ('net1', False)]"
expect_match "the TAP of net0 is named" "$(sfield "$j" 'e["nics"][0]["tap"]')" "^hvt[0-9]+$"
check "QEMU's RSS is there (more than 16 MiB)" test "$(sfield "$j" 'e["rss_bytes"]')" -gt $((16 << 20))
expect_eq "memory as configured" "$(sfield "$j" 'e["memory_bytes"]')" $((256 << 20))

# --- the guest's own memory, from its virtio-balloon driver ---
# The driver reports every 2 s (guest-stats-polling-interval).  dd's
# 64 MiB block, read from /dev/zero (so every page is touched), stays
# allocated while dd waits to write it into a pipe nobody reads.
gmem() { sfield "$("$HV" stats s1 --counters --json)" "e[\"guest_$1_bytes\"]"; }
for _ in $(seq 1 20); do [ "$(gmem used)" != None ] && break; sleep 0.5; done
u0=$(gmem used)
check "the guest reports its memory ($u0 bytes used)" test "$u0" != None
expect_eq "and its total is about its 256 MiB" "$(sfield "$j" 'e["memory_bytes"]') $(($(gmem total) > (200 << 20)))" "$((256 << 20)) 1"
type_in s1 "dd if=/dev/zero bs=64M count=1 2>/dev/null | sleep 30 &"
u1=$u0
for _ in $(seq 1 20); do
	sleep 0.5
	u1=$(gmem used)
	[ $((u1 - u0)) -ge $((60 << 20)) ] && break
done
echo "# guest memory used: $u0 -> $u1 bytes after a 64 MiB allocation"
check "64 MiB allocated in the guest show as at least 60 MiB more used ($(((u1 - u0) >> 20)) MiB)" test $((u1 - u0)) -ge $((60 << 20))
expect_match "hv stats' table shows it (G-USED)" "$("$HV" stats s1 --counters)" "s1 +vm +running +1 +[0-9.]+ +[0-9.]+[KMG] +[0-9.]+M "
"$HV" stats --prometheus >"$HV_HOME/metrics.txt"
check "and Prometheus as hv_vm_memory_guest_used_bytes / _available_bytes" \
	grep -qE '^hv_vm_memory_guest_used_bytes\{vm="s1"\} [0-9]+$' "$HV_HOME/metrics.txt"
check "hv_vm_memory_guest_available_bytes is there" grep -qE '^hv_vm_memory_guest_available_bytes\{vm="s1"\} [0-9]+$' "$HV_HOME/metrics.txt"
type_in s1 "kill \$!"

# --- a CPU burner: about one vCPU ---
# The host is shared (other suites, other VMs), so the vCPU may get much
# less than a whole host CPU.  hv's vCPU time is checked against /proc
# read by the test itself (thread ids asked from QEMU by a few lines of
# Python) just before and after hv's sample; the burner must show as busy.
qpid=$("$HV" list | awk '$1 == "s1" { print $5 }')
tids=$(python3 - "$HV_HOME/vms/s1/qmp.sock" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
f = s.makefile("rw")
f.readline()
for cmd in ("qmp_capabilities", "query-cpus-fast"):
    f.write(json.dumps({"execute": cmd}) + "\n")
    f.flush()
    r = json.loads(f.readline())
print(" ".join(str(c["thread-id"]) for c in r["return"]))
PY
)
vcpu_ticks() { # utime+stime of QEMU's vCPU threads, in 1/100 s
	local t sum=0
	for t in $tids; do
		set -- $(sed 's/.*) //' "/proc/$qpid/task/$t/stat")
		sum=$((sum + ${12} + ${13}))
	done
	echo "$sum"
}
check "the vCPU thread ids ($tids) are QEMU's threads" test -n "$tids" -a -d "/proc/$qpid/task/${tids%% *}"
type_in s1 "(while :; do :; done) &"
sleep 1
k0=$(vcpu_ticks)
jc=$("$HV" stats s1 --counters --json)
k1=$(vcpu_ticks)
hvk=$(sfield "$jc" 'e["vcpu_ns"] // 10000000')
check "hv's vCPU time is what /proc says of the threads QEMU names ($k0 <= $hvk <= $k1 ticks)" test "$k0" -le "$hvk" -a "$hvk" -le "$k1" -a "$k1" -gt 0
j=$("$HV" stats s1 --json --interval 3)
g=$(sfield "$j" 'int(e["guest_percent"])')
c=$(sfield "$j" 'int(e["cpu_percent"])')
echo "# burner: guest ${g}% of the vCPU, QEMU ${c}% of one host CPU; load $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
check "a CPU burner keeps the vCPU busy (guest ${g}% >= 20%)" test "$g" -ge 20
check "QEMU at least as busy as its vCPU (${c}%)" test "$c" -ge "$((g - 5))"
check "host % is QEMU's share of the host's $(nproc) CPUs" \
	python3 -c "import json,sys; e=json.loads(sys.argv[1])[0]; sys.exit(abs(e['host_percent']-min(100,e['cpu_percent']/$(nproc)))>0.5)" "$j"
type_in s1 "kill \$!"
sleep 1
j=$("$HV" stats s1 --json --interval 2)
g2=$(sfield "$j" 'int(e["guest_percent"])')
check "the burner stopped: the vCPU idles (guest ${g2}%, was ${g}%)" test "$g2" -le $((g / 3))

# --- a dd to the disk: write bytes grow by at least the amount ---
before=$(sfield "$("$HV" stats s1 --counters --json)" 'e["disks"][0]["write_bytes"]')
out=$(guest_run s1 "dd if=/dev/zero of=/dev/vda bs=1M count=16 conv=fsync 2>&1 | tail -n 1" 60)
after=$(sfield "$("$HV" stats s1 --counters --json)" 'e["disks"][0]["write_bytes"]')
echo "# dd: $out; write bytes $before -> $after"
check "16 MiB written show as at least 16 MiB more write bytes ($((after - before)))" test $((after - before)) -ge $((16 << 20))

# --- a known network transfer: 30 pings of 1000 bytes to the host ---
jb=$("$HV" stats s1 --counters --json)
out=$(guest_run s1 "ping -c 30 -i 0.2 -s 1000 10.77.211.1 | grep transmitted" 30)
ja=$("$HV" stats s1 --counters --json)
tx=$(($(sfield "$ja" 'e["nics"][0]["tx_bytes"]') - $(sfield "$jb" 'e["nics"][0]["tx_bytes"]')))
rx=$(($(sfield "$ja" 'e["nics"][0]["rx_bytes"]') - $(sfield "$jb" 'e["nics"][0]["rx_bytes"]')))
txp=$(($(sfield "$ja" 'e["nics"][0]["tx_packets"]') - $(sfield "$jb" 'e["nics"][0]["tx_packets"]')))
echo "# ping: $out; guest sent $tx bytes ($txp packets), received $rx"
check "the guest's 30 echo requests of 1028+ bytes are counted as sent ($tx)" test "$tx" -ge $((30 * 1028))
check "and the 30 replies as received ($rx)" test "$rx" -ge $((30 * 1028))
check "at least 30 packets sent ($txp)" test "$txp" -ge 30

# --- Prometheus text ---
"$HV" stats --prometheus >"$HV_HOME/metrics.txt"
check "the Prometheus text parses, with the issue's names, labels and types" python3 - "$HV_HOME/metrics.txt" <<'PY'
import re, sys
types, series = {}, []
line_re = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*)\} (\S+)$')
for line in open(sys.argv[1]).read().splitlines():
    if line.startswith("# TYPE "):
        _, _, name, t = line.split(" ")
        assert name not in types, "TYPE twice: " + name
        types[name] = t
        continue
    if line.startswith("#"):
        continue
    m = line_re.match(line)
    assert m, "bad line: " + line
    name = m.group(1)
    assert name in types, "no TYPE before " + name
    labels = dict(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', m.group(2)))
    float(m.group(3))
    series.append((name, labels, float(m.group(3))))
def one(name, **want):
    got = [v for n, l, v in series if n == name and all(l.get(k) == w for k, w in want.items())]
    assert len(got) == 1, (name, want, got)
    return got[0]
assert one("hv_vm_state", vm="s1", state="running") == 1
assert one("hv_vm_state", vm="s1", state="stopped") == 0
assert one("hv_vm_cpu_seconds_total", vm="s1") > 0
assert one("hv_vm_memory_rss_bytes", vm="s1") > 0
assert one("hv_vm_disk_write_bytes_total", vm="s1", disk="disk0") >= 16 << 20
one("hv_vm_disk_read_bytes_total", vm="s1", disk="disk0")
assert one("hv_vm_net_rx_bytes_total", vm="s1", nic="net0") > 0
assert one("hv_vm_net_tx_bytes_total", vm="s1", nic="net0") > 0
for n, t in types.items():
    assert t == ("counter" if n.endswith("_total") else "gauge"), (n, t)
PY

# --- hv top in a terminal (tmux) ---
T=hvstats$$
tmux new-session -d -s "$T" -x 150 -y 30 "HV_HOME=$HV_HOME $HV top --no-containers"
sleep 3
screen=$(tmux capture-pane -p -t "$T" 2>/dev/null)
expect_match "hv top draws its title" "$screen" "hv top - [0-9:]+ +1 VMs"
expect_match "and a row for s1 under the header" "$screen" "NAME +KIND +STATE +CPU%.*"$'\n'"s1 +vm +running +[0-9.]+"
tmux send-keys -t "$T" M
sleep 1.5
expect_match "M sorts by memory" "$(tmux capture-pane -p -t "$T" 2>/dev/null)" "sort: memory"
tmux send-keys -t "$T" q
sleep 1
check "q quits" test -z "$(tmux list-sessions 2>/dev/null | grep "^$T:")"
tmux kill-session -t "$T" 2>/dev/null
n=$("$HV" top -n 2 --delay 0.3 --no-containers | grep -c '^hv top')
expect_eq "hv top -n 2 without a terminal prints two tables" "$n" 2

# --- paused, stopped, unknown ---
"$HV" pause s1 >/dev/null
expect_eq "a paused VM keeps its figures" "$(sfield "$("$HV" stats s1 --counters --json)" 'e["state"], e["rss_bytes"] > 0')" "paused True"
"$HV" kill s1 >/dev/null
expect_eq "a stopped VM is left out" "$("$HV" stats --counters --json --no-containers | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" 0
expect_eq "unless named: then its state" "$(sfield "$("$HV" stats s1 --counters --json)" 'e["state"], "cpu_ns" in e')" "stopped False"
expect_match "an unknown name is an error" "$("$HV" stats nosuchvm 2>&1)" "no VM or container named 'nosuchvm'"

# --- a container burning CPU, through its cgroup ---
b=$(mkbundle burn 'c["process"]["args"]=["sh","-c","dd if=/dev/zero of=/tmp/f bs=1M count=8 2>/dev/null; while :; do :; done"]')
rt run --detach --bundle "$b" burn >/dev/null
sleep 0.5
cg_usage() { # the container's CPU time in ns, read here apart from hv (v1, else v2)
	local d
	for d in $(ctr_cgroup_dirs burn); do
		[ -f "$d/cpuacct.usage" ] && { cat "$d/cpuacct.usage"; return; }
	done
	for d in $(ctr_cgroup_dirs burn); do
		grep -q '^usage_usec ' "$d/cpu.stat" 2>/dev/null && { awk '$1 == "usage_usec" { print $2 * 1000 }' "$d/cpu.stat"; return; }
	done
	echo 0
}
u0=$(cg_usage)
jc=$("$HV" stats --root "$CTR_ROOT" burn --counters --json)
u1=$(cg_usage)
hvu=$(sfield "$jc" 'e["cpu_ns"]')
check "the container's CPU time is its cgroup's ($u0 <= $hvu <= $u1)" test "$u0" -le "$hvu" -a "$hvu" -le "$u1" -a "$u1" -gt 0
j=$("$HV" stats --root "$CTR_ROOT" burn --json --interval 2)
cp=$(sfield "$j" 'int(e["cpu_percent"])')
echo "# container: $(sfield "$j" 'e["state"], int(e.get("cpu_percent", -1)), e.get("rss_bytes")')"
expect_eq "the container is running" "$(sfield "$j" 'e["kind"], e["state"]')" "container running"
check "its CPU % shows the burner (${cp}% >= 20%)" test "$cp" -ge 20
check "and its memory use" test "$(sfield "$j" 'e["rss_bytes"]')" -gt 0
expect_match "containers are in hv top's table too" "$("$HV" top --once --delay 0.3 --root "$CTR_ROOT")" "burn +ctr +running"
rt delete --force burn >/dev/null 2>&1
"$HV" net delete tst >/dev/null 2>&1
done_testing
