/* SPDX-License-Identifier: MIT */
/* Control groups: linux.resources -> cgroup files for v1 and v2 (pure),
 * then real cgroups on this host (as root): limits read back, freezing,
 * pids.max and memory limits enforced, kill and removal.  On hybrid hosts
 * the v2 paths also run against the v2 mount, which has no controllers. */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <linux/magic.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "oci/cgroups-internal.h"
#include "oci/cgroups.h"
#include "t.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/proc.h"

#define MiB (1024 * 1024)

static const char *const v1_controllers[] = { "memory", "cpu",	   "cpuacct", "cpuset",
					      "pids",	"freezer", "devices", "blkio" };
static char top[64]; /* "/hv-test-cg-PID": every real test cgroup lives below */
static char v2_root[] = "/sys/fs/cgroup/unified";

/* ---- pure: linux.resources -> writes ---------------------------------- */

/* The plan for json as "file=value;..." (or "" on error); returns the code. */
static int plan(enum cg_version v, const char *json, char *out, size_t n)
{
	struct json_object *res = json_tokener_parse(json);
	struct cg_plan p;
	size_t o = 0;
	int r;

	out[0] = '\0';
	if (!res) {
		snprintf(out, n, "(bad test JSON)");
		return -999;
	}
	r = cg_plan_resources(v, res, &p);
	for (size_t i = 0; r == 0 && i < p.n && o < n; i++)
		o += (size_t)snprintf(out + o, n - o, "%s%s=%s", i ? ";" : "", p.w[i].file, p.w[i].value);
	if (r == 0)
		cg_plan_free(&p);
	json_object_put(res);
	return r;
}

static void weights(void)
{
	CHECK(cg_shares_to_weight(2) == 1, "shares 2 -> weight 1");
	CHECK(cg_shares_to_weight(262144) == 10000, "shares 262144 -> weight 10000");
	CHECK(cg_shares_to_weight(1024) == 39, "shares 1024 -> weight %llu",
	      (unsigned long long)cg_shares_to_weight(1024));
	CHECK(cg_shares_to_weight(512) == 20, "shares 512 -> weight %llu",
	      (unsigned long long)cg_shares_to_weight(512));
}

static const char full[] =
    "{\"memory\": {\"limit\": 67108864, \"reservation\": 33554432, \"swap\": 134217728,"
    " \"disableOOMKiller\": true},"
    " \"cpu\": {\"shares\": 512, \"quota\": 50000, \"period\": 100000, \"cpus\": \"0\", \"mems\": \"0\"},"
    " \"pids\": {\"limit\": 16}, \"blockIO\": {\"weight\": 500}}";

static void plans(void)
{
	char got[1024];
	struct cg_plan p;

	CHECK(cg_plan_resources(CG_V1, NULL, &p) == 0 && p.n == 0, "no resources, no writes");
	CHECK(plan(CG_V1, full, got, sizeof(got)) == 0, "v1: %s", err_msg());
	CHECK_STR(got,
		  "cpuset.cpus=0;cpuset.mems=0;cpu.shares=512;cpu.cfs_period_us=100000;cpu.cfs_quota_us=50000;"
		  "memory.limit_in_bytes=67108864;memory.memsw.limit_in_bytes=134217728;"
		  "memory.soft_limit_in_bytes=33554432;memory.oom_control=1;pids.max=16;blkio.weight=500",
		  "v1 writes");
	CHECK(plan(CG_V2, full, got, sizeof(got)) == 0, "v2: %s", err_msg());
	CHECK_STR(got,
		  "cpuset.cpus=0;cpuset.mems=0;cpu.weight=20;cpu.max=50000 100000;memory.max=67108864;"
		  "memory.swap.max=67108864;memory.low=33554432;pids.max=16;io.weight=default 500",
		  "v2 writes (swap.max is swap alone, no OOM switch)");

	CHECK(plan(CG_V2, "{\"cpu\": {\"quota\": -1, \"period\": 20000}}", got, sizeof(got)) == 0, "v2 quota -1");
	CHECK_STR(got, "cpu.max=max 20000", "v2 quota -1 is max");
	CHECK(plan(CG_V2, "{\"cpu\": {\"quota\": 30000}}", got, sizeof(got)) == 0, "v2 quota alone");
	CHECK_STR(got, "cpu.max=30000", "v2 quota alone keeps the period");
	CHECK(plan(CG_V2, "{\"cpu\": {\"period\": 20000}}", got, sizeof(got)) == 0, "v2 period alone");
	CHECK_STR(got, "cpu.max=max 20000", "v2 period alone: quota max");
	CHECK(plan(CG_V1, "{\"memory\": {\"limit\": -1, \"swap\": -1, \"reservation\": -1}}", got, sizeof(got)) == 0,
	      "v1 unlimited");
	CHECK_STR(got, "memory.limit_in_bytes=-1;memory.memsw.limit_in_bytes=-1;memory.soft_limit_in_bytes=-1",
		  "v1 unlimited is -1");
	CHECK(plan(CG_V2, "{\"memory\": {\"limit\": -1, \"swap\": -1, \"reservation\": -1}}", got, sizeof(got)) == 0,
	      "v2 unlimited");
	CHECK_STR(got, "memory.max=max;memory.swap.max=max;memory.low=max", "v2 unlimited is max");
	CHECK(plan(CG_V2, "{\"memory\": {\"limit\": 1e8, \"swap\": 1e8}}", got, sizeof(got)) == 0,
	      "numbers written as 1e8");
	CHECK_STR(got, "memory.max=100000000;memory.swap.max=0", "v2 swap == limit is no swap");
	CHECK(plan(CG_V1, "{\"pids\": {\"limit\": 0}}", got, sizeof(got)) == 0 && !strcmp(got, "pids.max=max"),
	      "pids 0 is max: %s", got);
	CHECK(plan(CG_V2, "{\"pids\": {\"limit\": -1}}", got, sizeof(got)) == 0 && !strcmp(got, "pids.max=max"),
	      "pids -1 is max: %s", got);
	CHECK(plan(CG_V1,
		   "{\"memory\": {\"limit\": 0}, \"cpu\": {\"shares\": 0, \"cpus\": \"\"}, \"foo\": 1,"
		   " \"pids\": null, \"blockIO\": {\"weight\": 0}, \"hugepageLimits\": []}",
		   got, sizeof(got)) == 0 &&
		  !strcmp(got, ""),
	      "zero, empty, null and unknown members write nothing: '%s' %s", got, err_msg());
	/* swappiness: a v1 file; v2 has none, and runc's v2 manager ignores it */
	CHECK(plan(CG_V1, "{\"memory\": {\"swappiness\": 17}}", got, sizeof(got)) == 0, "v1 swappiness: %s", err_msg());
	CHECK_STR(got, "memory.swappiness=17", "v1 swappiness is memory.swappiness");
	CHECK(plan(CG_V1, "{\"memory\": {\"swappiness\": 0}}", got, sizeof(got)) == 0 &&
		  !strcmp(got, "memory.swappiness=0"),
	      "v1 swappiness 0 is written (never swap): '%s'", got);
	CHECK(plan(CG_V1, "{\"memory\": {\"swappiness\": -1}}", got, sizeof(got)) == 0 && !strcmp(got, ""),
	      "v1 swappiness -1 is unset: '%s'", got);
	CHECK(plan(CG_V2, "{\"memory\": {\"limit\": 1e8, \"swappiness\": 60}}", got, sizeof(got)) == 0 &&
		  !strcmp(got, "memory.max=100000000"),
	      "v2 swappiness writes nothing: '%s'", got);
}

