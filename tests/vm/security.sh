#!/bin/bash
# SPDX-License-Identifier: MIT
# A guest must not make the host open a file it names.  A guest that
# writes a qcow2 header naming a host file as its backing file into a raw
# disk must not read that file through any hv entry point (the class of
# hole libvirt closed by never probing guest-writable images).
. "$(dirname "$0")/lib.bash"
T=$(mktemp -d)
trap 'cleanup; rm -rf "$T"' EXIT
quiet() { "$@" >/dev/null 2>&1; }
# The host file a guest wants: a marker it cannot otherwise see.
SECRET=$T/host-secret
printf 'HOST-SECRET-%s\n' "$$" >"$SECRET"
printf 'x%.0s' $(seq 1 2000) >>"$SECRET"
qemu-img create -q -f qcow2 -b "$SECRET" -F raw "$T/evil.qcow2"
truncate -s 1M "$T/raw.img"

# --- hv run: the guest writes the header, then a second run adopts the disk again ---
"$HV" run --nic none --disk "$T/raw.img" -- sh -c 'cat > /dev/vda; sync' <"$T/evil.qcow2"
expect_eq "the guest wrote a qcow2 header into its raw disk" "$(head -c 4 "$T/raw.img" | od -An -c | tr -d ' ')" "QFI373"
out=$("$HV" run --nic none --disk "$T/raw.img" -- head -c 200 /dev/vda 2>"$T/err")
rc=$?
expect_eq "hv run refuses the guessed qcow2 that names a host file (exit 125)" "$rc" "125"
check "and the host file's content never reaches the guest" test "${out/HOST-SECRET/}" == "$out"
expect_match "the reason names the backing file and the fix" "$(cat "$T/err")" "backing file is $SECRET.*format=qcow2"
out=$("$HV" run --nic none --disk "$T/raw.img,format=raw" -- sh -c 'head -c 4 /dev/vda | od -An -c')
expect_match "stated raw: the guest sees its own bytes" "$out" "Q +F +I +373"

# --- persistent VMs: the format is recorded at create and never guessed again ---
truncate -s 1M "$T/vmraw.img"
"$HV" create rv --nic none --disk "$T/vmraw.img" >/dev/null
expect_eq "create records a raw disk as raw" "$("$HV" info rv --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["disks"][0]["format"])')" "raw"
# what a guest would write into it (the same bytes the guest above wrote)
dd if="$T/evil.qcow2" of="$T/vmraw.img" conv=notrunc status=none
"$HV" start rv >/dev/null
qpid=$(python3 -c "import json; print(json.load(open('$HV_HOME/vms/rv/status.json'))['qemu']['pid'])" 2>/dev/null)
check "hv start runs the VM" test -n "$qpid"
# QEMU has no path to the disk: hv opens it and QEMU gets fd set N
set=$(python3 -c "import json; print([e['set'] for e in json.load(open('$HV_HOME/vms/rv/qemu.fds'))['fds'] if e['path'].endswith('vmraw.img')][0])")
# qemu.args is a JSON array (json-c writes "/" as "\/"): read it as JSON
drive=$(python3 -c "import json; print(*[a for a in json.load(open('$HV_HOME/vms/rv/qemu.args')) if 'file=/dev/fdset/$set,' in a])")
check "QEMU opened the disk as raw" grep -Eq "file=/dev/fdset/$set,([a-z.]+=[a-z]+,)*format=raw" <<<"$drive"
check "and never opened the host file the header names" bash -c "! ls -l /proc/$qpid/fd 2>/dev/null | grep -q host-secret"
"$HV" kill rv >/dev/null 2>&1
out=$("$HV" disk info "$T/vmraw.img" 2>&1)
expect_match "disk info of a VM's disk uses the recorded format" "$out" "format: +raw"
check "and shows no backing file" test "${out/backed by/}" == "$out"
"$HV" disk convert "$T/vmraw.img" "$T/conv.img" --format raw
check "disk convert of a VM's disk copies its bytes, not the host file" cmp -s "$T/vmraw.img" "$T/conv.img"
check "disk check of a VM's disk works on the recorded format" quiet "$HV" disk check "$T/vmraw.img"
"$HV" clone rv rvc >/dev/null
check "a clone of that VM copies the raw bytes, not the host file" cmp -s "$T/vmraw.img" "$HV_HOME/vms/rvc/disk0.raw"

