/* SPDX-License-Identifier: MIT */
/* Pre-checks of a migration: the hosts' facts and the pure compare functions (see checks.h). */
#include "migration/checks.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "image/tool.h"
#include "manager/snapshot.h"
#include "manager/store.h"
#include "network/addr.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/proc.h"

/* ---- gathering (I/O) ---- */

struct qemu_lines {
	struct mig_facts *f;
};

/* "QEMU emulator version 7.2.22 (Debian ...)" and the lines of -machine help:
 * "q35    Standard PC (Q35 + ICH9, 2009) (alias of pc-q35-7.2)". */
static void qemu_line(void *ctx, const char *line)
{
	struct qemu_lines *q = ctx;
	const char *p;

	if (sscanf(line, "QEMU emulator version %31[0-9.]", q->f->qemu_version) == 1)
		return;
	if (!strncmp(line, "microvm ", 8))
		q->f->microvm = true;
	if (!strncmp(line, "q35 ", 4) && (p = strstr(line, "(alias of ")))
		sscanf(p, "(alias of %31[^)])", q->f->q35);
}

static int gather_qemu(struct mig_facts *f)
{
	_cleanup_free_ char *qemu = NULL;
	_cleanup_free_ struct tool_output *out = calloc(1, sizeof(*out));
	struct qemu_lines q = { f };
	struct image_progress p = { .line = qemu_line, .ctx = &q };
	int r;

	if (!out)
		return err_set(-ENOMEM, "out of memory");
	if ((r = qemu_find_binary(&qemu)) < 0)
		return r;
	const char *v[] = { qemu, "-version", NULL }, *m[] = { qemu, "-machine", "help", NULL };
	if ((r = tool_run(v, &p, out)) < 0 || (r = tool_run(m, &p, out)) < 0)
		return r;
	if (!f->qemu_version[0])
		return err_set(-EIO, "%s -version did not say its version", qemu);
	return 0;
}

/* FNV-1a: the flags line is long; only equality matters. */
static uint64_t fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

static void gather_cpu(struct mig_facts *f)
{
	_cleanup_free_ char *text = NULL;

	if (fs_read_all(AT_FDCWD, "/proc/cpuinfo", 1 << 22, &text, NULL) < 0) {
		err_clear();
		return;
	}
	for (char *save = NULL, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *colon = strchr(l, ':');
		if (!colon)
			continue;
		if (!strncmp(l, "model name", 10) && !f->cpu_model[0])
			snprintf(f->cpu_model, sizeof(f->cpu_model), "%s", colon + 2 <= l + strlen(l) ? colon + 2 : "");
		if (!strncmp(l, "flags", 5) && !f->cpu_flags[0])
			snprintf(f->cpu_flags, sizeof(f->cpu_flags), "%016llx", (unsigned long long)fnv1a(colon + 1));
	}
}

static void gather_memory(struct mig_facts *f)
{
	_cleanup_free_ char *text = NULL;
	const char *p;
	unsigned long long kib;

	if (fs_read_all(AT_FDCWD, "/proc/meminfo", 1 << 16, &text, NULL) < 0) {
		err_clear();
		return;
	}
	if ((p = strstr(text, "MemAvailable:")) && sscanf(p, "MemAvailable: %llu kB", &kib) == 1)
		f->mem_available = (uint64_t)kib << 10;
}

static void gather_store(struct mig_facts *f)
{
	_cleanup_close_ int vms = store_vms_open();
	struct statvfs sv;

	f->store_writable = vms >= 0 && faccessat(vms, ".", W_OK, AT_EACCESS) == 0 && fstatvfs(vms, &sv) == 0 &&
			    !(sv.f_flag & ST_RDONLY);
	err_clear();
}

int mig_facts_gather(struct mig_facts *f)
{
	enum accel a;
	const char *why;
	int r;

	memset(f, 0, sizeof(*f));
	if ((r = proc_boot_id(f->boot_id)) < 0 || (r = gather_qemu(f)) < 0)
		return r;
	f->kvm = accel_resolve(ACCEL_AUTO, &a, &why) == 0 && a == ACCEL_KVM;
	err_clear();
	gather_cpu(f);
	gather_memory(f);
	gather_store(f);
	return 0;
}

