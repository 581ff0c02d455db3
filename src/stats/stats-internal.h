/* SPDX-License-Identifier: MIT */
#pragma once
/* The parts of src/stats shared between its files and unit-tested alone:
 * parsers of /proc, /sys and cgroup files, each over text or a dirfd. */
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "stats/stats.h"

/* /proc/PID[/task/TID]/stat text: utime + stime in clock ticks. */
int stats_parse_proc_stat(const char *text, uint64_t *ticks);
/* A process' folder in /proc, which the readers below take (files are
 * opened relative to it, and all belong to the same process). */
int stats_proc_open(pid_t pid, int *procfd);
/* CPU time of a process (tid 0) or of one of its threads, in ns. */
int stats_proc_cpu_ns(int procfd, pid_t tid, uint64_t *ns);
/* Resident memory of a process in bytes (statm). */
int stats_proc_rss(int procfd, uint64_t *bytes);

/* QEMU's NICs from its command line (NUL-separated, as /proc/PID/cmdline):
 * for "-netdev user,id=netI" fds[I] = -1, for "-netdev tap,id=netI,fd=N"
 * fds[I] = N.  Returns how many NICs (at most max), or a negative errno. */
int stats_parse_netdevs(const char *cmdline, size_t len, int *fds, size_t max);
/* The interface of a TUN/TAP fd from its fdinfo text ("iff:\thvt3"). */
int stats_parse_fdinfo_iff(const char *text, char *out, size_t n);
/* "-smp N" and "-m NM" (as engine/qemu.c writes them) from QEMU's
 * command line; what is absent or odd is left as it was. */
void stats_parse_sizes(const char *cmdline, size_t len, unsigned *vcpus, uint64_t *memory);
/* What a running QEMU's command line says (what it runs with, whatever
 * vm.json says since): e's vcpus, memory_bytes, and NICs with each TAP's
 * name ("" for slirp). */
int stats_qemu_args(int procfd, struct stats_entry *e);
/* A TAP's counters under classnet (a dirfd of /sys/class/net), turned to
 * the guest's view (what the host's TAP sends, the guest receives). */
int stats_tap_read(int classnet, struct stats_nic *nic);

/* A container's cgroup figures into e (cpu_ns, rss_bytes, memory_bytes,
 * one disk "io" with bytes and operations).  v1: a dirfd per controller
 * (-1 when that controller is not mounted); v2: the cgroup's dirfd. */
int stats_cgroup_v1(int cpuacct, int memory, int blkio, struct stats_entry *e);
int stats_cgroup_v2(int dir, struct stats_entry *e);
/* One container of root into e (state always; figures while it lives). */
int stats_container(const char *root, const char *id, struct stats_entry *e);
/* A file holding one unsigned number (sysfs, cgroup files). */
int stats_read_u64_at(int dirfd, const char *name, uint64_t *v);
