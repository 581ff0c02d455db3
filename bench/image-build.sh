#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# bench/image-build.sh - how long `hv image build debian-12` takes, phase
# by phase (debootstrap = mmdebstrap with the .deb cache, filesystem = GPT +
# mke2fs -d, bootloader = GRUB for BIOS and UEFI, convert = qemu-img).
# (bench/image.sh times image -> SSH against plain QEMU.)  The .deb cache (/var/cache/hv/apt) is
# warmed by an untimed first build, so the figures are those of a second
# build: the packages come from the cache, the indexes from the mirror.
#
# usage: bench/image-build.sh [RUNS]   (default 3; medians are reported)
set -eu
cd "$(dirname "$0")/.."
RUNS=${1:-3}
HV=$PWD/build/hv
export HV_HOME
HV_HOME=$(mktemp -d /tmp/hv-bench.XXXXXX)
trap 'rm -rf "$HV_HOME"' EXIT
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
phase() { python3 -c "import json,sys; print(json.load(sys.stdin)['phases'].get('$1', 0))"; }

echo "warming the package cache (untimed build)"
"$HV" image build debian-12 --name warm --size 4G --json >/dev/null
"$HV" image rm warm >/dev/null
declare -A P
for ((i = 1; i <= RUNS; i++)); do
	"$HV" image build debian-12 --name b$i --size 8G --json >"$HV_HOME/b$i.json"
	for ph in debootstrap filesystem bootloader convert; do
		P[$ph]+="$(phase $ph <"$HV_HOME/b$i.json") "
	done
	P[total]+="$(python3 -c "import json,sys; print(json.load(sys.stdin)['seconds'])" <"$HV_HOME/b$i.json") "
	"$HV" image rm b$i >/dev/null
done
printf "%-12s %s\n" "phase" "median of $RUNS (s)"
for ph in debootstrap filesystem bootloader convert total; do
	printf "%-12s %s\n" "$ph" "$(echo ${P[$ph]} | tr ' ' '\n' | median)"
done