static void devices(void)
{
	char got[1024];
	const char *rules = "{\"devices\": [{\"allow\": false, \"access\": \"rwm\"},"
			    " {\"allow\": true, \"type\": \"c\", \"major\": 1, \"minor\": 3, \"access\": \"rw\"},"
			    " {\"allow\": true, \"type\": \"b\", \"major\": 8, \"minor\": -1, \"access\": \"mr\"}]}";

	CHECK(plan(CG_V1, rules, got, sizeof(got)) == 0, "v1 device rules: %s", err_msg());
	CHECK_STR(got, "devices.deny=a *:* rwm;devices.allow=c 1:3 rw;devices.allow=b 8:* mr", "v1 device writes");
	/* v1 starts from the parent's list: an allowlist needs a reset first */
	CHECK(plan(CG_V1,
		   "{\"devices\": [{\"allow\": true, \"type\": \"c\", \"major\": 1, \"minor\": 3, \"access\": \"r\"}]}",
		   got, sizeof(got)) == 0,
	      "v1 allow rule alone: %s", err_msg());
	CHECK_STR(got, "devices.deny=a *:* rwm;devices.allow=c 1:3 r", "v1: a list without a reset gets a deny-all");
	CHECK(plan(CG_V1, "{\"devices\": [{\"allow\": true}, {\"allow\": false, \"type\": \"b\"}]}", got,
		   sizeof(got)) == 0,
	      "v1 allow-all first: %s", err_msg());
	CHECK_STR(got, "devices.allow=a *:* rwm;devices.deny=b *:* rwm",
		  "v1: a list that starts with a reset keeps it");

	/* v2: no file writes, the rules go to the eBPF program */
	struct json_object *o = json_tokener_parse(rules);
	struct cg_plan p;
	CHECK(o && cg_plan_resources(CG_V2, o, &p) == 0 && p.n == 0 && p.n_dev == 3, "v2 device rules: %s", err_msg());
	if (p.n_dev == 3) {
		CHECK(!p.dev[0].allow && p.dev[0].type == 'a' && p.dev[0].major == -1 && p.dev[0].minor == -1 &&
			  !strcmp(p.dev[0].access, "rwm"),
		      "v2 rule 0 is deny-all");
		CHECK(p.dev[1].allow && p.dev[1].type == 'c' && p.dev[1].major == 1 && p.dev[1].minor == 3 &&
			  !strcmp(p.dev[1].access, "rw"),
		      "v2 rule 1 is c 1:3 rw");
		CHECK(p.dev[2].allow && p.dev[2].type == 'b' && p.dev[2].major == 8 && p.dev[2].minor == -1 &&
			  !strcmp(p.dev[2].access, "mr"),
		      "v2 rule 2 is b 8:* mr");
		cg_plan_free(&p);
	}
	json_object_put(o);
	CHECK(plan(CG_V2, "{\"devices\": [{\"allow\": true, \"access\": \"rwm\"}]}", got, sizeof(got)) == 0 &&
		  !strcmp(got, ""),
	      "v2 takes a single allow-all: %s", err_msg());
	CHECK(plan(CG_V2, "{\"devices\": []}", got, sizeof(got)) == 0, "v2 takes no rules");
}

