/* SPDX-License-Identifier: MIT */
/* hv ui's token, listen address, Host and Origin rules. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "util/err.h"
#include "web/auth.h"

int ui_token_new(char *out)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	unsigned char raw[UI_TOKEN_LEN];
	size_t got = 0;

	while (got < sizeof(raw)) {
		ssize_t n = getrandom(raw + got, sizeof(raw) - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return err_errno(-errno, "getrandom");
		got += (size_t)n;
	}
	/* 6 bits of each byte: 43 x 6 = 258 bits */
	for (size_t i = 0; i < UI_TOKEN_LEN; i++)
		out[i] = alphabet[raw[i] & 63];
	out[UI_TOKEN_LEN] = 0;
	return 0;
}

bool ui_token_equal(const char *token, const char *given)
{
	size_t n = strlen(token);
	unsigned char diff = 0;

	if (!given)
		return false;
	/* walk the whole token whatever given is; given's length only
	 * decides the result, never how long this takes */
	size_t glen = strnlen(given, n + 1);
	for (size_t i = 0; i < n; i++)
		diff |= (unsigned char)token[i] ^ (unsigned char)(i < glen ? given[i] : 0);
	return diff == 0 && glen == n;
}

static bool is_loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (!strcmp(host, "localhost"))
		return true;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, host, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6);
	return false;
}

int ui_listen_parse(const char *s, struct ui_listen *out)
{
	const char *colon, *hs = s;
	size_t hl;
	char *end;
	unsigned long port;
	struct in_addr a4;
	struct in6_addr a6;

	memset(out, 0, sizeof(*out));
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (!close || close[1] != ':')
			return err_set(-EINVAL, "listen address '%s': use [ADDRESS]:PORT for IPv6", s);
		hs = s + 1;
		hl = (size_t)(close - hs);
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return err_set(-EINVAL, "listen address '%s': use ADDRESS:PORT", s);
		hl = (size_t)(colon - s);
		if (memchr(s, ':', hl))
			return err_set(-EINVAL,
				       "listen address '%s': write an IPv6 address in brackets, [ADDRESS]:PORT", s);
	}
	if (hl == 0 || hl >= sizeof(out->host))
		return err_set(-EINVAL, "listen address '%s': no address before the port", s);
	memcpy(out->host, hs, hl);
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (!colon[1] || *end || errno || port > 65535)
		return err_set(-EINVAL, "listen address '%s': the port must be a number from 0 to 65535", s);
	out->port = (unsigned)port;
	if (strcmp(out->host, "localhost") && inet_pton(AF_INET, out->host, &a4) != 1 &&
	    inet_pton(AF_INET6, out->host, &a6) != 1)
		return err_set(-EINVAL, "listen address '%s': the address must be numeric (or localhost)", s);
	out->loopback = is_loopback(out->host);
	return 0;
}

int ui_listen_check(const struct ui_listen *l, bool tls, bool insecure)
{
	if (l->loopback || tls || insecure)
		return 0;
	return err_set(-EPERM,
		       "listening on %s (not loopback) would send the token and consoles in clear text: "
		       "give --tls CERT,KEY, or --insecure if the network is trusted",
		       l->host);
}

/* host without its ":port" (and IPv6 brackets) into name; *port 0 if absent */
static bool split_host(const char *host, char *name, size_t n, unsigned *port)
{
	const char *end, *p;
	char *e;
	unsigned long v;

	if (host[0] == '[') {
		end = strchr(host, ']');
		if (!end)
			return false;
		host++;
		p = end[1] == ':' ? end + 2 : (end[1] ? NULL : end + 1);
		if (!p)
			return false;
	} else {
		end = strchr(host, ':');
		if (end && strchr(end + 1, ':'))
			return false;
		p = end ? end + 1 : host + strlen(host);
		if (!end)
			end = p;
	}
	if ((size_t)(end - host) >= n || end == host)
		return false;
	memcpy(name, host, (size_t)(end - host));
	name[end - host] = 0;
	*port = 0;
	if (*p) {
		errno = 0;
		v = strtoul(p, &e, 10);
		if (*e || errno || v == 0 || v > 65535)
			return false;
		*port = (unsigned)v;
	}
	return true;
}

bool ui_host_allowed(const char *host, const struct ui_listen *l, unsigned port)
{
	char name[256];
	unsigned p;

	if (!host || !split_host(host, name, sizeof(name), &p) || p != port)
		return false;
	if (is_loopback(name))
		return true;
	/* a non-loopback listen: its own address (a wildcard listen takes
	 * any numeric address, never a name) */
	struct in_addr a4;
	struct in6_addr a6;
	if (!strcmp(l->host, "0.0.0.0") || !strcmp(l->host, "::"))
		return inet_pton(AF_INET, name, &a4) == 1 || inet_pton(AF_INET6, name, &a6) == 1;
	return !strcmp(name, l->host);
}

bool ui_origin_allowed(const char *origin, const char *host, bool tls)
{
	const char *scheme = tls ? "https://" : "http://";
	size_t n = strlen(scheme);

	if (!origin)
		return true; /* not a browser's cross-site request (browsers send Origin on those) */
	return host && !strncmp(origin, scheme, n) && !strcmp(origin + n, host);
}
