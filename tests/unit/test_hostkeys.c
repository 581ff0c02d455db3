/* SPDX-License-Identifier: MIT */
/* guest/hostkeys: SSH host keys out of a realistic, noisy console, and
 * out of hostile ones; the known_hosts written from them is what
 * ssh-keygen -F finds. */
#include <errno.h>
#include <unistd.h>

#include "guest/hostkeys.h"
#include "t.h"
#include "t_run.h"
#include "util/err.h"

static char dir[] = "/tmp/hv-hostkeys-XXXXXX";
static char *ecdsa, *ed, *rsa; /* "TYPE BASE64 root@web" */

static char *pubkey(const char *name, const char *args)
{
	char *pub = t_run("ssh-keygen -q -N '' -C root@web %s -f %s/%s && cat %s/%s.pub", args, dir, name, dir, name);

	if (pub)
		pub[strcspn(pub, "\n")] = 0;
	return pub;
}

/* "TYPE BASE64" of a key line */
static char *bare(const char *line)
{
	return strndup(line, strrchr(line, ' ') - line);
}

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...)
{
	va_list ap;
	char *s;

	va_start(ap, f);
	if (vasprintf(&s, f, ap) < 0)
		abort();
	va_end(ap);
	return s;
}

/* What a Debian 12 guest's serial console shows at first boot, with the
 * serial line's CRs, kernel messages cutting in and a syslog-forwarded
 * copy of the fingerprints. */
static char *console_excerpt(void)
{
	return fmt("[    4.861024] cloud-init[402]: Cloud-init v. 22.4.2 running 'init' at Mon, 30 Nov 2026 "
		   "15:00:00 +0000. Up 4.80 seconds.\r\n"
		   "[    4.901113] cloud-init[402]: ci-info: ++++++++++++++++++++++Net device "
		   "info+++++++++++++++++++++++\r\n"
		   "[    4.901200] cloud-init[402]: ci-info: | enp0s2 | True | 10.0.3.15 | 255.255.255.0 | global | "
		   "52:54:00:12:34:56 |\r\n"
		   "[    5.610000] cloud-init[402]: Generating public/private ed25519 key pair.\r\n"
		   "[    5.610100] cloud-init[402]: The key fingerprint is:\r\n"
		   "[    5.610200] cloud-init[402]: SHA256:Jt1x6Zq5e0V9Yt0HnGQ2oPvK0c7h1m9Qe3Xw4o5r6s8 root@web\r\n"
		   "<14>Nov 30 15:00:07 cloud-init: "
		   "#############################################################\r\n"
		   "<14>Nov 30 15:00:07 cloud-init: -----BEGIN SSH HOST KEY FINGERPRINTS-----\r\n"
		   "<14>Nov 30 15:00:07 cloud-init: 256 SHA256:Jt1x6Zq5e0V9Yt0HnGQ2oPvK0c7h1m9Qe3Xw4o5r6s8 root@web "
		   "(ED25519)\r\n"
		   "<14>Nov 30 15:00:07 cloud-init: -----END SSH HOST KEY FINGERPRINTS-----\r\n"
		   "-----BEGIN SSH HOST KEY KEYS-----\r\n"
		   "%s\r\n"
		   "[    7.001234] random: crng init done\r\n"
		   "ci-info: %s\r\r\n"
		   "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGarbage!! root@web\r\n"
		   "ssh-rsa %s root@web\r\n" /* an ed25519 blob under an RSA label */
		   "%s\r\n"
		   "\x1b[0m\x1b[1;31mnoise\x1b[0m\r\n"
		   "[    7.2] cloud-init[610]: %s\r\n"
		   "%s\r\n" /* the same key twice */
		   "-----END SSH HOST KEY KEYS-----\r\n"
		   "[    7.400000] cloud-init[610]: Cloud-init v. 22.4.2 finished at Mon, 30 Nov 2026 15:00:08 +0000. "
		   "Datasource DataSourceNoCloud [seed=/dev/sr0][dsmode=net].  Up 7.39 seconds\r\n"
		   "\r\nDebian GNU/Linux 12 web ttyS0\r\n\r\nweb login: ",
		   ecdsa, ed, strchr(ed, ' ') + 1, "garbage line without a key", rsa, ed);
}