/* json must fail with code, and the message must contain want. */
static void refused(enum cg_version v, const char *json, int code, const char *want)
{
	char got[1024];
	int r = plan(v, json, got, sizeof(got));

	CHECK(r == code && strstr(err_msg(), want), "%s -> %d '%s', want %d '%s'", json, r, err_msg(), code, want);
}

static void bad_input(void)
{
	refused(CG_V1, "[]", -EINVAL, "linux.resources: expected an object, got an array");
	refused(CG_V1, "{\"memory\": 5}", -EINVAL, "linux.resources.memory: expected an object, got an integer");
	refused(CG_V1, "{\"memory\": {\"limit\": \"64M\"}}", -EINVAL, "linux.resources.memory.limit must be a number");
	refused(CG_V1, "{\"memory\": {\"limit\": 1.5}}", -EINVAL,
		"linux.resources.memory.limit must be a whole number");
	refused(CG_V2, "{\"memory\": {\"limit\": -2}}", -EINVAL, "linux.resources.memory.limit must be -1");
	refused(CG_V1, "{\"memory\": {\"reservation\": true}}", -EINVAL, "linux.resources.memory.reservation must be");
	refused(CG_V1, "{\"memory\": {\"limit\": 100, \"swap\": 50}}", -EINVAL,
		"linux.resources.memory.swap (50) must be at least");
	refused(CG_V2, "{\"memory\": {\"swap\": 500}}", -EINVAL, "needs a linux.resources.memory.limit");
	refused(CG_V1, "{\"memory\": {\"disableOOMKiller\": 1}}", -EINVAL,
		"linux.resources.memory.disableOOMKiller must be true or false");
	refused(CG_V1, "{\"memory\": {\"swappiness\": 101}}", -EINVAL,
		"linux.resources.memory.swappiness must be between 0 and 100");
	refused(CG_V2, "{\"memory\": {\"swappiness\": \"high\"}}", -EINVAL,
		"linux.resources.memory.swappiness must be a number");
	refused(CG_V1, "{\"cpu\": []}", -EINVAL, "linux.resources.cpu: expected an object, got an array");
	refused(CG_V1, "{\"cpu\": {\"shares\": 1}}", -EINVAL,
		"linux.resources.cpu.shares must be between 2 and 262144");
	refused(CG_V2, "{\"cpu\": {\"shares\": 300000}}", -EINVAL, "linux.resources.cpu.shares must be between");
	refused(CG_V1, "{\"cpu\": {\"quota\": 10}}", -EINVAL, "linux.resources.cpu.quota must be -1");
	refused(CG_V1, "{\"cpu\": {\"period\": 10}}", -EINVAL, "linux.resources.cpu.period must be between");
	refused(CG_V1, "{\"cpu\": {\"cpus\": 0}}", -EINVAL,
		"linux.resources.cpu.cpus: expected a string, got an integer");
	refused(CG_V1, "{\"cpu\": {\"mems\": \"0;1\"}}", -EINVAL, "linux.resources.cpu.mems must be a list");
	refused(CG_V1, "{\"pids\": {\"limit\": \"many\"}}", -EINVAL, "linux.resources.pids.limit must be a number");
	refused(CG_V1, "{\"blockIO\": {\"weight\": 5}}", -EINVAL, "linux.resources.blockIO.weight must be between");
	refused(CG_V1, "{\"devices\": {}}", -EINVAL, "linux.resources.devices: expected an array, got an object");
	refused(CG_V1, "{\"devices\": [3]}", -EINVAL, "linux.resources.devices[0]: expected an object, got an integer");
	/* a JSON null where a value is needed is a named error, never a crash */
	refused(CG_V1, "{\"devices\": [null]}", -EINVAL, "linux.resources.devices[0]: expected an object, got null");
	refused(CG_V1, "{\"devices\": [{\"allow\": null}]}", -EINVAL, "linux.resources.devices[0].allow is missing");
	refused(CG_V1, "{\"devices\": [{\"allow\": true, \"access\": 7}]}", -EINVAL,
		"linux.resources.devices[0].access: expected a string, got an integer");
	refused(CG_V1, "{\"devices\": [{\"type\": \"c\"}]}", -EINVAL, "linux.resources.devices[0].allow is missing");
	refused(CG_V1, "{\"devices\": [{\"allow\": true}, {\"allow\": true, \"type\": \"x\"}]}", -EINVAL,
		"linux.resources.devices[1].type must be");
	refused(CG_V1, "{\"devices\": [{\"allow\": true, \"type\": \"c\", \"access\": \"rwx\"}]}", -EINVAL,
		"linux.resources.devices[0].access must combine");
	refused(CG_V1, "{\"devices\": [{\"allow\": true, \"type\": \"c\", \"access\": \"rr\"}]}", -EINVAL,
		"linux.resources.devices[0].access must combine");
	refused(CG_V1, "{\"devices\": [{\"allow\": true, \"type\": \"c\", \"access\": \"\"}]}", -EINVAL,
		"linux.resources.devices[0].access is empty");
	refused(CG_V1, "{\"devices\": [{\"allow\": true, \"type\": \"c\", \"major\": -5}]}", -EINVAL,
		"linux.resources.devices[0].major must be -1");
	refused(CG_V1, "{\"devices\": [{\"allow\": true, \"type\": \"c\", \"minor\": \"3\"}]}", -EINVAL,
		"linux.resources.devices[0].minor must be a number");
	refused(CG_V1, "{\"devices\": [{\"allow\": false, \"major\": 1}]}", -EINVAL, "must be absent for type \"a\"");
	refused(CG_V1, "{\"devices\": [{\"allow\": false, \"access\": \"r\"}]}", -EINVAL, "must be \"rwm\" for type");
	refused(CG_V1, "{\"hugepageLimits\": [{\"pageSize\": \"2MB\", \"limit\": 1}]}", -ENOTSUP,
		"linux.resources.hugepageLimits is not supported");
	refused(CG_V2, "{\"cpu\": {\"realtimeRuntime\": 1000}}", -ENOTSUP,
		"linux.resources.cpu.realtimeRuntime is not supported");
	/* a bad member after good ones leaves no half-made plan behind (ASan) */
	refused(CG_V1, "{\"cpu\": {\"shares\": 512}, \"pids\": {\"limit\": []}}", -EINVAL,
		"linux.resources.pids.limit must be a number");
}

