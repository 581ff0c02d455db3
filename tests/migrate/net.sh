#!/bin/bash
# SPDX-License-Identifier: MIT
# hv migrate of a VM on an hv network (natnet) between two stores on this
# host (issue 10): the destination must have the network (refused with the
# hv net create command otherwise, or when its subnet differs, or when a
# network forward's port goes to another VM there); a TCP echo session
# from the host into the guest survives the move, the guest keeps its
# address and MAC, the network's forward to the VM moves; then the link
# cut: the migration stream's packets dropped (the stall detector ends it)
# and the stream reset (QEMU's error) leave the VM running where it was
# and nothing at the other store.  One boot of a 256 MiB default guest.
source "$(dirname "$0")/../vm/lib.bash"
A=$HV_HOME
B=$(mktemp -d /tmp/hv-test-b.XXXXXX)
tmp=$(mktemp -d)
NET=hvmig
SUBNET=10.99.71.0/24
CUT=hvt-migcut
inA() { HV_HOME=$A "$@"; }
inB() { HV_HOME=$B "$@"; }
cleanup_both() {
	local vm
	[ -n "${CLIENT_PID:-}" ] && kill "$CLIENT_PID" 2>/dev/null
	nft delete table inet $CUT 2>/dev/null
	for vm in $(ls "$B/vms" 2>/dev/null); do inB "$HV" delete --force "$vm" >/dev/null 2>&1; done
	for vm in $(ls "$A/vms" 2>/dev/null); do inA "$HV" delete --force "$vm" >/dev/null 2>&1; done
	inB "$HV" net delete $NET >/dev/null 2>&1
	rm -rf "$B" "$tmp"
	cleanup
}
trap cleanup_both EXIT
qemus() { pgrep -c -f "qemu-system.*-name m1" || true; }
field() { HV_HOME=$1 "$HV" info m1 --json | python3 -c "import json,sys; v=json.load(sys.stdin); print(v$2)"; }
gexec() { HV_HOME=$1 timeout 60 "$HV" exec m1 -- sh -c "$2"; }
clean_store() { [ -z "$(ls -A "$1/vms" 2>/dev/null | grep '^\.')" ] && ! ls "$1"/vms/*/migrate.json >/dev/null 2>&1; }
reserved() { python3 -c "import json; print(' '.join(k + '=' + v['ip'] for k, v in json.load(open('$1/networks/$NET/reservations.json')).items()))" 2>/dev/null; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
fport=$(free_port)
# stream_port QEMU-PID: the destination port of its migration stream, once it is up
stream_port() {
	local i p
	for ((i = 0; i < 300; i++)); do
		p=$(ss -tnpH state established 2>/dev/null | grep "pid=$1," | awk '{print $4}' | sed 's/.*://' | head -n 1)
		[ -n "$p" ] && break
		sleep 0.1
	done
	echo "$p"
}

inA "$HV" net create $NET --mode natnet --subnet $SUBNET >/dev/null || fail "cannot create network $NET"
inA "$HV" create m1 --memory 256M --disk 64M --nic network=$NET >/dev/null
inA "$HV" net forward $NET add "tcp:$fport:m1:80" >/dev/null || fail "cannot add the network's forward"
# --- offline refusals (the networks are checked for a stopped VM too)
err=$(inA "$HV" migrate m1 "$B" 2>&1)
expect_match "no network at the destination: refused with the command that makes it" "$err" "no hv network '$NET': create it there first \(hv net create $NET --mode natnet --subnet $SUBNET\)"
inB "$HV" net create $NET --mode natnet --subnet 10.99.72.0/24 >/dev/null || fail "cannot create $NET in B"
err=$(inA "$HV" migrate m1 "$B" 2>&1)
expect_match "another subnet there: refused" "$err" "hv network '$NET' differs at the destination \(natnet 10.99.72.0/24 there, natnet $SUBNET here\)"
# (hv net delete takes the host's hv-NAME off for every store: only while A's is down)
inB "$HV" net delete $NET >/dev/null
expect_eq "nothing at the destination" "$(ls -A "$B/vms")" ""
# a nat forward's host port taken at the destination by another program
p2=$(free_port)
inA "$HV" create f1 --forward "tcp:127.0.0.1:$p2:80" >/dev/null
python3 -c 'import socket,sys,time; s=socket.socket(); s.bind(("127.0.0.1",int(sys.argv[1]))); s.listen(1); print("up",flush=True); time.sleep(60)' "$p2" >"$tmp/listener" &
lpid=$!
for ((i = 0; i < 50; i++)); do grep -q up "$tmp/listener" && break; sleep 0.1; done
err=$(inA "$HV" migrate f1 "$B" 2>&1)
expect_match "a forward's port taken there: refused, naming it and the fix" "$err" "tcp port $p2 \(a forward of the VM's nat NIC\) is taken at the destination by another program: free it there, or change the forward here \(hv forward f1 remove\|add\)"
kill $lpid
wait $lpid 2>/dev/null
out=$(inA "$HV" migrate f1 "$B" 2>&1)
expect_eq "once it is free the VM moves$([ $? -ne 0 ] && echo ": $out")" "$(ls "$B/vms")" f1
inB "$HV" delete f1 >/dev/null

LOG_MARK[m1]=0
inA "$HV" start m1 >/dev/null
check "the guest's shell is up" wait_log m1 'm1:~#' 60
check "the guest has its DHCP lease" wait_log m1 "network: eth0 .* [0-9.]+/[0-9]+" 30
ip=$(inA "$HV" ip m1 --json | python3 -c 'import json,sys; print((json.load(sys.stdin)[0]["ipv4"] or "").split("/")[0])')
mac=$(field "$A" "['nics'][0]['mac']")
check "the VM has an address on $NET ($ip)" test -n "$ip"
# an echo server (one session, line by line) and a reply server for the forward
gexec "$A" 'setsid nc -l -p 7 -e cat </dev/null >/dev/null 2>&1 &
printf "#!/bin/sh\nread l; echo \"guest:\$l\"\n" >/tmp/reply; chmod +x /tmp/reply
setsid nc -ll -p 80 -e /tmp/reply </dev/null >/dev/null 2>&1 &'
sleep 1
# the client: one TCP session kept open; each line on its fifo is sent and
# the echo printed to its log
mkfifo "$tmp/in"
python3 -u -c '
import socket, sys
s = socket.create_connection((sys.argv[1], 7), timeout=10)
f = s.makefile("rb")
for line in open(sys.argv[2]):
    s.sendall(line.encode())
    s.settimeout(60)
    print(f.readline().decode().strip(), flush=True)
' "$ip" "$tmp/in" >"$tmp/echo.log" 2>&1 &
CLIENT_PID=$!
exec 7>"$tmp/in"
say() { # say LINE: send it over the session, print what came back
	local n
	n=$(wc -l <"$tmp/echo.log")
	echo "$1" >&7
	for ((i = 0; i < 300; i++)); do
		[ "$(wc -l <"$tmp/echo.log")" -gt "$n" ] && break
		sleep 0.1
	done
	tail -n 1 "$tmp/echo.log"
}
expect_eq "the echo session into the guest works" "$(say before)" before
expect_eq "the network's forward reaches the guest" "$(python3 tests/net/echo.py send 127.0.0.1 "$fport" fw 2>&1)" "guest:fw"

# --- refusals, nothing changed at either end
inB "$HV" net create $NET --mode natnet --subnet $SUBNET >/dev/null
out=$?
expect_eq "the same network can be made in the other store while this one is up (one bridge hv-$NET)" "$out" 0
inB "$HV" create x --nic network=$NET >/dev/null
inB "$HV" net forward $NET add "tcp:$fport:x:80" >/dev/null
err=$(inA "$HV" migrate m1 "$B" 2>&1)
expect_match "the network's forward port goes to another VM there: refused" "$err" "tcp port $fport of network $NET goes to VM 'x' at the destination"
# the source's network got its state back after the destination touched the shared table
expect_eq "the forward still reaches the guest" "$(python3 tests/net/echo.py send 127.0.0.1 "$fport" fw2 2>&1)" "guest:fw2"
expect_eq "the VM still runs at the source" "$(field "$A" "['state']")" running
expect_eq "nothing at the destination" "$(ls -A "$B/vms")" "x"
inB "$HV" delete --force x >/dev/null
expect_eq "and no reservation there" "$(reserved "$B")" ""

# --- a snapshot with VM state cannot follow a live move
inA "$HV" snapshot create m1 s1 >/dev/null || fail "cannot take a snapshot"
err=$(inA "$HV" migrate m1 "$B" 2>&1)
expect_match "a snapshot with VM state: refused, named, with the fixes" "$err" "has a snapshot with VM state \(s1\).*hv snapshot delete m1 NAME.*--offline"
inA "$HV" snapshot delete m1 s1 >/dev/null
inA "$HV" snapshot create m1 d1 --disk-only >/dev/null || fail "cannot take a disk-only snapshot"

# --- live, A -> B
out=$(inA "$HV" migrate m1 "$B" --json 2>"$tmp/err")
rc=$?
expect_eq "hv migrate succeeds$([ $rc -ne 0 ] && cat "$tmp/err")" "$rc" 0
echo "# natnet 256 MiB: $(echo "$out" | tr -d '\n ')"
expect_eq "the destination runs it" "$(field "$B" "['state']")" running
expect_eq "with the same MAC" "$(field "$B" "['nics'][0]['mac']")" "$mac"
expect_eq "and the same address reserved there" "$(reserved "$B")" "m1=$ip"
expect_eq "none left at the source's network" "$(reserved "$A")" ""
expect_eq "exactly one QEMU for it" "$(qemus)" 1
expect_eq "the TCP session survives the move" "$(say after)" after
expect_eq "the guest kept its address" "$(gexec "$B" 'cat /run/hv/net/eth0' | cut -d' ' -f1 | cut -d/ -f1)" "$ip"
check "dnsmasq serves its reservation" grep -qi "$mac" /run/hv/networks/$NET/hosts
expect_match "the forward moved to the destination's network" "$(inB "$HV" net forward $NET list)" "$fport"
expect_eq "and reaches the guest there" "$(python3 tests/net/echo.py send 127.0.0.1 "$fport" fw3 2>&1)" "guest:fw3"
expect_match "the disk-only snapshot came along" "$(inB "$HV" snapshot list m1)" "d1"
check "no leftovers in either store" clean_store "$A"
check "(destination)" clean_store "$B"

# --- the link cut: B -> A with the stream's packets dropped
inB "$HV" migrate m1 "$A" --bandwidth 1 --stall 5 >"$tmp/out" 2>"$tmp/err" &
mig=$!
qpid=$(pgrep -f "qemu-system.*-name m1" | head -n 1)
peer=$(stream_port "$qpid")
check "the migration stream is up (port $peer)" test -n "$peer"
sleep 1
nft add table inet $CUT
nft add chain inet $CUT out '{ type filter hook output priority 0; }'
nft add rule inet $CUT out tcp dport "$peer" drop
nft add rule inet $CUT out tcp sport "$peer" drop
t0=$(date +%s)
wait $mig
rc=$?
t1=$(date +%s)
nft delete table inet $CUT
check "hv migrate fails (exit $rc)" test "$rc" -ne 0
expect_match "saying the link is cut" "$(cat "$tmp/err")" "sent nothing for 5 s: the link to the destination is cut or stalled"
check "within the stall time and its cancel ($((t1 - t0)) s)" test $((t1 - t0)) -le 30
expect_eq "the VM runs on where it was" "$(field "$B" "['state']")" running
expect_eq "nothing at the other store" "$(ls -A "$A/vms")" ""
expect_eq "no reservation there" "$(reserved "$A")" ""
expect_eq "its address still reserved here" "$(reserved "$B")" "m1=$ip"
expect_eq "exactly one QEMU for it" "$(qemus)" 1
expect_eq "the TCP session still works" "$(say cut)" cut
expect_eq "the forward still reaches the guest" "$(python3 tests/net/echo.py send 127.0.0.1 "$fport" fw4 2>&1)" "guest:fw4"

# --- the stream reset (ss -K): QEMU's own error
inB "$HV" migrate m1 "$A" --bandwidth 1 >"$tmp/out" 2>"$tmp/err" &
mig=$!
peer=$(stream_port "$qpid")
sleep 1
ss -K state established "( dport = :$peer or sport = :$peer )" >/dev/null 2>&1
wait $mig
rc=$?
check "reset: hv migrate fails (exit $rc)" test "$rc" -ne 0
expect_match "with QEMU's error" "$(cat "$tmp/err")" "QEMU's migration failed"
echo "# reset: $(cat "$tmp/err")"
expect_eq "the VM runs on where it was" "$(field "$B" "['state']")" running
sleep 1
expect_eq "nothing at the other store" "$(ls -A "$A/vms")" ""
expect_eq "no reservation there" "$(reserved "$A")" ""
expect_eq "exactly one QEMU for it" "$(qemus)" 1
expect_eq "the TCP session still works" "$(say reset)" reset
exec 7>&-

# --- offline, B -> A: the network checked, the snapshot carried
inB "$HV" kill m1 >/dev/null
out=$(inB "$HV" migrate m1 "$A" 2>&1)
expect_eq "offline back to A$([ $? -ne 0 ] && echo ": $out")" "$(field "$A" "['state']")" stopped
expect_match "the snapshot is there" "$(inA "$HV" snapshot list m1)" "d1"
expect_eq "its address reserved in A" "$(reserved "$A")" "m1=$ip"
expect_eq "and gone from B" "$(reserved "$B")" ""
check "qemu-img check is clean" qemu-img check -q "$A/vms/m1/disk0.qcow2"
done_testing
