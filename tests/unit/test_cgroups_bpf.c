/* SPDX-License-Identifier: MIT */
/*
 * Device rules on cgroup v2 (cgroups-bpf.c), for real: linux.resources.devices
 * goes through cg_apply to a v2 cgroup, a child placed in it opens and
 * mknods device nodes, and the kernel's answers are compared with what the
 * rules say.  On hybrid hosts this runs on the v2 mount at
 * /sys/fs/cgroup/unified: it has no controllers, but device programs work
 * there, as every process is in the unified hierarchy too.
 *
 * The nodes live in a temporary directory and are named by their numbers,
 * so c 1:3 is /dev/null, 1:5 /dev/zero and 1:7 /dev/full; majors nobody
 * registered (found in /proc/devices) stand for devices with no driver,
 * whose open fails with ENXIO once the cgroup lets it through.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <linux/magic.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "oci/cgroups-bpf.h"
#include "oci/cgroups-internal.h"
#include "oci/cgroups.h"
#include "t.h"
#include "util/err.h"
#include "util/fs.h"

#define MAX_PROBES 64

static char top[64];	  /* "/hv-test-bpf-PID" in the v2 hierarchy */
static char nodes[64];	  /* the temporary directory of device nodes */
static unsigned spare[2]; /* majors no char or block driver has */

/* One access to try: open for r, w or rw, or mknod (m). */
struct probe {
	char type; /* 'c' or 'b' */
	unsigned major, minor;
	char op[3];
};

static int probe_parse(const char *s, struct probe *p, char *want)
{
	return sscanf(s, "%c %u:%u %2s %c", &p->type, &p->major, &p->minor, p->op, want) == 5 ? 0 : -1;
}

static void node_path(const struct probe *p, const char *prefix, char *buf, size_t n)
{
	snprintf(buf, n, "%s/%s%c%u_%u", nodes, prefix, p->type, p->major, p->minor);
}

static mode_t node_mode(const struct probe *p)
{
	return (p->type == 'b' ? S_IFBLK : S_IFCHR) | 0600;
}

