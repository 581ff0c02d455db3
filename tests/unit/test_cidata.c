/* SPDX-License-Identifier: MIT */
/* guest/cidata: the NoCloud seed, read back by a real YAML parser
 * (python3-yaml) and a MIME parser (Python's email, what cloud-init
 * uses); key files, password files, and the ISO. */
#include <crypt.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest/cidata.h"
#include "t.h"
#include "t_run.h"
#include "util/err.h"

static char dir[] = "/tmp/hv-cidata-XXXXXX";

static char *path_in(const char *name)
{
	char *p;

	if (asprintf(&p, "%s/%s", dir, name) < 0)
		abort();
	return p;
}

static bool write_in(const char *name, const char *text)
{
	_cleanup_free_ char *p = path_in(name);

	return t_write(p, text, strlen(text));
}

/* Run a Python check over a file: the script reads the file named by
 * sys.argv[1] and prints "ok" when its assertions hold. */
static bool py_check(const char *file_text, const char *script)
{
	_cleanup_free_ char *data = path_in("py.in"), *code = path_in("py.py"), *out = NULL;

	if (!t_write(data, file_text, strlen(file_text)) || !t_write(code, script, strlen(script)))
		return false;
	out = t_run("/usr/bin/python3 %s %s 2>&1; true", code, data);
	if (!out || strcmp(out, "ok\n"))
		printf("# python said: %s\n", out ? out : "(failed)");
	return out && !strcmp(out, "ok\n");
}

static char *quote(const char *s, int *r)
{
	char *buf = NULL;
	size_t len;
	FILE *f = open_memstream(&buf, &len);

	err_clear();
	*r = cidata_yaml_quote(f, s);
	fclose(f);
	return buf;
}

static void test_yaml_quote(void)
{
	const struct {
		const char *in, *want;
	} cases[] = {
		{ "alice", "\"alice\"" },
		{ "", "\"\"" },
		{ "say \"hi\"\\", "\"say \\\"hi\\\"\\\\\"" },
		{ "a\nb\tc", "\"a\\nb\\tc\"" },
		{ "esc\033[2J", "\"esc\\x1b[2J\"" },
		{ "del\x7f", "\"del\\x7f\"" },
		{ "nel\xc2\x85", "\"nel\\x85\"" },
		{ "ls\xe2\x80\xa8", "\"ls\\u2028\"" },
		{ "bom\xef\xbb\xbf", "\"bom\\ufeff\"" },
		{ "caf\xc3\xa9 \xf0\x9f\x90\xa7", "\"caf\xc3\xa9 \xf0\x9f\x90\xa7\"" },
		{ "- [a]: {b} # &c *d !e %f @g `h' |i >j", "\"- [a]: {b} # &c *d !e %f @g `h' |i >j\"" },
		{ "yes", "\"yes\"" },
	};
	int r;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_free_ char *q = quote(cases[i].in, &r), *yaml = NULL;
		CHECK(r == 0, "quote case %zu failed", i);
		CHECK_STR(q, cases[i].want, "yaml quote");
	}
	/* a YAML parser gives back the very same bytes */
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_free_ char *q = quote(cases[i].in, &r), *yaml = NULL, *script = NULL;
		_cleanup_free_ char *hex = malloc(2 * strlen(cases[i].in) + 1);
		for (size_t j = 0; cases[i].in[j]; j++)
			sprintf(hex + 2 * j, "%02x", (unsigned char)cases[i].in[j]);
		hex[2 * strlen(cases[i].in)] = 0;
		if (asprintf(&yaml, "v: %s\n", q) < 0 ||
		    asprintf(&script,
			     "import sys, yaml\nv = yaml.safe_load(open(sys.argv[1], encoding='utf-8'))['v']\n"
			     "print('ok' if v.encode('utf-8').hex() == '%s' else v.encode('utf-8').hex())\n",
			     hex) < 0)
			abort();
		CHECK(py_check(yaml, script), "case %zu does not read back as written", i);
	}
	free(quote("bad \xff utf-8", &r));
	CHECK(r == -EILSEQ, "invalid UTF-8 quoted (%d)", r);
	free(quote("overlong \xc0\xaf", &r));
	CHECK(r == -EILSEQ, "overlong UTF-8 quoted (%d)", r);
	free(quote("surrogate \xed\xa0\x80", &r));
	CHECK(r == -EILSEQ, "UTF-8 surrogate quoted (%d)", r);
}

