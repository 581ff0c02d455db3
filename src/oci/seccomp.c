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

/* A member, with JSON null taken as absent. */
static struct json_object *member(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
		return NULL;
	return v;
}

/* where[i] of an array of strings. */
static int array_string(struct json_object *arr, size_t i, const char *where, const char **out)
{
	struct json_object *v = json_object_array_get_idx(arr, i);

	if (!json_object_is_type(v, json_type_string))
		return err_set(-EINVAL, "%s[%zu] must be a string", where, i);
	*out = json_object_get_string(v);
	return 0;
}

static int get_array(struct json_object *v, const char *where, size_t *len)
{
	if (!json_object_is_type(v, json_type_array))
		return err_set(-EINVAL, "%s must be an array", where);
	*len = json_object_array_length(v);
	return 0;
}

/* An unsigned integer up to max (json-c keeps values above INT64_MAX as
 * unsigned, so get_int64 is only used to spot negative numbers). */
static int get_uint(struct json_object *v, const char *where, uint64_t max, uint64_t *out)
{
	if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0 || json_object_get_uint64(v) > max)
		return err_set(-EINVAL, "%s must be a number from 0 to %llu", where, (unsigned long long)max);
	*out = json_object_get_uint64(v);
	return 0;
}

/* obj[act_key] and obj[errno_key] (defaultAction/defaultErrnoRet or
 * action/errnoRet) as one libseccomp action. */
