/* SPDX-License-Identifier: MIT */
/* One sample of every VM and container (stats_collect), read concurrently,
 * and rates from two samples (stats_rates). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
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
#include "oci/state.h"
#include "stats/stats-internal.h"
#include "util/cleanup.h"
#include "util/err.h"

#define DEFAULT_TIMEOUT_MS 500
#define VM_BATCH	   128
#define MAX_VCPUS	   256

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Note what could not be read, keep going: a sample is best effort. */
static void note(struct stats_entry *e, int r, const char *what)
{
	if (!e->error[0])
		snprintf(e->error, sizeof(e->error), "%s: %s", what, err_msg_for(r));
	err_clear();
}

/* One VM's reading in flight: what /proc and its folder say is read
 * first, then its QMP queries are sent and their replies awaited
 * together with every other VM's (one poll over all the sockets). */
struct vm_read {
	struct stats_entry *e;
	int procfd;    /* /proc/QEMU-PID, -1 when not active */
	struct qmp *q; /* NULL once its replies are read or it failed */
	struct qmp_stats_req req;
};

/* The vCPU threads' CPU time; a thread that runs several vCPUs (TCG
 * without MTTCG) counts once. */
static void vm_vcpu_time(int procfd, const struct qmp_vcpu *v, size_t n, struct stats_entry *e)
{
	for (size_t i = 0; i < n; i++) {
		bool seen = false;
		uint64_t ns;
		for (size_t j = 0; j < i; j++)
			seen |= v[j].thread == v[i].thread;
		if (seen)
			continue;
		if (stats_proc_cpu_ns(procfd, v[i].thread, &ns) == 0)
			e->vcpu_ns += ns;
		else
			err_clear(); /* a vCPU thread may be gone (unplug): not an error */
	}
}

/* The replies have all come: read them into the entry. */
static void vm_qmp_figures(struct vm_read *v)
{
	struct stats_entry *e = v->e;
	struct qmp_vcpu vcpus[MAX_VCPUS];
	struct qmp_blockstats b[STATS_MAX_DISKS];
	struct qmp_guest_mem g;
	size_t n;
	int r;

	if ((r = qmp_stats_cpus(v->q, &v->req, vcpus, MAX_VCPUS, &n)) < 0)
		note(e, r, "query-cpus-fast");
	else {
		e->vcpus = (unsigned)n;
		vm_vcpu_time(v->procfd, vcpus, n < MAX_VCPUS ? n : MAX_VCPUS, e);
	}
	if ((r = qmp_stats_blocks(v->q, &v->req, b, STATS_MAX_DISKS, &n)) < 0)
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
	if ((r = qmp_stats_guest_mem(v->q, &v->req, &g)) < 0)
		note(e, r, "balloon guest-stats");
	else if (g.known) {
		e->guest_mem = true;
		e->guest_total_bytes = g.total;
		e->guest_used_bytes = g.used;
		e->guest_available_bytes = g.available;
	}
}

