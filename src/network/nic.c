/* SPDX-License-Identifier: MIT */
#include "network/nic.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "network/netlink.h"
#include "util/err.h"

static const char *const mode_names[] = { "nat", "network", "bridge" };

const char *nic_mode_name(enum nic_mode m)
{
	return (unsigned)m < 3 ? mode_names[m] : "?";
}

int nic_mode_parse(const char *s, enum nic_mode *m)
{
	for (int i = 0; i < 3; i++)
		if (!strcmp(s, mode_names[i])) {
			*m = (enum nic_mode)i;
			return 0;
		}
	return err_set(-EINVAL, "unknown NIC mode '%s' (use nat, network=NET or bridge=BR)", s);
}

/* Names of networks and bridges become interface names: keep them plain. */
static int check_target(const char *what, const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 15)
		return err_set(-EINVAL, "--nic %s= needs a name of 1 to 15 characters", what);
	for (const char *p = name; *p; p++)
		if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') && !(*p >= '0' && *p <= '9') &&
		    !strchr("-_.", *p))
			return err_set(-EINVAL, "--nic %s=%s: invalid name", what, name);
	return 0;
}

int nic_parse(const char *spec, struct nic *n)
{
	char buf[128];
	char *save = NULL;
	int r;

	memset(n, 0, sizeof(*n));
	if (strlen(spec) >= sizeof(buf))
		return err_set(-EINVAL, "--nic value too long");
	snprintf(buf, sizeof(buf), "%s", spec);
	for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		const char *val = eq ? eq + 1 : "";
		if (eq)
			*eq = '\0';
		if (tok == buf) {
			if ((r = nic_mode_parse(tok, &n->mode)) < 0)
				return r;
			if (n->mode == NIC_NAT && eq)
				return err_set(-EINVAL, "--nic nat takes no value (got nat=%s)", val);
			if (n->mode != NIC_NAT) {
				if (!eq)
					return err_set(-EINVAL, "--nic %s needs a name: --nic %s=NAME", tok, tok);
				if ((r = check_target(tok, val)) < 0)
					return r;
				snprintf(n->target, sizeof(n->target), "%s", val);
			}
		} else if (!strcmp(tok, "mac")) {
			if ((r = mac_parse(val, n->mac)) < 0)
				return err_prefix(r, "--nic %s", spec);
			n->mac_set = true;
		} else {
			return err_set(-EINVAL, "--nic %s: unknown option '%s' (only mac=)", spec, tok);
		}
	}
	if (!strchr(spec, ',') && !*spec)
		return err_set(-EINVAL, "empty --nic");
	return 0;
}

static int parse_port(const char *s, uint16_t *port, const char *spec)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (!*s || *end || errno || v < 1 || v > 65535)
		return err_set(-EINVAL, "--forward %s: '%s' is not a port (1-65535)", spec, s);
	*port = (uint16_t)v;
	return 0;
}

int forward_parse(const char *spec, struct nic_forward *f)
{
	char buf[96], *parts[4];
	int n = 0, i = 0, r;

	memset(f, 0, sizeof(*f));
	if (strlen(spec) >= sizeof(buf))
		return err_set(-EINVAL, "--forward value too long");
	snprintf(buf, sizeof(buf), "%s", spec);
	for (char *save = NULL, *t = strtok_r(buf, ":", &save); t; t = strtok_r(NULL, ":", &save)) {
		if (n == 4)
			return err_set(-EINVAL, "--forward %s: use [tcp|udp:][HOSTADDR:]HOSTPORT:GUESTPORT", spec);
		parts[n++] = t;
	}
	snprintf(f->proto, sizeof(f->proto), "tcp");
	if (n > 2 && (!strcmp(parts[0], "tcp") || !strcmp(parts[0], "udp"))) {
		snprintf(f->proto, sizeof(f->proto), "%s", parts[0]);
		i = 1;
	}
	if (n - i == 3) {
		if ((r = ip4_parse(parts[i], &f->host_addr)) < 0)
			return err_prefix(r, "--forward %s", spec);
		i++;
	}
	if (n - i != 2)
		return err_set(-EINVAL, "--forward %s: use [tcp|udp:][HOSTADDR:]HOSTPORT:GUESTPORT", spec);
	if ((r = parse_port(parts[i], &f->host_port, spec)) < 0 ||
	    (r = parse_port(parts[i + 1], &f->guest_port, spec)) < 0)
		return r;
	return 0;
}

void forward_format(const struct nic_forward *f, char *buf, size_t n)
{
	char addr[16];

	if (f->host_addr) {
		ip4_format(f->host_addr, addr, sizeof(addr));
		snprintf(buf, n, "%s:%s:%u:%u", f->proto, addr, f->host_port, f->guest_port);
	} else {
		snprintf(buf, n, "%s:%u:%u", f->proto, f->host_port, f->guest_port);
	}
}

void forward_qemu(const struct nic_forward *f, char *buf, size_t n)
{
	char addr[16] = "";

	if (f->host_addr)
		ip4_format(f->host_addr, addr, sizeof(addr));
	snprintf(buf, n, "%s:%s:%u-:%u", f->proto, addr, f->host_port, f->guest_port);
}

bool forward_same_host_port(const struct nic_forward *a, const struct nic_forward *b)
{
	return !strcmp(a->proto, b->proto) && a->host_port == b->host_port &&
	       (a->host_addr == b->host_addr || !a->host_addr || !b->host_addr);
}

int mac_random(uint8_t mac[6])
{
	mac[0] = 0x52; /* 0x52: locally administered (bit 1), unicast (bit 0 clear) */
	mac[1] = 0x54;
	mac[2] = 0x00;
	if (getrandom(mac + 3, 3, 0) != 3)
		return err_errno(-errno, "getrandom");
	return 0;
}

int host_port_check(const char *proto, uint32_t addr, uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = addr };
	int tcp = !strcmp(proto, "tcp");
	int fd = socket(AF_INET, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
	int r = 0;

	if (fd < 0)
		return err_errno(-errno, "socket");
	/* SO_REUSEADDR as QEMU and servers use it: TIME_WAIT leftovers are no conflict */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &(int){ 1 }, sizeof(int));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		r = errno == EADDRINUSE ? err_set(-EADDRINUSE,
						  "%s port %u is already in use on this host; pick another "
						  "host port",
						  proto, port)
					: err_errno(-errno, "cannot check %s port %u", proto, port);
	close(fd);
	return r;
}

int ip4_parse_host_prefix(const char *s, uint32_t *ip, int *prefix)
{
	char buf[32], *slash, *end;
	long p;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	if (!slash)
		return -EINVAL;
	*slash = '\0';
	p = strtol(slash + 1, &end, 10);
	if (!slash[1] || *end || p < 0 || p > 32 || ip4_parse(buf, ip) < 0)
		return -EINVAL;
	*prefix = (int)p;
	return 0;
}
