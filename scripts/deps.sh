#!/bin/sh
# SPDX-License-Identifier: MIT
# Install the Debian packages hv needs to build, test and run, if missing.
# usage: scripts/deps.sh [--check] [--fuzz]   (--fuzz: only what make fuzz needs)
set -eu
if [ "${1:-}" = --fuzz ] || [ "${2:-}" = --fuzz ]; then
	# clang and its libFuzzer runtime (libclang-rt-*-dev comes with clang)
	pkgs="clang"
	[ "${1:-}" = --fuzz ] && shift
else
	pkgs="gcc make pkg-config libc6-dev libcrypt-dev libjson-c-dev libnftables-dev libseccomp-dev nftables dnsmasq-base iproute2 openssh-server qemu-system-x86 qemu-utils kmod cpio lz4 dpkg apt busybox-static podman conmon runc containerd time genisoimage xorriso openssh-client python3-yaml mmdebstrap gdisk e2fsprogs dosfstools mtools grub-common grub-pc-bin grub-efi-amd64-bin ovmf util-linux cloud-image-utils"
	# tests/misc: the zsh and fish completion scripts are parsed by their shells
	pkgs="$pkgs zsh fish"
	# hv ui: its server library; the browser, certificates and HTTP client of tests/web
	pkgs="$pkgs libmicrohttpd-dev chromium openssl curl"
	# node and npm build hv ui's front-end (any install will do: Debian's or NodeSource's)
	command -v npm >/dev/null 2>&1 || pkgs="$pkgs nodejs npm"
fi
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "${1:-}" = --check ]; then
	echo "missing packages:$missing" >&2
	exit 1
fi
if [ "$(id -u)" != 0 ]; then
	echo "hv needs these Debian packages:$missing" >&2
	echo "install them with: sudo apt-get install$missing" >&2
	exit 1
fi
echo "installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >/dev/null