/* The probe in the child: 0 or the errno. */
static int probe_run(const struct probe *p)
{
	char path[128];
	int fd;

	if (!strcmp(p->op, "m")) {
		node_path(p, "m", path, sizeof(path));
		if (mknod(path, node_mode(p), makedev(p->major, p->minor)) < 0)
			return errno;
		unlink(path);
		return 0;
	}
	node_path(p, "", path, sizeof(path));
	fd = open(path, (!strcmp(p->op, "rw")  ? O_RDWR
			 : !strcmp(p->op, "w") ? O_WRONLY
					       : O_RDONLY) |
			    O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

/* Run the probes in a child placed in cg; res[i] is 0 or an errno. */
static bool probes_in(struct cgroup *cg, const struct probe *p, size_t n, int *res)
{
	int gate[2], out[2], st = -1;
	size_t got = 0;
	bool ok;
	pid_t pid;

	for (size_t i = 0; i < n; i++) {
		char path[128];
		node_path(&p[i], "", path, sizeof(path));
		if (strcmp(p[i].op, "m") && mknod(path, node_mode(&p[i]), makedev(p[i].major, p[i].minor)) < 0 &&
		    errno != EEXIST)
			return false;
	}
	if (pipe2(gate, O_CLOEXEC) < 0)
		return false;
	if (pipe2(out, O_CLOEXEC) < 0) {
		close(gate[0]);
		close(gate[1]);
		return false;
	}
	pid = fork();
	if (pid == 0) {
		char c;
		close(gate[1]);
		close(out[0]);
		if (read(gate[0], &c, 1) != 1)
			_exit(99);
		for (size_t i = 0; i < n; i++)
			res[i] = probe_run(&p[i]);
		_exit(write(out[1], res, n * sizeof(*res)) == (ssize_t)(n * sizeof(*res)) ? 0 : 98);
	}
	close(gate[0]);
	close(out[1]);
	ok = pid > 0 && cg_add_pid(cg, pid) == 0;
	if (ok)
		ok = write(gate[1], "x", 1) == 1;
	close(gate[1]);
	while (ok && got < n * sizeof(*res)) {
		ssize_t k = read(out[0], (char *)res + got, n * sizeof(*res) - got);
		if (k <= 0)
			ok = false;
		else
			got += (size_t)k;
	}
	close(out[0]);
	if (pid > 0) {
		kill(pid, SIGKILL); /* harmless after it exited; ends it otherwise */
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
	}
	return ok;
}

static size_t hv_programs(struct cgroup *cg)
{
	char dir[512];
	size_t n = (size_t)-1;

	if (cg_dir(cg, NULL, dir, sizeof(dir)) < 0 || cg_bpf_devices_count(dir, &n) < 0)
		return (size_t)-1;
	return n;
}

static int apply_devices(struct cgroup *cg, const char *rules)
{
	char json[2048];
	struct json_object *o;
	int r;

	snprintf(json, sizeof(json), "{\"devices\": %s}", rules);
	o = json_tokener_parse(json);
	if (!o) {
		printf("FAIL bad test JSON: %s\n", json);
		return -999;
	}
	r = cg_apply(cg, o);
	json_object_put(o);
	return r;
}

/*
 * Apply rules to cg, then check each want: "c 1:3 rw +" (allowed) or
 * "c 1:5 w -" (EPERM).  An allowed mknod or open of a memory device (c 1:N)
 * must succeed; the opens of other nodes may fail with ENXIO, for want of
 * a driver, once the cgroup let them through.
 */
static void expect(struct cgroup *cg, const char *what, const char *rules, const char *const *want)
{
	struct probe p[MAX_PROBES];
	char sign[MAX_PROBES];
	int res[MAX_PROBES];
	size_t n = 0;

	CHECK(apply_devices(cg, rules) == 0, "%s: cg_apply: %s", what, err_msg());
	for (; n < MAX_PROBES && want[n]; n++)
		if (probe_parse(want[n], &p[n], &sign[n]) < 0)
			printf("FAIL %s: bad probe '%s'\n", what, want[n]);
	if (!probes_in(cg, p, n, res)) {
		CHECK(false, "%s: the probing child did not report", what);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		bool real = (p[i].type == 'c' && p[i].major == 1) || !strcmp(p[i].op, "m");
		if (sign[i] == '+')
			CHECK(res[i] == 0 || (!real && res[i] == ENXIO), "%s: %s: got %s", what, want[i],
			      res[i] ? strerror(res[i]) : "allowed");
		else
			CHECK(res[i] == EPERM, "%s: %s: got %s", what, want[i], res[i] ? strerror(res[i]) : "allowed");
	}
}

#define W(...)	       ((const char *const[]){ __VA_ARGS__, NULL })
#define NULLDEV(op, s) "c 1:3 " op " " s
#define ZERO(op, s)    "c 1:5 " op " " s
#define FULL(op, s)    "c 1:7 " op " " s

static void rules(struct cgroup *cg)
{
	char b[8][48];

	expect(cg, "deny all; allow c 1:3 rwm; allow c 1:5 r",
	       "[{\"allow\": false, \"access\": \"rwm\"},"
	       " {\"allow\": true, \"type\": \"c\", \"major\": 1, \"minor\": 3, \"access\": \"rwm\"},"
	       " {\"allow\": true, \"type\": \"c\", \"major\": 1, \"minor\": 5, \"access\": \"r\"}]",
	       W(NULLDEV("rw", "+"), NULLDEV("r", "+"), NULLDEV("w", "+"), ZERO("r", "+"), ZERO("w", "-"),
		 ZERO("rw", "-"), FULL("r", "-"), FULL("w", "-"), NULLDEV("m", "+"), ZERO("m", "-"), FULL("m", "-"),
		 "b 1:3 r -", "b 1:3 m -"));
	CHECK(hv_programs(cg) == 1, "one hv program attached (%zd)", (ssize_t)hv_programs(cg));

	/* the same again replaces the program rather than adding one */
	expect(cg, "the same rules again",
	       "[{\"allow\": false},"
	       " {\"allow\": true, \"type\": \"c\", \"major\": 1, \"minor\": 3, \"access\": \"rwm\"},"
	       " {\"allow\": true, \"type\": \"c\", \"major\": 1, \"minor\": 5, \"access\": \"r\"}]",
	       W(NULLDEV("rw", "+"), ZERO("r", "+"), ZERO("w", "-"), FULL("r", "-")));
	CHECK(hv_programs(cg) == 1, "still one hv program (%zd)", (ssize_t)hv_programs(cg));

	expect(cg, "m is its own permission",
	       "[{\"allow\": false}, {\"allow\": true, \"type\": \"c\", \"major\": 1, \"minor\": 7, \"access\": \"m\"},"
	       " {\"allow\": true, \"type\": \"c\", \"major\": 1, \"minor\": 5, \"access\": \"rw\"}]",
	       W(FULL("m", "+"), FULL("r", "-"), FULL("w", "-"), ZERO("rw", "+"), ZERO("m", "-"), NULLDEV("m", "-")));

	expect(cg, "wildcard minor",
	       "[{\"allow\": false}, {\"allow\": true, \"type\": \"c\", \"major\": 1, \"access\": \"r\"}]",
	       W(NULLDEV("r", "+"), ZERO("r", "+"), FULL("r", "+"), FULL("w", "-"), FULL("rw", "-"), FULL("m", "-"),
		 "b 1:7 r -"));

	snprintf(b[0], sizeof(b[0]), "c %u:3 rw +", spare[0]);
	snprintf(b[1], sizeof(b[1]), "c %u:3 m +", spare[0]);
	snprintf(b[2], sizeof(b[2]), "b %u:3 m -", spare[0]);
	expect(cg, "wildcard major (and minor -1)",
	       "[{\"allow\": false}, {\"allow\": true, \"type\": \"c\", \"minor\": 3, \"access\": \"rw\"},"
	       " {\"allow\": true, \"type\": \"c\", \"major\": -1, \"minor\": 3, \"access\": \"m\"}]",
	       W(NULLDEV("rw", "+"), NULLDEV("m", "+"), ZERO("r", "-"), FULL("m", "-"), "c 5:3 m +", b[0], b[1], b[2]));

	snprintf(b[0], sizeof(b[0]), "b %u:0 m +", spare[0]);
	snprintf(b[1], sizeof(b[1]), "b %u:9 rw +", spare[1]);
	snprintf(b[2], sizeof(b[2]), "c %u:0 m -", spare[0]);
	snprintf(b[3], sizeof(b[3]), "c %u:9 r -", spare[1]);
	expect(cg, "b is not c", "[{\"allow\": false}, {\"allow\": true, \"type\": \"b\", \"access\": \"rwm\"}]",
	       W(b[0], b[1], b[2], b[3], NULLDEV("r", "-"), NULLDEV("m", "-")));

	expect(cg, "no deny-all first: an allowlist all the same",
	       "[{\"allow\": true, \"type\": \"c\", \"major\": 1, \"minor\": 3, \"access\": \"rwm\"}]",
	       W(NULLDEV("rw", "+"), ZERO("r", "-"), FULL("w", "-"), "c 5:0 m -"));

	expect(cg, "last match wins: a hole closed",
	       "[{\"allow\": false}, {\"allow\": true, \"type\": \"c\", \"major\": 1, \"access\": \"rwm\"},"
	       " {\"allow\": false, \"type\": \"c\", \"major\": 1, \"minor\": 5, \"access\": \"w\"}]",
	       W(ZERO("r", "+"), ZERO("w", "-"), ZERO("rw", "-"), ZERO("m", "+"), NULLDEV("rw", "+"), FULL("rw", "+")));
	expect(
	    cg, "last match wins: a narrow allow after a deny",
	    "[{\"allow\": false}, {\"allow\": false, \"type\": \"c\", \"major\": 1, \"minor\": 3, \"access\": \"rwm\"},"
	    " {\"allow\": true, \"type\": \"c\", \"major\": 1, \"minor\": 3, \"access\": \"r\"}]",
	    W(NULLDEV("r", "+"), NULLDEV("w", "-"), NULLDEV("rw", "-"), NULLDEV("m", "-")));
	expect(
	    cg, "last match wins: a wide deny after narrow allows",
	    "[{\"allow\": false}, {\"allow\": true, \"type\": \"c\", \"major\": 1, \"minor\": 3, \"access\": \"rwm\"},"
	    " {\"allow\": false, \"type\": \"c\", \"major\": 1, \"access\": \"w\"}]",
	    W(NULLDEV("r", "+"), NULLDEV("w", "-"), NULLDEV("m", "+"), ZERO("r", "-")));
	expect(cg, "each access bit has its own last rule",
	       "[{\"allow\": false}, {\"allow\": true, \"type\": \"c\", \"major\": 1, \"minor\": 5, \"access\": \"r\"},"
	       " {\"allow\": true, \"type\": \"c\", \"major\": 1, \"access\": \"w\"}]",
	       W(ZERO("rw", "+"), ZERO("r", "+"), ZERO("w", "+"), NULLDEV("w", "+"), NULLDEV("r", "-"),
		 NULLDEV("rw", "-"), ZERO("m", "-")));
	expect(
	    cg, "an \"a\" rule in the middle overrides what came before",
	    "[{\"allow\": true, \"type\": \"c\", \"major\": 1, \"minor\": 5, \"access\": \"rwm\"}, {\"allow\": false},"
	    " {\"allow\": true, \"type\": \"c\", \"major\": 1, \"minor\": 3, \"access\": \"rw\"}]",
	    W(ZERO("r", "-"), NULLDEV("rw", "+"), NULLDEV("m", "-")));
	expect(cg, "a denylist: allow all, then deny",
	       "[{\"allow\": true}, {\"allow\": false, \"type\": \"c\", \"major\": 1, \"minor\": 5, \"access\": \"w\"},"
	       " {\"allow\": false, \"type\": \"b\", \"access\": \"m\"}]",
	       W(ZERO("r", "+"), ZERO("w", "-"), ZERO("rw", "-"), ZERO("m", "+"), FULL("rw", "+"), "b 1:3 m -",
		 "b 1:3 r +"));
	expect(cg, "numbers beyond 31 bits load, and match nothing here",
	       "[{\"allow\": true}, {\"allow\": false, \"type\": \"c\", \"major\": 4294967295, \"access\": \"rwm\"},"
	       " {\"allow\": false, \"type\": \"c\", \"major\": 1, \"minor\": 2147483648, \"access\": \"rwm\"}]",
	       W(NULLDEV("rw", "+"), ZERO("m", "+")));
	CHECK(hv_programs(cg) == 1, "one hv program after all that (%zd)", (ssize_t)hv_programs(cg));

	expect(cg, "allow all: no program at all", "[{\"allow\": true}]",
	       W(NULLDEV("rw", "+"), ZERO("rw", "+"), FULL("rw", "+"), FULL("m", "+"), "b 1:3 m +"));
	CHECK(hv_programs(cg) == 0, "allow-all detached hv's program (%zd)", (ssize_t)hv_programs(cg));
	expect(cg, "deny all, then allow all", "[{\"allow\": false}, {\"allow\": true, \"type\": \"a\"}]",
	       W(NULLDEV("rw", "+"), FULL("m", "+")));
	CHECK(hv_programs(cg) == 0, "still no program (%zd)", (ssize_t)hv_programs(cg));
	expect(cg, "deny all", "[{\"allow\": false, \"type\": \"a\", \"access\": \"rwm\"}]",
	       W(NULLDEV("r", "-"), NULLDEV("w", "-"), NULLDEV("m", "-"), "b 1:3 m -"));
	CHECK(hv_programs(cg) == 1, "deny-all attached one (%zd)", (ssize_t)hv_programs(cg));
}

/* A parent's program still decides too (BPF_F_ALLOW_MULTI). */
static void parent_program(struct cgroup *cg)
{
	struct cgroup parent;

	CHECK(cg_open(&parent, top, NULL) == 0, "cg_open %s: %s", top, err_msg());
	CHECK(apply_devices(&parent, "[{\"allow\": true}, {\"allow\": false, \"type\": \"c\", \"major\": 1,"
				     " \"minor\": 5, \"access\": \"rwm\"}]") == 0,
	      "the parent's rules: %s", err_msg());
	expect(cg, "a child allowing all under a parent denying /dev/zero",
	       "[{\"allow\": false}, {\"allow\": true, \"type\": \"c\", \"access\": \"rwm\"}]",
	       W(ZERO("r", "-"), ZERO("m", "-"), NULLDEV("rw", "+"), FULL("m", "+")));
	CHECK(hv_programs(&parent) == 1 && hv_programs(cg) == 1, "one program on each");
	CHECK(apply_devices(&parent, "[{\"allow\": true}]") == 0, "the parent allows all again: %s", err_msg());
}

/* ---- the program against a model of the rules ------------------------- */

static uint32_t rng = 0x9e3779b9u;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng % n;
}

/* The rules as cgroups-bpf.c documents them, read front to back: each
 * bit's last naming rule decides, unnamed bits are denied. */
static bool model_allows(const struct cg_dev_rule *r, size_t n, const struct probe *p)
{
	for (const char *bit = p->op; *bit; bit++) {
		bool allow = false;
		for (size_t i = 0; i < n; i++)
			if ((r[i].type == 'a' || r[i].type == p->type) && (r[i].major < 0 || r[i].major == p->major) &&
			    (r[i].minor < 0 || r[i].minor == p->minor) && strchr(r[i].access, *bit))
				allow = r[i].allow;
		if (!allow)
			return false;
	}
	return true;
}

static void random_rule(struct cg_dev_rule *r)
{
	static const char *const accesses[] = { "r", "w", "m", "rw", "wr", "rm", "mw", "rwm" };
	static const char types[] = "cb";

	memset(r, 0, sizeof(*r));
	r->allow = rnd(2);
	if (rnd(8) == 0) {
		r->type = 'a';
		r->major = r->minor = -1;
		strcpy(r->access, "rwm");
		return;
	}
	r->type = types[rnd(2)];
	r->major = rnd(3) == 0 ? -1 : (int64_t)spare[rnd(2)];
	r->minor = rnd(3) == 0 ? -1 : (int64_t)rnd(2);
	strcpy(r->access, accesses[rnd(8)]);
}

static void rule_text(const struct cg_dev_rule *r, size_t n, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s %c %lld:%lld %s", i ? "; " : "",
				      r[i].allow ? "allow" : "deny", r[i].type, (long long)r[i].major,
				      (long long)r[i].minor, r[i].access);
}