struct json_object *mig_facts_to_json(const struct mig_facts *f)
{
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	json_object_object_add(o, "boot_id", json_object_new_string(f->boot_id));
	json_object_object_add(o, "qemu_version", json_object_new_string(f->qemu_version));
	json_object_object_add(o, "q35", json_object_new_string(f->q35));
	json_object_object_add(o, "microvm", json_object_new_boolean(f->microvm));
	json_object_object_add(o, "kvm", json_object_new_boolean(f->kvm));
	json_object_object_add(o, "cpu_model", json_object_new_string(f->cpu_model));
	json_object_object_add(o, "cpu_flags", json_object_new_string(f->cpu_flags));
	json_object_object_add(o, "mem_available", json_object_new_int64((int64_t)f->mem_available));
	json_object_object_add(o, "store_writable", json_object_new_boolean(f->store_writable));
	return o;
}

int mig_facts_from_json(struct json_object *o, struct mig_facts *f)
{
	static const struct json_field fields[] = {
		JSON_FIELD_BUF("boot_id", JSON_REQUIRED, struct mig_facts, boot_id),
		JSON_FIELD_BUF("qemu_version", JSON_REQUIRED, struct mig_facts, qemu_version),
		JSON_FIELD_BUF("q35", 0, struct mig_facts, q35),
		JSON_FIELD("microvm", JSON_BOOL, JSON_REQUIRED, struct mig_facts, microvm),
		JSON_FIELD("kvm", JSON_BOOL, JSON_REQUIRED, struct mig_facts, kvm),
		JSON_FIELD_BUF("cpu_model", 0, struct mig_facts, cpu_model),
		JSON_FIELD_BUF("cpu_flags", 0, struct mig_facts, cpu_flags),
		JSON_FIELD("mem_available", JSON_UINT64, JSON_REQUIRED, struct mig_facts, mem_available),
		JSON_FIELD("store_writable", JSON_BOOL, JSON_REQUIRED, struct mig_facts, store_writable),
		JSON_FIELD_END,
	};

	memset(f, 0, sizeof(*f));
	return json_dispatch(o, fields, f, "the destination's facts", 0);
}

/* ---- the checks (pure) ---- */

int migcheck_qemu_version(const char *v, unsigned *major, unsigned *minor)
{
	char tail;

	if (sscanf(v, "%u.%u%c", major, minor, &tail) < 2)
		return err_set(-EINVAL, "'%s' is not a QEMU version", v);
	return 0;
}

int migcheck_qemu(const struct mig_facts *src, const struct mig_facts *dst, enum machine m)
{
	unsigned smaj, smin, dmaj, dmin;
	int r;

	if ((r = migcheck_qemu_version(src->qemu_version, &smaj, &smin)) < 0 ||
	    (r = migcheck_qemu_version(dst->qemu_version, &dmaj, &dmin)) < 0)
		return r;
	if (smaj != dmaj || smin != dmin)
		return err_set(-EPROTO,
			       "QEMU %s at the destination, %s here: hv runs the unversioned machine types, so both "
			       "ends need the same QEMU %u.%u (install it there, or move the VM with --offline)",
			       dst->qemu_version, src->qemu_version, smaj, smin);
	if (m == MACHINE_MICROVM && !dst->microvm)
		return err_set(-EPROTO, "the destination's QEMU has no microvm machine type");
	if (m == MACHINE_Q35 && strcmp(src->q35, dst->q35))
		return err_set(-EPROTO, "q35 is %s at the destination and %s here: the machine types differ",
			       dst->q35[0] ? dst->q35 : "missing", src->q35[0] ? src->q35 : "unknown");
	return 0;
}