static char *keygen(const char *name, const char *comment)
{
	_cleanup_free_ char *p = path_in(name);
	char *pub = t_run("ssh-keygen -q -t ed25519 -N '' -C '%s' -f %s && cat %s.pub", comment, p, p);

	if (pub)
		pub[strcspn(pub, "\n")] = 0;
	return pub;
}

static const char *keys_for_seed[2];

static struct cidata base_seed(void)
{
	static const struct cidata_nic nics[] = { { "52:54:00:AB:CD:01", NULL }, { "52:54:00:ab:cd:02", "eth1" } };

	return (struct cidata){ .instance_id = "0b0c5f9e-1111-2222-3333-444455556666",
				.hostname = "web-1.example",
				.user = "alice",
				.ssh_keys = keys_for_seed,
				.n_ssh_keys = 2,
				.nics = nics,
				.n_nics = 2 };
}

static const char check_user_data[] =
    "import sys, yaml\n"
    "t = open(sys.argv[1], encoding='utf-8').read()\n"
    "assert t.startswith('#cloud-config\\n'), t[:20]\n"
    "d = yaml.safe_load(t)\n"
    "u = d['users']\n"
    "assert len(u) == 1 and u[0]['name'] == 'alice', u\n"
    "assert u[0]['sudo'] == 'ALL=(ALL) NOPASSWD:ALL' and u[0]['shell'] == '/bin/bash', u\n"
    "assert u[0]['lock_passwd'] is True and 'hashed_passwd' not in u[0], u\n"
    "k = u[0]['ssh_authorized_keys']\n"
    "assert len(k) == 2 and k[0].startswith('ssh-ed25519 ') and k[0].endswith(' alice@laptop'), k\n"
    "assert k[1].endswith(' evil\" \\\\ ' + chr(0xfc) + ' name'), k[1]\n"
    "assert d['ssh_pwauth'] is False and d['package_update'] is False, d\n"
    "assert d['ssh']['emit_keys_to_console'] is True, d\n"
    "assert 'disable_root' not in d\n"
    "print('ok')\n";

static const char check_meta_net[] =
    "import sys, yaml\n"
    "m, n = open(sys.argv[1], encoding='utf-8').read().split('=====\\n')\n"
    "m = yaml.safe_load(m)\n"
    "assert m == {'instance-id': '0b0c5f9e-1111-2222-3333-444455556666', 'local-hostname': 'web-1.example'}, m\n"
    "n = yaml.safe_load(n)\n"
    "assert n['version'] == 2, n\n"
    "e = n['ethernets']\n"
    "assert e['nic0'] == {'match': {'macaddress': '52:54:00:ab:cd:01'}, 'dhcp4': True, 'dhcp-identifier': 'mac'}, "
    "e\n"
    "assert e['eth1'] == {'match': {'macaddress': '52:54:00:ab:cd:02'}, 'set-name': 'eth1', 'dhcp4': True, "
    "'dhcp-identifier': 'mac'}, e\n"
    "print('ok')\n";

static void test_render(void)
{
	struct cidata c = base_seed();
	struct cidata_seed s;
	_cleanup_free_ char *both = NULL;

	err_clear();
	CHECK(cidata_render(&c, &s) == 0, "render: %s", err_msg());
	if (!s.user_data)
		return;
	CHECK(py_check(s.user_data, check_user_data), "user-data");
	if (asprintf(&both, "%s=====\n%s", s.meta_data, s.network_config) < 0)
		abort();
	CHECK(py_check(both, check_meta_net), "meta-data and network-config");
	cidata_seed_free(&s);

	/* no NICs: no network-config, cloud-init falls back to DHCP */
	c.n_nics = 0;
	CHECK(cidata_render(&c, &s) == 0 && s.network_config == NULL, "no NICs");
	cidata_seed_free(&s);

	/* root keeps its keys usable */
	c = base_seed();
	c.user = "root";
	CHECK(cidata_render(&c, &s) == 0 && strstr(s.user_data, "\ndisable_root: false\n"), "root");
	cidata_seed_free(&s);
}

