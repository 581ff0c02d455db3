#!/bin/bash
# SPDX-License-Identifier: MIT
# Disks, snapshots and clones, with qemu-img as the independent judge.
. "$(dirname "$0")/lib.bash"
T=$(mktemp -d)
SMALL=/tmp/hvt-small-$$
trap 'cleanup; umount "$SMALL" 2>/dev/null; rm -rf "$T" "$SMALL"' EXIT
vmdisk() { echo "$HV_HOME/vms/$1/disk0.qcow2"; }
quiet() { "$@" >/dev/null 2>&1; }
all_images_check() { # every image in the store passes qemu-img check
	local f bad=0
	for f in $(find "$HV_HOME" -name '*.qcow2'); do
		qemu-img check -q -U "$f" >/dev/null 2>&1 || { echo "  qemu-img check failed: $f"; bad=1; }
	done
	return $bad
}
info_field() { qemu-img info -U --output=json "$1" | python3 -c "import json,sys; print(json.load(sys.stdin).get('$2'))"; }

# --- hv disk ---
"$HV" disk create "$T/a.qcow2" --size 1G
expect_eq "disk create: qcow2 of 1 GiB (qemu-img info)" "$(info_field "$T/a.qcow2" format)/$(info_field "$T/a.qcow2" virtual-size)" "qcow2/1073741824"
qemu-io -c "write -P 0x5a 0 1M" "$T/a.qcow2" >/dev/null
"$HV" disk create "$T/b.qcow2" --backing "$T/a.qcow2"
expect_eq "disk create --backing records the base and its format" "$(info_field "$T/b.qcow2" backing-filename)|$(info_field "$T/b.qcow2" backing-filename-format)" "$T/a.qcow2|qcow2"
expect_match "disk info refuses to guess that an image naming a backing file is qcow2" "$("$HV" disk info "$T/b.qcow2" 2>&1)" "backing file is $T/a.qcow2.*--format qcow2"
expect_match "disk info --format qcow2 shows the whole chain" "$("$HV" disk info --format qcow2 "$T/b.qcow2")" "backed by: $T/a.qcow2"
expect_eq "disk info --json is qemu-img's chain (2 images)" "$("$HV" disk info "$T/b.qcow2,format=qcow2" --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" "2"
check "the overlay reads the base's data" quiet qemu-io -r -U -c "read -P 0x5a 0 1M" "$T/b.qcow2"
"$HV" disk resize "$T/a.qcow2" 2G
expect_eq "disk resize grows to 2 GiB" "$(info_field "$T/a.qcow2" virtual-size)" "2147483648"
"$HV" disk resize "$T/a.qcow2" 1G 2>"$T/err"
check "disk resize refuses to shrink without --shrink" test $? -ne 0
expect_match "and says why" "$(cat "$T/err")" "add --shrink"
"$HV" disk convert "$T/a.qcow2" "$T/a.raw" --format raw
expect_eq "disk convert to raw" "$(info_field "$T/a.raw" format)" "raw"
check "the converted image has the same content (qemu-img compare)" qemu-img compare -q "$T/a.qcow2" "$T/a.raw"
check "disk check passes a clean image" quiet "$HV" disk check "$T/a.qcow2"
"$HV" disk convert "$T/a.qcow2" "$T/a.raw" 2>/dev/null
check "disk convert never overwrites an existing image" test $? -ne 0
"$HV" disk create "$T/x.qcow2" --size 1G --format vmdk 2>/dev/null
check "disk create refuses an unknown format" test $? -ne 0 -a ! -e "$T/x.qcow2"

