/* SPDX-License-Identifier: MIT */
/* The rtnetlink client against the real kernel, inside private network and
 * mount namespaces so the host is never touched (sysfs is mounted afresh so
 * that /sys/class/net describes our namespace): bridges, veth pairs,
 * addresses, routes, neighbours, TAP devices, links moving between
 * namespaces; and the CIDR, IPv4 and MAC parsers.  Needs root. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>
#include <linux/if_tun.h>

#include "network/netlink.h"
#include "t.h"
#include "util/cleanup.h"
#include "util/err.h"

static uint32_t ip(const char *s)
{
	uint32_t v = 0;

	inet_pton(AF_INET, s, &v);
	return v;
}

static bool msg_has(const char *a, const char *b)
{
	return strstr(err_msg(), a) && (!b || strstr(err_msg(), b));
}

/* /sys/class/net/DEV/ATTR without its newline; "" if absent. */
static const char *sysfs(const char *dev, const char *attr)
{
	static char buf[256];
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/class/net/%s/%s", dev, attr);
	buf[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return buf;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

static const char *master_of(const char *dev)
{
	static char target[PATH_MAX];
	char path[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/class/net/%s/master", dev);
	n = readlink(path, target, sizeof(target) - 1);
	target[n > 0 ? n : 0] = '\0';
	return strrchr(target, '/') ? strrchr(target, '/') + 1 : target;
}

static bool is_up(const char *dev)
{
	return strtoul(sysfs(dev, "flags"), NULL, 16) & IFF_UP;
}

static void parse_ip(void)
{
	static const char *bad[] = { "",	 "1.2.3",    "1.2.3.4.5", "256.1.1.1", "01.2.3.4", " 1.2.3.4",
				     "1.2.3.4 ", "1.2.3.-4", "a.b.c.d",	  "1..2.3",    "0x1.2.3.4" };
	char buf[INET_ADDRSTRLEN];
	uint32_t v = 0;

	CHECK(ip4_parse("192.168.1.10", &v) == 0 && v == htonl(0xc0a8010a), "parse 192.168.1.10");
	CHECK(ip4_parse("0.0.0.0", &v) == 0 && v == 0, "parse 0.0.0.0");
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		int r = ip4_parse(bad[i], &v);
		char quoted[64];
		snprintf(quoted, sizeof(quoted), "'%s'", bad[i]);
		CHECK(r == -EINVAL && msg_has(quoted, "four numbers 0-255"), "ip4_parse(\"%s\") = %d: %s", bad[i], r,
		      err_msg());
	}
	ip4_format(ip("10.0.3.17"), buf, sizeof(buf));
	CHECK_STR(buf, "10.0.3.17", "ip4_format");
	ip4_format(0xffffffffu, buf, sizeof(buf));
	CHECK_STR(buf, "255.255.255.255", "ip4_format broadcast");
	CHECK(ip4_overlap(ip("10.0.3.0"), 24, ip("10.0.0.0"), 16), "/24 inside /16 overlaps");
	CHECK(ip4_overlap(ip("10.0.0.0"), 16, ip("10.0.3.0"), 24), "/16 around /24 overlaps");
	CHECK(ip4_overlap(ip("10.0.3.128"), 25, ip("10.0.3.0"), 24), "/25 inside /24 overlaps");
	CHECK(!ip4_overlap(ip("10.0.3.0"), 24, ip("10.0.4.0"), 24), "neighbouring /24s do not overlap");
	CHECK(!ip4_overlap(ip("10.0.3.0"), 25, ip("10.0.3.128"), 25), "the two halves of a /24 do not overlap");
}

static void cidr_bad(const char *s, const char *want)
{
	uint32_t net = 0;
	int prefix = 0, r = ip4_parse_cidr(s, &net, &prefix);

	CHECK(r == -EINVAL && msg_has(s, want), "ip4_parse_cidr(\"%s\") = %d: '%s', want '%s'", s, r, err_msg(), want);
}

static void parse_cidr(void)
{
	uint32_t net = 0;
	int prefix = 0;

	CHECK(ip4_parse_cidr("10.0.3.0/24", &net, &prefix) == 0 && net == ip("10.0.3.0") && prefix == 24,
	      "10.0.3.0/24: %s", err_msg());
	CHECK(ip4_parse_cidr("172.16.0.0/12", &net, &prefix) == 0 && net == ip("172.16.0.0") && prefix == 12,
	      "172.16.0.0/12");
	CHECK(ip4_parse_cidr("10.0.0.0/8", &net, &prefix) == 0 && prefix == 8, "/8 is the widest");
	CHECK(ip4_parse_cidr("10.0.3.4/30", &net, &prefix) == 0 && prefix == 30, "/30 is the narrowest");
	cidr_bad("10.0.3.5/24", "host bits set; did you mean 10.0.3.0/24?");
	cidr_bad("172.16.5.0/12", "did you mean 172.16.0.0/12?");
	cidr_bad("10.0.3.0", "expected ADDRESS/PREFIX");
	cidr_bad("10.0.3.0/31", "outside the supported range 8..30");
	cidr_bad("10.0.0.0/7", "outside the supported range 8..30");
	cidr_bad("10.0.3.0/99", "outside the supported range 8..30");
	cidr_bad("10.0.3.0/", "prefix length must be a number");
	cidr_bad("10.0.3.0/024", "prefix length must be a number");
	cidr_bad("10.0.3.0/ 24", "prefix length must be a number");
	cidr_bad("10.0.3.0/24x", "prefix length must be a number");
	cidr_bad("10.0.3.0/-24", "prefix length must be a number");
	cidr_bad("10.0.300.0/24", "address is not four numbers");
	cidr_bad("10.0.3/24", "address is not four numbers");
	cidr_bad("/24", "address is not four numbers");
	cidr_bad("10.0.3.0.0.0.0.0/24", "address is not four numbers");
}

static void mac_bad(const char *s, const char *want)
{
	uint8_t m[6];
	int r = mac_parse(s, m);

	CHECK(r == -EINVAL && msg_has(s, want), "mac_parse(\"%s\") = %d: '%s', want '%s'", s, r, err_msg(), want);
}

static void parse_mac(void)
{
	static const uint8_t want[6] = { 0x52, 0x54, 0x00, 0xab, 0xcd, 0xef };
	uint8_t m[6] = { 0 };
	char buf[18];

	CHECK(mac_parse("52:54:00:AB:cd:Ef", m) == 0 && !memcmp(m, want, 6), "mixed-case MAC: %s", err_msg());
	mac_format(m, buf, sizeof(buf));
	CHECK_STR(buf, "52:54:00:ab:cd:ef", "mac_format is lower case");
	CHECK(mac_parse("02:00:00:00:00:01", m) == 0 && m[0] == 2 && m[5] == 1, "locally administered unicast");
	mac_bad("52:54:00:12:34", "six hex pairs");
	mac_bad("52:54:00:12:34:56:78", "six hex pairs");
	mac_bad("52-54-00-12-34-56", "six hex pairs");
	mac_bad("5254.0012.3456", "six hex pairs");
	mac_bad("52:54:00:12:34:5g", "six hex pairs");
	mac_bad("52:54:00:12:34: 6", "six hex pairs");
	mac_bad("525:4:00:12:34:56", "six hex pairs");
	mac_bad("+2:54:00:12:34:56", "six hex pairs");
	mac_bad("", "six hex pairs");
	mac_bad("01:00:5e:00:00:01", "multicast");
	mac_bad("ff:ff:ff:ff:ff:ff", "multicast");
	mac_bad("00:00:00:00:00:00", "all-zero");
}

/* Private network and mount namespaces, and a sysfs of our own in the latter. */
static bool enter_private_netns(void)
{
	int n = 0;
	DIR *d;

	if (unshare(CLONE_NEWNET | CLONE_NEWNS) < 0) {
		printf("unshare: %s (this test needs root)\n", strerror(errno));
		return false;
	}
	/* Private propagation first, or the sysfs mount would reach the host. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		printf("making / private: %s\n", strerror(errno));
		return false;
	}
	umount2("/sys", MNT_DETACH); /* may not be mounted at all */
	if (mount("sysfs", "/sys", "sysfs", 0, NULL) < 0) {
		printf("remounting /sys: %s\n", strerror(errno));
		return false;
	}
	d = opendir("/sys/class/net");
	for (struct dirent *de; d && (de = readdir(d));)
		n += de->d_name[0] != '.';
	if (d)
		closedir(d);
	CHECK(n == 1 && nl_link_exists("lo"), "a fresh namespace holds only lo (%d links in /sys)", n);
	if (nl_link_set_up("lo", true) < 0) {
		printf("%s\n", err_msg());
		return false;
	}
	return true;
}

static void links(void)
{
	char peer_index[16];
	int r, index;

	r = nl_bridge_create("hv-br0");
	CHECK(r == 0, "create bridge: %s", err_msg());
	CHECK(nl_link_exists("hv-br0") && nl_link_is_bridge("hv-br0"), "hv-br0 is a bridge");
	CHECK(!nl_link_is_bridge("lo") && !nl_link_is_bridge("hv-none"), "lo and a missing link are not bridges");
	index = nl_link_index("hv-br0");
	CHECK(index > 1 && index == atoi(sysfs("hv-br0", "ifindex")), "index %d, sysfs %s", index,
	      sysfs("hv-br0", "ifindex"));
	CHECK(nl_link_index("lo") == 1, "lo is ifindex 1");
	r = nl_bridge_create("hv-br0");
	CHECK(r == -EEXIST && msg_has("cannot create bridge hv-br0", "exists"), "second create: %d %s", r, err_msg());
	r = nl_link_index("hv-none");
	CHECK(r == -ENODEV && msg_has("hv-none", NULL), "missing link: %d %s", r, err_msg());
	r = nl_bridge_create("hv-0123456789abc");
	CHECK(r == -EINVAL && msg_has("'hv-0123456789abc'", "longer than 15") && !nl_link_exists("hv-0123456789a"),
	      "16-character name: %d %s", r, err_msg());
	r = nl_bridge_create("hv/x");
	CHECK(r == -EINVAL && msg_has("'hv/x'", NULL), "name with a slash: %d %s", r, err_msg());

	r = nl_veth_create("hv-v0", "hv-v1");
	CHECK(r == 0 && nl_link_exists("hv-v0") && nl_link_exists("hv-v1"), "veth pair: %s", err_msg());
	CHECK(!nl_link_is_bridge("hv-v0"), "a veth is not a bridge");
	snprintf(peer_index, sizeof(peer_index), "%d", nl_link_index("hv-v1"));
	CHECK_STR(sysfs("hv-v0", "iflink"), peer_index, "hv-v0's peer is hv-v1");
	r = nl_veth_create("hv-v2", "hv-br0");
	CHECK(r == -EEXIST && msg_has("hv-v2/hv-br0", NULL) && !nl_link_exists("hv-v2"), "peer name taken: %d %s", r,
	      err_msg());
}

static void masters_and_flags(void)
{
	int r;

	r = nl_link_set_master("hv-v0", "hv-br0");
	CHECK(r == 0, "attach: %s", err_msg());
	CHECK_STR(master_of("hv-v0"), "hv-br0", "hv-v0's master");
	r = nl_link_set_master("hv-v0", NULL);
	CHECK(r == 0 && !*master_of("hv-v0"), "detach: %d %s", r, err_msg());
	CHECK(nl_link_set_master("hv-v0", "hv-br0") == 0 && !strcmp(master_of("hv-v0"), "hv-br0"), "attach again");
	r = nl_link_set_master("hv-v1", "hv-none");
	CHECK(r == -ENODEV && msg_has("cannot attach hv-v1 to hv-none", NULL), "missing master: %d %s", r, err_msg());
	r = nl_link_set_master("hv-v1", "lo");
	CHECK(r < 0 && msg_has("cannot attach hv-v1 to lo", NULL) && !*master_of("hv-v1"), "lo as master: %d %s", r,
	      err_msg());

	CHECK(!is_up("hv-br0"), "a new link is down");
	r = nl_link_set_up("hv-br0", true);
	if (r == 0)
		r = nl_link_set_up("hv-v0", true);
	if (r == 0)
		r = nl_link_set_up("hv-v1", true);
	CHECK(r == 0 && is_up("hv-br0") && is_up("hv-v0") && is_up("hv-v1"), "up: %s", err_msg());
	r = nl_link_set_up("hv-v1", false);
	CHECK(r == 0 && !is_up("hv-v1") && is_up("hv-v0"), "hv-v1 down: %s", err_msg());
	CHECK(nl_link_set_up("hv-v1", true) == 0 && is_up("hv-v1"), "hv-v1 up again");
	r = nl_link_set_up("hv-none", true);
	CHECK(r == -ENODEV && msg_has("hv-none", NULL), "up on a missing link: %d %s", r, err_msg());
}

static bool listed(const uint32_t *ips, const int *prefixes, int n, const char *addr, int prefix)
{
	for (int i = 0; i < n; i++)
		if (ips[i] == ip(addr) && prefixes[i] == prefix)
			return true;
	return false;
}

static void addresses(void)
{
	uint32_t ips[8];
	int prefixes[8], n, r;

	r = nl_addr_add("hv-br0", ip("10.99.1.1"), 24);
	CHECK(r == 0, "add 10.99.1.1/24: %s", err_msg());
	CHECK(nl_addr_add("hv-br0", ip("10.99.2.1"), 24) == 0, "add 10.99.2.1/24: %s", err_msg());
	CHECK(nl_addr_add("hv-v1", ip("10.99.3.1"), 32) == 0, "add a /32: %s", err_msg());
	r = nl_addr_add("hv-br0", ip("10.99.1.1"), 24);
	CHECK(r == -EEXIST && msg_has("10.99.1.1/24", "hv-br0"), "duplicate address: %d %s", r, err_msg());
	r = nl_addr_add("hv-br0", ip("10.99.9.1"), 33);
	CHECK(r == -EINVAL && msg_has("/33", NULL), "prefix 33: %d %s", r, err_msg());
	r = nl_addr_add("hv-none", ip("10.99.9.1"), 24);
	CHECK(r == -ENODEV && msg_has("hv-none", NULL), "address on a missing link: %d %s", r, err_msg());

	n = nl_addr_list("hv-br0", ips, prefixes, 8);
	CHECK(n == 2 && listed(ips, prefixes, n, "10.99.1.1", 24) && listed(ips, prefixes, n, "10.99.2.1", 24),
	      "hv-br0 has 2 addresses, listed %d", n);
	CHECK(nl_addr_list("hv-br0", ips, prefixes, 1) == 1, "the list stops at max");
	n = nl_addr_list("lo", ips, prefixes, 8);
	CHECK(n == 1 && listed(ips, prefixes, n, "127.0.0.1", 8), "lo has 127.0.0.1/8, listed %d", n);
	n = nl_addr_list("hv-v1", ips, prefixes, 8);
	CHECK(n == 1 && listed(ips, prefixes, n, "10.99.3.1", 32), "hv-v1 has its /32, listed %d", n);
	CHECK(nl_addr_list("hv-v0", ips, prefixes, 8) == 0, "hv-v0 has none");

	r = nl_addr_del("hv-br0", ip("10.99.2.1"), 24);
	n = nl_addr_list("hv-br0", ips, prefixes, 8);
	CHECK(r == 0 && n == 1 && listed(ips, prefixes, n, "10.99.1.1", 24), "deleted one: %d, %d left", r, n);
	r = nl_addr_del("hv-br0", ip("10.99.2.1"), 24);
	CHECK(r < 0 && msg_has("cannot remove address 10.99.2.1/24 from hv-br0", NULL), "delete again: %d %s", r,
	      err_msg());
}

static void overlap(const char *net, int prefix, int want, const char *wdev, const char *wnet, int wprefix)
{
	char dev[IFNAMSIZ] = "junk";
	uint32_t rnet = 0;
	int rprefix = -1, r = nl_route_overlap(ip(net), prefix, dev, sizeof(dev), &rnet, &rprefix);

	if (want)
		CHECK(r == 1 && !strcmp(dev, wdev) && rnet == ip(wnet) && rprefix == wprefix,
		      "%s/%d: %d dev '%s' prefix %d, want dev %s %s/%d", net, prefix, r, dev, rprefix, wdev, wnet,
		      wprefix);
	else
		CHECK(r == 0 && !*dev, "%s/%d overlaps nothing, got %d dev '%s' /%d (%s)", net, prefix, r, dev, rprefix,
		      r < 0 ? err_msg() : "");
}

static void routes(void)
{
	int r;

	overlap("10.99.1.0", 24, 1, "hv-br0", "10.99.1.0", 24);
	overlap("10.99.0.0", 16, 1, "hv-br0", "10.99.1.0", 24);
	overlap("10.99.1.128", 25, 1, "hv-br0", "10.99.1.0", 24);
	overlap("10.98.0.0", 24, 0, NULL, NULL, 0);
	overlap("10.99.2.0", 24, 0, NULL, NULL, 0); /* its address was removed */
	overlap("127.0.0.0", 8, 0, NULL, NULL, 0);  /* lo's routes live in the local table */

	r = nl_route_add(ip("10.77.0.0"), 16, 0, "hv-v1");
	CHECK(r == 0, "route 10.77.0.0/16 dev hv-v1: %s", err_msg());
	overlap("10.77.3.0", 24, 1, "hv-v1", "10.77.0.0", 16);
	r = nl_route_add(ip("10.77.0.0"), 16, 0, "hv-v1");
	CHECK(r == -EEXIST && msg_has("cannot add route 10.77.0.0/16 dev hv-v1", NULL), "same route: %d %s", r,
	      err_msg());
	r = nl_route_add(0, 0, ip("10.99.1.254"), NULL);
	CHECK(r == 0, "default route: %s", err_msg());
	overlap("192.168.7.0", 24, 0, NULL, NULL, 0); /* the default route does not count */
	r = nl_route_add(ip("10.66.0.0"), 16, 0, NULL);
	CHECK(r == -EINVAL && msg_has("gateway or a device", NULL), "route to nowhere: %d %s", r, err_msg());

	r = nl_route_del(ip("10.77.0.0"), 16, 0, "hv-v1");
	CHECK(r == 0, "delete route: %s", err_msg());
	overlap("10.77.3.0", 24, 0, NULL, NULL, 0);
	r = nl_route_del(ip("10.77.0.0"), 16, 0, "hv-v1");
	CHECK(r < 0 && msg_has("cannot delete route 10.77.0.0/16", NULL), "delete again: %d %s", r, err_msg());
	CHECK(nl_route_del(0, 0, ip("10.99.1.254"), NULL) == 0, "delete the default route: %s", err_msg());
}

static void neighbours(void)
{
	static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc };
	static const uint8_t other[6] = { 0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcd };
	char ifname[IFNAMSIZ] = "junk";
	uint32_t addr = 0;
	int r;

	CHECK(nl_neigh_find_mac(mac, &addr, ifname, sizeof(ifname)) == 0 && !*ifname, "no neighbour yet");
	r = nl_neigh_add("hv-br0", ip("10.99.1.50"), mac);
	CHECK(r == 0, "add neighbour: %s", err_msg());
	r = nl_neigh_find_mac(mac, &addr, ifname, sizeof(ifname));
	CHECK(r == 1 && addr == ip("10.99.1.50") && !strcmp(ifname, "hv-br0"), "found: %d %s", r, ifname);
	CHECK(nl_neigh_find_mac(other, &addr, ifname, sizeof(ifname)) == 0, "another MAC is not found");
	r = nl_neigh_add("hv-none", ip("10.99.1.51"), other);
	CHECK(r == -ENODEV && msg_has("10.99.1.51", "hv-none"), "neighbour on a missing link: %d %s", r, err_msg());
}

static void taps(void)
{
	char name[IFNAMSIZ] = "", name2[IFNAMSIZ] = "", tiny[4];
	int fd, fd2, r;

	fd = nl_tap_open("hvt%d", name, sizeof(name));
	CHECK(fd >= 0 && !strncmp(name, "hvt", 3) && name[3] && strspn(name + 3, "0123456789") == strlen(name + 3),
	      "tap from hvt%%d: fd %d name '%s' %s", fd, name, fd < 0 ? err_msg() : "");
	CHECK(nl_link_exists(name), "%s exists while open", name);
	CHECK(fd >= 0 && (fcntl(fd, F_GETFD) & FD_CLOEXEC), "tap fd is close-on-exec");
	CHECK(strtoul(sysfs(name, "tun_flags"), NULL, 16) == (IFF_TAP | IFF_NO_PI), "tun_flags %s",
	      sysfs(name, "tun_flags"));
	fd2 = nl_tap_open("hvt%d", name2, sizeof(name2));
	CHECK(fd2 >= 0 && strcmp(name, name2) && nl_link_exists(name2), "second tap %s", name2);
	close(fd);
	CHECK(!nl_link_exists(name) && nl_link_exists(name2), "%s is gone once closed", name);
	close(fd2);
	CHECK(!nl_link_exists(name2), "%s is gone once closed", name2);

	r = nl_tap_open("hvt%d", tiny, sizeof(tiny));
	CHECK(r == -ENAMETOOLONG && !nl_link_exists("hvt0") && !nl_link_exists("hvt1"), "no room for the name: %d %s",
	      r, err_msg());
	r = nl_tap_open("hv-tap-much-too-long%d", name, sizeof(name));
	CHECK(r == -EINVAL && msg_has("hv-tap-much-too-long", NULL), "long template: %d %s", r, err_msg());
}

static void macs(void)
{
	static const uint8_t multicast[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };
	uint8_t mac[6];
	int r;

	CHECK(mac_parse("52:54:00:12:34:56", mac) == 0, "parse");
	r = nl_link_set_mac("hv-v1", mac);
	CHECK(r == 0, "set mac: %s", err_msg());
	CHECK_STR(sysfs("hv-v1", "address"), "52:54:00:12:34:56", "hv-v1's address");
	r = nl_link_set_mac("hv-v1", multicast);
	CHECK(r < 0 && msg_has("hv-v1", "01:00:5e:00:00:01"), "multicast refused by the kernel: %d %s", r, err_msg());
	CHECK_STR(sysfs("hv-v1", "address"), "52:54:00:12:34:56", "hv-v1's address unchanged");
}

/* A second namespace, held by an fd only, to move a link into. */
static void netns_move(void)
{
	int here = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC), there = -1, r;

	if (here >= 0 && unshare(CLONE_NEWNET) == 0) {
		there = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		if (setns(here, CLONE_NEWNET) < 0)
			printf("setns back: %s\n", strerror(errno));
	}
	CHECK(here >= 0 && there >= 0 && nl_link_exists("hv-br0"), "second namespace, and back in the first");
	if (there < 0)
		return;
	CHECK(nl_veth_create("hv-m0", "hv-m1") == 0, "veth: %s", err_msg());
	r = nl_link_set_netns_fd("hv-m1", there);
	CHECK(r == 0 && !nl_link_exists("hv-m1") && nl_link_exists("hv-m0"), "hv-m1 moved away: %d %s", r, err_msg());
	CHECK(setns(there, CLONE_NEWNET) == 0 && nl_link_exists("hv-m1") && !nl_link_exists("hv-m0"),
	      "hv-m1 is in the other namespace");
	CHECK(setns(here, CLONE_NEWNET) == 0 && nl_link_exists("hv-m0"), "back home");
	r = nl_link_set_netns_fd("hv-m0", -1);
	CHECK(r == -EBADF && msg_has("hv-m0", NULL), "no fd: %d %s", r, err_msg());
	/* Before the fd closes: a dying namespace would take the pair down. */
	r = nl_link_delete("hv-m0");
	CHECK(r == 0 && setns(there, CLONE_NEWNET) == 0 && !nl_link_exists("hv-m1"),
	      "deleting hv-m0 deletes its peer over there: %d %s", r, err_msg());
	CHECK(setns(here, CLONE_NEWNET) == 0 && nl_link_exists("hv-br0"), "back home again");
	close(here);
	close(there);
}

static void deletion(void)
{
	int r;

	r = nl_link_delete("hv-v1");
	CHECK(r == 0 && !nl_link_exists("hv-v1") && !nl_link_exists("hv-v0"), "deleting a veth end deletes both: %s",
	      err_msg());
	r = nl_link_delete("hv-v1");
	CHECK(r == -ENODEV && msg_has("cannot delete link hv-v1", NULL), "delete again: %d %s", r, err_msg());
	CHECK(nl_link_delete("hv-br0") == 0 && !nl_link_exists("hv-br0"), "delete bridge: %s", err_msg());
}

int main(void)
{
	bool ok;

	parse_ip();
	parse_cidr();
	parse_mac();
	ok = enter_private_netns();
	CHECK(ok, "a private network namespace with lo up (needs root)");
	if (ok) {
		links();
		masters_and_flags();
		addresses();
		routes();
		neighbours();
		taps();
		macs();
		netns_move();
		deletion();
	}
	T_DONE();
}
