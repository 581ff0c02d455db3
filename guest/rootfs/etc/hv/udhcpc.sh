#!/bin/sh
# SPDX-License-Identifier: MIT
# busybox udhcpc calls this on every DHCP event ($1) of one interface.
# It configures the address, a default route (metric by interface, so
# several NICs coexist) and resolv.conf, and records the lease in
# /run/hv/net/IFACE, which hv's init reports to the host.
[ -n "$interface" ] || exit 0
state=/run/hv/net
mkdir -p "$state"
metric=$((100 + ${interface#eth}))

write_resolv() {
	# eth0's servers first: one resolv.conf from every lease
	: >/etc/resolv.conf.new
	for f in "$state"/*.dns; do
		[ -f "$f" ] && cat "$f" >>/etc/resolv.conf.new
	done
	mv /etc/resolv.conf.new /etc/resolv.conf
}

case "$1" in
deconfig)
	ip -4 addr flush dev "$interface"
	ip link set "$interface" up
	rm -f "$state/$interface" "$state/$interface.dns"
	write_resolv
	;;
bound | renew)
	ip -4 addr flush dev "$interface"
	ip addr add "$ip/${mask:-24}" dev "$interface"
	for r in $router; do
		ip route replace default via "$r" dev "$interface" metric "$metric"
		break
	done
	: >"$state/$interface.dns"
	for d in $dns; do
		echo "nameserver $d" >>"$state/$interface.dns"
	done
	write_resolv
	echo "$ip/${mask:-24} ${router%% *}" >"$state/$interface.tmp"
	mv "$state/$interface.tmp" "$state/$interface"
	;;
esac
exit 0