# --- a running VM's snapshot: memory, processes, tmpfs and disk come back ---
"$HV" create sv --disk 64M >/dev/null
start_vm sv
wait_log sv 'sv:~#' 20
guest_run sv 'echo 7 > /tmp/counter; echo before > /tmp/f; printf disk-before | dd of=/dev/vda conv=notrunc 2>/dev/null; sync; sleep 1000 >/dev/null 2>&1 & echo $! > /tmp/pid' >/dev/null
pid=$(guest_run sv 'cat /tmp/pid')
"$HV" snapshot create sv s1 --description "the first" >/dev/null
check "a snapshot with VM state leaves the VM running" test "$(info sv state)" = running
guest_run sv 'echo 8 > /tmp/counter; echo after > /tmp/f; printf disk-after! | dd of=/dev/vda conv=notrunc 2>/dev/null; sync; kill $(cat /tmp/pid); sleep 999 >/dev/null 2>&1 &' >/dev/null
expect_eq "(the guest changed: counter 8)" "$(guest_run sv 'cat /tmp/counter')" "8"
"$HV" snapshot revert sv s1 >/dev/null
expect_eq "revert: the VM runs again" "$(info sv state)" "running"
expect_eq "revert: the tmpfs counter is exactly the earlier value" "$(guest_run sv 'cat /tmp/counter')" "7"
expect_eq "revert: the tmpfs file too" "$(guest_run sv 'cat /tmp/f')" "before"
expect_eq "revert: the disk too" "$(guest_run sv 'head -c 11 /dev/vda')" "disk-before"
expect_eq "revert: hv exec works in the reverted guest" "$(timeout 30 "$HV" exec sv -- cat /tmp/f 2>&1)" "before"
expect_eq "revert: the process that ran then runs again" "$(guest_run sv "kill -0 $pid && echo alive")" "alive"
expect_eq "revert: the process started later is gone" "$(guest_run sv 'ps | grep -c "[s]leep 999"')" "0"

# paused: the snapshot keeps it paused, and so does the revert
"$HV" pause sv
"$HV" snapshot create sv s2 >/dev/null
expect_eq "a paused VM's snapshot leaves it paused" "$(info sv state)" paused
"$HV" resume sv
"$HV" snapshot revert sv s2 >/dev/null
expect_eq "reverting to a paused snapshot gives a paused VM" "$(info sv state)" paused
"$HV" resume sv

# hv save: suspend to disk and continue
guest_run sv 'echo kept > /tmp/saved' >/dev/null
"$HV" save sv >/dev/null
expect_eq "hv save stops the VM" "$(info sv state)" stopped
expect_match "and says it is saved" "$(info sv reason)" "saved"
expect_match "hv start resumes it" "$("$HV" start sv)" "resumed"
expect_eq "with its memory (tmpfs) intact" "$(guest_run sv 'cat /tmp/saved')" "kept"
# the guest said HELLO before the save and will not again: hv exec must not wait for it
expect_eq "and hv exec works in it at once" "$(timeout 30 "$HV" exec sv -- cat /tmp/saved 2>&1)" "kept"
"$HV" kill sv >/dev/null

# --- disk-only snapshots of a stopped VM, and the tree ---
qemu-io -c "write -P 0x41 0 4k" "$(vmdisk sv)" >/dev/null
"$HV" snapshot create sv d1 >/dev/null
expect_match "a stopped VM's snapshot is an internal qcow2 snapshot" "$(qemu-img snapshot -l "$(vmdisk sv)")" " d1 "
qemu-io -c "write -P 0x42 0 4k" "$(vmdisk sv)" >/dev/null
"$HV" snapshot create sv d2 >/dev/null
"$HV" snapshot revert sv d1 >/dev/null
check "revert of a disk-only snapshot restores the disk" quiet qemu-io -c "read -P 0x41 0 4k" "$(vmdisk sv)"
expect_eq "and leaves the VM stopped" "$(info sv state)" stopped
"$HV" snapshot create sv d3 >/dev/null
tree() { "$HV" snapshot list sv --json | python3 -c 'import json,sys; print(" ".join("%s<%s" % (s["name"], s["parent"] or "-") for s in sorted(json.load(sys.stdin), key=lambda s: s["name"])))'; }
expect_eq "the tree: d2 under d1, d3 under d1 (taken after reverting to d1)" "$(tree)" "d1<s2 d2<d1 d3<d1 s1<- s2<s1"
"$HV" snapshot delete sv d1
expect_eq "deleting d1 keeps its children, under d1's parent" "$(tree)" "d2<s2 d3<s2 s1<- s2<s1"
check "qemu-img no longer lists d1" bash -c "! qemu-img snapshot -l '$(vmdisk sv)' | grep -q ' d1 '"
"$HV" snapshot revert sv d2 >/dev/null
check "a child of the deleted snapshot still reverts" quiet qemu-io -c "read -P 0x42 0 4k" "$(vmdisk sv)"
check "all images pass qemu-img check" all_images_check

