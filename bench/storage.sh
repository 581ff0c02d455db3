#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# bench/storage.sh - how long do hv's storage operations take: clones and
# snapshots, against the plain commands a user would otherwise run.
#
#   1. Linked clone, independent of disk size.  Two stopped VMs with a 1 GiB
#      and a 20 GiB qcow2 disk, each holding 200 MiB of non-zero data
#      (written with qemu-io while the VM is stopped).  `hv clone SRC DST
#      --linked` is timed RUNS times per size.  A linked clone makes the
#      source's disk a read-only base and puts a fresh overlay on it, so
#      its cost should not depend on the size or the data of the disk.
#      The notes say how many base files and how deep a backing chain the
#      source is left with after the clones were deleted again.
#   2. Full clone of a 1 GiB disk with all of it used (1 GiB of non-zero
#      data written with qemu-io).  `hv clone SRC DST` (full) against the
#      peers a user would type: `cp --sparse=always` of the qcow2 file and
#      `qemu-img convert -O qcow2`.  Neither of these makes its copy durable
#      (cp never fsyncs; qemu-img convert's destination cache mode defaults
#      to "unsafe", which skips every flush), while hv fsyncs what it writes,
#      so each has a durable twin too: `cp` followed by `sync FILE`, and
#      `qemu-img convert -t writeback`.  The filesystem is synced before every
#      timed run (untimed) so that no run pays for the previous one's dirty
#      pages, and the rows run round-robin so a slow spell of the host hits
#      them alike.  The script also reports whether the filesystem can
#      reflink (FICLONE, tried with `cp --reflink=always`), which copy method
#      hv actually used (one untimed `hv clone` under strace, if strace is
#      installed: FICLONE ioctl, copy_file_range or a qemu-img run), and
#      checks once that hv's clone holds the same data (`qemu-img compare`).
#   3. Snapshots of a running VM (512 MiB RAM, 256 MiB disk).  Once the
#      guest's shell prompt is on the console, `hv snapshot create` is timed
#      RUNS times (each snapshot holds the memory and device state) and then
#      `hv snapshot revert` RUNS times (each resumes the VM from that state).
#      The vmstate size comes from `hv snapshot list --json`.  There is no
#      like-for-like peer (hv keeps the VM state in a file beside internal
#      disk snapshots; QEMU's HMP savevm keeps it inside the qcow2), but
#      QEMU's own `savevm` on the same running VM (sent over QMP as
#      human-monitor-command, round trip only) is the figure to beat: the
#      target is hv <= savevm + 50 ms.  As a reference for the disk part
#      only, `qemu-img snapshot -c` on the stopped disk is timed too.
#
# Every figure is wall clock taken with bash's $EPOCHREALTIME around the one
# command, in milliseconds: the median of RUNS runs (default 5), with the
# minimum and maximum.  Deleting clones, copies and snapshots between runs
# is outside the timed span.  Everything happens in a private HV_HOME under
# a private temporary folder (so all copies are on the same filesystem), and
# every VM is named bs*; an EXIT trap deletes the VMs and the folder, even
# on failure.  The page cache is not dropped: the figures are warm-cache.
#
# Usage: bench/storage.sh        (as root; run `make` first)
# Environment: RUNS (default 5); HV_QEMU as for hv itself.

set -u
export LC_ALL=C # $EPOCHREALTIME's decimal point must be '.'

ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd) || exit 1
HV=$ROOT/build/hv
GUEST=$ROOT/build/guest
RUNS=${RUNS:-5}
BOOT_TIMEOUT=90 # seconds until the guest's prompt must be on the console

die() { printf 'storage.sh: %s\n' "$*" >&2; exit 1; }
note() { printf 'storage.sh: %s\n' "$*" >&2; }

