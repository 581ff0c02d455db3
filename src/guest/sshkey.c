// SPDX-License-Identifier: MIT
/* Checking OpenSSH public key lines; see sshkey.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest/sshkey.h"
#include "util/base64.h"
#include "util/cleanup.h"
#include "util/err.h"

/* What follows the type string in each kind of key blob. */
enum field {
	F_END,
	F_MPINT,   /* RSA e and n (RFC 4253 6.6) */
	F_ED25519, /* a 32-byte public key (RFC 8709 4) */
	F_CURVE,   /* the curve name, which must end the type name (RFC 5656 3.1) */
	F_POINT,   /* an uncompressed EC point: 0x04 then x and y */
	F_APP,	   /* a security key's application string (OpenSSH PROTOCOL.u2f) */
};

static const struct keytype {
	const char *name;
	const char *curve;
	size_t point; /* bytes of an uncompressed point on curve */
	enum field fields[4];
} keytypes[] = {
	{ "ssh-ed25519", NULL, 0, { F_ED25519, F_END } },
	{ "ssh-rsa", NULL, 0, { F_MPINT, F_MPINT, F_END } },
	{ "ecdsa-sha2-nistp256", "nistp256", 65, { F_CURVE, F_POINT, F_END } },
	{ "ecdsa-sha2-nistp384", "nistp384", 97, { F_CURVE, F_POINT, F_END } },
	{ "ecdsa-sha2-nistp521", "nistp521", 133, { F_CURVE, F_POINT, F_END } },
	{ "sk-ssh-ed25519@openssh.com", NULL, 0, { F_ED25519, F_APP, F_END } },
	{ "sk-ecdsa-sha2-nistp256@openssh.com", "nistp256", 65, { F_CURVE, F_POINT, F_APP, F_END } },
};

static const struct keytype *keytype_find(const char *word, size_t len)
{
	for (size_t i = 0; i < ARRAY_SIZE(keytypes); i++)
		if (strlen(keytypes[i].name) == len && !memcmp(keytypes[i].name, word, len))
			return &keytypes[i];
	return NULL;
}

int sshkey_type_known(const char *word, size_t len)
{
	return keytype_find(word, len) != NULL;
}

/* RFC 4251 5: a string is a uint32 length then that many bytes. */
static bool take_string(const uint8_t **p, size_t *left, const uint8_t **s, size_t *len)
{
	uint32_t n;

	if (*left < 4)
		return false;
	n = (uint32_t)(*p)[0] << 24 | (uint32_t)(*p)[1] << 16 | (uint32_t)(*p)[2] << 8 | (*p)[3];
	if (n > *left - 4)
		return false;
	*s = *p + 4;
	*len = n;
	*p += 4 + n;
	*left -= 4 + n;
	return true;
}

