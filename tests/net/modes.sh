#!/bin/bash
# SPDX-License-Identifier: MIT
# Who can reach whom, for every network mode, with real TCP traffic (a
# line sent, the reply compared).  All traffic stays on this machine:
#   outside  a network namespace routed through the host (192.168.250.2),
#            its echo server answers "SOURCE-IP:line", so masquerading shows
#   lan      a namespace behind a test bridge with its own DHCP server
#            (192.168.251.1), for bridged mode
#   host     echo servers on the host itself (port 9001, all addresses)
# Guests run an echo server on port 80 that answers "guest:line".
. "$(dirname "$0")/../vm/lib.bash"
ECHO=$PWD/tests/net/echo.py
OUT=hvt-out
LAN=hvt-lan
BR=hvt-br0
PIDS=()

net_cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	ip netns pids $OUT 2>/dev/null | xargs -r kill 2>/dev/null
	ip netns pids $LAN 2>/dev/null | xargs -r kill 2>/dev/null
	ip netns del $OUT 2>/dev/null
	ip netns del $LAN 2>/dev/null
	ip link del hvt-o0 2>/dev/null
	ip link del $BR 2>/dev/null
	ip link del hvt-l0 2>/dev/null
}
trap 'cleanup; net_cleanup' EXIT
net_cleanup

# --- the test world ---
ip netns add $OUT
ip link add hvt-o0 type veth peer name eth0 netns $OUT
ip addr add 192.168.250.1/24 dev hvt-o0 && ip link set hvt-o0 up
ip -n $OUT addr add 192.168.250.2/24 dev eth0 && ip -n $OUT link set eth0 up && ip -n $OUT link set lo up
ip -n $OUT route add default via 192.168.250.1
ip netns exec $OUT python3 "$ECHO" serve 192.168.250.2 9000 --tag peer >/dev/null 2>&1 &
PIDS+=($!)
python3 "$ECHO" serve 0.0.0.0 9001 --tag peer >/dev/null 2>&1 &
PIDS+=($!)
ip netns add $LAN
ip link add $BR type bridge && ip link set $BR up
ip link add hvt-l0 type veth peer name eth0 netns $LAN
ip link set hvt-l0 master $BR && ip link set hvt-l0 up
ip -n $LAN addr add 192.168.251.1/24 dev eth0 && ip -n $LAN link set eth0 up && ip -n $LAN link set lo up
ip netns exec $LAN python3 "$ECHO" serve 192.168.251.1 9000 --tag peer >/dev/null 2>&1 &
PIDS+=($!)
ip netns exec $LAN dnsmasq --conf-file=/dev/null --pid-file=/run/hvt-lan-dnsmasq.pid --bind-interfaces \
	--interface=eth0 --except-interface=lo --dhcp-range=192.168.251.100,192.168.251.150,255.255.255.0,1h \
	--dhcp-leasefile=/run/hvt-lan.leases --port=0
sleep 0.5

# serve VM: an echo server on port 80 that answers "guest:LINE"
serve() {
	type_in "$1" "printf '#!/bin/sh\\nread l; echo \"guest:\$l\"\\n' > /tmp/reply; chmod +x /tmp/reply; nc -ll -p 80 -e /tmp/reply &"
}
# send FROM-VM IP PORT: the reply the guest got
send() {
	guest_run "$1" "echo m-$1 | nc -w 4 $2 $3" 15
}
boot() { # boot VM...: start and wait for the shell and the lease
	local vm
	for vm in "$@"; do start_vm "$vm"; done
	for vm in "$@"; do
		wait_log "$vm" "$vm:~#" 30
		wait_log "$vm" "network: eth0 .* [0-9.]+/[0-9]+" 20 || fail "$vm got no DHCP lease"
		serve "$vm"
	done
	sleep 0.5
}
vm_ip() { info_ip "$1" | cut -d/ -f1; }
info_ip() { "$HV" ip "$1" --json | python3 -c 'import json,sys; a=json.load(sys.stdin); print(a[0]["ipv4"] or "")'; }
guest_ip() { guest_run "$1" "cat /run/hv/net/eth0" | cut -d' ' -f1 | cut -d/ -f1; }