static int parse_action(struct json_object *obj, const char *where, const char *act_key, const char *errno_key,
			uint32_t *out)
{
	struct json_object *v = member(obj, act_key), *e = member(obj, errno_key);
	const struct action_def *def = NULL;
	uint64_t ret = EPERM;
	const char *name = NULL;
	int r;

	if (!v)
		return err_set(-EINVAL, "%s.%s is missing", where, act_key);
	if (!json_object_is_type(v, json_type_string))
		return err_set(-EINVAL, "%s.%s must be a string such as \"SCMP_ACT_ERRNO\"", where, act_key);
	name = json_object_get_string(v);
	if (!strcmp(name, "SCMP_ACT_NOTIFY"))
		return err_set(-ENOTSUP,
			       "%s.%s: SCMP_ACT_NOTIFY needs a listener (listenerPath), which hv does not support yet",
			       where, act_key);
	for (size_t i = 0; i < ARRAY_SIZE(actions) && !def; i++)
		if (!strcmp(actions[i].name, name))
			def = &actions[i];
	if (!def)
		return err_set(-EINVAL, "%s.%s: unknown action '%s'", where, act_key, name);
	if (e && !def->takes_errno)
		return err_set(-EINVAL, "%s.%s: %s takes no errno (only SCMP_ACT_ERRNO and SCMP_ACT_TRACE do)", where,
			       errno_key, name);
	if (e && (r = get_uint(e, errno_key, ERRNO_RET_MAX, &ret)) < 0)
		return err_prefix(r, "%s", where);
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

static int add_architectures(scmp_filter_ctx ctx, struct json_object *arr)
{
	size_t n = 0;
	int r;

	if (!arr)
		return 0;
	if ((r = get_array(arr, WHERE ".architectures", &n)) < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		const char *name = NULL;
		uint32_t token;

		if ((r = array_string(arr, i, WHERE ".architectures", &name)) < 0)
			return r;
		if ((r = parse_arch(name, &token)) < 0)
			return err_prefix(r, WHERE ".architectures[%zu]", i);
		/* seccomp_init() already added the native one. */
		r = seccomp_arch_add(ctx, token);
		if (r < 0 && r != -EEXIST)
			return err_errno(r, WHERE ".architectures[%zu]: cannot add %s", i, name);
	}
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

static int set_flags(scmp_filter_ctx ctx, struct json_object *arr)
{
	size_t n = 0;
	int r;

	if (!arr)
		return 0;
	if ((r = get_array(arr, WHERE ".flags", &n)) < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		const char *name = NULL;

		if ((r = array_string(arr, i, WHERE ".flags", &name)) < 0)
			return r;
		if ((r = set_flag(ctx, name)) < 0)
			return err_prefix(r, WHERE ".flags[%zu]", i);
	}
	return 0;
}

/* One element of syscalls[].args; where is "linux.seccomp.syscalls[i].args[j]". */
static int parse_arg(struct json_object *o, const char *where, struct scmp_arg_cmp *cmp)
{
	struct json_object *v;
	const char *op;
	uint64_t index = 0, value = 0, two = 0;
	size_t k;
	int r;

	if (!json_object_is_type(o, json_type_object))
		return err_set(-EINVAL, "%s must be an object", where);
	if (!(v = member(o, "index")))
		return err_set(-EINVAL, "%s.index is missing", where);
	if ((r = get_uint(v, "index", 5, &index)) < 0)
		return err_prefix(r, "%s", where);
	if (!(v = member(o, "value")))
		return err_set(-EINVAL, "%s.value is missing", where);
	if ((r = get_uint(v, "value", UINT64_MAX, &value)) < 0 ||
	    ((v = member(o, "valueTwo")) && (r = get_uint(v, "valueTwo", UINT64_MAX, &two)) < 0))
		return err_prefix(r, "%s", where);
	if (!(v = member(o, "op")))
		return err_set(-EINVAL, "%s.op is missing", where);
	if (!json_object_is_type(v, json_type_string))
		return err_set(-EINVAL, "%s.op must be a string such as \"SCMP_CMP_EQ\"", where);
	op = json_object_get_string(v);
	for (k = 0; k < ARRAY_SIZE(operators) && strcmp(operators[k].name, op); k++)
		;
	if (k == ARRAY_SIZE(operators))
		return err_set(-EINVAL, "%s.op: unknown operator '%s'", where, op);
	/* For SCMP_CMP_MASKED_EQ, value is the mask and valueTwo the
	 * result wanted: (arg & value) == valueTwo. */
	*cmp = (struct scmp_arg_cmp){ .arg = (unsigned)index, .op = operators[k].op, .datum_a = value, .datum_b = two };
	return 0;
}

/* syscalls[i].args: at most one comparison per argument, as libseccomp
 * combines a rule's comparisons with AND and refuses two on one argument. */
static int parse_args(struct json_object *arr, const char *where, struct scmp_arg_cmp cmps[6], unsigned *count)
{
	char at[96];
	unsigned seen = 0;
	size_t n = 0;
	int r;

	*count = 0;
	if (!arr)
		return 0;
	snprintf(at, sizeof(at), "%s.args", where);
	if ((r = get_array(arr, at, &n)) < 0)
		return r;
	if (n > 6)
		return err_set(-EINVAL, "%s has %zu entries, but a system call has only 6 arguments", at, n);
	for (size_t j = 0; j < n; j++) {
		snprintf(at, sizeof(at), "%s.args[%zu]", where, j);
		if ((r = parse_arg(json_object_array_get_idx(arr, j), at, &cmps[j])) < 0)
			return r;
		if (seen & (1U << cmps[j].arg))
			return err_set(-EINVAL, "%s: argument %u is compared twice (write one rule per comparison)", at,
				       cmps[j].arg);
		seen |= 1U << cmps[j].arg;
	}
	*count = (unsigned)n;
	return 0;
}

static int add_rule_names(scmp_filter_ctx ctx, struct json_object *names, const char *where, uint32_t action,
			  unsigned nargs, const struct scmp_arg_cmp *cmps, bool skip)
{
	char at[96];
	size_t n = 0;
	int r;

	if (!names)
		return err_set(-EINVAL, "%s.names is missing", where);
	if ((r = get_array(names, "names", &n)) < 0)
		return err_prefix(r, "%s", where);
	if (n == 0)
		return err_set(-EINVAL, "%s.names is empty (it must list at least one system call)", where);
	snprintf(at, sizeof(at), "%s.names", where);
	for (size_t k = 0; k < n; k++) {
		const char *name = NULL;
		int nr;

		if ((r = array_string(names, k, at, &name)) < 0)
			return r;
		if (skip)
			continue;
		/* Profiles list system calls of other kernels and
		 * architectures: what libseccomp does not know is left to
		 * the default action. */
		nr = seccomp_syscall_resolve_name(name);
		if (nr == __NR_SCMP_ERROR)
			continue;
		r = seccomp_rule_add_array(ctx, action, nr, nargs, cmps);
		if (r < 0)
			return err_errno(r, "%s: cannot add the rule for %s", where, name);
	}
	return 0;
}

static int add_syscall(scmp_filter_ctx ctx, struct json_object *o, size_t i, uint32_t default_action)
{
	struct scmp_arg_cmp cmps[6];
	char where[64];
	unsigned nargs;
	uint32_t action;
	int r;

	snprintf(where, sizeof(where), WHERE ".syscalls[%zu]", i);
	if (!json_object_is_type(o, json_type_object))
		return err_set(-EINVAL, "%s must be an object", where);
	if ((r = parse_action(o, where, "action", "errnoRet", &action)) < 0 ||
	    (r = parse_args(member(o, "args"), where, cmps, &nargs)) < 0)
		return r;
	/* libseccomp refuses a rule that repeats the default action; such a
	 * rule changes nothing, so it is checked and then dropped. */
	return add_rule_names(ctx, member(o, "names"), where, action, nargs, cmps, action == default_action);
}

static int add_syscalls(scmp_filter_ctx ctx, struct json_object *arr, uint32_t default_action)
{
	size_t n = 0;
	int r;

	if (!arr)
		return 0;
	if ((r = get_array(arr, WHERE ".syscalls", &n)) < 0)
		return r;
	for (size_t i = 0; i < n; i++)
		if ((r = add_syscall(ctx, json_object_array_get_idx(arr, i), i, default_action)) < 0)
			return r;
	return 0;
}

int oci_seccomp_build(struct json_object *json, struct oci_seccomp **out)
{
	__attribute__((cleanup(seccomp_releasep))) scmp_filter_ctx ctx = NULL;
	struct oci_seccomp *s;
	uint32_t default_action;
	int r;

	*out = NULL;
	if (!json || json_object_is_type(json, json_type_null))
		return 0;
	if (!json_object_is_type(json, json_type_object))
		return err_set(-EINVAL, WHERE " must be an object");
	if ((r = parse_action(json, WHERE, "defaultAction", "defaultErrnoRet", &default_action)) < 0)
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
	if ((r = add_architectures(ctx, member(json, "architectures"))) < 0 ||
	    (r = set_flags(ctx, member(json, "flags"))) < 0 ||
	    (r = add_syscalls(ctx, member(json, "syscalls"), default_action)) < 0)
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
