#!/bin/sh
# SPDX-License-Identifier: MIT
# Build hv's default guest from Debian packages, without installing them:
#   OUT/vmlinux         the PVH-bootable kernel, unpacked from Debian's vmlinuz
#   OUT/vmlinuz         the kernel as Debian ships it (bzImage; used by benchmarks)
#   OUT/initramfs.cpio  busybox-static, hv's init and the virtio/ACPI modules
# Downloads and unpacked packages are cached in $HV_CACHE (default
# /var/cache/hv as root, ~/.cache/hv otherwise), outside the repository.
# usage: guest/build.sh INIT_BINARY OUT_DIR
set -eu

init_bin=$1
out=$2
if [ -n "${HV_CACHE:-}" ]; then cache=$HV_CACHE
elif [ "$(id -u)" = 0 ]; then cache=/var/cache/hv
else cache=${XDG_CACHE_HOME:-$HOME/.cache}/hv
fi
debs=$cache/debs
mkdir -p "$debs" "$out"

say() { echo "guest: $*" >&2; }
die() { echo "guest: error: $*" >&2; exit 1; }

# Download PACKAGE into the cache once; print the .deb's path.
fetch() {
	pkg=$1
	found=$(ls "$debs/${pkg}_"*.deb 2>/dev/null | tail -n 1 || true)
	if [ -z "$found" ]; then
		say "downloading $pkg"
		if ! (cd "$debs" && apt-get download -q "$pkg" >/dev/null 2>&1); then
			# a fresh machine (or container) may have no package lists yet
			[ "$(id -u)" = 0 ] && apt-get update -q >/dev/null 2>&1
			(cd "$debs" && apt-get download -q "$pkg" >/dev/null 2>&1) ||
				die "apt-get download $pkg failed (is the Debian mirror reachable? try: apt-get update)"
		fi
		found=$(ls "$debs/${pkg}_"*.deb 2>/dev/null | tail -n 1)
	fi
	[ -n "$found" ] || die "no .deb for $pkg"
	echo "$found"
}

# Unpack a .deb once into the cache; print the folder.
unpack() {
	dir=$cache/unpacked/$(basename "$1" .deb)
	if [ ! -f "$dir/.done" ]; then
		rm -rf "$dir"
		mkdir -p "$dir"
		dpkg-deb -x "$1" "$dir"
		touch "$dir/.done"
	fi
	echo "$dir"
}

