/* SPDX-License-Identifier: MIT */
/* cloud-init's "Net device info" table from the guest's console:
 *   ci-info: |  eth0  | True |  10.0.2.15  | 255.255.255.0 | global | 52:54:00:c0:0c:cd |
 * (cloud-init's cc_... network info printed by the init stage). */
#include "guest/ciinfo.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define ROW_MAX	   512
#define FIELDS_MAX 8

/* Split a row "| a | b | ... |" into trimmed fields (in place). */
static int split_row(char *row, char *fields[FIELDS_MAX])
{
	int n = 0;
	char *p = strchr(row, '|');

	while (p && n < FIELDS_MAX) {
		char *start = p + 1, *end = strchr(start, '|');
		if (!end)
			break;
		*end = '\0';
		while (*start == ' ')
			start++;
		for (char *t = end - 1; t >= start && *t == ' '; t--)
			*t = '\0';
		fields[n++] = start;
		p = end;
	}
	return n;
}

static int mask_prefix(const char *mask)
{
	struct in_addr a;
	uint32_t m;
	int n = 0;

	if (inet_pton(AF_INET, mask, &a) != 1)
		return -1;
	m = ntohl(a.s_addr);
	while (m & 0x80000000u) {
		n++;
		m <<= 1;
	}
	return m ? -1 : n; /* not contiguous: not a mask */
}

int ciinfo_find_ipv4(const char *console, size_t len, const char *mac, uint32_t *ip, int *prefix)
{
	int found = 0;

	for (size_t pos = 0; pos < len;) {
		const char *nl = memchr(console + pos, '\n', len - pos);
		size_t l = nl ? (size_t)(nl - (console + pos)) : len - pos;
		const char *line = console + pos;
		pos += l + 1;
		const char *tag = l < ROW_MAX ? memmem(line, l, "ci-info: |", 10) : NULL;
		if (!tag)
			continue;
		char row[ROW_MAX], *f[FIELDS_MAX];
		size_t rl = l - (size_t)(tag - line);
		memcpy(row, tag, rl);
		row[rl] = '\0';
		row[strcspn(row, "\r")] = '\0';
		/* Device | Up | Address | Mask | Scope | Hw-Address */
		if (split_row(row, f) != 6 || strcasecmp(f[5], mac) || strcmp(f[1], "True"))
			continue;
		struct in_addr a;
		int p = mask_prefix(f[3]);
		if (inet_pton(AF_INET, f[2], &a) != 1 || p < 0)
			continue;
		*ip = a.s_addr; /* network order, as hv keeps addresses */
		*prefix = p;
		found = 1;
	}
	return found;
}
