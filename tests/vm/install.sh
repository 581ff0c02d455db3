#!/bin/bash
# SPDX-License-Identifier: MIT
# Installing from an ISO: firmware boot (SeaBIOS and UEFI) of a small
# installer ISO (GRUB around hv's default guest, tests/image/mkiso.bash), a
# VNC display, the disk attached, boot order disk-then-CD, eject, and the
# dead end of a disk with nothing to boot.
. "$(dirname "$0")/lib.bash"
T=$(mktemp -d)
trap 'cleanup; rm -rf "$T"' EXIT
tests/image/mkiso.bash "$T/inst.iso" inst

"$HV" create inst --cdrom "$T/inst.iso" --disk 64M --graphics vnc --nic none >/dev/null
expect_eq "an installer VM is a q35 with BIOS firmware" "$(info inst machine)/$(info inst firmware)" "q35/bios"
out=$("$HV" start inst --wait --timeout 90)
check "hv start --wait returns once the installer's init is up" test $? -eq 0
expect_match "and prints the phases it went through" "$out" "firmware.*ready"
check "the empty disk came first, then the CD-ROM (bootindex)" grep -q "bootindex=1" "$HV_HOME/vms/inst/qemu.args"
grep -A1 -- '-device' "$HV_HOME/vms/inst/qemu.args" | grep -q 'ide-cd.*bootindex=2'
check "the CD-ROM boots second" test $? -eq 0
check "firmware never tries the network (-boot strict=on)" grep -q "strict=on" "$HV_HOME/vms/inst/qemu.args"
vnc=$("$HV" vnc inst)
expect_eq "hv vnc prints the display's socket" "$vnc" "unix:$HV_HOME/vms/inst/vnc.sock"
check "and QEMU listens there" test -S "$HV_HOME/vms/inst/vnc.sock"
# an RFB server greets with its version
greet=$(python3 -c "import socket; s=socket.socket(socket.AF_UNIX); s.connect('$HV_HOME/vms/inst/vnc.sock'); print(s.recv(12).decode())")
expect_match "a VNC client is greeted by the RFB protocol" "$greet" "^RFB 003\.00[0-9]"
expect_eq "the installer sees the disk (64 MiB = 131072 sectors)" "$(guest_run inst 'cat /sys/block/vda/size')" "131072"
expect_eq "hv info shows the boot phase" "$(info inst phase)" "ready"
"$HV" kill inst >/dev/null
"$HV" set inst --cdrom none --graphics none
expect_eq "hv set --cdrom none ejects" "$(info inst cdrom)" ""
expect_eq "and --graphics none removes the display (SeaBIOS then talks on the serial console)" "$(info inst display)" "none"
out=$("$HV" start inst --wait --timeout 60 2>&1)
check "without the CD the blank disk does not boot: --wait fails" test $? -ne 0
expect_match "naming the dead end the console shows, not a timeout" "$out" "found nothing to boot"
"$HV" kill inst >/dev/null

# UEFI: the same ISO through OVMF; the VM keeps its own variable store
"$HV" create uefi --cdrom "$T/inst.iso" --disk 64M --firmware uefi --nic none >/dev/null
check "a UEFI VM has its own copy of the variable store" cmp -s /usr/share/OVMF/OVMF_VARS_4M.fd "$HV_HOME/vms/uefi/uefi-vars.fd"
out=$("$HV" start uefi --wait --timeout 120)
check "UEFI boots the installer ISO" test $? -eq 0
# QEMU runs without root: it gets the variable store as fd set N (qemu.fds
# names the file and opens it read-write), qemu.args is JSON
pflash=$(python3 - "$HV_HOME/vms/uefi" <<'PY'
import json, sys
d = sys.argv[1]
fds = json.load(open(d + "/qemu.fds"))["fds"]
vars_set = [e["set"] for e in fds if e["path"] == "uefi-vars.fd" and e["kind"] == "rdwr"]
code_set = [e["set"] for e in fds if e["path"].endswith("OVMF_CODE_4M.fd") and e["kind"] == "read"]
args = json.load(open(d + "/qemu.args"))
ok = (len(vars_set) == 1 and len(code_set) == 1
      and "if=pflash,unit=1,format=raw,file=/dev/fdset/%d,file.locking=off" % vars_set[0] in args
      and "if=pflash,unit=0,format=raw,readonly=on,file=/dev/fdset/%d,file.locking=off" % code_set[0] in args)
print("ok" if ok else "no: %s %s %s" % (vars_set, code_set, [a for a in args if "pflash" in a]))
PY
)
expect_eq "with the code read-only and the VM's variables writable" "$pflash" ok
"$HV" kill uefi >/dev/null
# nothing installed yet: no Linux root whose identity could be reset
out=$("$HV" clone uefi uefi2 2>&1)
expect_match "a clone of a disk with no Linux root is refused, naming --keep-identity" "$?:$out" "^1:.*no Linux root.*--keep-identity"
check "and leaves no VM behind" test ! -e "$HV_HOME/vms/uefi2"
"$HV" clone uefi uefi2 --keep-identity >/dev/null
check "a clone takes the variable store along" test -f "$HV_HOME/vms/uefi2/uefi-vars.fd"
"$HV" delete uefi2 >/dev/null
check "deleting the VM removes it" test ! -e "$HV_HOME/vms/uefi2"

# bad input: one line, non-zero, nothing made
refuse() { # refuse DESCRIPTION PATTERN COMMAND...
	local what=$1 pat=$2 err rc
	shift 2
	err=$("$@" 2>&1 >/dev/null)
	rc=$?
	if [ $rc -ne 0 ] && [ "$(echo "$err" | wc -l)" -eq 1 ] && [[ $err =~ $pat ]]; then ok "$what"; else fail "$what: exit $rc, '$err'"; fi
}
refuse "a missing ISO" "--cdrom /nonexistent.iso: No such file" "$HV" create bad1 --cdrom /nonexistent.iso --disk 64M
check "leaves no VM" test ! -e "$HV_HOME/vms/bad1"
chmod 000 "$T/inst.iso"
if [ "$(id -u)" != 0 ]; then refuse "an unreadable ISO" "Permission denied" "$HV" create bad2 --cdrom "$T/inst.iso"; fi
chmod 644 "$T/inst.iso"
refuse "an unknown firmware" "unknown firmware 'coreboot'" "$HV" create bad3 --cdrom "$T/inst.iso" --firmware coreboot
refuse "firmware on a microvm" "need --machine q35" "$HV" create bad4 --cdrom "$T/inst.iso" --machine microvm
refuse "a bad VNC port" "5900 to 65535" "$HV" create bad5 --cdrom "$T/inst.iso" --graphics vnc=127.0.0.1:80
refuse "an unknown image" "no image named 'nosuch'" "$HV" create bad6 --image nosuch
refuse "--user without --image" "go with --image" "$HV" create bad7 --cdrom "$T/inst.iso" --user x
refuse "hv vnc of a VM without a display" "has no display" "$HV" vnc uefi
check "no VM was left behind by the refusals" test "$(ls "$HV_HOME/vms")" == "$(printf 'inst\nuefi')"
done_testing