static void paths(void)
{
	struct cgroup cg;

	CHECK(cg_create(&cg, "/") == -EINVAL && strstr(err_msg(), "root"), "the root is refused: %s", err_msg());
	CHECK(cg_create(&cg, "///") == -EINVAL, "slashes are the root too");
	CHECK(cg_create(&cg, "/a/../b") == -EINVAL && strstr(err_msg(), "'..'"), "'..' is refused: %s", err_msg());
	CHECK(cg_create(&cg, "") == -EINVAL, "an empty path is refused");
	CHECK(cg_open(&cg, "/hv-test-cg-does-not-exist", NULL) == -ENOENT && strstr(err_msg(), "does not exist"),
	      "cg_open of a missing cgroup: %s", err_msg());
}

/* ---- real cgroups ------------------------------------------------------ */

/* dir/file with its lines joined by spaces, or "(error)". */
static const char *cat(const struct cgroup *cg, const char *controller, const char *file)
{
	static char out[4][256];
	static int slot;
	char dir[512], path[600];
	char *buf = NULL;
	char *o = out[slot++ % 4];

	snprintf(o, 256, "(error)");
	if (cg_dir(cg, controller, dir, sizeof(dir)) < 0)
		return o;
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if (fs_read_all(AT_FDCWD, path, 1 << 20, &buf, NULL) < 0)
		return o;
	for (size_t n = strlen(buf); n > 0 && buf[n - 1] == '\n';)
		buf[--n] = '\0';
	for (char *c = buf; *c; c++)
		if (*c == '\n')
			*c = ' ';
	snprintf(o, 256, "%s", buf);
	free(buf);
	return o;
}

static bool dir_exists(const struct cgroup *cg, const char *controller)
{
	char dir[512];
	return cg_dir(cg, controller, dir, sizeof(dir)) == 0 && access(dir, F_OK) == 0;
}

static struct json_object *J(const char *s)
{
	struct json_object *o = json_tokener_parse(s);
	if (!o)
		fprintf(stderr, "bad test JSON: %s\n", s);
	return o;
}

static int apply(struct cgroup *cg, const char *json)
{
	struct json_object *o = J(json);
	int r = o ? cg_apply(cg, o) : -999;
	json_object_put(o);
	return r;
}

static pid_t sleeper(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		for (;;)
			pause();
	}
	return pid;
}

/* Fork a child that runs fn() only once the parent has released it
 * (after placing it in a cgroup). */
static pid_t fork_gated(int (*fn)(void), int *gate)
{
	int p[2];
	pid_t pid;

	if (pipe(p) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		char c;
		close(p[1]);
		if (read(p[0], &c, 1) != 1)
			_exit(99);
		_exit(fn());
	}
	close(p[0]);
	*gate = p[1];
	return pid;
}

static void release(int gate)
{
	if (write(gate, "x", 1) != 1)
		perror("release");
	close(gate);
}

static int wait_for(pid_t pid)
{
	int st = -1;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return st;
}

static bool has_pid(struct cgroup *cg, pid_t pid, size_t *count)
{
	pid_t *pids = NULL;
	size_t n = 0;
	bool found = false;

	if (cg_pids(cg, &pids, &n) < 0)
		return false;
	for (size_t i = 0; i < n; i++)
		found |= pids[i] == pid;
	free(pids);
	if (count)
		*count = n;
	return found;
}

static char proc_state(pid_t pid)
{
	char path[64], *buf = NULL, st = '?';
	const char *s;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (fs_read_all(AT_FDCWD, path, 1 << 16, &buf, NULL) < 0)
		return st;
	s = strstr(buf, "\nState:\t");
	if (s)
		st = s[8];
	free(buf);
	return st;
}

