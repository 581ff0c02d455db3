/* SPDX-License-Identifier: MIT */
/* Typed guest agent commands (see ops.h). */
#include "agent/ops.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "network/addr.h"
#include "util/base64.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/json.h"
#include "util/jsonfile.h"
#include "util/text.h"

/* Keep a guest's string for display: sanitized, cut to fit. */
static void keep_text(char *dst, size_t size, const char *src)
{
	text_sanitize(dst, size, src ? src : "", src ? strlen(src) : 0, 0);
}

static struct json_object *args_new(void)
{
	return json_object_new_object();
}

static int arg_add(struct json_object *o, const char *key, struct json_object *v)
{
	if (!o || !v || json_object_object_add(o, key, v) < 0) {
		json_object_put(v);
		return err_set(-ENOMEM, "out of memory");
	}
	return 0;
}

/* The "return" value of command has type t (what: its name for people). */
static int ret_is(struct json_object *ret, const char *command, enum json_type t, const char *what)
{
	if (!json_object_is_type(ret, t))
		return err_set(-EPROTO, "guest agent: %s: expected %s, got %s", command, what, json_kind_name(ret));
	return 0;
}

static int ret_int(struct json_object *ret, const char *command, int64_t *out)
{
	int r = ret_is(ret, command, json_type_int, "a number");

	if (r == 0)
		*out = json_object_get_int64(ret);
	return r;
}

static int ret_object(struct json_object *ret, const char *command)
{
	return ret_is(ret, command, json_type_object, "an object");
}

int agent_ping(struct qga *g, int timeout_ms)
{
	return qga_execute(g, "guest-ping", NULL, timeout_ms, NULL);
}

struct osinfo_raw {
	const char *id, *name, *pretty, *version, *version_id, *kernel, *machine;
};

int agent_get_osinfo(struct qga *g, int timeout_ms, struct agent_osinfo *out)
{
	static const struct json_field fields[] = {
		JSON_FIELD("id", JSON_STR, 0, struct osinfo_raw, id),
		JSON_FIELD("name", JSON_STR, 0, struct osinfo_raw, name),
		JSON_FIELD("pretty-name", JSON_STR, 0, struct osinfo_raw, pretty),
		JSON_FIELD("version", JSON_STR, 0, struct osinfo_raw, version),
		JSON_FIELD("version-id", JSON_STR, 0, struct osinfo_raw, version_id),
		JSON_FIELD("kernel-release", JSON_STR, 0, struct osinfo_raw, kernel),
		JSON_FIELD("machine", JSON_STR, 0, struct osinfo_raw, machine),
		JSON_FIELD_END,
	};
	_cleanup_json_ struct json_object *ret = NULL;
	struct osinfo_raw raw = { 0 };
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = qga_execute(g, "guest-get-osinfo", NULL, timeout_ms, &ret)) < 0)
		return r;
	if ((r = json_dispatch(ret, fields, &raw, "guest agent: guest-get-osinfo", 0)) < 0)
		return qga_proto_error(r);
	keep_text(out->id, sizeof(out->id), raw.id);
	keep_text(out->name, sizeof(out->name), raw.name);
	keep_text(out->pretty_name, sizeof(out->pretty_name), raw.pretty);
	keep_text(out->version, sizeof(out->version), raw.version);
	keep_text(out->version_id, sizeof(out->version_id), raw.version_id);
	keep_text(out->kernel_release, sizeof(out->kernel_release), raw.kernel);
	keep_text(out->machine, sizeof(out->machine), raw.machine);
	return 0;
}

struct addr_raw {
	const char *type, *addr;
	int prefix;
};

static int one_addr(struct json_object *e, size_t i, const char *path, void *ctx)
{
	static const struct json_field fields[] = {
		JSON_FIELD("ip-address-type", JSON_STR, JSON_REQUIRED, struct addr_raw, type),
		JSON_FIELD("ip-address", JSON_STR, JSON_REQUIRED, struct addr_raw, addr),
		JSON_FIELD_RANGE("prefix", JSON_INT, 0, struct addr_raw, prefix, 0, 128),
		JSON_FIELD_END,
	};
	struct agent_iface *f = ctx;
	struct addr_raw raw = { .prefix = -1 };
	int r;

	if ((r = json_dispatch(e, fields, &raw, path, 0)) < 0)
		return r;
	if (f->naddrs == AGENT_MAX_ADDRS)
		return 0;
	struct agent_addr *a = &f->addrs[f->naddrs++];
	a->ipv6 = !strcmp(raw.type, "ipv6");
	a->prefix = raw.prefix;
	keep_text(a->text, sizeof(a->text), raw.addr);
	return 0;
}