static void test_realistic(void)
{
	_cleanup_free_ char *con = console_excerpt(), *b1 = bare(ecdsa), *b2 = bare(ed), *b3 = bare(rsa);
	struct hostkeys k;
	int r;

	err_clear();
	r = hostkeys_parse(con, strlen(con), &k);
	CHECK(r == 0 && k.n == 3, "parse: %d %s, %zu keys", r, err_msg(), k.n);
	if (k.n == 3) {
		_cleanup_free_ char *s1 = sshkey_format(&k.keys[0], 1), *s2 = sshkey_format(&k.keys[1], 1),
				    *s3 = sshkey_format(&k.keys[2], 1);
		CHECK_STR(s1, b1, "first key (no comment)");
		CHECK_STR(s2, b2, "second key, after a ci-info: prefix and CRs");
		CHECK_STR(s3, b3, "third key");
	}

	/* known_hosts for the forwarded port and the guest's address */
	const char *hosts[] = { "[127.0.0.1]:2222", "10.0.3.15" };
	_cleanup_free_ char *kh = NULL, *want = NULL, *file = fmt("%s/known_hosts", dir), *found = NULL, *found2 = NULL,
			    *listed = NULL;
	CHECK(hostkeys_known_hosts(&k, hosts, 2, &kh) == 0, "known_hosts: %s", err_msg());
	want = fmt("# written by hv from the host keys the guest printed at its first boot\n"
		   "[127.0.0.1]:2222,10.0.3.15 %s\n[127.0.0.1]:2222,10.0.3.15 %s\n[127.0.0.1]:2222,10.0.3.15 %s\n",
		   b1, b2, b3);
	CHECK_STR(kh, want, "known_hosts text");
	CHECK(hostkeys_write_known_hosts(AT_FDCWD, file, &k, hosts, 2) == 0, "write: %s", err_msg());
	found = t_run("ssh-keygen -F '[127.0.0.1]:2222' -f %s | grep -vc '^#'", file);
	CHECK(found && atoi(found) == 3, "ssh-keygen -F [127.0.0.1]:2222 finds %s keys", found ? found : "no");
	found2 = t_run("ssh-keygen -F 10.0.3.15 -f %s | grep -vc '^#'", file);
	CHECK(found2 && atoi(found2) == 3, "ssh-keygen -F 10.0.3.15 finds %s keys", found2 ? found2 : "no");
	listed = t_run("ssh-keygen -l -f %s | wc -l", file);
	CHECK(listed && atoi(listed) == 3, "ssh-keygen -l lists %s keys", listed ? listed : "no");
	hostkeys_free(&k);
}

static int parse_text(const char *text, struct hostkeys *k)
{
	err_clear();
	return hostkeys_parse(text, strlen(text), k);
}

