/* SPDX-License-Identifier: MIT */
/* Capabilities and seccomp of OCI containers: parsing and, in forked
 * children, the real effect on a process. */
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "oci/caps.h"
#include "oci/seccomp.h"
#include "t.h"
#include "util/err.h"

#define BIT(c) (1ULL << (c))

/* The set podman gives a container by default. */
#define PODMAN_CAPS                                                                                                    \
	"\"CAP_CHOWN\", \"CAP_DAC_OVERRIDE\", \"CAP_FOWNER\", \"CAP_FSETID\", \"CAP_KILL\", "                          \
	"\"CAP_NET_BIND_SERVICE\", \"CAP_SETFCAP\", \"CAP_SETGID\", \"CAP_SETPCAP\", \"CAP_SETUID\", "                 \
	"\"CAP_SYS_CHROOT\""
static const uint64_t podman_mask = BIT(CAP_CHOWN) | BIT(CAP_DAC_OVERRIDE) | BIT(CAP_FOWNER) | BIT(CAP_FSETID) |
				    BIT(CAP_KILL) | BIT(CAP_NET_BIND_SERVICE) | BIT(CAP_SETFCAP) | BIT(CAP_SETGID) |
				    BIT(CAP_SETPCAP) | BIT(CAP_SETUID) | BIT(CAP_SYS_CHROOT);

static struct json_object *parse_json(const char *text)
{
	struct json_object *o = json_tokener_parse(text);

	if (!o) {
		fprintf(stderr, "test bug: bad JSON: %s\n", text);
		exit(2);
	}
	return o;
}

/* ---- running a check in a forked child ---- */

static int child_fd = -1;

/* A child's explanation of what went wrong, read by the parent. */
static void child_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void child_say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdprintf(child_fd, fmt, ap);
	va_end(ap);
}

/* Run fn in a child; *status is its wait status, msg what it said. */
static void in_child(int (*fn)(const void *), const void *arg, int *status, char *msg, size_t len)
{
	int p[2];
	size_t used = 0;
	ssize_t n;
	pid_t pid;

	*status = -1;
	msg[0] = '\0';
	if (pipe2(p, O_CLOEXEC) < 0)
		return;
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return;
	if (pid == 0) {
		/* SIGSYS would otherwise leave a core file behind. */
		struct rlimit no_core = { 0, 0 };
		setrlimit(RLIMIT_CORE, &no_core);
		close(p[0]);
		child_fd = p[1];
		/* exit_group directly: the sanitizers' _exit wrapper makes
		 * system calls a seccomp filter may refuse. */
		syscall(SYS_exit_group, fn(arg));
		_exit(127);
	}
	close(p[1]);
	while (used + 1 < len && (n = read(p[0], msg + used, len - used - 1)) > 0)
		used += (size_t)n;
	msg[used] = '\0';
	close(p[0]);
	while (waitpid(pid, status, 0) < 0 && errno == EINTR)
		;
}

static bool exited_with(int status, int code)
{
	return status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == code;
}

static bool killed_by(int status, int sig)
{
	return status != -1 && WIFSIGNALED(status) && WTERMSIG(status) == sig;
}

/* ---- capabilities ---- */

