#!/bin/bash
# SPDX-License-Identifier: MIT
# hv migrate --copy-storage (issue 10): a VM whose disk is a qcow2 overlay
# on a base image, plus a second disk, moves live to a store on a tmpfs
# (another filesystem: no shared storage).  Without --copy-storage the
# move is refused with the fix; SIGKILL of hv migrate during the disks'
# mirror leaves the VM running at the source with no mirror, no NBD node
# and no NBD server left, and nothing at the destination; then the copy:
# the data written before the move (and the base's) is intact, the
# destination's disk has no backing file, writes after the move land in
# the destination's file, qemu-img check is clean on both sides.  One
# boot of a 256 MiB default guest.
source "$(dirname "$0")/../vm/lib.bash"
A=$HV_HOME
B=$(mktemp -d /tmp/hv-test-b.XXXXXX)
tmp=$(mktemp -d)
inB() { HV_HOME=$B "$@"; }
cleanup_both() {
	local vm
	for vm in $(ls "$B/vms" 2>/dev/null); do inB "$HV" delete --force "$vm" >/dev/null 2>&1; done
	umount "$B" 2>/dev/null
	rm -rf "$B" "$tmp"
	cleanup
}
trap cleanup_both EXIT
mount -t tmpfs -o size=512M hv-test-b "$B" || fail "cannot mount a tmpfs for the destination store"

