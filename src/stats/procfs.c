/* SPDX-License-Identifier: MIT */
/* What /proc and /sys tell about a QEMU: CPU time per thread, RSS, TAPs. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stats/stats-internal.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"

#define PROC_TEXT_MAX (1 << 20)

int stats_parse_proc_stat(const char *text, uint64_t *ticks)
{
	/* proc(5): "pid (comm) state ppid ..."; comm may hold spaces and
	 * parentheses, so fields are counted after the last ')'.  utime and
	 * stime are fields 14 and 15, the 12th and 13th after comm. */
	const char *p = strrchr(text, ')');
	uint64_t v[2];
	unsigned field = 2;

	if (!p)
		return err_set(-EPROTO, "stat: no command name");
	p++;
	while (field < 15) {
		char *end;
		while (*p == ' ')
			p++;
		if (!*p)
			return err_set(-EPROTO, "stat: only %u fields", field);
		field++;
		if (field == 14 || field == 15) {
			errno = 0;
			unsigned long long x = strtoull(p, &end, 10);
			if (end == p || errno || (*end != ' ' && *end != '\n' && *end))
				return err_set(-EPROTO, "stat: field %u is not a number", field);
			v[field - 14] = x;
			p = end;
		} else {
			p += strcspn(p, " ");
		}
	}
	*ticks = v[0] + v[1];
	return 0;
}

