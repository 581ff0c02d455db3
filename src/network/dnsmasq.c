/* SPDX-License-Identifier: MIT */
/*
 * DHCP and DNS of an hv network: one dnsmasq per network (Debian's
 * dnsmasq-base, the server libvirt uses for the same job).  Chosen over a
 * DHCP server of our own because it is small, hardened against hostile
 * clients (the guests are untrusted) and drops root after binding; it also
 * answers DNS for VM names.  Its files are runtime state, in
 * /run/hv/networks/NAME/ (readable by the unprivileged user dnsmasq
 * becomes): dnsmasq.pid, leases, hosts (fixed addresses, re-read on
 * SIGHUP) and dnsmasq.log.  For an internal network it runs inside the
 * network's namespace, so the host itself has no address on the bridge.
 */
#include "network/dnsmasq.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "network/addr.h"
#include "network/netlink.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/proc.h"
#include "util/strv.h"

int dhcp_dir(const char *name, bool create, char **out)
{
	int r = net_name_validate(name);

	*out = NULL;
	if (r < 0)
		return r;
	if (asprintf(out, NET_RUN_DIR "/%s", name) < 0) {
		*out = NULL;
		return -ENOMEM;
	}
	if (!create)
		return 0;
	if ((r = fs_mkdir_p(*out, 0755)) < 0)
		return r;
	chmod("/run/hv", 0755);
	chmod("/run/hv/networks", 0755);
	return 0;
}

static int read_pid(const char *name, pid_t *pid)
{
	_cleanup_free_ char *dir = NULL, *text = NULL;
	_cleanup_close_ int dfd = -1;
	int r = dhcp_dir(name, false, &dir);

	*pid = 0;
	if (r < 0)
		return r;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fs_read_all(dfd, "dnsmasq.pid", 64, &text, NULL) < 0)
		return -ENOENT;
	*pid = (pid_t)atoi(text);
	return *pid > 0 ? 0 : -ENOENT;
}

/* The pid file may be stale: only a dnsmasq whose command line names this
 * network's folder counts. */
bool dhcp_running(const char *name, pid_t *out)
{
	_cleanup_free_ char *dir = NULL;
	char path[64], *cmd = NULL;
	size_t len = 0;
	pid_t pid;
	bool ours = false;

	if (read_pid(name, &pid) < 0 || dhcp_dir(name, false, &dir) < 0) {
		err_clear();
		return false;
	}
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	if (fs_read_all(AT_FDCWD, path, 65536, &cmd, &len) == 0) {
		for (size_t i = 0; i < len; i++)
			if (!cmd[i])
				cmd[i] = ' ';
		ours = strstr(cmd, "dnsmasq") && strstr(cmd, dir);
	}
	free(cmd);
	err_clear();
	if (ours && out)
		*out = pid;
	return ours;
}

int dhcp_write_hosts(const struct netdef *d, const struct net_reservation *res, size_t nres)
{
	_cleanup_free_ char *dir = NULL;
	char mac[32], ip[16];
	_cleanup_close_ int dfd = -1;
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int r = dhcp_dir(d->name, true, &dir);

	if (r < 0)
		return r;
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return err_errno(-errno, "cannot open %s", dir);
	if (!(f = open_memstream(&text, &len)))
		return -ENOMEM;
	/* dhcp-host lines: MAC,IP,NAME */
	for (size_t i = 0; i < nres; i++) {
		mac_format(res[i].mac, mac, sizeof(mac));
		ip4_format(res[i].ip, ip, sizeof(ip));
		fprintf(f, "%s,%s,%s\n", mac, ip, res[i].vm);
	}
	fclose(f);
	r = fs_write_atomic(dfd, "hosts", text ? text : "", len, 0644);
	free(text);
	return r;
}

