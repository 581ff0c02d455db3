/* SPDX-License-Identifier: MIT */
/* text_sanitize: guest text reaches a terminal with nothing it would act on. */
#include <stdbool.h>

#include "util/text.h"
#include "t.h"

static const char *clean(const char *in, size_t len, int flags)
{
	static char out[256];

	text_sanitize(out, sizeof(out), in, len, flags);
	return out;
}
#define S(lit, flags) clean(lit, sizeof(lit) - 1, flags)

/* The output is valid UTF-8 with no C0 control (but '\n'/'\t' when
 * kept), no DEL and no C1 control (U+0080-U+009F). */
static bool no_controls(const char *s, bool keep)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		unsigned c = *p, len = c < 0x80		    ? 1
				       : (c & 0xe0) == 0xc0 ? 2
				       : (c & 0xf0) == 0xe0 ? 3
				       : (c & 0xf8) == 0xf0 ? 4
							    : 0;
		if (len == 0)
			return false;
		if (len == 1) {
			if ((c < 0x20 && !(keep && (c == '\n' || c == '\t'))) || c == 0x7f)
				return false;
		} else {
			unsigned cp = c & (0x7f >> len);
			for (unsigned i = 1; i < len; i++) {
				if ((p[i] & 0xc0) != 0x80)
					return false;
				cp = (cp << 6) | (p[i] & 0x3f);
			}
			if (cp <= 0x9f)
				return false;
		}
		p += len;
	}
	return true;
}

int main(void)
{
	CHECK_STR(S("plain text", 0), "plain text", "plain ASCII is kept");
	CHECK_STR(S("a\x01"
		    "b\x7f"
		    "c\x1a"
		    "d",
		    0),
		  "abcd", "C0 controls and DEL are dropped");
	CHECK_STR(S("one\ntwo\tthree\r", 0), "one two three", "newline and tab become spaces, CR is dropped");
	CHECK_STR(S("one\ntwo\tthree\r\n", TEXT_KEEP_NEWLINES), "one\ntwo\tthree\n", "TEXT_KEEP_NEWLINES keeps them");

	/* C1 as raw bytes: 0x9b is CSI, 0x9d OSC, 0x85 NEL */
	CHECK_STR(S("a\x85"
		    "b",
		    0),
		  "ab", "a raw C1 byte (NEL) is dropped");
	CHECK_STR(S("x\x9b"
		    "31mred",
		    0),
		  "xred", "a raw 8-bit CSI is dropped with its parameters");
	CHECK_STR(S("x\x9d"
		    "0;title\x07y",
		    0),
		  "xy", "a raw 8-bit OSC is dropped up to BEL");
	CHECK_STR(S("x\x9d"
		    "0;title\x9cy",
		    0),
		  "xy", "a raw 8-bit OSC is dropped up to the 8-bit ST");
	/* C1 in UTF-8: U+0085, U+009B CSI, U+009D OSC terminated by U+009C */
	CHECK_STR(S("a\xc2\x85"
		    "b",
		    0),
		  "ab", "UTF-8 U+0085 (NEL) is dropped");
	CHECK_STR(S("x\xc2\x9b"
		    "2Jy",
		    0),
		  "xy", "UTF-8 U+009B (CSI) is dropped with its sequence");
	CHECK_STR(S("x\xc2\x9d"
		    "2;evil\xc2\x9cy",
		    0),
		  "xy", "UTF-8 U+009D (OSC) ... U+009C (ST) is dropped");
	for (unsigned c = 0x80; c <= 0x9f; c++) {
		char in[4] = { 'a', (char)0xc2, (char)c, 'b' };
		char raw[3] = { 'a', (char)c, 'b' };
		const char *got = clean(in, 4, 0);
		CHECK(got[0] == 'a' && no_controls(got, false), "UTF-8 C1 U+%04X leaves no control", c);
		got = clean(raw, 3, 0);
		CHECK(got[0] == 'a' && no_controls(got, false), "raw C1 byte 0x%02x leaves no control", c);
	}

	/* escape sequences, whole */
	CHECK_STR(S("\x1b[1;31mred\x1b[0m!", 0), "red!", "CSI colour sequences are removed whole");
	CHECK_STR(S("a\x1b[?1049hb", 0), "ab", "a private-mode CSI is removed whole");
	CHECK_STR(S("a\x1b]0;pwned\x07"
		    "b",
		    0),
		  "ab", "OSC (window title) ending in BEL is removed whole");
	CHECK_STR(S("a\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\b", 0), "alinkb",
		  "OSC 8 hyperlinks ending in ST are removed");
	CHECK_STR(S("a\x1bPq#0;2;0;0;0\x1b\\b", 0), "ab", "DCS (sixel) is removed whole");
	CHECK_STR(S("a\x1b_apc\x1b\\b", 0), "ab", "APC is removed whole");
	CHECK_STR(S("a\x1b(0b", 0), "ab", "ESC ( 0 (charset switch) is removed whole");
	CHECK_STR(S("a\x1b"
		    "cb",
		    0),
		  "ab", "ESC c (reset) is removed whole");
	CHECK_STR(S("a\x1b]0;never ends", 0), "a", "an unterminated OSC swallows the rest");
	CHECK_STR(S("a\x1b", 0), "a", "a trailing ESC is dropped");
	CHECK_STR(S("a\x1b[", 0), "a", "a truncated CSI is dropped");

	/* valid UTF-8 is kept, invalid bytes become '?' */
	CHECK_STR(S("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xc2\xa0", 0),
		  "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xc2\xa0",
		  "valid UTF-8 (2, 3 and 4 bytes, U+00A0) is kept");
	CHECK_STR(S("a\xc3"
		    "b",
		    0),
		  "a?b", "a lone lead byte becomes '?'");
	CHECK_STR(S("a\xc0\xaf"
		    "b",
		    0),
		  "a??b", "an overlong form is not UTF-8");
	CHECK_STR(S("a\xed\xa0\x80"
		    "b",
		    0),
		  "a??b", "a UTF-16 surrogate is not UTF-8 (its 0x80 is a raw C1 byte)");
	CHECK_STR(S("a\xff"
		    "b",
		    0),
		  "a?b", "0xff becomes '?'");
	/* a lead byte whose continuation was a C1 must not recombine with what follows */
	CHECK(no_controls(S("\xc2\x1b[0m\x9b", 0), false), "no C1 can be assembled from the pieces");
	CHECK(no_controls(S("\xc2\x01\x85", 0), false), "nor across a dropped C0");

	/* the output never cuts a character and is always terminated */
	{
		char small[4];
		size_t n = text_sanitize(small, sizeof(small), "ab\xe2\x82\xac", 5, 0);
		CHECK(n == 2 && !strcmp(small, "ab"), "a character that does not fit is left out whole (%zu)", n);
		n = text_sanitize(small, 1, "abc", 3, 0);
		CHECK(n == 0 && small[0] == '\0', "a one-byte buffer holds the empty string");
	}
	T_DONE();
}
