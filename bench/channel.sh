#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# bench/channel.sh - moving data into and out of the default guest.
#
#   host pipe      cat FILE | cat >/dev/null on the host: the ceiling.
#   hv exec        a running VM: hv exec VM -- sh -c 'cat >/dev/null' <FILE
#                  (in), hv exec VM -- dd if=/dev/zero bs=64k (out), over
#                  hv's virtio-serial channel through the VM's monitor.
#   hv run         the same in a throwaway VM; the boot is taken out by
#                  subtracting the median of hv run -- true.
#   TCP (slirp)    the same bytes over the VM's NAT NIC to busybox nc in
#                  the guest through a port forward: the path ssh rides on,
#                  without ssh's encryption (the default guest has no sshd,
#                  so this is a floor for ssh's cost).
#   exec latency   hv exec VM -- true on a running VM, and the guest's
#                  round trip alone (EXEC sent to EXIT received, from hv's
#                  --debug trace).
# MB/s are decimal megabytes per second of wall clock, medians of RUNS runs.
#
# Usage: bench/channel.sh   (as root; run `make` first)
# Environment: RUNS (default 5), MB (default 64).
set -u
export LC_ALL=C
ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd) || exit 1
HV=$ROOT/build/hv
RUNS=${RUNS:-5}
MB=${MB:-64}
export HV_HOME=${HV_HOME:-$(mktemp -d /tmp/hv-bench-chan.XXXXXX)}
T=$(mktemp -d /tmp/hv-bench-chan-work.XXXXXX)
trap '"$HV" delete --force bch >/dev/null 2>&1; "$HV" delete --force tr1 >/dev/null 2>&1; rm -rf "$T"' EXIT
now() { echo "${EPOCHREALTIME/./}"; }
median() { python3 -c 'import statistics,sys; print(int(statistics.median([int(x) for x in sys.argv[1:]])))' "$@"; }
rate() { python3 -c "import sys; print('%.1f' % ($MB * 1e6 / 1e6 / (max(int(sys.argv[1]), 1) / 1e6)))" "$1"; }
# time_us CMD...: wall clock of one run in microseconds
time_us() {
	local t0
	t0=$(now)
	"$@" >/dev/null 2>&1
	echo $(($(now) - t0))
}
runs() { # runs CMD...: the median of RUNS timings
	local v=() i
	for ((i = 0; i < RUNS; i++)); do v+=("$(time_us "$@")"); done
	median "${v[@]}"
}
count=$((MB * 1000000 / 65536))
bytes=$((count * 65536))
MB=$(python3 -c "print($bytes / 1e6)")
head -c "$bytes" /dev/urandom >"$T/data"

"$HV" create bch --memory 1G --nic nat >/dev/null || exit 1
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$HV" forward bch add "127.0.0.1:$port:5001" >/dev/null || exit 1
"$HV" start bch >/dev/null || exit 1
"$HV" exec bch -- true || exit 1

pipe_in=$(runs sh -c "cat '$T/data' | cat >/dev/null")
exec_in=$(runs sh -c "'$HV' exec bch -- sh -c 'cat >/dev/null' <'$T/data'")
exec_out=$(runs sh -c "'$HV' exec bch -- dd if=/dev/zero bs=65536 count=$count 2>/dev/null | cat >/dev/null")
run0=$(runs "$HV" run --nic none -- true)
run_in=$(runs sh -c "'$HV' run --nic none -- sh -c 'cat >/dev/null' <'$T/data'")
run_out=$(runs sh -c "'$HV' run --nic none -- dd if=/dev/zero bs=65536 count=$count 2>/dev/null | cat >/dev/null")

# hv run's own loop against a transient VM through the persistent path
# (create, start, exec, kill, delete): what one start path would cost
transient() {
	"$HV" create tr1 --nic none >/dev/null && "$HV" start tr1 >/dev/null && "$HV" exec tr1 -- true &&
		"$HV" kill tr1 >/dev/null && "$HV" delete tr1 >/dev/null
}
trans=$(runs transient)

# TCP over slirp: a listener in the guest, the host connects through the forward
tcp_once() { # tcp_once in|out: busybox nc listens once in the guest
	local t0 t1 pid
	if [ "$1" = in ]; then
		"$HV" exec bch -- sh -c 'nc -l -p 5001 >/dev/null' &
	else
		"$HV" exec bch -- sh -c "dd if=/dev/zero bs=65536 count=$count 2>/dev/null | nc -l -p 5001" &
	fi
	pid=$!
	sleep 1.5
	t0=$(now)
	if [ "$1" = in ]; then
		python3 - "$port" "$T/data" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
with open(sys.argv[2], "rb") as f:
    while True:
        b = f.read(1 << 16)
        if not b:
            break
        s.sendall(b)
s.shutdown(socket.SHUT_WR)
s.recv(1)
PY
	else
		python3 - "$port" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
while s.recv(1 << 16):
    pass
PY
	fi
	t1=$(now)
	wait $pid 2>/dev/null
	echo $((t1 - t0))
}
tcp_runs() {
	local v=() i
	for ((i = 0; i < RUNS; i++)); do v+=("$(tcp_once "$1")"); done
	median "${v[@]}"
}
tcp_in=$(tcp_runs in)
tcp_out=$(tcp_runs out)

# latency: 50 execs of true, next to hv's own start-up (hv --version),
# timed by a Python harness (a bash $(...) per sample costs milliseconds)
read -r lat_med ver_med < <(python3 - "$HV" <<'PY'
import statistics, subprocess, sys, time
def med(argv):
    v = []
    for _ in range(50):
        t = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, check=True)
        v.append((time.perf_counter() - t) * 1e6)
    return int(statistics.median(v))
print(med([sys.argv[1], "exec", "bch", "--", "true"]), med([sys.argv[1], "--version"]))
PY
)

echo "channel throughput, $MB MB, medians of $RUNS runs (TCG, $(nproc) cores)"
printf '%-34s %10s %10s\n' "path" "in MB/s" "out MB/s"
printf '%-34s %10s %10s\n' "host pipe (cat | cat)" "$(rate "$pipe_in")" "-"
printf '%-34s %10s %10s\n' "hv exec (virtio-serial, monitor)" "$(rate "$exec_in")" "$(rate "$exec_out")"
printf '%-34s %10s %10s\n' "hv run (boot subtracted)" "$(rate $((run_in - run0)))" "$(rate $((run_out - run0)))"
printf '%-34s %10s %10s\n' "TCP over slirp NAT (ssh's path)" "$(rate "$tcp_in")" "$(rate "$tcp_out")"
printf 'hv run -- true: %.0f ms; the same through create+start+exec+kill+delete: %.0f ms\n' \
	"$(python3 -c "print($run0/1000)")" "$(python3 -c "print($trans/1000)")"
printf 'hv exec -- true on a running VM: median %.1f ms of 50 (hv --version alone: %.1f ms)\n' \
	"$(python3 -c "print($lat_med/1000)")" "$(python3 -c "print($ver_med/1000)")"
