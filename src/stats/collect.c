/* SPDX-License-Identifier: MIT */
/* One sample of every VM and container (stats_collect), read concurrently,
 * and rates from two samples (stats_rates). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine/qmp-ops.h"
#include "engine/qmp-stats.h"
#include "manager/status.h"
#include "manager/store.h"
#include "manager/vmdef.h"
#include "oci/state.h"
#include "stats/stats-internal.h"
#include "util/cleanup.h"
#include "util/err.h"

#define DEFAULT_TIMEOUT_MS 500
#define MAX_WORKERS	   16
#define MAX_VCPUS	   256

/* Note what could not be read, keep going: a sample is best effort. */
static void note(struct stats_entry *e, int r, const char *what)
{
	if (!e->error[0])
		snprintf(e->error, sizeof(e->error), "%s: %s", what, err_msg_for(r));
	err_clear();
}

/* The vCPU threads' CPU time; a thread that runs several vCPUs (TCG
 * without MTTCG) counts once. */
static void vm_vcpu_time(pid_t pid, const struct qmp_vcpu *v, size_t n, struct stats_entry *e)
{
	for (size_t i = 0; i < n; i++) {
		bool seen = false;
		uint64_t ns;
		for (size_t j = 0; j < i; j++)
			seen |= v[j].thread == v[i].thread;
		if (seen)
			continue;
		if (stats_proc_cpu_ns(pid, v[i].thread, &ns) == 0)
			e->vcpu_ns += ns;
		else
			err_clear(); /* a vCPU thread may be gone (unplug): not an error */
	}
}

static void vm_qmp_figures(int dirfd, pid_t pid, int timeout_ms, struct stats_entry *e)
{
	struct qmp_vcpu vcpus[MAX_VCPUS];
	struct qmp_blockstats b[STATS_MAX_DISKS];
	struct qmp *q = NULL;
	size_t n;
	int r;

	if ((r = qmp_open_at(dirfd, "qmp.sock", timeout_ms, &q)) < 0)
		return note(e, r, "QMP");
	if ((r = qmp_query_cpus_fast(q, timeout_ms, vcpus, MAX_VCPUS, &n)) < 0)
		note(e, r, "query-cpus-fast");
	else {
		e->vcpus = (unsigned)n;
		vm_vcpu_time(pid, vcpus, n < MAX_VCPUS ? n : MAX_VCPUS, e);
	}
	if ((r = qmp_query_blockstats(q, timeout_ms, b, STATS_MAX_DISKS, &n)) < 0)
		note(e, r, "query-blockstats");
	else {
		for (size_t i = 0; i < n; i++) {
			struct stats_disk *d = &e->disks[i];
			_Static_assert(sizeof(d->name) == sizeof(b[i].device), "same size");
			memcpy(d->name, b[i].device, sizeof(d->name));
			d->rd_bytes = b[i].rd_bytes;
			d->wr_bytes = b[i].wr_bytes;
			d->rd_ops = b[i].rd_ops;
			d->wr_ops = b[i].wr_ops;
		}
		e->ndisks = (unsigned)n;
	}
	qmp_close(q);
}