int stats_proc_open(pid_t pid, int *procfd)
{
	_cleanup_free_ char *path = NULL;

	*procfd = -1;
	if (asprintf(&path, "/proc/%d", (int)pid) < 0) {
		path = NULL;
		return err_set(-ENOMEM, "out of memory");
	}
	if ((*procfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return err_errno(-errno, "cannot open %s", path);
	return 0;
}

int stats_proc_cpu_ns(int procfd, pid_t tid, uint64_t *ns)
{
	_cleanup_free_ char *path = NULL, *text = NULL;
	long hz = sysconf(_SC_CLK_TCK);
	uint64_t ticks;
	size_t len;
	int r;

	if (tid > 0)
		r = asprintf(&path, "task/%d/stat", (int)tid);
	else
		r = asprintf(&path, "stat");
	if (r < 0) {
		path = NULL;
		return err_set(-ENOMEM, "out of memory");
	}
	if ((r = fs_read_all(procfd, path, PROC_TEXT_MAX, &text, &len)) < 0)
		return err_errno(r, "cannot read %s", path);
	if ((r = stats_parse_proc_stat(text, &ticks)) < 0)
		return err_prefix(r, "%s", path);
	*ns = ticks * (1000000000ull / (uint64_t)(hz > 0 ? hz : 100));
	return 0;
}

int stats_proc_rss(int procfd, uint64_t *bytes)
{
	_cleanup_free_ char *text = NULL;
	unsigned long long size, resident;
	size_t len;
	int r;

	if ((r = fs_read_all(procfd, "statm", PROC_TEXT_MAX, &text, &len)) < 0)
		return err_errno(r, "cannot read statm");
	if (sscanf(text, "%llu %llu", &size, &resident) != 2)
		return err_set(-EPROTO, "statm: not two numbers");
	*bytes = (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE);
	return 0;
}

/* One "-netdev" value: "user,id=netI,..." or "tap,id=netI,fd=N". */
static int netdev_parse(const char *v, int *fds, size_t max, size_t *n)
{
	const char *id = strstr(v, ",id=net"), *fd;
	char *end;
	unsigned long i;

	if (!id)
		return 0; /* not one of hv's NICs */
	errno = 0;
	i = strtoul(id + 7, &end, 10);
	if (errno || end == id + 7 || (*end != ',' && *end) || i >= max)
		return 0;
	if (!strncmp(v, "tap,", 4) && (fd = strstr(v, ",fd=")) != NULL)
		fds[i] = atoi(fd + 4);
	else
		fds[i] = -1;
	if (i + 1 > *n)
		*n = i + 1;
	return 0;
}

int stats_parse_netdevs(const char *cmdline, size_t len, int *fds, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < max; i++)
		fds[i] = -1;
	for (size_t off = 0; off < len;) {
		const char *a = cmdline + off;
		size_t alen = strnlen(a, len - off);
		off += alen + 1;
		if (strcmp(a, "-netdev") || off >= len)
			continue;
		netdev_parse(cmdline + off, fds, max, &n);
	}
	return (int)n;
}

int stats_parse_fdinfo_iff(const char *text, char *out, size_t n)
{
	const char *p = strstr(text, "\niff:");
	size_t l;

	if (!p && !strncmp(text, "iff:", 4))
		p = text - 1;
	if (!p)
		return -ENOENT;
	p += 5;
	p += strspn(p, " \t");
	l = strcspn(p, " \t\n");
	if (l == 0 || l >= n)
		return err_set(-EPROTO, "fdinfo: bad interface name");
	memcpy(out, p, l);
	out[l] = '\0';
	return 0;
}

void stats_parse_sizes(const char *cmdline, size_t len, unsigned *vcpus, uint64_t *memory)
{
	for (size_t off = 0; off < len;) {
		const char *a = cmdline + off, *v;
		char *end;
		unsigned long long x;
		off += strnlen(a, len - off) + 1;
		if (off >= len || (strcmp(a, "-smp") && strcmp(a, "-m")))
			continue;
		v = cmdline + off;
		errno = 0;
		x = strtoull(v, &end, 10);
		if (errno || end == v || x == 0)
			continue;
		if (!strcmp(a, "-smp") && (*end == '\0' || *end == ',') && x <= 65535)
			*vcpus = (unsigned)x;
		else if (!strcmp(a, "-m") && !strcmp(end, "M") && x < (1ull << 40))
			*memory = (uint64_t)x << 20;
	}
}

int stats_qemu_args(int procfd, struct stats_entry *e)
{
	_cleanup_free_ char *cmdline = NULL;
	struct stats_nic *nics = e->nics;
	const size_t max = STATS_MAX_NICS;
	int fds[STATS_MAX_NICS];
	size_t len;
	int r, count;

	e->nnics = 0;
	if ((r = fs_read_all(procfd, "cmdline", PROC_TEXT_MAX, &cmdline, &len)) < 0)
		return err_errno(r, "cannot read cmdline");
	stats_parse_sizes(cmdline, len, &e->vcpus, &e->memory_bytes);
	count = stats_parse_netdevs(cmdline, len, fds, max);
	for (int i = 0; i < count; i++) {
		_cleanup_free_ char *info = NULL, *ipath = NULL;
		size_t ilen;
		memset(&nics[i], 0, sizeof(nics[i]));
		snprintf(nics[i].name, sizeof(nics[i].name), "net%d", i);
		if (fds[i] < 0)
			continue;
		if (asprintf(&ipath, "fdinfo/%d", fds[i]) < 0) {
			ipath = NULL;
			return err_set(-ENOMEM, "out of memory");
		}
		if (fs_read_all(procfd, ipath, PROC_TEXT_MAX, &info, &ilen) == 0)
			stats_parse_fdinfo_iff(info, nics[i].tap, sizeof(nics[i].tap));
	}
	e->nnics = (unsigned)count;
	err_clear();
	return 0;
}

int stats_read_u64_at(int dirfd, const char *name, uint64_t *v)
{
	_cleanup_free_ char *text = NULL;
	unsigned long long x;
	char *end;
	size_t len;
	int r;

	if ((r = fs_read_all(dirfd, name, 4096, &text, &len)) < 0)
		return err_errno(r, "cannot read %s", name);
	errno = 0;
	x = strtoull(text, &end, 10);
	if (errno || end == text || (*end && *end != '\n'))
		return err_set(-EPROTO, "%s: not a number", name);
	*v = x;
	return 0;
}

int stats_tap_read(int classnet, struct stats_nic *nic)
{
	static const char *const names[] = { "tx_bytes", "rx_bytes", "tx_packets", "rx_packets" };
	uint64_t v[4];
	int r;

	nic->counted = false;
	if (!nic->tap[0] || strchr(nic->tap, '/') || nic->tap[0] == '.')
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		_cleanup_free_ char *p = NULL;
		if (asprintf(&p, "%s/statistics/%s", nic->tap, names[i]) < 0) {
			p = NULL;
			return err_set(-ENOMEM, "out of memory");
		}
		if ((r = stats_read_u64_at(classnet, p, &v[i])) < 0)
			return r;
	}
	/* the TAP transmits toward QEMU what the guest receives */
	nic->rx_bytes = v[0];
	nic->tx_bytes = v[1];
	nic->rx_packets = v[2];
	nic->tx_packets = v[3];
	nic->counted = true;
	return 0;
}
