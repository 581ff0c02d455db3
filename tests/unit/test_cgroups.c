/* SPDX-License-Identifier: MIT */
/* Control groups: real cgroups on this host (as root): limits read back,
 * freezing, pids.max and memory limits enforced, kill and removal (the
 * pure linux.resources -> writes mapping: test_cgroups_plan.c).  On hybrid hosts
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