static void vm_nic_figures(int procfd, struct stats_entry *e)
{
	_cleanup_close_ int classnet = -1;
	int r;

	if ((r = stats_qemu_args(procfd, e)) < 0)
		return note(e, r, "QEMU's command line");
	for (unsigned i = 0; i < e->nnics; i++) {
		if (!e->nics[i].tap[0])
			continue;
		if (classnet < 0 && (classnet = open("/sys/class/net", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
			return note(e, -errno, "/sys/class/net");
		if ((r = stats_tap_read(classnet, &e->nics[i])) < 0)
			note(e, r, e->nics[i].tap);
	}
}

/* The VM's state and, while it is active, its /proc and TAP figures;
 * its QMP queries go out first (replies are read by vm_wait_all).  vCPUs
 * and memory come from QEMU's command line, not vm.json: what the VM
 * runs with (hv set applies at the next start), and no JSON to parse. */
static int vm_begin(const char *name, struct vm_read *v)
{
	struct stats_entry *e = v->e;
	struct vm_handle h;
	struct vm_status st;
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
	if ((r = qmp_connect_at(h.dirfd, "qmp.sock", &v->q)) < 0 || (r = qmp_stats_send(v->q, &v->req)) < 0) {
		note(e, r, "QMP");
		qmp_close(v->q);
		v->q = NULL;
	}
	vm_close(&h);
	/* /proc is read while QEMU answers */
	if ((r = stats_proc_open(st.qemu.pid, &v->procfd)) < 0 ||
	    (r = stats_proc_cpu_ns(v->procfd, 0, &e->cpu_ns)) < 0 || (r = stats_proc_rss(v->procfd, &e->rss_bytes)) < 0)
		note(e, r, "QEMU process");
	else
		vm_nic_figures(v->procfd, e);
	return 0;
}

/* Wait for the replies of every VM in v[n] at once, up to timeout_ms;
 * each VM's figures are read as soon as its last reply is in. */
static void vm_wait_all(struct vm_read *v, size_t n, int timeout_ms)
{
	_cleanup_free_ struct pollfd *pf = calloc(n ? n : 1, sizeof(*pf));
	_cleanup_free_ size_t *who = calloc(n ? n : 1, sizeof(*who));
	uint64_t deadline = mono_ns() + (uint64_t)timeout_ms * 1000000ull;

	for (;;) {
		size_t np = 0;
		uint64_t now = mono_ns();
		for (size_t i = 0; i < n; i++) {
			if (!v[i].q)
				continue;
			if (qmp_stats_ready(v[i].q, &v[i].req)) {
				vm_qmp_figures(&v[i]);
				qmp_close(v[i].q);
				v[i].q = NULL;
				continue;
			}
			if (pf && who) {
				pf[np] = (struct pollfd){ .fd = qmp_fd(v[i].q), .events = POLLIN };
				who[np++] = i;
			}
		}
		if (np == 0 || now >= deadline || !pf || !who)
			break;
		if (poll(pf, np, (int)((deadline - now + 999999) / 1000000)) < 0 && errno != EINTR)
			break;
		for (size_t k = 0; k < np; k++) {
			int r;
			if (!pf[k].revents || (r = qmp_pump(v[who[k]].q)) == 0)
				continue;
			note(v[who[k]].e, r, "QMP");
			qmp_close(v[who[k]].q);
			v[who[k]].q = NULL;
		}
	}
	for (size_t i = 0; i < n; i++)
		if (v[i].q) {
			note(v[i].e, -ETIMEDOUT, "QMP (no answer in time)");
			qmp_close(v[i].q);
			v[i].q = NULL;
		}
}

/* Entries [0, nvm) of e are VMs: read them, VM_BATCH at a time (each
 * holds two descriptors while it is read). */
static void read_vms(struct stats_entry *e, size_t nvm, int timeout_ms)
{
	struct vm_read v[VM_BATCH];

	for (size_t base = 0; base < nvm; base += VM_BATCH) {
		size_t n = nvm - base < VM_BATCH ? nvm - base : VM_BATCH;
		for (size_t i = 0; i < n; i++) {
			char name[sizeof(e->name)];
			int r;
			v[i] = (struct vm_read){ .e = &e[base + i], .procfd = -1 };
			memcpy(name, v[i].e->name, sizeof(name));
			if ((r = vm_begin(name, &v[i])) < 0) {
				snprintf(v[i].e->state, sizeof(v[i].e->state), "unknown");
				note(v[i].e, r, "state");
			}
		}
		vm_wait_all(v, n, timeout_ms);
		for (size_t i = 0; i < n; i++)
			if (v[i].procfd >= 0)
				close(v[i].procfd);
	}
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
	size_t nvm = 0;
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
	while (nvm < out->n && out->e[nvm].kind == STATS_VM)
		nvm++;
	t0 = mono_ns();
	read_vms(out->e, nvm, o->timeout_ms > 0 ? o->timeout_ms : DEFAULT_TIMEOUT_MS);
	for (size_t i = nvm; i < out->n; i++) {
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