static int check_blob(const struct keytype *kt, const uint8_t *blob, size_t left)
{
	const uint8_t *s;
	size_t n;

	if (!take_string(&blob, &left, &s, &n))
		return err_set(-EINVAL, "the key data is truncated");
	if (n != strlen(kt->name) || memcmp(s, kt->name, n)) {
		bool printable = n > 0 && n < 64;
		for (size_t i = 0; i < n && printable; i++)
			printable = s[i] > ' ' && s[i] < 0x7f;
		if (printable)
			return err_set(-EINVAL, "the key data says %.*s but the line says %s", (int)n, (const char *)s,
				       kt->name);
		return err_set(-EINVAL, "the key data is not a %s key", kt->name);
	}
	for (const enum field *f = kt->fields; *f != F_END; f++) {
		if (!take_string(&blob, &left, &s, &n))
			return err_set(-EINVAL, "the key data is truncated");
		switch (*f) {
		case F_MPINT:
		case F_APP:
			if (n == 0)
				return err_set(-EINVAL, "the key data has an empty field");
			break;
		case F_ED25519:
			if (n != 32)
				return err_set(-EINVAL, "the key data has a %zu-byte Ed25519 key, not 32", n);
			break;
		case F_CURVE:
			if (n != strlen(kt->curve) || memcmp(s, kt->curve, n))
				return err_set(-EINVAL, "the key data names another curve than %s", kt->curve);
			break;
		case F_POINT:
			if (n != kt->point || s[0] != 0x04)
				return err_set(-EINVAL, "the key data has no valid %s point", kt->curve);
			break;
		case F_END:
			break;
		}
	}
	if (left)
		return err_set(-EINVAL, "the key data has %zu extra bytes", left);
	return 0;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* The next word of [*p, end): its start and length; *p moves past it. */
static size_t next_word(const char **p, const char *end, const char **word)
{
	while (*p < end && is_space(**p))
		(*p)++;
	*word = *p;
	while (*p < end && !is_space(**p))
		(*p)++;
	return (size_t)(*p - *word);
}

int sshkey_parse(const char *line, size_t len, struct sshkey *key)
{
	const char *p = line, *end, *type, *b64, *w;
	size_t type_len, b64_len;
	_cleanup_free_ uint8_t *blob = NULL;
	size_t blob_len;
	const struct keytype *kt;
	int r;

	*key = (struct sshkey){ 0 };
	if (len && line[len - 1] == '\r')
		len--;
	if (len > SSHKEY_LINE_MAX)
		return err_set(-EINVAL, "the line is longer than %d bytes", SSHKEY_LINE_MAX);
	end = line + len;
	for (const char *c = line; c < end; c++)
		if ((unsigned char)*c < ' ' && *c != '\t')
			return err_set(-EINVAL, "the line has control characters");
	if (len >= 11 && !memcmp(line, "-----BEGIN ", 11) && memmem(line, len, "PRIVATE KEY", 11))
		return err_set(-EINVAL, "this is a private key, not a public one (the public key is the .pub file)");
	if (len >= 10 && !memcmp(line, "---- BEGIN", 10))
		return err_set(-EINVAL, "this key is in RFC 4716 format (convert it with ssh-keygen -i -f FILE)");
	if (len >= 20 && !memcmp(line, "PuTTY-User-Key-File-", 20))
		return err_set(-EINVAL, "this is a PuTTY key (convert it with puttygen -O public-openssh)");
	type_len = next_word(&p, end, &type);
	if (type_len == 0)
		return err_set(-EINVAL, "there is no key (the line is empty)");
	/* not echoed: a file given by mistake may hold a secret */
	if (!(kt = keytype_find(type, type_len)))
		return err_set(-EINVAL, "the line does not start with a known public key type (ssh-ed25519, ssh-rsa, "
					"ecdsa-sha2-nistp256/384/521, sk-...@openssh.com)");
	b64_len = next_word(&p, end, &b64);
	if (b64_len == 0)
		return err_set(-EINVAL, "the %s key has no key data", kt->name);
	r = base64_decode(b64, b64_len, &blob, &blob_len);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return err_set(-EINVAL, "the key data is not valid base64");
	if ((r = check_blob(kt, blob, blob_len)) < 0)
		return r;
	/* "TYPE BASE64 TYPE BASE64" is two keys pasted together */
	for (const char *q = p; next_word(&q, end, &w) > 0;)
		if (sshkey_type_known(w, (size_t)(q - w)))
			return err_set(-EINVAL, "the line holds more than one key (put one key on each line)");
	while (p < end && is_space(*p))
		p++;
	while (end > p && is_space(end[-1]))
		end--;
	key->type = strdup(kt->name);
	key->base64 = strndup(b64, b64_len);
	key->comment = p < end ? strndup(p, (size_t)(end - p)) : NULL;
	if (!key->type || !key->base64 || (p < end && !key->comment)) {
		sshkey_free(key);
		return -ENOMEM;
	}
	return 0;
}

void sshkey_free(struct sshkey *key)
{
	free(key->type);
	free(key->base64);
	free(key->comment);
	*key = (struct sshkey){ 0 };
}

char *sshkey_format(const struct sshkey *key, int with_comment)
{
	char *s;

	if (with_comment && key->comment)
		return asprintf(&s, "%s %s %s", key->type, key->base64, key->comment) < 0 ? NULL : s;
	return asprintf(&s, "%s %s", key->type, key->base64) < 0 ? NULL : s;
}
