#!/bin/bash
# SPDX-License-Identifier: MIT
# Bad network input: one clear line, a non-zero exit, and neither the host
# (links, addresses, routes, firewall) nor the store changed.
. "$(dirname "$0")/../vm/lib.bash"
tmp=$(mktemp -d)
net_cleanup() {
	kill "$LISTENER" 2>/dev/null
	ip link del hvt-r0 2>/dev/null
	rm -rf "$tmp"
}
trap 'cleanup; net_cleanup' EXIT

"$HV" net create bx1 --mode natnet --subnet 10.77.210.0/24 >/dev/null
"$HV" create inuse --nic network=bx1 >/dev/null
# a subnet the host already routes, made for the test
ip link add hvt-r0 type veth peer name hvt-r1
ip addr add 10.77.221.1/24 dev hvt-r0
ip link set hvt-r0 up && ip link set hvt-r1 up
# a host port in use
python3 -c 'import socket,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("0.0.0.0", 18200)); s.listen(); time.sleep(600)' &
LISTENER=$!
sleep 0.3

host_state() {
	{
		ip -o link | sed 's/^[0-9]*: //' | grep -v 'link/ether' | sort
		ip -o -4 addr | awk '{print $2, $4}' | sort
		ip -4 route | sort
		nft list ruleset
		ip netns list
		(cd "$HV_HOME" && find . -printf '%p %s\n' | sort)
		ls /run/hv/networks 2>/dev/null
	} | md5sum
}
refuse() {
	local what=$1 re=$2 before after rc lines
	shift 2
	before=$(host_state)
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	after=$(host_state)
	lines=$(wc -l <"$tmp/err")
	if [ $rc -eq 0 ]; then
		fail "$what: exited 0"
	elif [ "$lines" -ne 1 ]; then
		fail "$what: $lines lines on stderr: $(cat "$tmp/err")"
	elif ! grep -qE "$re" "$tmp/err"; then
		fail "$what: '$(cat "$tmp/err")' does not match /$re/"
	elif [ "$before" != "$after" ]; then
		fail "$what: the host or the store changed"
	else
		ok "$what ($(cat "$tmp/err"))"
	fi
}

refuse "an overlapping subnet" "overlaps network 'bx1'" "$HV" net create bx2 --subnet 10.77.210.128/25
refuse "a subnet containing another" "overlaps network 'bx1'" "$HV" net create bx2 --subnet 10.77.0.0/16
refuse "a subnet already routed on the host" "already routed on this host .*hvt-r0" "$HV" net create bx2 --subnet 10.77.221.0/24
refuse "a CIDR with host bits" "host bits" "$HV" net create bx2 --subnet 10.77.222.5/24
refuse "a CIDR that is no address" "invalid" "$HV" net create bx2 --subnet 300.1.1.0/24
refuse "a prefix out of range" "prefix|invalid" "$HV" net create bx2 --subnet 10.77.0.0/33
refuse "an unknown network mode" "unknown network mode" "$HV" net create bx2 --mode bridged
refuse "a duplicate network" "already exists" "$HV" net create bx1
refuse "an invalid network name" "invalid network name" "$HV" net create Bad_Name
refuse "a bridge that does not exist" "not a bridge on this host" "$HV" create bad --nic bridge=nosuchbr0
refuse "a network that does not exist" "no network named 'nosuch'" "$HV" create bad --nic network=nosuch
refuse "a multicast MAC" "multicast" "$HV" create bad --nic nat,mac=01:00:5e:00:00:01
refuse "a malformed MAC" "MAC|mac" "$HV" create bad --nic nat,mac=52:54:zz:00:00:01
refuse "an unknown NIC mode" "unknown NIC mode" "$HV" create bad --nic wifi
refuse "a host port already in use (create)" "already in use" "$HV" create bad --forward tcp:18200:80
refuse "a malformed forward" "HOSTPORT:GUESTPORT|not a port" "$HV" create bad --forward tcp:80
refuse "a forward without a nat NIC" "needs a nat NIC" "$HV" create bad --nic network=bx1 --forward tcp:18201:80
refuse "a network forward to a VM not on it" "not on network bx1" "$HV" net forward bx1 add tcp:18202:ghost:80
refuse "a network forward to a port in use" "already in use" "$HV" net forward bx1 add tcp:18200:inuse:80
refuse "a forward on a host-only network" "only natnet" bash -c '"$0" net create bx3 --mode host-only --subnet 10.77.223.0/24 >/dev/null && "$0" net forward bx3 add tcp:18203:inuse:80; rc=$?; "$0" net delete bx3 >/dev/null; exit $rc' "$HV"
refuse "deleting a network in use" "used by VM inuse" "$HV" net delete bx1
refuse "hv ip of an unknown VM" "no VM named" "$HV" ip ghost
refuse "hv forward on a VM without nat NIC" "no nat NIC" "$HV" forward inuse add tcp:18204:80
refuse "hv forward with an unknown action" "unknown action" "$HV" forward inuse frob tcp:1:1
done_testing
