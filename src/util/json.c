/* SPDX-License-Identifier: MIT */
/* Declarative, type-checked reading of untrusted JSON (see json.h). */
#include "util/json.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"

const char *json_kind_name(struct json_object *v)
{
	switch (v ? json_object_get_type(v) : json_type_null) {
	case json_type_null:
		return "null";
	case json_type_boolean:
		return "a boolean";
	case json_type_double:
		return "a number";
	case json_type_int:
		return "an integer";
	case json_type_object:
		return "an object";
	case json_type_array:
		return "an array";
	case json_type_string:
		return "a string";
	}
	return "an unknown value";
}

/* "PATH.KEY" (or "KEY" when path is empty) into buf. */
static const char *field_path(char *buf, size_t n, const char *path, const char *key)
{
	if (path && *path)
		snprintf(buf, n, "%s.%s", path, key);
	else
		snprintf(buf, n, "%s", key);
	return buf;
}

static int wrong(const char *fpath, const char *want, struct json_object *v)
{
	return err_set(-EINVAL, "%s: expected %s, got %s", fpath, want, json_kind_name(v));
}

/* An integer value as int64, checking type (no doubles, no strings). */
static int as_int64(struct json_object *v, const char *fpath, int64_t *out)
{
	if (!json_object_is_type(v, json_type_int))
		return wrong(fpath, "an integer", v);
	errno = 0;
	*out = json_object_get_int64(v);
	/* json-c keeps integers above INT64_MAX as unsigned and reads them
	 * back clamped to INT64_MAX */
	if (errno == ERANGE || (*out == INT64_MAX && json_object_get_uint64(v) != (uint64_t)INT64_MAX))
		return err_set(-EINVAL, "%s: number out of range", fpath);
	return 0;
}

static int as_uint64(struct json_object *v, const char *fpath, uint64_t *out)
{
	if (!json_object_is_type(v, json_type_int))
		return wrong(fpath, "an integer", v);
	/* json-c keeps integers above INT64_MAX as unsigned */
	if (json_object_get_int64(v) < 0)
		return err_set(-EINVAL, "%s: must not be negative", fpath);
	*out = json_object_get_uint64(v);
	return 0;
}

static int check_range(const struct json_field *f, int64_t v, const char *fpath)
{
	if (f->max > f->min && (v < f->min || v > f->max))
		return err_set(-EINVAL, "%s: %lld is out of range (%lld to %lld)", fpath, (long long)v,
			       (long long)f->min, (long long)f->max);
	return 0;
}

static const char *kind_want(enum json_kind k)
{
	switch (k) {
	case JSON_STR:
	case JSON_STRDUP:
	case JSON_STRBUF:
		return "a string";
	case JSON_BOOL:
		return "a boolean";
	case JSON_INT:
	case JSON_UINT:
	case JSON_INT64:
	case JSON_UINT64:
		return "an integer";
	case JSON_DOUBLE:
		return "a number";
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	default:
		return "a value";
	}
}

/* A string field: borrowed, copied to the heap, or into a fixed buffer. */
static int dispatch_string(const struct json_field *f, struct json_object *v, void *dst, const char *fpath)
{
	if (!json_object_is_type(v, json_type_string))
		return wrong(fpath, "a string", v);
	const char *s = json_object_get_string(v);
	size_t len = (size_t)json_object_get_string_len(v);

	switch (f->kind) {
	case JSON_STR:
		*(const char **)dst = s;
		return 0;
	case JSON_STRDUP: {
		char *copy = strdup(s);
		if (!copy)
			return err_set(-ENOMEM, "out of memory reading %s", fpath);
		free(*(char **)dst);
		*(char **)dst = copy;
		return 0;
	}
	default: /* JSON_STRBUF */
		if (len >= f->size)
			return err_set(-EINVAL, "%s: longer than %zu bytes", fpath, f->size - 1);
		if (memchr(s, '\0', len))
			return err_set(-EINVAL, "%s: contains a NUL character", fpath);
		memcpy(dst, s, len + 1);
		return 0;
	}
}

