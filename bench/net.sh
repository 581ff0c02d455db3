#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# bench/net.sh - TCP throughput of hv's network modes, and how long a VM
# takes from `hv start` until it holds its DHCP lease.
#
# What is measured
#
#   1. TCP throughput, guest -> host and host -> guest, for
#        (a) nat:     QEMU user networking (slirp).  Guest -> host goes to
#                     10.0.2.2, which slirp maps to the host's 127.0.0.1;
#                     host -> guest goes through a port forward
#                     (--forward tcp:127.0.0.1:HOSTPORT:5001).
#        (b) natnet:  an hv network (`hv net create bnnet --mode natnet`).
#                     Guest -> host goes to the network's gateway (.1, the
#                     host's address on the bridge); host -> guest goes
#                     straight to the VM's leased address.  The subnet is
#                     the first 10.77.N.0/24 free on the host, N counting
#                     down from 250.
#        (c) bridged: `--nic bridge=bnbr0`, a test bridge whose only other
#                     port is a veth into the network namespace "bn-peer"
#                     (192.168.252.1/24).  The guest gets 192.168.252.10/24
#                     by hand (no DHCP server is needed for throughput), and
#                     the peer in the namespace is the other end.
#        (d) the limit: the host's own loopback, python3 -> python3 on
#                     127.0.0.1, with the very same host-side program.
#      The guest side is busybox: `nc HOST PORT -e /tmp/bnsrc` (a script
#      running `dd if=/dev/zero bs=64k count=N`) sends, and
#      `nc -ll -p 5001 -e /tmp/bnsink` (`dd of=/dev/null bs=64k
#      iflag=fullblock`) receives.  With -e, nc hands the socket itself to
#      dd, so no extra copy through nc's small buffer gets in the way.
#      The host side is a small python3 program (written to $TMP/bnio.py):
#        - sink: accepts connections one at a time and, for each, times the
#          span from the first byte received to EOF (guest -> host);
#        - source: connects, sends N bytes, half-closes, and waits until the
#          guest's dd has read everything and answered with its "records
#          in" line, then closes: the time from connect to that EOF
#          (host -> guest).  The reply must say exactly N/64k full records,
#          so a transfer that did not arrive is never counted.
#      Each transfer is $MIB MiB (loopback: $LOOP_MIB MiB, since it is
#      15 to 80 times faster); one untimed warm-up transfer, then $RUNS
#      timed ones.  The guest's sends start one second apart, so that one
#      transfer never overlaps the host's draining of the previous one.
#      MB/s means 10^6 bytes per second.  The table gives median, min and
#      max, and the median's ratio to the loopback median.
#
#   2. Lease time, for nat and natnet: from just before `hv start NAME` is
#      spawned until the guest's init prints "hv-init: network: eth0 MAC
#      ADDR/PREFIX" on its console (it prints "eth0 MAC -" before the lease
#      arrives).  console.log is polled every 20 ms from the size it had
#      before that start (QEMU appends to it across boots).  After each run
#      `hv ip NAME --json` must show the address, with source "guest" (nat)
#      or "dhcp-lease" (natnet); then the VM is killed (`hv kill`).  The
#      first boot of each VM (the throughput boot) is the untimed warm-up.
#      The time `hv start` itself took to return is shown for reference.
#
# Everything runs under TCG here when there is no usable KVM: the guest's
# CPU is then the bottleneck of every guest row, and the rows measure that
# as much as the network path.  VMs: 1 vCPU, 512 MiB, the default guest.
#
# Usage: bench/net.sh   (as root: it creates a bridge, a veth pair, a
#                        network namespace and an hv natnet network)
# Environment: RUNS (default 5), MIB (default 64), LOOP_MIB (default 1024).
#
# Everything this script creates is named bn*: VMs bnnat, bnnatnet and
# bnbridge in a private HV_HOME (mktemp -d), the network bnnet (bridge
# hv-bnnet), the bridge bnbr0, the veth pair bnveth0/bnveth1 and the
# namespace bn-peer.  It refuses to start if one of them already exists,
# and a trap removes all of them, and kills every process it started, on
# any exit.

set -u
export LC_ALL=C

ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd) || exit 1
HV=$ROOT/build/hv
GUEST=$ROOT/build/guest
RUNS=${RUNS:-5}
MIB=${MIB:-64}
LOOP_MIB=${LOOP_MIB:-1024}