# --- an interrupted snapshot delete can be finished (it used to be refused forever) ---
"$HV" create sd --disk 32M --disk 32M --nic none >/dev/null
"$HV" snapshot create sd a >/dev/null
d1=$HV_HOME/vms/sd/disk1.qcow2
mount --bind "$d1" "$d1" && mount -o remount,bind,ro "$d1" # disk 1 cannot be written: its delete fails
"$HV" snapshot delete sd a 2>"$T/err"
check "a delete that fails on the second disk fails" test $? -ne 0
umount "$d1"
expect_match "saying how far it got and how to finish" "$(cat "$T/err")" "deleted from 1 of its 2 disks.*run hv snapshot delete again"
"$HV" snapshot revert sd a 2>"$T/err"
check "revert to the half-deleted snapshot is refused" test $? -ne 0
expect_match "with the true reason, not linked clones" "$(cat "$T/err")" "no longer holds it"
check "running delete again finishes it" quiet "$HV" snapshot delete sd a
expect_eq "the snapshot is gone from the list" "$("$HV" snapshot list sd --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" "0"
check "and from both disks" bash -c "! qemu-img snapshot -l '$HV_HOME/vms/sd/disk0.qcow2' '$d1' 2>/dev/null | grep -q ' a '"
expect_eq "snapshots.json stores no vmstate flag (the file is the truth)" "$(grep -c vmstate "$HV_HOME/vms/sv/snapshots/snapshots.json")" "0"
"$HV" delete sd >/dev/null

# --- a linked clone that cannot be made leaves the source untouched ---
qemu-img create -q -f qcow2 "$T/ext.qcow2" 16M
"$HV" create cl --disk 32M --disk "$T/ext.qcow2" --nic none >/dev/null
"$HV" clone cl clx --linked 2>"$T/err"
check "a linked clone of a VM with a disk given by path is refused" test $? -ne 0
expect_match "naming the disk" "$(cat "$T/err")" "ext.qcow2 was given by path"
expect_eq "the source's disk 0 did not become an overlay" "$(info_field "$HV_HOME/vms/cl/disk0.qcow2" backing-filename)" "None"
expect_eq "no base image was made" "$(ls "$HV_HOME/vms/cl" | grep -c base)" "0"
expect_eq "the source's definition still has no backing" "$(python3 -c "import json; print(json.load(open('$HV_HOME/vms/cl/vm.json'))['disks'][0].get('backing') or '')")" ""
check "no clone appears" test ! -e "$HV_HOME/vms/clx"
"$HV" delete cl >/dev/null

# --- refusals ---
truncate -s 16M "$T/raw.img"
"$HV" create rawvm --disk "$T/raw.img" --nic none >/dev/null
start_vm rawvm
"$HV" snapshot create rawvm s 2>"$T/err"
check "a VM-state snapshot of a raw disk is refused" test $? -ne 0
expect_match "up front, with the reason" "$(cat "$T/err")" "needs qcow2 disks.*raw"
check "and the VM still runs" test "$(info rawvm state)" = running
"$HV" delete --force rawvm >/dev/null

