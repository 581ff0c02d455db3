/* SPDX-License-Identifier: MIT */
/* Fuzz target: the guest's NETINFO report (guest/netinfo.c), which the
 * monitor turns into guest.json.  What is kept are whole lines of three
 * fields: an interface name of [a-z0-9_], a MAC, "-" or ADDR/PREFIX. */
#include <stdio.h>

#include "guest/netinfo.h"
#include "network/addr.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[NETINFO_MAX], copy[NETINFO_MAX];
	size_t len;

	memset(out, 'x', sizeof(out));
	if (netinfo_clean(data, size, out, sizeof(out)) < 0) {
		if (size <= NETINFO_MAX)
			abort();
		return 0;
	}
	len = strnlen(out, sizeof(out));
	if (len == sizeof(out) || (len && out[len - 1] != '\n'))
		abort();
	memcpy(copy, out, len + 1);
	for (char *save = NULL, *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char ifc[64], mac[64], addr[64], extra;
		uint8_t b[6];
		if (sscanf(line, "%63s %63s %63s %c", ifc, mac, addr, &extra) != 3 || strlen(ifc) > 15 ||
		    strspn(ifc, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(ifc) || mac_parse(mac, b) < 0 ||
		    (strcmp(addr, "-") && !strchr(addr, '/')))
			abort();
	}
	return 0;
}