# --- nat (QEMU user-mode networking) ---
"$HV" create n1 --forward tcp:18080:80 >/dev/null
boot n1
expect_eq "nat: guest reaches a server on the host (10.0.2.2)" "$(send n1 10.0.2.2 9001)" "127.0.0.1:m-n1"
expect_eq "nat: guest reaches the outside, which sees the host's address" "$(send n1 192.168.250.2 9000)" "192.168.250.1:m-n1"
expect_eq "nat: a host port forward reaches the guest" "$(python3 "$ECHO" send 127.0.0.1 18080 fw 2>&1)" "guest:fw"
"$HV" forward n1 add tcp:18081:80
expect_eq "nat: a forward added live works at once" "$(python3 "$ECHO" send 127.0.0.1 18081 live 2>&1)" "guest:live"
"$HV" forward n1 remove tcp:18081
expect_match "nat: a forward removed live is gone" "$(python3 "$ECHO" send 127.0.0.1 18081 gone 2>&1)" "refused"
expect_eq "nat: hv ip reports the guest's own address" "$(info_ip n1)" "$(guest_ip n1)"
expect_eq "nat: the guest's DNS is slirp's 10.0.2.3" "$(guest_run n1 'cat /etc/resolv.conf')" "nameserver 10.0.2.3"
"$HV" kill n1 >/dev/null

# --- natnet ---
"$HV" net create tnat --mode natnet --subnet 10.77.201.0/24 >/dev/null
"$HV" create a1 --nic network=tnat >/dev/null
"$HV" create a2 --nic network=tnat >/dev/null
boot a1 a2
a1=$(vm_ip a1)
a2=$(vm_ip a2)
expect_eq "natnet: hv ip (DHCP lease) agrees with the guest (a1)" "$a1" "$(guest_ip a1)"
expect_eq "natnet: hv ip (DHCP lease) agrees with the guest (a2)" "$a2" "$(guest_ip a2)"
expect_eq "natnet: hv ip names the lease as source" "$("$HV" ip a1 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["source"])')" "dhcp-lease"
expect_eq "natnet: VM to VM" "$(send a1 "$a2" 80)" "guest:m-a1"
expect_eq "natnet: VM to VM by name (dnsmasq DNS)" "$(send a2 a1 80)" "guest:m-a2"
expect_eq "natnet: VM to the outside, which sees the host's address" "$(send a1 192.168.250.2 9000)" "192.168.250.1:m-a1"
expect_eq "natnet: VM to the host" "$(send a1 10.77.201.1 9001)" "$a1:m-a1"
expect_eq "natnet: the host reaches a VM" "$(python3 "$ECHO" send "$a2" 80 direct 2>&1)" "guest:direct"
"$HV" net forward tnat add tcp:18090:a2:80
expect_eq "natnet: a port forward from the host's loopback" "$(python3 "$ECHO" send 127.0.0.1 18090 lo 2>&1)" "guest:lo"
expect_eq "natnet: a port forward from the outside" "$(ip netns exec $OUT python3 "$ECHO" send 192.168.250.1 18090 out 2>&1)" "guest:out"
expect_match "natnet: the outside cannot reach a VM without a forward" "$(ip netns exec $OUT ip route add 10.77.201.0/24 via 192.168.250.1; ip netns exec $OUT python3 "$ECHO" send "$a2" 80 x 1 2>&1)" "timed out|refused|unreachable"
"$HV" net forward tnat remove tcp:18090:a2:80
expect_match "natnet: a removed forward is gone" "$(python3 "$ECHO" send 127.0.0.1 18090 gone 2 2>&1)" "refused|timed out"
"$HV" kill a1 >/dev/null
"$HV" kill a2 >/dev/null