# --- clones ---
"$HV" clone sv full >/dev/null
"$HV" clone sv link --linked >/dev/null
"$HV" clone sv fromsnap --linked --snapshot s1 >/dev/null
expect_match "a linked clone is an overlay on a read-only base in the source's folder" "$(info_field "$(vmdisk link)" backing-filename)" "^$HV_HOME/vms/sv/disk0.base-1.qcow2$"
expect_eq "the base is read-only" "$(stat -c %a "$HV_HOME/vms/sv/disk0.base-1.qcow2")" "444"
expect_match "the source continues on an overlay of the same base" "$(info_field "$(vmdisk sv)" backing-filename)" "disk0.base-1.qcow2$"
check "a clone has its own UUID" test "$(info full uuid)" != "$(info sv uuid)"
mac() { "$HV" info "$1" --json | python3 -c 'import json,sys; n=json.load(sys.stdin)["nics"]; print(n[0]["mac"] if n else "none")'; }
check "and its own MAC" test "$(mac full)" != "$(mac sv)"
for vm in sv full link fromsnap; do start_vm $vm; done
for vm in sv full link fromsnap; do wait_log $vm "$vm:~#" 30; done
for vm in sv full link fromsnap; do guest_run $vm "printf mark-$vm | dd of=/dev/vda bs=512 seek=100 conv=notrunc 2>/dev/null; sync" >/dev/null; done
for vm in sv full link fromsnap; do
	expect_eq "clones and source diverge: $vm reads its own write" "$(guest_run $vm 'dd if=/dev/vda bs=512 skip=100 count=1 2>/dev/null | head -c 20')" "mark-$vm"
done
expect_eq "the snapshot clone starts from the snapshot's disk" "$(guest_run fromsnap 'head -c 11 /dev/vda')" "disk-before"
"$HV" snapshot revert sv s1 2>"$T/err"
check "revert is refused while linked clones depend on the snapshot's data" test $? -ne 0
expect_match "naming them" "$(cat "$T/err")" "link"
"$HV" delete --force sv 2>"$T/err"
check "delete refuses a source with linked clones" test $? -ne 0
expect_match "naming the dependants" "$(cat "$T/err")" "link, fromsnap|fromsnap, link"
"$HV" kill link >/dev/null
"$HV" kill fromsnap >/dev/null
"$HV" delete --force --flatten-clones sv >/dev/null
check "--flatten-clones lets the source go" test ! -e "$HV_HOME/vms/sv"
expect_eq "the flattened clone has no backing file" "$(info_field "$(vmdisk link)" backing-filename)" "None"
start_vm link
wait_log link 'link:~#' 30
expect_eq "and boots with its data" "$(guest_run link 'dd if=/dev/vda bs=512 skip=100 count=1 2>/dev/null | head -c 20')" "mark-link"
check "all images pass qemu-img check" all_images_check
for vm in full link fromsnap; do "$HV" delete --force $vm >/dev/null; done

# --- SIGKILL in the middle ---
"$HV" create k --disk 64M --nic none >/dev/null
start_vm k
wait_log k 'k:~#' 20
"$HV" snapshot create k ok1 >/dev/null
for delay in 0.05 0.15 0.3; do
	"$HV" snapshot create k broken >/dev/null 2>&1 &
	sleep $delay
	kill -9 $! 2>/dev/null
	wait $! 2>/dev/null
	"$HV" resume k >/dev/null 2>&1 # a kill while paused leaves it paused: the user resumes
	names=$("$HV" snapshot list k --json | python3 -c 'import json,sys; print(" ".join(s["name"] for s in json.load(sys.stdin)))')
	if [ "$names" == "ok1" ]; then
		"$HV" snapshot delete k broken >/dev/null 2>&1 # an internal snapshot may be left: tidy
	fi
	check "SIGKILL of hv snapshot create after ${delay}s: the store is consistent ($names)" test "$names" == "ok1" -o "$names" == "ok1 broken"
	"$HV" snapshot delete k broken >/dev/null 2>&1
