#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# bench/ctr.sh - how fast is hv-runc, the OCI runtime, against runc on the
# same work in the same run.
#
#   1. The runtime alone: one bundle (a busybox root, the config from
#      `runc spec` with no terminal and a writable root) and `RUNTIME --root
#      DIR run --bundle B ID` of /bin/true: create, start, wait, delete: the
#      whole life of a container.  A whole run is SEQ (default 100) such
#      containers one after the other; REPS (default 5) whole runs per
#      runtime, alternating.  Also the peak RSS of the runtime: GNU time's
#      %M (the largest maximum RSS of the runtime process and the children
#      it waits for, its init among them), the largest of 10 untimed runs;
#      `/usr/bin/time -f %M /bin/true` gives about 1 MiB here.
#   2. The same life cycle taken apart: `create`, `start` (the process is
#      /bin/true, so it ends at once), and `delete`, each timed on its own,
#      RUNS (default 50) times per runtime, alternating.
#   3. podman: `podman run --rm --network none IMAGE true` with
#      --runtime hv-runc and --runtime runc (PODMAN_RUNS runs each,
#      alternating), from a private store.  This adds podman's and conmon's
#      own work, which is the same for both.
#
# Figures: wall clock with bash's $EPOCHREALTIME around the one command, in
# milliseconds: median, minimum and maximum.  crun is tried too and left
# out (with its error) when it refuses the host, as crun 1.8 does on a
# hybrid cgroup v1 host.
#
# Usage: bench/ctr.sh   (as root; run `make` first; needs runc and podman)
# Environment: SEQ (100), REPS (5), RUNS (50), PODMAN_RUNS (10).

set -u
export LC_ALL=C

ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd) || exit 1
HVRUNC=$ROOT/build/hv-runc
RUNS=${RUNS:-50}
SEQ=${SEQ:-100}
REPS=${REPS:-5}
PODMAN_RUNS=${PODMAN_RUNS:-10}
die() { printf 'ctr.sh: %s\n' "$*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "run as root"
[ -x "$HVRUNC" ] || die "no $HVRUNC: run make first"
command -v runc >/dev/null || die "runc is not installed (apt-get install runc)"
[ -x /usr/bin/time ] || die "GNU time is not installed (apt-get install time)"

WORK=$(mktemp -d /var/tmp/hv-bench-ctr.XXXXXX)
cleanup() {
	for rt in hv runc crun; do
		for id in $(ls "$WORK/state-$rt" 2>/dev/null); do
			"$(rt_path $rt)" --root "$WORK/state-$rt" delete --force "$id" >/dev/null 2>&1
		done
	done
	if command -v podman >/dev/null; then
		pod rm -af -t 0 >/dev/null 2>&1
		pod system reset -f >/dev/null 2>&1
		umount -R "$WORK/storage/overlay" 2>/dev/null
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT
rt_path() {
	case $1 in
	hv) echo "$HVRUNC" ;;
	*) command -v "$1" ;;
	esac
}

# the bundle
B=$WORK/bundle
mkdir -p "$B/rootfs"/{bin,etc,proc,sys,dev,tmp}
cp /bin/busybox "$B/rootfs/bin/"
ln -s busybox "$B/rootfs/bin/true"
ln -s busybox "$B/rootfs/bin/sh"
(cd "$B" && runc spec) || die "runc spec failed"
python3 - "$B/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["process"]["terminal"] = False
c["process"]["args"] = ["/bin/true"]
c["root"]["readonly"] = False
json.dump(c, open(sys.argv[1], "w"), indent=1)
PY

now_ms() { echo "${EPOCHREALTIME/./}"; }
# stats FILE: "median min max" of one number per line
stats() {
	sort -n "$1" | awk '{a[NR]=$1} END {m = NR % 2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2; printf "%.1f %.1f %.1f", m, a[1], a[NR]}'
}
# timed FILE COMMAND...: append the command's wall time (ms)
timed() {
	local f=$1 t0 t1
	shift
	t0=$(now_ms)
	"$@" >/dev/null 2>"$WORK/err" </dev/null || { cat "$WORK/err" >&2; return 1; }
	t1=$(now_ms)
	echo "scale=3; ($t1 - $t0) / 1000" | bc >>"$f"
}

runtimes="hv runc"
if command -v crun >/dev/null; then
	mkdir -p "$WORK/state-crun"
	if crun --root "$WORK/state-crun" run --bundle "$B" probe </dev/null >/dev/null 2>"$WORK/crun.err"; then
		runtimes="$runtimes crun"
	else
		crun_note="crun left out: $(head -n 1 "$WORK/crun.err")"
		crun --root "$WORK/state-crun" delete --force probe >/dev/null 2>&1
	fi
fi

