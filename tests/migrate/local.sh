#!/bin/bash
# SPDX-License-Identifier: MIT
# hv migrate between two stores on this host (issue 10): live with a
# guest that dirties 128 MiB page by page (its invariant checked after
# the move, its counter advancing), a tmpfs file, a process, disk data and
# a port forward surviving; --json; cancel, timeout and SIGKILL of hv
# migrate, of the destination QEMU and of the source QEMU mid-copy; an
# offline move; pre-checks.  One boot of a 256 MiB default guest.
source "$(dirname "$0")/../vm/lib.bash"
source "$(dirname "$0")/workload.bash"
A=$HV_HOME
B=$(mktemp -d /tmp/hv-test-b.XXXXXX)
tmp=$(mktemp -d)
inB() { HV_HOME=$B "$@"; }
cleanup_both() {
	local vm
	for vm in $(ls "$B/vms" 2>/dev/null); do inB "$HV" delete --force "$vm" >/dev/null 2>&1; done
	rm -rf "$B" "$tmp"
	cleanup
}
trap cleanup_both EXIT

cc -static -O2 -o "$tmp/dirty" tests/migrate/dirty.c || fail "cannot build the guest workload"
qemus() { pgrep -c -f "qemu-system.*-name m1" || true; }
# field STORE FIELD: a field of hv info m1 --json in STORE
field() { HV_HOME=$1 "$HV" info m1 --json | python3 -c "import json,sys; v=json.load(sys.stdin); print(v$2)"; }
# the store of the VM's home: no hidden leftovers (.incoming-*) and no migrate.json
clean_store() { [ -z "$(ls -A "$1/vms" 2>/dev/null | grep '^\.')" ] && ! ls "$1"/vms/*/migrate.json >/dev/null 2>&1; }
gexec() { HV_HOME=$1 timeout 60 "$HV" exec m1 -- sh -c "$2"; }
wait_state_in() {
	local i
	for ((i = 0; i < 100; i++)); do [ "$(field "$1" "['state']")" == "$2" ] && return 0; sleep 0.1; done
	return 1
}
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

"$HV" create m1 --memory 256M --disk 64M --forward "tcp:127.0.0.1:$port:7" >/dev/null
LOG_MARK[m1]=0
out=$("$HV" start m1 2>&1)
expect_match "the VM starts" "$out" "started VM m1"
check "the guest's shell is up" wait_log m1 'm1:~#' 30
workload_start "$A" 128
uuid=$(field "$A" "['uuid']")
mac=$(field "$A" "['nics'][0]['mac']")

# --- live, A -> B
out=$("$HV" migrate m1 "$B" --json 2>"$tmp/err")
rc=$?
expect_eq "hv migrate succeeds$( [ $rc -ne 0 ] && cat "$tmp/err")" "$rc" 0
expect_match "--json reports a live move with its figures" "$(echo "$out" | python3 -c 'import json,sys; r=json.load(sys.stdin); print(r["live"], r["downtime_ms"] >= 0, r["bytes"] > 0, r["total_ms"] > 0)')" "^True True True True$"
# QEMU 7.2's TCG loses writes during a live copy (docs/migration.md, "TCG")
expect_eq "under TCG the guest stood still while RAM moved" "$(echo "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["paused_copy"])')" "$([ "$(field "$B" "['accel']")" = tcg ] && echo True || echo False)"
echo "# live 256 MiB dirtying 128 MiB: $(echo "$out" | tr -d '\n ')"
expect_eq "the source store no longer has the VM" "$("$HV" list --all | tail -n +2)" ""
expect_eq "the destination runs it" "$(field "$B" "['state']")" running
expect_eq "with the same UUID" "$(field "$B" "['uuid']")" "$uuid"
expect_eq "and the same MAC" "$(field "$B" "['nics'][0]['mac']")" "$mac"
expect_eq "exactly one QEMU for it" "$(qemus)" 1
sleep 2
expect_eq "the guest kernel is healthy after the move (no oops on its console)" "$(grep -a -c 'BUG\|Oops' "$B/vms/m1/console.log")" 0
workload_check "$B"
check "the destination's QEMU holds the disk's lock (a second writer is refused)" sh -c "! flock -n -x '$B/vms/m1/disk0.qcow2' true"
expect_eq "the disk moved into the destination's folder" "$(ls "$B/vms/m1/disk0.qcow2" 2>&1)" "$B/vms/m1/disk0.qcow2"
check "the port forward moved (the destination's QEMU listens on $port)" sh -c "ss -ltnp | grep -q '127.0.0.1:$port .*qemu'"
check "no leftovers in either store" eval 'clean_store "$A" && clean_store "$B"'
check "qemu-img check is clean while it runs there" qemu-img check -U -q "$B/vms/m1/disk0.qcow2"

# --- cancel: a 1 MiB/s link never gets through 256 MiB
HV_HOME=$B "$HV" migrate m1 "$A" --bandwidth 1 >"$tmp/out" 2>"$tmp/err" &
mig=$!
sleep 3
out=$(inB "$HV" migrate m1 --cancel 2>&1)
expect_match "hv migrate --cancel stops it" "$out" "cancelled"
wait $mig
expect_eq "the migrating hv fails" "$?" 1
expect_match "saying it was cancelled" "$(cat "$tmp/err")" "cancelled; the VM runs on at the source"
expect_eq "the VM runs on at the source" "$(field "$B" "['state']")" running
expect_eq "still the same process inside" "$(gexec "$B" 'pidof dirty')" "$wpid"
check "nothing is left at the destination" eval '[ -z "$(ls -A "$A/vms")" ] && clean_store "$B"'
expect_eq "one QEMU" "$(qemus)" 1

# --- timeout
inB "$HV" migrate m1 "$A" --bandwidth 1 --timeout 2 >/dev/null 2>"$tmp/err"
expect_eq "--timeout gives up" "$?" 1
expect_match "naming the cause" "$(cat "$tmp/err")" "did not converge within 2 s"
expect_eq "the VM runs on at the source" "$(field "$B" "['state']")" running
check "nothing is left at the destination" eval '[ -z "$(ls -A "$A/vms")" ] && clean_store "$B"'

# --- SIGKILL of hv migrate mid-copy
HV_HOME=$B "$HV" migrate m1 "$A" --bandwidth 1 >/dev/null 2>&1 &
mig=$!
sleep 3
kill -9 $mig
wait $mig 2>/dev/null
for i in $(seq 50); do [ "$(qemus)" = 1 ] && [ -z "$(ls -A "$A/vms")" ] && break; sleep 0.2; done
sleep 1
expect_eq "after SIGKILL of hv migrate the VM runs on at the source" "$(field "$B" "['state']")" running
c1=$(gexec "$B" 'cat /run/t/count')
sleep 1
check "and its guest runs" test "$(gexec "$B" 'cat /run/t/count')" -gt "$c1"
expect_eq "the destination's QEMU is gone" "$(qemus)" 1
check "nothing is left at the destination, no migrate.json at the source" eval '[ -z "$(ls -A "$A/vms")" ] && clean_store "$B"'

# --- SIGKILL of the destination's QEMU mid-copy
HV_HOME=$B "$HV" migrate m1 "$A" --bandwidth 1 >/dev/null 2>"$tmp/err" &
mig=$!
for i in $(seq 50); do [ "$(qemus)" = 2 ] && break; sleep 0.2; done
sleep 1
dpid=$(python3 -c 'import json,glob,sys; print(json.load(open(glob.glob(sys.argv[1] + "/vms/.incoming-m1-*/status.json")[0]))["qemu"]["pid"])' "$A")
kill -9 "$dpid"
wait $mig
expect_eq "when the destination's QEMU dies hv migrate fails" "$?" 1
echo "# $(cat "$tmp/err")"
expect_eq "and the VM runs on at the source" "$(field "$B" "['state']")" running
expect_eq "the same process inside" "$(gexec "$B" 'pidof dirty')" "$wpid"
check "nothing is left at the destination" eval '[ -z "$(ls -A "$A/vms")" ] && clean_store "$B" && [ "$(qemus)" = 1 ]'

# --- the destination's QEMU dies after the copy, before the commit: its
# hv (stopped meanwhile) finds no QEMU to resume, retracts, and the VM
# runs on at the source
# (16 MiB/s: the copy lasts seconds, so the destination's hv is stopped mid-copy)
HV_HOME=$B "$HV" migrate m1 "$A" --bandwidth 16 >/dev/null 2>"$tmp/err" &
mig=$!
rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
dpid=
for i in $(seq 100); do
	f=$(ls "$A"/vms/.incoming-m1-*/status.json 2>/dev/null) && dpid=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["qemu"]["pid"])' "$f" 2>/dev/null) && [ "$(rss "$dpid")" -gt 65536 ] && break
	sleep 0.1