static void bad_seed(const char *what, struct cidata c, const char *reason)
{
	struct cidata_seed s;
	int r;

	err_clear();
	r = cidata_render(&c, &s);
	CHECK(r < 0 && strstr(err_msg(), reason) && !s.user_data, "%s: got %d '%s', want '%s'", what, r, err_msg(),
	      reason);
	if (r == 0)
		cidata_seed_free(&s);
}

static void test_refused_input(void)
{
	struct cidata c;
	const char *bad_key[] = { "ssh-ed25519 AAAA!!!!" };
	struct cidata_nic bad_mac[] = { { "52:54:00:ab:cd", NULL } }, bad_mac2[] = { { "52-54-00-ab-cd-01", NULL } },
			  bad_name[] = { { "52:54:00:ab:cd:01", "a-very-long-interface" } },
			  bad_name2[] = { { "52:54:00:ab:cd:01", "eth0\"\n" } };

	c = base_seed(), c.hostname = "web\nevil: 1";
	bad_seed("newline in host name", c, "(with control or non-ASCII characters)");
	c = base_seed(), c.hostname = "web\"1";
	bad_seed("quote in host name", c, "host name 'web\"1'");
	c = base_seed(), c.hostname = "";
	bad_seed("empty host name", c, "no host name");
	c = base_seed(), c.user = "Alice";
	bad_seed("upper-case user", c, "lower-case");
	c = base_seed(), c.user = "al ice";
	bad_seed("space in user", c, "user name");
	c = base_seed(), c.user = "-x";
	bad_seed("user starting with -", c, "must start with");
	c = base_seed(), c.user = "a234567890123456789012345678901234";
	bad_seed("long user", c, "longer than 32");
	c = base_seed(), c.instance_id = "id\x01";
	bad_seed("control in instance-id", c, "instance-id");
	c = base_seed(), c.n_ssh_keys = 0;
	bad_seed("no keys", c, "ssh-keygen");
	c = base_seed(), c.ssh_keys = bad_key, c.n_ssh_keys = 1;
	bad_seed("bad key", c, "SSH key 1");
	c = base_seed(), c.nics = bad_mac, c.n_nics = 1;
	bad_seed("short MAC", c, "not a MAC address");
	c = base_seed(), c.nics = bad_mac2, c.n_nics = 1;
	bad_seed("MAC with dashes", c, "not a MAC address");
	c = base_seed(), c.nics = bad_name, c.n_nics = 1;
	bad_seed("long interface name", c, "longer than 15");
	c = base_seed(), c.nics = bad_name2, c.n_nics = 1;
	bad_seed("interface name with a quote", c, "interface name");
	c = base_seed(), c.password_hash = "$6$x$y\nz: 1";
	bad_seed("hash with a newline", c, "not a crypt(3) hash");
}