# --- every other way in adopts the image and refuses the guessed qcow2 ---
cp "$T/raw.img" "$T/loose.img" # a guest-written disk no VM records (e.g. detached)
refuse() { # refuse DESCRIPTION COMMAND...: fails with one line naming the backing file, changes nothing
	local what=$1 err
	shift
	err=$("$@" 2>&1 >/dev/null)
	local rc=$?
	if [ $rc -ne 0 ] && [ "$(echo "$err" | wc -l)" -eq 1 ] && [[ $err == *"$SECRET"* ]]; then
		ok "$what"
	else
		fail "$what: exit $rc, '$err'"
	fi
}
refuse "hv create --disk" "$HV" create e1 --nic none --disk "$T/loose.img"
check "and leaves no VM behind" test ! -e "$HV_HOME/vms/e1"
refuse "hv create --disk-from" "$HV" create e2 --nic none --disk-from "$T/loose.img"
refuse "hv attach-disk" "$HV" attach-disk rv "$T/loose.img"
expect_eq "attach-disk left the VM's disks alone" "$("$HV" info rv --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["disks"]))')" "1"
refuse "hv disk info" "$HV" disk info "$T/loose.img"
refuse "hv disk convert" "$HV" disk convert "$T/loose.img" "$T/out.img"
check "and writes nothing" test ! -e "$T/out.img"
refuse "hv disk check" "$HV" disk check "$T/loose.img"
refuse "hv disk create --backing" "$HV" disk create "$T/ovl.qcow2" --backing "$T/loose.img"
out=$("$HV" disk info --format raw "$T/loose.img")
expect_match "a stated format is used as stated" "$out" "format: +raw"

# --- hv's own overlays: the backing recorded in vm.json must match the header ---
"$HV" disk create "$T/base.qcow2" --size 16M
"$HV" create ov --nic none --disk-from "$T/base.qcow2" >/dev/null
qemu-img rebase -u -f qcow2 -b "$SECRET" -F raw "$HV_HOME/vms/ov/disk0.qcow2"
err=$("$HV" start ov 2>&1)
check "hv start refuses an overlay whose backing file changed outside hv" test $? -ne 0
expect_match "naming both files" "$err" "backing file is '$SECRET' but hv made it on '$T/base.qcow2'"

# --- malformed images ---
qemu-img create -q -f qcow2 "$T/good.qcow2" 16M
head -c 50 "$T/good.qcow2" >"$T/trunc.qcow2"
err=$("$HV" create tr --nic none --disk "$T/trunc.qcow2" 2>&1)
expect_match "a truncated qcow2 is refused clearly" "$err" "truncated qcow2 image"
qemu-img create -q -f qcow2 -b "$T/good.qcow2" -F qcow2 "$T/nofmt.qcow2"
qemu-img rebase -u -f qcow2 -b "$T/good.qcow2" "$T/nofmt.qcow2" 2>/dev/null
python3 - "$T/nofmt.qcow2" <<'PY'
import struct, sys
# drop the backing-format header extension (0xe2792aca) by renaming its type
p = sys.argv[1]
b = bytearray(open(p, 'rb').read(65536))
i = b.find(struct.pack('>I', 0xe2792aca))
if i >= 0:
    b[i:i + 4] = struct.pack('>I', 0x0badf00d)
with open(p, 'r+b') as f:
    f.write(b)