static void container(void)
{
	char path[128], want[128];
	struct cgroup cg, parent;
	pid_t pid;
	bool frozen = false;
	size_t n = 0;
	int st;

	snprintf(path, sizeof(path), "/%s//ctr/", top); /* untidy on purpose */
	CHECK(cg_create(&cg, path) == 0, "cg_create: %s", err_msg());
	snprintf(want, sizeof(want), "%s/ctr", top);
	CHECK_STR(cg.path, want, "the path is normalized");
	CHECK(cg_create(&cg, path) == 0, "creating it again is fine: %s", err_msg());
	CHECK(cg_open(&parent, top, NULL) == 0, "cg_open of the parent: %s", err_msg());
	if (cg.version == CG_V1) {
		for (size_t i = 0; i < sizeof(v1_controllers) / sizeof(*v1_controllers); i++)
			CHECK(dir_exists(&cg, v1_controllers[i]), "the cgroup exists under %s", v1_controllers[i]);
		CHECK(strcmp(cat(&parent, "cpuset", "cpuset.cpus"), "") &&
			  strcmp(cat(&cg, "cpuset", "cpuset.cpus"), ""),
		      "cpuset.cpus inherited at both levels");
		CHECK(strcmp(cat(&cg, "cpuset", "cpuset.mems"), ""), "cpuset.mems inherited");
	}

	CHECK(apply(&cg, "{\"memory\": {\"limit\": 67108864}, \"pids\": {\"limit\": 16},"
			 " \"cpu\": {\"shares\": 512, \"quota\": 50000, \"period\": 100000, \"cpus\": \"0\"}}") == 0,
	      "cg_apply: %s", err_msg());
	if (cg.version == CG_V1) {
		CHECK_STR(cat(&cg, "memory", "memory.limit_in_bytes"), "67108864", "memory.limit_in_bytes");
		CHECK_STR(cat(&cg, "cpu", "cpu.shares"), "512", "cpu.shares");
		CHECK_STR(cat(&cg, "cpu", "cpu.cfs_quota_us"), "50000", "cpu.cfs_quota_us");
		CHECK_STR(cat(&cg, "cpu", "cpu.cfs_period_us"), "100000", "cpu.cfs_period_us");
	} else {
		CHECK_STR(cat(&cg, NULL, "memory.max"), "67108864", "memory.max");
		CHECK_STR(cat(&cg, NULL, "cpu.weight"), "20", "cpu.weight");
		CHECK_STR(cat(&cg, NULL, "cpu.max"), "50000 100000", "cpu.max");
	}
	CHECK_STR(cat(&cg, "pids", "pids.max"), "16", "pids.max");
	CHECK_STR(cat(&cg, "cpuset", "cpuset.cpus"), "0", "cpuset.cpus");

	/* memory+swap first at 64M, then both raised: the limit write fails
	 * until memory+swap is raised first */
	CHECK(apply(&cg, "{\"memory\": {\"limit\": 67108864, \"swap\": 67108864}}") == 0, "swap = limit: %s",
	      err_msg());
	CHECK(apply(&cg, "{\"memory\": {\"limit\": 134217728, \"swap\": 268435456}}") == 0, "both raised: %s",
	      err_msg());
	if (cg.version == CG_V1) {
		CHECK_STR(cat(&cg, "memory", "memory.limit_in_bytes"), "134217728", "raised limit");
		if (dir_exists(&cg, "memory") && access("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes", F_OK) == 0)
			CHECK_STR(cat(&cg, "memory", "memory.memsw.limit_in_bytes"), "268435456", "raised memory+swap");
	}
	CHECK(apply(&cg, "{\"memory\": {\"limit\": \"lots\"}}") == -EINVAL &&
		  strstr(err_msg(), "linux.resources.memory.limit must be a number"),
	      "a bad type is refused: %s", err_msg());
	if (cg.version == CG_V1)
		CHECK_STR(cat(&cg, "memory", "memory.limit_in_bytes"), "134217728", "a refused config changes nothing");

	pid = sleeper();
	CHECK(pid > 0 && cg_add_pid(&cg, pid) == 0, "cg_add_pid: %s", err_msg());
	CHECK(has_pid(&cg, pid, &n) && n == 1, "cg_pids lists the child (%zu pids)", n);
	CHECK(has_pid(&parent, pid, NULL), "the parent's cg_pids includes its children's");
	CHECK(cg_add_pid(&cg, 0) == -EINVAL, "pid 0 is refused");

	CHECK(cg_freeze(&cg, true) == 0, "freeze: %s", err_msg());
	CHECK(cg_is_frozen(&cg, &frozen) == 0 && frozen, "frozen");
	if (cg.version == CG_V1)
		CHECK(proc_state(pid) == 'D' || !strcmp(cat(&cg, "freezer", "freezer.state"), "FROZEN"),
		      "the child is frozen (State %c, freezer.state %s)", proc_state(pid),
		      cat(&cg, "freezer", "freezer.state"));
	else
		CHECK(strstr(cat(&cg, NULL, "cgroup.freeze"), "1"), "cgroup.freeze is 1");
	CHECK(cg_freeze(&cg, false) == 0, "thaw: %s", err_msg());
	CHECK(cg_is_frozen(&cg, &frozen) == 0 && !frozen, "thawed");
	/* just thawed, it may still be running on its way back to pause() */
	for (int i = 0; i < 100 && proc_state(pid) != 'S'; i++)
		proc_sleep_ms(10);
	CHECK(kill(pid, 0) == 0 && proc_state(pid) == 'S', "the child sleeps on (State %c)", proc_state(pid));

	CHECK(cg_kill_all(&cg, SIGKILL) == 0, "cg_kill_all: %s", err_msg());
	st = wait_for(pid);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "the child got SIGKILL (status %#x)", st);
	CHECK(!has_pid(&cg, pid, &n) && n == 0, "cg_pids is empty (%zu)", n);

	CHECK(cg_destroy(&cg) == 0, "cg_destroy: %s", err_msg());
	for (size_t i = 0; i < sizeof(v1_controllers) / sizeof(*v1_controllers); i++) {
		CHECK(!dir_exists(&cg, v1_controllers[i]), "gone under %s", v1_controllers[i]);
		CHECK(dir_exists(&parent, v1_controllers[i]), "the parent stays under %s", v1_controllers[i]);
		if (cg.version == CG_V2)
			break;
	}
	CHECK(cg_destroy(&cg) == 0, "destroying it again is fine: %s", err_msg());
	CHECK(cg_open(&cg, path, NULL) == -ENOENT, "cg_open after cg_destroy");
}

