/* SPDX-License-Identifier: MIT */
/* guest/sshkey: public key lines from ssh-keygen accepted; private keys,
 * pasted-together keys, bad base64 and blobs that lie about their type
 * refused with a reason. */
#include <errno.h>
#include <stdint.h>
#include <unistd.h>

#include "guest/sshkey.h"
#include "t.h"
#include "t_run.h"
#include "util/err.h"

static char dir[] = "/tmp/hv-sshkey-XXXXXX";

static char *b64(const uint8_t *s, size_t n)
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *out = malloc((n + 2) / 3 * 4 + 1), *o = out;

	for (size_t i = 0; i < n; i += 3) {
		uint32_t w =
		    (uint32_t)s[i] << 16 | (i + 1 < n ? (uint32_t)s[i + 1] << 8 : 0) | (i + 2 < n ? s[i + 2] : 0);
		*o++ = abc[w >> 18 & 63];
		*o++ = abc[w >> 12 & 63];
		*o++ = i + 1 < n ? abc[w >> 6 & 63] : '=';
		*o++ = i + 2 < n ? abc[w & 63] : '=';
	}
	*o = 0;
	return out;
}

/* Append an SSH string (RFC 4251 5) to blob. */
static size_t put_string(uint8_t *blob, size_t at, const void *s, size_t n)
{
	blob[at] = (uint8_t)(n >> 24);
	blob[at + 1] = (uint8_t)(n >> 16);
	blob[at + 2] = (uint8_t)(n >> 8);
	blob[at + 3] = (uint8_t)n;
	memcpy(blob + at + 4, s, n);
	return at + 4 + n;
}

static int parse(const char *line, struct sshkey *k)
{
	err_clear();
	return sshkey_parse(line, strlen(line), k);
}

/* The line of a .pub file ssh-keygen makes, without its newline. */
static char *keygen(const char *name, const char *args)
{
	char *pub =
	    t_run("ssh-keygen -q -N '' -C 'user@example' %s -f %s/%s && cat %s/%s.pub", args, dir, name, dir, name);
	if (pub)
		pub[strcspn(pub, "\n")] = 0;
	return pub;
}

