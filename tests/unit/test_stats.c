/* SPDX-License-Identifier: MIT */
/* hv stats' collection pieces alone: /proc and cgroup parsers over files
 * made here, the QMP queries against replies recorded from QEMU 7.2,
 * rates from two samples, and the Prometheus text and JSON. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/qmp-ops.h"
#include "engine/qmp-stats.h"
#include "stats/stats-internal.h"
#include "t.h"
#include "t_qmp.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/jsonfile.h"
#include "util/sock.h"

static void proc_stat(void)
{
	uint64_t ticks = 0, ns = 0, rss = 0;
	int pfd = -1;
	const char *odd = "42 (qemu) (x 1) S 1 42 42 0 -1 4194560 100 0 0 0 250 70 0 0 20 0 3 0 9 1 1 ...\n";

	CHECK(stats_parse_proc_stat(odd, &ticks) == 0 && ticks == 320, "utime+stime after a comm with ') (': %llu",
	      (unsigned long long)ticks);
	CHECK(stats_parse_proc_stat("42 (short) S 1 2 3", &ticks) == -EPROTO, "too few fields is an error");
	CHECK(stats_parse_proc_stat("42 (x) S 1 2 3 4 5 6 7 8 9 10 abc 3 0", &ticks) == -EPROTO,
	      "a field that is not a number is an error: %s", err_msg());
	CHECK(stats_parse_proc_stat("no parenthesis", &ticks) == -EPROTO, "no comm is an error");
	CHECK(stats_proc_open(getpid(), &pfd) == 0, "this process' /proc folder: %s", err_msg());
	CHECK(stats_proc_cpu_ns(pfd, 0, &ns) == 0, "this process' CPU time: %s", err_msg());
	CHECK(stats_proc_cpu_ns(pfd, getpid(), &ns) == 0, "its main thread's CPU time");
	CHECK(stats_proc_cpu_ns(pfd, 0x3ffffff0, &ns) == -ENOENT, "a gone thread is -ENOENT");
	CHECK(stats_proc_rss(pfd, &rss) == 0 && rss > 1024 * 1024, "its RSS (%llu)", (unsigned long long)rss);
	close(pfd);
	CHECK(stats_proc_open(0x3ffffff0, &pfd) == -ENOENT && pfd == -1, "a gone process is -ENOENT");
}

static void netdevs(void)
{
	static const char cmd[] = "qemu\0-netdev\0user,id=net0,net=10.0.2.0/24\0-device\0x\0-netdev\0tap,id=net1,fd=7\0"
				  "-netdev\0tap,id=hvmon,fd=9\0-netdev\0tap,id=net9,fd=8\0-netdev";
	int fds[4];
	char iff[16] = "";
	int n = stats_parse_netdevs(cmd, sizeof(cmd), fds, 4);

	CHECK(n == 2 && fds[0] == -1 && fds[1] == 7, "user NIC 0, TAP NIC 1 on fd 7 (n %d)", n);
	{
		static const char args[] = "qemu\0-smp\0"
					   "2\0-m\0"
					   "384M\0-name\0-m\0";
		static const char odd[] = "qemu\0-smp\0x\0-m\0"
					  "384G\0-m";
		unsigned vcpus = 9;
		uint64_t mem = 1;
		stats_parse_sizes(args, sizeof(args), &vcpus, &mem);
		CHECK(vcpus == 2 && mem == 384ull << 20, "-smp 2 -m 384M: %u vCPUs, %llu bytes", vcpus,
		      (unsigned long long)mem);
		vcpus = 9;
		mem = 1;
		stats_parse_sizes(odd, sizeof(odd), &vcpus, &mem);
		CHECK(vcpus == 9 && mem == 1, "odd values and a last option without a value leave them as they were");
	}
	CHECK(stats_parse_fdinfo_iff("pos:\t0\nflags:\t02\nmnt_id:\t15\nino:\t1\niff:\thvt12\n", iff, sizeof(iff)) ==
		      0 &&
		  !strcmp(iff, "hvt12"),
	      "fdinfo names the TAP: '%s'", iff);
	CHECK(stats_parse_fdinfo_iff("pos:\t0\nflags:\t02\n", iff, sizeof(iff)) == -ENOENT, "no iff: not a TAP");
	CHECK(stats_parse_fdinfo_iff("iff:\thvt0123456789abcdefg\n", iff, sizeof(iff)) == -EPROTO,
	      "an over-long name is refused");
}

static void put(int dirfd, const char *name, const char *text)
{
	fs_write_atomic(dirfd, name, text, strlen(text), 0644);
}

static void taps(const char *tmp)
{
	_cleanup_close_ int d = -1;
	struct stats_nic nic = { .name = "net0", .tap = "hvt3" };

	mkdirat(AT_FDCWD, tmp, 0700);
	d = open(tmp, O_RDONLY | O_DIRECTORY);
	mkdirat(d, "hvt3", 0700);
	mkdirat(d, "hvt3/statistics", 0700);
	put(d, "hvt3/statistics/rx_bytes", "1000\n");
	put(d, "hvt3/statistics/tx_bytes", "5000\n");
	put(d, "hvt3/statistics/rx_packets", "10\n");
	put(d, "hvt3/statistics/tx_packets", "50\n");
	CHECK(stats_tap_read(d, &nic) == 0 && nic.counted, "TAP counters read");
	CHECK(nic.rx_bytes == 5000 && nic.tx_bytes == 1000 && nic.rx_packets == 50 && nic.tx_packets == 10,
	      "turned to the guest's view (the TAP's tx is the guest's rx)");
	snprintf(nic.tap, sizeof(nic.tap), "../etc");
	CHECK(stats_tap_read(d, &nic) == 0 && !nic.counted, "a name with a slash is not followed");
	snprintf(nic.tap, sizeof(nic.tap), "hvt9");
	CHECK(stats_tap_read(d, &nic) < 0, "a missing TAP is an error");
	put(d, "hvt3/statistics/rx_bytes", "lots\n");
	snprintf(nic.tap, sizeof(nic.tap), "hvt3");
	CHECK(stats_tap_read(d, &nic) == -EPROTO, "a counter that is not a number: %s", err_msg());
}

static void cgroups(const char *tmp)
{
	_cleanup_close_ int d = -1;
	struct stats_entry e;

	mkdirat(AT_FDCWD, tmp, 0700);
	d = open(tmp, O_RDONLY | O_DIRECTORY);
	/* v1: one folder per controller; here one folder holds all three */
	put(d, "cpuacct.usage", "123456789\n");
	put(d, "memory.usage_in_bytes", "1048576\n");
	put(d, "memory.limit_in_bytes", "9223372036854771712\n");
	put(d, "blkio.throttle.io_service_bytes",
	    "8:0 Read 4096\n8:0 Write 8192\n8:0 Sync 0\n8:16 Read 100\n8:16 Write 0\nTotal 12388\n");
	put(d, "blkio.throttle.io_serviced", "8:0 Read 1\n8:0 Write 2\n8:16 Read 3\nTotal 6\n");
	memset(&e, 0, sizeof(e));
	CHECK(stats_cgroup_v1(d, d, d, &e) == 0, "v1 figures: %s", err_msg());
	CHECK(e.cpu_ns == 123456789 && e.rss_bytes == 1048576 && e.memory_bytes == 0, "v1 CPU, memory, no limit");
	CHECK(e.ndisks == 1 && e.disks[0].rd_bytes == 4196 && e.disks[0].wr_bytes == 8192 && e.disks[0].rd_ops == 4 &&
		  e.disks[0].wr_ops == 2,
	      "v1 block I/O summed over devices, Total not counted twice");
	memset(&e, 0, sizeof(e));
	CHECK(stats_cgroup_v1(d, -1, -1, &e) == 0 && e.cpu_ns && !e.ndisks, "v1 with controllers missing");
	/* v2 */
	put(d, "cpu.stat", "usage_usec 2500\nuser_usec 2000\nsystem_usec 500\n");
	put(d, "memory.current", "4096\n");
	put(d, "memory.max", "1073741824\n");
	put(d, "io.stat",
	    "8:0 rbytes=10 wbytes=20 rios=1 wios=2 dbytes=0 dios=0\n"
	    "8:16 rbytes=5 wbytes=5 rios=1 wios=1 dbytes=0 dios=0\n");
	memset(&e, 0, sizeof(e));
	CHECK(stats_cgroup_v2(d, &e) == 0, "v2 figures: %s", err_msg());
	CHECK(e.cpu_ns == 2500000 && e.rss_bytes == 4096 && e.memory_bytes == 1073741824, "v2 CPU, memory, limit");
	CHECK(e.ndisks == 1 && e.disks[0].rd_bytes == 15 && e.disks[0].wr_bytes == 25 && e.disks[0].rd_ops == 2 &&
		  e.disks[0].wr_ops == 3,
	      "v2 io.stat summed");
	put(d, "memory.max", "max\n");
	memset(&e, 0, sizeof(e));
	CHECK(stats_cgroup_v2(d, &e) == 0 && e.memory_bytes == 0, "v2 \"max\" is no limit");
	put(d, "cpu.stat", "user_usec 1\n");
	CHECK(stats_cgroup_v2(d, &e) == -EPROTO, "v2 without usage_usec: %s", err_msg());
}