static void cap_names(void)
{
	int bad = -1;

	for (int i = 0; i <= CAP_LAST_CAP; i++)
		if (!caps_name(i) || caps_from_name(caps_name(i)) != i)
			bad = i;
	CHECK(bad == -1, "every capability 0..%d round-trips through its name (first failure: %d)", CAP_LAST_CAP, bad);
	CHECK(caps_from_name("CAP_CHOWN") == 0, "CAP_CHOWN is 0");
	CHECK(caps_from_name("CAP_NET_ADMIN") == 12, "CAP_NET_ADMIN is 12");
	CHECK(caps_from_name("CAP_CHECKPOINT_RESTORE") == 40, "CAP_CHECKPOINT_RESTORE is 40");
	CHECK_STR(caps_name(CAP_SYS_ADMIN), "CAP_SYS_ADMIN", "caps_name(21)");
	CHECK(caps_name(-1) == NULL && caps_name(CAP_LAST_CAP + 1) == NULL, "no name outside the table");
	err_clear();
	CHECK(caps_from_name("CAP_FOO") == -EINVAL && !strcmp(err_msg(), "unknown capability 'CAP_FOO'"),
	      "an unknown name is refused: %s", err_msg());
	CHECK(caps_from_name("cap_chown") == -EINVAL, "names are upper case, as in the spec");
	CHECK(caps_from_name("") == -EINVAL, "an empty name");

	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "r");
	int last = -1;
	if (f) {
		if (fscanf(f, "%d", &last) != 1)
			last = -1;
		fclose(f);
	}
	CHECK(last < 0 || caps_last() == (last > 63 ? 63 : last), "caps_last() %d follows the kernel's %d", caps_last(),
	      last);
	CHECK(caps_last() >= CAP_SYS_ADMIN, "caps_last() %d is plausible", caps_last());
}

static void cap_parsing(void)
{
	struct oci_caps c;
	struct json_object *o;
	int r;

	CHECK(caps_parse(NULL, &c) == 0 && !c.given && !c.bounding && !c.effective, "nothing given");

	o = parse_json("{ \"bounding\": [" PODMAN_CAPS "], \"effective\": [" PODMAN_CAPS "], "
		       "\"permitted\": [" PODMAN_CAPS "], \"inheritable\": [], \"x-vendor\": 1 }");
	r = caps_parse(o, &c);
	CHECK(r == 0, "podman's set parses: %s", err_msg());
	CHECK(c.given && c.bounding == podman_mask && c.effective == podman_mask && c.permitted == podman_mask,
	      "bounding/effective/permitted are podman's 11 capabilities (%#llx)", (unsigned long long)c.bounding);
	CHECK(c.inheritable == 0 && c.ambient == 0, "an empty and a missing set are empty");
	json_object_put(o);

	struct json_object *arr = caps_to_json(BIT(CAP_CHOWN) | BIT(CAP_NET_ADMIN) | BIT(CAP_CHECKPOINT_RESTORE));
	CHECK_STR(arr ? json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN) : NULL,
		  "[\"CAP_CHOWN\",\"CAP_NET_ADMIN\",\"CAP_CHECKPOINT_RESTORE\"]", "caps_to_json");
	json_object_put(arr);
	arr = caps_to_json(0);
	CHECK(arr && json_object_array_length(arr) == 0, "caps_to_json of nothing is []");
	json_object_put(arr);

	o = parse_json("{ \"bounding\": [\"CAP_CHOWN\", 5] }");
	r = caps_parse(o, &c);
	CHECK(r == -EINVAL && strstr(err_msg(), "bounding[1] must be a string"), "a number among the names: %s",
	      err_msg());
	json_object_put(o);

	o = parse_json("{ \"effective\": [\"CAP_KILL\", \"CAP_FOO\"] }");
	r = caps_parse(o, &c);
	CHECK(r == -EINVAL && !strcmp(err_msg(), "effective[1]: unknown capability 'CAP_FOO'"),
	      "an unknown capability: %s", err_msg());
	json_object_put(o);

	o = parse_json("{ \"permitted\": \"CAP_CHOWN\" }");
	r = caps_parse(o, &c);
	CHECK(r == -EINVAL && strstr(err_msg(), "permitted: expected an array, got a string"),
	      "a string instead of an array: %s", err_msg());
	json_object_put(o);

	o = parse_json("{ \"ambient\": [\"CAP_CHOWN\", null] }");
	r = caps_parse(o, &c);
	CHECK(r == -EINVAL && strstr(err_msg(), "ambient[1] must be a string") && strstr(err_msg(), "got null"),
	      "a null among the names is a named error: %s", err_msg());
	json_object_put(o);

	o = parse_json("[\"CAP_CHOWN\"]");
	CHECK(caps_parse(o, &c) == -EINVAL, "an array instead of an object: %s", err_msg());
	json_object_put(o);
}