done
min=$(pgrep -f -- "__migrate-in.* m1" | head -1)
kill -STOP "$min"
# the copy ends (QEMU to QEMU); hv migrate records the switchover and its
# commit waits in the pipe
for i in $(seq 300); do grep -q switchover "$B/vms/m1/migrate.json" 2>/dev/null && break; sleep 0.1; done
check "the copy ended with the destination's hv stopped" grep -q switchover "$B/vms/m1/migrate.json"
kill -9 "$dpid"
sleep 1
kill -CONT "$min"
wait $mig
expect_eq "a destination QEMU gone before the commit fails hv migrate" "$?" 1
echo "# $(cat "$tmp/err")"
expect_match "naming it" "$(cat "$tmp/err")" "did not resume at the destination"
expect_eq "and the VM runs on at the source" "$(field "$B" "['state']")" running
c1=$(gexec "$B" 'cat /run/t/count')
sleep 1
check "its guest runs" test "$(gexec "$B" 'cat /run/t/count')" -gt "$c1"
check "nothing is left at the destination" eval '[ -z "$(ls -A "$A/vms")" ] && clean_store "$B" && [ "$(qemus)" = 1 ]'

# --- pre-checks
out=$(inB "$HV" migrate m1 "$B" 2>&1)
expect_match "its own store is refused" "$out" "is this VM's own store"
out=$(inB "$HV" migrate m1 /nonexistent 2>&1)
expect_match "a missing store is named" "$out" "destination store /nonexistent"
out=$(inB "$HV" migrate m1 "$A" --offline 2>&1)
expect_match "--offline refuses a running VM" "$out" "stop it for an offline migration"
out=$(inB "$HV" migrate m1 --cancel 2>&1)
expect_match "--cancel without a migration" "$out" "no migration of VM 'm1' is under way"

