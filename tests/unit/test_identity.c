/* SPDX-License-Identifier: MIT */
/* The clone identity reset: the script hv sends to the appliance, run
 * here by the same busybox sh on a fake root file system, and the reading
 * of its report (guest output). */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <unistd.h>

#include "appliance/identity.h"
#include "util/err.h"
#include "t.h"

static char root[64], outside[64];

static void put(const char *dir, const char *rel, const char *data)
{
	char path[256], *slash;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	for (slash = strchr(path + strlen(dir) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(path, 0755);
		*slash = '/';
	}
	FILE *f = fopen(path, "w");
	if (f) {
		fputs(data, f);
		fclose(f);
	}
}

/* -1: missing; else the size */
static long size_of(const char *dir, const char *rel)
{
	char path[256];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	return lstat(path, &st) < 0 ? -1 : (long)st.st_size;
}

static bool is_link(const char *rel)
{
	char path[256];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	return lstat(path, &st) == 0 && S_ISLNK(st.st_mode);
}

/* Run the reset part of the script in root with busybox sh; its stdout. */
static char *run_reset(int *status)
{
	char *script = NULL, cmd[512], *out = calloc(1, 65536);
	size_t n = 0;
	FILE *p;

	if (!out || identity_script_reset(&script) < 0)
		return out;
	snprintf(cmd, sizeof(cmd), "%s.sh", root);
	put("", cmd + 1, script);
	free(script);
	snprintf(cmd, sizeof(cmd), "cd %s && busybox sh %s.sh", root, root);
	p = popen(cmd, "r");
	if (!p)
		return out;
	while (!feof(p) && n < 65535) {
		size_t k = fread(out + n, 1, 65535 - n, p);
		if (k == 0)
			break;
		n += k;
	}
	*status = pclose(p);
	return out;
}

static void test_reset_on_a_tree(void)
{
	const char *id = "0123456789abcdef0123456789abcdef\n";
	struct identity_report rep;
	char target[160];
	int status = -1;

	snprintf(root, sizeof(root), "/tmp/hv-test-identity.XXXXXX");
	snprintf(outside, sizeof(outside), "/tmp/hv-test-identity-out.XXXXXX");
	if (!mkdtemp(root) || !mkdtemp(outside)) {
		CHECK(false, "mkdtemp: %s", strerror(errno));
		return;
	}
	put(root, "etc/machine-id", id);
	put(root, "var/lib/dbus/machine-id", id);
	put(root, "etc/ssh/ssh_host_ed25519_key", "private");
	put(root, "etc/ssh/ssh_host_ed25519_key.pub", "public");
	put(root, "etc/ssh/ssh_host_rsa_key", "private");
	put(root, "etc/ssh/sshd_config", "PermitRootLogin no\n");
	put(root, "var/lib/dhcp/dhclient.eth0.leases", "lease {}\n");
	put(root, "var/lib/NetworkManager/internal-1234-eth0.lease", "ADDRESS=10.0.0.2\n");
	put(root, "var/lib/NetworkManager/NetworkManager.state", "[main]\n");
	put(root, "var/lib/systemd/random-seed", "seed");
	put(root, "var/lib/systemd/catalog/database", "kept");
	put(root, "etc/os-release", "ID=debian\n");
	/* a folder on the way that is a symlink leads outside the root: the
	 * file it leads to must survive */
	put(outside, "victim.lease", "keep me");
	snprintf(target, sizeof(target), "%s/var/lib/dhcpcd", root);
	CHECK(symlink(outside, target) == 0, "symlink");

	char *out = run_reset(&status);
	CHECK(status == 0, "the reset script exits 0 (status %d): %s", status, out);
	CHECK(size_of(root, "etc/machine-id") == 0, "/etc/machine-id is kept, empty");
	CHECK(!is_link("etc/machine-id"), "/etc/machine-id is a file");
	CHECK(size_of(root, "var/lib/dbus/machine-id") == -1, "/var/lib/dbus/machine-id removed");
	CHECK(size_of(root, "etc/ssh/ssh_host_ed25519_key") == -1, "ed25519 host key removed");
	CHECK(size_of(root, "etc/ssh/ssh_host_ed25519_key.pub") == -1, "its .pub removed");
	CHECK(size_of(root, "etc/ssh/ssh_host_rsa_key") == -1, "rsa host key removed");
	CHECK(size_of(root, "etc/ssh/sshd_config") > 0, "sshd_config kept");
	CHECK(size_of(root, "var/lib/dhcp/dhclient.eth0.leases") == -1, "dhclient lease removed");
	CHECK(size_of(root, "var/lib/NetworkManager/internal-1234-eth0.lease") == -1, "NetworkManager lease removed");
	CHECK(size_of(root, "var/lib/NetworkManager/NetworkManager.state") > 0, "NetworkManager state kept");
	CHECK(size_of(root, "var/lib/systemd/random-seed") == -1, "random seed removed");
	CHECK(size_of(root, "var/lib/systemd/catalog/database") > 0, "the rest of /var/lib/systemd kept");
	CHECK(size_of(root, "etc/os-release") > 0, "os-release kept");
	CHECK(size_of(outside, "victim.lease") == 7, "a symlinked folder is not followed");
	CHECK(identity_report_parse(out, &rep) == 0, "report parses");
	CHECK(rep.emptied == 1 && rep.removed == 7 && rep.skipped == 1, "report: emptied %u removed %u skipped %u",
	      rep.emptied, rep.removed, rep.skipped);
	CHECK(rep.root[0] == '\0', "the reset part alone names no root");
	free(out);

	/* a dbus machine-id that is a symlink to /etc/machine-id is kept (it
	 * is no copy), a machine-id that is a symlink becomes an empty file */
	char path[256];
	snprintf(path, sizeof(path), "%s/var/lib/dbus/machine-id", root);
	CHECK(symlink("/etc/machine-id", path) == 0, "symlink");
	snprintf(path, sizeof(path), "%s/etc/machine-id", root);
	unlink(path);
	CHECK(symlink("/nonexistent/machine-id", path) == 0, "symlink");
	out = run_reset(&status);
	CHECK(status == 0, "second run exits 0 (status %d)", status);
	CHECK(is_link("var/lib/dbus/machine-id"), "dbus machine-id symlink kept");
	CHECK(!is_link("etc/machine-id") && size_of(root, "etc/machine-id") == 0,
	      "a symlinked /etc/machine-id becomes an empty file");
	free(out);

	snprintf(path, sizeof(path), "rm -rf %s %s %s.sh", root, outside, root);
	CHECK(system(path) == 0, "cleanup");
}

static void test_script(void)
{
	char *s = NULL;

	CHECK(identity_script(&s) == 0 && s, "compose");
	if (!s)
		return;
	CHECK(strstr(s, "mount -t ext4 -o ro") != NULL, "probes read-only");
	CHECK(strstr(s, "remount,rw") != NULL, "writes only the root found");
	CHECK(strstr(s, "empty etc 'machine-id'") != NULL, "empties machine-id");
	CHECK(strstr(s, "remove etc/ssh 'ssh_host_*'") != NULL, "removes host keys");
	CHECK(strstr(s, "umount /mnt/root || exit 5") != NULL, "unmounts, checked");
	CHECK(strstr(s, "exit 3") != NULL, "no root: status 3");
	free(s);
	CHECK(identity_script_reset(&s) == 0 && s && !strstr(s, "mount"), "the reset part mounts nothing");
	free(s);
}

static void test_report(void)
{
	struct identity_report rep;

	CHECK(identity_report_parse("root vda3\nemptied /etc/machine-id\nremoved /etc/ssh/ssh_host_rsa_key\n", &rep) ==
		  0,
	      "parse");
	CHECK_STR(rep.root, "vda3", "root");
	CHECK(rep.emptied == 1 && rep.removed == 1 && rep.skipped == 0, "counts");
	CHECK(identity_report_parse("root vdb\nroot vdc1\n", &rep) == 0, "two roots");
	CHECK_STR(rep.root, "vdb", "the first root line counts");
	CHECK(identity_report_parse("noise\nremoved\nremoved x\nrootvda\n", &rep) == 0, "noise");
	CHECK(rep.removed == 0 && !rep.root[0], "lines that are not the script's count for nothing");
	CHECK(identity_report_parse("root ../../etc\n", &rep) == -EPROTO, "a root that is no device name is refused");
	CHECK(identity_report_parse("root vda\x1b[2J\n", &rep) == -EPROTO, "control characters are refused");
	CHECK(identity_report_parse("root vdaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n", &rep) == -EPROTO, "an overlong name");
	CHECK(identity_report_parse("root vd\n", &rep) == -EPROTO, "a short name");
	CHECK(identity_report_parse("", &rep) == 0 && !rep.root[0], "empty output");
}

int main(void)
{
	test_script();
	test_report();
	test_reset_on_a_tree();
	T_DONE();
}