static void test_key_files(void)
{
	struct strv keys = { 0 };
	_cleanup_free_ char *ed = keygen("id_ed25519", "me@host"), *p = NULL, *ssh = path_in("ssh"),
			    *empty = path_in("empty-ssh"), *missing = path_in("missing");
	_cleanup_free_ char *two_files = NULL, *two_line = NULL;
	int r;

	p = path_in("id_ed25519.pub");
	err_clear();
	CHECK(cidata_load_ssh_keys(p, &keys) == 0 && keys.n == 1 && !strcmp(keys.v[0], ed), "load: %s", err_msg());
	strv_free(&keys);

	/* authorized_keys style: comments, blank lines, several keys */
	if (asprintf(&two_files, "# mine\n\n%s\n  \n%s\r\n", ed, ed) < 0)
		abort();
	write_in("several", two_files);
	free(p);
	p = path_in("several");
	CHECK(cidata_load_ssh_keys(p, &keys) == 0 && keys.n == 2, "several keys: %s", err_msg());
	strv_free(&keys);

	const struct {
		const char *file, *text, *reason;
	} bad[] = {
		{ "id_ed25519", NULL, "line 1: this is a private key" },
		{ "empty.pub", "", "holds no SSH public key" },
		{ "blank.pub", "\n# only a comment\n", "holds no SSH public key" },
		{ "garbage.pub", "ssh-ed25519 %%notbase64 x\n", "not valid base64" },
		{ "mismatch.pub", NULL, "the key data says ssh-ed25519 but the line says ecdsa-sha2-nistp256" },
		{ "twoonone.pub", NULL, "more than one key" },
	};
	_cleanup_free_ char *mismatch = NULL;
	if (asprintf(&mismatch, "ecdsa-sha2-nistp256 %s\n", strchr(ed, ' ') + 1) < 0 ||
	    asprintf(&two_line, "%s %s\n", ed, ed) < 0)
		abort();
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		_cleanup_free_ char *f = path_in(bad[i].file);
		if (i == 4)
			write_in(bad[i].file, mismatch);
		else if (i == 5)
			write_in(bad[i].file, two_line);
		else if (bad[i].text)
			write_in(bad[i].file, bad[i].text);
		err_clear();
		r = cidata_load_ssh_keys(f, &keys);
		CHECK(r < 0 && strstr(err_msg(), f) && strstr(err_msg(), bad[i].reason) &&
			  strstr(err_msg(), "ssh-keygen"),
		      "%s: %d '%s'", bad[i].file, r, err_msg());
		CHECK(i > 0 || strstr(err_msg(), "private key"), "private key not named: %s", err_msg());
		strv_free(&keys);
	}
	err_clear();
	CHECK(cidata_load_ssh_keys(missing, &keys) == -ENOENT && strstr(err_msg(), missing), "missing file: %s",
	      err_msg());

	/* ~/.ssh: every *.pub but certificates, sorted */
	CHECK(mkdir(ssh, 0700) == 0 && mkdir(empty, 0700) == 0, "mkdir");
	free(t_run(
	    "cp %s/id_ed25519.pub %s/a.pub && cp %s/id_ed25519 %s/ && ssh-keygen -q -t rsa -b 2048 -N '' -C rsa -f "
	    "%s/id_rsa && echo garbage > %s/id_ed25519-cert.pub",
	    dir, ssh, dir, ssh, ssh, ssh));
	err_clear();
	r = cidata_default_ssh_keys(ssh, &keys);
	CHECK(r == 0 && keys.n == 2 && !strcmp(keys.v[0], ed) && !strncmp(keys.v[1], "ssh-rsa ", 8),
	      "default keys: %d %s (%zu)", r, err_msg(), keys.n);
	strv_free(&keys);
	err_clear();
	r = cidata_default_ssh_keys(empty, &keys);
	CHECK(r == -ENOENT && strstr(err_msg(), "ssh-keygen -t ed25519") && strstr(err_msg(), empty), "no keys: %d %s",
	      r, err_msg());
	err_clear();
	r = cidata_default_ssh_keys(missing, &keys);
	CHECK(r == -ENOENT && strstr(err_msg(), "ssh-keygen"), "no ~/.ssh: %d %s", r, err_msg());
}