/* Fork 10 children that wait; count the forks that worked (+100 when
 * one failed with EAGAIN). */
static int fork_ten(void)
{
	pid_t kids[10];
	int ok = 0, again = 0;

	for (int i = 0; i < 10; i++) {
		pid_t k = fork();
		if (k == 0) {
			for (;;)
				pause();
		}
		if (k > 0)
			kids[ok++] = k;
		else if (errno == EAGAIN)
			again = 1;
	}
	for (int i = 0; i < ok; i++) {
		kill(kids[i], SIGKILL);
		waitpid(kids[i], NULL, 0);
	}
	return ok + 100 * again;
}

static void pids_limit(void)
{
	char path[128];
	struct cgroup cg;
	int gate = -1, st;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/pids", top);
	CHECK(cg_create(&cg, path) == 0 && apply(&cg, "{\"pids\": {\"limit\": 5}}") == 0, "pids cgroup: %s", err_msg());
	pid = fork_gated(fork_ten, &gate);
	CHECK(pid > 0 && cg_add_pid(&cg, pid) == 0, "add the forker: %s", err_msg());
	release(gate);
	st = wait_for(pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 104, "4 forks worked, then EAGAIN (status %#x: %d forks%s)", st,
	      WEXITSTATUS(st) % 100, WEXITSTATUS(st) >= 100 ? ", EAGAIN" : "");
	CHECK(cg_destroy(&cg) == 0, "cg_destroy: %s", err_msg());
}

static int touch_256m(void)
{
	size_t len = 256 * MiB;
	volatile char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (m == MAP_FAILED)
		return 2;
	for (int round = 0; round < 8; round++)
		for (size_t o = 0; o < len; o += 4096)
			m[o] = (char)(o + round);
	return 0;
}

static void memory_limit(void)
{
	char path[128];
	struct cgroup cg;
	int gate = -1, st;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/oom", top);
	/* swap == limit, so the child cannot escape into swap */
	CHECK(cg_create(&cg, path) == 0 && apply(&cg, "{\"memory\": {\"limit\": 33554432, \"swap\": 33554432}}") == 0,
	      "memory cgroup: %s", err_msg());
	pid = fork_gated(touch_256m, &gate);
	CHECK(pid > 0 && cg_add_pid(&cg, pid) == 0, "add the toucher: %s", err_msg());
	release(gate);
	st = wait_for(pid);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "touching 256M in 32M: OOM-killed (status %#x)", st);
	CHECK(cg_destroy(&cg) == 0, "cg_destroy: %s", err_msg());
}

static int open_two(void)
{
	int null_fd = open("/dev/null", O_RDWR), zero_fd = open("/dev/zero", O_RDONLY);
	int zero_err = errno;

	if (null_fd < 0)
		return 1;
	if (zero_fd >= 0 || zero_err != EPERM)
		return 2;
	return 0;
}

static void device_rules(void)
{
	char path[128];
	struct cgroup cg;
	int gate = -1, st;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/dev", top);
	CHECK(cg_create(&cg, path) == 0, "devices cgroup: %s", err_msg());
	CHECK(apply(&cg, "{\"devices\": [{\"allow\": false, \"access\": \"rwm\"},"
			 " {\"allow\": true, \"type\": \"c\", \"major\": 1, \"minor\": 3, \"access\": \"rwm\"}]}") == 0,
	      "device rules: %s", err_msg());
	CHECK_STR(cat(&cg, "devices", "devices.list"), "c 1:3 rwm", "devices.list");
	pid = fork_gated(open_two, &gate);
	CHECK(pid > 0 && cg_add_pid(&cg, pid) == 0, "add the opener: %s", err_msg());
	release(gate);
	st = wait_for(pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "/dev/null opens, /dev/zero is EPERM (status %#x)", st);
	/* an allowlist even without a deny-all first */
	CHECK(apply(&cg, "{\"devices\": [{\"allow\": true}]}") == 0, "allow all: %s", err_msg());
	CHECK_STR(cat(&cg, "devices", "devices.list"), "a *:* rwm", "devices.list after allow-all");
	CHECK(apply(&cg, "{\"devices\": [{\"allow\": true, \"type\": \"c\", \"major\": 1, \"minor\": 5, "
			 "\"access\": \"r\"}]}") == 0,
	      "one allow rule: %s", err_msg());
	CHECK_STR(cat(&cg, "devices", "devices.list"), "c 1:5 r", "devices.list: that rule alone");
	CHECK(cg_destroy(&cg) == 0, "cg_destroy: %s", err_msg());
}