static void vm_nic_figures(pid_t pid, struct stats_entry *e)
{
	_cleanup_close_ int classnet = -1;
	int r;

	if ((r = stats_qemu_nics(pid, e->nics, STATS_MAX_NICS, &e->nnics)) < 0)
		return note(e, r, "NICs");
	for (unsigned i = 0; i < e->nnics; i++) {
		if (!e->nics[i].tap[0])
			continue;
		if (classnet < 0 && (classnet = open("/sys/class/net", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
			return note(e, -errno, "/sys/class/net");
		if ((r = stats_tap_read(classnet, &e->nics[i])) < 0)
			note(e, r, e->nics[i].tap);
	}
}

int stats_vm(const char *name, int timeout_ms, struct stats_entry *e)
{
	struct vm_handle h;
	struct vm_status st;
	struct vmdef d;
	pid_t pid;
	int r;

	memset(e, 0, sizeof(*e));
	e->kind = STATS_VM;
	snprintf(e->name, sizeof(e->name), "%s", name);
	if ((r = vm_open(name, &h)) < 0)
		return r;
	if ((r = status_derive(h.dirfd, h.dir, &st)) < 0) {
		vm_close(&h);
		return err_prefix(r, "VM %s", name);
	}
	snprintf(e->state, sizeof(e->state), "%s", vm_state_name(st.state));
	if (!vm_state_active(st.state)) {
		vm_close(&h);
		return 0;
	}
	e->active = true;
	vmdef_init(&d);
	if ((r = vmdef_load(h.dirfd, &d)) == 0) {
		e->vcpus = d.cpus;
		e->memory_bytes = d.memory_mib << 20;
	} else
		note(e, r, "vm.json");
	vmdef_free(&d);
	pid = st.qemu.pid;
	if ((r = stats_proc_cpu_ns(pid, 0, &e->cpu_ns)) < 0 || (r = stats_proc_rss(pid, &e->rss_bytes)) < 0)
		note(e, r, "QEMU process");
	vm_qmp_figures(h.dirfd, pid, timeout_ms, e);
	vm_nic_figures(pid, e);
	vm_close(&h);
	return 0;
}

/* The work of one sample: entries [0, nvm) are VMs read by the workers. */
struct job {
	struct stats_entry *e;
	size_t nvm;
	atomic_size_t next;
	int timeout_ms;
};

static void *worker(void *arg)
{
	struct job *j = arg;
	size_t i;

	while ((i = atomic_fetch_add(&j->next, 1)) < j->nvm) {
		char name[sizeof(j->e[i].name)];
		int r;
		memcpy(name, j->e[i].name, sizeof(name));
		if ((r = stats_vm(name, j->timeout_ms, &j->e[i])) < 0) {
			snprintf(j->e[i].state, sizeof(j->e[i].state), "unknown");
			note(&j->e[i], r, "state");
		}
	}
	return NULL;
}

static void read_vms(struct job *j)
{
	pthread_t t[MAX_WORKERS];
	size_t nt = j->nvm < MAX_WORKERS ? j->nvm : MAX_WORKERS, started = 0;

	for (; started + 1 < nt; started++)
		if (pthread_create(&t[started], NULL, worker, j) != 0)
			break;
	worker(j); /* the calling thread works too (and alone if none started) */
	for (size_t i = 0; i < started; i++)
		pthread_join(t[i], NULL);
}

static int entry_add(struct stats_sample *s, size_t *cap, enum stats_kind kind, const char *name)
{
	if (s->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		struct stats_entry *ne = realloc(s->e, ncap * sizeof(*ne));
		if (!ne)
			return err_set(-ENOMEM, "out of memory");
		s->e = ne;
		*cap = ncap;
	}
	memset(&s->e[s->n], 0, sizeof(s->e[0]));
	s->e[s->n].kind = kind;
	snprintf(s->e[s->n].name, sizeof(s->e[0].name), "%s", name);
	s->n++;
	return 0;
}

static bool vm_exists(const char *name)
{
	struct vm_handle h;
	bool ok = vm_name_validate(name) == 0 && vm_open(name, &h) == 0;

	if (ok)
		vm_close(&h);
	err_clear();
	return ok;
}

static bool ctr_exists(const char *root, const char *id)
{
	struct ctr_state st;
	bool ok = ctr_id_validate(id) == 0 && ctr_state_load(root, id, &st) == 0;

	err_clear();
	return ok;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Which entries a sample has: the named ones (VMs first), or all. */
static int plan(const struct stats_options *o, const char *root, struct stats_sample *s)
{
	size_t cap = 0;
	char **names = NULL;
	size_t n = 0;
	int r = 0;

	if (o->names) {
		for (size_t i = 0; i < o->nnames; i++) {
			bool vm = o->vms && vm_exists(o->names[i]);
			if (!vm && !(o->containers && ctr_exists(root, o->names[i])))
				return err_set(-ENOENT, "no VM or container named '%s'", o->names[i]);
		}
		for (int pass = 0; pass < 2; pass++)
			for (size_t i = 0; r == 0 && i < o->nnames; i++)
				if ((pass == 0) == (o->vms && vm_exists(o->names[i])))
					r = entry_add(s, &cap, pass ? STATS_CONTAINER : STATS_VM, o->names[i]);
		return r;
	}
	if (o->vms) {
		if ((r = store_list(&names, &n)) < 0)
			return r;
		for (size_t i = 0; r == 0 && i < n; i++)
			r = entry_add(s, &cap, STATS_VM, names[i]);
		store_list_free(names, n);
		if (r < 0)
			return r;
	}
	if (o->containers) {
		if ((r = ctr_list(root, &names, &n)) < 0)
			return r;
		qsort(names, n, sizeof(*names), cmp_str);
		for (size_t i = 0; r == 0 && i < n; i++)
			r = entry_add(s, &cap, STATS_CONTAINER, names[i]);
		for (size_t i = 0; i < n; i++)
			free(names[i]);
		free(names);
	}
	return r;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Containers are looked for only where a runtime root exists: a sample
 * creates nothing (and a user who cannot write /run still gets VMs). */
static int containers_root(const struct stats_options *o, char *root, size_t n, bool *with)
{
	struct stat st;

	*with = false;
	if (!o->containers)
		return 0;
	if (o->ctr_root && o->ctr_root[0] != '/')
		return err_set(-EINVAL, "--root must be an absolute path (got '%s')", o->ctr_root);
	snprintf(root, n, "%s", o->ctr_root ? o->ctr_root : "/run/hv-runc");
	if (stat(root, &st) < 0 || !S_ISDIR(st.st_mode)) {
		int e = stat(root, &st) < 0 ? -errno : -ENOTDIR;
		return o->ctr_root ? err_errno(e, "container root %s", root) : 0;
	}
	*with = true;
	return 0;
}

int stats_collect(const struct stats_options *o, struct stats_sample *out)
{
	struct stats_options o2;
	bool with_ctr;
	char root[4096] = "";
	struct job j;
	uint64_t t0;
	size_t keep = 0;
	int r;

	memset(out, 0, sizeof(*out));
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	out->host_cpus = cpus > 0 ? (unsigned)cpus : 1;
	if ((r = containers_root(o, root, sizeof(root), &with_ctr)) < 0)
		return r;
	o2 = *o;
	o2.containers = with_ctr;
	if ((r = plan(&o2, root, out)) < 0) {
		stats_sample_free(out);
		return r;
	}
	j.e = out->e;
	j.timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : DEFAULT_TIMEOUT_MS;
	atomic_init(&j.next, 0);
	for (j.nvm = 0; j.nvm < out->n && out->e[j.nvm].kind == STATS_VM;)
		j.nvm++;
	t0 = mono_ns();
	read_vms(&j);
	for (size_t i = j.nvm; i < out->n; i++) {
		char id[sizeof(out->e[i].name)];
		memcpy(id, out->e[i].name, sizeof(id));
		if ((r = stats_container(root, id, &out->e[i])) < 0) {
			snprintf(out->e[i].state, sizeof(out->e[i].state), "unknown");
			note(&out->e[i], r, "state");
		}
	}
	out->mono_ns = t0 + (mono_ns() - t0) / 2;
	/* without names: what is running (or everything, with all) */
	for (size_t i = 0; i < out->n; i++)
		if (o->names || o->all || out->e[i].active)
			out->e[keep++] = out->e[i];
	out->n = keep;
	err_clear();
	return 0;
}

void stats_sample_free(struct stats_sample *s)
{
	free(s->e);
	s->e = NULL;
	s->n = 0;
}

static double rate(uint64_t now, uint64_t before, double secs, bool *ok)
{
	if (now < before) {
		*ok = false;
		return 0;
	}
	return (double)(now - before) / secs;
}

static double clamp_pct(double v)
{
	return v < 0 ? 0 : v > 100 ? 100 : v;
}

static void entry_rates(const struct stats_entry *p, struct stats_entry *c, double secs, unsigned host_cpus)
{
	bool ok = p->active && c->active;

	c->cpu_pct = rate(c->cpu_ns, p->cpu_ns, secs, &ok) / 1e7;
	c->host_pct = clamp_pct(c->cpu_pct / host_cpus);
	c->guest_pct = c->vcpus ? clamp_pct(rate(c->vcpu_ns, p->vcpu_ns, secs, &ok) / 1e7 / c->vcpus) : 0;
	for (unsigned i = 0; i < c->ndisks; i++) {
		struct stats_disk *d = &c->disks[i];
		for (unsigned k = 0; k < p->ndisks; k++) {
			const struct stats_disk *o = &p->disks[k];
			if (strcmp(o->name, d->name))
				continue;
			d->rd_bps = rate(d->rd_bytes, o->rd_bytes, secs, &ok);
			d->wr_bps = rate(d->wr_bytes, o->wr_bytes, secs, &ok);
			d->rd_iops = rate(d->rd_ops, o->rd_ops, secs, &ok);
			d->wr_iops = rate(d->wr_ops, o->wr_ops, secs, &ok);
		}
	}
	for (unsigned i = 0; i < c->nnics; i++) {
		struct stats_nic *n = &c->nics[i];
		for (unsigned k = 0; k < p->nnics; k++) {
			const struct stats_nic *o = &p->nics[k];
			if (strcmp(o->name, n->name) || !n->counted || !o->counted)
				continue;
			n->rx_bps = rate(n->rx_bytes, o->rx_bytes, secs, &ok);
			n->tx_bps = rate(n->tx_bytes, o->tx_bytes, secs, &ok);
			n->rx_pps = rate(n->rx_packets, o->rx_packets, secs, &ok);
			n->tx_pps = rate(n->tx_packets, o->tx_packets, secs, &ok);
		}
	}
	c->has_rates = ok;
}

void stats_rates(const struct stats_sample *prev, struct stats_sample *cur)
{
	double secs = (double)(cur->mono_ns - prev->mono_ns) / 1e9;

	for (size_t i = 0; i < cur->n; i++) {
		struct stats_entry *c = &cur->e[i];
		c->has_rates = false;
		if (cur->mono_ns <= prev->mono_ns)
			continue;
		for (size_t k = 0; k < prev->n; k++)
			if (prev->e[k].kind == c->kind && !strcmp(prev->e[k].name, c->name)) {
				entry_rates(&prev->e[k], c, secs, cur->host_cpus ? cur->host_cpus : 1);
				break;
			}
	}
}