static void against_model(struct cgroup *cg)
{
	static const char *const ops[] = { "r", "w", "rw", "m" };
	struct probe p[48];
	int res[48];
	size_t np = 0, bad_sets = 0;
	char dir[512];

	for (int t = 0; t < 2; t++)
		for (int j = 0; j < 2; j++)
			for (unsigned mi = 0; mi < 3; mi++)
				for (int o = 0; o < 4; o++) {
					p[np] = (struct probe){ .type = "cb"[t], .major = spare[j], .minor = mi };
					strcpy(p[np++].op, ops[o]);
				}
	CHECK(cg_dir(cg, NULL, dir, sizeof(dir)) == 0, "cg_dir");
	for (int set = 0; set < 60; set++) {
		struct cg_dev_rule r[7];
		size_t n = 1 + rnd(7), wrong = 0, first = 0;
		char text[512];

		for (size_t i = 0; i < n; i++)
			random_rule(&r[i]);
		rule_text(r, n, text, sizeof(text));
		if (cg_bpf_devices_apply(dir, r, n) < 0 || !probes_in(cg, p, np, res)) {
			CHECK(false, "rules %s: %s", text, err_msg());
			bad_sets++;
			continue;
		}
		for (size_t i = 0; i < np; i++) {
			bool allowed = res[i] != EPERM;
			if (allowed != model_allows(r, n, &p[i]) && wrong++ == 0)
				first = i;
		}
		CHECK(wrong == 0, "rules [%s]: %zu of %zu probes disagree with the model, first %c %u:%u %s %s", text,
		      wrong, np, p[first].type, p[first].major, p[first].minor, p[first].op,
		      res[first] == EPERM ? "denied" : "allowed");
		bad_sets += wrong != 0;
	}
	printf("ok 60 random rule lists x %zu probes, %zu disagreed\n", np, bad_sets);
}