/* Three rounds of everyone forking: 8 processes, all killed at once. */
static int fork_eight(void)
{
	for (int i = 0; i < 3; i++)
		fork();
	pause(); /* until killed */
	return 1;
}

static void kill_family(void)
{
	char path[128];
	struct cgroup cg;
	size_t n = 0;
	int gate = -1, st;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/family", top);
	CHECK(cg_create(&cg, path) == 0, "family cgroup: %s", err_msg());
	pid = fork_gated(fork_eight, &gate);
	CHECK(pid > 0 && cg_add_pid(&cg, pid) == 0, "add the parent: %s", err_msg());
	release(gate);
	for (int i = 0; i < 200 && (has_pid(&cg, pid, &n), n < 8); i++)
		proc_sleep_ms(10);
	CHECK(n == 8, "1 + 1 + 2 + 4 processes in the cgroup (%zu)", n);
	CHECK(cg_kill_all(&cg, SIGKILL) == 0, "cg_kill_all: %s", err_msg());
	st = wait_for(pid);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "the parent got SIGKILL (status %#x)", st);
	while (waitpid(-1, NULL, WNOHANG) > 0) /* we are their subreaper */
		;
	CHECK(!has_pid(&cg, pid, &n) && n == 0, "nobody left (%zu)", n);
	CHECK(cg_destroy(&cg) == 0, "cg_destroy: %s", err_msg());
}

/* The v2 code on the v2 mount of a hybrid host: no controllers there, but
 * creation, processes, freezing, cgroup.kill and removal all work. */
static void v2_on_hybrid(void)
{
	char path[128];
	struct cgroup cg;
	bool frozen = false;
	size_t n = 0;
	pid_t pid;
	int st;

	cg_use_root(v2_root, CG_V2);
	snprintf(path, sizeof(path), "%s-v2/ctr", top);
	CHECK(cg_create(&cg, path) == 0 && cg.version == CG_V2, "v2 cg_create: %s", err_msg());
	CHECK(dir_exists(&cg, NULL), "the v2 cgroup exists");
	CHECK(apply(&cg, "{\"devices\": [{\"allow\": true}]}") == 0, "allow-all devices on v2: %s", err_msg());
	CHECK(apply(&cg, "{\"pids\": {\"limit\": 5}}") == -ENOENT &&
		  strstr(err_msg(), "linux.resources.pids.limit: ") && strstr(err_msg(), "pids.max"),
	      "a controller not delegated: %s", err_msg());
	pid = sleeper();
	CHECK(pid > 0 && cg_add_pid(&cg, pid) == 0, "v2 cg_add_pid: %s", err_msg());
	CHECK(has_pid(&cg, pid, &n) && n == 1, "v2 cg_pids (%zu)", n);
	CHECK(cg_freeze(&cg, true) == 0 && cg_is_frozen(&cg, &frozen) == 0 && frozen, "v2 freeze: %s", err_msg());
	CHECK(strstr(cat(&cg, NULL, "cgroup.events"), "frozen 1"), "cgroup.events: %s",
	      cat(&cg, NULL, "cgroup.events"));
	CHECK(cg_freeze(&cg, false) == 0 && cg_is_frozen(&cg, &frozen) == 0 && !frozen, "v2 thaw: %s", err_msg());
	CHECK(cg_freeze(&cg, true) == 0, "v2 freeze again: %s", err_msg());
	CHECK(cg_kill_all(&cg, SIGKILL) == 0, "v2 cg_kill_all of a frozen cgroup: %s", err_msg());
	st = wait_for(pid);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "v2: SIGKILL (status %#x)", st);
	CHECK(cg_destroy(&cg) == 0 && !dir_exists(&cg, NULL), "v2 cg_destroy: %s", err_msg());
	snprintf(path, sizeof(path), "%s-v2", top);
	CHECK(cg_open(&cg, path, NULL) == 0 && cg_destroy(&cg) == 0 && !dir_exists(&cg, NULL), "v2 parent removed: %s",
	      err_msg());
	cg_use_root(NULL, 0);
}

/* This process's cgroup in hierarchy h ("memory"; "" the unified one),
 * "" for the root. */
static void own_cgroup(const char *h, char *out, size_t n)
{
	char line[512];
	FILE *f = fopen("/proc/self/cgroup", "re");

	out[0] = '\0';
	while (f && fgets(line, sizeof(line), f)) {
		char *list = strchr(line, ':'), *path = list ? strchr(list + 1, ':') : NULL;
		if (!path || (size_t)(path - list - 1) != strlen(h) || strncmp(list + 1, h, strlen(h)))
			continue;
		path[strcspn(path, "\n")] = '\0';
		snprintf(out, n, "%s", strcmp(path + 1, "/") ? path + 1 : "");
	}
	if (f)
		fclose(f);
}

static bool is_cgroup2(const char *path);