/* A number field, checked against its type's range and the field's. */
static int dispatch_number(const struct json_field *f, struct json_object *v, void *dst, const char *fpath)
{
	int64_t i = 0;
	uint64_t u = 0;
	int r;

	switch (f->kind) {
	case JSON_INT:
		if ((r = as_int64(v, fpath, &i)) < 0 || (r = check_range(f, i, fpath)) < 0)
			return r;
		if (i < INT_MIN || i > INT_MAX)
			return err_set(-EINVAL, "%s: number out of range", fpath);
		*(int *)dst = (int)i;
		return 0;
	case JSON_UINT:
		if ((r = as_int64(v, fpath, &i)) < 0 || (r = check_range(f, i, fpath)) < 0)
			return r;
		if (i < 0 || i > UINT_MAX)
			return err_set(-EINVAL, "%s: expected a number from 0 to %u", fpath, UINT_MAX);
		*(unsigned *)dst = (unsigned)i;
		return 0;
	case JSON_INT64:
		if ((r = as_int64(v, fpath, &i)) < 0 || (r = check_range(f, i, fpath)) < 0)
			return r;
		*(int64_t *)dst = i;
		return 0;
	case JSON_UINT64:
		if ((r = as_uint64(v, fpath, &u)) < 0)
			return r;
		if (f->max > f->min && (u < (uint64_t)f->min || u > (uint64_t)f->max))
			return check_range(f, u > INT64_MAX ? INT64_MAX : (int64_t)u, fpath);
		*(uint64_t *)dst = u;
		return 0;
	case JSON_DOUBLE:
		if (!json_object_is_type(v, json_type_double) && !json_object_is_type(v, json_type_int))
			return wrong(fpath, "a number", v);
		*(double *)dst = json_object_get_double(v);
		if (!isfinite(*(double *)dst))
			return err_set(-EINVAL, "%s: not a finite number", fpath);
		return 0;
	default:
		return err_set(-EINVAL, "%s: unknown field kind", fpath);
	}
}

static int dispatch_one(const struct json_field *f, struct json_object *v, void *out, const char *fpath)
{
	void *dst = (char *)out + f->offset;

	switch (f->kind) {
	case JSON_STR:
	case JSON_STRDUP:
	case JSON_STRBUF:
		return dispatch_string(f, v, dst, fpath);
	case JSON_INT:
	case JSON_UINT:
	case JSON_INT64:
	case JSON_UINT64:
	case JSON_DOUBLE:
		return dispatch_number(f, v, dst, fpath);
	case JSON_BOOL:
		if (!json_object_is_type(v, json_type_boolean))
			return wrong(fpath, "a boolean", v);
		*(bool *)dst = json_object_get_boolean(v);
		return 0;
	case JSON_OBJECT:
		if (!json_object_is_type(v, json_type_object))
			return wrong(fpath, "an object", v);
		*(struct json_object **)dst = v;
		return 0;
	case JSON_ARRAY:
		if (!json_object_is_type(v, json_type_array))
			return wrong(fpath, "an array", v);
		*(struct json_object **)dst = v;
		return 0;
	case JSON_ANY:
		*(struct json_object **)dst = v;
		return 0;
	case JSON_CUSTOM:
		return f->parse(v, dst, fpath);
	}
	return err_set(-EINVAL, "%s: unknown field kind", fpath);
}

static bool known(const struct json_field *fields, const char *key)
{
	for (const struct json_field *f = fields; f->name; f++)
		if (!strcmp(f->name, key))
			return true;
	return false;
}

int json_dispatch(struct json_object *obj, const struct json_field *fields, void *out, const char *path, unsigned flags)
{
	char fpath[512];
	int r;

	if (!json_object_is_type(obj, json_type_object))
		return err_set(-EINVAL, "%s: expected an object, got %s", path && *path ? path : "JSON",
			       json_kind_name(obj));
	for (const struct json_field *f = fields; f->name; f++) {
		struct json_object *v = NULL;
		bool present = json_object_object_get_ex(obj, f->name, &v);

		field_path(fpath, sizeof(fpath), path, f->name);
		if (present && !v && !(f->flags & JSON_NULLABLE))
			return wrong(fpath, kind_want(f->kind), v);
		if (!present || !v) {
			if (f->flags & JSON_REQUIRED)
				return err_set(-EINVAL, "%s is missing", fpath);
			continue;
		}
		if (f->kind == JSON_ANY && json_object_is_type(v, json_type_null))
			continue;
		if ((r = dispatch_one(f, v, out, fpath)) < 0)
			return r;
	}
	if (flags & JSON_STRICT) {
		json_object_object_foreach(obj, key, val)
		{
			(void)val;
			if (!known(fields, key))
				return err_set(-EINVAL, "%s: unknown field",
					       field_path(fpath, sizeof(fpath), path, key));
		}
	}
	return 0;
}

int json_array_each(struct json_object *arr, const char *path, size_t max,
		    int (*cb)(struct json_object *e, size_t i, const char *epath, void *ctx), void *ctx)
{
	char epath[512];
	size_t n;
	int r;

	if (!json_object_is_type(arr, json_type_array))
		return err_set(-EINVAL, "%s: expected an array, got %s", path, json_kind_name(arr));
	n = json_object_array_length(arr);
	if (max && n > max)
		return err_set(-EINVAL, "%s: more than %zu entries", path, max);
	for (size_t i = 0; i < n; i++) {
		snprintf(epath, sizeof(epath), "%s[%zu]", path, i);
		if ((r = cb(json_object_array_get_idx(arr, i), i, epath, ctx)) < 0)
			return r;
	}
	return 0;
}

