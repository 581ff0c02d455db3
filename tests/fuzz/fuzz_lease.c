/* SPDX-License-Identifier: MIT */
/* Fuzz target: dnsmasq's lease file (network/net.c net_lease_find), whose
 * lines carry what DHCP clients (guests) sent.  The first 6 bytes are the
 * MAC looked for, the rest the file. */
#include "network/net.h"
#include "util/err.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t mac[6];
	uint32_t ip;
	char *text;

	if (size < 6)
		return 0;
	memcpy(mac, data, 6);
	if (!(text = malloc(size - 6 + 1)))
		abort();
	memcpy(text, data + 6, size - 6);
	text[size - 6] = '\0';
	if (net_lease_find(text, mac, &ip) == 0 && ip != 0)
		abort();
	free(text);
	err_clear();
	return 0;
}