static void test_password(void)
{
	_cleanup_free_ char *f = path_in("pw"), *h1 = NULL, *h2 = NULL, *h3 = NULL, *yes = NULL;
	struct crypt_data cd;
	int r;

	write_in("pw", "correct horse battery staple\n");
	err_clear();
	CHECK(cidata_load_password(f, &h1) == 0 && h1 && !strncmp(h1, "$6$", 3), "plaintext: %s", err_msg());
	memset(&cd, 0, sizeof(cd));
	CHECK(h1 && !strcmp(crypt_r("correct horse battery staple", h1, &cd), h1), "crypt does not verify %s", h1);
	CHECK(h1 && strcmp(crypt_r("correct horse battery stapl", h1, &cd), h1), "a wrong password verifies");
	CHECK(h1 && !strstr(h1, "horse"), "plaintext in the hash");
	CHECK(cidata_load_password(f, &h2) == 0 && h2 && strcmp(h1, h2), "the salt is not random");

	/* a hash is taken as it is */
	write_in("pw", h1);
	CHECK(cidata_load_password(f, &h3) == 0 && h3 && !strcmp(h3, h1), "a $6$ hash was hashed again");
	free(h3);
	h3 = NULL;
	memset(&cd, 0, sizeof(cd));
	{
		_cleanup_free_ char *salt = crypt_gensalt_ra("$y$", 0, NULL, 0);
		yes = strdup(crypt_r("pw", salt, &cd));
	}
	write_in("pw", yes);
	CHECK(cidata_load_password(f, &h3) == 0 && h3 && !strcmp(h3, yes), "a yescrypt hash was hashed again");
	free(h3);
	h3 = NULL;
	/* "$6$" and something that is not a hash: a password after all */
	write_in("pw", "$6$notahash\n");
	CHECK(cidata_load_password(f, &h3) == 0 && h3 && strcmp(h3, "$6$notahash") && !strncmp(h3, "$6$", 3),
	      "$6$-looking password");
	free(h3);
	h3 = NULL;

	const struct {
		const char *text, *reason;
	} bad[] = {
		{ "", "empty" },
		{ "\n", "empty" },
		{ "one\ntwo\n", "one line" },
		{ "tab\there", "control characters" },
		{ "$1$abcdefgh$abcdefghijklmnopqrstuv", "obsolete" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		write_in("pw", bad[i].text);
		err_clear();
		r = cidata_load_password(f, &h3);
		CHECK(r == -EINVAL && h3 == NULL && strstr(err_msg(), bad[i].reason) && strstr(err_msg(), f),
		      "password file %zu: %d %s", i, r, err_msg());
	}
	CHECK(write_in("pw", "with\0nul") && 1, "write");
	{
		_cleanup_free_ char *p = path_in("pw");
		t_write(p, "with\0nul\n", 9);
		CHECK(cidata_load_password(p, &h3) == -EINVAL && strstr(err_msg(), "one line"), "NUL: %s", err_msg());
	}

	/* the hash goes into user-data, and password login follows it */
	struct cidata c = base_seed();
	struct cidata_seed s;
	c.password_hash = h1;
	CHECK(cidata_render(&c, &s) == 0, "render with a password: %s", err_msg());
	if (s.user_data) {
		_cleanup_free_ char *script = NULL;
		if (asprintf(&script,
			     "import sys, yaml\nd = yaml.safe_load(open(sys.argv[1]))\nu = d['users'][0]\n"
			     "assert u['lock_passwd'] is False and u['hashed_passwd'] == '%s', u\n"
			     "assert d['ssh_pwauth'] is True\nprint('ok')\n",
			     h1) < 0)
			abort();
		CHECK(py_check(s.user_data, script), "user-data with a password");
	}
	cidata_seed_free(&s);
}

/* The MIME message cloud-init reads: Python's email parser, parts in
 * order, each payload byte for byte. */
static const char check_mime[] =
    "import sys, email\n"
    "m = email.message_from_bytes(open(sys.argv[1], 'rb').read())\n"
    "assert m.get_content_type() == 'multipart/mixed', m.get_content_type()\n"
    "p = [x for x in m.walk() if not x.is_multipart()]\n"
    "assert len(p) == 2, len(p)\n"
    "assert p[0].get_content_type() == 'text/cloud-config' and p[0].get_filename() == 'hv.cfg'\n"
    "assert p[0]['Merge-Type'] == 'list(append)+dict(recurse_array)+str()'\n"
    "assert p[0].get_payload(decode=True).decode().startswith('#cloud-config\\n# written by hv')\n"
    "want = open(sys.argv[1] + '.user', 'rb').read()\n"
    "got = p[1].get_payload(decode=True)\n"
    "assert got == want, (got, want)\n"
    "assert p[1].get_content_type() == open(sys.argv[1] + '.type').read(), p[1].get_content_type()\n"
    "if p[1].get_content_type() == 'text/cloud-config':\n"
    "    assert p[1]['Merge-Type'] == 'list(append)+dict(recurse_array)+str()'\n"
    "else:\n"
    "    assert p[1]['Merge-Type'] is None\n"
    "print('ok')\n";

static void merge_case(const char *what, const char *user_data, const char *type)
{
	struct cidata c = base_seed();
	struct cidata_seed s;
	_cleanup_free_ char *u = path_in("py.in.user"), *t = path_in("py.in.type");

	c.user_data = user_data;
	c.user_data_len = strlen(user_data);
	c.user_data_name = "my-user-data";
	err_clear();
	CHECK(cidata_render(&c, &s) == 0, "%s: %s", what, err_msg());
	if (!s.user_data)
		return;
	CHECK(!strncmp(s.user_data, "Content-Type: multipart/mixed; boundary=", 40), "%s: not multipart", what);
	t_write(u, user_data, strlen(user_data));
	t_write(t, type, strlen(type));
	CHECK(py_check(s.user_data, check_mime), "%s: MIME", what);
	cidata_seed_free(&s);
}

static void test_merge(void)
{
	struct cidata c = base_seed();

	merge_case("cloud-config", "#cloud-config\npackages: [htop]\nruncmd:\n  - [touch, /tmp/x]\n",
		   "text/cloud-config");
	merge_case("cloud-config, CRLF and no final newline", "#cloud-config \r\npackages: [htop]",
		   "text/cloud-config");
	merge_case("UTF-8 cloud-config (base64)", "#cloud-config\nruncmd:\n  - echo h\xc3\xa9llo \xe2\x9c\x93\n",
		   "text/cloud-config");
	merge_case("the boundary in the user's data",
		   "#cloud-config\n# --==hv-cidata-0==\n# ==hv-cidata-1==\nruncmd: [ls]\n", "text/cloud-config");
	merge_case("script", "#!/bin/sh\necho hello > /tmp/hello\n", "text/x-shellscript");

	const struct {
		const char *text, *reason;
	} bad[] = {
		{ "packages: [htop]\n", "starts with '#cloud-config'" },
		{ "#cloud-config-archive\n- type: x\n", "starts with '#cloud-config'" },
		{ "Content-Type: multipart/mixed\n", "starts with '#cloud-config'" },
		{ "", "starts with '#cloud-config'" },
		{ "#cloud-config\nbad: \xff\n", "UTF-8" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		c.user_data = bad[i].text;
		c.user_data_len = strlen(bad[i].text);
		c.user_data_name = "my-user-data";
		bad_seed(bad[i].text, c, bad[i].reason);
		CHECK(strstr(err_msg(), "my-user-data"), "file not named: %s", err_msg());
	}
	c.user_data = "#cloud-config\n\0x";
	c.user_data_len = 16;
	bad_seed("NUL byte", c, "NUL");

	/* the user's data is len bytes, not a C string: nothing reads past it */
	struct cidata_seed s;
	char *exact = malloc(13), *cut = malloc(15);
	memcpy(exact, "#cloud-config", 13);
	memcpy(cut, "#!/bin/sh\n# \xc3", 13);
	c.user_data = exact;
	c.user_data_len = 13;
	CHECK(cidata_render(&c, &s) == 0 && strstr(s.user_data, "\n#cloud-config\n--"), "unterminated user-data: %s",
	      err_msg());
	cidata_seed_free(&s);
	c.user_data = cut;
	c.user_data_len = 13;
	bad_seed("UTF-8 cut by the end", c, "UTF-8");
	free(exact);
	free(cut);
	c.user_data = NULL;
	c.hostname = "caf\xc3\xa9";
	bad_seed("non-ASCII host name", c, "host name (with control or non-ASCII characters)");
}

static void test_write(void)
{
	struct cidata c = base_seed();
	struct cidata_seed s;
	_cleanup_free_ char *iso = path_in("seed.iso"), *d = NULL, *out = path_in("x"), *x = NULL;

	CHECK(cidata_render(&c, &s) == 0, "render");
	err_clear();
	CHECK(cidata_write_at(AT_FDCWD, iso, &c) == 0, "write: %s", err_msg());
	struct stat st;
	CHECK(stat(iso, &st) == 0 && (st.st_mode & 0777) == 0600, "seed mode %o", st.st_mode & 0777);
	d = t_run("isoinfo -d -i %s", iso);
	CHECK(d && strstr(d, "Volume id: cidata\n"), "label: %s", d ? d : "");
	x = t_run("isoinfo -J -x /meta-data -i %s > %s", iso, out);
	CHECK(x && t_file_is(out, s.meta_data, strlen(s.meta_data)), "meta-data in the ISO");
	free(x);
	x = t_run("isoinfo -J -x /user-data -i %s > %s", iso, out);
	CHECK(x && t_file_is(out, s.user_data, strlen(s.user_data)), "user-data in the ISO");
	free(x);
	x = t_run("isoinfo -J -x /network-config -i %s > %s", iso, out);
	CHECK(x && t_file_is(out, s.network_config, strlen(s.network_config)), "network-config in the ISO");
	cidata_seed_free(&s);

	/* a failure names the seed and leaves no file */
	_cleanup_free_ char *bad = path_in("bad.iso"), *left = NULL;
	c.user = "Bad";
	err_clear();
	CHECK(cidata_write_at(AT_FDCWD, bad, &c) == -EINVAL && access(bad, F_OK) < 0, "bad seed written");
	left = t_run("ls -A %s | grep -c tmp || true", dir);
	CHECK(left && atoi(left) == 0, "temporary files left: %s", left ? left : "?");
}

/* Shared folders: a mounts: entry and a bootcmd per tag, as YAML reads them. */
static const char check_shares[] = "import sys, yaml\n"
				   "u = yaml.safe_load(open(sys.argv[1]))\n"
				   "m = u['mounts']; b = u['bootcmd']\n"
				   "assert m == [['src', '/mnt/src', 'virtiofs', 'defaults,nofail', '0', '0'],\n"
				   "             ['data.v1', '/mnt/data.v1', 'virtiofs', 'ro,nofail', '0', '0']], m\n"
				   "assert b[0] == ['sh', '-c', 'mkdir -p /mnt/src && { mountpoint -q /mnt/src || "
				   "mount -t virtiofs -o rw src /mnt/src; }'], b\n"
				   "assert b[1][2].endswith('mount -t virtiofs -o ro data.v1 /mnt/data.v1; }'), b\n"
				   "assert u['users'][0]['name'] == 'alice'\n"
				   "print('ok')\n";

static void test_shares(void)
{
	struct cidata c = base_seed();
	struct cidata_seed s;

	snprintf(c.shares[0].tag, sizeof(c.shares[0].tag), "src");
	snprintf(c.shares[1].tag, sizeof(c.shares[1].tag), "data.v1");
	c.shares[1].readonly = true;
	c.n_shares = 2;
	err_clear();
	CHECK(cidata_render(&c, &s) == 0, "render with shares: %s", err_msg());
	if (s.user_data)
		CHECK(py_check(s.user_data, check_shares), "mounts and bootcmd of the shares");
	cidata_seed_free(&s);
	c = base_seed();
	CHECK(cidata_render(&c, &s) == 0 && !strstr(s.user_data, "mounts:") && !strstr(s.user_data, "bootcmd:"),
	      "no shares: neither mounts nor bootcmd");
	cidata_seed_free(&s);
	snprintf(c.shares[0].tag, sizeof(c.shares[0].tag), "a;reboot");
	c.n_shares = 1;
	bad_seed("a tag a shell would act on", c, "may only hold letters");
}

int main(void)
{
	_cleanup_free_ char *k1 = NULL, *k2 = NULL;

	if (!mkdtemp(dir))
		return 1;
	k1 = keygen("seed1", "alice@laptop");
	k2 = keygen("seed2", "evil\" \\ \xc3\xbc name");
	keys_for_seed[0] = k1;
	keys_for_seed[1] = k2;
	test_yaml_quote();
	test_render();
	test_refused_input();
	test_key_files();
	test_password();
	test_merge();
	test_write();
	test_shares();
	fs_rm_rf_at(AT_FDCWD, dir);
	T_DONE();
}