struct iface_raw {
	const char *name, *mac;
	struct json_object *addrs;
};

struct iface_list {
	struct agent_iface *out;
	unsigned n;
};

static int one_iface(struct json_object *e, size_t i, const char *path, void *ctx)
{
	static const struct json_field fields[] = {
		JSON_FIELD("name", JSON_STR, JSON_REQUIRED, struct iface_raw, name),
		JSON_FIELD("hardware-address", JSON_STR, 0, struct iface_raw, mac),
		JSON_FIELD("ip-addresses", JSON_ARRAY, 0, struct iface_raw, addrs),
		JSON_FIELD_END,
	};
	struct iface_list *l = ctx;
	struct iface_raw raw = { 0 };
	int r;

	if ((r = json_dispatch(e, fields, &raw, path, 0)) < 0)
		return r;
	if (l->n == AGENT_MAX_IFACES)
		return 0;
	struct agent_iface *f = &l->out[l->n++];
	memset(f, 0, sizeof(*f));
	keep_text(f->name, sizeof(f->name), raw.name);
	f->has_mac = raw.mac && mac_parse(raw.mac, f->mac) == 0;
	err_clear();
	if (raw.addrs && (r = json_array_each(raw.addrs, path, 1024, one_addr, f)) < 0)
		return r;
	return 0;
}

int agent_network_interfaces(struct qga *g, int timeout_ms, struct agent_iface *out, unsigned *n)
{
	_cleanup_json_ struct json_object *ret = NULL;
	struct iface_list l = { out, 0 };
	int r;

	*n = 0;
	if ((r = qga_execute(g, "guest-network-get-interfaces", NULL, timeout_ms, &ret)) < 0 ||
	    (r = ret_is(ret, "guest-network-get-interfaces", json_type_array, "an array")) < 0)
		return r;
	if ((r = json_array_each(ret, "guest agent: guest-network-get-interfaces", 4096, one_iface, &l)) < 0)
		return qga_proto_error(r);
	*n = l.n;
	return 0;
}

int agent_shutdown(struct qga *g, const char *mode)
{
	_cleanup_json_ struct json_object *args = args_new();
	int r;

	if ((r = arg_add(args, "mode", json_object_new_string(mode))) < 0)
		return r;
	/* an error comes back at once; success is the guest going down */
	return qga_execute_noreply(g, "guest-shutdown", args, 2000);
}

static int freeze_op(struct qga *g, const char *command, int timeout_ms, int *count)
{
	_cleanup_json_ struct json_object *ret = NULL;
	int64_t v = 0;
	int r;

	if ((r = qga_execute(g, command, NULL, timeout_ms, &ret)) < 0 || (r = ret_int(ret, command, &v)) < 0)
		return r;
	if (count)
		*count = v < 0 ? 0 : v > 100000 ? 100000 : (int)v;
	return 0;
}

int agent_fsfreeze_freeze(struct qga *g, int timeout_ms, int *count)
{
	return freeze_op(g, "guest-fsfreeze-freeze", timeout_ms, count);
}

int agent_fsfreeze_thaw(struct qga *g, int timeout_ms, int *count)
{
	return freeze_op(g, "guest-fsfreeze-thaw", timeout_ms, count);
}

int agent_fsfreeze_status(struct qga *g, int timeout_ms, bool *frozen)
{
	_cleanup_json_ struct json_object *ret = NULL;
	int r;

	if ((r = qga_execute(g, "guest-fsfreeze-status", NULL, timeout_ms, &ret)) < 0 ||
	    (r = ret_is(ret, "guest-fsfreeze-status", json_type_string, "a string")) < 0)
		return r;
	*frozen = !strcmp(json_object_get_string(ret), "frozen");
	return 0;
}

