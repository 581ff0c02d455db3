/* SPDX-License-Identifier: MIT */
/* IPv4 addresses, subnets and MAC addresses as users type them. */
#include "network/addr.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"

uint32_t prefix_mask(int prefix)
{
	if (prefix <= 0)
		return 0;
	return htonl(0xffffffffu << (32 - (prefix > 32 ? 32 : prefix)));
}

/* inet_pton takes exactly four decimal parts without leading zeros, where
 * inet_aton would read "010" as octal 8 and "10.1" as 10.0.0.1. */
int ip4_parse(const char *s, uint32_t *ip)
{
	if (!s || inet_pton(AF_INET, s, ip) != 1)
		return err_set(-EINVAL,
			       "invalid IPv4 address '%s': expected four numbers 0-255 separated by dots, "
			       "like 192.168.1.10",
			       s ? s : "");
	return 0;
}

int ip4_parse_cidr(const char *s, uint32_t *net, int *prefix)
{
	char addr[INET_ADDRSTRLEN] = "";
	const char *slash = s ? strchr(s, '/') : NULL, *p = slash ? slash + 1 : "";
	size_t alen = slash ? (size_t)(slash - s) : 0;
	uint32_t ip, mask;
	int len;

	if (!slash)
		return err_set(-EINVAL, "invalid CIDR '%s': expected ADDRESS/PREFIX, like 10.0.3.0/24", s ? s : "");
	if (alen < sizeof(addr)) {
		memcpy(addr, s, alen);
		addr[alen] = '\0';
	}
	if (inet_pton(AF_INET, addr, &ip) != 1)
		return err_set(-EINVAL, "invalid CIDR '%s': the address is not four numbers 0-255 separated by dots",
			       s);
	if (!*p || strlen(p) > 2 || strspn(p, "0123456789") != strlen(p) || p[0] == '0')
		return err_set(-EINVAL, "invalid CIDR '%s': the prefix length must be a number from 8 to 30", s);
	len = atoi(p);
	/* A /31 or /32 leaves no room for a gateway and a guest; below /8 is surely a typo. */
	if (len < 8 || len > 30)
		return err_set(-EINVAL, "invalid CIDR '%s': prefix length /%d is outside the supported range 8..30", s,
			       len);
	mask = prefix_mask(len);
	if (ip & ~mask) {
		char fixed[INET_ADDRSTRLEN];
		ip4_format(ip & mask, fixed, sizeof(fixed));
		return err_set(-EINVAL, "invalid CIDR '%s': host bits set; did you mean %s/%d?", s, fixed, len);
	}
	*net = ip;
	*prefix = len;
	return 0;
}

void ip4_format(uint32_t ip, char *buf, size_t n)
{
	const uint8_t *b = (const uint8_t *)&ip;

	snprintf(buf, n, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
}

bool ip4_overlap(uint32_t a, int pa, uint32_t b, int pb)
{
	return ((a ^ b) & prefix_mask(pa < pb ? pa : pb)) == 0;
}

int mac_parse(const char *s, uint8_t mac[6])
{
	unsigned int m[6];
	int end = 0;

	/* Hex digits and colons only, so sscanf meets no sign, space or "0x";
	 * 17 characters in six fields of at most two digits means exactly two. */
	if (!s || strlen(s) != 17 || strspn(s, "0123456789abcdefABCDEF:") != 17 ||
	    sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%n", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5], &end) != 6 || end != 17)
		return err_set(-EINVAL,
			       "invalid MAC address '%s': expected six hex pairs separated by colons, "
			       "like 52:54:00:12:34:56",
			       s ? s : "");
	if (m[0] & 1)
		return err_set(-EINVAL,
			       "invalid MAC address '%s': it is a multicast address (first octet odd); use "
			       "a unicast one such as 52:54:00:12:34:56",
			       s);
	if (!(m[0] | m[1] | m[2] | m[3] | m[4] | m[5]))
		return err_set(-EINVAL, "invalid MAC address '%s': the all-zero address cannot be assigned", s);
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)m[i];
	return 0;
}

void mac_format(const uint8_t mac[6], char *buf, size_t n)
{
	snprintf(buf, n, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
}
