#!/bin/bash
# SPDX-License-Identifier: MIT
# podman (through conmon) driving hv-runc as its OCI runtime: run, exit
# codes, terminals, detached containers with exec, stop, pause, resource
# flags, and that podman leaves nothing of hv's behind.  Podman uses a
# private store and its own configuration, not the host's.
source "$(dirname "$0")/lib.bash"
PODDIR=$(mktemp -d /var/tmp/hv-test-podman.XXXXXX)
NPROC=$(ulimit -Hu)
[ "$NPROC" = unlimited ] || [ "$NPROC" -gt 32768 ] && NPROC=32768
cat >"$PODDIR/containers.conf" <<CONF
[containers]
# raising hard rlimits needs CAP_SYS_RESOURCE, which not every host
# grants: stay within what the runtime inherits (conmon runs with an
# nproc of at most 32768)
default_ulimits = ["nofile=$(ulimit -Hn):$(ulimit -Hn)", "nproc=$NPROC:$NPROC"]
[engine]
runtime = "hv"
cgroup_manager = "cgroupfs"
events_logger = "file"
[engine.runtimes]
hv = ["$RUNC"]
CONF
export CONTAINERS_CONF=$PODDIR/containers.conf
pod() {
	podman --root "$PODDIR/storage" --runroot "$PODDIR/run" --tmpdir "$PODDIR/tmp" "$@"
}
# q COMMAND...: without its output
q() {
	"$@" >/dev/null 2>&1
}
pod_cleanup() {
	pod rm -af -t 0 >/dev/null 2>&1
	pod system reset -f >/dev/null 2>&1
	umount -R "$PODDIR/storage/overlay" 2>/dev/null
	rm -rf "$PODDIR"
	ctr_cleanup
}
trap pod_cleanup EXIT
IMG=localhost/hv-test-busybox:1
mkrootfs "$PODDIR/rootfs"
tar -C "$PODDIR/rootfs" -cf "$PODDIR/rootfs.tar" .
check "a busybox image imports" q pod import -q "$PODDIR/rootfs.tar" $IMG
expect_eq "podman reports hv as its runtime" "$(pod info --format '{{.Host.OCIRuntime.Path}}')" "$RUNC"

out=$(pod run --rm --network none $IMG sh -c 'echo hello from $(hostname); exit 7')
rc=$?
expect_match "podman run prints the container's output" "$out" "^hello from [0-9a-f]{12}$"
expect_eq "and returns its exit status" "$rc" 7
out=$(pod run --rm --network none $IMG sh -c 'grep -E "^(CapEff|Seccomp):" /proc/self/status | tr -s "\t " " "; echo pid=$$')
expect_match "podman's default seccomp profile is loaded" "$out" "Seccomp: 2"
eff=$(grep -o "CapEff: [0-9a-f]*" <<<"$out" | cut -d" " -f2)
check "podman's default capabilities apply: no CAP_SYS_ADMIN (CapEff $eff)" test -n "$eff" -a $((0x${eff:-0} & (1 << 21))) -eq 0
check "nor CAP_SYS_MODULE or CAP_NET_ADMIN" test $((0x${eff:-0} & ((1 << 16) | (1 << 12)))) -eq 0
expect_match "pid 1 in the container" "$out" "pid=1"
out=$(pod run --rm --network none --memory 48m --pids-limit 40 --cap-drop all --cap-add NET_RAW --user 65534:65534 $IMG sh -c '
	cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max
	grep CapBnd /proc/self/status | tr -s "\t " " "; id -u')
expect_eq "--memory --pids-limit --cap-drop --cap-add --user" "$(echo $out)" "50331648 40 CapBnd: 0000000000002000 65534"
out=$(pod run --rm --network none --read-only $IMG sh -c 'touch /x 2>/dev/null || echo root=ro; touch /tmp/x && echo tmp=rw')
expect_eq "--read-only: a read-only root with a writable /tmp" "$(echo $out)" "root=ro tmp=rw"
out=$(printf 'tty\nexit 3\n' | script -qec "podman --root $PODDIR/storage --runroot $PODDIR/run --tmpdir $PODDIR/tmp run --rm -it --network none $IMG sh" /dev/null)
rc=$?
expect_match "-it gives the container a terminal" "$out" "/dev/pts/0"
expect_eq "and its exit status" "$rc" 3

# a detached container: exec, top, pause, stop with the image's signal
check "run -d" q pod run -d --name bg --network none $IMG sh -c 'trap "echo got-term; exit 4" TERM; echo ready; while :; do sleep 0.1; done'
sleep 0.5
out=$(pod exec bg sh -c 'echo exec-pid1=$(cat /proc/1/cmdline | tr "\0" " "); exit 5')
rc=$?
expect_match "podman exec runs in the container" "$out" "exec-pid1=sh -c trap"
expect_eq "podman exec returns the exit status" "$rc" 5
out=$(printf 'tty\nexit\n' | script -qec "podman --root $PODDIR/storage --runroot $PODDIR/run --tmpdir $PODDIR/tmp exec -it bg sh" /dev/null)
expect_match "podman exec -it gets a terminal" "$out" "/dev/pts/[0-9]"
expect_match "podman top lists its processes" "$(pod top bg 2>&1)" "sh -c trap"
check "pause" q pod pause bg
expect_eq "paused" "$(pod inspect bg --format '{{.State.Status}}')" paused
check "unpause" q pod unpause bg
expect_eq "running" "$(pod inspect bg --format '{{.State.Status}}')" running
check "stop" q pod stop -t 10 bg
expect_eq "the process got SIGTERM and chose its exit code" "$(pod inspect bg --format '{{.State.ExitCode}}')" 4
expect_match "podman logs has its output" "$(pod logs bg)" "ready.*got-term"
check "rm" q pod rm bg
check "run -d of a process that ignores SIGTERM" q pod run -d --name stubborn --network none $IMG sleep 1000
check "rm -f kills it" q pod rm -f -t 1 stubborn

# what podman leaves of hv's
check "no container state is left in hv's root" test -z "$(ls /run/hv-runc 2>/dev/null)"
check "no container cgroup is left" test -z "$(ls -d /sys/fs/cgroup/*/libpod_parent/libpod-* /sys/fs/cgroup/libpod_parent/libpod-* 2>/dev/null)"

done_testing