static struct json_object *strv_to_json(char *const *v)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; a && v && v[i]; i++)
		if (json_object_array_add(a, json_object_new_string(v[i])) < 0) {
			json_object_put(a);
			return NULL;
		}
	return a;
}

int agent_exec_start(struct qga *g, int timeout_ms, char *const *argv, char *const *env, const void *input,
		     size_t input_len, bool capture, int64_t *pid)
{
	_cleanup_json_ struct json_object *args = args_new();
	_cleanup_json_ struct json_object *ret = NULL;
	_cleanup_free_ char *b64 = NULL;
	int r;

	if ((r = arg_add(args, "path", json_object_new_string(argv[0]))) < 0 ||
	    (argv[1] && (r = arg_add(args, "arg", strv_to_json(argv + 1))) < 0) ||
	    (env && env[0] && (r = arg_add(args, "env", strv_to_json(env))) < 0) ||
	    (r = arg_add(args, "capture-output", json_object_new_boolean(capture))) < 0)
		return r;
	if (input_len > 0) {
		if (!(b64 = base64_encode(input, input_len)))
			return err_set(-ENOMEM, "out of memory");
		if ((r = arg_add(args, "input-data", json_object_new_string(b64))) < 0)
			return r;
	}
	if ((r = qga_execute(g, "guest-exec", args, timeout_ms, &ret)) < 0 || (r = ret_object(ret, "guest-exec")) < 0)
		return r;
	if ((r = json_get_int64(ret, "pid", "guest agent: guest-exec", pid)) == -ENOENT)
		return err_set(-EPROTO, "guest agent: guest-exec: no pid in the reply");
	return qga_proto_error(r);
}

struct exec_raw {
	bool exited, out_trunc, err_trunc;
	int code, sig;
	const char *out, *err;
};

static int decode_field(const char *b64, const char *what, uint8_t **out, size_t *len)
{
	int r;

	if (!b64)
		return 0;
	if ((r = base64_decode(b64, strlen(b64), out, len)) == -EINVAL)
		return err_set(-EPROTO, "guest agent: %s is not valid base64", what);
	return r;
}

int agent_exec_status(struct qga *g, int timeout_ms, int64_t pid, struct agent_exec_state *st)
{
	static const struct json_field fields[] = {
		JSON_FIELD("exited", JSON_BOOL, JSON_REQUIRED, struct exec_raw, exited),
		JSON_FIELD_RANGE("exitcode", JSON_INT, 0, struct exec_raw, code, -1000000, 1000000),
		JSON_FIELD_RANGE("signal", JSON_INT, 0, struct exec_raw, sig, 0, 1000),
		JSON_FIELD("out-data", JSON_STR, 0, struct exec_raw, out),
		JSON_FIELD("err-data", JSON_STR, 0, struct exec_raw, err),
		JSON_FIELD("out-truncated", JSON_BOOL, 0, struct exec_raw, out_trunc),
		JSON_FIELD("err-truncated", JSON_BOOL, 0, struct exec_raw, err_trunc),
		JSON_FIELD_END,
	};
	_cleanup_json_ struct json_object *args = args_new();
	_cleanup_json_ struct json_object *ret = NULL;
	struct exec_raw raw = { .code = -1000001, .sig = -1 };
	int r;

	memset(st, 0, sizeof(*st));
	if ((r = arg_add(args, "pid", json_object_new_int64(pid))) < 0 ||
	    (r = qga_execute(g, "guest-exec-status", args, timeout_ms, &ret)) < 0)
		return r;
	if ((r = json_dispatch(ret, fields, &raw, "guest agent: guest-exec-status", 0)) < 0)
		return qga_proto_error(r);
	st->exited = raw.exited;
	st->has_code = raw.code != -1000001;
	st->code = raw.code;
	st->has_signal = raw.sig >= 0;
	st->signal = raw.sig;
	st->out_truncated = raw.out_trunc;
	st->err_truncated = raw.err_trunc;
	if ((r = decode_field(raw.out, "out-data", &st->out, &st->out_len)) < 0 ||
	    (r = decode_field(raw.err, "err-data", &st->err, &st->err_len)) < 0) {
		agent_exec_state_free(st);
		return r;
	}
	return 0;
}