static void test_hostile(void)
{
	struct hostkeys k;
	_cleanup_free_ char *unterminated = fmt("-----BEGIN SSH HOST KEY KEYS-----\n%s\n", ed);
	_cleanup_free_ char *cut = fmt("-----BEGIN SSH HOST KEY KEYS-----\n%s\n-----END SSH HOST KEY KEYS-----", ed);
	_cleanup_free_ char *two = fmt("-----BEGIN SSH HOST KEY KEYS-----\njunk\n-----END SSH HOST KEY KEYS-----\n"
				       "-----BEGIN SSH HOST KEY KEYS-----\n%s\n-----END SSH HOST KEY KEYS-----\n"
				       "-----BEGIN SSH HOST KEY KEYS-----\n%s\n-----END SSH HOST KEY KEYS-----\n",
				       ed, rsa);
	_cleanup_free_ char *restart = fmt("-----BEGIN SSH HOST KEY KEYS-----\n%s\n-----BEGIN SSH HOST KEY KEYS-----\n"
					   "%s\n-----END SSH HOST KEY KEYS-----\n",
					   rsa, ed);
	int r;

	r = parse_text("", &k);
	CHECK(r == -ENOENT && strstr(err_msg(), "no SSH host keys"), "empty console: %d %s", r, err_msg());
	CHECK(parse_text(ed, &k) == -ENOENT, "a key outside a block taken");
	CHECK(parse_text(unterminated, &k) == -ENOENT && k.n == 0, "unterminated block taken");
	/* the END line has no newline yet: the guest is still printing */
	CHECK(parse_text(cut, &k) == -ENOENT, "block without its last line break taken");
	/* the first block that holds a key wins; a later one is never read */
	r = parse_text(two, &k);
	CHECK(r == 0 && k.n == 1 && !strcmp(k.keys[0].type, "ssh-ed25519"), "first valid block: %d %zu", r, k.n);
	hostkeys_free(&k);
	/* a BEGIN inside a block starts over */
	r = parse_text(restart, &k);
	CHECK(r == 0 && k.n == 1 && !strcmp(k.keys[0].type, "ssh-ed25519"), "restarted block: %d %zu", r, k.n);
	hostkeys_free(&k);

	/* a flood of distinct keys: at most HOSTKEYS_MAX */
	_cleanup_free_ char *many = t_run("cd %s && for i in $(seq 20); do ssh-keygen -q -t ed25519 -N '' -f m$i; "
					  "done; echo -----BEGIN SSH HOST KEY KEYS-----; cat m*.pub; "
					  "echo -----END SSH HOST KEY KEYS-----",
					  dir);
	r = many ? parse_text(many, &k) : -1;
	CHECK(r == 0 && k.n == HOSTKEYS_MAX, "20 keys: %d, %zu kept", r, k.n);
	hostkeys_free(&k);

	/* a block of more lines than cloud-init ever prints is not believed */
	size_t cap = 100 * 80 + 4096, len = 0;
	_cleanup_free_ char *longblock = malloc(cap);
	len += snprintf(longblock + len, cap - len, "-----BEGIN SSH HOST KEY KEYS-----\n");
	for (int i = 0; i < 100; i++)
		len += snprintf(longblock + len, cap - len, "filler line %d\n", i);
	len += snprintf(longblock + len, cap - len, "%s\n-----END SSH HOST KEY KEYS-----\n", ed);
	CHECK(parse_text(longblock, &k) == -ENOENT, "a 100-line block taken");

	/* megabytes without a line break, inside and outside a block */
	size_t big = 4 << 20;
	_cleanup_free_ char *huge = malloc(big + 1);
	memset(huge, 'A', big);
	memcpy(huge, "-----BEGIN SSH HOST KEY KEYS-----\nssh-ed25519 ", 46);
	huge[big] = 0;
	CHECK(parse_text(huge, &k) == -ENOENT, "endless line");
	/* an overlong line that ends in a key is skipped, the block goes on */
	_cleanup_free_ char *overlong = malloc(SSHKEY_LINE_MAX + 8192);
	memset(overlong, ' ', SSHKEY_LINE_MAX + 100);
	overlong[SSHKEY_LINE_MAX + 100] = 0;
	_cleanup_free_ char *with_long =
	    fmt("-----BEGIN SSH HOST KEY KEYS-----\n%s%s\n%s\n-----END SSH HOST KEY KEYS-----\n", overlong, ecdsa, ed);
	r = parse_text(with_long, &k);
	CHECK(r == 0 && k.n == 1 && !strcmp(k.keys[0].type, "ssh-ed25519"), "overlong line: %d %zu", r, k.n);
	hostkeys_free(&k);
	/* NUL bytes are just garbage */
	const char nul[] = "-----BEGIN SSH HOST KEY KEYS-----\nssh-ed25519\0AAAA\n-----END SSH HOST KEY KEYS-----\n";
	err_clear();
	CHECK(hostkeys_parse(nul, sizeof(nul) - 1, &k) == -ENOENT, "NUL line");
}

static void test_bad_hosts(void)
{
	struct hostkeys k;
	_cleanup_free_ char *text = fmt("-----BEGIN SSH HOST KEY KEYS-----\n%s\n-----END SSH HOST KEY KEYS-----\n", ed);
	const char *bad[] = { "", "a b", "a,b", "#x", "tab\t", "esc\x1b", "caf\xc3\xa9" };
	char *out = NULL;

	CHECK(parse_text(text, &k) == 0, "parse");
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		err_clear();
		CHECK(hostkeys_known_hosts(&k, &bad[i], 1, &out) == -EINVAL && !out, "host '%s' accepted", bad[i]);
	}
	CHECK(hostkeys_known_hosts(&k, bad, 0, &out) == -EINVAL, "no host accepted");
	hostkeys_free(&k);
	const char *h = "x";
	CHECK(hostkeys_known_hosts(&k, &h, 1, &out) == -EINVAL, "no key accepted");
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	ecdsa = pubkey("ecdsa", "-t ecdsa -b 256");
	ed = pubkey("ed", "-t ed25519");
	rsa = pubkey("rsa", "-t rsa -b 2048");
	if (!ecdsa || !ed || !rsa)
		return 1;
	test_realistic();
	test_hostile();
	test_bad_hosts();
	free(ecdsa);
	free(ed);
	free(rsa);
	fs_rm_rf_at(AT_FDCWD, dir);
	T_DONE();
}
