#!/bin/bash
# SPDX-License-Identifier: MIT
# hv-runc under containerd: a private containerd (its own root, state and
# socket in a temporary folder, stopped at the end) runs an image built
# here through its runc shim with `ctr run --runc-binary build/hv-runc`:
# run --rm, -d with task exec, ps, pause/resume, kill, delete, and
# --memory-limit with its OOM event.
source "$(dirname "$0")/lib.bash"

T=$(mktemp -d /tmp/hv-test-containerd.XXXXXX)
NS=hvtest
CTRD_PID=
EVENTS_PID=
ctrd_cleanup() {
	local id
	for id in $(ctr_ task ls -q 2>/dev/null); do ctr_ task kill -s KILL "$id" >/dev/null 2>&1; done
	for id in $(ctr_ container ls -q 2>/dev/null); do
		ctr_ task delete -f "$id" >/dev/null 2>&1
		ctr_ container delete "$id" >/dev/null 2>&1
	done
	[ -n "$EVENTS_PID" ] && kill "$EVENTS_PID" 2>/dev/null
	[ -n "$CTRD_PID" ] && kill "$CTRD_PID" 2>/dev/null && wait "$CTRD_PID" 2>/dev/null
	grep -o " $T/[^ ]*" /proc/self/mounts | sort -r | while read -r m; do umount "$m"; done
	rm -rf "$T"
	ctr_cleanup
}
trap ctrd_cleanup EXIT
ctr_() {
	ctr -a "$T/sock" -n "$NS" "$@"
}
run_() {
	ctr_ run --runc-binary "$RUNC" --fifo-dir "$T/fifo" "$@"
}

cat >"$T/config.toml" <<TOML
version = 2
root = "$T/root"
state = "$T/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$T/sock"
[ttrpc]
  address = "$T/sock.ttrpc"
TOML
containerd --config "$T/config.toml" >"$T/containerd.log" 2>&1 &
CTRD_PID=$!
for i in $(seq 100); do ctr_ version >/dev/null 2>&1 && break; sleep 0.1; done
check "a private containerd answers on its own socket" test -n "$(ctr_ version 2>/dev/null | grep -A1 ^Server)"

IMG=localhost/hv-busybox:1
mkrootfs "$T/rootfs"
python3 tests/oci/mkimage.py "$T/rootfs" "$T/image.tar" "$IMG"
ctr_ image import "$T/image.tar" >/dev/null 2>&1
check "an image built here imports (no registry)" test -n "$(ctr_ image ls -q | grep -x "$IMG")"
ctr_ events >"$T/events" 2>&1 &
EVENTS_PID=$!

# --- run --rm: output and exit code
out=$(run_ --rm "$IMG" rm1 sh -c 'echo hello from $(cat /proc/1/comm); exit 7' </dev/null 2>&1)
rc=$?
expect_eq "run --rm passes the exit code" "$rc" 7
expect_match "and the output, from the container's pid 1" "$out" "hello from sh"
check "and leaves no container" test -z "$(ctr_ container ls -q)"

# --- run -d, exec, ps, pause/resume, kill, delete
run_ -d "$IMG" d1 sh -c 'trap "exit 3" TERM; while :; do sleep 0.2; done' </dev/null >/dev/null 2>&1
expect_match "run -d: the task runs" "$(ctr_ task ls 2>&1)" "d1 +[0-9]+ +RUNNING"
out=$(ctr_ task exec --exec-id e1 d1 sh -c 'echo in-exec; exit 5' </dev/null 2>&1)
rc=$?
expect_eq "task exec: its output" "$out" in-exec
expect_eq "and its exit code" "$rc" 5
check "task ps lists the task's processes" test "$(ctr_ task ps d1 2>/dev/null | grep -c '^[0-9]')" -ge 1
check "pause" ctr_ task pause d1
expect_match "the task is paused" "$(ctr_ task ls 2>&1)" "d1 +[0-9]+ +PAUSED"
check "resume" ctr_ task resume d1
expect_match "it runs again" "$(ctr_ task ls 2>&1)" "d1 +[0-9]+ +RUNNING"
check "kill (SIGTERM)" ctr_ task kill d1
for i in $(seq 50); do ctr_ task ls 2>&1 | grep -Eq "d1 +[0-9]+ +STOPPED" && break; sleep 0.1; done
expect_match "the task stopped" "$(ctr_ task ls 2>&1)" "d1 +[0-9]+ +STOPPED"
expect_match "with the exit code its trap chose" "$(ctr_ task delete d1 2>&1)" "exit code 3"
check "the container deletes" ctr_ container delete d1
check "nothing is left in the runtime's root" test -z "$(ls "/run/containerd/runc/$NS" 2>/dev/null)"
check "nor its cgroups" test -z "$(ls -d /sys/fs/cgroup/*/"$NS"/d1 /sys/fs/cgroup/"$NS"/d1 2>/dev/null)"

# --- kill --all reaches every process of the task
run_ -d "$IMG" d2 sh -c 'sleep 300 & sleep 300 & wait' </dev/null >/dev/null 2>&1
for i in $(seq 50); do [ "$(ctr_ task ps d2 2>/dev/null | grep -c '^[0-9]')" -ge 3 ] && break; sleep 0.1; done
check "kill --all" ctr_ task kill --all -s KILL d2
for i in $(seq 50); do ctr_ task ls 2>&1 | grep -Eq "d2 +[0-9]+ +STOPPED" && break; sleep 0.1; done
expect_match "stops the task" "$(ctr_ task ls 2>&1)" "d2 +[0-9]+ +STOPPED"
ctr_ task delete d2 >/dev/null 2>&1
ctr_ container delete d2 >/dev/null 2>&1

# --- --memory-limit, and containerd's OOM event
out=$(run_ --rm --memory-limit 33554432 "$IMG" oom1 sh -c 'dd if=/dev/zero of=/dev/null bs=64M count=1 2>/dev/null; echo dd=$?' </dev/null 2>&1)
expect_match "a 64 MiB allocation under --memory-limit 32 MiB is killed" "$out" "dd=137"
for i in $(seq 50); do grep -q '/tasks/oom.*"oom1"' "$T/events" && break; sleep 0.1; done
check "ctr events shows /tasks/oom for it" grep -q '/tasks/oom {"container_id":"oom1"}' "$T/events"

done_testing