echo "== 1. $REPS whole runs of $SEQ sequential \`run\` of /bin/true (create+start+wait+delete)"
# seq_run RUNTIME REP: SEQ containers, one after the other
seq_run() {
	local r i
	r=$(rt_path "$1")
	for ((i = 0; i < SEQ; i++)); do
		"$r" --root "$WORK/state-$1" run --bundle "$B" "s$2-$i" </dev/null >/dev/null || return 1
	done
}
for ((k = 0; k < REPS; k++)); do
	for rt in $runtimes; do
		mkdir -p "$WORK/state-$rt"
		timed "$WORK/seq-$rt" seq_run "$rt" "$k" || die "$rt run failed"
	done
done
for rt in $runtimes; do
	for ((i = 0; i < 10; i++)); do
		/usr/bin/time -f %M "$(rt_path "$rt")" --root "$WORK/state-$rt" run --bundle "$B" "rss$i" \
			</dev/null 2>&1 >/dev/null | tail -n 1
	done | sort -n | tail -n 1 >"$WORK/rss-$rt"
done
echo "== 2. create / start / delete, $RUNS runs each"
for ((i = 0; i < RUNS; i++)); do
	for rt in $runtimes; do
		r=$(rt_path $rt)
		timed "$WORK/create-$rt" "$r" --root "$WORK/state-$rt" create --bundle "$B" "d$i" || die "$rt create failed"
		timed "$WORK/start-$rt" "$r" --root "$WORK/state-$rt" start "d$i" || die "$rt start failed"
		# the process has ended (or is about to): delete waits for it
		for _ in $(seq 100); do
			"$r" --root "$WORK/state-$rt" state "d$i" 2>/dev/null | grep -q '"status": *"stopped"' && break
			sleep 0.01
		done
		timed "$WORK/delete-$rt" "$r" --root "$WORK/state-$rt" delete "d$i" || die "$rt delete failed"
	done
done

pod() {
	podman --root "$WORK/storage" --runroot "$WORK/run" --tmpdir "$WORK/tmp" --cgroup-manager cgroupfs \
		--events-backend file "$@"
}
if command -v podman >/dev/null; then
	echo "== 3. podman run --rm, $PODMAN_RUNS runs each"
	mkdir -p "$WORK/img"
	cp -a "$B/rootfs/." "$WORK/img/"
	tar -C "$WORK/img" -cf "$WORK/img.tar" .
	pod import -q "$WORK/img.tar" localhost/hv-bench:1 >/dev/null || die "podman import failed"
	nofile=$(ulimit -Hn)
	nproc=$(ulimit -Hu)
	[ "$nproc" -gt 32768 ] && nproc=32768
	for ((i = 0; i < PODMAN_RUNS; i++)); do
		for rt in hv runc; do
			timed "$WORK/podman-$rt" pod --runtime "$(rt_path $rt)" run --rm --network none \
				--ulimit "nofile=$nofile:$nofile" --ulimit "nproc=$nproc:$nproc" localhost/hv-bench:1 true ||
				die "podman with $rt failed"
		done
	done
fi

echo
printf '%-22s %-24s %-24s %s\n' "operation (ms)" "hv-runc med (min-max)" "runc med (min-max)" "hv/runc"
for op in seq create start delete podman; do
	[ -s "$WORK/$op-hv" ] || continue
	read -r hm hn hx <<<"$(stats "$WORK/$op-hv")"
	read -r rm rn rx <<<"$(stats "$WORK/$op-runc")"
	label=$op
	[ "$op" = seq ] && label="$SEQ x run (whole)"
	printf '%-22s %-24s %-24s %.2f\n' "$label" "$hm ($hn-$hx)" "$rm ($rn-$rx)" "$(echo "scale=4; $hm / $rm" | bc)"
done
read -r hm _ <<<"$(stats "$WORK/seq-hv")"
read -r rm _ <<<"$(stats "$WORK/seq-runc")"
printf '%-22s %-24s %-24s\n' "per container (ms)" "$(echo "scale=2; $hm / $SEQ" | bc)" "$(echo "scale=2; $rm / $SEQ" | bc)"
printf '%-22s %-24s %-24s %.2f\n' "peak RSS (KiB)" "$(cat "$WORK/rss-hv")" "$(cat "$WORK/rss-runc")" \
	"$(echo "scale=4; $(cat "$WORK/rss-hv") / $(cat "$WORK/rss-runc")" | bc)"
for rt in $runtimes; do
	[ "$rt" = crun ] && printf 'crun: %s ms median per whole run\n' "$(stats "$WORK/seq-crun" | cut -d' ' -f1)"
done
[ -n "${crun_note:-}" ] && echo "$crun_note"
echo "runc: $(runc --version | head -n 1); podman: $(podman --version 2>/dev/null)"
