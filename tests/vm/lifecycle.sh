#!/bin/bash
# SPDX-License-Identifier: MIT
# Persistent VMs: create, start, console, pause/resume, stop, the truth of
# hv list after poweroff, panic and SIGKILL, set, delete, concurrency.
. "$(dirname "$0")/lib.bash"

"$HV" create t1 --cpus 2 --memory 320M --disk 64M >/dev/null
expect_eq "a new VM is stopped" "$(info t1 state)" stopped
expect_eq "hv list hides stopped VMs" "$("$HV" list | tail -n +2)" ""
expect_match "hv list --all shows them" "$("$HV" list --all)" "t1 +stopped +2 +320M"
check "the qcow2 disk exists and qemu-img accepts it" qemu-img check -q "$HV_HOME/vms/t1/disk0.qcow2"

start_vm t1
expect_eq "hv start returns with the VM running" "$(info t1 state)" running
pid=$(info t1 pid)
expect_match "the pid is QEMU's" "$(cat /proc/"$pid"/comm 2>/dev/null)" "qemu-system"
check "the guest's shell is up" wait_log t1 't1:~#' 20
out=$(printf 'nproc; cat /proc/partitions; echo MARK-$((6*7))\n' | "$HV" console t1 | tr -d '\r')
expect_match "the console answers and the guest has 2 CPUs" "$out" $'\n2\n'
expect_match "the console carries commands both ways" "$out" "MARK-42"
expect_match "the guest sees its disk" "$(cat "$HV_HOME/vms/t1/console.log")" "vda"
expect_match "hv list --json is an array of VM objects" "$("$HV" list --json | python3 -c 'import json,sys; a=json.load(sys.stdin); print(a[0]["name"], a[0]["state"], a[0]["cpus"], a[0]["memory"], a[0]["pid"])')" "^t1 running 2 320 $pid$"

# pause: a clock-driven counter in the guest stops, and continues on resume
type_in t1 'i=0; while :; do i=$((i+1)); echo TICK $i; sleep 0.1; done &'
wait_log t1 'TICK 5' 10
ticks() { grep -c '^TICK' "$HV_HOME/vms/t1/console.log"; }
HV_DEBUG=1 "$HV" pause t1 2>"$HV_HOME/pause.trace"
expect_eq "paused is reported at once" "$(info t1 state)" paused
expect_match "HV_DEBUG=1 hv pause traces the QMP command it sends" "$(cat "$HV_HOME/pause.trace")" 'qmp: send \([0-9]+ bytes\) \{"execute":"stop"'
expect_match "and QEMU's replies" "$(cat "$HV_HOME/pause.trace")" 'qmp: recv \([0-9]+ bytes\) \{"return":'
rm -f "$HV_HOME/pause.trace"
a=$(ticks)
sleep 1.5
b=$(ticks)
expect_eq "while paused the counter stands still ($a ticks)" "$b" "$a"
"$HV" resume t1
expect_eq "resumed is reported at once" "$(info t1 state)" running
sleep 1.5
c=$(ticks)
check "after resume it counts again ($b -> $c)" test "$c" -gt "$b"
type_in t1 'kill %1'

# set refuses a running VM, and hv stop is a clean ACPI shutdown
"$HV" set t1 --cpus 1 2>/dev/null
check "hv set refuses a running VM" test $? -ne 0
out=$("$HV" stop t1)
expect_match "hv stop reports a guest power-off" "$out" "stopped: the guest powered off"
log=$(cat "$HV_HOME/vms/t1/console.log")
expect_match "the console log shows the ACPI power button" "$log" "ACPI power button pressed"
expect_match "and the kernel powering down" "$log" "reboot: Power down"
expect_eq "stopped" "$(info t1 state)" stopped
"$HV" stop t1 2>/dev/null
check "stopping a stopped VM fails" test $? -ne 0

"$HV" set t1 --cpus 1 --memory 256M
expect_eq "hv set changes a stopped VM" "$(info t1 cpus)/$(info t1 memory)" "1/256"

# a guest poweroff (traced to a file: HV_DEBUG reaches the VM's monitor too)
LOG_MARK[t1]=$(stat -c %s "$HV_HOME/vms/t1/console.log")
HV_DEBUG=$HV_HOME/start.trace "$HV" start t1 >/dev/null
wait_log t1 't1:~#' 20
expect_match "HV_DEBUG=FILE hv start: the monitor's QMP handshake is in the file" "$(cat "$HV_HOME/start.trace")" 'qmp: recv \([0-9]+ bytes\) \{"QMP":.*qmp: send \([0-9]+ bytes\) \{"execute":"qmp_capabilities"'
expect_match "as is its query-status" "$(cat "$HV_HOME/start.trace")" '"execute":"query-status"'