static uint64_t status_mask(const char *key)
{
	char line[256];
	size_t n = strlen(key);
	unsigned long long v = 0;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return UINT64_MAX;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == ':')
			sscanf(line + n + 1, "%llx", &v);
	fclose(f);
	return v;
}

struct caps_case {
	const char *json;
	uint64_t want_bnd, want_eff, want_prm, want_amb;
	const char *file;
};

static int child_caps(const void *arg)
{
	const struct caps_case *t = arg;
	struct json_object *o = parse_json(t->json);
	struct oci_caps c;
	int fails = 0;

	if (caps_parse(o, &c) < 0 || caps_prepare(&c) < 0 || caps_apply(&c) < 0) {
		child_say("%s", err_msg());
		return 100;
	}
	if (prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0) != 1 && ++fails)
		child_say("PR_SET_KEEPCAPS is not set; ");
#define WANT_MASK(key, want)                                                                                           \
	if (status_mask(key) != (want) && ++fails)                                                                     \
	child_say("%s is %#llx, want %#llx; ", key, (unsigned long long)status_mask(key), (unsigned long long)(want))
	WANT_MASK("CapBnd", t->want_bnd);
	WANT_MASK("CapEff", t->want_eff);
	WANT_MASK("CapPrm", t->want_prm);
	WANT_MASK("CapAmb", t->want_amb);
#undef WANT_MASK
	if (chown(t->file, 1234, 1234) == 0)
		child_say("chown without CAP_CHOWN worked; ");
	else if (errno != EPERM)
		child_say("chown failed with %s, not EPERM; ", strerror(errno));
	else
		return fails ? 1 : 0;
	return 1;
}

static int child_caps_stray_ambient(const void *arg)
{
	struct oci_caps c = { .permitted = BIT(CAP_KILL), .effective = BIT(CAP_KILL), .ambient = BIT(CAP_KILL) };
	int r = caps_apply(&c);

	if (r < 0) {
		child_say("%s", err_msg());
		return 1;
	}
	child_say("CapAmb=%llx", (unsigned long long)status_mask("CapAmb"));
	return status_mask("CapAmb") == 0 ? 0 : 1;
}

