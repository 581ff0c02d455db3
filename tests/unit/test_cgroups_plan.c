/* SPDX-License-Identifier: MIT */
/* Control groups, pure: linux.resources -> the plan of cgroup file writes
 * for v1 and v2 (no file is touched, so the v2 mapping is checked on v1
 * hosts too), the requests refused with their messages, and the cgroup
 * paths refused before anything is created.  Real cgroups: test_cgroups.c. */
#include <errno.h>
#include <json-c/json.h>

#include "oci/cgroups-internal.h"
#include "oci/cgroups.h"
#include "t.h"
#include "util/err.h"

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

int main(void)
{
	weights();
	plans();
	devices();
	bad_input();
	paths();
	T_DONE();
}
