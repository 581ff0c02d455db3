/* SPDX-License-Identifier: MIT */
/* Fuzz target: what hv reads from a guest's console: boot phases
 * (manager/ready.c, fed in pieces of the size the first byte says),
 * cloud-init's address table (guest/ciinfo.c) and the SSH host keys it
 * prints (guest/hostkeys.c), which become known_hosts. */
#include "guest/ciinfo.h"
#include "guest/hostkeys.h"
#include "manager/ready.h"
#include "util/err.h"
#include "fuzz.h"

static void hostkeys_check(const char *console, size_t len)
{
	static const char *const hosts[] = { "[127.0.0.1]:2222", "10.0.2.15" };
	struct hostkeys k = { 0 };
	char *known = NULL;

	if (hostkeys_parse(console, len, &k) < 0)
		return;
	if (k.n == 0 || k.n > HOSTKEYS_MAX || hostkeys_known_hosts(&k, hosts, 2, &known) < 0)
		abort();
	/* a comment, then one line per key: nothing a guest wrote but the key */
	for (size_t i = 0, lines = 0; known[i]; i++)
		if ((known[i] == '\n' && ++lines > k.n + 1) || ((unsigned char)known[i] < 0x20 && known[i] != '\n'))
			abort();
	free(known);
	hostkeys_free(&k);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ready_scan s;
	size_t piece;
	uint32_t ip;
	int prefix;

	if (size < 1)
		return 0;
	piece = (size_t)data[0] * 3 + 1;
	data++;
	size--;
	ready_scan_init(&s);
	for (size_t off = 0; off < size; off += piece)
		ready_scan_feed(&s, (const char *)data + off, size - off < piece ? size - off : piece);
	if (s.len >= sizeof(s.line) || !memchr(s.failure, '\0', sizeof(s.failure)) || !ready_phase_name(s.phase))
		abort();
	ciinfo_find_ipv4((const char *)data, size, "52:54:00:c0:0c:cd", &ip, &prefix);
	if (ciinfo_find_ipv4((const char *)data, size, "52:54:00:12:34:56", &ip, &prefix) == 1 &&
	    (prefix < 0 || prefix > 32))
		abort();
	hostkeys_check((const char *)data, size);
	err_clear();
	return 0;
}
