/* SPDX-License-Identifier: MIT */
/* Fuzz target: one OpenSSH public key line (guest/sshkey.c), as in a
 * user's key file or a guest's host key.  A key that parses is formatted
 * and parsed again: the same type, key and comment come back. */
#include "guest/sshkey.h"
#include "util/err.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sshkey k = { 0 }, again = { 0 };
	char *line;

	if (sshkey_parse((const char *)data, size, &k) == 0) {
		if (!(line = sshkey_format(&k, 1)))
			abort();
		if (sshkey_parse(line, strlen(line), &again) < 0 || strcmp(k.type, again.type) ||
		    strcmp(k.base64, again.base64) || !k.comment != !again.comment ||
		    (k.comment && strcmp(k.comment, again.comment)))
			abort();
		sshkey_type_known(k.type, strlen(k.type));
		free(line);
		sshkey_free(&again);
		sshkey_free(&k);
	}
	err_clear();
	return 0;
}