NET=bnnet
NET_BR=hv-$NET # the bridge hv makes for the network
BR=bnbr0
NS=bn-peer
VETH_HOST=bnveth0
VETH_NS=bnveth1
PEER_IP=192.168.252.1
VM_BR_IP=192.168.252.10
GPORT=5001 # the port the guest listens on
VM_NAT=bnnat
VM_NATNET=bnnatnet
VM_BRIDGE=bnbridge

die() { printf 'net.sh: %s\n' "$*" >&2; exit 1; }
note() { printf '[%5.1fs] %s\n' "$(elapsed)" "$*" >&2; }
T_BEGIN=${EPOCHREALTIME:-0}
elapsed() { awk -v a="$T_BEGIN" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }

# ------------------------------------------------------------ preflight

((EUID == 0)) || die "must run as root: it creates a bridge, a veth pair, a network namespace and an hv network"
[[ -x $HV ]] || die "$HV is missing: run make first (make hv guest)"
for f in vmlinux initramfs.cpio; do
	[[ -r $GUEST/$f ]] || die "$GUEST/$f is missing: run make first (make hv guest)"
done
[[ -n ${EPOCHREALTIME:-} ]] || die "needs bash >= 5 (\$EPOCHREALTIME)"
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive integer"
[[ $MIB =~ ^[1-9][0-9]*$ && $LOOP_MIB =~ ^[1-9][0-9]*$ ]] || die "MIB and LOOP_MIB must be positive integers"
command -v ip >/dev/null || die "ip (iproute2) not found"
command -v timeout >/dev/null || die "timeout (coreutils) not found"
PY=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null) || die "python3 not found"

# Never touch what is not ours: refuse if a name is taken.
for l in "$BR" "$VETH_HOST" "$NET_BR"; do
	ip link show "$l" >/dev/null 2>&1 && die "network interface $l already exists (not created by this run); remove it first"
done
[[ -e /run/netns/$NS ]] && die "network namespace $NS already exists (not created by this run); remove it first"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/bn-net.XXXXXX") || die "mktemp failed"
export HV_HOME=$TMP/home
mkdir -m 0700 "$HV_HOME"

# ---------------------------------------------------------------- cleanup

PIDS=()          # background processes we started
VMS=()           # VMs we created
NET_MADE=0       # hv network $NET created
NS_MADE=0        # namespace $NS created
BR_MADE=0        # bridge $BR created
VETH_MADE=0      # veth pair created