/* A long list loads (the verifier's work must grow with it linearly) and
 * still decides by the last rule. */
static void long_list(struct cgroup *cg)
{
	static const char *const accesses[] = { "r", "w", "rw", "m" };
	enum { N = 1500, NP = 64 };
	struct cg_dev_rule *r = calloc(N, sizeof(*r));
	struct probe p[NP];
	int res[NP];
	char dir[512];
	size_t wrong = 0, allowed = 0;

	if (!r || cg_dir(cg, NULL, dir, sizeof(dir)) < 0)
		return;
	/* distinct devices, as many as the verifier may have to tell apart */
	r[0] = (struct cg_dev_rule){ .allow = false, .type = 'a', .major = -1, .minor = -1, .access = "rwm" };
	for (size_t i = 1; i < N; i++) {
		r[i] = (struct cg_dev_rule){ .allow = i % 5 != 0,
					     .type = "cb"[i % 2],
					     .major = i % 3 == 0 ? -1 : (int64_t)spare[i % 2],
					     .minor = (int64_t)i };
		strcpy(r[i].access, accesses[(i / 2) % 4]);
	}
	for (size_t i = 0; i < NP; i++) {
		static const unsigned minors[] = { 1, 2, N - 2, N - 1 };
		p[i] = (struct probe){ .type = "cb"[i % 2], .major = spare[(i / 2) % 2], .minor = minors[(i / 4) % 4] };
		strcpy(p[i].op, accesses[i / 16]);
	}
	CHECK(cg_bpf_devices_apply(dir, r, N) == 0, "%d rules: %s", N, err_msg());
	CHECK(probes_in(cg, p, NP, res), "the probing child reported");
	for (size_t i = 0; i < NP; i++) {
		wrong += (res[i] != EPERM) != model_allows(r, N, &p[i]);
		allowed += res[i] != EPERM;
	}
	CHECK(wrong == 0, "%d rules: %zu of %d probes disagree with the model", N, wrong, NP);
	CHECK(allowed > 0 && allowed < NP, "%d rules: %zu of %d probes allowed, a mix", N, allowed, NP);
	free(r);
}

