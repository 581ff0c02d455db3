#!/bin/bash
# SPDX-License-Identifier: MIT
# A small bootable installer-like ISO for the tests: GRUB (BIOS and UEFI,
# grub-mkrescue) around hv's default guest kernel and initramfs, console on
# the serial port.  usage: tests/image/mkiso.bash OUT.iso [NAME]
set -eu
out=$1
name=${2:-isoguest}
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/boot/grub"
cp "$root/build/guest/vmlinuz" "$tmp/boot/vmlinuz"
cp "$root/build/guest/initramfs.cpio" "$tmp/boot/initramfs.cpio"
cat >"$tmp/boot/grub/grub.cfg" <<CFG
serial --unit=0 --speed=115200
terminal_input serial console
terminal_output serial console
set timeout=0
menuentry "hv test installer" {
	linux /boot/vmlinuz console=ttyS0 loglevel=3 panic=-1 cryptomgr.notests hv.mode=service hv.name=$name
	initrd /boot/initramfs.cpio
}
CFG
grub-mkrescue -o "$out" "$tmp" >/dev/null 2>&1