PY
err=$("$HV" create nf --nic none --disk "$T/nofmt.qcow2,format=qcow2" 2>&1)
expect_match "a stated qcow2 whose backing format is not recorded is refused" "$err" "without its format.*qemu-img rebase"
err=$("$HV" create bf --nic none --disk "$T/good.qcow2,format=vmdk" 2>&1)
expect_match "an unknown stated format is refused" "$err" "format must be raw or qcow2"
# --- QEMU without root (docs/security.md) ---
qpid_of() { python3 -c "import json; print(json.load(open('$HV_HOME/vms/$1/status.json'))['qemu']['pid'])"; }
field() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }
"$HV" create ja --nic none --disk 32M >/dev/null
"$HV" create jb --nic none --disk 32M >/dev/null
start_vm ja
start_vm jb
pa=$(qpid_of ja)
pb=$(qpid_of jb)
ua=$(field "$pa" Uid)
check "QEMU runs (pid $pa)" test -n "$pa"
check "QEMU's uid is not 0 ($ua)" test "${ua:-0}" -ne 0
expect_eq "its real, saved and file-system uids are the same" "$(awk '$1 == "Uid:" { print $3 $4 $5 }' "/proc/$pa/status")" "$ua$ua$ua"
check "its gid is not 0" test "$(field "$pa" Gid)" -ne 0
expect_eq "its effective capabilities are empty" "$(field "$pa" CapEff)" "0000000000000000"
expect_eq "its permitted capabilities are empty" "$(field "$pa" CapPrm)" "0000000000000000"
expect_eq "no exec can give it any (no_new_privs)" "$(field "$pa" NoNewPrivs)" "1"
expect_eq "its seccomp sandbox is on (filter mode)" "$(field "$pa" Seccomp)" "2"
check "each QEMU has its own uid" test "$(field "$pb" Uid)" != "$ua"
check "from QEMU's uid, another VM's disk is unreadable" bash -c "! setpriv --reuid $ua --regid $ua --clear-groups cat '$HV_HOME/vms/jb/disk0.qcow2' >/dev/null 2>&1"
check "and its own disk by path too (QEMU holds an fd)" bash -c "! setpriv --reuid $ua --regid $ua --clear-groups cat '$HV_HOME/vms/ja/disk0.qcow2' >/dev/null 2>&1"
check "the store's vm.json files are unreadable" bash -c "! setpriv --reuid $ua --regid $ua --clear-groups cat '$HV_HOME/vms/ja/vm.json' '$HV_HOME/vms/jb/vm.json' >/dev/null 2>&1"
check "the store cannot even be listed" bash -c "! setpriv --reuid $ua --regid $ua --clear-groups ls '$HV_HOME/vms' >/dev/null 2>&1"
check "the other QEMU's fds are out of reach" bash -c "! setpriv --reuid $ua --regid $ua --clear-groups ls -l /proc/$pb/fd/ 2>/dev/null | grep -q disk0"
check "and it cannot be signalled" bash -c "! setpriv --reuid $ua --regid $ua --clear-groups kill -0 $pb 2>/dev/null"
check "QEMU holds its disk as an fd" bash -c "ls -l /proc/$pa/fd | grep -q 'vms/ja/disk0.qcow2'"
check "in QEMU's mount namespace the store is an empty folder" test -z "$(ls -A "/proc/$pa/root$HV_HOME" 2>/dev/null)"
check "and the host is read-only" grep -qE '^[0-9]+ [0-9]+ [^ ]+ / / ro,' "/proc/$pa/mountinfo"
check "QEMU made no file in the VM's folder" test -z "$(find "$HV_HOME/vms/ja" -uid "$ua")"
# the VM works as before: runs commands, writes its disk, snapshots, stops
out=$("$HV" exec ja -- sh -c 'echo jailed > /dev/vda && sync && head -c 6 /dev/vda' 2>&1)
expect_eq "the guest runs and writes its disk" "$out" "jailed"
check "a snapshot with the VM's state is written through QEMU's fd" quiet "$HV" snapshot create ja s1
expect_match "into the disk" "$(qemu-img snapshot -U -l "$HV_HOME/vms/ja/disk0.qcow2")" " s1 "
# QEMU's image locks are off on passed files; hv's lock keeps one disk to one VM
"$HV" create jc --nic none --disk "$HV_HOME/vms/ja/disk0.qcow2,format=qcow2" >/dev/null
err=$("$HV" start jc 2>&1)
rc=$?
check "a second VM on a running VM's disk does not start (exit $rc)" test "$rc" -ne 0
expect_match "and the reason names the disk" "$err" "vms/ja/disk0.qcow2 is in use by a running VM"
expect_eq "it stays stopped" "$(info jc state)" stopped
out=$("$HV" run --nic none --disk "$HV_HOME/vms/ja/disk0.qcow2,format=qcow2" -- true 2>&1)
expect_match "hv run is refused the same way" "$out" "disk0.qcow2 is in use by a running VM"
"$HV" create jd --nic none --disk-from "$HV_HOME/vms/ja/disk0.qcow2,format=qcow2" >/dev/null
expect_match "so is a VM whose overlay reads a running VM's disk as its base" "$("$HV" start jd 2>&1)" \
	"disk0.qcow2 is in use by a running VM, which writes it"
err=$("$HV" disk resize "$HV_HOME/vms/ja/disk0.qcow2" 1G 2>&1)
expect_match "hv disk resize refuses a running VM's disk" "$err" "disk0.qcow2 is in use by a running VM"
qemu-img info -U --output=json "$HV_HOME/vms/ja/disk0.qcow2" | grep -q '"virtual-size": 33554432'
check "and leaves its size alone" test $? -eq 0
"$HV" stop jb >/dev/null
"$HV" kill ja >/dev/null
check "once that VM is stopped, the second one starts" quiet "$HV" start jc
"$HV" kill jc >/dev/null
"$HV" delete jc >/dev/null
"$HV" delete jd >/dev/null
qemu-img create -q -f qcow2 "$T/extra.qcow2" 16M
check "a stopped VM gets a disk attached" quiet "$HV" attach-disk ja "$T/extra.qcow2,format=qcow2"
start_vm ja
out=$("$HV" exec ja -- sh -c 'head -c 6 /dev/vda; ls /sys/block | grep -c vd' 2>&1)
expect_match "and boots again with both disks" "$out" "^jailed.*2"
"$HV" stop ja >/dev/null
expect_eq "and stops" "$(info ja state)" stopped
done_testing