cleanup() {
	trap - EXIT INT TERM HUP
	local p v
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	for p in "${PIDS[@]}"; do
		wait "$p" 2>/dev/null
	done
	for v in "${VMS[@]}"; do
		"$HV" info "$v" >/dev/null 2>&1 || continue # already deleted
		"$HV" delete "$v" --force >/dev/null 2>&1 || note "cleanup: could not delete VM $v"
	done
	if ((NET_MADE)); then
		"$HV" net delete "$NET" >/dev/null 2>&1 || note "cleanup: could not delete network $NET"
	fi
	((VETH_MADE)) && ip link del "$VETH_HOST" 2>/dev/null
	((BR_MADE)) && ip link del "$BR" 2>/dev/null
	((NS_MADE)) && ip netns del "$NS" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# ------------------------------------------------------ host-side program

cat >"$TMP/bnio.py" <<'EOF'
# Host side of bench/net.sh (see there).
import json, re, socket, subprocess, sys, time

CHUNK = 1 << 18


def sink(host, port, count, timeout):
    """Accept COUNT connections in turn; print 'BYTES SECONDS' for each,
    SECONDS from the first byte to EOF."""
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((host, int(port)))
    ls.listen(16)
    ls.settimeout(float(timeout))
    print("ready", ls.getsockname()[1], flush=True)
    buf = bytearray(CHUNK)
    for _ in range(int(count)):
        c, _peer = ls.accept()
        with c:
            c.settimeout(float(timeout))
            n, t0 = 0, None
            while True:
                k = c.recv_into(buf)
                if not k:
                    break
                if t0 is None:
                    t0 = time.monotonic()
                n += k
            t1 = time.monotonic()
        print(n, "%.6f" % (t1 - t0 if t0 else 0.0), flush=True)


def source(host, port, nbytes, timeout, tries, want_answer="1"):
    """Send NBYTES, half-close, read the peer's answer until EOF.  Print
    'SECONDS ANSWER', SECONDS from connect to EOF.  A refused or reset
    connection, or one closed without an answer (slirp accepts for a
    guest that does not listen yet), is retried TRIES times.  With
    WANT_ANSWER 0 (the loopback sink answers nothing) no answer is fine."""
    nbytes, tries = int(nbytes), int(tries)
    zero = bytes(CHUNK)
    err = "no attempt"
    for attempt in range(tries):
        if attempt:
            time.sleep(0.5)
        try:
            s = socket.create_connection((host, int(port)), timeout=float(timeout))
            with s:
                t0 = time.monotonic()
                left = nbytes
                while left > 0:
                    left -= s.send(zero[: min(left, CHUNK)])
                s.shutdown(socket.SHUT_WR)
                answer = b""
                while True:
                    d = s.recv(4096)
                    if not d:
                        break
                    answer += d
                t1 = time.monotonic()
        except OSError as e:
            err = str(e)
            continue
        if not answer.strip() and want_answer != "0":
            err = "the connection closed without an answer"
            continue
        print("%.6f" % (t1 - t0), " | ".join(answer.decode(errors="replace").split("\n")).strip(" |"), flush=True)
        return 0
    print("source: %s:%s: %s" % (host, port, err), file=sys.stderr)
    return 1


LEASE = re.compile(rb"hv-init: network: eth0 \S+ \d+\.\d+\.\d+\.\d+/\d+")


def lease(log, offset, timeout, *cmd):
    """Spawn CMD (hv start NAME) and poll LOG past OFFSET every 20 ms for
    the lease line.  Print 'LEASE_MS START_MS' (START_MS: when CMD exited)."""
    offset, timeout = int(offset), float(timeout)
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    t_start = t_lease = None
    while time.monotonic() - t0 < timeout:
        if t_start is None and p.poll() is not None:
            t_start = time.monotonic()
            if p.returncode != 0:
                print("lease: %s exited with %d" % (" ".join(cmd), p.returncode), file=sys.stderr)
                return 1
        try:
            with open(log, "rb") as f:
                f.seek(0, 2)
                if f.tell() < offset:  # rotated
                    offset = 0
                f.seek(offset)
                data = f.read()
        except FileNotFoundError:
            data = b""
        if LEASE.search(data):
            t_lease = time.monotonic()
            break
        time.sleep(0.02)
    if t_start is None:
        p.wait()
        t_start = time.monotonic()
    if t_lease is None:
        print("lease: no lease line in %s within %g s" % (log, timeout), file=sys.stderr)
        return 1
    print("%.1f %.1f" % ((t_lease - t0) * 1000, (t_start - t0) * 1000))
    return 0


def ipcheck(hv, vm, source, timeout):
    """Wait until `hv ip VM --json` shows NIC 0's IPv4 from SOURCE; print it."""
    deadline = time.monotonic() + float(timeout)
    last = ""
    while True:
        r = subprocess.run([hv, "ip", vm, "--json"], capture_output=True, text=True)
        last = r.stdout.strip() or r.stderr.strip()
        try:
            nic = json.loads(r.stdout)[0]
            if nic.get("ipv4") and nic.get("source") == source:
                print(nic["ipv4"])
                return 0
        except (ValueError, IndexError, KeyError, TypeError):
            pass
        if time.monotonic() > deadline:
            print("ipcheck: %s: no ipv4 from %s; last answer: %s" % (vm, source, " ".join(last.split())), file=sys.stderr)
            return 1
        time.sleep(0.1)


def freeport():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    print(s.getsockname()[1])
    s.close()
    return 0


cmds = {"sink": sink, "source": source, "lease": lease, "ipcheck": ipcheck, "freeport": freeport}
sys.exit(cmds[sys.argv[1]](*sys.argv[2:]) or 0)
EOF
bnio() { "$PY" "$TMP/bnio.py" "$@"; }

# ----------------------------------------------------------- guest console

size_of() { stat -c %s -- "$1" 2>/dev/null || echo 0; }
console_log() { echo "$HV_HOME/vms/$1/console.log"; }

# wait_log LOG OFFSET TIMEOUT ERE: true once ERE occurs in LOG past OFFSET
wait_log() {
	local log=$1 off=$2 deadline=$((SECONDS + $3)) re=$4
	while :; do
		tail -c +$((off + 1)) -- "$log" 2>/dev/null | grep -qE -- "$re" && return 0
		((SECONDS >= deadline)) && return 1
		sleep 0.1
	done
}

# type_line VM TEXT: type one line into the guest's busybox shell
type_line() {
	printf '%s\n' "$2" | timeout -k 2 15 "$HV" console "$1" >/dev/null 2>&1
}

# guest_cmd VM TIMEOUT CMD: run CMD in the guest's shell and wait until it
# is done.  The marker is computed by the guest's shell: the typed line
# (which the console echoes) reads "@@bn$((N+1000))@@", the output
# "@@bnM@@", so only the output matches.
MARK=0
LAST_OFF=0 # console.log offset before the last guest_cmd: to grep its output
guest_cmd() {
	local vm=$1 tmo=$2 cmd=$3 log
	log=$(console_log "$vm")
	MARK=$((MARK + 1))
	LAST_OFF=$(size_of "$log")
	type_line "$vm" "$cmd; echo @@bn\$(($MARK+1000))@@" || return 1
	wait_log "$log" "$LAST_OFF" "$tmo" "@@bn$((MARK + 1000))@@"
}

# guest_ready VM: the shell answers (typing before it reads is lost)
guest_ready() {
	local i
	for i in 1 2 3 4 5; do
		guest_cmd "$1" 4 "true" && return 0
	done
	return 1
}

# boot VM WAIT_ERE: start VM and wait for WAIT_ERE on its console
ACCEL=""
boot() {
	local vm=$1 log off out
	log=$(console_log "$vm")
	off=$(size_of "$log")
	out=$("$HV" start "$vm") || return 1
	# "started VM NAME (pid N, tcg)"
	[[ $out =~ \(pid\ [0-9]+,\ ([a-z]+)\) ]] && ACCEL=${BASH_REMATCH[1]}
	wait_log "$log" "$off" 60 "$2" || { note "$vm: no '$2' on the console within 60 s"; return 1; }
	guest_ready "$vm" || { note "$vm: the guest's shell does not answer on the console"; return 1; }
}

# Writes the guest-side helpers into /tmp of the guest.
guest_tools() {
	guest_cmd "$1" 20 "printf '#!/bin/sh\nexec dd if=/dev/zero bs=65536 count=%s 2>/dev/null\n' $((MIB * 16)) >/tmp/bnsrc; printf '#!/bin/sh\nexec dd of=/dev/null bs=65536 iflag=fullblock 2>&1\n' >/tmp/bnsink; chmod +x /tmp/bnsrc /tmp/bnsink"
}

# ---------------------------------------------------------------- results

RESULTS=$TMP/results # lines: KEY VALUE
FAILED=()            # what did not work, for the summary
record() { echo "$1 $2" >>"$RESULTS"; }
fail() { FAILED+=("$*"); note "FAILED: $*"; }

# stats KEY -> "median min max count" (empty without values)
stats() {
	[[ -f $RESULTS ]] || return 1
	awk -v k="$1" '$1 == k { print $2 }' "$RESULTS" | sort -g | awk '
		{ v[NR] = $1 }
		END {
			if (NR == 0) exit 1
			m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			print m, v[1], v[NR], NR
		}'
}

# -------------------------------------------------------- the measurements

# guest_to_host KEY VM NSX SINKADDR DSTADDR: the guest sends RUNS+1 times
# (the first is the warm-up) to a sink on the host (or, with NSX="ip netns
# exec NS", in the namespace).
guest_to_host() {
	local key=$1 vm=$2 nsx=$3 bindaddr=$4 dst=$5 out=$TMP/sink.$1 pid port n=$((RUNS + 1)) i=0 b s
	# shellcheck disable=SC2086
	$nsx "$PY" "$TMP/bnio.py" sink "$bindaddr" 0 "$n" 120 >"$out" &
	pid=$!
	PIDS+=("$pid")
	for ((i = 0; i < 50; i++)); do
		port=$(awk '$1 == "ready" { print $2 }' "$out")
		[[ -n $port ]] && break
		sleep 0.1
	done
	[[ -n $port ]] || { fail "$key: the host-side sink did not start"; return 1; }
	note "$key: guest -> $dst:$port, $n x $MIB MiB"
	if ! guest_cmd "$vm" $((n * (MIB + 10))) "i=0; while [ \$i -lt $n ]; do nc $dst $port -e /tmp/bnsrc; sleep 1; i=\$((i+1)); done"; then
		fail "$key: the guest's sender loop did not finish in time"
		kill "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null || fail "$key: the sink did not get $n transfers: $(tail -n 1 "$out")"
	i=0
	while read -r b s; do
		[[ $b =~ ^[0-9]+$ ]] || continue
		i=$((i + 1))
		((i == 1)) && continue # warm-up
		if ((b != MIB * 1048576)); then
			fail "$key: run $((i - 1)) received $b bytes, not $((MIB * 1048576))"
			continue
		fi
		record "$key" "$(awk -v b="$b" -v s="$s" 'BEGIN { printf "%.2f", b / s / 1e6 }')"
	done <"$out"
}

# host_to_guest KEY VM NSX DSTADDR DSTPORT: a sender on the host (or in the
# namespace) sends to the guest's persistent `nc -ll` receiver.
host_to_guest() {
	local key=$1 vm=$2 nsx=$3 dst=$4 dport=$5 i r secs want=$((MIB * 16))
	guest_cmd "$vm" 10 "nc -ll -p $GPORT -e /tmp/bnsink & sleep 0.2" || { fail "$key: could not start the guest's receiver"; return 1; }
	note "$key: host -> $dst:$dport, 1 + $RUNS x $MIB MiB"
	# warm-up, which also waits for the receiver to listen
	# shellcheck disable=SC2086
	r=$($nsx "$PY" "$TMP/bnio.py" source "$dst" "$dport" $((MIB * 1048576)) 120 20) ||
		{ fail "$key: the warm-up transfer to $dst:$dport failed"; return 1; }
	for ((i = 1; i <= RUNS; i++)); do
		# shellcheck disable=SC2086
		r=$($nsx "$PY" "$TMP/bnio.py" source "$dst" "$dport" $((MIB * 1048576)) 120 1) ||
			{ fail "$key: run $i to $dst:$dport failed"; continue; }
		secs=${r%% *}
		if [[ $r != *" $want+0 records in"* ]]; then
			fail "$key: run $i: the guest's dd did not read $want full blocks: ${r#* }"
			continue
		fi
		record "$key" "$(awk -v b=$((MIB * 1048576)) -v s="$secs" 'BEGIN { printf "%.2f", b / s / 1e6 }')"
	done
}

# lease_runs KEY VM SOURCE: RUNS timed boots until the lease line
lease_runs() {
	local key=$1 vm=$2 src=$3 log i r ip
	log=$(console_log "$vm")
	note "$key: $RUNS boots, hv start -> lease"
	for ((i = 1; i <= RUNS; i++)); do
		if r=$(bnio lease "$log" "$(size_of "$log")" 60 "$HV" start "$vm"); then
			if ip=$(bnio ipcheck "$HV" "$vm" "$src" 10); then
				record "$key" "${r% *}"
				record "$key.start" "${r#* }"
				note "  run $i: lease after ${r% *} ms ($ip), hv start returned after ${r#* } ms"
			else
				fail "$key: run $i: hv ip $vm --json shows no ipv4 from '$src'"
			fi
		else
			fail "$key: run $i: no lease"
		fi
		"$HV" kill "$vm" >/dev/null 2>&1
	done
}

LEASE_RE='hv-init: network: eth0 [^ ]+ [0-9]+\.[0-9]+\.[0-9]+\.[0-9]+/[0-9]+'

# (d) loopback: the limit of the host-side program itself
note "loopback: python3 -> python3 on 127.0.0.1, 1 + $RUNS x $LOOP_MIB MiB"
bnio sink 127.0.0.1 0 $((RUNS + 1)) 60 >"$TMP/sink.loop" &
PIDS+=("$!")
LOOP_PID=$!
for ((i = 0; i < 50; i++)); do
	LPORT=$(awk '$1 == "ready" { print $2 }' "$TMP/sink.loop")
	[[ -n $LPORT ]] && break
	sleep 0.1
done
for ((i = 0; i <= RUNS; i++)); do
	bnio source 127.0.0.1 "$LPORT" $((LOOP_MIB * 1048576)) 60 1 0 >/dev/null
done
wait "$LOOP_PID"
i=0
while read -r b s; do
	[[ $b =~ ^[0-9]+$ ]] || continue
	i=$((i + 1))
	((i == 1)) && continue
	((b == LOOP_MIB * 1048576)) || { fail "loopback: run $((i - 1)) received $b bytes"; continue; }
	record loop "$(awk -v b="$b" -v s="$s" 'BEGIN { printf "%.2f", b / s / 1e6 }')"
done <"$TMP/sink.loop"

# (a) nat
HOSTPORT=$(bnio freeport)
VMS+=("$VM_NAT")
if "$HV" create "$VM_NAT" --nic nat --forward "tcp:127.0.0.1:$HOSTPORT:$GPORT" --memory 512M >/dev/null &&
	boot "$VM_NAT" "$LEASE_RE" && guest_tools "$VM_NAT"; then
	note "nat: booted"
	guest_to_host nat.g2h "$VM_NAT" "" 127.0.0.1 10.0.2.2
	host_to_guest nat.h2g "$VM_NAT" "" 127.0.0.1 "$HOSTPORT"
	"$HV" kill "$VM_NAT" >/dev/null 2>&1
	lease_runs nat.lease "$VM_NAT" guest
else
	fail "nat: could not create or boot $VM_NAT"
fi
"$HV" delete "$VM_NAT" --force >/dev/null 2>&1

# (b) natnet: a free 10.77.N.0/24, N counted down from 250 (hv's automatic
# choice counts from the bottom; other tests may own some of those)
SUBNET=""
for ((n = 250; n > 200; n--)); do
	ip -4 route show | grep -q "^10\.77\.$n\." && continue
	ip -4 addr show | grep -q "inet 10\.77\.$n\." && continue
	SUBNET=10.77.$n.0/24
	break
done
if [[ -n $SUBNET ]] && "$HV" net create "$NET" --mode natnet --subnet "$SUBNET" >/dev/null; then
	NET_MADE=1
	GW=${SUBNET%.0/24}.1
	VMS+=("$VM_NATNET")
	if "$HV" create "$VM_NATNET" --nic "network=$NET" --memory 512M >/dev/null &&
		boot "$VM_NATNET" "$LEASE_RE" && guest_tools "$VM_NATNET" &&
		VMIP=$(bnio ipcheck "$HV" "$VM_NATNET" dhcp-lease 10); then
		note "natnet: booted on $SUBNET, VM at $VMIP, gateway $GW"
		guest_to_host natnet.g2h "$VM_NATNET" "" "$GW" "$GW"
		host_to_guest natnet.h2g "$VM_NATNET" "" "$VMIP" "$GPORT"
		"$HV" kill "$VM_NATNET" >/dev/null 2>&1
		lease_runs natnet.lease "$VM_NATNET" dhcp-lease
	else
		fail "natnet: could not create or boot $VM_NATNET, or it got no lease"
	fi
	"$HV" delete "$VM_NATNET" --force >/dev/null 2>&1
else
	fail "natnet: could not create the network $NET (subnet '${SUBNET:-none free}')"
fi

# (c) bridged: bnbr0 <-> veth <-> namespace bn-peer
bridge_setup() {
	ip netns add "$NS" && NS_MADE=1 || return 1
	ip link add "$BR" type bridge && BR_MADE=1 || return 1
	ip link add "$VETH_HOST" type veth peer name "$VETH_NS" && VETH_MADE=1 || return 1
	ip link set "$VETH_NS" netns "$NS" &&
		ip link set "$VETH_HOST" master "$BR" &&
		ip link set "$VETH_HOST" up &&
		ip link set "$BR" up &&
		ip -n "$NS" link set lo up &&
		ip -n "$NS" addr add "$PEER_IP/24" dev "$VETH_NS" &&
		ip -n "$NS" link set "$VETH_NS" up
}
if bridge_setup; then
	VMS+=("$VM_BRIDGE")
	if "$HV" create "$VM_BRIDGE" --nic "bridge=$BR" --memory 512M >/dev/null &&
		boot "$VM_BRIDGE" "hv-init: .* is up" && guest_tools "$VM_BRIDGE" &&
		# no DHCP server on the bridge: stop udhcpc, give a static address
		guest_cmd "$VM_BRIDGE" 20 "killall udhcpc; ip -4 addr flush dev eth0; ip addr add $VM_BR_IP/24 dev eth0; ip link set eth0 up; ping -c 1 -W 5 $PEER_IP >/dev/null; echo bnping=\$?" &&
		tail -c +$((LAST_OFF + 1)) "$(console_log "$VM_BRIDGE")" | grep -q "bnping=0"; then
		note "bridged: booted, $VM_BR_IP <-> $PEER_IP in $NS"
		guest_to_host bridge.g2h "$VM_BRIDGE" "ip netns exec $NS" "$PEER_IP" "$PEER_IP"
		host_to_guest bridge.h2g "$VM_BRIDGE" "ip netns exec $NS" "$VM_BR_IP" "$GPORT"
	else
		fail "bridged: could not create or boot $VM_BRIDGE, or it cannot reach $PEER_IP"
	fi
	"$HV" delete "$VM_BRIDGE" --force >/dev/null 2>&1
else
	fail "bridged: could not set up $BR, $VETH_HOST/$VETH_NS and namespace $NS"
fi

# ---------------------------------------------------------------- summary

LOOP_MED=$(stats loop | awk '{ print $1 }')

row() { # KEY MODE DIRECTION
	local s
	if s=$(stats "$1"); then
		awk -v m="$2" -v d="$3" -v s="$s" -v l="${LOOP_MED:-0}" 'BEGIN {
			split(s, v, " ")
			r = l > 0 ? sprintf("%.3f", v[1] / l) : "-"
			printf "| %s | %s | %.1f | %.1f | %.1f | %s |\n", m, d, v[1], v[2], v[3], r
		}'
	else
		printf '| %s | %s | failed | | | |\n' "$2" "$3"
	fi
}
lease_row() { # KEY MODE SOURCE
	local s t
	if s=$(stats "$1") && t=$(stats "$1.start"); then
		awk -v m="$2" -v src="$3" -v s="$s" -v t="$t" 'BEGIN {
			split(s, v, " "); split(t, w, " ")
			printf "| %s (%s) | %.0f ms | %.0f | %.0f | %.0f ms |\n", m, src, v[1], v[2], v[3], w[1]
		}'
	else
		printf '| %s (%s) | failed | | | |\n' "$2" "$3"
	fi
}