int migcheck_cpu(const struct mig_facts *src, const struct mig_facts *dst, enum accel running, enum accel requested)
{
	/* what hv start would pick there for this definition */
	enum accel there = requested != ACCEL_AUTO ? requested : dst->kvm ? ACCEL_KVM : ACCEL_TCG;

	if (running != ACCEL_KVM) {
		if (there == ACCEL_KVM)
			return err_set(-EPROTO, "the VM runs under TCG here but the destination would run it with KVM "
						"(-cpu host): move it with --offline");
		return 0;
	}
	if (there != ACCEL_KVM || !dst->kvm)
		return err_set(-EPROTO, "the VM runs with KVM (-cpu host) here and the destination has no KVM: move it "
					"with --offline");
	if (strcmp(src->cpu_model, dst->cpu_model))
		return err_set(-EPROTO,
			       "the VM runs with -cpu host and the CPUs differ (here '%s', there '%s'): only identical "
			       "hosts can take it live; move it with --offline",
			       src->cpu_model, dst->cpu_model);
	if (strcmp(src->cpu_flags, dst->cpu_flags))
		return err_set(
		    -EPROTO,
		    "the VM runs with -cpu host and the CPU flags differ between the hosts (same model '%s'): "
		    "move it with --offline",
		    src->cpu_model);
	return 0;
}

int migcheck_room(const struct mig_facts *dst, uint64_t memory_mib)
{
	if (!dst->store_writable)
		return err_set(-EROFS, "the destination store cannot take a VM (its vms/ folder is not writable)");
	if (dst->mem_available < (memory_mib << 20))
		return err_set(-ENOMEM, "the destination has %llu MiB available and the VM needs %llu MiB",
			       (unsigned long long)(dst->mem_available >> 20), (unsigned long long)memory_mib);
	return 0;
}

int migcheck_cache(const char *disk, const char *cache, enum mig_storage s)
{
	bool direct = !strcmp(cache, "none") || !strcmp(cache, "directsync");

	switch (s) {
	case MIG_STORAGE_SAME_HOST:
		return 0; /* one page cache: both QEMUs see the same data */
	case MIG_STORAGE_SHARED:
		/* the destination's page cache may hold stale blocks of the image */
		if (!direct)
			return err_set(-EPROTO,
				       "disk %s uses cache=%s on storage shared between two hosts, which can corrupt "
				       "it: use --copy-storage",
				       disk, cache);
		return 0;
	case MIG_STORAGE_COPIED:
		/* cache=unsafe ignores flushes: the copy may not be on disk at the switchover */
		if (!strcmp(cache, "unsafe"))
			return err_set(-EPROTO,
				       "disk %s uses cache=unsafe, which ignores flushes: a copy of it cannot "
				       "be trusted; move the VM with --offline",
				       disk);
		return 0;
	}
	return err_set(-EINVAL, "unknown storage kind");
}

int migcheck_network(const struct netdef *want, const struct netdef *have)
{
	char a[16], b[16];

	ip4_format(want->subnet, a, sizeof(a));
	if (!have)
		return err_set(-ENOENT,
			       "the destination has no hv network '%s': create it there first (hv net create %s "
			       "--mode %s --subnet %s/%d)",
			       want->name, want->name, net_mode_name(want->mode), a, want->prefix);
	ip4_format(have->subnet, b, sizeof(b));
	if (want->mode != have->mode || want->subnet != have->subnet || want->prefix != have->prefix)
		return err_set(-EPROTO,
			       "hv network '%s' differs at the destination (%s %s/%d there, %s %s/%d here): the guest "
			       "keeps its address, so both must be the same",
			       want->name, net_mode_name(have->mode), b, have->prefix, net_mode_name(want->mode), a,
			       want->prefix);
	return 0;
}

int migcheck_snapshots(const char *vm, const char *names, size_t n, bool live)
{
	if (!n || !live)
		return 0;
	return err_set(-ENOTSUP,
		       "VM '%s' has %s with VM state (%s), which cannot follow a live move: delete %s (hv snapshot "
		       "delete %s NAME), or stop the VM and move it with --offline",
		       vm, n == 1 ? "a snapshot" : "snapshots", names, n == 1 ? "it" : "them", vm);
}

/* ---- the source's pre-checks (I/O) ---- */

