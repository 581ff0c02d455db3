// SPDX-License-Identifier: MIT
/* Host keys from a guest's console, and known_hosts; see hostkeys.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest/hostkeys.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"

#define BEGIN_MARK	"-----BEGIN SSH HOST KEY KEYS-----"
#define END_MARK	"-----END SSH HOST KEY KEYS-----"
#define BLOCK_LINES_MAX 64 /* more lines than that between the marks: not cloud-init's block */
#define HOST_MAX	255

void hostkeys_free(struct hostkeys *k)
{
	for (size_t i = 0; i < k->n; i++)
		sshkey_free(&k->keys[i]);
	k->n = 0;
}

static bool has_mark(const char *line, size_t n, const char *mark)
{
	return memmem(line, n, mark, strlen(mark)) != NULL;
}

/* The key in a line of the block, after whatever prefix the console put
 * before it: from the first word that is a key type.  0 when the line
 * holds none or an invalid one. */
static int key_in_line(const char *line, size_t n, struct sshkey *key)
{
	for (size_t i = 0; i < n; i++) {
		size_t w = i;
		if (i > 0 && line[i - 1] != ' ' && line[i - 1] != '\t' && line[i - 1] != ':')
			continue;
		while (w < n && line[w] != ' ' && line[w] != '\t')
			w++;
		if (!sshkey_type_known(line + i, w - i))
			continue;
		if (sshkey_parse(line + i, n - i, key) < 0)
			return 0;
		return 1;
	}
	return 0;
}

static bool seen(const struct hostkeys *k, const struct sshkey *key)
{
	for (size_t i = 0; i < k->n; i++)
		if (!strcmp(k->keys[i].type, key->type) && !strcmp(k->keys[i].base64, key->base64))
			return true;
	return false;
}

static void take_key(struct hostkeys *k, struct sshkey *key)
{
	free(key->comment); /* the guest's words: not kept */
	key->comment = NULL;
	if (k->n < HOSTKEYS_MAX && !seen(k, key)) {
		k->keys[k->n++] = *key;
		*key = (struct sshkey){ 0 };
	}
	sshkey_free(key);
}

int hostkeys_parse(const char *console, size_t len, struct hostkeys *out)
{
	const char *end = console + len;
	bool in_block = false;
	size_t block_lines = 0;
	char line[SSHKEY_LINE_MAX + 1];

	*out = (struct hostkeys){ 0 };
	for (const char *p = console; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t raw = nl ? (size_t)(nl - p) : (size_t)(end - p), n = 0;
		bool complete = nl != NULL;

		/* a copy without CRs (serial consoles add them anywhere) */
		for (size_t i = 0; i < raw && n < sizeof(line) - 1; i++)
			if (p[i] != '\r')
				line[n++] = p[i];
		line[n] = 0;
		p += raw + (nl ? 1 : 0);
		if (n == sizeof(line) - 1 || !complete)
			continue; /* too long to be a key line, or cut off */
		if (has_mark(line, n, BEGIN_MARK)) {
			hostkeys_free(out); /* a new block starts over */
			in_block = true;
			block_lines = 0;
			continue;
		}
		if (!in_block)
			continue;
		if (has_mark(line, n, END_MARK)) {
			if (out->n > 0)
				return 0;
			in_block = false;
			continue;
		}
		if (++block_lines > BLOCK_LINES_MAX) {
			hostkeys_free(out);
			in_block = false;
			continue;
		}
		struct sshkey key;
		if (key_in_line(line, n, &key))
			take_key(out, &key);
	}
	hostkeys_free(out);
	return err_set(-ENOENT, "no SSH host keys on the console (yet)");
}

static int check_host(const char *h)
{
	size_t n = h ? strlen(h) : 0;

	if (n == 0 || n > HOST_MAX)
		return err_set(-EINVAL, "known_hosts: a host pattern must have 1 to %d characters", HOST_MAX);
	for (const char *c = h; *c; c++)
		if ((unsigned char)*c <= ' ' || (unsigned char)*c >= 0x7f || *c == ',' || *c == '#')
			return err_set(-EINVAL, "known_hosts: invalid host pattern '%s'", h);
	return 0;
}

int hostkeys_known_hosts(const struct hostkeys *k, const char *const *hosts, size_t n_hosts, char **out)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	FILE *f;
	int r;

	if (n_hosts == 0)
		return err_set(-EINVAL, "known_hosts: no host pattern");
	for (size_t i = 0; i < n_hosts; i++)
		if ((r = check_host(hosts[i])) < 0)
			return r;
	if (k->n == 0)
		return err_set(-EINVAL, "known_hosts: no host key");
	if (!(f = open_memstream(&buf, &len)))
		return -ENOMEM;
	fputs("# written by hv from the host keys the guest printed at its first boot\n", f);
	for (size_t i = 0; i < k->n; i++) {
		for (size_t h = 0; h < n_hosts; h++)
			fprintf(f, "%s%s", h ? "," : "", hosts[h]);
		fprintf(f, " %s %s\n", k->keys[i].type, k->keys[i].base64);
	}
	r = ferror(f) ? -ENOMEM : 0;
	if (fclose(f) != 0 || r < 0)
		return -ENOMEM;
	*out = TAKE_PTR(buf);
	return 0;
}

int hostkeys_write_known_hosts(int dirfd, const char *name, const struct hostkeys *k, const char *const *hosts,
			       size_t n_hosts)
{
	_cleanup_free_ char *text = NULL;
	int r;

	if ((r = hostkeys_known_hosts(k, hosts, n_hosts, &text)) < 0)
		return r;
	return fs_write_atomic(dirfd, name, text, strlen(text), 0644);
}
