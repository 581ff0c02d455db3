#!/bin/bash
# SPDX-License-Identifier: MIT
# hv image: build the Debian image once (packages cached in
# /var/cache/hv/apt), judge it with qemu-img, sgdisk and debugfs, boot it
# with plain QEMU under TCG through SeaBIOS and through UEFI (OVMF) to a
# login prompt, then import and the bad inputs.
. "$(dirname "$0")/../vm/lib.bash"
T=$(mktemp -d)
QPIDS=""
trap 'for p in $QPIDS; do kill "$p" 2>/dev/null; done; cleanup; rm -rf "$T"' EXIT
BOOT_TIMEOUT=${HV_IMAGE_BOOT_TIMEOUT:-180}
field() { python3 -c "import json,sys; v=json.load(sys.stdin)$1; print(v if not isinstance(v,list) else ','.join(v))"; }
nothing_staged() { [ -z "$(ls -A "$HV_HOME/images" 2>/dev/null | grep -E '^\.|^(e[0-9]|nomirror)$')" ]; }

# --- bad input: one line, non-zero, nothing in the store ---
out=$("$HV" image build ubuntu-24.04 2>&1)
check "build refuses an unknown OS" test $? -ne 0
expect_match "and says only debian-12 is supported" "$out" "^hv image build: unknown OS 'ubuntu-24.04': hv image build supports only debian-12$"
out=$("$HV" image build debian-12 --name Bad/Name 2>&1)
check "build refuses a bad name" test $? -ne 0
expect_match "naming the rule" "$out" "invalid image name 'Bad/Name'"
t0=$(date +%s)
out=$("$HV" image build debian-12 --name nomirror --mirror http://127.0.0.1:9/debian 2>&1)
rc=$?
check "build fails when no Debian mirror is reachable" test $rc -ne 0
expect_match "with one line naming the mirror" "$out" "^hv image build: no Debian mirror reachable at http://127.0.0.1:9/debian"
expect_eq "(one line)" "$(echo "$out" | wc -l)" "1"
check "and leaves nothing in the store" nothing_staged
echo "# unreachable mirror reported in $(($(date +%s) - t0)) s"

# --- build, once per run ---
t0=$(date +%s)
"$HV" image build debian-12 --name deb --size 4G --json >"$T/build.json" 2>"$T/build.err"
rc=$?
BUILD_S=$(($(date +%s) - t0))
check "hv image build debian-12 succeeds" test $rc -eq 0
[ $rc -eq 0 ] || sed 's/^/  /' "$T/build.err" | tail -n 5
echo "# build: ${BUILD_S} s; phases $(field "['phases']" <"$T/build.json" 2>/dev/null)"
IMG=$HV_HOME/images/deb
check "the store holds disk.qcow2, image.json, vmlinuz and initrd.img" test -f "$IMG/disk.qcow2" -a -f "$IMG/image.json" -a -f "$IMG/vmlinuz" -a -f "$IMG/initrd.img"
expect_eq "disk.qcow2 is read-only (0444)" "$(stat -c %a "$IMG/disk.qcow2")" "444"
check "qemu-img check passes" qemu-img check -q -f qcow2 "$IMG/disk.qcow2"
expect_eq "a self-contained qcow2 (no backing file)" "$(qemu-img info -f qcow2 --output=json "$IMG/disk.qcow2" | field ".get('backing-filename')")" "None"
J=$IMG/image.json
expect_eq "image.json: name, os, format, source" "$(field "['name']" <"$J")/$(field "['os']" <"$J")/$(field "['format']" <"$J")/$(field "['source']" <"$J")" "deb/debian-12/qcow2/built"
expect_eq "image.json: virtual_size is --size" "$(field "['virtual_size']" <"$J")" "4294967296"
expect_eq "image.json: firmware" "$(field "['firmware']" <"$J")" "bios,uefi"
expect_eq "image.json: kernel and initrd" "$(field "['kernel']" <"$J") $(field "['initrd']" <"$J")" "vmlinuz initrd.img"
UUID=$(field "['root']" <"$J" | sed 's/^UUID=//')
expect_match "image.json: root by UUID, and the cmdline uses it" "$(field "['cmdline']" <"$J")" "^root=UUID=$UUID ro .*console=ttyS0"
check "no staging folder is left" test -z "$(ls -A "$HV_HOME/images" | grep '^\.')"
expect_match "hv image list shows it" "$("$HV" image list)" "deb +debian-12 +built +4G +bios,uefi"
expect_eq "hv image list --json" "$("$HV" image list --json | field "[0]['name']")" "deb"
expect_match "hv image info" "$("$HV" image info deb)" "root: +UUID=$UUID"
out=$("$HV" image build debian-12 --name deb 2>&1)
check "building an existing name is refused" test $? -ne 0
expect_match "saying so" "$out" "an image named 'deb' exists already"

# --- the disk's layout, read from a raw copy ---
qemu-img convert -f qcow2 -O raw "$IMG/disk.qcow2" "$T/raw"
parts=$(sgdisk -p "$T/raw" 2>/dev/null)
expect_match "GPT: a 1 MiB BIOS boot partition" "$parts" "1 +2048 +4095 +1024.0 KiB +EF02"
expect_match "GPT: a 64 MiB EFI system partition" "$parts" "2 +4096 +135167 +64.0 MiB +EF00"
expect_match "GPT: the root partition" "$parts" "3 +135168 .* 8304"
expect_eq "GPT: exactly 3 partitions" "$(echo "$parts" | grep -cE '^ +[0-9]+ ')" "3"
ROOTFS="$T/raw?offset=$((135168 * 512))"
expect_eq "ext4 root: /etc/machine-id is empty" "$(debugfs -R 'stat /etc/machine-id' "$ROOTFS" 2>/dev/null | grep -m1 -o 'Size: [0-9]*')" "Size: 0"
expect_eq "ext4 root: no SSH host keys" "$(debugfs -R 'ls /etc/ssh' "$ROOTFS" 2>/dev/null | grep -c ssh_host_)" "0"
expect_eq "ext4 root: no /var/lib/dbus/machine-id" "$(debugfs -R 'stat /var/lib/dbus/machine-id' "$ROOTFS" 2>&1 | grep -c 'File not found')" "1"
expect_match "ext4 root: fstab mounts / by UUID" "$(debugfs -R 'cat /etc/fstab' "$ROOTFS" 2>/dev/null)" "UUID=$UUID / ext4"
expect_match "ext4 root: cloud-init looks only for NoCloud" "$(debugfs -R 'cat /etc/cloud/cloud.cfg.d/90-hv.cfg' "$ROOTFS" 2>/dev/null)" "datasource_list: \[NoCloud, None\]"
expect_eq "ext4 root: hostname localhost" "$(debugfs -R 'cat /etc/hostname' "$ROOTFS" 2>/dev/null)" "localhost"
expect_eq "ESP: /EFI/BOOT/BOOTX64.EFI" "$(mdir -i "$T/raw@@$((4096 * 512))" -b ::/EFI/BOOT 2>/dev/null)" "::/EFI/BOOT/BOOTX64.EFI"
rm -f "$T/raw"

# --- real VMs from the image, through hv: cloud-init, SSH, firmware ---
NAME=deb
ssh-keygen -q -t ed25519 -N '' -C hv-test -f "$T/key"
ssh-keygen -q -t ed25519 -N '' -f "$T/key2"
# two at once: the image's own kernel (the default) and SeaBIOS + GRUB
"$HV" create deb1 --image "$NAME" --ssh-key "$T/key.pub" --memory 768M --user tester >/dev/null
"$HV" create deb2 --image "$NAME" --ssh-key "$T/key.pub" --memory 768M --boot firmware >/dev/null
expect_eq "--image boots the image's own kernel by default" "$(info deb1 boot)/$(info deb1 machine)" "kernel/q35"
expect_eq "--boot firmware boots through SeaBIOS" "$(info deb2 boot)/$(info deb2 firmware)" "firmware/bios"
t0=$(date +%s)
"$HV" start deb1 --wait --timeout 300 >"$T/w1" 2>&1 &
w1=$!
"$HV" start deb2 --wait --timeout 300 >"$T/w2" 2>&1 &
w2=$!
wait $w1; rc1=$?; t1=$(($(date +%s) - t0))
wait $w2; rc2=$?; t2=$(($(date +%s) - t0))
check "hv start --wait: the kernel-booted VM is ready (cloud-init done, SSH answers)" test $rc1 -eq 0
[ $rc1 -eq 0 ] || sed 's/^/  deb1: /' "$T/w1"
check "hv start --wait: the firmware-booted VM is ready" test $rc2 -eq 0
[ $rc2 -eq 0 ] || sed 's/^/  deb2: /' "$T/w2"
expect_match "--wait prints the phases with their times" "$(cat "$T/w1")" "kernel +[0-9.]+ s.*userspace.*cloud-init-done.*ready"
echo "# image to SSH under TCG, two VMs at once on $(nproc) cores: kernel boot ${t1} s, SeaBIOS+GRUB ${t2} s"
expect_eq "hv ssh runs a command as the cloud-init user: the VM's name" "$("$HV" ssh deb1 -- cat /etc/hostname)" "deb1"
expect_eq "  as the user given with --user, with sudo" "$("$HV" ssh deb1 -- 'id -un; sudo -n id -u')" "$(printf 'tester\n0')"
"$HV" ssh deb1 -- exit 7
expect_eq "  and returns the remote command's exit status" "$?" "7"
expect_eq "  stdin reaches the remote command" "$(echo piped | "$HV" ssh deb1 -- cat)" "piped"
check "the guest's host keys were recorded from its console (known_hosts)" grep -q "^hv-deb1 ssh-ed25519 " "$HV_HOME/vms/deb1/known_hosts"
guest_ip=$("$HV" ssh deb1 -- "ip -4 -o addr show dev eth0 | awk '{print \$4}' | cut -d/ -f1")
hv_ip=$("$HV" ip deb1 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["ipv4"])')
expect_eq "hv ip agrees with the guest" "$hv_ip" "$guest_ip"
check "  (the guest got it from DHCP on the NIC hv named)" test -n "$guest_ip"
expect_eq "the seed's password is locked: no password login" "$("$HV" ssh deb1 -- sudo -n passwd -S tester | cut -d' ' -f2)" "L"
id1=$("$HV" ssh deb1 -- cat /etc/machine-id)
id2=$("$HV" ssh deb2 -- cat /etc/machine-id)
check "two VMs from one image have different machine-ids" test -n "$id1" -a -n "$id2" -a "$id1" != "$id2"
k1=$(grep ssh-ed25519 "$HV_HOME/vms/deb1/known_hosts" | cut -d' ' -f3)
k2=$(grep ssh-ed25519 "$HV_HOME/vms/deb2/known_hosts" | cut -d' ' -f3)
check "  and different SSH host keys" test -n "$k1" -a -n "$k2" -a "$k1" != "$k2"
expect_eq "hv info shows the phase" "$(info deb1 phase)" "ready"
# a host key that is not the one the guest printed: hv ssh refuses to connect
cp "$HV_HOME/vms/deb1/known_hosts" "$T/kh1"
sed "s/^hv-deb2 /hv-deb1 /" "$HV_HOME/vms/deb2/known_hosts" >"$HV_HOME/vms/deb1/known_hosts"
"$HV" ssh deb1 -- true 2>/dev/null
check "hv ssh checks host keys strictly (a wrong recorded key is refused)" test $? -ne 0
cp "$T/kh1" "$HV_HOME/vms/deb1/known_hosts"
t0=$(date +%s)
"$HV" stop deb1 --timeout 60 >/dev/null
expect_eq "hv stop: the real OS handles the ACPI power button" "$(info deb1 state)/$(info deb1 reason)" "stopped/the guest powered off"
echo "# hv stop of a systemd guest: $(($(date +%s) - t0)) s"
"$HV" kill deb2 >/dev/null
check "the image stayed pristine (qemu-img check, still read-only)" qemu-img check -q -f qcow2 "$IMG/disk.qcow2"

# UEFI, with a user-data file merged into hv's
printf '#cloud-config\nwrite_files:\n  - path: /etc/hv-merged\n    content: "merged\\n"\n' >"$T/user-data"
"$HV" create deb3 --image "$NAME" --ssh-key "$T/key2.pub" --memory 768M --firmware uefi --boot firmware --cloud-init "$T/user-data" --disk-size 6G >/dev/null
out=$("$HV" start deb3 --wait --timeout 300 2>&1)
check "UEFI (OVMF) boots the image to SSH" test $? -eq 0
[ $? -eq 0 ] || echo "$out" | sed 's/^/  deb3: /'
expect_eq "the user's user-data was merged, hv's user still made" "$("$HV" ssh deb3 -- cat /etc/hv-merged)" "merged"
size=$("$HV" ssh deb3 -- "lsblk -bdno SIZE /dev/vda")
expect_eq "--disk-size grows the VM's disk" "$size" "6442450944"
"$HV" kill deb3 >/dev/null

# bad input for distribution VMs: one line, non-zero, no VM left
echo "not a key" >"$T/bad.pub"
bad1() { # bad1 DESCRIPTION REGEX COMMAND...
	local what=$1 re=$2 out
	shift 2
	out=$("$@" 2>&1)
	local rc=$?
	if [ $rc -ne 0 ] && [ "$(echo "$out" | wc -l)" = 1 ] && [[ $out =~ $re ]]; then ok "$what"; else fail "$what: exit $rc, '$out'"; fi
}
bad1 "an SSH key file that is not a public key" "bad.pub.*ssh-keygen" "$HV" create e1 --image "$NAME" --ssh-key "$T/bad.pub"
bad1 "a private key given as the public one" "ssh-keygen" "$HV" create e2 --image "$NAME" --ssh-key "$T/key"
bad1 "no SSH key anywhere" "ssh-keygen" env SUDO_USER=nobody "$HV" create e3 --image "$NAME"
printf 'just text\n' >"$T/notcc"
bad1 "a user-data file cloud-init would ignore" "notcc" "$HV" create e4 --image "$NAME" --ssh-key "$T/key.pub" --cloud-init "$T/notcc"
bad1 "a disk size below the image's" "smaller than image" "$HV" create e5 --image "$NAME" --ssh-key "$T/key.pub" --disk-size 1G
check "the refusals left no VM" test -z "$(ls "$HV_HOME/vms" | grep '^e[0-9]$')"
bad1 "hv ssh to a stopped VM" "is stopped: start it first" "$HV" ssh deb3 -- true
bad1 "hv image rm of an image VMs use" "in use by: deb1, deb2, deb3" "$HV" image rm "$NAME"

# --- import ---
qemu-img create -q -f qcow2 "$T/cloud.qcow2" 64M
qemu-io -f qcow2 -c "write -P 0x61 0 1M" "$T/cloud.qcow2" >/dev/null
"$HV" image import "$T/cloud.qcow2" imp1 >/dev/null
check "import of a qcow2" qemu-img compare -q -f qcow2 -F qcow2 "$T/cloud.qcow2" "$HV_HOME/images/imp1/disk.qcow2"
expect_eq "imported image.json: source, no root/kernel" "$(field "['source']" <"$HV_HOME/images/imp1/image.json")/$(field ".get('kernel')" <"$HV_HOME/images/imp1/image.json")" "imported/None"
head -c 2M /dev/urandom >"$T/disk.raw"
"$HV" image import "$T/disk.raw" --format raw --json >"$T/imp.json"
expect_eq "import of a raw file, named after it" "$(field "['name']" <"$T/imp.json")/$(field "['virtual_size']" <"$T/imp.json")" "disk/2097152"
qemu-img create -q -f qcow2 -b "$T/cloud.qcow2" -F qcow2 "$T/overlay.qcow2"
"$HV" image import "$T/overlay.qcow2" imp2 --format qcow2 >/dev/null
check "import of a stated qcow2 overlay makes a self-contained copy" test "$(qemu-img info -f qcow2 --output=json "$HV_HOME/images/imp2/disk.qcow2" | field ".get('backing-filename')")" = None
check "  with the base's data" qemu-img compare -q -f qcow2 -F qcow2 "$T/cloud.qcow2" "$HV_HOME/images/imp2/disk.qcow2"
bad() { # bad DESCRIPTION REGEX COMMAND...
	local what=$1 re=$2 out
	shift 2
	out=$("$@" 2>&1)
	local rc=$?
	if [ $rc -ne 0 ] && [ "$(echo "$out" | wc -l)" = 1 ] && [[ $out =~ $re ]] && nothing_staged; then
		ok "$what"
	else
		fail "$what: exit $rc, '$out'"
	fi
}
: >"$T/empty"
bad "import refuses an empty file" "is empty" "$HV" image import "$T/empty" e1
head -c 1000 /dev/zero >"$T/small"
bad "import refuses a raw file under 1 MiB, saying why" "too small for a disk image" "$HV" image import "$T/small" e2
head -c 100000 "$T/cloud.qcow2" >"$T/trunc.qcow2"
bad "import refuses a truncated qcow2" "trunc.qcow2" "$HV" image import "$T/trunc.qcow2" e3
bad "import refuses a guessed qcow2 naming a backing file" "backing file is" "$HV" image import "$T/overlay.qcow2" e4
bad "import refuses a name in use" "an image named 'imp1' exists already" "$HV" image import "$T/disk.raw" imp1
bad "import refuses a bad name" "invalid image name 'Bad_Name'" "$HV" image import "$T/disk.raw" Bad_Name
bad "import of a missing file" "No such file" "$HV" image import "$T/nonexistent" e5
bad "info of an unknown image" "no image named 'nope'" "$HV" image info nope

# --- rm: refused while a VM uses the image ---
"$HV" create usr --disk-from "$HV_HOME/images/imp1/disk.qcow2,format=qcow2" >/dev/null 2>&1
if [ -d "$HV_HOME/vms/usr" ]; then
	bad "rm is refused while a VM uses the image, naming it" "in use by: usr" "$HV" image rm imp1
	"$HV" delete usr >/dev/null
fi
expect_eq "rm removes an unused image" "$("$HV" image rm imp1)" "removed image imp1"
check "  and its folder is gone" test ! -e "$HV_HOME/images/imp1"
done_testing
