// SPDX-License-Identifier: MIT
/* cloud-init NoCloud seeds: the three files and the ISO; see cidata.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest/cidata.h"
#include "guest/iso9660.h"
#include "guest/sshkey.h"
#include "util/cleanup.h"
#include "util/err.h"

#define MERGE_TYPE "list(append)+dict(recurse_array)+str()"

/* Run write(arg, f) on a memory stream and hand out what it wrote. */
static int render_text(int (*write)(const void *arg, FILE *f), const void *arg, char **out)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	FILE *f = open_memstream(&buf, &len);
	int r;

	if (!f)
		return -ENOMEM;
	r = write(arg, f);
	if (fclose(f) != 0 && r == 0)
		r = -ENOMEM;
	if (r < 0)
		return r;
	*out = TAKE_PTR(buf);
	return 0;
}

/* The code point at *p (advanced past it), or -1 for bytes before end
 * that are not UTF-8 (overlong forms, surrogates and values past
 * U+10FFFF included, and a sequence cut by end). */
static int32_t utf8_next(const unsigned char **p, const unsigned char *end)
{
	const unsigned char *s = *p;
	int32_t c;
	int n;

	if (s[0] < 0x80) {
		*p += 1;
		return s[0];
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 1, c = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 2, c = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 3, c = s[0] & 0x07;
	else
		return -1;
	if (end - s <= n)
		return -1;
	for (int i = 1; i <= n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return -1;
		c = c << 6 | (s[i] & 0x3f);
	}
	if ((n == 2 && c < 0x800) || (n == 3 && (c < 0x10000 || c > 0x10ffff)) || (c >= 0xd800 && c <= 0xdfff))
		return -1;
	*p += n + 1;
	return c;
}

static bool utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;

	while (p < end)
		if (utf8_next(&p, end) < 0)
			return false;
	return true;
}

/* YAML 1.1/1.2 "printable" (c-printable), less NEL and the Unicode line
 * and paragraph separators, which some parsers treat as line breaks. */
static bool yaml_printable(int32_t c)
{
	return (c >= 0x20 && c <= 0x7e) || (c >= 0xa0 && c <= 0xd7ff && c != 0x2028 && c != 0x2029) ||
	       (c >= 0xe000 && c <= 0xfffd && c != 0xfeff) || (c >= 0x10000 && c <= 0x10ffff);
}

int cidata_yaml_quote(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + strlen(s);

	fputc('"', out);
	while (p < end) {
		const unsigned char *start = p;
		int32_t c = utf8_next(&p, end);
		if (c < 0)
			return err_set(-EILSEQ, "text is not valid UTF-8");
		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", (char)c);
		else if (c == '\n')
			fputs("\\n", out);
		else if (c == '\t')
			fputs("\\t", out);
		else if (yaml_printable(c))
			fwrite(start, 1, (size_t)(p - start), out);
		else if (c < 0x100)
			fprintf(out, "\\x%02x", (unsigned)c);
		else
			fprintf(out, "\\u%04x", (unsigned)c); /* every non-printable one is in the BMP */
	}
	fputc('"', out);
	return 0;
}

static bool all_of(const char *s, const char *set)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      strchr(set, *s)))
			return false;
	return true;
}

/* Can v be shown in a message as it is (printable ASCII)? */
static bool printable(const char *v)
{
	for (; *v; v++)
		if ((unsigned char)*v < ' ' || (unsigned char)*v >= 0x7f)
			return false;
	return true;
}

static int check_word(const char *what, const char *v, size_t max, const char *set, const char *allowed)
{
	if (!v || !*v)
		return err_set(-EINVAL, "cloud-init seed: no %s", what);
	if (!all_of(v, set))
		return err_set(-EINVAL, "cloud-init seed: the %s %s%s%s has characters other than %s", what,
			       printable(v) ? "'" : "", printable(v) ? v : "(with control or non-ASCII characters)",
			       printable(v) ? "'" : "", allowed);
	if (strlen(v) > max)
		return err_set(-EINVAL, "cloud-init seed: the %s '%.32s...' is longer than %zu characters", what, v,
			       max);
	return 0;
}

