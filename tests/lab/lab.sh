#!/bin/bash
# SPDX-License-Identifier: MIT
# Lab files (hv up / hv down / hv status) with the default guest: every bad
# input refused in one line with nothing changed; the sample lab up,
# re-run ("nothing to do"), a memory change that touches one VM only, a
# second lab beside it, hv down, and hv down --delete leaving nothing.
. "$(dirname "$0")/../vm/lib.bash"
tmp=$(mktemp -d)
lab_cleanup() {
	kill "$LISTENER" 2>/dev/null
	"$HV" down --lab fast --delete --timeout 5 >/dev/null 2>&1
	"$HV" down --lab fast2 --delete --timeout 5 >/dev/null 2>&1
	rm -rf "$tmp"
}
trap 'lab_cleanup; cleanup' EXIT

mkdir -p "$tmp/fast" "$tmp/fast2" "$tmp/bad"
cp examples/lab-fast/hv-lab.json "$tmp/fast/"
sed 's/"name": "fast"/"name": "fast2"/; s/18380/18381/' examples/lab-fast/hv-lab.json >"$tmp/fast2/hv-lab.json"

host_state() {
	{
		ip -o link | sed 's/^[0-9]*: //' | grep -v 'link/ether' | sort
		nft list tables
		ip netns list
		(cd "$HV_HOME" && find . -printf '%p %s\n' | sort)
	} | md5sum
}
# refuse WHAT REGEX FILE-TEXT: hv up of that text fails in one line matching REGEX, nothing changes
refuse() {
	printf '%s\n' "$3" >"$tmp/bad/hv-lab.json"
	refuse_unchanged host_state "$1" "$2" "$HV" up -f "$tmp/bad/hv-lab.json"
}

# the store's folders, as on any host that has used hv (a lookup makes them)
"$HV" net list >/dev/null
"$HV" image list >/dev/null
"$HV" list >/dev/null
python3 -c 'import socket,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("0.0.0.0", 18390)); s.listen(); time.sleep(600)' &
LISTENER=$!
sleep 0.3
NET='"networks": [{"name": "lan", "mode": "internal"}]'
refuse "a syntax error" 'hv-lab.json:3:[0-9]+: invalid JSON' '{ "name": "bad",
  "vms": [
    { "name": "a" "memory": "128M" } ] }'
refuse "an unknown key" 'vms\[0\]\.memroy: unknown key \(did you mean memory\?\)' \
	'{"name": "bad", '"$NET"', "vms": [{"name": "a", "memroy": "128M", "nics": ["network=lan"]}]}'
refuse "an unknown network" "vms\[0\]\.nics\[0\]: no network named 'nope'" \
	'{"name": "bad", '"$NET"', "vms": [{"name": "a", "nics": ["network=nope"]}]}'
refuse "an unknown image" "vms\[1\]\.image: no image named 'nope'" \
	'{"name": "bad", '"$NET"', "vms": [{"name": "a"}, {"name": "b", "image": "nope"}]}'
refuse "two VMs with one name" "vms\[1\]\.name: two VMs are named 'a'" \
	'{"name": "bad", '"$NET"', "vms": [{"name": "a"}, {"name": "a"}]}'
refuse "a forward port in use" 'vms\[1\]\.forwards\[0\]: tcp port 18390 is already in use' \
	'{"name": "bad", '"$NET"', "vms": [{"name": "a"}, {"name": "b", "forwards": ["tcp:18390:80"]}]}'
refuse "a bad memory size" 'vms\[0\]\.memory' '{"name": "bad", "vms": [{"name": "a", "memory": "lots"}]}'
refuse "a network name too long for the lab" 'networks\[0\]\.name: .* longer than 11' \
	'{"name": "bad", "networks": [{"name": "a-long-name"}]}'

# the sample lab, with the default guest
out=$("$HV" up -f "$tmp/fast/hv-lab.json" 2>&1)
expect_eq "hv up makes the lab in dependency order" "$(echo "$out" | tr '\n' '|')" \
	"create network lan (internal)|create vm web|start vm web|create vm client|start vm client|"
expect_eq "the VMs run" "$(info fast-web state) $(info fast-client state)" "running running"
check "the lab's network is on the host (bridge hv-fast-lan)" ip link show hv-fast-lan >/dev/null
expect_eq "the VMs and the network carry the lab's label" \
	"$(grep -h '"lab"' "$HV_HOME"/vms/fast-*/vm.json "$HV_HOME"/networks/fast-lan/net.json | tr -d ' \n')" \
	'"lab":"fast""lab":"fast""lab":"fast"'