# The meta package only names the versioned kernel package in Depends.
meta=$(fetch linux-image-cloud-amd64)
kpkg=$(dpkg-deb -f "$meta" Depends | tr ',' '\n' | sed -n 's/^ *\(linux-image-[0-9][^ ]*\).*/\1/p' | head -n 1)
[ -n "$kpkg" ] || die "cannot find the kernel package in $(basename "$meta")'s Depends"
kver=${kpkg#linux-image-}
kdir=$(unpack "$(fetch "$kpkg")")
bbdir=$(unpack "$(fetch busybox-static)")
vmlinuz=$kdir/boot/vmlinuz-$kver
[ -f "$vmlinuz" ] || die "$vmlinuz missing from $kpkg"

# The package ships no modules.dep (its postinst runs depmod): make one.
if [ ! -f "$kdir/lib/modules/$kver/modules.dep" ]; then
	depmod -b "$kdir" "$kver" || die "depmod failed on $kpkg"
fi

# vmlinuz is a bzImage whose payload is an LZ4 (legacy frame) compressed
# ELF vmlinux with a PVH entry note: QEMU boots that ELF directly and skips
# the decompressor.  Find the LZ4 magic, decompress, check it is an ELF.
if [ ! -f "$cache/vmlinux-$kver" ]; then
	say "extracting the PVH vmlinux from $(basename "$vmlinuz")"
	off=$(LC_ALL=C grep -abo "$(printf '\002\041\114\030')" "$vmlinuz" | head -n 1 | cut -d: -f1)
	[ -n "$off" ] || die "no LZ4 payload in $vmlinuz"
	tail -c +$((off + 1)) "$vmlinuz" | lz4 -dc >"$cache/vmlinux-$kver.tmp" 2>/dev/null || true
	[ "$(head -c 4 "$cache/vmlinux-$kver.tmp" | od -An -c | tr -d ' ')" = '177ELF' ] ||
		die "the LZ4 payload of $vmlinuz is not an ELF kernel"
	mv "$cache/vmlinux-$kver.tmp" "$cache/vmlinux-$kver"
fi
cp "$cache/vmlinux-$kver" "$out/vmlinux.tmp" && mv "$out/vmlinux.tmp" "$out/vmlinux"
cp "$vmlinuz" "$out/vmlinuz.tmp" && mv "$out/vmlinuz.tmp" "$out/vmlinuz"
echo "$kver" >"$out/kernel.release"

# The initramfs.
stage=$(mktemp -d "${TMPDIR:-/tmp}/hv-initramfs.XXXXXX")
chmod 0755 "$stage" # the root folder: other users (hv exec --user) must reach /bin
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin" "$stage/sbin" "$stage/usr/bin" "$stage/usr/sbin" "$stage/etc" "$stage/root" \
	"$stage/proc" "$stage/sys" "$stage/dev" "$stage/run" "$stage/tmp" "$stage/mnt" "$stage/lib/modules/$kver"
cp "$bbdir/bin/busybox" "$stage/bin/busybox"
for applet in $("$stage/bin/busybox" --list-full); do
	[ "$applet" = bin/busybox ] && continue
	[ -e "$stage/$applet" ] || ln -s /bin/busybox "$stage/$applet"
done
cp "$init_bin" "$stage/init"
# files of the guest's root file system kept in the repository
cp -R "$(dirname "$0")/rootfs/." "$stage/"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$stage/etc/passwd"
printf 'root:x:0:\ntty:x:5:\nnogroup:x:65534:\n' >"$stage/etc/group"

# GNU make (busybox has none), so that `hv run --share .:src -- make -C
# /mnt/src` works: make and the parts of glibc it links (ld.so, libc,
# libdl), from the same Debian release as the kernel.
makedir=$(unpack "$(fetch make)")
libcdir=$(unpack "$(fetch libc6)")
[ -x "$makedir/usr/bin/make" ] || die "no /usr/bin/make in the make package"
mkdir -p "$stage/lib64" "$stage/lib/x86_64-linux-gnu"
cp "$makedir/usr/bin/make" "$stage/usr/bin/make"
for lib in ld-linux-x86-64.so.2 libc.so.6 libdl.so.2; do
	found=$(find "$libcdir" -name "$lib" \( -type f -o -type l \) | head -n 1)
	[ -n "$found" ] || die "$lib missing from the libc6 package"
	cp -L "$found" "$stage/lib/x86_64-linux-gnu/$lib"
done
ln -s /lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 "$stage/lib64/ld-linux-x86-64.so.2"

# Modules: the virtio transports and devices, pvpanic (crash reporting),
# the ACPI button and evdev (graceful stop), virtiofs (shared folders),
# with all their dependencies.
want="virtio_mmio virtio_pci virtio_blk virtio_net virtio_console virtio_rng virtio_balloon virtiofs pvpanic_mmio pvpanic_pci button evdev"
mdir=$kdir/lib/modules/$kver
closure=""
add_module() {
	path=$(awk -v m="$1" '{ p = $1; sub(":$", "", p); n = p; sub(".*/", "", n); sub("\\.ko.*$", "", n); gsub("-", "_", n); if (n == m) { print p; exit } }' "$mdir/modules.dep")
	[ -n "$path" ] || die "module $1 not found in $kpkg"
	case " $closure " in *" $path "*) return ;; esac
	closure="$closure $path"
	for dep in $(grep "^$path:" "$mdir/modules.dep" | cut -d: -f2); do
		n=$(basename "$dep"); n=${n%%.ko*}
		add_module "$(echo "$n" | tr - _)"
	done
}
for m in $want; do add_module "$m"; done
for path in $closure; do
	mkdir -p "$stage/lib/modules/$kver/$(dirname "$path")"
	cp "$mdir/$path" "$stage/lib/modules/$kver/$path"
done
cp "$mdir/modules.order" "$mdir/modules.builtin" "$mdir/modules.builtin.modinfo" "$stage/lib/modules/$kver/"
depmod -b "$stage" "$kver" || die "depmod failed on the initramfs"

(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --reproducible --quiet) >"$out/initramfs.cpio.tmp"
mv "$out/initramfs.cpio.tmp" "$out/initramfs.cpio"
say "kernel $kver, initramfs $(du -k "$out/initramfs.cpio" | cut -f1) KiB, modules:$(echo "$closure" | wc -w)"
