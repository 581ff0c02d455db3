#!/bin/bash
# SPDX-License-Identifier: MIT
# A damaged state.json never bricks a container (issue 12): hv-runc state,
# list, kill and delete --force re-derive it from hookstate.json and the
# processes in the container's cgroup, rewrite it (valid JSON again) and say
# so in one warning line; with nothing left to derive from, one error line
# names the way out, and delete --force still removes everything.
. "$(dirname "$0")/lib.bash"

valid_json() { python3 -c "import json,sys; json.load(open(sys.argv[1]))" "$1" 2>/dev/null; }
mkbundle dmg 'c["process"]["args"]=["sh","-c","sleep 100 & while :; do sleep 0.1; done"]' >/dev/null
rt create --bundle "$BUNDLES/dmg" dmg && rt start dmg
pid=$(ctr_state dmg pid)
st=$CTR_ROOT/dmg/state.json
# each damage in turn: not JSON, null, an array, empty, truncated, wrong types, another id
i=0
for bad in 'garbage' 'null' '[]' '' "$(head -c 40 "$st")" '{"id": "dmg", "pid": "12", "started": 1}' \
	"$(sed 's/"id":"dmg"/"id":"other"/' "$st")"; do
	i=$((i + 1))
	printf '%s' "$bad" >"$st"
	out=$(rt state dmg 2>"$BUNDLES/err")
	rc=$?
	err=$(cat "$BUNDLES/err")
	expect_eq "damage $i: hv-runc state succeeds" "$rc" 0
	expect_match "damage $i: with the true status and init" "$(echo "$out" | python3 -c 'import json,sys; s=json.load(sys.stdin); print(s["status"], s["pid"])')" "^running $pid$"
	expect_match "damage $i: and one warning line" "$err" "^hv-runc: warning: container dmg: state.json was damaged \(.*\): rewritten from hookstate.json and the processes \(init pid $pid, alive\)$"
	check "damage $i: state.json is valid JSON again" valid_json "$st"
done
printf 'null' >"$st"
expect_match "hv-runc list re-derives it too" "$(rt list 2>/dev/null)" "dmg +$pid +running"
printf '[]' >"$st"
check "hv-runc kill works on a damaged state" rt kill dmg KILL
for _ in $(seq 50); do [ "$(ctr_state dmg status)" = stopped ] && break; sleep 0.1; done
expect_eq "and the container stops" "$(ctr_state dmg status)" stopped
check "delete removes it" rt delete dmg
check "its cgroups are gone" test -z "$(ctr_cgroup_dirs dmg)"

# state.json and hookstate.json both damaged: the init is found in the
# container's cgroup
rt create --bundle "$BUNDLES/dmg" dmg2 && rt start dmg2
pid=$(ctr_state dmg2 pid)
echo garbage >"$CTR_ROOT/dmg2/state.json"
echo garbage >"$CTR_ROOT/dmg2/hookstate.json"
expect_eq "without hookstate.json the init is the oldest process of its cgroup" "$(ctr_state dmg2 pid)" "$pid"
echo garbage >"$CTR_ROOT/dmg2/state.json"
echo garbage >"$CTR_ROOT/dmg2/hookstate.json"
pids=$(cat /sys/fs/cgroup/pids/hv-runc/dmg2/cgroup.procs 2>/dev/null || cat /sys/fs/cgroup/hv-runc/dmg2/cgroup.procs)
check "delete --force removes a running container whose records are damaged" rt delete --force dmg2
alive=0
for p in $pids; do alive "$p" && alive=$((alive + 1)); done
expect_eq "every process of it ($(echo $pids | wc -w)) is gone" "$alive" 0
check "no folder is left" test ! -e "$CTR_ROOT/dmg2"
check "its cgroups are gone" test -z "$(ctr_cgroup_dirs dmg2)"

# nothing to derive from: a stopped container whose records are both damaged
rt create --bundle "$BUNDLES/dmg" dmg3 && rt kill dmg3 KILL
for _ in $(seq 50); do [ "$(ctr_state dmg3 status)" = stopped ] && break; sleep 0.1; done
rmdir /sys/fs/cgroup/*/hv-runc/dmg3 /sys/fs/cgroup/hv-runc/dmg3 2>/dev/null
echo '{"id": null}' >"$CTR_ROOT/dmg3/state.json"
echo null >"$CTR_ROOT/dmg3/hookstate.json"
err=$(rt state dmg3 2>&1 >/dev/null)
rc=$?
check "state fails" test "$rc" -ne 0
expect_match "with one line naming the way out" "$err" "^hv-runc state: container dmg3 has a damaged state file \(.*\) and its init cannot be found: hv-runc delete --force dmg3 removes it$"
expect_eq "in one line" "$(echo "$err" | wc -l)" 1
check "delete --force removes it" rt delete --force dmg3
check "no folder is left" test ! -e "$CTR_ROOT/dmg3"
done_testing