static int check_user(const char *user)
{
	int r = check_word("user name", user, 32, "_-", "lower-case letters, digits, '_' and '-'");

	if (r < 0)
		return r;
	if (!((user[0] >= 'a' && user[0] <= 'z') || user[0] == '_'))
		return err_set(-EINVAL,
			       "cloud-init seed: the user name '%s' must start with a lower-case letter or '_'", user);
	for (const char *c = user; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			return err_set(-EINVAL, "cloud-init seed: the user name '%s' must be lower-case", user);
	return 0;
}

/* "52:54:00:12:34:56", written back in lower case */
static int check_mac(const char *mac, char out[18])
{
	if (!mac || strlen(mac) != 17 || !printable(mac))
		return err_set(-EINVAL, "cloud-init seed: '%s' is not a MAC address",
			       mac && printable(mac) ? mac : "(with control or non-ASCII characters)");
	for (int i = 0; i < 17; i++) {
		char c = mac[i];
		if (i % 3 == 2 ? c != ':'
			       : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
			return err_set(-EINVAL, "cloud-init seed: '%s' is not a MAC address", mac);
		out[i] = (c >= 'A' && c <= 'F') ? (char)(c - 'A' + 'a') : c;
	}
	out[17] = 0;
	return 0;
}

static int check_input(const struct cidata *c)
{
	int r;

	if ((r = check_word("instance-id", c->instance_id, 128, "._:-", "letters, digits, '.', '_', ':' and '-'")) < 0)
		return r;
	if ((r = check_word("host name", c->hostname, 63, "._-", "letters, digits, '.', '_' and '-'")) < 0)
		return r;
	if ((r = check_user(c->user)) < 0)
		return r;
	if (c->n_ssh_keys == 0)
		return err_set(-EINVAL,
			       "cloud-init seed: no SSH public key for user '%s' (create one with: ssh-keygen "
			       "-t ed25519)",
			       c->user);
	for (size_t i = 0; i < c->n_nics; i++) {
		char mac[18];
		if ((r = check_mac(c->nics[i].mac, mac)) < 0)
			return r;
		if (c->nics[i].name && (r = check_word("interface name", c->nics[i].name, 15, "._-",
						       "letters, digits, '.', '_' and '-'")) < 0)
			return r;
	}
	if (c->password_hash && (!*c->password_hash || !all_of(c->password_hash, "$./=,")))
		return err_set(-EINVAL, "cloud-init seed: the password hash is not a crypt(3) hash");
	return 0;
}

/* before, value as a YAML string, after */
static int put_quoted(FILE *f, const char *before, const char *value, const char *after)
{
	int r;

	fputs(before, f);
	if ((r = cidata_yaml_quote(f, value)) < 0)
		return r;
	fputs(after, f);
	return 0;
}

static int write_meta_data(const void *arg, FILE *f)
{
	const struct cidata *c = arg;
	int r;

	fputs("# cloud-init NoCloud meta-data, written by hv\n", f);
	if ((r = put_quoted(f, "instance-id: ", c->instance_id, "\n")) < 0 ||
	    (r = put_quoted(f, "local-hostname: ", c->hostname, "\n")) < 0)
		return r;
	return 0;
}

/* Network config version 2 (the netplan schema cloud-init reads). */
static int write_network_config(const void *arg, FILE *f)
{
	const struct cidata *c = arg;
	int r;

	fputs("# cloud-init network config v2, written by hv: each NIC by its MAC, DHCPv4 with the MAC\n"
	      "# as DHCP client identifier\n"
	      "version: 2\nethernets:\n",
	      f);
	for (size_t i = 0; i < c->n_nics; i++) {
		const char *name = c->nics[i].name;
		char mac[18];
		check_mac(c->nics[i].mac, mac);
		if (name && (r = put_quoted(f, "  ", name, ":\n")) < 0)
			return r;
		if (!name)
			fprintf(f, "  \"nic%zu\":\n", i);
		fprintf(f, "    match:\n      macaddress: \"%s\"\n", mac);
		if (name && (r = put_quoted(f, "    set-name: ", name, "\n")) < 0)
			return r;
		fputs("    dhcp4: true\n    dhcp-identifier: mac\n", f);
	}
	return 0;
}

/* hv's #cloud-config: the user, their keys, nothing slow at first boot. */
static int write_ssh_keys(const struct cidata *c, FILE *f)
{
	int r;

	fputs("    ssh_authorized_keys:\n", f);
	for (size_t i = 0; i < c->n_ssh_keys; i++) {
		struct sshkey k;
		_cleanup_free_ char *line = NULL;
		if ((r = sshkey_parse(c->ssh_keys[i], strlen(c->ssh_keys[i]), &k)) < 0)
			return err_prefix(r, "cloud-init seed: SSH key %zu", i + 1);
		line = sshkey_format(&k, 1);
		sshkey_free(&k);
		if (!line)
			return -ENOMEM;
		if ((r = put_quoted(f, "      - ", line, "\n")) < 0)
			return err_prefix(r, "cloud-init seed: the comment of SSH key %zu", i + 1);
	}
	return 0;
}

/* Shared folders at /mnt/TAG (see cidata.h for why both ways).  Tags
 * hold only [A-Za-z0-9_.-], checked here again: they go into YAML and a
 * shell command unquoted. */
static int write_shares(const struct cidata *c, FILE *f)
{
	int r;

	if (!c->n_shares)
		return 0;
	for (size_t i = 0; i < c->n_shares; i++)
		if ((r = engine_share_tag_check(c->shares[i].tag)) < 0)
			return r;
	fputs("mounts:\n", f);
	for (size_t i = 0; i < c->n_shares; i++)
		fprintf(f, "  - [\"%s\", \"/mnt/%s\", \"virtiofs\", \"%s,nofail\", \"0\", \"0\"]\n", c->shares[i].tag,
			c->shares[i].tag, c->shares[i].readonly ? "ro" : "defaults");
	fputs("bootcmd:\n", f);
	for (size_t i = 0; i < c->n_shares; i++) {
		const char *t = c->shares[i].tag;
		fprintf(
		    f,
		    "  - [\"sh\", \"-c\", \"mkdir -p /mnt/%s && { mountpoint -q /mnt/%s || mount -t virtiofs -o %s %s "
		    "/mnt/%s; }\"]\n",
		    t, t, c->shares[i].readonly ? "ro" : "rw", t, t);
	}
	return 0;
}

static int write_cloud_config(const void *arg, FILE *f)
{
	const struct cidata *c = arg;
	int r;

	if ((r = put_quoted(f, "#cloud-config\n# written by hv\nusers:\n  - name: ", c->user, "\n")) < 0)
		return r;
	fputs("    shell: /bin/bash\n    sudo: \"ALL=(ALL) NOPASSWD:ALL\"\n", f);
	if (c->password_hash &&
	    (r = put_quoted(f, "    lock_passwd: false\n    hashed_passwd: ", c->password_hash, "\n")) < 0)
		return r;
	if (!c->password_hash)
		fputs("    lock_passwd: true\n", f);
	if ((r = write_ssh_keys(c, f)) < 0)
		return r;
	fprintf(f, "ssh_pwauth: %s\n", c->password_hash ? "true" : "false");
	/* the Debian default puts a "login as the default user" command in
	 * front of root's keys */
	if (!strcmp(c->user, "root"))
		fputs("disable_root: false\n", f);
	/* hv records the host keys the guest prints on its console
	 * (hostkeys.c): keys_to_console must stay on */
	/* manage_etc_hosts: the VM's name resolves (sudo looks it up) */
	fputs("ssh:\n  emit_keys_to_console: true\npackage_update: false\nmanage_etc_hosts: true\n", f);
	return write_shares(c, f);
}

enum user_data_kind { UD_CLOUD_CONFIG, UD_SCRIPT };

static int user_data_kind(const struct cidata *c, enum user_data_kind *kind)
{
	const char *name = c->user_data_name ? c->user_data_name : "user-data";
	const char *d = c->user_data, *nl;
	size_t n = c->user_data_len, first;

	if (n > CIDATA_USER_DATA_MAX)
		return err_set(-EFBIG, "%s: user-data is limited to %d KiB", name, CIDATA_USER_DATA_MAX >> 10);
	if (memchr(d, 0, n))
		return err_set(-EINVAL, "%s: user-data must be text (it has NUL bytes)", name);
	if (!utf8_valid(d, n))
		return err_set(-EINVAL, "%s: user-data must be UTF-8 text", name);
	nl = memchr(d, '\n', n);
	first = nl ? (size_t)(nl - d) : n;
	while (first > 0 && (d[first - 1] == ' ' || d[first - 1] == '\t' || d[first - 1] == '\r'))
		first--;
	if (first == 13 && !memcmp(d, "#cloud-config", 13)) {
		*kind = UD_CLOUD_CONFIG;
		return 0;
	}
	if (n >= 2 && !memcmp(d, "#!", 2)) {
		*kind = UD_SCRIPT;
		return 0;
	}
	return err_set(-EINVAL,
		       "%s: hv merges only user-data that starts with '#cloud-config' (a cloud-config) or '#!' (a "
		       "script)",
		       name);
}

static bool is_ascii(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return false;
	return true;
}

static void put_base64(FILE *f, const unsigned char *s, size_t n)
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	for (size_t i = 0; i < n; i += 3) {
		uint32_t w =
		    (uint32_t)s[i] << 16 | (i + 1 < n ? (uint32_t)s[i + 1] << 8 : 0) | (i + 2 < n ? s[i + 2] : 0);
		fputc(abc[w >> 18 & 63], f);
		fputc(abc[w >> 12 & 63], f);
		fputc(i + 1 < n ? abc[w >> 6 & 63] : '=', f);
		fputc(i + 2 < n ? abc[w & 63] : '=', f);
		if ((i / 3 + 1) % 19 == 0 || i + 3 >= n)
			fputc('\n', f); /* 76 characters a line (RFC 2045 6.8) */
	}
}

/* One MIME part (RFC 2046 5.1): ASCII text as is, anything else base64. */
static void put_part(FILE *f, const char *boundary, const char *type, const char *filename, bool merge,
		     const char *body, size_t n)
{
	bool ascii = is_ascii(body, n);

	fprintf(f, "--%s\nContent-Type: %s; charset=\"%s\"\nMIME-Version: 1.0\n", boundary, type,
		ascii ? "us-ascii" : "utf-8");
	fprintf(f, "Content-Transfer-Encoding: %s\n", ascii ? "7bit" : "base64");
	fprintf(f, "Content-Disposition: attachment; filename=\"%s\"\n", filename);
	if (merge)
		fputs("Merge-Type: " MERGE_TYPE "\n", f);
	fputs("\n", f);
	if (ascii) {
		/* the line break before a boundary belongs to the boundary
		 * (RFC 2046 5.1.1): one more keeps the body's own last one */
		fwrite(body, 1, n, f);
		fputs("\n", f);
	} else {
		put_base64(f, (const unsigned char *)body, n);
	}
}

/* A boundary that no line of the parts begins with. */
static void pick_boundary(const char *a, const char *b, size_t b_len, char out[64])
{
	for (unsigned i = 0;; i++) {
		snprintf(out, 64, "==hv-cidata-%u==", i);
		if (!strstr(a, out) && !memmem(b, b_len, out, strlen(out)))
			return;
	}
}

struct multipart {
	const struct cidata *c;
	const char *hv; /* hv's #cloud-config */
	enum user_data_kind kind;
};

static int write_multipart(const void *arg, FILE *f)
{
	const struct multipart *m = arg;
	const struct cidata *c = m->c;
	char boundary[64];

	pick_boundary(m->hv, c->user_data, c->user_data_len, boundary);
	fprintf(f, "Content-Type: multipart/mixed; boundary=\"%s\"\nMIME-Version: 1.0\n\n", boundary);
	put_part(f, boundary, "text/cloud-config", "hv.cfg", true, m->hv, strlen(m->hv));
	if (m->kind == UD_CLOUD_CONFIG)
		put_part(f, boundary, "text/cloud-config", "user.cfg", true, c->user_data, c->user_data_len);
	else
		put_part(f, boundary, "text/x-shellscript", "user-script", false, c->user_data, c->user_data_len);
	fprintf(f, "--%s--\n", boundary);
	return 0;
}

static int render_user_data(const struct cidata *c, char **out)
{
	_cleanup_free_ char *hv = NULL;
	struct multipart m = { .c = c, .kind = UD_CLOUD_CONFIG };
	int r;

	if ((r = render_text(write_cloud_config, c, &hv)) < 0)
		return r;
	if (!c->user_data) {
		*out = TAKE_PTR(hv);
		return 0;
	}
	if ((r = user_data_kind(c, &m.kind)) < 0)
		return r;
	m.hv = hv;
	return render_text(write_multipart, &m, out);
}

int cidata_render(const struct cidata *c, struct cidata_seed *out)
{
	struct cidata_seed s = { 0 };
	int r;

	*out = s;
	if ((r = check_input(c)) < 0)
		return r;
	if ((r = render_text(write_meta_data, c, &s.meta_data)) < 0 || (r = render_user_data(c, &s.user_data)) < 0 ||
	    (c->n_nics && (r = render_text(write_network_config, c, &s.network_config)) < 0)) {
		cidata_seed_free(&s);
		return r;
	}
	*out = s;
	return 0;
}

void cidata_seed_free(struct cidata_seed *s)
{
	free(s->meta_data);
	free(s->user_data);
	free(s->network_config);
	*s = (struct cidata_seed){ 0 };
}

int cidata_write_at(int dirfd, const char *name, const struct cidata *c)
{
	struct cidata_seed s;
	int r;

	if ((r = cidata_render(c, &s)) < 0)
		return r;
	struct iso9660_file files[] = {
		{ "meta-data", s.meta_data, strlen(s.meta_data) },
		{ "user-data", s.user_data, strlen(s.user_data) },
		{ "network-config", s.network_config, s.network_config ? strlen(s.network_config) : 0 },
	};
	/* 0600: the seed may hold a password hash */
	r = iso9660_write_at(dirfd, name, 0600, CIDATA_LABEL, files, s.network_config ? 3 : 2);
	cidata_seed_free(&s);
	return r < 0 ? err_prefix(r, "cloud-init seed %s", name) : 0;
}
