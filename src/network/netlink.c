/* SPDX-License-Identifier: MIT */
/*
 * rtnetlink (rtnetlink(7), netlink(7)) spoken directly: every operation
 * opens its own NETLINK_ROUTE socket, sends one request and reads until the
 * kernel's ack or the end of a dump.  A socket per call costs microseconds
 * and leaves no state to share between threads or to get out of sync.
 */
#include "network/netlink.h"

#include <net/if.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

#include "util/cleanup.h"
#include "util/err.h"

/* Requests carry a name, an address or a nest or two.  The kernel sizes dump
 * datagrams to at most 32 KiB, so a bigger reply means something is wrong. */
#define NL_REQ_MAX  512
#define NL_RECV_MAX 32768

struct nl_req {
	union {
		struct nlmsghdr h;
		char buf[NL_REQ_MAX];
	};
	bool overflow;
};

/* Sees each reply message; a non-zero return ends the exchange with it. */
typedef int (*nl_reply_fn)(struct nlmsghdr *h, void *arg);

struct nl_exchange {
	uint32_t seq;
	nl_reply_fn fn;
	void *arg;
	const char *ctx;
	bool done, intr;
};

static uint32_t nl_seq;

static void *nl_req_init(struct nl_req *r, uint16_t type, uint16_t flags, size_t hdrlen)
{
	memset(r, 0, sizeof(*r));
	r->h.nlmsg_len = NLMSG_LENGTH(hdrlen);
	r->h.nlmsg_type = type;
	r->h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	return NLMSG_DATA(&r->h);
}

/* A dump ends with NLMSG_DONE, so it asks for no ack. */
static void *nl_dump_init(struct nl_req *r, uint16_t type, size_t hdrlen)
{
	void *hdr = nl_req_init(r, type, 0, hdrlen);

	r->h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	return hdr;
}

static struct rtattr *nl_put(struct nl_req *r, unsigned short type, const void *data, size_t len)
{
	size_t off = NLMSG_ALIGN(r->h.nlmsg_len);
	struct rtattr *rta;

	/* Noted here and refused when sending, so builders need not check each put. */
	if (r->overflow || off + RTA_SPACE(len) > sizeof(r->buf)) {
		r->overflow = true;
		return NULL;
	}
	rta = (struct rtattr *)(r->buf + off);
	rta->rta_type = type;
	rta->rta_len = RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(rta), data, len);
	r->h.nlmsg_len = off + RTA_SPACE(len);
	return rta;
}

static void nl_put_str(struct nl_req *r, unsigned short type, const char *s)
{
	nl_put(r, type, s, strlen(s) + 1);
}

static void nl_put_u32(struct nl_req *r, unsigned short type, uint32_t v)
{
	nl_put(r, type, &v, sizeof(v));
}

/* A nest is an attribute whose payload runs to the end of what follows it. */
static void nl_nest_end(struct nl_req *r, struct rtattr *nest)
{
	if (nest)
		nest->rta_len = (unsigned short)(r->buf + r->h.nlmsg_len - (char *)nest);
}

static void nl_attrs(struct rtattr **tb, int max, struct rtattr *rta, int len)
{
	memset(tb, 0, sizeof(*tb) * (size_t)(max + 1));
	for (; RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		int type = rta->rta_type & NLA_TYPE_MASK;
		if (type <= max)
			tb[type] = rta;
	}
}

/* The attributes after a message's fixed header; false if it is too short. */
static bool nl_msg_attrs(struct nlmsghdr *h, size_t hdrlen, struct rtattr **tb, int max)
{
	if (h->nlmsg_len < NLMSG_SPACE(hdrlen))
		return false;
	nl_attrs(tb, max, (struct rtattr *)((char *)NLMSG_DATA(h) + NLMSG_ALIGN(hdrlen)),
		 (int)(h->nlmsg_len - NLMSG_SPACE(hdrlen)));
	return true;
}

/* Fixed-size values only: a wrong length means a different attribute. */
static bool rta_get(const struct rtattr *a, void *out, size_t len)
{
	if (!a || RTA_PAYLOAD(a) != len)
		return false;
	memcpy(out, RTA_DATA(a), len);
	return true;
}