field() { HV_HOME=$1 "$HV" info m1 --json | python3 -c "import json,sys; v=json.load(sys.stdin); print(v$2)"; }
gexec() { HV_HOME=$1 timeout 60 "$HV" exec m1 -- sh -c "$2"; }
qemus() { pgrep -c -f "qemu-system.*-name m1" || true; }
clean_store() { [ -z "$(ls -A "$1/vms" 2>/dev/null | grep '^\.')" ] && ! ls "$1"/vms/*/migrate.json >/dev/null 2>&1; }
# qmp STORE COMMAND: one QMP command on the VM's qmp.sock, its "return" as JSON
qmp() {
	python3 - "$1/vms/m1/qmp.sock" "$2" <<'EOF'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
s.connect(sys.argv[1])
f = s.makefile("rw")
f.readline()
for c in ("qmp_capabilities", sys.argv[2]):
    f.write(json.dumps({"execute": c}) + "\n")
    f.flush()
    while True:
        r = json.loads(f.readline())
        if "event" not in r:
            break
print(json.dumps(r.get("return", r)))
EOF
}
# the TCP ports QEMU processes listen on
qemu_ports() { ss -ltnpH 2>/dev/null | grep qemu-system | awk '{print $4}' | sort; }
info_field() { qemu-img info -U --output=json "$1" | python3 -c "import json,sys; print(json.load(sys.stdin).get('$2'))"; }

qemu-img create -q -f qcow2 "$tmp/base.qcow2" 64M
qemu-io -f qcow2 -c "write -P 0x61 0 1M" "$tmp/base.qcow2" >/dev/null
"$HV" create m1 --memory 256M --disk-from "$tmp/base.qcow2,format=qcow2" --disk 32M >/dev/null
LOG_MARK[m1]=0
out=$("$HV" start m1 2>&1)
expect_match "the VM starts" "$out" "started VM m1"
check "the guest's shell is up" wait_log m1 'm1:~#' 30
expect_eq "disk 0 is an overlay on the base" "$(info_field "$A/vms/m1/disk0.qcow2" backing-filename)" "$tmp/base.qcow2"
gexec "$A" 'printf before-move | dd of=/dev/vda bs=512 seek=4096 conv=fsync 2>/dev/null'
# 8 MiB of data on disk 1: the mirror at --bandwidth 1 takes seconds
gexec "$A" 'dd if=/dev/urandom of=/dev/vdb bs=1M seek=8 count=8 conv=fsync 2>/dev/null'
sum1=$(gexec "$A" 'dd if=/dev/vdb bs=1M skip=8 count=8 2>/dev/null | md5sum')
check "the guest wrote its data ($sum1)" test -n "$sum1"
ports0=$(qemu_ports)

# --- another filesystem without --copy-storage: refused with the fix
out=$("$HV" migrate m1 "$B" 2>&1)
rc=$?
check "without --copy-storage the move to a store on another filesystem fails" test $rc -ne 0
expect_match "naming the disk and the fix" "$out" "disk disk0.qcow2 of VM 'm1' is not reachable from $B .*use --copy-storage"
expect_eq "the VM runs on at the source" "$(field "$A" "['state']")" running
expect_eq "nothing at the destination" "$(ls -A "$B/vms" 2>/dev/null)" ""

# start_mirror: hv migrate --copy-storage in the background ($mig), at
# 1 MiB/s (8 MiB of data: seconds), returning once its mirror runs
start_mirror() {
	rm -f "$tmp/trace"
	HV_DEBUG=$tmp/trace "$HV" migrate m1 "$B" --copy-storage --bandwidth 1 >/dev/null 2>"$tmp/err" &
	mig=$!
	for ((i = 0; i < 300; i++)); do grep -q '"blockdev-mirror"' "$tmp/trace" 2>/dev/null && break; sleep 0.1; done
	check "$1: the mirror started (blockdev-mirror in the trace)" grep -q '"blockdev-mirror"' "$tmp/trace"
	sleep 1
	check "$1: hv migrate is still copying the disks" kill -0 $mig
}
# after_fault WHAT: the VM runs at the source, nothing anywhere else
after_fault() {
	for ((i = 0; i < 100; i++)); do [ -z "$(ls -A "$B/vms" 2>/dev/null)" ] && [ "$(qemus)" = 1 ] && break; sleep 0.1; done
	expect_eq "$1: the VM runs on at the source" "$(field "$A" "['state']")" running
	expect_eq "$1: nothing at the destination" "$(ls -A "$B/vms" 2>/dev/null)" ""
	expect_eq "$1: one QEMU for the VM" "$(qemus)" 1
	expect_eq "$1: no NBD server left (no new listening port)" "$(qemu_ports)" "$ports0"
	for ((i = 0; i < 50; i++)); do
		[ "$(qmp "$A" query-block-jobs)" = "[]" ] && ! qmp "$A" query-named-block-nodes | grep -q hvmig && break
		sleep 0.2
	done
	expect_eq "$1: no mirror job left in the source's QEMU" "$(qmp "$A" query-block-jobs)" "[]"
	check "$1: no NBD client node left there" sh -c "! ( $(declare -f qmp); qmp '$A' query-named-block-nodes ) | grep -q hvmig"
	check "$1: no migration record left" clean_store "$A"
	expect_eq "$1: the guest still answers" "$(gexec "$A" 'echo alive')" alive
}

# --- faults during the disks' mirror
start_mirror "SIGKILL of hv migrate"
kill -9 $mig
wait $mig 2>/dev/null
after_fault "SIGKILL of hv migrate"

start_mirror "cancel"
out=$("$HV" migrate m1 --cancel 2>&1)
expect_match "hv migrate --cancel stops the mirror" "$out" "cancelled"
wait $mig
expect_eq "the migrating hv fails" "$?" 1
expect_match "saying it was cancelled" "$(cat "$tmp/err")" "cancelled; the VM runs on at the source"
after_fault "cancel"

start_mirror "SIGKILL of the destination's QEMU"
kill -9 "$(pgrep -n -f "qemu-system.*-name m1")"
wait $mig
expect_eq "the migrating hv fails" "$?" 1
expect_match "saying why" "$(cat "$tmp/err")" "disk|destination|NBD"
echo "# after SIGKILL of the destination QEMU: $(cat "$tmp/err")"
after_fault "SIGKILL of the destination's QEMU"

# --- --copy-storage to the tmpfs store
out=$("$HV" migrate m1 "$B" --copy-storage --keep-source --json 2>"$tmp/err")
rc=$?
expect_eq "hv migrate --copy-storage succeeds$([ $rc -ne 0 ] && cat "$tmp/err")" "$rc" 0
expect_match "--json reports the disks' copy" "$(echo "$out" | python3 -c 'import json,sys; r=json.load(sys.stdin); print(r["live"], r["disk_bytes"] >= 96 << 20, r["disk_ms"] >= 0)')" "^True True True$"
echo "# copy-storage 256 MiB guest, 64 MiB overlay + 32 MiB disk: $(echo "$out" | tr -d '\n ')"
expect_eq "the destination runs the VM" "$(field "$B" "['state']")" running
expect_eq "the source is kept, stopped" "$(field "$A" "['state']")" stopped
expect_eq "exactly one QEMU for it" "$(qemus)" 1
expect_eq "the base's data is intact" "$(gexec "$B" 'dd if=/dev/vda bs=4 count=1 2>/dev/null')" aaaa
expect_eq "the data written before the move is intact" "$(gexec "$B" 'dd if=/dev/vda bs=512 skip=4096 count=1 2>/dev/null | head -c 11')" before-move
expect_eq "and disk 1's 8 MiB too" "$(gexec "$B" 'dd if=/dev/vdb bs=1M skip=8 count=8 2>/dev/null | md5sum')" "$sum1"
gexec "$B" 'printf after-move | dd of=/dev/vda bs=512 seek=8192 conv=fsync 2>/dev/null'
expect_eq "no NBD server left at the destination" "$(qemu_ports)" "$ports0"
expect_eq "the destination's disk 0 has no backing file (the chain arrived flattened)" "$(info_field "$B/vms/m1/disk0.qcow2" backing-filename)" None
check "no hidden leftovers in either store" sh -c "$(declare -f clean_store); clean_store '$A' && clean_store '$B'"
out=$(inB "$HV" stop m1 2>&1)
expect_match "the VM stops at the destination" "$out" "stopped"
qemu-img convert -f qcow2 -O raw "$B/vms/m1/disk0.qcow2" "$tmp/d0.raw"
expect_eq "the write after the move is in the destination's file" "$(dd if="$tmp/d0.raw" bs=512 skip=8192 count=1 2>/dev/null | head -c 10)" after-move
expect_eq "with the base's data" "$(dd if="$tmp/d0.raw" bs=4 count=1 2>/dev/null)" aaaa
qemu-img convert -f qcow2 -O raw "$A/vms/m1/disk0.qcow2" "$tmp/s0.raw"
expect_eq "and not in the source's" "$(dd if="$tmp/s0.raw" bs=512 skip=8192 count=1 2>/dev/null | head -c 10 | tr -d '\0')" ""
for f in "$A/vms/m1/disk0.qcow2" "$A/vms/m1/disk1.qcow2" "$tmp/base.qcow2" "$B/vms/m1/disk0.qcow2" "$B/vms/m1/disk1.qcow2"; do
	check "qemu-img check is clean: ${f#/tmp/}" qemu-img check -q -f qcow2 "$f"
done
inB "$HV" delete m1 >/dev/null

# --- offline: the kept source, stopped, with --copy-storage (the images converted, flattened)
out=$("$HV" migrate m1 "$B" --copy-storage 2>&1)
expect_match "a stopped VM moves offline with --copy-storage" "$out" "migrated offline"
expect_eq "its disk 0 has no backing file there" "$(info_field "$B/vms/m1/disk0.qcow2" backing-filename)" None
qemu-img convert -f qcow2 -O raw "$B/vms/m1/disk0.qcow2" "$tmp/o0.raw"
expect_eq "with the base's data and what the guest wrote" "$(dd if="$tmp/o0.raw" bs=4 count=1 2>/dev/null)/$(dd if="$tmp/o0.raw" bs=512 skip=4096 count=1 2>/dev/null | head -c 11)" aaaa/before-move
check "its disks check clean" sh -c "qemu-img check -q -f qcow2 '$B/vms/m1/disk0.qcow2' && qemu-img check -q -f qcow2 '$B/vms/m1/disk1.qcow2'"
expect_eq "gone from the source" "$(ls -A "$A/vms")" ""
inB "$HV" delete m1 >/dev/null
done_testing
