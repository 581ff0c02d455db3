#!/bin/bash
# SPDX-License-Identifier: MIT
# A damaged state file never bricks a VM or a network (issue 12).  Derived
# records (status.json, guest.json, reservations.json) that are not JSON,
# null, an array, empty, cut short or of wrong types are re-derived from
# the processes, rewritten as valid JSON and reported in one warning line;
# a damaged definition (vm.json, net.json) is one error line naming the
# file and the way out, listings still show everything, and delete --force
# removes it (with its processes).
. "$(dirname "$0")/lib.bash"
tmp=$(mktemp -d)
trap 'cleanup; rm -rf "$tmp"' EXIT
valid_json() { python3 -c "import json,sys; json.load(open(sys.argv[1]))" "$1" 2>/dev/null; }
# run_cmd COMMAND...: stdout in $out, stderr in $err, exit status in $rc
run_cmd() {
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	out=$(cat "$tmp/out")
	err=$(cat "$tmp/err")
}
one_line() { [ -n "$1" ] && [ "$(printf '%s\n' "$1" | wc -l)" -eq 1 ]; }
st=$HV_HOME/vms/d1/status.json
damage() { # damage FILE N: the Nth kind of damage
	case $2 in
	1) echo garbage >"$1" ;;
	2) echo null >"$1" ;;
	3) echo '[]' >"$1" ;;
	4) : >"$1" ;;
	5) printf '{"state": "runn' >"$1" ;;
	6) echo '{"state": 1, "qemu": {"pid": "x"}, "monitor": null}' >"$1" ;;
	esac
}
KINDS="1 2 3 4 5 6"

"$HV" create d1 >/dev/null
# --- status.json of a stopped VM, then hv start from a damaged record
damage "$st" 1
run_cmd "$HV" info d1 --json
expect_eq "info of a stopped VM with a damaged status.json succeeds" "$rc" 0
expect_match "and says stopped" "$out" '"state": "stopped"'
check "with one warning line" one_line "$err"
expect_match "naming the file" "$err" "^hv: warning: $HV_HOME/vms/d1/status.json was damaged \(invalid JSON.*\): rewritten from the processes: stopped, no QEMU runs$"
check "status.json is valid JSON again" valid_json "$st"
damage "$st" 3
run_cmd "$HV" start d1
expect_eq "hv start from a damaged record works" "$rc" 0
expect_match "and warns" "$err" "status.json was damaged"
pid=$(info d1 pid)
expect_eq "the VM runs" "$(info d1 state)" running

# --- status.json of a running VM: each damage re-derived from the processes
for k in $KINDS; do
	damage "$st" "$k"
	run_cmd "$HV" info d1 --json
	expect_eq "damage $k: hv info succeeds" "$rc" 0
	expect_match "damage $k: running, the same QEMU" "$(echo "$out" | python3 -c 'import json,sys; s=json.load(sys.stdin); print(s["state"], s["pid"])')" "^running $pid$"
	check "damage $k: one warning line" one_line "$err"
	expect_match "damage $k: naming the file and QEMU" "$err" "status.json was damaged .*: rewritten from the processes: running, QEMU pid $pid$"
	check "damage $k: status.json is valid JSON again" valid_json "$st"
done
mon=$(python3 -c "import json; print(json.load(open('$st'))['monitor']['pid'])")
check "the re-derived record names the live monitor" test -d "/proc/$mon"
damage "$st" 2
expect_match "hv list re-derives it" "$("$HV" list 2>/dev/null)" "d1 +running .* $pid"
damage "$st" 4
run_cmd "$HV" pause d1
expect_eq "hv pause works on a damaged record" "$rc" 0
expect_eq "and the monitor records it" "$(info d1 state)" paused
damage "$st" 5
run_cmd "$HV" info d1 --json
expect_match "a damaged record of a paused VM is re-derived as paused (QEMU asked)" "$out" '"state": "paused"'
run_cmd "$HV" resume d1
expect_eq "hv resume works" "$rc" 0
# --- guest.json (the guest's address report, read while it runs): replaced, warned
check "the guest is up" wait_log d1 'd1:~#' 60
for k in $KINDS; do
	damage "$HV_HOME/vms/d1/guest.json" "$k"
	run_cmd "$HV" ip d1
	expect_match "guest.json damage $k: hv ip warns in one line" "$err" "^hv: warning: guest.json was damaged"
	check "guest.json damage $k: valid JSON again" valid_json "$HV_HOME/vms/d1/guest.json"
done

damage "$st" 6
run_cmd "$HV" kill d1
expect_eq "hv kill works on a damaged record" "$rc" 0
expect_match "and reports the kill" "$out" "stopped: killed"
check "QEMU is gone" test ! -d "/proc/$pid"
expect_eq "the VM is stopped" "$(info d1 state)" stopped
check "status.json is valid JSON" valid_json "$st"