static void cap_apply_for_real(void)
{
	char file[] = "/tmp/hv-test-caps-XXXXXX", msg[1024];
	uint64_t bnd = status_mask("CapBnd");
	struct caps_case t = { .file = file };
	int fd, status;

	if (geteuid() != 0) {
		printf("skip: applying capabilities needs root\n");
		return;
	}
	in_child(child_caps_stray_ambient, NULL, &status, msg, sizeof(msg));
	CHECK(exited_with(status, 0), "an ambient capability that is not inheritable is left out: %s", msg);

	fd = mkstemp(file);
	CHECK(fd >= 0, "mkstemp: %s", strerror(errno));
	if (fd < 0)
		return;
	close(fd);
	/* podman's set without CAP_CHOWN (and without CAP_SETFCAP in the
	 * effective set), NET_BIND_SERVICE as ambient */
	t.json = "{ \"bounding\": [\"CAP_DAC_OVERRIDE\", \"CAP_FOWNER\", \"CAP_FSETID\", \"CAP_KILL\", "
		 "\"CAP_NET_BIND_SERVICE\", \"CAP_SETFCAP\", \"CAP_SETGID\", \"CAP_SETPCAP\", \"CAP_SETUID\", "
		 "\"CAP_SYS_CHROOT\"], "
		 "\"effective\": [\"CAP_DAC_OVERRIDE\", \"CAP_FOWNER\", \"CAP_FSETID\", \"CAP_KILL\", "
		 "\"CAP_NET_BIND_SERVICE\", \"CAP_SETGID\", \"CAP_SETPCAP\", \"CAP_SETUID\", \"CAP_SYS_CHROOT\"], "
		 "\"permitted\": [\"CAP_DAC_OVERRIDE\", \"CAP_FOWNER\", \"CAP_FSETID\", \"CAP_KILL\", "
		 "\"CAP_NET_BIND_SERVICE\", \"CAP_SETFCAP\", \"CAP_SETGID\", \"CAP_SETPCAP\", \"CAP_SETUID\", "
		 "\"CAP_SYS_CHROOT\"], "
		 "\"inheritable\": [\"CAP_NET_BIND_SERVICE\"], \"ambient\": [\"CAP_NET_BIND_SERVICE\"] }";
	/* The bounding set only ever shrinks: what the test runs without
	 * (containers often lack some) stays missing. */
	t.want_bnd = (podman_mask & ~BIT(CAP_CHOWN)) & bnd;
	t.want_prm = podman_mask & ~BIT(CAP_CHOWN);
	t.want_eff = t.want_prm & ~BIT(CAP_SETFCAP);
	t.want_amb = BIT(CAP_NET_BIND_SERVICE);
	in_child(child_caps, &t, &status, msg, sizeof(msg));
	CHECK(exited_with(status, 0), "bounding, effective, permitted and ambient sets applied, chown refused: %s",
	      msg);
	unlink(file);
}

/* ---- seccomp ---- */

static int build_error(const char *json)
{
	struct json_object *o = parse_json(json);
	struct oci_seccomp *s = NULL;
	int r;

	err_clear();
	r = oci_seccomp_build(o, &s);
	if (r == 0)
		oci_seccomp_free(s);
	json_object_put(o);
	return r;
}

#if defined(__x86_64__)
#define ARCHES "\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_X86\", \"SCMP_ARCH_X32\""
#elif defined(__aarch64__)
#define ARCHES "\"SCMP_ARCH_AARCH64\", \"SCMP_ARCH_ARM\""
#else
#define ARCHES ""
#endif