/* ---- errors ------------------------------------------------------------ */

static void errors(void)
{
	/* a device program must return 0 or 1 */
	const struct bpf_insn two[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 2 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	struct cg_dev_rule deny = { .allow = false, .type = 'a', .major = -1, .minor = -1, .access = "rwm" };
	struct bpf_insn *insns = NULL;
	size_t n = 0;
	bool all = true;
	int fd;

	fd = cg_bpf_devices_load(two, 2);
	CHECK(fd < 0 && strstr(err_msg(), "linux.resources.devices: cannot load the device filter: ") &&
		  strstr(err_msg(), "the verifier says: ") && strstr(err_msg(), "R0") && !strchr(err_msg(), '\n'),
	      "a refused program's message has the verifier's words on one line: %s", err_msg());
	if (fd >= 0)
		close(fd);
	CHECK(cg_bpf_devices_apply("/sys/fs/cgroup/unified/hv-test-no-such-cgroup", &deny, 1) == -ENOENT &&
		  strstr(err_msg(), "cannot open cgroup"),
	      "a missing cgroup: %s", err_msg());
	CHECK(cg_bpf_devices_build(&deny, 1, &insns, &n, &all) == 0 && !all && n == 8, "deny-all: %zu insns", n);
	free(insns);
	CHECK(cg_bpf_devices_build(&deny, 5000, &insns, &n, &all) == -E2BIG && strstr(err_msg(), "at most"),
	      "too many rules: %s", err_msg());
}

/* ---- setup ------------------------------------------------------------- */

static bool is_cgroup2(const char *path)
{
	struct statfs st;
	return statfs(path, &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC;
}

/* Two majors that neither a char nor a block driver has. */
static bool find_spare_majors(void)
{
	char *text = NULL;
	size_t k = 0;

	if (fs_read_all(AT_FDCWD, "/proc/devices", 1 << 16, &text, NULL) < 0)
		return false;
	for (unsigned m = 60; m < 4000 && k < 2; m++) {
		char pat[16];
		snprintf(pat, sizeof(pat), "\n%3u ", m);
		if (!strstr(text, pat))
			spare[k++] = m;
	}
	free(text);
	return k == 2;
}

static void cleanup(void)
{
	struct cgroup cg;

	if (cg_open(&cg, top, NULL) == 0) {
		cg_kill_all(&cg, SIGKILL);
		cg_destroy(&cg);
	}
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	if (*nodes) {
		DIR *d = opendir(nodes);
		struct dirent *de;
		while (d && (de = readdir(d)))
			if (de->d_name[0] != '.')
				unlinkat(dirfd(d), de->d_name, 0);
		if (d)
			closedir(d);
		rmdir(nodes);
	}
}

int main(void)
{
	struct statvfs vfs;
	struct cgroup cg;
	char path[128];

	if (geteuid() != 0) {
		printf("SKIP device programs: not root\n");
		T_DONE();
	}
	if (!is_cgroup2("/sys/fs/cgroup")) {
		if (!is_cgroup2("/sys/fs/cgroup/unified")) {
			printf("SKIP device programs: no cgroup v2 mount\n");
			T_DONE();
		}
		cg_use_root("/sys/fs/cgroup/unified", CG_V2);
	}
	errors();
	snprintf(nodes, sizeof(nodes), "/tmp/hv-test-bpf-XXXXXX");
	CHECK(mkdtemp(nodes) != NULL, "mkdtemp: %s", strerror(errno));
	if (statvfs(nodes, &vfs) == 0 && (vfs.f_flag & ST_NODEV)) {
		printf("SKIP device programs: /tmp is mounted nodev\n");
		cleanup();
		T_DONE();
	}
	CHECK(find_spare_majors(), "two unused majors in /proc/devices");
	snprintf(top, sizeof(top), "/hv-test-bpf-%d", (int)getpid());
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	snprintf(path, sizeof(path), "%s/dev", top);
	CHECK(cg_create(&cg, path) == 0 && cg.version == CG_V2, "v2 cg_create: %s", err_msg());

	rules(&cg);
	parent_program(&cg);
	against_model(&cg);
	long_list(&cg);

	CHECK(cg_destroy(&cg) == 0, "cg_destroy: %s", err_msg());
	cleanup();
	CHECK(cg_open(&cg, top, NULL) == -ENOENT, "nothing left of %s", top);
	CHECK(access(nodes, F_OK) < 0, "nothing left of %s", nodes);
	cg_use_root(NULL, 0);
	T_DONE();
}
