/* SPDX-License-Identifier: MIT */
/* Fuzz target: util/text's sanitizer of guest text.  Whatever comes in,
 * what comes out is terminated, fits, holds no byte a terminal acts on
 * (C0 but kept '\n'/'\t', DEL, ESC, C1 as bytes or as UTF-8 U+0080-
 * U+009F), and is valid UTF-8. */
#include "util/text.h"
#include "fuzz.h"

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if none. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t k = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;

	if (!k || k > n || (k == 2 && c < 0xc2))
		return 0;
	for (size_t i = 1; i < k; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return k;
}

static void check(const char *out, size_t len, size_t outsz, int flags)
{
	const unsigned char *s = (const unsigned char *)out;

	if (len >= outsz || out[len] != '\0' || strlen(out) != len)
		abort();
	for (size_t i = 0; i < len;) {
		size_t k = utf8_len(s + i, len - i);
		if (!k)
			abort(); /* not UTF-8 */
		if (k == 1 && (s[i] < 0x20 || s[i] == 0x7f) &&
		    !((flags & TEXT_KEEP_NEWLINES) && (s[i] == '\n' || s[i] == '\t')))
			abort(); /* a control character */
		if (k == 2 && s[i] == 0xc2 && s[i + 1] < 0xa0)
			abort(); /* C1 as UTF-8 */
		i += k;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t sizes[] = { 1, 2, 3, 4, 5, 16, 257, 4096 };
	char *out;
	size_t outsz, len;
	int flags;

	if (size < 1)
		return 0;
	outsz = sizes[data[0] & 7];
	flags = data[0] & 8 ? TEXT_KEEP_NEWLINES : 0;
	data++;
	size--;
	if (!(out = malloc(outsz)))
		abort();
	len = text_sanitize(out, outsz, data, size, flags);
	check(out, len, outsz, flags);
	free(out);
	return 0;
}
