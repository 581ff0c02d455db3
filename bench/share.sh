#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# bench/share.sh - throughput of a shared folder (virtio-fs, virtiofsd)
# seen from the guest, next to the host's own file system on the same
# files, and the guest's own RAM (tmpfs) as the limit of the guest's side
# under TCG.  Each row moves SIZE_MB (default 64) MiB with dd bs=1M:
#
#   share read     guest: dd a file the host wrote, from /mnt/bench
#   share write    guest: dd from /dev/zero into /mnt/bench, conv=fsync
#   guest tmpfs write / read   guest: the same into and out of /tmp (RAM)
#   host read      host: dd the same file (in the host's page cache, as
#                  virtiofsd reads it)
#   host write     host: dd into the same folder, conv=fsync
#
# Every run is a fresh `hv run --memory 512M --share DIR:bench` (one boot
# measures all guest rows); the guest times with /proc/uptime (10 ms
# steps, well below the times measured).  The figures are medians of RUNS
# (default 5) runs, in MB/s (10^6 bytes per second).
#
# Usage: bench/share.sh    Environment: RUNS, SIZE_MB, BENCH_DIR (the
# shared folder's parent, default /var/tmp: a disk, not tmpfs).

set -u
export LC_ALL=C
ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd) || exit 1
HV=$ROOT/build/hv
RUNS=${RUNS:-5}
SIZE_MB=${SIZE_MB:-64}
die() { printf 'share.sh: %s\n' "$*" >&2; exit 1; }
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive integer"
[[ $SIZE_MB =~ ^[1-9][0-9]*$ ]] || die "SIZE_MB must be a positive integer"
[[ -x $HV ]] || die "$HV is missing: run make first"

work=$(mktemp -d "${BENCH_DIR:-/var/tmp}/hv-bench-share.XXXXXX") || die "cannot make a folder"
export HV_HOME=$work/home
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/share"
dd if=/dev/urandom of="$work/share/data.bin" bs=1M count="$SIZE_MB" status=none || die "cannot write the data"

# milliseconds since the epoch, without a fork
now_ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }
# MB/s for SIZE_MB MiB in $1 ms
rate() { awk -v ms="$1" -v mb="$SIZE_MB" 'BEGIN { if (ms <= 0) ms = 1; printf "%.0f", mb * 1048576 / 1e6 / (ms / 1000) }'; }
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

guest_script='
now() { read u _ </proc/uptime; echo ${u%.*}${u#*.}0; }
t() { a=$(now); "$@" 2>/dev/null || echo FAILED; b=$(now); echo "$1 $((b - a))"; }
t dd if=/mnt/bench/data.bin of=/dev/null bs=1M
t dd if=/dev/zero of=/mnt/bench/guest.bin bs=1M count='$SIZE_MB' conv=fsync
t dd if=/dev/zero of=/tmp/t.bin bs=1M count='$SIZE_MB'
t dd if=/tmp/t.bin of=/dev/null bs=1M'

declare -a share_r share_w tmp_w tmp_r host_r host_w
for ((i = 0; i < RUNS; i++)); do
	out=$("$HV" run --memory 512M --share "$work/share:bench" -- sh -c "$guest_script" 2>&1) || die "hv run failed: $out"
	[[ $out == *FAILED* ]] && die "a dd failed in the guest: $out"
	mapfile -t ms < <(echo "$out" | awk '$1 == "dd" { print $2 }')
	[ ${#ms[@]} -eq 4 ] || die "unexpected guest output: $out"
	share_r+=("$(rate "${ms[0]}")")
	share_w+=("$(rate "${ms[1]}")")
	tmp_w+=("$(rate "${ms[2]}")")
	tmp_r+=("$(rate "${ms[3]}")")
	t0=$(now_ms)
	dd if="$work/share/data.bin" of=/dev/null bs=1M status=none
	t1=$(now_ms)
	dd if=/dev/zero of="$work/share/host.bin" bs=1M count="$SIZE_MB" conv=fsync status=none
	t2=$(now_ms)
	host_r+=("$(rate $((t1 - t0)))")
	host_w+=("$(rate $((t2 - t1)))")
	rm -f "$work/share/host.bin" "$work/share/guest.bin"
done

echo "$SIZE_MB MiB with dd bs=1M, medians of $RUNS runs ($(nproc) CPUs, guest under $(grep -qwE 'vmx|svm' /proc/cpuinfo && [ ! -e /sys/module/kvm_pvm ] && echo KVM || echo TCG))"
printf '%-34s %8s MB/s   (runs: %s)\n' "guest: read from the share" "$(printf '%s\n' "${share_r[@]}" | median)" "${share_r[*]}"
printf '%-34s %8s MB/s   (runs: %s)\n' "guest: write to the share (fsync)" "$(printf '%s\n' "${share_w[@]}" | median)" "${share_w[*]}"
printf '%-34s %8s MB/s   (runs: %s)\n' "guest: write to its tmpfs" "$(printf '%s\n' "${tmp_w[@]}" | median)" "${tmp_w[*]}"
printf '%-34s %8s MB/s   (runs: %s)\n' "guest: read from its tmpfs" "$(printf '%s\n' "${tmp_r[@]}" | median)" "${tmp_r[*]}"
printf '%-34s %8s MB/s   (runs: %s)\n' "host: read the same file" "$(printf '%s\n' "${host_r[@]}" | median)" "${host_r[*]}"
printf '%-34s %8s MB/s   (runs: %s)\n' "host: write to the folder (fsync)" "$(printf '%s\n' "${host_w[@]}" | median)" "${host_w[*]}"
