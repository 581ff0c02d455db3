// SPDX-License-Identifier: MIT
/* What a seed is made from that the user hands over as files: SSH public
 * keys and a password (plaintext or already hashed); see cidata.h. */
#include <crypt.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "guest/cidata.h"
#include "guest/sshkey.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"

#define KEY_FILE_MAX	  (256 << 10)
#define KEYS_PER_FILE	  64
#define PASSWORD_FILE_MAX 4096

static void cleanup_wipe(char **p)
{
	if (*p) {
		explicit_bzero(*p, strlen(*p));
		free(*p);
	}
}
#define _cleanup_wipe_ __attribute__((cleanup(cleanup_wipe)))

int cidata_load_ssh_keys(const char *path, struct strv *keys)
{
	_cleanup_free_ char *buf = NULL;
	size_t len, lineno = 0, found = 0;
	int r;

	r = fs_read_all(AT_FDCWD, path, KEY_FILE_MAX, &buf, &len);
	if (r == -EFBIG)
		return err_set(r, "%s is too large to be an SSH public key", path);
	if (r < 0)
		return err_errno(r, "cannot read SSH public key %s", path);
	for (char *line = buf, *next; line < buf + len; line = next) {
		struct sshkey k;
		char *nl = memchr(line, '\n', (size_t)(buf + len - line)), *s;
		size_t n = nl ? (size_t)(nl - line) : (size_t)(buf + len - line);
		const char *p = line;

		next = line + n + 1;
		lineno++;
		while (p < line + n && (*p == ' ' || *p == '\t' || *p == '\r'))
			p++;
		if (p == line + n || *p == '#')
			continue;
		if ((r = sshkey_parse(line, n, &k)) < 0) {
			struct err_saved why;
			err_save(&why);
			return err_set(r,
				       "%s, line %zu: %s; give an SSH public key (make a key pair with: ssh-keygen -t "
				       "ed25519)",
				       path, lineno, why.msg);
		}
		s = sshkey_format(&k, 1);
		sshkey_free(&k);
		if (!s)
			return -ENOMEM;
		r = strv_add(keys, s);
		free(s);
		if (r < 0)
			return r;
		if (++found > KEYS_PER_FILE)
			return err_set(-E2BIG, "%s holds more than %d keys", path, KEYS_PER_FILE);
	}
	if (found == 0)
		return err_set(-EINVAL, "%s holds no SSH public key (create a key pair with: ssh-keygen -t ed25519)",
			       path);
	return 0;
}

static int pub_name(const char *name)
{
	size_t n = strlen(name);

	/* certificates (id_ed25519-cert.pub) are not keys to authorize */
	if (n > 9 && !strcmp(name + n - 9, "-cert.pub"))
		return -EINVAL;
	return n > 4 && !strcmp(name + n - 4, ".pub") ? 0 : -EINVAL;
}

int cidata_default_ssh_keys(const char *ssh_dir, struct strv *keys)
{
	char **names = NULL;
	size_t n = 0;
	int r;

	r = fs_list_names(ssh_dir, pub_name, &names, &n);
	if (r < 0 && r != -ENOENT)
		return r;
	if (n == 0) {
		fs_names_free(names, n);
		return err_set(-ENOENT,
			       "no SSH public key in %s (create one with: ssh-keygen -t ed25519, or give "
			       "--ssh-key FILE)",
			       ssh_dir);
	}
	for (size_t i = 0; i < n && r >= 0; i++) {
		_cleanup_free_ char *path = NULL;
		if (asprintf(&path, "%s/%s", ssh_dir, names[i]) < 0)
			r = -ENOMEM;
		else
			r = cidata_load_ssh_keys(path, keys);
	}
	fs_names_free(names, n);
	return r < 0 ? r : 0;
}

int cidata_hash_password(const char *plain, char **hash)
{
	_cleanup_free_ char *setting = NULL;
	_cleanup_free_ struct crypt_data *data = NULL;
	const char *h;

	/* no random bytes given: libxcrypt takes them from getrandom() */
	setting = crypt_gensalt_ra("$6$", 0, NULL, 0);
	if (!setting)
		return err_errno(-(errno ? errno : EINVAL), "cannot make a salt for the password");
	data = calloc(1, sizeof(*data));
	if (!data)
		return -ENOMEM;
	h = crypt_r(plain, setting, data);
	if (!h || strncmp(h, "$6$", 3)) {
		explicit_bzero(data, sizeof(*data));
		return err_set(-EINVAL, "cannot hash the password with SHA-512");
	}
	*hash = strdup(h);
	explicit_bzero(data, sizeof(*data));
	return *hash ? 0 : -ENOMEM;
}

/* A complete hash of a method that is not obsolete: crypt() with the
 * hash as its setting gives back a hash of the same shape. */
static bool is_strong_hash(const char *s)
{
	static const char *const prefixes[] = { "$6$", "$5$", "$y$", "$gy$", "$7$", "$2b$", "$2y$" };
	_cleanup_free_ struct crypt_data *data = NULL;
	const char *h, *salt_end = strrchr(s, '$');
	bool known = false, ok;

	for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++)
		known = known || !strncmp(s, prefixes[i], strlen(prefixes[i]));
	if (!known || crypt_checksalt(s) != CRYPT_SALT_OK || !(data = calloc(1, sizeof(*data))))
		return false;
	h = crypt_r("", s, data);
	ok = h && h[0] == '$' && strlen(h) == strlen(s) && !strncmp(h, s, (size_t)(salt_end - s));
	explicit_bzero(data, sizeof(*data));
	return ok;
}

int cidata_load_password(const char *path, char **hash)
{
	_cleanup_wipe_ char *buf = NULL;
	size_t len;
	int r;

	*hash = NULL;
	r = fs_read_all(AT_FDCWD, path, PASSWORD_FILE_MAX, &buf, &len);
	if (r == -EFBIG)
		return err_set(r, "%s is too large to be a password file (one line)", path);
	if (r < 0)
		return err_errno(r, "cannot read password file %s", path);
	if (len && buf[len - 1] == '\n')
		buf[--len] = 0;
	if (len && buf[len - 1] == '\r')
		buf[--len] = 0;
	if (len == 0)
		return err_set(-EINVAL, "%s: the password file is empty", path);
	if (strlen(buf) != len || memchr(buf, '\n', len))
		return err_set(-EINVAL, "%s: a password file holds one line: the password or its crypt(3) hash", path);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)buf[i] < ' ' || buf[i] == 0x7f)
			return err_set(-EINVAL, "%s: the password has control characters", path);
	if (buf[0] == '$' && is_strong_hash(buf)) {
		*hash = strdup(buf);
		return *hash ? 0 : -ENOMEM;
	}
	r = buf[0] == '$' ? crypt_checksalt(buf) : CRYPT_SALT_INVALID; /* "ab..." would be a DES salt */
	if (r == CRYPT_SALT_METHOD_LEGACY || r == CRYPT_SALT_METHOD_DISABLED)
		return err_set(-EINVAL,
			       "%s: this password hash uses an obsolete method; give a SHA-512 or yescrypt "
			       "hash (mkpasswd -m sha-512) or the password itself",
			       path);
	if ((r = cidata_hash_password(buf, hash)) < 0)
		return err_prefix(r, "%s", path);
	return 0;
}