echo
echo "## Network throughput (bench/net.sh)"
echo
echo "$(nproc) host cores, guest: 1 vCPU, 512 MiB, ${ACCEL:-accelerator unknown}; $RUNS runs of $MIB MiB each after one warm-up"
echo "(loopback: $LOOP_MIB MiB). MB/s = 10^6 bytes/s. Guest side: busybox nc -e dd; host side: python3."
echo
echo "| mode | direction | median MB/s | min | max | ratio to loopback |"
echo "|---|---|---:|---:|---:|---:|"
row loop "loopback (limit)" "python3 -> python3, 127.0.0.1"
row nat.g2h "nat (slirp)" "guest -> host (10.0.2.2)"
row nat.h2g "nat (slirp)" "host -> guest (port forward)"
row natnet.g2h "natnet" "guest -> host (gateway)"
row natnet.h2g "natnet" "host -> guest (VM address)"
row bridge.g2h "bridged" "guest -> netns peer"
row bridge.h2g "bridged" "netns peer -> guest"
echo
echo "## Time from \`hv start\` to the guest's DHCP lease ($RUNS boots each)"
echo
echo "| mode (hv ip source) | median | min | max | hv start returned (median) |"
echo "|---|---:|---:|---:|---:|"
lease_row nat.lease nat guest
lease_row natnet.lease natnet dhcp-lease
echo
if ((${#FAILED[@]})); then
	echo "Failures:"
	printf -- '- %s\n' "${FAILED[@]}"
	echo
fi
echo "total time: $(elapsed) s"
((${#FAILED[@]} == 0))
