#!/bin/bash
# SPDX-License-Identifier: MIT
# hv migrate to ssh:// and hv -c ssh:// (issue 10): two "hosts" as network
# namespaces joined by a veth pair, sshd (its own config, host key and
# authorized key in a temp dir) in the destination's, each host with its
# own store.  hv -c lists, creates, execs and relays exit codes; bad URLs
# and an unreachable host are one-line errors; a disk in the store is
# refused over ssh; SIGKILL of the source's hv mid-copy leaves nothing at
# the destination; a live migration of a running default guest crosses the
# veth with a workload, a tmpfs file and disk data surviving.  One boot.
source "$(dirname "$0")/../vm/lib.bash"
source "$(dirname "$0")/workload.bash"
A=$HV_HOME
B=$(mktemp -d /tmp/hv-test-b.XXXXXX)
tmp=$(mktemp -d)
NA=hvsa$$
NB=hvsb$$
ADDR_A=10.213.77.1
ADDR_B=10.213.77.2
PORT=2222
URL="ssh://root@$ADDR_B:$PORT?home=$B"
sshd_pid=
cleanup_all() {
	local vm
	[ -n "$sshd_pid" ] && kill "$sshd_pid" 2>/dev/null
	for vm in $(ls "$B/vms" 2>/dev/null); do HV_HOME=$B "$HV" delete --force "$vm" >/dev/null 2>&1; done
	ip netns del "$NA" 2>/dev/null
	ip netns del "$NB" 2>/dev/null
	rm -rf "$B" "$tmp"
	cleanup
}
trap cleanup_all EXIT
# inA/inB: a command in that "host"'s network namespace (nothing else changes)
inA() { nsenter --net=/run/netns/$NA "$@"; }
inB() { nsenter --net=/run/netns/$NB "$@"; }
hvA() { inA "$HV" "$@"; }
field() { HV_HOME=$1 "$HV" info m1 --json | python3 -c "import json,sys; v=json.load(sys.stdin); print(v$2)"; }
gexec() { HV_HOME=$1 timeout 60 "$HV" exec m1 -- sh -c "$2"; }
qemus() { pgrep -c -f "qemu-system.*-name m1" || true; }
clean_store() { [ -z "$(ls -A "$1/vms" 2>/dev/null | grep '^\.')" ] && ! ls "$1"/vms/*/migrate.json >/dev/null 2>&1; }
rx_b() { inB ip -s -j link show "veth-$NB" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["stats64"]["rx"]["bytes"])'; }

# --- the two hosts
ip netns add "$NA" && ip netns add "$NB" || fail "cannot create network namespaces"
ip link add "veth-$NA" netns "$NA" type veth peer name "veth-$NB" netns "$NB"
inA ip addr add "$ADDR_A/24" dev "veth-$NA"
inB ip addr add "$ADDR_B/24" dev "veth-$NB"
for ns in inA inB; do $ns ip link set lo up; done
inA ip link set "veth-$NA" up
inB ip link set "veth-$NB" up

# --- sshd on B: root by key only, no PAM, everything in $tmp
ssh-keygen -q -t ed25519 -N '' -f "$tmp/host_key"
ssh-keygen -q -t ed25519 -N '' -f "$tmp/client_key"
cp "$tmp/client_key.pub" "$tmp/authorized_keys"
cat >"$tmp/sshd_config" <<EOF
Port $PORT
ListenAddress $ADDR_B
HostKey $tmp/host_key
PidFile $tmp/sshd.pid
AuthorizedKeysFile $tmp/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
EOF
echo "[$ADDR_B]:$PORT $(cat "$tmp/host_key.pub")" >"$tmp/known_hosts"
cat >"$tmp/ssh_config" <<EOF
Host *
	IdentityFile $tmp/client_key
	IdentitiesOnly yes
	UserKnownHostsFile $tmp/known_hosts
	GlobalKnownHostsFile /dev/null
	StrictHostKeyChecking yes
	ConnectTimeout 10
EOF
mkdir -p /run/sshd
nsenter --net=/run/netns/$NB /usr/sbin/sshd -D -e -f "$tmp/sshd_config" 2>"$tmp/sshd.log" >/dev/null </dev/null &
sshd_pid=$!
for i in $(seq 50); do inB ss -ltn | grep -q "$ADDR_B:$PORT" && break; sleep 0.1; done
# hv finds ssh's config here; the remote hv is this build (a path on the remote host)
export HV_SSH_CONFIG=$tmp/ssh_config HV_REMOTE_HV=$HV

# --- hv -c
out=$(hvA -c "$URL" list --json 2>&1 | tr -d ' \n')
expect_eq "hv -c lists the remote store (empty)" "$out" "[]"
hvA -c "$URL" create b1 --memory 128M >/dev/null 2>"$tmp/err"
expect_eq "hv -c create runs there$(cat "$tmp/err")" "$?" 0
expect_eq "hv -c list --json lists B's VM" "$(hvA -c "$URL" list --all --json | python3 -c 'import json,sys; print([v["name"] for v in json.load(sys.stdin)])')" "['b1']"
expect_eq "in B's store, not in A's" "$(ls "$B/vms") / $(ls "$A/vms" 2>/dev/null)" "b1 / "
expect_eq "HV_CONNECT does the same" "$(HV_CONNECT=$URL hvA list --all --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" 1
hvA -c "$URL" info nosuchvm >"$tmp/out" 2>"$tmp/err"
expect_eq "the remote exit code comes back" "$?" 1
check "stdout and stderr stay apart" eval '[ ! -s "$tmp/out" ] && grep -q "nosuchvm" "$tmp/err"'
out=$(hvA -c "$URL" create "it's" 2>&1)
expect_match "arguments reach the remote hv as they are (quoted for its shell)" "$out" "it's"
hvA -c "ssh://root@$ADDR_B:$((PORT + 1))" list >"$tmp/out" 2>"$tmp/err"
expect_eq "an unreachable host fails" "$?" 1
expect_match "in one line with ssh's reason" "$(cat "$tmp/err")" "^hv: cannot reach $ADDR_B over ssh: ssh: connect to host $ADDR_B port $((PORT + 1)): Connection refused$"
hvA -c "ssh://root@:22" list >"$tmp/out" 2>"$tmp/err"
expect_eq "a bad URL is a usage error" "$?" 2
expect_match "naming the form" "$(cat "$tmp/err")" "^hv: bad URL 'ssh://root@:22': the host is missing \(the form is ssh://\[USER@\]HOST\[:PORT\]\[\?home=PATH\]\)$"
out=$(PATH=/nonexistent "$HV" -c "$URL" list 2>&1)
expect_match "no ssh here" "$out" "ssh is not installed here"
HV_HOME=$B "$HV" delete b1 >/dev/null

# --- pre-checks over ssh
"$HV" create m2 --memory 64M --disk 16M >/dev/null
out=$(hvA migrate m2 "$URL" 2>&1)
expect_match "a disk in the store is refused over ssh, with the fix" "$out" "disk disk0.qcow2 of VM 'm2' is in this host's store, which $ADDR_B cannot open: migrate with --copy-storage, or keep the disk on shared storage"
out=$(hvA migrate m2 "ssh://$ADDR_B/srv" 2>&1)
expect_match "a bad destination URL" "$out" "bad URL 'ssh://$ADDR_B/srv': a path is not part of it"
"$HV" delete m2 >/dev/null
check "nothing reached B" eval '[ -z "$(ls -A "$B/vms")" ]'

# --- one boot, in A, its disk on "shared storage" (outside both stores)
cc -static -O2 -o "$tmp/dirty" tests/migrate/dirty.c || fail "cannot build the guest workload"
mkdir -p "$tmp/shared"
qemu-img create -q -f qcow2 "$tmp/shared/m1.qcow2" 64M
"$HV" create m1 --memory 256M --disk "$tmp/shared/m1.qcow2" >/dev/null
LOG_MARK[m1]=0
out=$(hvA start m1 2>&1)
expect_match "the VM starts in A" "$out" "started VM m1"
check "the guest's shell is up" wait_log m1 'm1:~#' 30
workload_start "$A" 32
uuid=$(field "$A" "['uuid']")

# --- SIGKILL of the source's hv mid-copy: the ssh session ends, so does __migrate-in there
nsenter --net=/run/netns/$NA "$HV" migrate m1 "$URL" --bandwidth 1 >/dev/null 2>&1 &
mig=$!
for i in $(seq 100); do [ "$(qemus)" = 2 ] && break; sleep 0.2; done
sleep 2
expect_eq "the destination's QEMU started in B" "$(qemus)" 2
kill -9 $mig
wait $mig 2>/dev/null
for i in $(seq 100); do [ "$(qemus)" = 1 ] && [ -z "$(ls -A "$B/vms")" ] && ! pgrep -f "__migrate-in" >/dev/null && break; sleep 0.2; done
expect_eq "the destination's QEMU is gone" "$(qemus)" 1
check "nothing is left in B's store, no __migrate-in runs" eval '[ -z "$(ls -A "$B/vms")" ] && ! pgrep -f __migrate-in >/dev/null'
# A's monitor settles the VM once it sees its migrating hv gone
for i in $(seq 50); do [ "$(field "$A" "['state']")" = running ] && clean_store "$A" && break; sleep 0.2; done
check "the VM runs on in A" eval '[ "$(field "$A" "[\"state\"]")" = running ] && clean_store "$A"'
c1=$(gexec "$A" 'cat /run/t/count')
sleep 2
check "and its guest too" test "$(gexec "$A" 'cat /run/t/count')" -gt "$c1"

# --- live, A -> B over ssh
rx0=$(rx_b)
c0=$(gexec "$A" 'cat /run/t/count')
hvA --debug migrate m1 "$URL" --json >"$tmp/out" 2>"$tmp/err"
rc=$?
expect_eq "hv migrate to ssh:// succeeds$([ $rc -ne 0 ] && tail -n 3 "$tmp/err")" "$rc" 0
out=$(cat "$tmp/out")
echo "# live 256 MiB over ssh: $(echo "$out" | tr -d '\n ')"
bytes=$(echo "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["bytes"])')
expect_match "the destination listened on the address ssh reached it by" "$(grep -o '{[^{}]*"op":"ready"[^{}]*}' "$tmp/err")" "\"host\":\"$ADDR_B\""
check "the stream crossed the veth ($((($(rx_b) - rx0) >> 20)) MiB in, QEMU sent $((bytes >> 20)) MiB)" test "$(($(rx_b) - rx0))" -ge "$bytes"
expect_eq "A no longer has the VM" "$("$HV" list --all | tail -n +2)" ""
expect_eq "B runs it (hv -c)" "$(hvA -c "$URL" list --json | python3 -c 'import json,sys; print([(v["name"], v["state"]) for v in json.load(sys.stdin)])')" "[('m1', 'running')]"
expect_eq "with the same UUID" "$(field "$B" "['uuid']")" "$uuid"
expect_eq "exactly one QEMU for it" "$(qemus)" 1
expect_eq "its shared disk stays where it was" "$(field "$B" "['disks'][0]['path']")" "$tmp/shared/m1.qcow2"
expect_eq "hv -c exec runs in the guest at B: the tmpfs file survives" "$(hvA -c "$URL" exec m1 -- cat /run/t/f)" tmpfs-survives
workload_check "$B"
out=$(script -qec "nsenter --net=/run/netns/$NA $HV -c '$URL' exec -t m1 -- tty" /dev/null </dev/null | tr -d '\r')
expect_match "on a terminal, hv -c exec -t has one in the guest (ssh -t)" "$out" "/dev/pts/[0-9]"
check "and ssh says nothing of its own (no 'Connection to ... closed')" eval '! echo "$out" | grep -q Connection' 
expect_match "without a terminal, no ssh -t" "$(hvA -c "$URL" exec -t m1 -- tty 2>&1)" "needs a terminal on stdin"
hvA -c "$URL" exec m1 -- sh -c 'exit 7'
expect_eq "hv -c exec relays the guest command's exit code" "$?" 7
check "no leftovers in either store" eval 'clean_store "$A" && clean_store "$B"'
check "no __migrate-in left at B" eval '! pgrep -f __migrate-in >/dev/null'
HV_HOME=$B "$HV" delete --force m1 >/dev/null
expect_eq "the shared disk outlives the VM's definitions" "$(ls "$tmp/shared")" m1.qcow2
check "qemu-img check is clean" qemu-img check -q "$tmp/shared/m1.qcow2"

# --- --copy-storage over ssh: a disk in A's store, copied over NBD to the
# address ssh reached B by
"$HV" create m2 --memory 128M --disk 32M >/dev/null
LOG_MARK[m2]=0
hvA start m2 >/dev/null 2>&1
check "a second VM with its disk in A's store is up" wait_log m2 'm2:~#' 30
HV_HOME=$A timeout 60 "$HV" exec m2 -- sh -c 'printf nbd-survives | dd of=/dev/vda bs=512 seek=10 conv=fsync 2>/dev/null'
hvA migrate m2 "$URL" >/dev/null 2>"$tmp/err"
expect_match "without --copy-storage it is refused, with the fix" "$(cat "$tmp/err")" "copy-storage"
rx0=$(rx_b)
hvA --debug migrate m2 "$URL" --copy-storage --json >"$tmp/out" 2>"$tmp/err"
rc=$?
expect_eq "hv migrate --copy-storage to ssh:// succeeds$([ $rc -ne 0 ] && tail -n 3 "$tmp/err")" "$rc" 0
echo "# copy-storage over ssh: $(tr -d '\n ' <"$tmp/out")"
expect_match "the NBD export listened on B's address too" "$(grep -o '{[^{}]*"op":"ready"[^{}]*}' "$tmp/err")" "\"host\":\"$ADDR_B\".*nbd_port|nbd_port.*\"host\":\"$ADDR_B\""
dbytes=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["disk_bytes"])' "$tmp/out")
check "the disk crossed the veth ($dbytes bytes copied)" test "$dbytes" -gt 0 -a "$(($(rx_b) - rx0))" -ge "$dbytes"
expect_eq "B runs it" "$(HV_HOME=$B "$HV" info m2 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])')" running
expect_eq "its disk's data arrived" "$(hvA -c "$URL" exec m2 -- sh -c 'dd if=/dev/vda bs=512 skip=10 count=1 2>/dev/null | head -c 12')" nbd-survives
check "the copy is B's own file, clean" qemu-img check -q "$B/vms/m2/disk0.qcow2"
check "no leftovers in either store" eval 'clean_store "$A" && clean_store "$B" && [ -z "$(ls -A "$A/vms")" ]'
HV_HOME=$B "$HV" delete --force m2 >/dev/null

done_testing