expect_eq "hv up again: nothing to do" "$("$HV" up -f "$tmp/fast/hv-lab.json" 2>&1)" "nothing to do"
expect_eq "hv up --json again: no changes" \
	"$("$HV" up --json -f "$tmp/fast/hv-lab.json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["changes"])')" "[]"
status=$("$HV" status -f "$tmp/fast/hv-lab.json" --json)
expect_match "hv status: the lab's VMs, states and addresses" \
	"$(echo "$status" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(" ".join("%s:%s:%s" % (v["name"], v["state"], ",".join(n["ip"] or "-" for n in v["nics"])) for v in d["vms"]), " ".join(n["name"] + ":" + n["state"] for n in d["networks"]))')" \
	'^fast-client:running:10\.77\.[0-9]+\.3 fast-web:running:-,10\.77\.[0-9]+\.2 fast-lan:up$'

# a second lab beside it: its own names, network and subnet
out=$("$HV" up -f "$tmp/fast2/hv-lab.json" 2>&1)
expect_eq "a second lab comes up beside the first" "$(echo "$out" | wc -l) $(info fast2-web state)" "5 running"
expect_eq "each lab's status shows only its own" \
	"$("$HV" status --lab fast2 --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(sorted(v["name"] for v in d["vms"]), [n["name"] for n in d["networks"]])')" \
	"['fast2-client', 'fast2-web'] ['fast2-lan']"

# a memory change of a running VM: refused without --recreate, one VM with it
client_pid=$(info fast-client pid)
sed -i 's/"memory": 128,/"memory": "192M",/' "$tmp/fast/hv-lab.json"
before=$(md5sum "$HV_HOME"/vms/fast-web/vm.json)
err=$("$HV" up -f "$tmp/fast/hv-lab.json" 2>&1)
expect_match "a change that needs a restart is refused, with the fix" "$? $err" \
	'^1 hv up: vm web runs and memory 128M -> 192M needs a restart: hv up --recreate'
expect_eq "... and changes nothing" "$(md5sum "$HV_HOME"/vms/fast-web/vm.json)" "$before"
out=$("$HV" up --recreate -f "$tmp/fast/hv-lab.json" 2>&1)
expect_eq "hv up --recreate changes only that VM" "$out" "set web memory 128M -> 192M (restarting it)"
expect_eq "... its new memory, running again" "$(info fast-web memory) $(info fast-web state)" "192 running"
expect_eq "... the other VM untouched" "$(info fast-client pid)" "$client_pid"

# a stopped VM changes without --recreate, then starts
"$HV" stop fast-client --timeout 5 >/dev/null 2>&1 || "$HV" kill fast-client >/dev/null
sed -i 's/"memory": "128M"/"memory": "160M"/' "$tmp/fast/hv-lab.json"
out=$("$HV" up -f "$tmp/fast/hv-lab.json" 2>&1)
expect_eq "a stopped VM's change needs no --recreate" "$(echo "$out" | tr '\n' '|')" \
	"set client memory 128M -> 160M|start vm client|"

# hv down stops, hv down --delete removes the lab and nothing else
out=$("$HV" down -f "$tmp/fast/hv-lab.json" --timeout 10 2>&1)
expect_eq "hv down stops the lab's VMs and network" "$(echo "$out" | sort | tr '\n' '|')" \
	"stop network fast-lan|stop vm fast-client|stop vm fast-web|"
expect_eq "... they are stopped, the other lab runs" \
	"$(info fast-web state) $(info fast-client state) $(info fast2-web state)" "stopped stopped running"
out=$("$HV" down --delete -f "$tmp/fast/hv-lab.json" 2>&1)
expect_eq "hv down --delete removes the lab's VMs and network" "$(echo "$out" | sort | tr '\n' '|')" \
	"delete network fast-lan|delete vm fast-client|delete vm fast-web|"
left=$(
	ls "$HV_HOME/vms" "$HV_HOME/networks" | grep -E '^fast-'
	ip -o link | grep -E 'hv[a-z]*-fast-'
	nft list tables | grep -E 'hv-fast-'
	ip netns list | grep -E 'hv-fast-'
)
expect_eq "... nothing of it is left (VMs, networks, bridges, tables, namespaces)" "$left" ""
expect_eq "... the other lab is whole" "$(info fast2-web state) $(info fast2-client state)" "running running"
"$HV" down --delete --lab fast2 --timeout 5 >/dev/null 2>&1
expect_eq "both labs gone: an empty store" "$(ls "$HV_HOME/vms" "$HV_HOME/networks" | grep -c fast)" "0"

done_testing