static void test_generated(void)
{
	const struct {
		const char *name, *args, *type;
	} kinds[] = {
		{ "ed", "-t ed25519", "ssh-ed25519" },
		{ "rsa", "-t rsa -b 2048", "ssh-rsa" },
		{ "ec256", "-t ecdsa -b 256", "ecdsa-sha2-nistp256" },
		{ "ec384", "-t ecdsa -b 384", "ecdsa-sha2-nistp384" },
		{ "ec521", "-t ecdsa -b 521", "ecdsa-sha2-nistp521" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
		_cleanup_free_ char *pub = keygen(kinds[i].name, kinds[i].args), *again = NULL, *crlf = NULL;
		struct sshkey k;
		CHECK(pub != NULL, "ssh-keygen %s failed", kinds[i].args);
		if (!pub)
			continue;
		CHECK(parse(pub, &k) == 0, "%s refused: %s", kinds[i].type, err_msg());
		CHECK_STR(k.type, kinds[i].type, "type");
		CHECK_STR(k.comment, "user@example", "comment");
		again = sshkey_format(&k, 1);
		CHECK_STR(again, pub, "formatted again");
		sshkey_free(&k);
		/* Windows line ends and extra blanks are tolerated */
		if (asprintf(&crlf, "  %s  \r", pub) < 0)
			abort();
		CHECK(parse(crlf, &k) == 0 && !strcmp(k.comment, "user@example"), "CR line: %s", err_msg());
		sshkey_free(&k);
	}

	/* without a comment */
	_cleanup_free_ char *pub = keygen("nocomment", "-t ed25519"), *bare = NULL;
	struct sshkey k;
	bare = strndup(pub, strrchr(pub, ' ') - pub);
	CHECK(parse(bare, &k) == 0 && k.comment == NULL, "key without comment: %s", err_msg());
	sshkey_free(&k);
}

/* Security keys cannot be made here without a token: build their blobs. */
static void test_security_keys(void)
{
	uint8_t blob[256], point[65] = { 4 }, pk[32] = { 1, 2, 3 };
	size_t n;
	_cleanup_free_ char *ed = NULL, *ec = NULL, *line1 = NULL, *line2 = NULL;
	struct sshkey k;

	n = put_string(blob, 0, "sk-ssh-ed25519@openssh.com", 26);
	n = put_string(blob, n, pk, 32);
	n = put_string(blob, n, "ssh:", 4);
	ed = b64(blob, n);
	if (asprintf(&line1, "sk-ssh-ed25519@openssh.com %s yubikey", ed) < 0)
		abort();
	CHECK(parse(line1, &k) == 0, "sk-ed25519 refused: %s", err_msg());
	sshkey_free(&k);

	n = put_string(blob, 0, "sk-ecdsa-sha2-nistp256@openssh.com", 34);
	n = put_string(blob, n, "nistp256", 8);
	n = put_string(blob, n, point, 65);
	n = put_string(blob, n, "ssh:", 4);
	ec = b64(blob, n);
	if (asprintf(&line2, "sk-ecdsa-sha2-nistp256@openssh.com %s", ec) < 0)
		abort();
	CHECK(parse(line2, &k) == 0, "sk-ecdsa refused: %s", err_msg());
	sshkey_free(&k);
}

static void refused(const char *what, const char *line, const char *reason)
{
	struct sshkey k;
	int r = parse(line, &k);

	CHECK(r == -EINVAL && strstr(err_msg(), reason), "%s: got %d '%s', want '%s'", what, r, err_msg(), reason);
	CHECK(k.type == NULL && k.base64 == NULL, "%s: output left set", what);
}

static void test_refused(void)
{
	_cleanup_free_ char *ed = keygen("bad", "-t ed25519"), *rsa = keygen("bad-rsa", "-t rsa -b 2048");
	_cleanup_free_ char *priv = NULL, *two = NULL, *mismatch = NULL, *trunc = NULL, *rfc = NULL, *ctl = NULL,
			    *longline = NULL, *extra = NULL;
	char path[256];
	uint8_t blob[128], pk[32] = { 0 };
	size_t n;

	snprintf(path, sizeof(path), "%s/bad", dir);
	priv = t_run("head -n 1 %s", path);
	priv[strcspn(priv, "\n")] = 0;
	refused("private key", priv, "private key");
	refused("empty", "", "no key");
	refused("blanks", " \t ", "no key");
	if (asprintf(&two, "%s %s", ed, rsa) < 0)
		abort();
	refused("two keys on a line", two, "more than one key");
	refused("garbage base64", "ssh-ed25519 AAAA!!!!bm90IGtleQ== x", "not valid base64");
	refused("base64 of bad length", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAA", "not valid base64");
	refused("padding inside", "ssh-ed25519 AA==AAAA", "not valid base64");
	refused("unknown type", "ssh-dss AAAAB3NzaC1kc3M= x", "known public key type");
	refused("options in front", "no-pty ssh-ed25519 AAAA", "known public key type");
	refused("no data", "ssh-ed25519", "no key data");
	/* an Ed25519 blob under an RSA label */
	if (asprintf(&mismatch, "ssh-rsa %s", strchr(ed, ' ') + 1) < 0)
		abort();
	refused("type mismatch", mismatch, "the key data says ssh-ed25519 but the line says ssh-rsa");
	/* a blob cut short */
	n = put_string(blob, 0, "ssh-ed25519", 11);
	n = put_string(blob, n, pk, 32);
	{
		_cleanup_free_ char *short_b64 = b64(blob, n - 8);
		if (asprintf(&trunc, "ssh-ed25519 %s", short_b64) < 0)
			abort();
	}
	refused("truncated blob", trunc, "truncated");
	blob[n++] = 0;
	{
		_cleanup_free_ char *long_b64 = b64(blob, n);
		if (asprintf(&extra, "ssh-ed25519 %s", long_b64) < 0)
			abort();
	}
	refused("extra bytes", extra, "extra bytes");
	rfc = t_run("ssh-keygen -e -f %s/bad.pub | head -n 1", dir);
	rfc[strcspn(rfc, "\n")] = 0;
	refused("RFC 4716", rfc, "RFC 4716");
	if (asprintf(&ctl, "%s\033[2J", ed) < 0)
		abort();
	refused("escape sequence in the comment", ctl, "control characters");
	longline = malloc(SSHKEY_LINE_MAX + 100);
	memset(longline, 'A', SSHKEY_LINE_MAX + 99);
	memcpy(longline, "ssh-rsa ", 8);
	longline[SSHKEY_LINE_MAX + 99] = 0;
	refused("too long", longline, "longer than");
	CHECK(sshkey_type_known("ssh-ed25519", 11) && !sshkey_type_known("ssh-ed2551", 10), "type lookup");
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	test_generated();
	test_security_keys();
	test_refused();
	fs_rm_rf_at(AT_FDCWD, dir);
	T_DONE();
}
