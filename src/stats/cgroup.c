/* SPDX-License-Identifier: MIT */
/* A container's figures from its cgroup, v1 (cpuacct, memory, blkio) or
 * v2 (cpu.stat, memory.current, io.stat); see the kernel's
 * Documentation/admin-guide/cgroup-v1/ and cgroup-v2.rst. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "oci/cgroups.h"
#include "oci/state.h"
#include "stats/stats-internal.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"

#define CG_TEXT_MAX (1 << 20)
/* v1 reports "no limit" as the largest page-aligned long */
#define CG_V1_NO_LIMIT (1ull << 62)

static struct stats_disk *io_disk(struct stats_entry *e)
{
	struct stats_disk *d = &e->disks[0];

	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "io");
	e->ndisks = 1;
	return d;
}

/* blkio.throttle.io_service_bytes / io_serviced: "MAJ:MIN Read N" lines
 * per device, then "Total N"; sum Read and Write over the devices. */
static int blkio_sum(int blkio, const char *name, uint64_t *rd, uint64_t *wr)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r;

	*rd = *wr = 0;
	if ((r = fs_read_all(blkio, name, CG_TEXT_MAX, &text, &len)) < 0)
		return err_errno(r, "cannot read %s", name);
	for (char *line = text, *next; line && *line; line = next) {
		char dev[32], op[16];
		unsigned long long v;
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (sscanf(line, "%31s %15s %llu", dev, op, &v) != 3)
			continue;
		if (!strcmp(op, "Read"))
			*rd += v;
		else if (!strcmp(op, "Write"))
			*wr += v;
	}
	return 0;
}

int stats_cgroup_v1(int cpuacct, int memory, int blkio, struct stats_entry *e)
{
	uint64_t limit = 0;
	int r;

	if (cpuacct >= 0 && (r = stats_read_u64_at(cpuacct, "cpuacct.usage", &e->cpu_ns)) < 0)
		return r;
	if (memory >= 0) {
		if ((r = stats_read_u64_at(memory, "memory.usage_in_bytes", &e->rss_bytes)) < 0 ||
		    (r = stats_read_u64_at(memory, "memory.limit_in_bytes", &limit)) < 0)
			return r;
		e->memory_bytes = limit >= CG_V1_NO_LIMIT ? 0 : limit;
	}
	if (blkio >= 0) {
		struct stats_disk *d = io_disk(e);
		if ((r = blkio_sum(blkio, "blkio.throttle.io_service_bytes", &d->rd_bytes, &d->wr_bytes)) < 0 ||
		    (r = blkio_sum(blkio, "blkio.throttle.io_serviced", &d->rd_ops, &d->wr_ops)) < 0)
			return r;
	}
	return 0;
}

/* "key value" lines (cpu.stat): the value of key. */
static int flat_keyed(const char *text, const char *key, uint64_t *v)
{
	size_t kl = strlen(key);

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, key, kl) && p[kl] == ' ') {
			*v = strtoull(p + kl + 1, NULL, 10);
			return 0;
		}
	return -ENOENT;
}

/* io.stat: "MAJ:MIN rbytes=N wbytes=N rios=N wios=N ..." per device. */
static void io_stat_sum(const char *text, struct stats_disk *d)
{
	static const char *const keys[] = { "rbytes=", "wbytes=", "rios=", "wios=" };
	uint64_t *dst[] = { &d->rd_bytes, &d->wr_bytes, &d->rd_ops, &d->wr_ops };

	for (const char *line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		size_t end = strcspn(line, "\n");
		for (size_t k = 0; k < ARRAY_SIZE(keys); k++) {
			const char *p = strstr(line, keys[k]);
			if (p && (size_t)(p - line) < end && (p == line || p[-1] == ' '))
				*dst[k] += strtoull(p + strlen(keys[k]), NULL, 10);
		}
	}
}

int stats_cgroup_v2(int dir, struct stats_entry *e)
{
	_cleanup_free_ char *cpu = NULL, *io = NULL, *max = NULL;
	uint64_t usec = 0;
	size_t len;
	int r;

	if ((r = fs_read_all(dir, "cpu.stat", CG_TEXT_MAX, &cpu, &len)) < 0)
		return err_errno(r, "cannot read cpu.stat");
	if (flat_keyed(cpu, "usage_usec", &usec) < 0)
		return err_set(-EPROTO, "cpu.stat: no usage_usec");
	e->cpu_ns = usec * 1000;
	/* memory and io are there when their controllers are enabled */
	if (stats_read_u64_at(dir, "memory.current", &e->rss_bytes) == 0 &&
	    fs_read_all(dir, "memory.max", 64, &max, &len) == 0)
		e->memory_bytes = strncmp(max, "max", 3) ? strtoull(max, NULL, 10) : 0;
	if (fs_read_all(dir, "io.stat", CG_TEXT_MAX, &io, &len) == 0)
		io_stat_sum(io, io_disk(e));
	err_clear();
	return 0;
}

static int open_controller(const struct cgroup *cg, const char *controller)
{
	char dir[PATH_MAX];

	if (cg_dir(cg, controller, dir, sizeof(dir)) < 0)
		return -1;
	return open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

int stats_container(const char *root, const char *id, struct stats_entry *e)
{
	struct ctr_state st;
	enum ctr_status s;
	struct cgroup cg;
	int r;

	memset(e, 0, sizeof(*e));
	e->kind = STATS_CONTAINER;
	snprintf(e->name, sizeof(e->name), "%s", id);
	if ((r = ctr_state_load(root, id, &st)) < 0)
		return r;
	s = ctr_status(root, &st);
	snprintf(e->state, sizeof(e->state), "%s", ctr_status_name(s));
	if (s == CTR_STOPPED || s == CTR_CREATING)
		return 0;
	if (!st.cgroup[0] || cg_open(&cg, st.cgroup, st.cgroup_parents) < 0) {
		snprintf(e->error, sizeof(e->error), "no cgroup: %s", st.cgroup[0] ? err_msg() : "none recorded");
		err_clear();
		return 0;
	}
	e->active = true;
	if (cg.version == CG_V2) {
		_cleanup_close_ int dir = open_controller(&cg, NULL);
		r = dir < 0 ? err_errno(-errno, "cgroup %s", cg.path) : stats_cgroup_v2(dir, e);
	} else {
		_cleanup_close_ int cpuacct = open_controller(&cg, "cpuacct");
		_cleanup_close_ int memory = open_controller(&cg, "memory");
		_cleanup_close_ int blkio = open_controller(&cg, "blkio");
		r = stats_cgroup_v1(cpuacct, memory, blkio, e);
	}
	if (r < 0) {
		snprintf(e->error, sizeof(e->error), "%s", err_msg_for(r));
		err_clear();
	}
	return 0;
}