# --- SIGKILL of the source QEMU mid-copy: crashed at the source, nothing at the destination
HV_HOME=$B "$HV" migrate m1 "$A" --bandwidth 1 >/dev/null 2>"$tmp/err" &
mig=$!
for i in $(seq 50); do [ "$(qemus)" = 2 ] && break; sleep 0.2; done
sleep 1
kill -9 "$(field "$B" "['pid']")"
wait $mig
expect_eq "when the source QEMU dies hv migrate fails" "$?" 1
check "the VM is crashed at the source" wait_state_in "$B" crashed
expect_match "with the reason" "$(field "$B" "['reason']")" "killed by signal 9"
for i in $(seq 50); do [ "$(qemus)" = 0 ] && break; sleep 0.2; done
check "nothing is left at the destination, no QEMU at all" eval '[ -z "$(ls -A "$A/vms")" ] && clean_store "$B" && [ "$(qemus)" = 0 ]'
check "qemu-img check is clean" qemu-img check -q "$B/vms/m1/disk0.qcow2"

# --- offline: a stopped VM's definition and disk move
out=$(inB "$HV" migrate m1 "$A")
expect_match "a stopped VM moves offline" "$out" "migrated offline"
expect_eq "defined at the destination, stopped" "$(field "$A" "['state']")" stopped
expect_eq "with its UUID" "$(field "$A" "['uuid']")" "$uuid"
check "and its disk, clean" qemu-img check -q "$A/vms/m1/disk0.qcow2"
expect_eq "gone from the source" "$(ls -A "$B/vms")" ""

done_testing