[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive integer"
[[ $(id -u) == 0 ]] || die "must run as root (hv's VMs, qemu-io on their disks)"
[[ -x $HV ]] || die "$HV is missing: run make first"
[[ -d $GUEST && -r $GUEST/vmlinux && -r $GUEST/initramfs.cpio ]] || die "$GUEST is missing or incomplete: run make first"
for t in qemu-img qemu-io; do
	command -v "$t" >/dev/null || die "$t not found (apt-get install qemu-utils)"
done
[[ -n ${EPOCHREALTIME:-} ]] || die "needs bash >= 5 (\$EPOCHREALTIME)"

SCRIPT_T0=$EPOCHREALTIME
TMP=$(mktemp -d "${TMPDIR:-/tmp}/hv-bench-storage.XXXXXX") || die "mktemp failed"
mkdir -m 0700 "$TMP/home" "$TMP/out" || die "cannot populate $TMP"
export HV_HOME=$TMP/home
VMS=$HV_HOME/vms

# ---------------------------------------------------------------- cleanup

CREATED=() # every VM this script created, in order

cleanup() {
	local rc=$? i name
	trap - EXIT INT TERM HUP
	# newest first: clones go before the sources they are linked to
	for ((i = ${#CREATED[@]} - 1; i >= 0; i--)); do
		name=${CREATED[i]}
		[[ -d $VMS/$name ]] || continue
		"$HV" delete --force "$name" >/dev/null 2>&1 ||
			"$HV" delete --force --flatten-clones "$name" >/dev/null 2>&1 ||
			note "cleanup: could not delete VM $name"
	done
	rm -rf -- "$TMP"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# hv_create NAME ARGS...: define a VM and remember it for the cleanup
hv_create() {
	local name=$1
	shift
	"$HV" create "$name" "$@" >/dev/null || die "hv create $name $* failed"
	CREATED+=("$name")
}

# ---------------------------------------------------------------- timing

declare -A SAMPLES # row -> space-separated durations in microseconds
ROWS=()            # rows in order of first appearance
declare -A NOTES   # row -> text for the notes column

now_us() { local t=$EPOCHREALTIME; echo $((10#${t%.*} * 1000000 + 10#${t#*.})); }

# timed ROW CMD...: run CMD once, add its wall time to ROW; die if it fails
timed() {
	local row=$1 t0 t1 s0 s1 rc
	shift
	s0=$EPOCHREALTIME
	"$@" >/dev/null 2>"$TMP/err"
	rc=$?
	s1=$EPOCHREALTIME
	if ((rc != 0)); then
		note "'$*' failed (exit $rc):"
		cat "$TMP/err" >&2
		exit 1
	fi
	t0=$((10#${s0%.*} * 1000000 + 10#${s0#*.}))
	t1=$((10#${s1%.*} * 1000000 + 10#${s1#*.}))
	[[ -n ${SAMPLES[$row]+x} ]] || ROWS+=("$row")
	SAMPLES[$row]+="$((t1 - t0)) "
}

# us_to_ms US: microseconds as milliseconds with one decimal
us_to_ms() { printf '%d.%d' $(($1 / 1000)) $((($1 % 1000) / 100)); }

# stats ROW: "median min max" in microseconds
stats() {
	local -a v
	mapfile -t v < <(tr ' ' '\n' <<<"${SAMPLES[$1]}" | grep . | sort -n)
	local n=${#v[@]} med
	if ((n % 2)); then med=${v[n / 2]}; else med=$(((v[n / 2 - 1] + v[n / 2]) / 2)); fi
	echo "$med ${v[0]} ${v[n - 1]}"
}
median_us() { local m; read -r m _ < <(stats "$1"); echo "$m"; }

# ratio A B: A/B with two decimals (integers)
ratio() { (($2 > 0)) && printf '%d.%02d' $(($1 / $2)) $((($1 % $2) * 100 / $2)) || echo "n/a"; }

mib() { echo $((($1 + 524288) / 1048576)); }
alloc_bytes() { echo $(($(stat -c '%b * %B' "$1"))); }

# ---------------------------------------------------------------- 1. linked clones

note "1/3 linked clones of a 1G and a 20G disk, 200 MiB used each, $RUNS runs each"
for size in 1 20; do
	src=bsl$size
	hv_create "$src" --disk "${size}G" --nic none
	qemu-io -f qcow2 -c "write -P 0x5a 0 200M" "$VMS/$src/disk0.qcow2" >/dev/null ||
		die "qemu-io could not write into $src's disk"
done
for ((i = 1; i <= RUNS; i++)); do
	for size in 1 20; do
		src=bsl$size dst=bsl$size-c$i
		CREATED+=("$dst")
		timed "hv clone --linked (${size}G disk, 200M used)" "$HV" clone "$src" "$dst" --linked
		"$HV" delete --force "$dst" >/dev/null 2>"$TMP/err" || { cat "$TMP/err" >&2; die "hv delete $dst failed"; }
	done
done
# what repeated linked clones leave behind in the source's folder
declare -A LINKED_NOTE
for size in 1 20; do
	src=bsl$size
	nbase=$(find "$VMS/$src" -maxdepth 1 -name 'disk0.base-*.qcow2' | wc -l)
	depth=$(qemu-img info -U --backing-chain "$VMS/$src/disk0.qcow2" 2>/dev/null | grep -c '^image:')
	LINKED_NOTE[$size]="after $RUNS clones+deletes: $nbase base file(s) kept, chain depth $depth"
done
m1=$(median_us "hv clone --linked (1G disk, 200M used)")
m20=$(median_us "hv clone --linked (20G disk, 200M used)")
NOTES["hv clone --linked (1G disk, 200M used)"]="${LINKED_NOTE[1]}"
NOTES["hv clone --linked (20G disk, 200M used)"]="20G/1G = $(ratio "$m20" "$m1"); ${LINKED_NOTE[20]}"

# ---------------------------------------------------------------- 2. full clones

note "2/3 full clone of a 1G disk with 1 GiB used vs cp and qemu-img convert, $RUNS runs each"
hv_create bsf --disk 1G --nic none
FDISK=$VMS/bsf/disk0.qcow2
qemu-io -f qcow2 -c "write -P 0x5a 0 1G" "$FDISK" >/dev/null || die "qemu-io could not fill bsf's disk"
FSIZE=$(stat -c %s "$FDISK")
FALLOC=$(alloc_bytes "$FDISK")
FSTYPE=$(stat -f -c %T "$TMP/out")
if cp --reflink=always "$FDISK" "$TMP/out/reflink-test" 2>/dev/null; then
	REFLINK="yes"
	# a reflink copy for the record (FICLONE shares the extents: near 0 ms)
	rm -f "$TMP/out/reflink-test"
	for ((i = 1; i <= RUNS; i++)); do
		timed "cp --reflink=always (peer)" cp --reflink=always "$FDISK" "$TMP/out/rl.qcow2"
		rm -f "$TMP/out/rl.qcow2"
	done
else
	REFLINK="no"
	rm -f "$TMP/out/reflink-test"
fi
R_HV="hv clone (full, 1G disk, 1G used)"
R_CP="cp --sparse=always (peer)"
R_CPS="cp --sparse=always + sync FILE (peer)"
R_QI="qemu-img convert -O qcow2 (peer)"
R_QIW="qemu-img convert -t writeback -O qcow2 (peer)"
# which copy method does hv use here?  One untimed clone under strace.
HOW="not traced (no strace)"
if command -v strace >/dev/null; then
	CREATED+=(bsf-probe)
	strace -f -e trace=ioctl,copy_file_range,execve -o "$TMP/strace" "$HV" clone bsf bsf-probe >/dev/null 2>&1 ||
		die "hv clone bsf bsf-probe (under strace) failed"
	if grep -q 'execve("[^"]*qemu-img", \["[^"]*", "convert"' "$TMP/strace"; then
		HOW="hv ran qemu-img convert"
	elif grep -q 'FICLONE.* = 0' "$TMP/strace"; then
		HOW="hv reflinked (FICLONE)"
	elif grep -q 'FICLONE' "$TMP/strace"; then
		HOW="hv tried FICLONE ($(grep -o 'FICLONE.*= -1 [A-Z]*' "$TMP/strace" | head -1 | sed 's/.*= -1 //')), then copied"
		grep -q copy_file_range "$TMP/strace" && HOW+=" with copy_file_range"
	else
		HOW="hv copied without FICLONE or qemu-img"
	fi
	"$HV" delete --force bsf-probe >/dev/null 2>&1 || die "hv delete bsf-probe failed"
fi
for ((i = 1; i <= RUNS; i++)); do
	CREATED+=("bsf-c$i")
	sync -f "$TMP/out"
	timed "$R_HV" "$HV" clone bsf "bsf-c$i"
	if ((i == 1)); then
		CLONE=$VMS/bsf-c1/disk0.qcow2
		CLONE_ALLOC=$(alloc_bytes "$CLONE")
		if qemu-img compare -q "$FDISK" "$CLONE"; then SAME="same data"; else SAME="DATA DIFFERS"; fi
	fi
	"$HV" delete --force "bsf-c$i" >/dev/null 2>"$TMP/err" || { cat "$TMP/err" >&2; die "hv delete bsf-c$i failed"; }
	sync -f "$TMP/out"
	timed "$R_CP" cp --sparse=always "$FDISK" "$TMP/out/cp.qcow2"
	rm -f "$TMP/out/cp.qcow2"
	sync -f "$TMP/out"
	# shellcheck disable=SC2016 # $1 and $2 are the inner shell's
	timed "$R_CPS" sh -c 'cp --sparse=always "$1" "$2" && sync "$2"' sh "$FDISK" "$TMP/out/cps.qcow2"
	rm -f "$TMP/out/cps.qcow2"
	sync -f "$TMP/out"
	timed "$R_QI" qemu-img convert -O qcow2 "$FDISK" "$TMP/out/conv.qcow2"
	rm -f "$TMP/out/conv.qcow2"
	sync -f "$TMP/out"
	timed "$R_QIW" qemu-img convert -t writeback -O qcow2 "$FDISK" "$TMP/out/convw.qcow2"
	rm -f "$TMP/out/convw.qcow2"
done
mhv=$(median_us "$R_HV")
NOTES[$R_HV]="$HOW; qcow2 $(mib "$FSIZE") MiB ($(mib "$FALLOC") MiB allocated), clone $(mib "$CLONE_ALLOC") MiB allocated, $SAME"
NOTES[$R_CP]="hv/cp = $(ratio "$mhv" "$(median_us "$R_CP")") (cp does not fsync)"
NOTES[$R_CPS]="hv/(cp+sync) = $(ratio "$mhv" "$(median_us "$R_CPS")")"
NOTES[$R_QI]="hv/qemu-img = $(ratio "$mhv" "$(median_us "$R_QI")") (default -t unsafe: never flushes)"
NOTES[$R_QIW]="hv/qemu-img -t writeback = $(ratio "$mhv" "$(median_us "$R_QIW")") (flushed)"
[[ $REFLINK == yes ]] && NOTES["cp --reflink=always (peer)"]="the filesystem ($FSTYPE) shares extents"

# ---------------------------------------------------------------- 3. snapshots

note "3/3 snapshots of a running 512M VM, $RUNS creates and $RUNS reverts"
hv_create bss --memory 512M --disk 256M --nic none
LOG=$VMS/bss/console.log
LOG_OFF=$(stat -c %s "$LOG" 2>/dev/null || echo 0)
"$HV" start bss >/dev/null 2>"$TMP/err" || { cat "$TMP/err" >&2; die "hv start bss failed"; }
BOOT_T0=$(now_us)
booted=0
while (($(now_us) - BOOT_T0 < BOOT_TIMEOUT * 1000000)); do
	if [[ -r $LOG ]] && tail -c +"$((LOG_OFF + 1))" "$LOG" 2>/dev/null | grep -q 'bss:~#'; then
		booted=1
		break
	fi
	sleep 0.05
done
((booted)) || die "the guest of bss showed no 'bss:~#' prompt within ${BOOT_TIMEOUT}s (see $LOG)"
BOOT_MS=$(us_to_ms $(($(now_us) - BOOT_T0)))
ACCEL=$("$HV" info bss --json 2>/dev/null | sed -n 's/.*"accel": *"\([a-z]*\)".*/\1/p' | head -1)

R_SC="hv snapshot create (running, 512M RAM)"
R_SR="hv snapshot revert (to a running state)"
R_SV="QEMU savevm (HMP over QMP, same VM, peer)"
# QEMU's own savevm on the same running VM: memory into the qcow2 with
# internal disk snapshots, timed from sending the command to its reply
# (hv's figure also pays for starting hv, the lock and the QMP handshake).
# Each is deleted again (delvm, untimed) so that hv's runs see the same disk.
cat >"$TMP/savevm.py" <<'PY'
import json, socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); f = s.makefile("rw")
def cmd(c, **a):
    f.write(json.dumps({"execute": c, "arguments": a} if a else {"execute": c}) + "\n"); f.flush()
    while True:
        m = json.loads(f.readline())
        if "return" in m or "error" in m:
            if "error" in m or (isinstance(m["return"], str) and m["return"].strip()):
                sys.exit("%s: %s" % (c, m))
            return
json.loads(f.readline()); cmd("qmp_capabilities")
t0 = time.monotonic(); cmd("human-monitor-command", **{"command-line": "savevm " + sys.argv[2]})
print(int((time.monotonic() - t0) * 1e6))
cmd("human-monitor-command", **{"command-line": "delvm " + sys.argv[2]})
PY
# add_sample ROW MICROSECONDS
add_sample() {
	[[ -n ${SAMPLES[$1]+x} ]] || ROWS+=("$1")
	SAMPLES[$1]+="$2 "
}
for ((i = 1; i <= RUNS; i++)); do
	timed "$R_SC" "$HV" snapshot create bss "s$i"
	us=$(python3 "$TMP/savevm.py" "$VMS/bss/qmp.sock" "qs$i" 2>"$TMP/err") || { cat "$TMP/err" >&2; die "savevm failed"; }
	add_sample "$R_SV" "$us"
done
for ((i = 1; i <= RUNS; i++)); do
	timed "$R_SR" "$HV" snapshot revert bss "s$i"
done
# is the reverted VM running, and does its guest answer?
STATE=$("$HV" info bss --json 2>/dev/null | sed -n 's/.*"state": *"\([a-z]*\)".*/\1/p' | head -1)
# shellcheck disable=SC2016 # the guest's shell computes 42
if printf 'echo bs-alive-$((6*7))\n' | timeout 10 "$HV" console bss 2>/dev/null | grep -q 'bs-alive-42'; then
	ALIVE="guest answers"
else
	ALIVE="guest DID NOT answer on the console"
fi
VMSTATE=$("$HV" snapshot list bss --json | tr -d ' \n' | grep -o '"vmstate_bytes":[0-9]*' | head -1 | cut -d: -f2)
VMSTATE_FILE=$(stat -c %s "$VMS/bss/snapshots/s1/vmstate" 2>/dev/null || echo "?")
NOTES[$R_SC]="vmstate $(mib "${VMSTATE:-0}") MiB (vmstate_bytes ${VMSTATE:-?}, file ${VMSTATE_FILE} B); $ACCEL"
NOTES[$R_SR]="after the reverts: state $STATE, $ALIVE"
d=$(($(median_us "$R_SC") - $(median_us "$R_SV")))
((d < 0)) && d_ms="-$(us_to_ms $((-d)))" || d_ms=$(us_to_ms "$d")
NOTES[$R_SV]="target hv <= savevm + 50 ms: hv - savevm = $d_ms ms ($( ((d <= 50000)) && echo met || echo MISSED))"

# reference for the disk part: an internal qcow2 snapshot of the stopped disk
"$HV" kill bss >/dev/null 2>&1 || "$HV" stop --force bss >/dev/null 2>&1
R_QS="qemu-img snapshot -c (stopped disk, ref.)"
for ((i = 1; i <= RUNS; i++)); do
	timed "$R_QS" qemu-img snapshot -c "ref$i" "$VMS/bss/disk0.qcow2"
	qemu-img snapshot -d "ref$i" "$VMS/bss/disk0.qcow2" || die "qemu-img snapshot -d ref$i failed"
done
NOTES[$R_QS]="disk part only, no VM state"

# ---------------------------------------------------------------- summary

TOTAL_MS=$(us_to_ms $(($(now_us) - 10#${SCRIPT_T0%.*} * 1000000 - 10#${SCRIPT_T0#*.})))
echo
echo "hv storage benchmark: $RUNS runs per row, wall clock in ms (median, min, max); $(uname -r), $(nproc) CPUs"
echo "filesystem: $FSTYPE, reflink (FICLONE): $REFLINK; guest of bss booted to its prompt in $BOOT_MS ms ($ACCEL)"
echo
printf '| %s | %s | %s | %s | %s |\n' "operation" "median ms" "min" "max" "notes"
printf '|---|---:|---:|---:|---|\n'
for row in "${ROWS[@]}"; do
	read -r med min max < <(stats "$row")
	printf '| %s | %s | %s | %s | %s |\n' "$row" "$(us_to_ms "$med")" "$(us_to_ms "$min")" "$(us_to_ms "$max")" \
		"${NOTES[$row]:-}"
done
echo
echo "total script time: $TOTAL_MS ms"