/* hv gives every disk cache=writeback (src/engine/qemu.c). */
#define HV_DISK_CACHE "writeback"

static int check_snapshots(const char *vm, bool live)
{
	_cleanup_free_ struct snap_info *s = calloc(SNAP_MAX, sizeof(*s));
	_cleanup_free_ char *names = NULL;
	char current[64];
	size_t n = 0, with_state = 0, len = 0;
	int r;

	if (!s)
		return err_set(-ENOMEM, "out of memory");
	if ((r = snap_list(vm, s, SNAP_MAX, &n, current)) < 0 && r != -ENOENT)
		return r;
	err_clear();
	if (!(names = calloc(1, n * 66 + 1)))
		return err_set(-ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		if (s[i].vmstate || s[i].state_bytes) {
			len += (size_t)sprintf(names + len, "%s%s", with_state ? ", " : "", s[i].name);
			with_state++;
		}
	return migcheck_snapshots(vm, names, with_state, live);
}

int mig_prechecks(const struct mig_precheck_in *in, const struct mig_facts *dst, bool *same_host)
{
	struct mig_facts here;
	enum mig_storage where;
	int r;

	if ((r = mig_facts_gather(&here)) < 0)
		return err_prefix(r, "this host's facts");
	*same_host = !strcmp(here.boot_id, dst->boot_id);
	where = *same_host ? MIG_STORAGE_SAME_HOST : in->copy_storage ? MIG_STORAGE_COPIED : MIG_STORAGE_SHARED;
	if ((r = migcheck_room(dst, in->live ? in->d->memory_mib : 0)) < 0 ||
	    (r = check_snapshots(in->name, in->live)) < 0)
		return r;
	if (!in->live)
		return 0;
	if ((r = migcheck_qemu(&here, dst, in->d->machine)) < 0 ||
	    (r = migcheck_cpu(&here, dst, !strcmp(in->accel, "kvm") ? ACCEL_KVM : ACCEL_TCG, in->d->accel)) < 0)
		return r;
	for (unsigned i = 0; i < in->d->ndisks; i++)
		if ((r = migcheck_cache(in->d->disks[i].path, HV_DISK_CACHE, where)) < 0)
			return r;
	return 0;
}

/* ---- ports ---- */

/* The inode of the socket of proto on port in /proc/net/{tcp,udp} that
 * listens (tcp) or is bound (udp); 0: none. */
static unsigned long socket_inode(const char *proto, uint16_t port)
{
	_cleanup_free_ char *text = NULL;
	bool tcp = !strcmp(proto, "tcp");
	unsigned long found = 0;

	if (fs_read_all(AT_FDCWD, tcp ? "/proc/net/tcp" : "/proc/net/udp", 1 << 24, &text, NULL) < 0) {
		err_clear();
		return 0;
	}
	for (char *save = NULL, *l = strtok_r(text, "\n", &save); l && !found; l = strtok_r(NULL, "\n", &save)) {
		unsigned lport, st;
		unsigned long inode;
		if (sscanf(l, " %*u: %*x:%x %*x:%*x %x %*x:%*x %*x:%*x %*x %*u %*u %lu", &lport, &st, &inode) == 3 &&
		    lport == port && (!tcp || st == 0x0A))
			found = inode;
	}
	return found;
}

int mig_port_held_by(const char *proto, uint16_t port, pid_t pid)
{
	unsigned long inode = socket_inode(proto, port);
	_cleanup_free_ char *dir = NULL;
	char want[64];
	DIR *d;
	struct dirent *e;
	int held = 0;

	if (!inode || pid <= 0 || asprintf(&dir, "/proc/%d/fd", (int)pid) < 0)
		return 0;
	snprintf(want, sizeof(want), "socket:[%lu]", inode);
	if (!(d = opendir(dir)))
		return 0;
	while (!held && (e = readdir(d))) {
		char link[64];
		ssize_t n = readlinkat(dirfd(d), e->d_name, link, sizeof(link) - 1);
		if (n > 0) {
			link[n] = '\0';
			held = !strcmp(link, want);
		}
	}
	closedir(d);
	return held;
}