void agent_exec_state_free(struct agent_exec_state *st)
{
	free(st->out);
	free(st->err);
	st->out = st->err = NULL;
	st->out_len = st->err_len = 0;
}

int agent_file_open(struct qga *g, int timeout_ms, const char *path, const char *mode, int64_t *handle)
{
	_cleanup_json_ struct json_object *args = args_new();
	_cleanup_json_ struct json_object *ret = NULL;
	int r;

	if ((r = arg_add(args, "path", json_object_new_string(path))) < 0 ||
	    (r = arg_add(args, "mode", json_object_new_string(mode))) < 0 ||
	    (r = qga_execute(g, "guest-file-open", args, timeout_ms, &ret)) < 0)
		return r;
	return ret_int(ret, "guest-file-open", handle);
}

struct read_raw {
	int64_t count;
	const char *b64;
	bool eof;
};

int agent_file_read(struct qga *g, int timeout_ms, int64_t handle, size_t count, uint8_t **data, size_t *len, bool *eof)
{
	static const struct json_field fields[] = {
		JSON_FIELD_RANGE("count", JSON_INT64, JSON_REQUIRED, struct read_raw, count, 0, INT64_MAX),
		JSON_FIELD("buf-b64", JSON_STR, JSON_REQUIRED, struct read_raw, b64),
		JSON_FIELD("eof", JSON_BOOL, JSON_REQUIRED, struct read_raw, eof),
		JSON_FIELD_END,
	};
	_cleanup_json_ struct json_object *args = args_new();
	_cleanup_json_ struct json_object *ret = NULL;
	struct read_raw raw = { 0 };
	int r;

	*data = NULL;
	*len = 0;
	if ((r = arg_add(args, "handle", json_object_new_int64(handle))) < 0 ||
	    (r = arg_add(args, "count", json_object_new_int64((int64_t)count))) < 0 ||
	    (r = qga_execute(g, "guest-file-read", args, timeout_ms, &ret)) < 0)
		return r;
	if ((r = json_dispatch(ret, fields, &raw, "guest agent: guest-file-read", 0)) < 0)
		return qga_proto_error(r);
	if ((r = decode_field(raw.b64, "buf-b64", data, len)) < 0)
		return r;
	if (*len != (uint64_t)raw.count || *len > count) {
		free(*data);
		*data = NULL;
		*len = 0;
		return err_set(-EPROTO, "guest agent: guest-file-read: count does not match the data");
	}
	*eof = raw.eof;
	return 0;
}

int agent_file_write(struct qga *g, int timeout_ms, int64_t handle, const void *data, size_t len)
{
	_cleanup_json_ struct json_object *args = args_new();
	_cleanup_json_ struct json_object *ret = NULL;
	_cleanup_free_ char *b64 = base64_encode(data, len);
	int64_t wrote = -1;
	int r;

	if (!b64)
		return err_set(-ENOMEM, "out of memory");
	if ((r = arg_add(args, "handle", json_object_new_int64(handle))) < 0 ||
	    (r = arg_add(args, "buf-b64", json_object_new_string(b64))) < 0 ||
	    (r = qga_execute(g, "guest-file-write", args, timeout_ms, &ret)) < 0 ||
	    (r = ret_object(ret, "guest-file-write")) < 0)
		return r;
	if ((r = json_get_int64(ret, "count", "guest agent: guest-file-write", &wrote)) < 0 && r != -ENOENT)
		return qga_proto_error(r);
	if (wrote != (int64_t)len)
		return err_set(-EIO, "guest agent: guest-file-write: wrote %lld of %zu bytes", (long long)wrote, len);
	return 0;
}

int agent_file_close(struct qga *g, int timeout_ms, int64_t handle)
{
	_cleanup_json_ struct json_object *args = args_new();
	int r;

	if ((r = arg_add(args, "handle", json_object_new_int64(handle))) < 0)
		return r;
	return qga_execute(g, "guest-file-close", args, timeout_ms, NULL);
}