/* The value at key, NULL when absent or null. */
static struct json_object *lookup(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, key, &v))
		return NULL;
	return json_object_is_type(v, json_type_null) ? NULL : v;
}

static int get_typed(struct json_object *o, const char *key, const char *path, enum json_kind kind, void *out)
{
	struct json_field f = { .name = key, .kind = kind };
	struct json_object *v = lookup(o, key);
	char fpath[512];

	if (!v)
		return -ENOENT;
	return dispatch_one(&f, v, out, field_path(fpath, sizeof(fpath), path, key));
}

int json_get_str(struct json_object *o, const char *key, const char *path, const char **out)
{
	return get_typed(o, key, path, JSON_STR, out);
}

int json_get_bool(struct json_object *o, const char *key, const char *path, bool *out)
{
	return get_typed(o, key, path, JSON_BOOL, out);
}

int json_get_int64(struct json_object *o, const char *key, const char *path, int64_t *out)
{
	return get_typed(o, key, path, JSON_INT64, out);
}

int json_get_uint64(struct json_object *o, const char *key, const char *path, uint64_t *out)
{
	return get_typed(o, key, path, JSON_UINT64, out);
}

int json_get_double(struct json_object *o, const char *key, const char *path, double *out)
{
	return get_typed(o, key, path, JSON_DOUBLE, out);
}

int json_get_object(struct json_object *o, const char *key, const char *path, struct json_object **out)
{
	return get_typed(o, key, path, JSON_OBJECT, out);
}

int json_get_array(struct json_object *o, const char *key, const char *path, struct json_object **out)
{
	return get_typed(o, key, path, JSON_ARRAY, out);
}

int json_need_str(struct json_object *o, const char *key, const char *path, const char **out)
{
	char fpath[512];
	int r = json_get_str(o, key, path, out);

	if (r == -ENOENT)
		return err_set(-EINVAL, "%s is missing", field_path(fpath, sizeof(fpath), path, key));
	return r;
}

/* "PATH:LINE:COL" for the byte at offset off of text (both from 1). */
static void text_position(const char *text, size_t len, size_t off, const char *path, char *buf, size_t n)
{
	size_t line = 1, col = 1;

	for (size_t i = 0; i < off && i < len; i++, col++)
		if (text[i] == '\n') {
			line++;
			col = 0;
		}
	snprintf(buf, n, "%s:%zu:%zu", path, line, col);
}

static int parse_text(const char *text, size_t len, const char *path, bool locate, struct json_object **out)
{
	json_tokener *tok;
	struct json_object *o;
	enum json_tokener_error e;
	size_t used;

	*out = NULL;
	if (len > INT_MAX)
		return err_set(-EFBIG, "%s: too large", path);
	if (!(tok = json_tokener_new_ex(JSON_MAX_DEPTH)))
		return err_set(-ENOMEM, "out of memory parsing %s", path);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, text, (int)len);
	e = json_tokener_get_error(tok);
	used = json_tokener_get_parse_end(tok);
	if (e == json_tokener_continue) {
		/* a bare scalar ("null", "12") is complete only at the end of
		 * input: say so with a terminating NUL */
		o = json_tokener_parse_ex(tok, "", 1);
		e = json_tokener_get_error(tok);
		used = len;
	}
	json_tokener_free(tok);
	if (e != json_tokener_success) {
		char where[512];
		json_object_put(o);
		if (locate)
			text_position(text, len, used, path, where, sizeof(where));
		else
			snprintf(where, sizeof(where), "%s", path);
		if (e == json_tokener_continue || e == json_tokener_error_parse_eof)
			return err_set(-EINVAL, "%s: the JSON text ends early", where);
		return err_set(-EINVAL, "%s: invalid JSON: %s", where, json_tokener_error_desc(e));
	}
	/* a JSON null parses to NULL: *out stays NULL and the caller's type
	 * check says "got null" */
	for (; used < len; used++)
		if (!strchr(" \t\r\n", text[used])) {
			char where[512];
			json_object_put(o);
			if (locate)
				text_position(text, len, used, path, where, sizeof(where));
			else
				snprintf(where, sizeof(where), "%s", path);
			return err_set(-EINVAL, "%s: text after the JSON value", where);
		}
	*out = o;
	return 0;
}

int json_parse(const char *text, size_t len, const char *path, struct json_object **out)
{
	return parse_text(text, len, path, false, out);
}

int json_parse_located(const char *text, size_t len, const char *path, struct json_object **out)
{
	return parse_text(text, len, path, true, out);
}

int json_parse_object(const char *text, size_t len, const char *path, struct json_object **out)
{
	int r = json_parse(text, len, path, out);

	if (r == 0 && (!*out || !json_object_is_type(*out, json_type_object))) {
		r = err_set(-EINVAL, "%s: expected a JSON object, got %s", path, json_kind_name(*out));
		json_object_put(*out);
		*out = NULL;
	}
	return r;
}