done
check "after the kills every image passes qemu-img check" all_images_check
expect_eq "and the VM still runs" "$(info k state)" running
"$HV" snapshot create k after >/dev/null
check "and snapshots work again" test $? -eq 0
"$HV" snapshot create k qk >/dev/null 2>&1 &
sleep 0.2
kill -9 "$(info k pid)"
wait $!
check "SIGKILL of QEMU during a snapshot: hv reports the VM crashed" wait_state k crashed 5
"$HV" snapshot revert k ok1 >/dev/null
expect_eq "a snapshot taken before still reverts" "$(info k state)" running
check "and every image passes qemu-img check (leaks left by the kill are reclaimed)" all_images_check
for delay in 0.1 0.3; do
	"$HV" snapshot revert k ok1 >/dev/null 2>&1 &
	sleep $delay
	kill -9 $! 2>/dev/null
	wait $! 2>/dev/null
	check "SIGKILL of hv snapshot revert after ${delay}s: hv still knows the VM ($(info k state))" test -n "$(info k state)"
done
"$HV" kill k >/dev/null 2>&1
"$HV" snapshot revert k ok1 >/dev/null
expect_eq "after the kills a revert completes" "$(info k state)" running
check "and every image passes qemu-img check" all_images_check
"$HV" kill k >/dev/null
"$HV" clone k kc >/dev/null 2>&1 &
sleep 0.1
kill -9 $! 2>/dev/null
wait $! 2>/dev/null
check "SIGKILL of hv clone: no half clone appears" bash -c "[ ! -e '$HV_HOME/vms/kc' ] || '$HV' info kc >/dev/null"
check "and every image passes qemu-img check" all_images_check
qemu-img create -q -f qcow2 "$T/big.qcow2" 1G
qemu-io -c "write -P 0x33 0 300M" "$T/big.qcow2" >/dev/null
"$HV" disk convert "$T/big.qcow2" "$T/big2.qcow2" &
sleep 0.3
kill -9 $! 2>/dev/null
wait $! 2>/dev/null
# the kill may land after a fast convert finished: then the copy is whole
check "SIGKILL of hv disk convert: the destination never appears half-written" \
	bash -c "[ ! -e '$T/big2.qcow2' ] || qemu-img compare -q '$T/big.qcow2' '$T/big2.qcow2'"

# --- a full disk ---
mkdir -p "$SMALL"
mount -t tmpfs -o size=120M tmpfs "$SMALL"
"$HV" disk convert "$T/big.qcow2" "$SMALL/big.qcow2" 2>"$T/err"
check "converting onto a full file system fails" test $? -ne 0
expect_match "with a clear message" "$(cat "$T/err")" "No space left"
expect_eq "and leaves nothing behind" "$(ls -A "$SMALL")" ""
mkdir -p "$SMALL/home"
HV_HOME=$SMALL/home "$HV" create f --disk 16M --nic none >/dev/null
HV_HOME=$SMALL/home "$HV" start f >/dev/null
sleep 2
HV_HOME=$SMALL/home "$HV" snapshot create f small --disk-only >/dev/null
dd if=/dev/zero of="$SMALL/fill" bs=1M count=100 2>/dev/null
HV_HOME=$SMALL/home "$HV" snapshot create f big 2>"$T/err"
check "a VM-state snapshot on a full file system fails" test $? -ne 0
expect_match "with a clear message" "$(cat "$T/err")" "space|No space"
rm -f "$SMALL/fill"
check "the VM runs on (its record catches up once there is room)" bash -c 'for i in $(seq 30); do [ "$(HV_HOME=$0/home "$1" info f --json | python3 -c "import json,sys; print(json.load(sys.stdin)[\"state\"])")" = running ] && exit 0; sleep 0.2; done; exit 1' "$SMALL" "$HV"
expect_eq "only the earlier snapshot is listed" "$(HV_HOME=$SMALL/home "$HV" snapshot list f --json | python3 -c 'import json,sys; print(" ".join(s["name"] for s in json.load(sys.stdin)))')" "small"
check "no half snapshot folder remains" test ! -e "$SMALL/home/vms/f/snapshots/.tmp-big" -a ! -e "$SMALL/home/vms/f/snapshots/big"
HV_HOME=$SMALL/home "$HV" delete --force f >/dev/null
done_testing