static int build_argv(const struct netdef *d, const char *dir, struct strv *a)
{
	char gw[16], lo[16], hi[16], dlo[16], dhi[16], mask[16], br[32];
	uint32_t rl, rh, dl, dh, m = d->prefix ? htonl(~0u << (32 - d->prefix)) : 0;
	int r = 0;

	net_ranges(d, &rl, &rh, &dl, &dh);
	ip4_format(net_gateway(d), gw, sizeof(gw));
	ip4_format(rl, lo, sizeof(lo));
	ip4_format(rh, hi, sizeof(hi));
	ip4_format(dl, dlo, sizeof(dlo));
	ip4_format(dh, dhi, sizeof(dhi));
	ip4_format(m, mask, sizeof(mask));
	if (d->mode == NET_INTERNAL)
		snprintf(br, sizeof(br), "hvn-%s", d->name);
	else
		net_bridge_name(d->name, br, sizeof(br));
	(void)lo;
	(void)hi;
#define A(...)                                                                                                         \
	do {                                                                                                           \
		if (r == 0)                                                                                            \
			r = strv_addf(a, __VA_ARGS__);                                                                 \
	} while (0)
	A("/usr/sbin/dnsmasq");
	A("--conf-file=/dev/null");
	A("--pid-file=%s/dnsmasq.pid", dir);
	A("--log-facility=%s/dnsmasq.log", dir);
	A("--dhcp-leasefile=%s/leases", dir);
	A("--dhcp-hostsfile=%s/hosts", dir);
	A("--bind-interfaces");
	A("--interface=%s", br);
	A("--except-interface=lo");
	A("--listen-address=%s", gw);
	A("--dhcp-range=%s,%s,%s,1h", dlo, dhi, mask);
	A("--dhcp-authoritative");
	A("--dhcp-no-override");
	A("--domain-needed");
	A("--bogus-priv");
	A("--local=/%s/", d->name);
	A("--domain=%s", d->name);
	A("--expand-hosts");
	if (d->mode == NET_NATNET) {
		A("--dhcp-option=option:router,%s", gw);
		A("--dhcp-option=option:dns-server,%s", gw);
	} else {
		/* no way out: no router; names of the network's VMs only */
		A("--dhcp-option=option:router");
		A("--dhcp-option=option:dns-server,%s", gw);
		A("--no-resolv");
		A("--no-poll");
	}
#undef A
	return r;
}

int dhcp_start(const struct netdef *d)
{
	_cleanup_strv_ struct strv argv = { 0 };
	_cleanup_free_ char *dir = NULL;
	char ns[256];
	int r, status;
	pid_t pid;

	if (dhcp_running(d->name, NULL))
		return 0;
	if ((r = dhcp_dir(d->name, true, &dir)) < 0 || (r = build_argv(d, dir, &argv)) < 0)
		return r;
	snprintf(ns, sizeof(ns), "/run/netns/hv-%s", d->name);
	pid = fork();
	if (pid < 0)
		return err_errno(-errno, "fork");
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		if (d->mode == NET_INTERNAL) {
			int fd = open(ns, O_RDONLY | O_CLOEXEC);
			if (fd < 0 || setns(fd, CLONE_NEWNET) < 0)
				_exit(126);
		}
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		proc_close_fds_from(3, NULL, 0); /* the daemon keeps none of ours */
		execv(argv.v[0], argv.v);
		_exit(127);
	}
	/* dnsmasq forks into the background once it is bound and ready */
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		_cleanup_free_ char *log = NULL;
		_cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		char *last = NULL;
		if (dfd >= 0 && fs_read_all(dfd, "dnsmasq.log", 1 << 20, &log, NULL) == 0) {
			size_t n = strlen(log);
			while (n && log[n - 1] == '\n')
				log[--n] = '\0';
			last = strrchr(log, '\n') ? strrchr(log, '\n') + 1 : log;
		}
		return err_set(-EIO, "dnsmasq for network %s failed (exit %d)%s%s", d->name,
			       WIFEXITED(status) ? WEXITSTATUS(status) : -1, last && *last ? ": " : "",
			       last ? last : "");
	}
	return 0;
}

int dhcp_stop(const char *name)
{
	_cleanup_free_ char *dir = NULL;
	pid_t pid;

	if (dhcp_running(name, &pid)) {
		kill(pid, SIGTERM);
		for (int i = 0; i < 100 && kill(pid, 0) == 0; i++)
			proc_sleep_ms(10);
		if (kill(pid, 0) == 0)
			kill(pid, SIGKILL);
	}
	if (dhcp_dir(name, false, &dir) == 0)
		fs_rm_rf_at(AT_FDCWD, dir);
	return 0;
}

int dhcp_reload(const char *name)
{
	pid_t pid;

	if (dhcp_running(name, &pid))
		kill(pid, SIGHUP);
	return 0;
}