static void queries(void)
{
	static const char *const replies[] = {
		"{\"return\": {}, \"id\": 1}",
		/* recorded from QEMU 7.2 (microvm, TCG) */
		"{\"return\": [{\"thread-id\": 17217, \"props\": {\"core-id\": 0, \"thread-id\": 0, \"socket-id\": 0}, "
		"\"qom-path\": \"/machine/unattached/device[0]\", \"cpu-index\": 0, \"target\": \"x86_64\"}], \"id\": "
		"2}",
		"{\"return\": [{\"device\": \"disk0\", \"parent\": {\"stats\": {\"wr_bytes\": 1, \"rd_bytes\": 1, "
		"\"wr_operations\": 1, \"rd_operations\": 1}, \"node-name\": \"#block058\"}, \"stats\": {\"wr_bytes\": "
		"0, "
		"\"rd_total_time_ns\": 10213039, \"rd_bytes\": 4096, \"wr_operations\": 0, \"idle_time_ns\": "
		"12834014485, "
		"\"rd_operations\": 1}, \"node-name\": \"#block195\", \"qdev\": "
		"\"/machine/peripheral-anon/device[2]\"}, "
		"{\"device\": \"\", \"node-name\": \"n\", \"stats\": {}}], \"id\": 3}",
		"{\"return\": [{\"thread-id\": \"17217\", \"cpu-index\": 0}], \"id\": 4}",
		"{\"return\": [{\"device\": \"disk0\", \"stats\": {\"wr_bytes\": null, \"rd_bytes\": 1, "
		"\"wr_operations\": 0, \"rd_operations\": 0}}], \"id\": 5}",
		"{\"return\": {\"device\": \"disk0\"}, \"id\": 6}",
		"{\"return\": [{\"device\": \"disk0\"}], \"id\": 7}",
		NULL,
	};
	struct qmp_vcpu v[4];
	struct qmp_blockstats b[4];
	struct qmp *q = NULL;
	size_t n = 99;
	int rc, r;
	pid_t pid = scripted(&q, replies, &rc);

	CHECK(rc == 0, "fake QEMU handshake");
	if (rc < 0)
		return;
	r = qmp_query_cpus_fast(q, 2000, v, 4, &n);
	CHECK(r == 0 && n == 1 && v[0].index == 0 && v[0].thread == 17217, "query-cpus-fast: vCPU 0 on thread 17217");
	r = qmp_query_blockstats(q, 2000, b, 4, &n);
	CHECK(r == 0 && n == 1 && !strcmp(b[0].device, "disk0") && b[0].rd_bytes == 4096 && b[0].rd_ops == 1 &&
		  b[0].wr_bytes == 0,
	      "query-blockstats: the drive's own counters, not its parent's; nodes without a device skipped");
	r = qmp_query_cpus_fast(q, 2000, v, 4, &n);
	CHECK(r == -EINVAL && strstr(err_msg(), "thread-id"), "a thread-id that is a string is named: %s", err_msg());
	r = qmp_query_blockstats(q, 2000, b, 4, &n);
	CHECK(r == -EINVAL && strstr(err_msg(), "wr_bytes"), "a null counter is named: %s", err_msg());
	r = qmp_query_blockstats(q, 2000, b, 4, &n);
	CHECK(r == -EPROTO, "a reply that is not an array: %s", err_msg());
	r = qmp_query_blockstats(q, 2000, b, 4, &n);
	CHECK(r == -EINVAL && strstr(err_msg(), "stats is missing"), "a drive without stats: %s", err_msg());
	qmp_close(q);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* A fake QEMU on a listening socket that answers only once all four
 * commands of a sample have arrived, before it even greets: the queries
 * must be sent in one go, without waiting for anything. */
static pid_t pipelined_qemu(int lfd, const char *const *replies)
{
	pid_t pid = fork();

	if (pid == 0) {
		int c = accept(lfd, NULL, NULL), lines = 0;
		char ch;
		while (lines < 4 && read(c, &ch, 1) == 1)
			lines += ch == '\n';
		if (lines == 4) {
			dprintf(c, "{\"QMP\": {\"version\": {}, \"capabilities\": []}}\r\n");
			for (int i = 0; replies[i]; i++)
				dprintf(c, "%s\r\n", replies[i]);
		}
		while (read(c, &ch, 1) > 0)
			;
		_exit(0);
	}
	return pid;
}

static void pipelined(const char *dir)
{
	static const char *const replies[] = {
		"{\"return\": {}, \"id\": 1}",
		"{\"event\": \"RESUME\", \"timestamp\": {\"seconds\": 1, \"microseconds\": 2}}",
		"{\"return\": [{\"thread-id\": 4242, \"cpu-index\": 0}, {\"thread-id\": 4243, \"cpu-index\": 1}], "
		"\"id\": 2}",
		"{\"return\": [{\"device\": \"disk0\", \"stats\": {\"wr_bytes\": 7, \"rd_bytes\": 8, "
		"\"wr_operations\": 1, \"rd_operations\": 2}}], \"id\": 3}",
		/* recorded from QEMU 7.2 (microvm, the default guest, 256 MiB) */
		"{\"return\": {\"stats\": {\"stat-htlb-pgalloc\": 0, \"stat-swap-out\": 0, \"stat-available-memory\": "
		"205357056, \"stat-htlb-pgfail\": 0, \"stat-free-memory\": 201654272, \"stat-minor-faults\": 2581, "
		"\"stat-major-faults\": 0, \"stat-total-memory\": 241704960, \"stat-swap-in\": 0, "
		"\"stat-disk-caches\": 9564160}, \"last-update\": 1796095535}, \"id\": 4}",
		NULL,
	};
	_cleanup_close_ int dfd = -1, lfd = -1;
	struct qmp *q = NULL;
	struct qmp_stats_req req;
	struct qmp_vcpu v[4];
	struct qmp_blockstats b[4];
	struct qmp_guest_mem g;
	size_t n = 0;
	pid_t pid;
	int r;

	CHECK(mkdir(dir, 0700) == 0 && (dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0, "socket folder");
	CHECK(sock_listen_at(dfd, "qmp.sock", false, &lfd) == 0, "listen: %s", err_msg());
	pid = pipelined_qemu(lfd, replies);
	r = qmp_connect_at(dfd, "qmp.sock", &q);
	CHECK(r == 0 && q, "connect without waiting for the greeting: %s", err_msg());
	if (r < 0)
		return;
	CHECK(qmp_stats_send(q, &req) == 0, "the three queries sent at once");
	for (int i = 0; i < 200 && !qmp_stats_ready(q, &req); i++) {
		struct pollfd pf = { qmp_fd(q), POLLIN, 0 };
		poll(&pf, 1, 10);
		CHECK((r = qmp_pump(q)) == 0, "pump: %s", err_msg());
		if (r < 0)
			break;
	}
	CHECK(qmp_stats_ready(q, &req), "all replies came though the fake answers only after the fourth command");
	r = qmp_stats_cpus(q, &req, v, 4, &n);
	CHECK(r == 0 && n == 2 && v[1].thread == 4243, "query-cpus-fast's reply, the event before it queued");
	r = qmp_stats_blocks(q, &req, b, 4, &n);
	CHECK(r == 0 && n == 1 && b[0].wr_bytes == 7 && b[0].rd_ops == 2, "query-blockstats' reply");
	r = qmp_stats_guest_mem(q, &req, &g);
	CHECK(r == 0 && g.known && g.total == 241704960 && g.available == 205357056 &&
		  g.used == 241704960ull - 201654272 - 9564160,
	      "guest-stats: used = total - free - caches (%llu)", (unsigned long long)g.used);
	qmp_close(q);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static void guest_mem(void)
{
	static const struct {
		const char *json;
		int r;
		bool known;
		uint64_t used;
	} cases[] = {
		/* what QEMU says before the guest's driver has reported */
		{ "{\"stats\": {\"stat-free-memory\": 18446744073709551615, \"stat-total-memory\": "
		  "18446744073709551615}, \"last-update\": 0}",
		  0, false, 0 },
		{ "{\"stats\": {\"stat-free-memory\": 100, \"stat-total-memory\": 1000}, \"last-update\": 5}", 0, true,
		  900 },
		{ "{\"stats\": {\"stat-free-memory\": -1, \"stat-total-memory\": 1000}, \"last-update\": 5}", 0, false,
		  0 },
		{ "{\"stats\": {\"stat-free-memory\": 2000, \"stat-total-memory\": 1000}, \"last-update\": 5}", 0,
		  false, 0 },
		{ "{\"stats\": {\"stat-free-memory\": 100, \"stat-total-memory\": 1000, \"stat-disk-caches\": 5000}, "
		  "\"last-update\": 5}",
		  0, true, 900 },
		{ "{\"stats\": {\"stat-free-memory\": \"100\", \"stat-total-memory\": 1000}, \"last-update\": 5}",
		  -EPROTO, false, 0 },
		{ "{\"stats\": null, \"last-update\": 5}", -EINVAL, false, 0 },
		{ "{\"stats\": {}}", -ENOENT, false, 0 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_json_ struct json_object *o = NULL;
		struct qmp_guest_mem g;
		int r;
		CHECK(json_parse_object(cases[i].json, strlen(cases[i].json), "t", &o) == 0, "case %zu parses", i);
		r = qmp_guest_mem_parse(o, &g);
		CHECK((r < 0 ? (r == cases[i].r || cases[i].r < 0) : r == cases[i].r) && g.known == cases[i].known &&
			  g.used == cases[i].used,
		      "guest-stats case %zu: r %d (%s), known %d, used %llu", i, r, err_msg(), g.known,
		      (unsigned long long)g.used);
		err_clear();
	}
}

static struct stats_entry vm_entry(const char *name, uint64_t cpu, uint64_t vcpu, uint64_t wr, uint64_t tx)
{
	struct stats_entry e = { .kind = STATS_VM, .active = true, .vcpus = 2, .cpu_ns = cpu, .vcpu_ns = vcpu };

	snprintf(e.name, sizeof(e.name), "%s", name);
	snprintf(e.state, sizeof(e.state), "running");
	e.ndisks = 1;
	snprintf(e.disks[0].name, sizeof(e.disks[0].name), "disk0");
	e.disks[0].wr_bytes = wr;
	e.nnics = 2;
	snprintf(e.nics[0].name, sizeof(e.nics[0].name), "net0");
	snprintf(e.nics[1].name, sizeof(e.nics[1].name), "net1");
	e.nics[1].counted = true;
	e.nics[1].tx_bytes = tx;
	return e;
}

static void rates(void)
{
	struct stats_entry p[2] = { vm_entry("a", 1000000000, 500000000, 0, 0), vm_entry("b", 0, 0, 0, 0) };
	struct stats_entry c[2] = { vm_entry("b", 0, 0, 0, 0), vm_entry("a", 3000000000, 2500000000, 1 << 20, 4000) };
	struct stats_sample prev = { .mono_ns = 1000000000, .host_cpus = 4, .e = p, .n = 2 };
	struct stats_sample cur = { .mono_ns = 3000000000, .host_cpus = 4, .e = c, .n = 2 };

	stats_rates(&prev, &cur);
	CHECK(c[1].has_rates, "rates for the entry matched by name");
	CHECK(c[1].cpu_pct > 99.9 && c[1].cpu_pct < 100.1, "2 s of CPU in 2 s: 100%% of one host CPU (%f)",
	      c[1].cpu_pct);
	CHECK(c[1].host_pct > 24.9 && c[1].host_pct < 25.1, "25%% of 4 host CPUs (%f)", c[1].host_pct);
	CHECK(c[1].guest_pct > 49.9 && c[1].guest_pct < 50.1, "2 s of vCPU time in 2 s on 2 vCPUs: 50%% (%f)",
	      c[1].guest_pct);
	CHECK(c[1].disks[0].wr_bps == 524288 && c[1].nics[1].tx_bps == 2000, "bytes per second");
	CHECK(c[0].has_rates && c[0].cpu_pct == 0, "an idle VM: 0%%");
	c[1].cpu_ns = 1;
	stats_rates(&prev, &cur);
	CHECK(!c[1].has_rates, "a counter that went back (the VM restarted) gives no rate");
}

static void prometheus(void)
{
	struct stats_entry e[3] = { vm_entry("web", 1500000000, 1000000000, 4096, 77),
				    vm_entry("o\"dd\\", 0, 0, 0, 0),
				    { .kind = STATS_CONTAINER,
				      .name = "c1",
				      .state = "running",
				      .active = true,
				      .cpu_ns = 5,
				      .rss_bytes = 10 } };
	struct stats_sample s = { .mono_ns = 1, .host_cpus = 2, .e = e, .n = 3 };
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	snprintf(e[1].state, sizeof(e[1].state), "stopped");
	e[1].active = false;
	CHECK(stats_prometheus_write(&s, f) == 0, "metrics written");
	fclose(f);
	CHECK(strstr(text, "# TYPE hv_vm_cpu_seconds_total counter\n") != NULL, "a counter has its TYPE");
	CHECK(strstr(text, "hv_vm_cpu_seconds_total{vm=\"web\"} 1.500000000\n") != NULL, "CPU seconds");
	CHECK(strstr(text, "hv_vm_state{vm=\"web\",state=\"running\"} 1\n") &&
		  strstr(text, "hv_vm_state{vm=\"web\",state=\"paused\"} 0\n"),
	      "state as one series per state");
	CHECK(strstr(text, "hv_vm_state{vm=\"o\\\"dd\\\\\",state=\"stopped\"} 1\n") != NULL, "label values escaped");
	CHECK(!strstr(text, "hv_vm_cpu_seconds_total{vm=\"o"), "a stopped VM has only its state");
	CHECK(strstr(text, "hv_vm_disk_write_bytes_total{vm=\"web\",disk=\"disk0\"} 4096\n") != NULL, "disk label");
	CHECK(strstr(text, "hv_vm_net_tx_bytes_total{vm=\"web\",nic=\"net1\"} 77\n") && !strstr(text, "nic=\"net0\""),
	      "counted NICs only (slirp has no counters)");
	CHECK(strstr(text, "# TYPE hv_container_cpu_seconds_total counter\nhv_container_cpu_seconds_total{container="
			   "\"c1\"} 0.000000005\n") != NULL,
	      "containers as hv_container_*");
	CHECK(!strstr(text, "hv_container_memory_bytes{"), "no limit, no limit series");
	CHECK(strstr(text, "# TYPE hv_vm_memory_guest_used_bytes gauge\n") &&
		  !strstr(text, "hv_vm_memory_guest_used_bytes{"),
	      "a guest that has not reported has no guest memory series");
	{
		_cleanup_free_ char *t2 = NULL;
		size_t l2 = 0;
		FILE *f2 = open_memstream(&t2, &l2);
		e[0].guest_mem = true;
		e[0].guest_used_bytes = 900;
		e[0].guest_available_bytes = 100;
		CHECK(stats_prometheus_write(&s, f2) == 0, "metrics written");
		fclose(f2);
		CHECK(strstr(t2, "hv_vm_memory_guest_used_bytes{vm=\"web\"} 900\n") &&
			  strstr(t2, "hv_vm_memory_guest_available_bytes{vm=\"web\"} 100\n"),
		      "the guest's report as hv_vm_memory_guest_{used,available}_bytes");
		e[0].guest_mem = false;
	}
	/* every line is a comment or NAME{LABELS} VALUE */
	int bad = 0, families = 0;
	for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n")) {
		if (!strncmp(l, "# TYPE ", 7))
			families++;
		else if (l[0] != '#' && (strncmp(l, "hv_", 3) || !strchr(l, '{') || !strstr(l, "} ")))
			bad++;
	}
	CHECK(bad == 0 && families == 16 + 8, "every line parses (%d bad), %d families", bad, families);
}

static void json(void)
{
	struct stats_entry e = vm_entry("web", 1, 2, 3, 4);
	_cleanup_json_ struct json_object *o = stats_entry_json(&e);
	const char *s = o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN) : "";

	CHECK(o && strstr(s, "\"name\":\"web\"") && strstr(s, "\"write_bytes\":3") && strstr(s, "\"tx_bytes\":4") &&
		  strstr(s, "\"error\":null") && !strstr(s, "cpu_percent") && strstr(s, "\"guest_used_bytes\":null"),
	      "JSON entry without rates (nor a guest report): %s", s);
	e.guest_mem = true;
	e.guest_used_bytes = 5 << 20;
	_cleanup_json_ struct json_object *o2 = stats_entry_json(&e);
	s = o2 ? json_object_to_json_string_ext(o2, JSON_C_TO_STRING_PLAIN) : "";
	CHECK(o2 && strstr(s, "\"guest_used_bytes\":5242880"), "the guest's report in the JSON: %s", s);
}

int main(void)
{
	char tmp[] = "/tmp/hv-test-stats.XXXXXX", *sub = NULL;

	CHECK(mkdtemp(tmp) != NULL, "temporary folder");
	proc_stat();
	netdevs();
	asprintf(&sub, "%s/net", tmp);
	taps(sub);
	free(sub);
	asprintf(&sub, "%s/cg", tmp);
	cgroups(sub);
	free(sub);
	queries();
	asprintf(&sub, "%s/qmp", tmp);
	pipelined(sub);
	free(sub);
	guest_mem();
	rates();
	prometheus();
	json();
	fs_rm_rf_at(AT_FDCWD, tmp);
	T_DONE();
}