static const char *rta_str(const struct rtattr *a)
{
	if (!a || RTA_PAYLOAD(a) == 0 || !memchr(RTA_DATA(a), '\0', RTA_PAYLOAD(a)))
		return NULL;
	return RTA_DATA(a);
}

static int nl_socket(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	int one = 1;

	if (fd < 0)
		return err_errno(-errno, "cannot open a netlink socket");
	/* The kernel's own words ("Unknown device type") make better errors;
	 * kernels without them simply ignore these options. */
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	return fd;
}

/* The NLMSGERR_ATTR_MSG of an error, if the kernel attached one. */
static const char *nl_ext_msg(struct nlmsghdr *h)
{
	struct nlmsgerr *e = NLMSG_DATA(h);
	size_t off = sizeof(*e), payload = h->nlmsg_len - NLMSG_HDRLEN;
	struct rtattr *a;
	int len;

	/* Kernels with extended acks (4.12) all know NETLINK_CAP_ACK (4.3): the
	 * TLVs follow the error, not an echo of our request. */
	if ((h->nlmsg_flags & (NLM_F_ACK_TLVS | NLM_F_CAPPED)) != (NLM_F_ACK_TLVS | NLM_F_CAPPED))
		return NULL;
	len = (int)(payload - off);
	for (a = (struct rtattr *)((char *)e + off); RTA_OK(a, len); a = RTA_NEXT(a, len))
		if ((a->rta_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG)
			return rta_str(a);
	return NULL;
}

static int nl_fail(int code, const char *ctx, const char *ext)
{
	if (ext && *ext)
		return err_set(code, "%s: %s (%s)", ctx, strerror(-code), ext);
	return err_errno(code, "%s", ctx);
}

static int nl_reply(struct nl_exchange *x, struct nlmsghdr *h)
{
	int r = 0;

	if (h->nlmsg_type == NLMSG_ERROR) {
		struct nlmsgerr *e = NLMSG_DATA(h);
		x->done = true;
		if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
			return err_set(-EBADMSG, "%s: truncated netlink error message", x->ctx);
		return e->error < 0 ? nl_fail(e->error, x->ctx, nl_ext_msg(h)) : 0;
	}
	if (h->nlmsg_type == NLMSG_DONE) {
		x->done = true;
		if (h->nlmsg_len >= NLMSG_LENGTH(sizeof(r)))
			memcpy(&r, NLMSG_DATA(h), sizeof(r));
		if (r < 0)
			return nl_fail(r, x->ctx, NULL);
		if (x->intr)
			return err_set(-EAGAIN, "%s: the kernel's tables changed during the listing; try again",
				       x->ctx);
		return 0;
	}
	if (h->nlmsg_flags & NLM_F_DUMP_INTR)
		x->intr = true;
	if (x->fn)
		r = x->fn(h, x->arg);
	x->done = r != 0;
	return r;
}

static int nl_receive(int fd, struct nl_exchange *x)
{
	union {
		struct nlmsghdr h;
		char buf[NL_RECV_MAX];
	} u;

	for (;;) {
		struct sockaddr_nl sa = { 0 };
		socklen_t salen = sizeof(sa);
		ssize_t n = recvfrom(fd, u.buf, sizeof(u.buf), MSG_TRUNC, (struct sockaddr *)&sa, &salen);
		int r;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return err_errno(-errno, "%s: cannot read the netlink reply", x->ctx);
		if (n > (ssize_t)sizeof(u.buf))
			return err_set(-EMSGSIZE, "%s: netlink reply larger than %d bytes", x->ctx, NL_RECV_MAX);
		if (sa.nl_pid != 0)
			continue; /* only the kernel may answer */
		/* NLMSG_OK/NLMSG_NEXT, spelled out to keep the arithmetic unsigned. */
		for (size_t off = 0, left = (size_t)n; left >= NLMSG_HDRLEN;) {
			struct nlmsghdr *h = (struct nlmsghdr *)(u.buf + off);
			size_t step = NLMSG_ALIGN(h->nlmsg_len);
			if (h->nlmsg_len < NLMSG_HDRLEN || h->nlmsg_len > left)
				break;
			if (h->nlmsg_seq == x->seq) {
				r = nl_reply(x, h);
				if (x->done)
					return r;
			}
			if (step >= left)
				break;
			off += step;
			left -= step;
		}
	}
}

/* Send r and read the answer, handing each reply message to fn.  fmt names
 * the operation for errors: "cannot create bridge hv-lab". */
static int nl_talk(struct nl_req *r, nl_reply_fn fn, void *arg, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int nl_talk(struct nl_req *r, nl_reply_fn fn, void *arg, const char *fmt, ...)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	struct nl_exchange x = { .fn = fn, .arg = arg };
	_cleanup_close_ int fd = -1;
	char ctx[256];
	va_list ap;
	ssize_t n;

	va_start(ap, fmt);
	vsnprintf(ctx, sizeof(ctx), fmt, ap);
	va_end(ap);
	x.ctx = ctx;
	if (r->overflow)
		return err_set(-EMSGSIZE, "%s: netlink request too large", ctx);
	fd = nl_socket();
	if (fd < 0)
		return err_prefix(fd, "%s", ctx);
	x.seq = r->h.nlmsg_seq = __atomic_add_fetch(&nl_seq, 1, __ATOMIC_RELAXED);
	do
		n = sendto(fd, r->buf, r->h.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return err_errno(-errno, "%s: cannot send the netlink request", ctx);
	return nl_receive(fd, &x);
}

/* The kernel's own rules (dev_valid_name), checked first for a clear error. */
static int ifname_check(const char *name)
{
	if (!name || !*name)
		return err_set(-EINVAL, "missing network interface name");
	if (strlen(name) >= IFNAMSIZ)
		return err_set(-EINVAL, "invalid interface name '%s': longer than %d characters", name, IFNAMSIZ - 1);
	if (!strcmp(name, ".") || !strcmp(name, "..") || strpbrk(name, "/: \t\n\r\v\f"))
		return err_set(-EINVAL, "invalid interface name '%s': no '/', ':' or spaces, and not '.' or '..'",
			       name);
	return 0;
}

static int prefix_check(int prefix)
{
	if (prefix < 0 || prefix > 32)
		return err_set(-EINVAL, "invalid IPv4 prefix length /%d: must be 0..32", prefix);
	return 0;
}

static void ifname_of(uint32_t index, char *buf, size_t n)
{
	char tmp[IF_NAMESIZE];

	if (!buf || !n)
		return;
	buf[0] = '\0';
	if (index && if_indextoname(index, tmp))
		snprintf(buf, n, "%s", tmp);
}

/* ---- links ---- */

/* NULL (reason set) if name is not a valid interface name. */
static struct ifinfomsg *link_req(struct nl_req *r, uint16_t type, uint16_t flags, const char *name)
{
	struct ifinfomsg *ifi;

	if (ifname_check(name) < 0)
		return NULL;
	ifi = nl_req_init(r, type, flags, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	nl_put_str(r, IFLA_IFNAME, name);
	return ifi;
}

int nl_link_index(const char *name)
{
	unsigned int index;
	int r = ifname_check(name);

	if (r < 0)
		return r;
	errno = 0;
	index = if_nametoindex(name);
	if (index == 0 && errno && errno != ENODEV)
		return err_errno(-errno, "cannot look up network interface %s", name);
	if (index == 0)
		return err_set(-ENODEV, "no network interface named %s", name);
	return (int)index;
}

bool nl_link_exists(const char *name)
{
	return ifname_check(name) == 0 && if_nametoindex(name) > 0;
}

static int link_kind_reply(struct nlmsghdr *h, void *arg)
{
	struct rtattr *tb[IFLA_MAX + 1], *info[IFLA_INFO_MAX + 1];
	const char *kind;

	if (h->nlmsg_type != RTM_NEWLINK || !nl_msg_attrs(h, sizeof(struct ifinfomsg), tb, IFLA_MAX) ||
	    !tb[IFLA_LINKINFO])
		return 0;
	nl_attrs(info, IFLA_INFO_MAX, RTA_DATA(tb[IFLA_LINKINFO]), (int)RTA_PAYLOAD(tb[IFLA_LINKINFO]));
	kind = rta_str(info[IFLA_INFO_KIND]);
	if (kind)
		snprintf(arg, IFNAMSIZ, "%s", kind);
	return 0;
}

/* Asked over netlink rather than read from /sys/class/net, which shows the
 * namespace sysfs was mounted in, not necessarily ours. */
bool nl_link_is_bridge(const char *name)
{
	char kind[IFNAMSIZ] = "";
	struct nl_req r;

	if (!link_req(&r, RTM_GETLINK, 0, name))
		return false;
	if (nl_talk(&r, link_kind_reply, kind, "cannot look up link %s", name) < 0)
		return false;
	return !strcmp(kind, "bridge");
}

/* A veth peer is described like a link of its own: ifinfomsg, then attributes. */
static int link_create(const char *name, const char *kind, const char *peer)
{
	struct ifinfomsg peer_ifi = { .ifi_family = AF_UNSPEC };
	struct rtattr *info, *data, *nest;
	struct nl_req r;

	if (!link_req(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, name) || (peer && ifname_check(peer) < 0))
		return -EINVAL;
	info = nl_put(&r, IFLA_LINKINFO, NULL, 0);
	nl_put_str(&r, IFLA_INFO_KIND, kind);
	if (!peer) {
		nl_nest_end(&r, info);
		return nl_talk(&r, NULL, NULL, "cannot create %s %s", kind, name);
	}
	data = nl_put(&r, IFLA_INFO_DATA, NULL, 0);
	nest = nl_put(&r, VETH_INFO_PEER, &peer_ifi, sizeof(peer_ifi));
	nl_put_str(&r, IFLA_IFNAME, peer);
	nl_nest_end(&r, nest);
	nl_nest_end(&r, data);
	nl_nest_end(&r, info);
	return nl_talk(&r, NULL, NULL, "cannot create %s pair %s/%s", kind, name, peer);
}

int nl_bridge_create(const char *name)
{
	return link_create(name, "bridge", NULL);
}

int nl_veth_create(const char *name, const char *peer)
{
	return link_create(name, "veth", peer);
}

int nl_link_delete(const char *name)
{
	struct nl_req r;

	if (!link_req(&r, RTM_DELLINK, 0, name))
		return -EINVAL;
	return nl_talk(&r, NULL, NULL, "cannot delete link %s", name);
}

int nl_link_set_up(const char *name, bool up)
{
	struct ifinfomsg *ifi;
	struct nl_req r;

	if (!(ifi = link_req(&r, RTM_NEWLINK, 0, name)))
		return -EINVAL;
	ifi->ifi_change = IFF_UP;
	ifi->ifi_flags = up ? IFF_UP : 0;
	return nl_talk(&r, NULL, NULL, "cannot bring link %s %s", name, up ? "up" : "down");
}

/* An RTM_NEWLINK changing one attribute of an existing link. */
static int link_set(const char *name, unsigned short type, const void *data, size_t len, const char *what)
{
	struct nl_req r;

	if (!link_req(&r, RTM_NEWLINK, 0, name))
		return -EINVAL;
	nl_put(&r, type, data, len);
	return nl_talk(&r, NULL, NULL, "%s", what);
}

int nl_link_set_master(const char *name, const char *master)
{
	char what[96];
	int index = 0;

	if (master)
		snprintf(what, sizeof(what), "cannot attach %s to %s", name, master);
	else
		snprintf(what, sizeof(what), "cannot detach %s from its master", name);
	if (master && (index = nl_link_index(master)) < 0)
		return err_prefix(index, "%s", what);
	return link_set(name, IFLA_MASTER, &(uint32_t){ (uint32_t)index }, sizeof(uint32_t), what);
}

int nl_link_set_netns_fd(const char *name, int netns_fd)
{
	char what[96];

	snprintf(what, sizeof(what), "cannot move %s to another network namespace", name);
	if (netns_fd < 0)
		return err_set(-EBADF, "%s: no namespace file descriptor", what);
	return link_set(name, IFLA_NET_NS_FD, &(uint32_t){ (uint32_t)netns_fd }, sizeof(uint32_t), what);
}

int nl_link_set_mac(const char *name, const uint8_t mac[6])
{
	char text[18], what[96];

	mac_format(mac, text, sizeof(text));
	snprintf(what, sizeof(what), "cannot set the MAC address of %s to %s", name, text);
	return link_set(name, IFLA_ADDRESS, mac, 6, what);
}

/* ---- addresses ---- */

static int addr_change(uint16_t type, const char *ifname, uint32_t ip, int prefix)
{
	bool add = type == RTM_NEWADDR;
	char text[INET_ADDRSTRLEN], what[96];
	struct ifaddrmsg *ifa;
	struct nl_req r;
	int index;

	ip4_format(ip, text, sizeof(text));
	snprintf(what, sizeof(what), "cannot %s address %s/%d %s %s", add ? "add" : "remove", text, prefix,
		 add ? "to" : "from", ifname);
	if ((index = prefix_check(prefix)) < 0 || (index = nl_link_index(ifname)) < 0)
		return err_prefix(index, "%s", what);
	ifa = nl_req_init(&r, type, add ? NLM_F_CREATE | NLM_F_EXCL : 0, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = (unsigned char)prefix;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (uint32_t)index;
	nl_put(&r, IFA_LOCAL, &ip, sizeof(ip));
	nl_put(&r, IFA_ADDRESS, &ip, sizeof(ip));
	/* /31 and /32 have no broadcast address (RFC 3021). */
	if (add && prefix < 31)
		nl_put_u32(&r, IFA_BROADCAST, ip | ~prefix_mask(prefix));
	return nl_talk(&r, NULL, NULL, "%s", what);
}

int nl_addr_add(const char *ifname, uint32_t ip, int prefix)
{
	return addr_change(RTM_NEWADDR, ifname, ip, prefix);
}

int nl_addr_del(const char *ifname, uint32_t ip, int prefix)
{
	return addr_change(RTM_DELADDR, ifname, ip, prefix);
}

struct addr_list {
	uint32_t index;
	uint32_t *ips;
	int *prefixes;
	int max, n;
};

static int addr_list_reply(struct nlmsghdr *h, void *arg)
{
	struct ifaddrmsg *ifa = NLMSG_DATA(h);
	struct rtattr *tb[IFA_MAX + 1];
	struct addr_list *l = arg;
	uint32_t ip;

	if (h->nlmsg_type != RTM_NEWADDR || !nl_msg_attrs(h, sizeof(*ifa), tb, IFA_MAX))
		return 0;
	if (ifa->ifa_family != AF_INET || ifa->ifa_index != l->index || l->n >= l->max)
		return 0;
	/* On point-to-point links IFA_ADDRESS is the peer; IFA_LOCAL is ours. */
	if (!rta_get(tb[IFA_LOCAL], &ip, sizeof(ip)) && !rta_get(tb[IFA_ADDRESS], &ip, sizeof(ip)))
		return 0;
	l->ips[l->n] = ip;
	if (l->prefixes)
		l->prefixes[l->n] = ifa->ifa_prefixlen;
	l->n++;
	return 0;
}

int nl_addr_list(const char *ifname, uint32_t *ips, int *prefixes, int max)
{
	struct addr_list l = { .ips = ips, .prefixes = prefixes, .max = max };
	struct ifaddrmsg *ifa;
	struct nl_req r;
	int rc = nl_link_index(ifname);

	if (rc < 0)
		return err_prefix(rc, "cannot list the addresses of %s", ifname);
	if (max < 0 || (max > 0 && !ips))
		return err_set(-EINVAL, "cannot list the addresses of %s: no room for them", ifname);
	l.index = (uint32_t)rc;
	ifa = nl_dump_init(&r, RTM_GETADDR, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_index = l.index; /* a hint only: older kernels dump every link */
	rc = nl_talk(&r, addr_list_reply, &l, "cannot list the addresses of %s", ifname);
	return rc < 0 ? rc : l.n;
}

/* ---- routes ---- */

struct route_query {
	uint32_t net;
	int prefix;
	char *dev;
	size_t devlen;
	uint32_t *rnet;
	int *rprefix;
};

/* A multipath route names a device per next hop; the first stands for all. */
static uint32_t multipath_oif(const struct rtattr *mp)
{
	const struct rtnexthop *nh;

	if (!mp || RTA_PAYLOAD(mp) < sizeof(*nh))
		return 0;
	nh = RTA_DATA(mp);
	return nh->rtnh_len >= sizeof(*nh) ? (uint32_t)nh->rtnh_ifindex : 0;
}

static int route_overlap_reply(struct nlmsghdr *h, void *arg)
{
	struct rtmsg *rtm = NLMSG_DATA(h);
	struct rtattr *tb[RTA_MAX + 1];
	struct route_query *q = arg;
	uint32_t table, dst, oif;

	if (h->nlmsg_type != RTM_NEWROUTE || !nl_msg_attrs(h, sizeof(*rtm), tb, RTA_MAX))
		return 0;
	if (rtm->rtm_family != AF_INET || rtm->rtm_dst_len == 0 || rtm->rtm_dst_len > 32)
		return 0;
	/* Table ids above 255 only fit in RTA_TABLE. */
	if (!rta_get(tb[RTA_TABLE], &table, sizeof(table)))
		table = rtm->rtm_table;
	if (table != RT_TABLE_MAIN || !rta_get(tb[RTA_DST], &dst, sizeof(dst)))
		return 0;
	if (!ip4_overlap(dst, rtm->rtm_dst_len, q->net, q->prefix))
		return 0;
	if (!rta_get(tb[RTA_OIF], &oif, sizeof(oif)))
		oif = multipath_oif(tb[RTA_MULTIPATH]);
	ifname_of(oif, q->dev, q->devlen);
	if (q->rnet)
		*q->rnet = dst;
	if (q->rprefix)
		*q->rprefix = rtm->rtm_dst_len;
	return 1;
}

int nl_route_overlap(uint32_t net, int prefix, char *dev, size_t devlen, uint32_t *rnet, int *rprefix)
{
	struct route_query q = { net, prefix, dev, devlen, rnet, rprefix };
	char text[INET_ADDRSTRLEN];
	struct rtmsg *rtm;
	struct nl_req r;
	int rc = prefix_check(prefix);

	if (rc < 0)
		return rc;
	if (dev && devlen)
		dev[0] = '\0';
	ip4_format(net, text, sizeof(text));
	rtm = nl_dump_init(&r, RTM_GETROUTE, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	return nl_talk(&r, route_overlap_reply, &q, "cannot check the routes overlapping %s/%d", text, prefix);
}

static int route_change(uint16_t type, uint32_t net, int prefix, uint32_t gw, const char *dev)
{
	bool add = type == RTM_NEWROUTE;
	char a[INET_ADDRSTRLEN], g[INET_ADDRSTRLEN], what[128];
	struct rtmsg *rtm;
	struct nl_req r;
	int index = 0;

	ip4_format(net, a, sizeof(a));
	ip4_format(gw, g, sizeof(g));
	snprintf(what, sizeof(what), "cannot %s route %s/%d%s%s%s%s", add ? "add" : "delete", a, prefix,
		 gw ? " via " : "", gw ? g : "", dev ? " dev " : "", dev ? dev : "");
	if ((index = prefix_check(prefix)) < 0 || (dev && (index = nl_link_index(dev)) < 0))
		return err_prefix(index, "%s", what);
	if (!gw && !dev)
		return err_set(-EINVAL, "%s: a route needs a gateway or a device", what);
	rtm = nl_req_init(&r, type, add ? NLM_F_CREATE | NLM_F_EXCL : 0, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = (unsigned char)prefix;
	rtm->rtm_table = RT_TABLE_MAIN;
	/* Deleting with protocol 0 and RT_SCOPE_NOWHERE matches however it was added. */
	rtm->rtm_protocol = add ? RTPROT_BOOT : 0;
	rtm->rtm_scope = !add ? RT_SCOPE_NOWHERE : gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
	rtm->rtm_type = RTN_UNICAST;
	if (prefix)
		nl_put(&r, RTA_DST, &net, sizeof(net));
	if (gw)
		nl_put(&r, RTA_GATEWAY, &gw, sizeof(gw));
	if (index)
		nl_put_u32(&r, RTA_OIF, (uint32_t)index);
	return nl_talk(&r, NULL, NULL, "%s", what);
}

int nl_route_add(uint32_t net, int prefix, uint32_t gw, const char *dev)
{
	return route_change(RTM_NEWROUTE, net, prefix, gw, dev);
}

int nl_route_del(uint32_t net, int prefix, uint32_t gw, const char *dev)
{
	return route_change(RTM_DELROUTE, net, prefix, gw, dev);
}

/* ---- neighbours ---- */

int nl_neigh_add(const char *ifname, uint32_t ip, const uint8_t mac[6])
{
	char a[INET_ADDRSTRLEN], m[18];
	struct ndmsg *nd;
	struct nl_req r;
	int index = nl_link_index(ifname);

	ip4_format(ip, a, sizeof(a));
	mac_format(mac, m, sizeof(m));
	if (index < 0)
		return err_prefix(index, "cannot add neighbour %s (%s)", a, m);
	nd = nl_req_init(&r, RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_REPLACE, sizeof(*nd));
	nd->ndm_family = AF_INET;
	nd->ndm_ifindex = index;
	nd->ndm_state = NUD_PERMANENT;
	nl_put(&r, NDA_DST, &ip, sizeof(ip));
	nl_put(&r, NDA_LLADDR, mac, 6);
	return nl_talk(&r, NULL, NULL, "cannot add neighbour %s (%s) on %s", a, m, ifname);
}

struct neigh_query {
	const uint8_t *mac;
	uint32_t *ip;
	char *ifname;
	size_t n;
};

static int neigh_find_reply(struct nlmsghdr *h, void *arg)
{
	const uint16_t usable = NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT;
	struct ndmsg *nd = NLMSG_DATA(h);
	struct rtattr *tb[NDA_MAX + 1];
	struct neigh_query *q = arg;
	uint8_t mac[6];
	uint32_t ip;

	if (h->nlmsg_type != RTM_NEWNEIGH || !nl_msg_attrs(h, sizeof(*nd), tb, NDA_MAX))
		return 0;
	if (nd->ndm_family != AF_INET || !(nd->ndm_state & usable))
		return 0;
	if (!rta_get(tb[NDA_LLADDR], mac, sizeof(mac)) || memcmp(mac, q->mac, sizeof(mac)) ||
	    !rta_get(tb[NDA_DST], &ip, sizeof(ip)))
		return 0;
	if (q->ip)
		*q->ip = ip;
	ifname_of((uint32_t)nd->ndm_ifindex, q->ifname, q->n);
	return 1;
}

int nl_neigh_find_mac(const uint8_t mac[6], uint32_t *ip, char *ifname, size_t n)
{
	struct neigh_query q = { mac, ip, ifname, n };
	char text[18];
	struct ndmsg *nd;
	struct nl_req r;

	mac_format(mac, text, sizeof(text));
	if (ifname && n)
		ifname[0] = '\0';
	nd = nl_dump_init(&r, RTM_GETNEIGH, sizeof(*nd));
	nd->ndm_family = AF_INET;
	return nl_talk(&r, neigh_find_reply, &q, "cannot look up the neighbour with MAC %s", text);
}

/* ---- TAP ---- */

int nl_tap_open(const char *name_template, char *name, size_t namelen)
{
	_cleanup_close_ int fd = -1;
	struct ifreq ifr = { 0 };
	int rc = ifname_check(name_template);

	if (rc < 0)
		return rc;
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return err_errno(-errno, "cannot create tap device %s: cannot open /dev/net/tun", name_template);
	/* No IFF_VNET_HDR: QEMU is handed plain Ethernet frames. */
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	memcpy(ifr.ifr_name, name_template, strlen(name_template));
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		return err_errno(-errno, "cannot create tap device %s", name_template);
	ifr.ifr_name[IFNAMSIZ - 1] = '\0';
	if (!name || (size_t)snprintf(name, namelen, "%s", ifr.ifr_name) >= namelen)
		return err_set(-ENAMETOOLONG, "cannot create tap device %s: no room for its name %s", name_template,
			       ifr.ifr_name);
	return TAKE_FD(fd);
}
