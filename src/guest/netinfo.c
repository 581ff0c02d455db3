/* SPDX-License-Identifier: MIT */
/* The guest's NETINFO report, checked line by line (netinfo.h). */
#include "guest/netinfo.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "network/addr.h"
#include "network/nic.h"
#include "util/err.h"

int netinfo_clean(const uint8_t *p, size_t n, char *out, size_t outsz)
{
	char text[NETINFO_MAX + 1];
	size_t used = 0;

	if (n > NETINFO_MAX)
		return -EMSGSIZE;
	memcpy(text, p, n);
	text[n] = '\0';
	if (outsz)
		out[0] = '\0';
	for (char *save = NULL, *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char ifc[16], mac[18], addr[19], extra;
		uint8_t b[6];
		uint32_t ip;
		int prefix, k;
		if (sscanf(line, "%15s %17s %18s %c", ifc, mac, addr, &extra) != 3 || mac_parse(mac, b) < 0)
			continue;
		if (strcmp(addr, "-") && (strchr(addr, '/') == NULL || ip4_parse_host_prefix(addr, &ip, &prefix) < 0))
			continue;
		for (char *c = ifc; *c; c++)
			if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9')))
				*c = '_';
		k = snprintf(out + used, outsz - used, "%s %s %s\n", ifc, mac, addr);
		if (k < 0 || (size_t)k >= outsz - used) {
			out[used] = '\0'; /* whole lines only */
			break;
		}
		used += (size_t)k;
	}
	err_clear();
	return 0;
}
