/* SPDX-License-Identifier: MIT */
/* What users type for NICs, forwards, subnets and MACs. */
#include <arpa/inet.h>
#include <errno.h>

#include "network/addr.h"
#include "network/net.h"
#include "network/nic.h"
#include "t.h"
#include "util/err.h"

static void nics(void)
{
	struct nic n;
	char mac[32];

	CHECK(nic_parse("nat", &n) == 0 && n.mode == NIC_NAT && !n.mac_set, "nat");
	CHECK(nic_parse("network=lab", &n) == 0 && n.mode == NIC_NETWORK && !strcmp(n.target, "lab"), "network=lab");
	CHECK(nic_parse("bridge=br0,mac=52:54:00:aa:bb:cc", &n) == 0 && n.mode == NIC_BRIDGE && n.mac_set,
	      "bridge with a MAC");
	mac_format(n.mac, mac, sizeof(mac));
	CHECK_STR(mac, "52:54:00:aa:bb:cc", "the MAC round-trips");
	CHECK(nic_parse("network", &n) == -EINVAL && strstr(err_msg(), "needs a name"), "network without a name: %s",
	      err_msg());
	CHECK(nic_parse("nat=x", &n) == -EINVAL, "nat takes no value");
	CHECK(nic_parse("wifi", &n) == -EINVAL && strstr(err_msg(), "unknown NIC mode"), "unknown mode: %s", err_msg());
	CHECK(nic_parse("nat,speed=10", &n) == -EINVAL, "unknown option");
	CHECK(nic_parse("nat,mac=01:00:5e:00:00:01", &n) == -EINVAL && strstr(err_msg(), "multicast"),
	      "a multicast MAC: %s", err_msg());
	CHECK(nic_parse("bridge=a/b", &n) == -EINVAL, "a bridge name with a slash");
	CHECK(nic_parse("bridge=0123456789abcdef", &n) == -EINVAL, "a bridge name over 15 characters");
}

static void forwards(void)
{
	struct nic_forward f;
	char buf[64];

	CHECK(forward_parse("tcp:8080:80", &f) == 0 && !strcmp(f.proto, "tcp") && f.host_port == 8080 &&
		  f.guest_port == 80 && f.host_addr == 0,
	      "tcp:8080:80");
	CHECK(forward_parse("8080:80", &f) == 0 && !strcmp(f.proto, "tcp"), "tcp is the default");
	CHECK(forward_parse("udp:127.0.0.1:5353:53", &f) == 0 && !strcmp(f.proto, "udp") &&
		  f.host_addr == htonl(0x7f000001),
	      "udp with a host address");
	forward_format(&f, buf, sizeof(buf));
	CHECK_STR(buf, "udp:127.0.0.1:5353:53", "forward_format");
	forward_qemu(&f, buf, sizeof(buf));
	CHECK_STR(buf, "udp:127.0.0.1:5353-:53", "QEMU's hostfwd syntax");
	CHECK(forward_parse("tcp:0:80", &f) == -EINVAL, "port 0");
	CHECK(forward_parse("tcp:65536:80", &f) == -EINVAL, "port 65536");
	CHECK(forward_parse("tcp:80", &f) == -EINVAL, "a missing guest port");
	CHECK(forward_parse("sctp:1:2", &f) == -EINVAL, "sctp is not a forward protocol");
	CHECK(forward_parse("tcp:1.2.3:8080:80", &f) == -EINVAL, "a bad host address");

	struct net_forward nf;
	CHECK(net_forward_parse("tcp:5432:db:5432", &nf) == 0 && nf.host_port == 5432 && !strcmp(nf.vm, "db"),
	      "a network forward");
	CHECK(net_forward_parse("tcp:5432:db", &nf) == -EINVAL, "a network forward without the VM port");
	CHECK(net_forward_parse("tcp:5432:d/b:1", &nf) == -EINVAL, "a network forward to a bad VM name");
}

static void subnets(void)
{
	struct netdef d = { .prefix = 24 };
	uint32_t lo, hi, dlo, dhi;
	char a[16], b[16];

	CHECK(ip4_parse_cidr("10.77.1.0/24", &d.subnet, &d.prefix) == 0, "a /24");
	CHECK(ip4_parse_cidr("10.77.1.5/24", &lo, &d.prefix) == -EINVAL && strstr(err_msg(), "10.77.1.0/24"),
	      "host bits set, with the fix suggested: %s", err_msg());
	net_ranges(&d, &lo, &hi, &dlo, &dhi);
	ip4_format(lo, a, sizeof(a));
	ip4_format(hi, b, sizeof(b));
	CHECK(!strcmp(a, "10.77.1.2") && !strcmp(b, "10.77.1.127"), "reservations .2-.127 (%s-%s)", a, b);
	ip4_format(dlo, a, sizeof(a));
	ip4_format(dhi, b, sizeof(b));
	CHECK(!strcmp(a, "10.77.1.128") && !strcmp(b, "10.77.1.254"), "DHCP range .128-.254 (%s-%s)", a, b);
	ip4_format(net_gateway(&d), a, sizeof(a));
	CHECK_STR(a, "10.77.1.1", "the gateway");
	CHECK(ip4_overlap(htonl(0x0a4d0100), 24, htonl(0x0a4d0000), 16), "a /16 contains a /24");
	CHECK(!ip4_overlap(htonl(0x0a4d0100), 24, htonl(0x0a4d0200), 24), "neighbouring /24s do not overlap");
	CHECK(net_name_validate("lab-1") == 0, "net name lab-1");
	CHECK(net_name_validate("Lab") == -EINVAL, "upper case is refused (interface names)");
	CHECK(net_name_validate("twelve-chars") == -EINVAL, "12 characters are too long");
	enum net_mode m;
	CHECK(net_mode_parse("host-only", &m) == 0 && m == NET_HOSTONLY, "host-only");
	CHECK(net_mode_parse("bridged", &m) == -EINVAL, "bridged is a NIC mode, not a network mode");
}

/* dnsmasq's lease file, as a guest's DHCP client filled it */
static void leases(void)
{
	const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x6c, 0xf8, 0x31 }, other[6] = { 0x52, 0x54, 0, 0, 0, 1 };
	char text[] = "duid 00:01:00:01:2c:5f:1d:0a\n"
		      "1796082172 52:54:00:51:e5:6d 192.168.251.116 * 01:52:54:00:51:e5:6d\n"
		      "1796084075 52:54:00:6c:f8:31 192.168.251.1471 d1\n"
		      "garbage\n"
		      "1796084075 52:54:00:6C:F8:31 192.168.251.147 d1 01:52:54:00:6c:f8:31\n";
	char copy[sizeof(text)];
	uint32_t ip = 7;

	memcpy(copy, text, sizeof(text));
	CHECK(net_lease_find(copy, mac, &ip) == 1 && ip == htonl(0xc0a8fb93),
	      "the lease of a MAC (any case), past malformed lines: %08x", ip);
	memcpy(copy, text, sizeof(text));
	CHECK(net_lease_find(copy, other, &ip) == 0 && ip == 0, "no lease: 0");
}

int main(void)
{
	nics();
	forwards();
	subnets();
	leases();
	T_DONE();
}