/* v2: the parent of this process's unified cgroup, "" for the root */
static void own_v2_parent(char *out, size_t n)
{
	char *slash;

	own_cgroup("", out, n);
	if ((slash = strrchr(out, '/')))
		*slash = '\0';
}

/* A relative path hangs below the caller's cgroups (runc's rule); the
 * parents recorded at creation find it again. */
static void relative(void)
{
	char rel[128], own[512], want[1024], got[1024], base[1024];
	struct cgroup cg, again;

	snprintf(rel, sizeof(rel), "%s-rel/ctr", top + 1);
	CHECK(cg_create(&cg, rel) == 0, "cg_create of a relative path: %s", err_msg());
	CHECK(cg.parents[0] != '\0', "its parents are recorded");
	if (cg.version == CG_V1) {
		own_cgroup("memory", own, sizeof(own));
		snprintf(want, sizeof(want), "/sys/fs/cgroup/memory%s/%s", own, rel);
		CHECK(cg_dir(&cg, "memory", got, sizeof(got)) == 0, "cg_dir: %s", err_msg());
		CHECK_STR(got, want, "v1: below this process's memory cgroup");
		own_cgroup("pids", own, sizeof(own));
		snprintf(want, sizeof(want), "/sys/fs/cgroup/pids%s/%s", own, rel);
		CHECK(cg_dir(&cg, "pids", got, sizeof(got)) == 0 && !strcmp(got, want), "v1 pids: %s, want %s", got,
		      want);
	} else {
		own_v2_parent(own, sizeof(own));
		snprintf(want, sizeof(want), "/sys/fs/cgroup%s/%s", own, rel);
		CHECK(cg_dir(&cg, NULL, got, sizeof(got)) == 0 && !strcmp(got, want), "v2: %s, want %s", got, want);
	}
	CHECK(access(got, F_OK) == 0, "it exists: %s", got);
	CHECK(cg_open(&again, cg.path, cg.parents) == 0, "cg_open with the recorded parents: %s", err_msg());
	CHECK(cg_dir(&again, cg.version == CG_V1 ? "pids" : NULL, want, sizeof(want)) == 0 && !strcmp(got, want),
	      "names the same directory: %s", want);
	CHECK(cg_destroy(&again) == 0 && access(got, F_OK) < 0, "cg_destroy removes it: %s", err_msg());
	/* the level above stays, as with runc */
	snprintf(rel, sizeof(rel), "%s-rel", top);
	CHECK(cg_open(&again, rel + 1, cg.parents) == 0 && cg_destroy(&again) == 0, "the parent level goes too: %s",
	      err_msg());
	if (cg.version == CG_V1 && is_cgroup2(v2_root)) {
		/* v2: below the parent of the caller's unified cgroup */
		cg_use_root(v2_root, CG_V2);
		snprintf(rel, sizeof(rel), "%s-rel2", top + 1);
		CHECK(cg_create(&cg, rel) == 0, "v2 cg_create of a relative path: %s", err_msg());
		own_v2_parent(own, sizeof(own));
		snprintf(base, sizeof(base), "%s%s/%s", v2_root, own, rel);
		CHECK(cg_dir(&cg, NULL, got, sizeof(got)) == 0 && !strcmp(got, base),
		      "v2: below the parent of this process's cgroup: %s, want %s", got, base);
		CHECK(cg_destroy(&cg) == 0 && access(base, F_OK) < 0, "v2 cg_destroy: %s", err_msg());
		cg_use_root(NULL, 0);
	}
}

/* Whatever a failed check left behind: kill it and remove it. */
static void cleanup(void)
{
	char path[128];
	struct cgroup cg;

	if (cg_open(&cg, top, NULL) == 0) {
		cg_kill_all(&cg, SIGKILL);
		cg_destroy(&cg);
	}
	cg_use_root(v2_root, CG_V2);
	snprintf(path, sizeof(path), "%s-v2", top);
	if (cg_open(&cg, path, NULL) == 0) {
		cg_kill_all(&cg, SIGKILL);
		cg_destroy(&cg);
	}
	cg_use_root(NULL, 0);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

static bool is_cgroup2(const char *path)
{
	struct statfs st;
	return statfs(path, &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC;
}

int main(void)
{
	weights();
	plans();
	devices();
	bad_input();
	paths();

	if (geteuid() != 0) {
		printf("SKIP real cgroups: not root\n");
		T_DONE();
	}
	snprintf(top, sizeof(top), "/hv-test-cg-%d", (int)getpid());
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	container();
	pids_limit();
	memory_limit();
	if (cg_detect() == CG_V1)
		device_rules();
	kill_family();
	relative();
	if (cg_detect() == CG_V1 && is_cgroup2(v2_root))
		v2_on_hybrid();
	else
		printf("SKIP v2 on a hybrid host: %s\n", cg_detect() == CG_V2 ? "this host is v2" : "no v2 mount");

	cleanup();
	struct cgroup cg;
	char path[128];
	CHECK(cg_open(&cg, top, NULL) == -ENOENT, "nothing left of %s", top);
	cg_use_root(v2_root, CG_V2);
	snprintf(path, sizeof(path), "%s-v2", top);
	CHECK(cg_open(&cg, path, NULL) == -ENOENT, "nothing left of %s on the v2 mount", path);
	cg_use_root(NULL, 0);
	T_DONE();
}
