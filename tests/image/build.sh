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
expect_eq "ext4 root: /etc/machine-id is empty" "$(debugfs -R 'stat /etc/machine-id' "$ROOTFS" 2>/dev/null | grep -o 'Size: [0-9]*')" "Size: 0"
expect_eq "ext4 root: no SSH host keys" "$(debugfs -R 'ls /etc/ssh' "$ROOTFS" 2>/dev/null | grep -c ssh_host_)" "0"
expect_eq "ext4 root: no /var/lib/dbus/machine-id" "$(debugfs -R 'stat /var/lib/dbus/machine-id' "$ROOTFS" 2>&1 | grep -c 'File not found')" "1"
expect_match "ext4 root: fstab mounts / by UUID" "$(debugfs -R 'cat /etc/fstab' "$ROOTFS" 2>/dev/null)" "UUID=$UUID / ext4"
expect_match "ext4 root: cloud-init looks only for NoCloud" "$(debugfs -R 'cat /etc/cloud/cloud.cfg.d/90-hv.cfg' "$ROOTFS" 2>/dev/null)" "datasource_list: \[NoCloud, None\]"
expect_eq "ext4 root: hostname localhost" "$(debugfs -R 'cat /etc/hostname' "$ROOTFS" 2>/dev/null)" "localhost"
expect_eq "ESP: /EFI/BOOT/BOOTX64.EFI" "$(mdir -i "$T/raw@@$((4096 * 512))" -b ::/EFI/BOOT 2>/dev/null)" "::/EFI/BOOT/BOOTX64.EFI"
rm -f "$T/raw"

# --- boot it with plain QEMU under TCG: SeaBIOS and UEFI, side by side ---
boot() { # boot NAME [qemu args...]: an overlay keeps the image pristine
	local n=$1
	shift
	qemu-img create -q -f qcow2 -b "$IMG/disk.qcow2" -F qcow2 "$T/$n.qcow2"
	qemu-system-x86_64 -M q35 -accel tcg -m 1024 -smp 1 -display none -nodefaults -no-user-config \
		-serial "file:$T/$n.log" -drive "if=none,id=d0,file=$T/$n.qcow2,format=qcow2" \
		-device virtio-blk-pci,drive=d0,bootindex=0 "$@" >"$T/$n.qemu" 2>&1 &
	QPIDS="$QPIDS $!"
}
cp /usr/share/OVMF/OVMF_VARS_4M.fd "$T/vars.fd"
t0=$(date +%s)
boot bios
boot uefi -drive if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd \
	-drive "if=pflash,format=raw,unit=1,file=$T/vars.fd"
bios_s="" uefi_s=""
while [ $(($(date +%s) - t0)) -lt "$BOOT_TIMEOUT" ]; do
	[ -z "$bios_s" ] && grep -aq 'login:' "$T/bios.log" && bios_s=$(($(date +%s) - t0))
	[ -z "$uefi_s" ] && grep -aq 'login:' "$T/uefi.log" && uefi_s=$(($(date +%s) - t0))
	[ -n "$bios_s" ] && [ -n "$uefi_s" ] && break
	sleep 1
done
for p in $QPIDS; do kill "$p" 2>/dev/null; done
wait 2>/dev/null
QPIDS=""
check "SeaBIOS: GRUB, the kernel and systemd reach the login prompt on the serial console" test -n "$bios_s"
[ -n "$bios_s" ] || tail -n 5 "$T/bios.log" | sed 's/^/  bios: /'
check "UEFI (OVMF): the same" test -n "$uefi_s"
[ -n "$uefi_s" ] || tail -n 5 "$T/uefi.log" | sed 's/^/  uefi: /'
check "cloud-init ran (NoCloud/None)" grep -aq 'cloud-init' "$T/bios.log"
echo "# boot to login under TCG, two VMs at once on $(nproc) cores: BIOS ${bios_s:-timeout} s, UEFI ${uefi_s:-timeout} s"
check "the image stayed pristine (qemu-img check, still read-only)" qemu-img check -q -f qcow2 "$IMG/disk.qcow2"

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
bad "import refuses a bad name" "invalid image name" "$HV" image import "$T/disk.raw" -x
bad "import of a missing file" "No such file" "$HV" image import "$T/nonexistent" e5
bad "info of an unknown image" "no image named 'nope'" "$HV" image info nope

# --- rm: refused while a VM uses the image ---
"$HV" create usr --disk-from "$HV_HOME/images/imp1/disk.qcow2,format=qcow2" >/dev/null 2>&1
if [ -d "$HV_HOME/vms/usr" ]; then
	bad "rm is refused while a VM uses the image, naming it" "in use by: usr" "$HV" image rm imp1
	"$HV" delete usr >/dev/null
fi
check "rm removes an unused image" "$HV" image rm imp1
check "  and its folder is gone" test ! -e "$HV_HOME/images/imp1"
done_testing
