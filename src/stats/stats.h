/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * Figures of running VMs and containers (issue 11): `hv stats`, `hv top`,
 * `hv stats --prometheus` and the web console's /metrics all read them
 * through this interface.
 *
 * A sample holds cumulative counters read at one instant: per VM the CPU
 * time of all QEMU threads and of the vCPU threads alone (thread ids
 * from QMP query-cpus-fast, times from /proc/PID/task/TID/stat), QEMU's
 * RSS, the guest's own used and available memory as its virtio-balloon
 * driver reports it (every VM has the device; the guest's driver reports
 * every ENGINE_BALLOON_POLL_S seconds), disk bytes and operations
 * (query-blockstats) and TAP counters; per
 * container the cgroup's CPU time, memory and block I/O (v1 or v2).
 * Rates (CPU %, bytes per second) come from two samples: stats_rates().
 *
 * Percentages, as virt-manager defines them (virtManager/lib/
 * statsmanager.py): host % is the CPU time of all of QEMU's threads over
 * the elapsed time times the host's CPUs; guest % is the vCPU threads'
 * time over the elapsed time times the VM's vCPUs.  cpu % is all of
 * QEMU's time over the elapsed time (100 = one host CPU busy), as top's
 * %CPU.
 *
 * Nothing here prints or keeps process-wide state; a long-running server
 * (hv ui) keeps its previous sample and calls stats_collect and
 * stats_rates once per period.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define STATS_MAX_DISKS 8
#define STATS_MAX_NICS	4

enum stats_kind { STATS_VM, STATS_CONTAINER };

struct stats_disk {
	char name[32]; /* QEMU's drive id ("disk0") */
	uint64_t rd_bytes, wr_bytes, rd_ops, wr_ops;
	double rd_bps, wr_bps, rd_iops, wr_iops; /* stats_rates */
};

struct stats_nic {
	char name[16]; /* "net0" (the NIC's place), the device hv counts */
	char tap[16];  /* the host TAP ("hvt3"), "" for nat (slirp) */
	bool counted;  /* counters known (TAPs; QEMU 7.2 counts nothing for slirp) */
	uint64_t rx_bytes, tx_bytes, rx_packets, tx_packets; /* as the guest sees them */
	double rx_bps, tx_bps, rx_pps, tx_pps;		     /* stats_rates */
};

struct stats_entry {
	enum stats_kind kind;
	char name[128];	       /* VM name or container id */
	char state[16];	       /* "running", "paused", ... */
	bool active;	       /* figures were read (running or paused) */
	char error[256];       /* why some figures are missing ("" when none) */
	unsigned vcpus;	       /* VM: vCPUs; container: 0 */
	uint64_t cpu_ns;       /* all QEMU threads / the cgroup's CPU time */
	uint64_t vcpu_ns;      /* the vCPU threads (VMs) */
	uint64_t rss_bytes;    /* QEMU's resident memory / the cgroup's memory use */
	uint64_t memory_bytes; /* configured guest memory / the cgroup's limit (0: none) */
	/* VM: what the guest's balloon driver reported (guest_mem false: nothing yet) */
	bool guest_mem;
	uint64_t guest_total_bytes, guest_used_bytes, guest_available_bytes;
	struct stats_disk disks[STATS_MAX_DISKS];
	unsigned ndisks;
	struct stats_nic nics[STATS_MAX_NICS];
	unsigned nnics;
	/* stats_rates; has_rates is false until a second sample */
	bool has_rates;
	double cpu_pct, host_pct, guest_pct;
};

struct stats_sample {
	uint64_t mono_ns; /* CLOCK_MONOTONIC when the sample was taken */
	unsigned host_cpus;
	struct stats_entry *e;
	size_t n;
};

struct stats_options {
	const char *const *names; /* only these (VM names or container ids); NULL: all */
	size_t nnames;
	bool vms;	      /* include VMs (active ones, or all named ones) */
	bool containers;      /* include hv ctr / hv-runc containers */
	bool all;	      /* without names: also the stopped ones (their state only) */
	const char *ctr_root; /* container root; NULL: hv-runc's default */
	int timeout_ms;	      /* per VM QMP budget; 0: the default (500 ms) */
};

/* Take one sample: without names, the running and paused VMs and
 * containers (all of them with o->all).  VMs are read concurrently: one
 * QMP connection each, its queries sent in one go without waiting for
 * the greeting, and one poll over all the sockets (128 VMs at a time);
 * a VM that does not answer in time keeps its /proc figures and says so
 * in its error.  A name that is neither a VM nor a container is an error
 * (-ENOENT).  Entries are in name order, VMs first.  The caller frees
 * out with stats_sample_free. */
int stats_collect(const struct stats_options *o, struct stats_sample *out);
void stats_sample_free(struct stats_sample *s);
/* Fill cur's rates from prev (entries matched by kind and name, disks
 * and NICs by name); counters that went back (a restarted VM) give no
 * rate. */
void stats_rates(const struct stats_sample *prev, struct stats_sample *cur);

/* The Prometheus text exposition format (version 0.0.4) of a sample:
 * hv_vm_state, hv_vm_cpu_seconds_total, hv_vm_vcpu_seconds_total,
 * hv_vm_memory_rss_bytes, hv_vm_memory_guest_{used,available}_bytes
 * (when the guest reports them), hv_vm_disk_{read,write}_bytes_total,
 * hv_vm_net_{rx,tx}_bytes_total, ... labelled by vm (and disk, nic);
 * containers as hv_container_*, labelled by container.  Returns 0 or a
 * negative errno (a write error). */
int stats_prometheus_write(const struct stats_sample *s, FILE *out);
/* Collect every VM and container now and write the text: what /metrics
 * serves (an HTTP server may pass open_memstream's FILE). */
int stats_prometheus(FILE *out);

/* One entry as JSON (what hv stats --json prints per VM and the web
 * console's API may serve); NULL when out of memory. */
struct json_object;
struct json_object *stats_entry_json(const struct stats_entry *e);
