/* SPDX-License-Identifier: MIT */
/* Fuzz target: the cloud-init NoCloud seed (guest/cidata.c) from what a
 * user gives (host name, user, SSH key, password hash, NIC, share tag and
 * the user's own user-data file, which is merged as MIME), and the ISO
 * 9660 volume it is written as (guest/iso9660.c).  The input is those
 * fields separated by NUL bytes, the user-data last.  The merged
 * user-data must have exactly its two parts: nothing the user wrote can
 * be taken for a boundary. */
#include <stdio.h>

#include "guest/cidata.h"
#include "guest/iso9660.h"
#include "util/err.h"
#include "fuzz.h"

/* Lines that begin with "--BOUNDARY" in a multipart message. */
static int boundary_lines(const char *text)
{
	const char *b = strstr(text, "boundary=\"");
	char mark[80];
	int n = 0;

	if (!b)
		return -1;
	b += strlen("boundary=\"");
	snprintf(mark, sizeof(mark), "--%.*s", (int)strcspn(b, "\""), b);
	for (const char *line = text; line; line = strchr(line, '\n'), line = line ? line + 1 : NULL)
		n += !strncmp(line, mark, strlen(mark));
	return n;
}

static void volume(const struct iso9660_file *files, size_t n, const char *label)
{
	void *iso = NULL;
	size_t len = 0;

	if (iso9660_build(label, files, n, 1796083200, &iso, &len) == 0 && (len == 0 || len % ISO9660_SECTOR))
		abort();
	free(iso);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz in = { data, size };
	char *host = fz_str(&in), *user = fz_str(&in), *key = fz_str(&in), *hash = fz_str(&in);
	char *mac = fz_str(&in), *ifname = fz_str(&in), *tag = fz_str(&in);
	size_t ud_len;
	const char *ud = (const char *)fz_take(&in, in.n, &ud_len);
	const char *keys[] = { key };
	struct cidata_nic nic = { .mac = mac, .name = *ifname ? ifname : NULL };
	struct cidata c = {
		.instance_id = "0b5e3c4e-7a3f-4f43-9d5e-3f0a2b1c9d8e",
		.hostname = host,
		.user = user,
		.ssh_keys = keys,
		.n_ssh_keys = 1,
		.password_hash = *hash ? hash : NULL,
		.user_data = ud_len ? ud : NULL,
		.user_data_len = ud_len,
		.user_data_name = "user-data.yaml",
		.nics = &nic,
		.n_nics = *mac ? 1 : 0,
	};
	struct cidata_seed s;

	if (*tag) {
		snprintf(c.shares[0].tag, sizeof(c.shares[0].tag), "%s", tag);
		c.n_shares = 1;
	}
	if (cidata_render(&c, &s) == 0) {
		struct iso9660_file files[] = {
			{ "meta-data", s.meta_data, strlen(s.meta_data) },
			{ "user-data", s.user_data, strlen(s.user_data) },
			{ "network-config", s.network_config, s.network_config ? strlen(s.network_config) : 0 },
		};
		if (c.user_data && boundary_lines(s.user_data) != 3)
			abort();
		volume(files, s.network_config ? 3 : 2, CIDATA_LABEL);
		cidata_seed_free(&s);
	}
	/* a volume of files named by the input */
	struct iso9660_file named[] = { { host, ud, ud_len }, { user, key, strlen(key) }, { ifname, "", 0 } };
	volume(named, 3, tag);
	free(host);
	free(user);
	free(key);
	free(hash);
	free(mac);
	free(ifname);
	free(tag);
	err_clear();
	return 0;
}
