/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * OpenSSH public keys as one line "TYPE BASE64 [COMMENT]" (sshd(8),
 * AUTHORIZED_KEYS FILE FORMAT, without options), checked the whole way:
 * a known type, base64 that decodes, and a key blob (RFC 4253 6.6,
 * RFC 5656 3.1, RFC 8709 4, OpenSSH PROTOCOL.u2f) whose embedded type
 * is the same and whose fields are complete.  Used for the user's keys
 * (cidata.c) and for the host keys a guest prints (hostkeys.c).
 */
#include <stddef.h>

#define SSHKEY_LINE_MAX 8192 /* a 16384-bit RSA key is ~2.8 KB of base64 */

struct sshkey {
	char *type;    /* "ssh-ed25519", ... */
	char *base64;  /* the key blob, as written */
	char *comment; /* NULL when there is none; never has control characters */
};

/* Parse one line (len bytes, without the newline; one trailing CR is
 * ignored).  On failure, a negative errno and a reason such as "this is a
 * private key" or "the key data says ssh-rsa but the line says
 * ssh-ed25519" (the caller prefixes the file name). */
int sshkey_parse(const char *line, size_t len, struct sshkey *key);
void sshkey_free(struct sshkey *key);
/* "TYPE BASE64" or "TYPE BASE64 COMMENT", malloc'ed. */
char *sshkey_format(const struct sshkey *key, int with_comment);
/* Is word (len bytes) one of the types sshkey_parse() accepts? */
int sshkey_type_known(const char *word, size_t len);