# --- vm.json: every command says so in one line; delete --force works
LOG_MARK[d1]=$(stat -c %s "$HV_HOME/vms/d1/console.log" 2>/dev/null || echo 0)
run_cmd "$HV" start d1
pid=$(python3 -c "import json; print(json.load(open('$st'))['qemu']['pid'])")
check "the VM runs again" test -d "/proc/$pid"
"$HV" create d2 --nic none >/dev/null
cp "$HV_HOME/vms/d1/vm.json" "$tmp/vm.json"
for k in $KINDS; do
	damage "$HV_HOME/vms/d1/vm.json" "$k"
	for c in info start set; do
		extra=""
		[ $c = set ] && extra="--cpus 2"
		run_cmd "$HV" $c d1 $extra
		check "vm.json damage $k: hv $c fails" test "$rc" -ne 0
		check "vm.json damage $k: hv $c says it in one line" one_line "$err"
		expect_match "vm.json damage $k: naming the file and the way out" "$err" "^hv $c: VM 'd1': $HV_HOME/vms/d1/vm.json.* \(repair or restore the file, or remove the VM with: hv delete --force d1\)$"
	done
	run_cmd "$HV" list --all
	expect_eq "vm.json damage $k: hv list succeeds" "$rc" 0
	expect_match "vm.json damage $k: and lists the other VM" "$out" "d2 +stopped"
	expect_match "vm.json damage $k: and shows this one as damaged" "$out" "d1 +damaged"
done
run_cmd "$HV" delete d1
check "hv delete without --force refuses a damaged VM" test "$rc" -ne 0
expect_match "saying how" "$err" "hv delete --force d1"
cp "$tmp/vm.json" "$HV_HOME/vms/d1/vm.json"
expect_eq "a repaired vm.json makes the VM whole again" "$(info d1 state)" running
# vm.json and status.json both damaged: the processes are found in /proc
mon=$(python3 -c "import json; print(json.load(open('$st'))['monitor']['pid'])")
damage "$HV_HOME/vms/d1/vm.json" 1
damage "$st" 1
run_cmd "$HV" delete --force d1
expect_eq "hv delete --force removes a running VM with both files damaged" "$rc" 0
check "no folder is left" test ! -e "$HV_HOME/vms/d1"
check "no QEMU is left" test ! -d "/proc/$pid"
# (an exited monitor may stay a zombie until this container's init reaps it)
check "no monitor is left" bash -c "[ ! -d /proc/$mon ] || [ \"\$(awk '{print \$3}' /proc/$mon/stat 2>/dev/null)\" = Z ] || [ ! -e /proc/$mon/stat ]"

# --- networks: net.json is a definition, reservations.json is state
"$HV" net create dmgn --subnet 10.77.241.0/24 >/dev/null
"$HV" create d3 --nic network=dmgn >/dev/null
ip=$(info d3 nics | grep -o '10\.77\.241\.[0-9]*')
res=$HV_HOME/networks/dmgn/reservations.json
for k in $KINDS; do
	damage "$res" "$k"
	run_cmd "$HV" info d3
	expect_match "reservations.json damage $k: the address is kept" "$out" "network=dmgn .* $ip"
	expect_match "reservations.json damage $k: one warning line" "$err" "^hv: warning: network dmgn: reservations.json was damaged .*: rewritten from dnsmasq's hosts file \(1 address\)$"
	check "reservations.json damage $k: valid JSON again" valid_json "$res"
done
"$HV" delete d3 >/dev/null
"$HV" net create dmgo --subnet 10.77.242.0/24 >/dev/null
cp "$HV_HOME/networks/dmgn/net.json" "$tmp/net.json"
for k in $KINDS; do
	damage "$HV_HOME/networks/dmgn/net.json" "$k"
	run_cmd "$HV" net info dmgn
	check "net.json damage $k: hv net info fails in one line" one_line "$err"
	expect_match "net.json damage $k: naming the folder and the way out" "$err" "^hv net info: network dmgn: .*in $HV_HOME/networks/dmgn; .*hv net delete --force dmgn\)$"
	run_cmd "$HV" net list
	expect_eq "net.json damage $k: hv net list succeeds" "$rc" 0
	expect_match "net.json damage $k: lists the other network" "$out" "dmgo +natnet"
	expect_match "net.json damage $k: and this one as damaged" "$out" "dmgn .*damaged"
done
run_cmd "$HV" net delete dmgn
check "hv net delete without --force refuses" test "$rc" -ne 0
run_cmd "$HV" net delete --force dmgn
expect_eq "hv net delete --force removes it" "$rc" 0
check "no folder is left" test ! -e "$HV_HOME/networks/dmgn"
"$HV" net delete dmgo >/dev/null
done_testing
