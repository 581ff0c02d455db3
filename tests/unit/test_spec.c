/* SPDX-License-Identifier: MIT */
/* config.json, net.json and reservations.json through util/json: a JSON
 * null where a string is needed (once passed on to strcmp/strlen) is an
 * error that names the field. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "network/netdef.h"
#include "oci/spec.h"
#include "t.h"
#include "util/err.h"
#include "util/fs.h"

static char dir[64];

static void put(const char *name, const char *text)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		abort();
	close(fd);
}

#define BASE                                                                                                           \
	"\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"}, \"process\": {\"user\": {\"uid\": 0, \"gid\": "  \
	"0}, "                                                                                                         \
	"\"args\": [\"sh\"]"

/* oci_spec_load of "{BASE, extra}" (extra completes the process object
 * and adds fields), expecting want in the message (NULL: success). */
static void spec(const char *extra, const char *want)
{
	char text[2048];
	struct oci_spec *s = NULL;
	int r;

	snprintf(text, sizeof(text), "{" BASE "%s}", extra);
	put("config.json", text);
	err_clear();
	r = oci_spec_load(dir, &s);
	if (!want)
		CHECK(r == 0 && s, "%s loads: %s", extra, err_msg());
	else
		CHECK(r == -EINVAL && strstr(err_msg(), want), "%s -> %d '%s', want '%s'", extra, r, err_msg(), want);
	oci_spec_free(s);
}

int main(void)
{
	char path[128];
	struct netdef d;
	struct net_reservation res[4];
	size_t n;
	int r;

	snprintf(dir, sizeof(dir), "/tmp/hv-test-spec.XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/rootfs", dir);
	mkdir(path, 0755);

	spec("}", NULL);
	spec("}, \"mounts\": [{\"destination\": null}]", "config.json: mounts[0].destination is missing");
	spec("}, \"mounts\": [{\"destination\": \"/a\", \"options\": [\"ro\", null]}]",
	     "config.json: mounts[0].options[1]: expected a string, got null");
	spec("}, \"linux\": {\"sysctl\": {\"net.ipv4.ip_forward\": null}}",
	     "config.json: linux.sysctl.net.ipv4.ip_forward: expected a string, got null");
	spec(", \"env\": [\"A=1\", null]}", "config.json: process.env[1]: expected a string, got null");
	spec(", \"cwd\": 5}", "config.json: process.cwd: expected a string, got an integer");
	spec(", \"rlimits\": [{\"type\": null, \"soft\": 1, \"hard\": 1}]}",
	     "config.json: process.rlimits[0].type is missing");
	spec("}, \"hooks\": {\"prestart\": [{\"path\": null}]}", "config.json: hooks.prestart[0].path is missing");
	spec("}, \"hooks\": {\"prestart\": [{\"path\": \"/bin/true\", \"args\": [null]}]}",
	     "config.json: hooks.prestart[0].args[0]: expected a string, got null");
	spec("}, \"linux\": {\"namespaces\": [{\"type\": null}]}", "config.json: linux.namespaces[0].type is missing");
	spec("}, \"linux\": {\"devices\": [{\"path\": \"/dev/x\", \"type\": null}]}",
	     "config.json: linux.devices[0].type is missing");
	spec("}, \"linux\": {\"rootfsPropagation\": 3}",
	     "config.json: linux.rootfsPropagation: expected a string, got an integer");
	spec("}, \"hostname\": null, \"linux\": {\"cgroupsPath\": null, \"seccomp\": null}", NULL);
	/* without a mount namespace: the host's mounts, so nothing may need mounts of its own */
	spec("}, \"mounts\": [{\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\"}]",
	     "config.json: mounts needs a mount namespace");
	spec("}, \"mounts\": [{\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\"}], "
	     "\"linux\": {\"namespaces\": [{\"type\": \"mount\"}]}",
	     NULL);
	spec("}, \"linux\": {\"maskedPaths\": [\"/proc/kcore\"]}", "unable to restrict sys entries");
	spec("}, \"linux\": {\"readonlyPaths\": [\"/proc/sys\"]}", "unable to restrict sys entries");
	spec("}, \"linux\": {\"devices\": [{\"path\": \"/dev/x\", \"type\": \"c\", \"major\": 1, \"minor\": 3}]}",
	     "config.json: linux.devices needs a mount namespace");
	spec("}, \"root\": {\"path\": \"rootfs\", \"readonly\": true}", "config.json: root.readonly needs a mount");
	/* security labels are strings (applying or refusing them: lsm.c, tests/oci/parity.sh) */
	spec(", \"apparmorProfile\": 5}", "config.json: process.apparmorProfile: expected a string, got an integer");
	spec(", \"selinuxLabel\": []}", "config.json: process.selinuxLabel: expected a string, got an array");
	spec("}, \"linux\": {\"mountLabel\": true}", "config.json: linux.mountLabel: expected a string, got a");
	spec(", \"apparmorProfile\": null, \"selinuxLabel\": \"\"}, \"linux\": {\"mountLabel\": null}", NULL);

	/* the network store */
	snprintf(path, sizeof(path), "%s/hv", dir);
	setenv("HV_HOME", path, 1);
	snprintf(path, sizeof(path), "%s/hv", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/hv/networks", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/hv/networks/n1", dir);
	mkdir(path, 0700);
	put("hv/networks/n1/net.json", "{\"mode\": null, \"subnet\": \"10.9.0.0/24\"}");
	r = net_load("n1", &d);
	CHECK(r == -EINVAL && strstr(err_msg(), "network n1: net.json.mode is missing"), "a null mode: %d %s", r,
	      err_msg());
	put("hv/networks/n1/net.json", "{\"mode\": \"natnet\", \"subnet\": \"10.9.0.0/24\", \"forwards\": [null]}");
	r = net_load("n1", &d);
	CHECK(r == -EINVAL && strstr(err_msg(), "net.json.forwards[0]: expected a string, got null"),
	      "a null forward: %d %s", r, err_msg());
	put("hv/networks/n1/net.json",
	    "{\"mode\": \"natnet\", \"subnet\": \"10.9.0.0/24\", \"forwards\": [\"tcp:8080:vm1:80\"]}");
	r = net_load("n1", &d);
	CHECK(r == 0 && d.mode == NET_NATNET && d.prefix == 24 && d.nfwd == 1 && d.fwd[0].host_port == 8080,
	      "a good net.json loads: %s", err_msg());
	put("hv/networks/n1/reservations.json", "{\"vm1\": {\"mac\": null, \"ip\": \"10.9.0.2\"}}");
	r = net_reservations("n1", res, 4, &n);
	char w[512] = "";
	err_warning_take(w, sizeof(w));
	/* reservations are state: rebuilt (from dnsmasq's copy, none here) and said */
	CHECK(r == 0 && n == 0 && strstr(w, "reservations.json: vm1.mac is missing"), "a null mac: %d %s", r, w);
	put("hv/networks/n1/reservations.json", "{\"vm1\": {\"mac\": \"52:54:00:00:00:01\", \"ip\": \"10.9.0.2\"}}");
	r = net_reservations("n1", res, 4, &n);
	CHECK(r == 0 && n == 1 && !strcmp(res[0].vm, "vm1"), "good reservations load: %s", err_msg());

	fs_rm_rf_at(AT_FDCWD, dir);
	T_DONE();
}
