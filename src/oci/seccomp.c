/* SPDX-License-Identifier: MIT */
/* linux.seccomp of an OCI config (config-linux.md "Seccomp") turned into a
 * libseccomp filter.  Everything is checked and compiled in
 * oci_seccomp_build(), while the runtime can still report an error
 * cleanly; oci_seccomp_load() only installs the result. */
#include "oci/seccomp.h"

#include <ctype.h>
#include <errno.h>
#include <json-c/json.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/err.h"
#include "util/json.h"

#define WHERE "linux.seccomp"
/* SECCOMP_RET_DATA: the errno or ptrace value travels in 16 bits. */
#define ERRNO_RET_MAX 0xffff

struct oci_seccomp {
	scmp_filter_ctx ctx;
};

struct action_def {
	const char *name;
	uint32_t action;
	bool takes_errno; /* the low 16 bits carry errnoRet */
};

static const struct action_def actions[] = {
	/* SCMP_ACT_KILL is the historic name of killing the thread. */
	{ "SCMP_ACT_KILL", SCMP_ACT_KILL_THREAD, false },
	{ "SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, false },
	{ "SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, false },
	{ "SCMP_ACT_TRAP", SCMP_ACT_TRAP, false },
	{ "SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0), true },
	{ "SCMP_ACT_TRACE", SCMP_ACT_TRACE(0), true },
	{ "SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, false },
	{ "SCMP_ACT_LOG", SCMP_ACT_LOG, false },
};

static const struct {
	const char *name;
	enum scmp_compare op;
} operators[] = {
	{ "SCMP_CMP_NE", SCMP_CMP_NE },
	{ "SCMP_CMP_LT", SCMP_CMP_LT },
	{ "SCMP_CMP_LE", SCMP_CMP_LE },
	{ "SCMP_CMP_EQ", SCMP_CMP_EQ },
	{ "SCMP_CMP_GE", SCMP_CMP_GE },
	{ "SCMP_CMP_GT", SCMP_CMP_GT },
	{ "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
};

static void seccomp_releasep(scmp_filter_ctx *ctx)
{
	if (*ctx)
		seccomp_release(*ctx);
}

/* One string of an array of strings, for json_array_each callbacks. */
static int element_string(struct json_object *e, const char *epath, const char **out)
{
	if (!json_object_is_type(e, json_type_string))
		return err_set(-EINVAL, "%s: expected a string, got %s", epath, json_kind_name(e));
	*out = json_object_get_string(e);
	return 0;
}

/* obj[act_key] and obj[errno_key] (defaultAction/defaultErrnoRet or
 * action/errnoRet) as one libseccomp action. */
static int parse_action(struct json_object *obj, const char *where, const char *act_key, const char *errno_key,
			uint32_t *out)
{
	const struct action_def *def = NULL;
	uint64_t ret = EPERM;
	const char *name = NULL;
	char path[160];
	int r = json_need_str(obj, act_key, where, &name);
	bool has_errno;

	if (r < 0)
		return r;
	if ((r = json_get_uint64(obj, errno_key, where, &ret)) < 0 && r != -ENOENT)
		return r;
	has_errno = r == 0;
	if (!strcmp(name, "SCMP_ACT_NOTIFY"))
		return err_set(-ENOTSUP,
			       "%s.%s: SCMP_ACT_NOTIFY needs a listener (listenerPath), which hv does not support yet",
			       where, act_key);
	for (size_t i = 0; i < ARRAY_SIZE(actions) && !def; i++)
		if (!strcmp(actions[i].name, name))
			def = &actions[i];
	if (!def)
		return err_set(-EINVAL, "%s.%s: unknown action '%s'", where, act_key, name);
	if (has_errno && !def->takes_errno)
		return err_set(-EINVAL, "%s.%s: %s takes no errno (only SCMP_ACT_ERRNO and SCMP_ACT_TRACE do)", where,
			       errno_key, name);
	snprintf(path, sizeof(path), "%s.%s", where, errno_key);
	if (has_errno && ret > ERRNO_RET_MAX)
		return err_set(-EINVAL, "%s must be a number from 0 to %d", path, ERRNO_RET_MAX);
	if (!has_errno)
		ret = EPERM;
	*out = def->takes_errno ? def->action | (uint32_t)ret : def->action;
	return 0;
}

/* "SCMP_ARCH_X86_64" -> libseccomp's token for "x86_64". */
static int parse_arch(const char *name, uint32_t *token)
{
	static const char prefix[] = "SCMP_ARCH_";
	char lower[32];
	size_t n = strlen(name), plen = sizeof(prefix) - 1;

	*token = 0;
	if (n > plen && n - plen < sizeof(lower) && !strncmp(name, prefix, plen)) {
		for (size_t i = plen; i <= n; i++)
			lower[i - plen] = (char)tolower((unsigned char)name[i]);
		*token = seccomp_arch_resolve_name(lower);
	}
	if (!*token)
		return err_set(-EINVAL, "unknown architecture '%s'", name);
	return 0;
}

static int add_architecture(struct json_object *e, size_t i, const char *epath, void *ctx)
{
	const char *name = NULL;
	uint32_t token;
	int r;

	(void)i;
	if ((r = element_string(e, epath, &name)) < 0)
		return r;
	if ((r = parse_arch(name, &token)) < 0)
		return err_prefix(r, "%s", epath);
	/* seccomp_init() already added the native one. */
	r = seccomp_arch_add(*(scmp_filter_ctx *)ctx, token);
	if (r < 0 && r != -EEXIST)
		return err_errno(r, "%s: cannot add %s", epath, name);
	return 0;
}

static int set_flag(scmp_filter_ctx ctx, const char *name)
{
	enum scmp_filter_attr attr;
	int r;

	if (!strcmp(name, "SECCOMP_FILTER_FLAG_TSYNC"))
		attr = SCMP_FLTATR_CTL_TSYNC;
	else if (!strcmp(name, "SECCOMP_FILTER_FLAG_LOG"))
		attr = SCMP_FLTATR_CTL_LOG;
	else if (!strcmp(name, "SECCOMP_FILTER_FLAG_SPEC_ALLOW"))
		attr = SCMP_FLTATR_CTL_SSB;
	else if (!strcmp(name, "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"))
		return 0; /* only changes how a notify listener waits, and hv has none */
	else
		return err_set(-EINVAL, "unknown flag '%s'", name);
	r = seccomp_attr_set(ctx, attr, 1);
	if (r < 0)
		return err_errno(r, "%s is not supported by this kernel or libseccomp", name);
	return 0;
}

static int add_flag(struct json_object *e, size_t i, const char *epath, void *ctx)
{
	const char *name = NULL;
	int r;

	(void)i;
	if ((r = element_string(e, epath, &name)) < 0)
		return r;
	if ((r = set_flag(*(scmp_filter_ctx *)ctx, name)) < 0)
		return err_prefix(r, "%s", epath);
	return 0;
}

struct arg_json {
	uint64_t index, value, two;
	const char *op;
};

/* One element of syscalls[].args; where is "linux.seccomp.syscalls[i].args[j]". */
static int parse_arg(struct json_object *o, const char *where, struct scmp_arg_cmp *cmp)
{
	static const struct json_field fields[] = {
		JSON_FIELD_RANGE("index", JSON_UINT64, JSON_REQUIRED | JSON_NULLABLE, struct arg_json, index, 0, 5),
		JSON_FIELD("value", JSON_UINT64, JSON_REQUIRED | JSON_NULLABLE, struct arg_json, value),
		JSON_FIELD("valueTwo", JSON_UINT64, JSON_NULLABLE, struct arg_json, two),
		JSON_FIELD("op", JSON_STR, JSON_REQUIRED | JSON_NULLABLE, struct arg_json, op),
		JSON_FIELD_END,
	};
	struct arg_json j = { 0 };
	size_t k;
	int r;

	if ((r = json_dispatch(o, fields, &j, where, 0)) < 0)
		return r;
	for (k = 0; k < ARRAY_SIZE(operators) && strcmp(operators[k].name, j.op); k++)
		;
	if (k == ARRAY_SIZE(operators))
		return err_set(-EINVAL, "%s.op: unknown operator '%s'", where, j.op);
	/* For SCMP_CMP_MASKED_EQ, value is the mask and valueTwo the
	 * result wanted: (arg & value) == valueTwo. */
	*cmp = (struct scmp_arg_cmp){
		.arg = (unsigned)j.index, .op = operators[k].op, .datum_a = j.value, .datum_b = j.two
	};
	return 0;
}

struct args {
	struct scmp_arg_cmp *cmps;
	unsigned seen;
};

static int add_arg(struct json_object *e, size_t j, const char *epath, void *ctx)
{
	struct args *a = ctx;
	int r;

	if ((r = parse_arg(e, epath, &a->cmps[j])) < 0)
		return r;
	if (a->seen & (1U << a->cmps[j].arg))
		return err_set(-EINVAL, "%s: argument %u is compared twice (write one rule per comparison)", epath,
			       a->cmps[j].arg);
	a->seen |= 1U << a->cmps[j].arg;
	return 0;
}

/* syscalls[i].args: at most one comparison per argument, as libseccomp
 * combines a rule's comparisons with AND and refuses two on one argument. */
static int parse_args(struct json_object *arr, const char *where, struct scmp_arg_cmp cmps[6], unsigned *count)
{
	struct args a = { cmps, 0 };
	char at[128];
	size_t n;
	int r;

	*count = 0;
	if (!arr)
		return 0;
	snprintf(at, sizeof(at), "%s.args", where);
	if ((n = json_object_array_length(arr)) > 6)
		return err_set(-EINVAL, "%s has %zu entries, but a system call has only 6 arguments", at, n);
	if ((r = json_array_each(arr, at, 6, add_arg, &a)) < 0)
		return r;
	*count = (unsigned)n;
	return 0;
}

struct rule {
	scmp_filter_ctx ctx;
	uint32_t action;
	unsigned nargs;
	const struct scmp_arg_cmp *cmps;
	bool skip;
};

static int add_rule_name(struct json_object *e, size_t k, const char *epath, void *ctx)
{
	const struct rule *rl = ctx;
	const char *name = NULL;
	int r, nr;

	(void)k;
	if ((r = element_string(e, epath, &name)) < 0 || rl->skip)
		return r;
	/* Profiles list system calls of other kernels and architectures:
	 * what libseccomp does not know is left to the default action. */
	nr = seccomp_syscall_resolve_name(name);
	if (nr == __NR_SCMP_ERROR)
		return 0;
	r = seccomp_rule_add_array(rl->ctx, rl->action, nr, rl->nargs, rl->cmps);
	if (r < 0)
		return err_errno(r, "%s: cannot add the rule for %s", epath, name);
	return 0;
}

struct syscall_json {
	struct json_object *names, *args;
};

static int add_syscall(struct json_object *o, size_t i, const char *where, void *ctx)
{
	static const struct json_field fields[] = {
		JSON_FIELD("names", JSON_ARRAY, JSON_REQUIRED | JSON_NULLABLE, struct syscall_json, names),
		JSON_FIELD("args", JSON_ARRAY, JSON_NULLABLE, struct syscall_json, args),
		JSON_FIELD_END,
	};
	const struct rule *base = ctx;
	struct scmp_arg_cmp cmps[6];
	struct syscall_json j = { 0 };
	struct rule rl = *base;
	char at[128];
	int r;

	(void)i;
	if ((r = json_dispatch(o, fields, &j, where, 0)) < 0 ||
	    (r = parse_action(o, where, "action", "errnoRet", &rl.action)) < 0 ||
	    (r = parse_args(j.args, where, cmps, &rl.nargs)) < 0)
		return r;
	if (json_object_array_length(j.names) == 0)
		return err_set(-EINVAL, "%s.names is empty (it must list at least one system call)", where);
	/* libseccomp refuses a rule that repeats the default action; such a
	 * rule changes nothing, so it is checked and then dropped. */
	rl.skip = rl.action == base->action;
	rl.cmps = cmps;
	snprintf(at, sizeof(at), "%s.names", where);
	return json_array_each(j.names, at, 0, add_rule_name, &rl);
}

struct seccomp_json {
	struct json_object *architectures, *flags, *syscalls;
};

int oci_seccomp_build(struct json_object *json, struct oci_seccomp **out)
{
	__attribute__((cleanup(seccomp_releasep))) scmp_filter_ctx ctx = NULL;
	struct oci_seccomp *s;
	uint32_t default_action;
	int r;

	*out = NULL;
	static const struct json_field fields[] = {
		JSON_FIELD("architectures", JSON_ARRAY, JSON_NULLABLE, struct seccomp_json, architectures),
		JSON_FIELD("flags", JSON_ARRAY, JSON_NULLABLE, struct seccomp_json, flags),
		JSON_FIELD("syscalls", JSON_ARRAY, JSON_NULLABLE, struct seccomp_json, syscalls),
		JSON_FIELD_END,
	};
	struct seccomp_json j = { 0 };

	if (!json || json_object_is_type(json, json_type_null))
		return 0;
	if ((r = json_dispatch(json, fields, &j, WHERE, 0)) < 0 ||
	    (r = parse_action(json, WHERE, "defaultAction", "defaultErrnoRet", &default_action)) < 0)
		return r;
	if (!(ctx = seccomp_init(default_action)))
		return err_set(-EINVAL, WHERE ": libseccomp refused the default action");
	/* The runtime sets no_new_privs itself when the config asks for it;
	 * a filter must not impose it. */
	if ((r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0)) < 0)
		return err_errno(r, WHERE ": cannot leave no_new_privs alone");
#if SCMP_VER_MAJOR > 2 || (SCMP_VER_MAJOR == 2 && SCMP_VER_MINOR >= 5)
	/* Have seccomp_load() report the kernel's errno, not -ECANCELED. */
	seccomp_attr_set(ctx, SCMP_FLTATR_API_SYSRAWRC, 1);
#endif
	struct rule base = { .ctx = ctx, .action = default_action };
	if ((j.architectures &&
	     (r = json_array_each(j.architectures, WHERE ".architectures", 0, add_architecture, &ctx)) < 0) ||
	    (j.flags && (r = json_array_each(j.flags, WHERE ".flags", 0, add_flag, &ctx)) < 0) ||
	    (j.syscalls && (r = json_array_each(j.syscalls, WHERE ".syscalls", 0, add_syscall, &base)) < 0))
		return r;
	if (!(s = malloc(sizeof(*s))))
		return -ENOMEM;
	s->ctx = TAKE_PTR(ctx);
	*out = s;
	return 0;
}

int oci_seccomp_load(struct oci_seccomp *s)
{
	int r;

	if (!s)
		return 0;
	r = seccomp_load(s->ctx);
	if (r == -EACCES)
		return err_errno(r, "cannot load the seccomp filter (no_new_privs is not set and CAP_SYS_ADMIN is "
				    "missing)");
	if (r < 0)
		return err_errno(r, "cannot load the seccomp filter");
	return 0;
}

void oci_seccomp_free(struct oci_seccomp *s)
{
	if (!s)
		return;
	if (s->ctx)
		seccomp_release(s->ctx);
	free(s);
}
