/* SPDX-License-Identifier: MIT */
/* guest/netinfo: the NETINFO lines a guest sends, kept only when well-formed. */
#include <errno.h>

#include "guest/netinfo.h"
#include "t.h"

static int clean(const char *in, char *out, size_t outsz)
{
	return netinfo_clean((const uint8_t *)in, strlen(in), out, outsz);
}

int main(void)
{
	char out[NETINFO_MAX], big[NETINFO_MAX + 8];

	CHECK(clean("eth0 52:54:00:12:34:56 10.0.2.15/24\neth1 52:54:00:12:34:57 -\n", out, sizeof(out)) == 0,
	      "parses");
	CHECK_STR(out, "eth0 52:54:00:12:34:56 10.0.2.15/24\neth1 52:54:00:12:34:57 -\n", "two NICs kept");
	CHECK(clean("Eth.0 52:54:00:12:34:56 10.0.2.15/24", out, sizeof(out)) == 0, "parses");
	CHECK_STR(out, "_th_0 52:54:00:12:34:56 10.0.2.15/24\n", "the interface name reduced to [a-z0-9_]");
	clean("eth0 52:54:00:12:34 10.0.2.15/24\n"
	      "eth1 52:54:00:12:34:56 10.0.2.15\n"
	      "eth2 52:54:00:12:34:56 10.0.2.999/24\n"
	      "eth3 52:54:00:12:34:56 10.0.2.15/24 extra\n"
	      "eth4 52:54:00:12:34:56\n"
	      "eth5\x1b[2J 52:54:00:12:34:56 -\n"
	      "eth6 52:54:00:12:34:56 -\n",
	      out, sizeof(out));
	CHECK_STR(out, "eth5__2_ 52:54:00:12:34:56 -\neth6 52:54:00:12:34:56 -\n",
		  "malformed lines dropped (MAC, address, fields), an escape in a name made harmless");
	clean("eth0 52:54:00:12:34:56 -\neth1 52:54:00:12:34:57 -\n", out, 30);
	CHECK_STR(out, "eth0 52:54:00:12:34:56 -\n", "only whole lines fit");
	memset(big, 'a', sizeof(big));
	strcpy(out, "kept");
	CHECK(netinfo_clean((const uint8_t *)big, sizeof(big), out, sizeof(out)) == -EMSGSIZE && !strcmp(out, "kept"),
	      "an oversized report is ignored");
	T_DONE();
}