out=$(printf 'nproc\n' | "$HV" console t1 | tr -d '\r')
expect_match "the new CPU count applies at the next start" "$out" $'\n1\n'
type_in t1 'poweroff'
check "a guest poweroff makes it stopped" wait_state t1 stopped 10
expect_eq "with the reason" "$(info t1 reason)" "the guest powered off"
expect_match "the trace shows the SHUTDOWN event the monitor read it from" "$(cat "$HV_HOME/start.trace")" '"event":"SHUTDOWN".*"reason":"guest-shutdown"'
rm -f "$HV_HOME/start.trace"

# a guest kernel panic
start_vm t1
wait_log t1 't1:~#' 20
type_in t1 'echo c > /proc/sysrq-trigger'
check "a kernel panic makes it crashed" wait_state t1 crashed 10
expect_match "with the reason" "$(info t1 reason)" "panicked"

# SIGKILL of QEMU
start_vm t1
kill -9 "$(info t1 pid)"
check "SIGKILL of QEMU makes it crashed" wait_state t1 crashed 5
expect_match "with the reason" "$(info t1 reason)" "killed by signal 9"

# QEMU and its monitor both gone, as after a host crash
start_vm t1
mon=$(python3 -c "import json; print(json.load(open('$HV_HOME/vms/t1/status.json'))['monitor']['pid'])")
kill -9 "$mon" "$(info t1 pid)"
sleep 0.3
expect_eq "a VM whose processes vanished is crashed, not running" "$(info t1 state)" crashed
# the same record on another boot of the host (stale pid file after a reboot)
python3 - "$HV_HOME/vms/t1/status.json" <<'PY'
import json, sys
p = sys.argv[1]; s = json.load(open(p))
s["state"] = "running"; s["qemu"]["pid"] = 1; s["qemu"]["boot_id"] = "00000000-0000-0000-0000-000000000000"
json.dump(s, open(p, "w"))
PY
expect_eq "a record from before a host reboot is not running" "$(info t1 state)" crashed
expect_match "and says why" "$(info t1 reason)" "host rebooted"

# hv kill
start_vm t1
expect_match "hv kill stops at once" "$("$HV" kill t1)" "stopped: killed"

# two commands at once never both win, and never corrupt the folder
"$HV" start t1 >/dev/null 2>&1 &
"$HV" start t1 >/dev/null 2>&1 &
wait
running=$(pgrep -fc "qemu-system-x86_64 -name t1 " || true)
expect_eq "two concurrent starts run one QEMU" "$running" 1
"$HV" kill t1 >/dev/null
for n in 1 2 3 4 5 6 7 8; do "$HV" set t1 --cpus $n & done
wait
check "vm.json is whole after 8 concurrent sets" python3 -c "import json; assert 1 <= json.load(open('$HV_HOME/vms/t1/vm.json'))['cpus'] <= 8"
check "and no temporary file is left" test -z "$(ls -A "$HV_HOME/vms/t1" | grep '\.tmp\.' || true)"

# delete
start_vm t1
"$HV" delete t1 2>/dev/null
check "hv delete refuses a running VM" test $? -ne 0
"$HV" delete t1 --force >/dev/null
check "hv delete --force removes it" test ! -e "$HV_HOME/vms/t1"
check "and no QEMU of it remains" test -z "$(pgrep -f 'qemu-system-x86_64 -name t1 ' || true)"

# delete --force racing a start: the VM is gone and no QEMU of it runs, or
# it runs with its folder intact; never a QEMU whose folder was deleted
lost=0
for i in 1 2 3 4; do
	"$HV" create race --nic none >/dev/null
	start_vm race
	(for k in $(seq 200); do
		"$HV" start race >/dev/null 2>&1 && break
		[ -e "$HV_HOME/vms/race" ] || break
	done) &
	"$HV" delete --force race >/dev/null 2>&1
	wait
	q=$(pgrep -f 'qemu-system-x86_64 -name race ' || true)
	if [ -e "$HV_HOME/vms/race/vm.json" ]; then
		"$HV" delete --force race >/dev/null 2>&1
	elif [ -n "$q" ]; then
		lost=$((lost + 1))
		kill -9 $q
	fi
done
expect_eq "delete --force racing a start never leaves a QEMU without its folder" "$lost" 0
done_testing