static void seccomp_errors(void)
{
	struct oci_seccomp *s = (struct oci_seccomp *)1;
	int r;

	CHECK(oci_seccomp_build(NULL, &s) == 0 && s == NULL, "no seccomp, no filter");
	CHECK(oci_seccomp_load(NULL) == 0, "loading no filter does nothing");

	r = build_error("{ \"syscalls\": [] }");
	CHECK(r == -EINVAL && !strcmp(err_msg(), "linux.seccomp.defaultAction is missing"),
	      "defaultAction is required: %s", err_msg());
	r = build_error("[]");
	CHECK(r == -EINVAL && strstr(err_msg(), "linux.seccomp: expected an object, got an array"), "not an object: %s",
	      err_msg());
	r = build_error("{ \"defaultAction\": \"SCMP_ACT_ALLOWED\" }");
	CHECK(r == -EINVAL && !strcmp(err_msg(), "linux.seccomp.defaultAction: unknown action 'SCMP_ACT_ALLOWED'"),
	      "a bad default action: %s", err_msg());
	r = build_error("{ \"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": ["
			"{ \"names\": [\"getcwd\"], \"action\": \"SCMP_ACT_ERRNO\" },"
			"{ \"names\": [\"chmod\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 1 },"
			"{ \"names\": [\"getpid\"], \"action\": \"SCMP_ACT_ALLOW\" },"
			"{ \"names\": [\"mkdir\"], \"action\": \"SCMP_ACT_FOO\" } ] }");
	CHECK(r == -EINVAL && !strcmp(err_msg(), "linux.seccomp.syscalls[3].action: unknown action 'SCMP_ACT_FOO'"),
	      "a bad action, named by its place: %s", err_msg());
	r = build_error("{ \"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": ["
			"{ \"names\": [\"bpf\"], \"action\": \"SCMP_ACT_NOTIFY\" } ] }");
	CHECK(r < 0 && strstr(err_msg(), "SCMP_ACT_NOTIFY needs a listener (listenerPath), which hv does not support"),
	      "SCMP_ACT_NOTIFY is refused: %s", err_msg());
	r = build_error("{ \"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": ["
			"{ \"names\": [\"dup3\"], \"action\": \"SCMP_ACT_ERRNO\","
			"  \"args\": [ { \"index\": 2, \"value\": 1, \"op\": \"SCMP_CMP_MASKED\" } ] } ] }");
	CHECK(r == -EINVAL &&
		  !strcmp(err_msg(), "linux.seccomp.syscalls[0].args[0].op: unknown operator 'SCMP_CMP_MASKED'"),
	      "a bad operator: %s", err_msg());
	r = build_error("{ \"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": ["
			"{ \"names\": [\"dup3\"], \"action\": \"SCMP_ACT_ERRNO\","
			"  \"args\": [ { \"index\": 6, \"value\": 1, \"op\": \"SCMP_CMP_EQ\" } ] } ] }");
	CHECK(r == -EINVAL && strstr(err_msg(), "syscalls[0].args[0].index: 6 is out of range (0 to 5)"),
	      "argument index 6: %s", err_msg());
	r = build_error("{ \"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": ["
			"{ \"names\": [\"dup3\"], \"action\": \"SCMP_ACT_ERRNO\","
			"  \"args\": [ { \"index\": 0, \"value\": -1, \"op\": \"SCMP_CMP_EQ\" } ] } ] }");
	CHECK(r == -EINVAL && strstr(err_msg(), "args[0].value: must not be negative"), "a negative value: %s",
	      err_msg());
	r = build_error("{ \"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": ["
			"{ \"names\": [\"dup3\"], \"action\": \"SCMP_ACT_ERRNO\", \"args\": ["
			"  { \"index\": 2, \"value\": 1, \"op\": \"SCMP_CMP_GE\" },"
			"  { \"index\": 2, \"value\": 9, \"op\": \"SCMP_CMP_LE\" } ] } ] }");
	CHECK(r == -EINVAL && strstr(err_msg(), "args[1]: argument 2 is compared twice"),
	      "two comparisons of one argument: %s", err_msg());
	r = build_error("{ \"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": ["
			"{ \"names\": [], \"action\": \"SCMP_ACT_ERRNO\" } ] }");
	CHECK(r == -EINVAL && strstr(err_msg(), "syscalls[0].names is empty"), "no names: %s", err_msg());
	r = build_error("{ \"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": ["
			"{ \"names\": [\"read\", 3], \"action\": \"SCMP_ACT_ERRNO\" } ] }");
	CHECK(r == -EINVAL && strstr(err_msg(), "syscalls[0].names[1]: expected a string, got an integer"),
	      "a number as a name: %s", err_msg());
	r = build_error("{ \"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"SCMP_ARCH_X86\", "
			"\"SCMP_ARCH_VAX\"] }");
	CHECK(r == -EINVAL && strstr(err_msg(), "linux.seccomp.architectures[1]: ") &&
		  strstr(err_msg(), "unknown architecture 'SCMP_ARCH_VAX'"),
	      "an unknown architecture: %s", err_msg());
	r = build_error("{ \"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"x86_64\"] }");
	CHECK(r == -EINVAL && strstr(err_msg(), "unknown architecture 'x86_64'"),
	      "libseccomp's own spelling is not OCI's: %s", err_msg());
	r = build_error("{ \"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\": [\"SECCOMP_FILTER_FLAG_FAST\"] }");
	CHECK(r == -EINVAL && !strcmp(err_msg(), "linux.seccomp.flags[0]: unknown flag 'SECCOMP_FILTER_FLAG_FAST'"),
	      "an unknown flag: %s", err_msg());
	r = build_error("{ \"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": ["
			"{ \"names\": [\"read\"], \"action\": \"SCMP_ACT_KILL\", \"errnoRet\": 5 } ] }");
	CHECK(r == -EINVAL && strstr(err_msg(), "syscalls[0].errnoRet: SCMP_ACT_KILL takes no errno"),
	      "errnoRet with an action that has none: %s", err_msg());
	r = build_error("{ \"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 70000 }");
	CHECK(r == -EINVAL && strstr(err_msg(), "defaultErrnoRet must be a number from 0 to 65535"),
	      "defaultErrnoRet out of range: %s", err_msg());
	r = build_error("{ \"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": ["
			"{ \"names\": [\"read\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": \"EPERM\" } ] }");
	CHECK(r == -EINVAL && strstr(err_msg(), "syscalls[0].errnoRet: expected an integer, got a string"),
	      "errnoRet as a string: %s", err_msg());

	/* a JSON null where a string is needed is a named error, never a crash */
	r = build_error("{ \"defaultAction\": null }");
	CHECK(r == -EINVAL && !strcmp(err_msg(), "linux.seccomp.defaultAction is missing"), "a null defaultAction: %s",
	      err_msg());
	r = build_error("{ \"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": ["
			"{ \"names\": [\"read\", null], \"action\": \"SCMP_ACT_ERRNO\" } ] }");
	CHECK(r == -EINVAL && strstr(err_msg(), "syscalls[0].names[1]: expected a string, got null"), "a null name: %s",
	      err_msg());
	r = build_error("{ \"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": ["
			"{ \"names\": [\"dup3\"], \"action\": \"SCMP_ACT_ERRNO\","
			"  \"args\": [ { \"index\": 2, \"value\": 1, \"op\": null } ] } ] }");
	CHECK(r == -EINVAL && strstr(err_msg(), "syscalls[0].args[0].op is missing"), "a null operator: %s", err_msg());
	r = build_error("{ \"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [ null ] }");
	CHECK(r == -EINVAL && strstr(err_msg(), "syscalls[0]: expected an object, got null"), "a null rule: %s",
	      err_msg());
	r = build_error("{ \"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [ null ] }");
	CHECK(r == -EINVAL && strstr(err_msg(), "architectures[0]: expected a string, got null"),
	      "a null architecture: %s", err_msg());

	/* Unknown system calls are skipped, a rule repeating the default
	 * action is dropped, every action, operator and flag is taken. */
	r = build_error(
	    "{ \"defaultAction\": \"SCMP_ACT_ERRNO\", \"architectures\": [" ARCHES "],"
	    "  \"flags\": [\"SECCOMP_FILTER_FLAG_LOG\", \"SECCOMP_FILTER_FLAG_SPEC_ALLOW\","
	    "              \"SECCOMP_FILTER_FLAG_TSYNC\"],"
	    "  \"syscalls\": ["
	    "{ \"names\": [\"read\", \"write\", \"no_such_call\", \"socketcall\"], \"action\": \"SCMP_ACT_ALLOW\" },"
	    "{ \"names\": [\"getcwd\"], \"action\": \"SCMP_ACT_ERRNO\" },"
	    "{ \"names\": [\"socket\"], \"action\": \"SCMP_ACT_ALLOW\","
	    "  \"args\": [ { \"index\": 0, \"value\": 16, \"op\": \"SCMP_CMP_NE\" } ] },"
	    "{ \"names\": [\"clone\"], \"action\": \"SCMP_ACT_ALLOW\","
	    "  \"args\": [ { \"index\": 0, \"value\": 2114060288, \"valueTwo\": 0,"
	    "                \"op\": \"SCMP_CMP_MASKED_EQ\" } ] },"
	    "{ \"names\": [\"personality\"], \"action\": \"SCMP_ACT_LOG\","
	    "  \"args\": [ { \"index\": 0, \"value\": 18446744073709551615, \"op\": \"SCMP_CMP_EQ\" } ] },"
	    "{ \"names\": [\"lseek\"], \"action\": \"SCMP_ACT_TRAP\","
	    "  \"args\": [ { \"index\": 2, \"value\": 4, \"op\": \"SCMP_CMP_GT\" },"
	    "              { \"index\": 1, \"value\": 1, \"op\": \"SCMP_CMP_LT\" },"
	    "              { \"index\": 0, \"value\": 3, \"op\": \"SCMP_CMP_GE\" } ] },"
	    "{ \"names\": [\"pread64\"], \"action\": \"SCMP_ACT_TRACE\", \"errnoRet\": 7,"
	    "  \"args\": [ { \"index\": 3, \"value\": 2, \"op\": \"SCMP_CMP_LE\" } ] },"
	    "{ \"names\": [\"ptrace\"], \"action\": \"SCMP_ACT_KILL_PROCESS\" },"
	    "{ \"names\": [\"kexec_load\"], \"action\": \"SCMP_ACT_KILL_THREAD\" },"
	    "{ \"names\": [\"reboot\"], \"action\": \"SCMP_ACT_KILL\" } ] }");
	CHECK(r == 0, "a realistic multi-architecture profile builds: %s", err_msg());
}

struct filter_case {
	const char *json;
	int (*probe)(void); /* after the filter: the exit status wanted */
};

static int child_filter(const void *arg)
{
	const struct filter_case *t = arg;
	struct json_object *o = parse_json(t->json);
	struct oci_seccomp *s;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		child_say("PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
		return 200;
	}
	if (oci_seccomp_build(o, &s) < 0 || oci_seccomp_load(s) < 0) {
		child_say("%s", err_msg());
		return 201;
	}
	return t->probe();
}

static int probe_mkdir(void)
{
	char dir[] = "/tmp/hv-test-seccomp-XXXXXX";
	int fd = mkstemp(dir); /* a free name; mkdir must not get to use it */

	if (fd < 0)
		return 202;
	close(fd);
	unlink(dir);
	if (mkdir(dir, 0700) == 0) {
		rmdir(dir);
		return 0;
	}
	return errno;
}

/* personality(0xffffffff) only queries; the filter refuses exactly that. */
static int probe_personality(void)
{
	if (personality(0xffffffff) != -1 || errno != 43) {
		child_say("personality(0xffffffff) was not refused with 43; ");
		return 1;
	}
	if (personality(PER_LINUX) == -1) {
		child_say("personality(PER_LINUX) failed: %s; ", strerror(errno));
		return 1;
	}
	return 0;
}

/* dup3 with O_CLOEXEC is refused, without it allowed. */
static int probe_dup3(void)
{
	if (dup3(child_fd, 100, O_CLOEXEC) != -1 || errno != 44) {
		child_say("dup3(O_CLOEXEC) was not refused with 44; ");
		return 1;
	}
	if (dup3(child_fd, 101, 0) != 101) {
		child_say("dup3 without flags failed: %s; ", strerror(errno));
		return 1;
	}
	return 0;
}

static int probe_getppid(void)
{
	if (syscall(SYS_getppid) >= 0)
		return 0;
	return errno;
}

static void on_sigsys(int sig)
{
	syscall(SYS_exit_group, 99);
}

/* getppid with a SIGSYS handler: 99 if the filter only trapped. */
static int probe_trap(void)
{
	signal(SIGSYS, on_sigsys);
	return probe_getppid();
}

static void *thread_getppid(void *arg)
{
	syscall(SYS_getppid);
	return NULL;
}

/* getppid in a second thread: 0 if only that thread died. */
static int probe_thread(void)
{
	pthread_t t;

	signal(SIGSYS, on_sigsys);
	if (pthread_create(&t, NULL, thread_getppid, NULL) != 0)
		return 203;
	pthread_join(t, NULL);
	return 0;
}

static void seccomp_filters(void)
{
	static const struct filter_case cases[] = {
		{ "{ \"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [" ARCHES "], \"syscalls\": ["
		  "{ \"names\": [\"mkdir\", \"mkdirat\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 42 } ] }",
		  probe_mkdir },
		{ "{ \"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": ["
		  "{ \"names\": [\"personality\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 43,"
		  "  \"args\": [ { \"index\": 0, \"value\": 4294967295, \"op\": \"SCMP_CMP_EQ\" } ] } ] }",
		  probe_personality },
		{ "{ \"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": ["
		  "{ \"names\": [\"dup3\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 44,"
		  "  \"args\": [ { \"index\": 2, \"value\": 524288, \"valueTwo\": 524288,"
		  "                \"op\": \"SCMP_CMP_MASKED_EQ\" } ] } ] }",
		  probe_dup3 },
		/* everything refused but leaving */
		{ "{ \"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 77, \"syscalls\": ["
		  "{ \"names\": [\"exit_group\", \"exit\"], \"action\": \"SCMP_ACT_ALLOW\" } ] }",
		  probe_getppid },
		{ "{ \"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": ["
		  "{ \"names\": [\"getppid\"], \"action\": \"SCMP_ACT_KILL_PROCESS\" } ] }",
		  probe_thread },
		{ "{ \"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": ["
		  "{ \"names\": [\"getppid\"], \"action\": \"SCMP_ACT_KILL\" } ] }",
		  probe_thread },
		{ "{ \"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": ["
		  "{ \"names\": [\"getppid\"], \"action\": \"SCMP_ACT_TRAP\" } ] }",
		  probe_trap },
		{ "{ \"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": ["
		  "{ \"names\": [\"getppid\"], \"action\": \"SCMP_ACT_ERRNO\" } ] }",
		  probe_getppid },
	};
	char msg[1024];
	int status;

	in_child(child_filter, &cases[0], &status, msg, sizeof(msg));
	CHECK(exited_with(status, 42), "mkdir fails with errnoRet 42 (status %#x) %s", status, msg);
	in_child(child_filter, &cases[1], &status, msg, sizeof(msg));
	CHECK(exited_with(status, 0), "an EQ argument filter hits only its value (status %#x) %s", status, msg);
	in_child(child_filter, &cases[2], &status, msg, sizeof(msg));
	CHECK(exited_with(status, 0), "a MASKED_EQ argument filter hits only flags with the bit (status %#x) %s",
	      status, msg);
	in_child(child_filter, &cases[3], &status, msg, sizeof(msg));
	CHECK(exited_with(status, 77), "defaultAction ERRNO returns defaultErrnoRet 77 (status %#x) %s", status, msg);
	in_child(child_filter, &cases[4], &status, msg, sizeof(msg));
	CHECK(killed_by(status, SIGSYS),
	      "SCMP_ACT_KILL_PROCESS kills the whole process with SIGSYS, from any thread (status %#x) %s", status,
	      msg);
	in_child(child_filter, &cases[5], &status, msg, sizeof(msg));
	CHECK(exited_with(status, 0), "SCMP_ACT_KILL kills only the calling thread (status %#x) %s", status, msg);
	in_child(child_filter, &cases[6], &status, msg, sizeof(msg));
	CHECK(exited_with(status, 99), "SCMP_ACT_TRAP raises a SIGSYS the process can catch (status %#x) %s", status,
	      msg);
	in_child(child_filter, &cases[7], &status, msg, sizeof(msg));
	CHECK(exited_with(status, EPERM), "SCMP_ACT_ERRNO without errnoRet is EPERM (status %#x) %s", status, msg);
}

int main(void)
{
	cap_names();
	cap_parsing();
	cap_apply_for_real();
	seccomp_errors();
	seccomp_filters();
	T_DONE();
}
