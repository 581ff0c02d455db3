#!/bin/bash
# SPDX-License-Identifier: MIT
# hv clone of a real operating system: the clone boots with a fresh guest
# identity (machine-id, SSH host keys) written into its disk by hv's
# appliance, the source keeps its own; --keep-identity keeps it; a disk the
# appliance cannot read leaves no clone.  Builds the Debian image once
# (the image comes from the run's cache when an earlier suite built it).
. "$(dirname "$0")/../vm/lib.bash"
T=$(mktemp -d)
trap 'cleanup; rm -rf "$T"' EXIT
TIMEOUT=${HV_IMAGE_BOOT_TIMEOUT:-300}

test_image
check "the Debian image" test $? -eq 0

# read_disk VM SCRIPT: run SCRIPT (in the root of the VM's file system)
# through hv run with a copy-on-write view of the VM's first disk.
read_disk() {
	local disk
	disk=$("$HV" info "$1" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["disks"][0]["path"])')
	qemu-img create -q -f qcow2 -b "$disk" -F qcow2 "$T/view.qcow2"
	"$HV" run --disk "$T/view.qcow2,format=qcow2" -- sh -c "mount -t ext4 -o ro /dev/vda3 /mnt && cd /mnt && $2"
	rm -f "$T/view.qcow2"
}
# guest_identity VM: machine-id and the ed25519 host key, from the running guest
guest_identity() {
	"$HV" ssh "$1" -- 'cat /etc/machine-id; cut -d" " -f2 /etc/ssh/ssh_host_ed25519_key.pub'
}
start_wait() {
	local out
	out=$("$HV" start "$1" --wait --timeout "$TIMEOUT" 2>&1)
	check "$2" test $? -eq 0 || echo "$out" | sed 's/^/  /' | tail -n 5
}

ssh-keygen -q -t ed25519 -N '' -C hv-test -f "$T/key"
"$HV" create src --image deb --ssh-key "$T/key.pub" --memory 768M >/dev/null
start_wait src "the source boots to SSH"
id_src=$(guest_identity src)
check "  and has a machine-id and a host key" test "$(echo "$id_src" | grep -cE '^[0-9a-f]{32}$|^AAAA')" -eq 2
"$HV" stop src --timeout 60 >/dev/null

# --- a full clone: a fresh identity written offline ---
out=$("$HV" clone src c1 2>&1)
expect_eq "hv clone of a real OS" "$out" "cloned VM src to c1 (full)"
seen=$(read_disk c1 'wc -c <etc/machine-id; ls etc/ssh | grep -c ssh_host_; ls var/lib/systemd | grep -c random-seed')
expect_eq "  the clone's disk: machine-id empty, no host keys, no random seed" "$(echo $seen)" "0 0 0"
seen=$(read_disk src 'wc -c <etc/machine-id; ls etc/ssh | grep -c ssh_host_')
check "  the source's disk is untouched" test "$(echo $seen | cut -d' ' -f1)" -eq 33 -a "$(echo $seen | cut -d' ' -f2)" -gt 0
check "  the clone's instance-id (its UUID) is new" test "$(info c1 uuid)" != "$(info src uuid)"
start_wait c1 "the clone boots to SSH"
id_c1=$(guest_identity c1)
m_src=$(echo "$id_src" | head -n 1)
m_c1=$(echo "$id_c1" | head -n 1)
k_src=$(echo "$id_src" | tail -n 1)
k_c1=$(echo "$id_c1" | tail -n 1)
check "  with a new machine-id" test -n "$m_c1" -a "$m_c1" != "$m_src"
check "  and a new SSH host key" test -n "$k_c1" -a "$k_c1" != "$k_src"
expect_eq "  its name is its hostname" "$("$HV" ssh c1 -- cat /etc/hostname)" "c1"
"$HV" kill c1 >/dev/null
start_wait src "the source boots again"
expect_eq "  with its machine-id and host key unchanged" "$(guest_identity src)" "$id_src"
"$HV" stop src --timeout 60 >/dev/null

# --- a linked clone: the reset lands in its overlay, the base is the source's ---
out=$("$HV" clone src c2 --linked 2>&1)
expect_eq "hv clone --linked of a real OS" "$out" "cloned VM src to c2 (linked)"
expect_eq "  the linked clone's disk: machine-id empty, no host keys" \
	"$(echo $(read_disk c2 'wc -c <etc/machine-id; ls etc/ssh | grep -c ssh_host_'))" "0 0"
expect_eq "  the source still reads its own identity" \
	"$(read_disk src 'cat etc/machine-id')" "$m_src"

# --- --keep-identity: the guest as it is ---
out=$("$HV" clone src c3 --keep-identity 2>&1)
expect_eq "hv clone --keep-identity" "$out" "cloned VM src to c3 (full)"
expect_eq "  keeps the machine-id" "$(read_disk c3 'cat etc/machine-id')" "$m_src"
check "  and the host keys" test "$(read_disk c3 'ls etc/ssh | grep -c ssh_host_')" -gt 0

# --- a disk the appliance cannot read: one line, no clone ---
truncate -s 64M "$T/blank.raw"
"$HV" create odd --disk "$T/blank.raw,format=raw" --firmware bios --nic none >/dev/null
out=$("$HV" clone odd c4 2>&1)
rc=$?
check "a clone of a disk with no Linux root fails" test $rc -ne 0
expect_eq "  with one line" "$(echo "$out" | wc -l)" "1"
expect_match "  naming the problem and --keep-identity" "$out" "^hv clone: clone 'c4': no Linux root file system.*--keep-identity"
check "  and leaves no VM and no staging folder" test -z "$(ls -A "$HV_HOME/vms" | grep -E '^c4$|^\.')"
expect_eq "  --keep-identity clones it" "$("$HV" clone odd c4 --keep-identity 2>&1)" "cloned VM odd to c4 (full)"

# --- hv image import of a Linux image: its kernel read through the appliance ---
IMG=$HV_HOME/images/deb
"$HV" image import "$IMG/disk.qcow2" imp --format qcow2 >/dev/null 2>"$T/imp.err"
check "hv image import of a bootable Linux disk" test $? -eq 0 || sed 's/^/  /' "$T/imp.err"
field() { python3 -c "import json,sys; v=json.load(sys.stdin).get('$1'); print('' if v is None else v)" <"$HV_HOME/images/imp/image.json"; }
expect_eq "  records the kernel and initrd it found in /boot" "$(field kernel) $(field initrd)" "vmlinuz initrd.img"
check "  the image's own kernel, byte for byte" cmp -s "$IMG/vmlinuz" "$HV_HOME/images/imp/vmlinuz"
check "  and its initrd" cmp -s "$IMG/initrd.img" "$HV_HOME/images/imp/initrd.img"
expect_eq "  and the root file system's UUID" "$(field root)" "$(python3 -c "import json; print(json.load(open('$IMG/image.json'))['root'])")"
check "  no scratch file is left" test -z "$(ls -A "$HV_HOME/images" | grep '^\.')"
"$HV" create fromimp --image imp --ssh-key "$T/key.pub" --memory 768M >/dev/null
expect_eq "  a VM from it boots the kernel directly" "$(info fromimp boot)" "kernel"
start_wait fromimp "  to SSH"
expect_match "  with the command line recorded at import" "$("$HV" ssh fromimp -- cat /proc/cmdline)" "root=$(field root) ro"
"$HV" kill fromimp >/dev/null

done_testing