# --- host-only ---
"$HV" net create tho --mode host-only --subnet 10.77.202.0/24 >/dev/null
"$HV" create b1 --nic network=tho >/dev/null
"$HV" create b2 --nic network=tho >/dev/null
boot b1 b2
b1=$(vm_ip b1)
b2=$(vm_ip b2)
expect_eq "host-only: host to VM" "$(python3 "$ECHO" send "$b1" 80 h 2>&1)" "guest:h"
expect_eq "host-only: VM to host" "$(send b1 10.77.202.1 9001)" "$b1:m-b1"
expect_eq "host-only: VM to VM" "$(send b1 "$b2" 80)" "guest:m-b1"
expect_eq "host-only: no default route is offered" "$(guest_run b1 'ip route | grep -c default')" "0"
guest_run b1 "ip route add default via 10.77.202.1" >/dev/null
expect_match "host-only: no way out, even with a route via the host" "$(send b1 192.168.250.2 9000)" "timed out|refused|unreachable|^$"
"$HV" kill b1 >/dev/null
"$HV" kill b2 >/dev/null

# --- internal ---
"$HV" net create tin --mode internal --subnet 10.77.203.0/24 >/dev/null
"$HV" create c1 --nic network=tin >/dev/null
"$HV" create c2 --nic network=tin >/dev/null
boot c1 c2
c1=$(vm_ip c1)
c2=$(vm_ip c2)
check "internal: VMs get leases from the network's own DHCP ($c1, $c2)" test -n "$c1" -a -n "$c2"
expect_eq "internal: VM to VM" "$(send c1 "$c2" 80)" "guest:m-c1"
expect_eq "internal: the host has no address on the network" "$(ip -4 addr show hv-tin | grep -c inet)" "0"
# the host has no route to the network: its packets go wherever its default route leads, never to the VM
reply=$(python3 "$ECHO" send "$c1" 80 x 2 2>&1)
check "internal: the host cannot reach a VM (got: ${reply%%$'\n'*})" test "$reply" != "guest:x"
expect_match "internal: a VM cannot reach the host" "$(send c1 192.168.250.1 9001)" "timed out|refused|unreachable|^$"
"$HV" kill c1 >/dev/null
"$HV" kill c2 >/dev/null

# --- bridged ---
"$HV" create d1 --nic bridge=$BR >/dev/null
boot d1
d1=$(guest_ip d1)
expect_match "bridged: the VM's lease comes from the LAN's DHCP server ($d1)" "$d1" "^192\.168\.251\.(1[0-4][0-9]|150)$"
check "bridged: the LAN's server recorded the lease" grep -q "$d1" /run/hvt-lan.leases
expect_eq "bridged: VM to a peer on the LAN" "$(send d1 192.168.251.1 9000)" "$d1:m-d1"
expect_eq "bridged: a peer on the LAN reaches the VM" "$(ip netns exec $LAN python3 "$ECHO" send "$d1" 80 lan 2>&1)" "guest:lan"
expect_eq "bridged: hv ip reports the guest's address" "$(info_ip d1 | cut -d/ -f1)" "$d1"

# --- nothing of hv's remains ---
for vm in n1 a1 a2 b1 b2 c1 c2 d1; do "$HV" delete --force $vm >/dev/null; done
for n in tnat tho tin; do "$HV" net delete $n >/dev/null; done
expect_eq "no link of hv's remains" "$(ip -o link | grep -cE ' (hv-t(nat|ho|in)|hvd-t|hvt[0-9])')" "0"
expect_eq "no firewall table of hv's remains" "$(nft list tables | grep -c 'hv-t')" "0"
expect_eq "no dnsmasq of hv's remains" "$(pgrep -fc 'dnsmasq.*/run/hv/networks/t' || true)" "0"
expect_eq "no namespace of hv's remains" "$(ip netns list | grep -c '^hv-')" "0"
check "no runtime files remain" test ! -e /run/hv/networks/tnat -a ! -e /run/hv/networks/tin
expect_eq "no QEMU remains" "$(pgrep -fc 'qemu-system-x86_64 -name [a-d][12] ' || true)" "0"
done_testing
