/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * The one way hv reads JSON that comes from outside (vm.json and status
 * files, QMP replies, OCI config.json, agent replies, HTTP bodies):
 * declarative field tables.  A table names each field, its type and
 * whether it is required; json_dispatch() fills a C struct from an object
 * and fails with the field's path ("vm.json: disks[1].format: expected a
 * string, got null") on a missing required field, a wrong type, an
 * out-of-range number or an over-long string.  A JSON null is a wrong type
 * unless the field says JSON_NULLABLE (then it reads as absent).  Unknown
 * fields are ignored unless the dispatch says JSON_STRICT.
 *
 * The typed getters below serve code that reads one field at a time;
 * they share the same rules and messages.  Nothing here crashes on any
 * input: json-c objects of every type are checked before use.
 */
#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum json_kind {
	JSON_STR,    /* const char * borrowed from the object (valid while it lives) */
	JSON_STRDUP, /* char * malloc'd copy, the caller frees (an old value is freed first) */
	JSON_STRBUF, /* char[size] copy; longer strings are an error */
	JSON_BOOL,   /* bool */
	JSON_INT,    /* int, within [min, max] when max > min */
	JSON_UINT,   /* unsigned, within [min, max] when max > min */
	JSON_INT64,  /* int64_t, within [min, max] when max > min */
	JSON_UINT64, /* uint64_t (a negative number is an error), within [min, max] when max > min */
	JSON_DOUBLE, /* double (an integer is accepted) */
	JSON_OBJECT, /* struct json_object * borrowed, must be an object */
	JSON_ARRAY,  /* struct json_object * borrowed, must be an array */
	JSON_ANY,    /* struct json_object * borrowed, any type but null */
	JSON_CUSTOM, /* parse(value, dst, path): its own checks; dst = out + offset */
};

enum {
	JSON_REQUIRED = 1 << 0, /* absent (or null) is an error */
	JSON_NULLABLE = 1 << 1, /* null reads as absent rather than as a wrong type */
};

struct json_field {
	const char *name;
	enum json_kind kind;
	unsigned flags;
	size_t offset; /* offsetof(struct ..., member) */
	size_t size;   /* JSON_STRBUF: sizeof the char array */
	int64_t min, max;
	/* JSON_CUSTOM: path is the field's full path, for messages */
	int (*parse)(struct json_object *v, void *dst, const char *path);
};

/* Shorthands for field tables. */
#define JSON_FIELD(n, k, f, type, member)                                                                              \
	{                                                                                                              \
		.name = (n), .kind = (k), .flags = (f), .offset = offsetof(type, member)                               \
	}
#define JSON_FIELD_BUF(n, f, type, member)                                                                             \
	{                                                                                                              \
		.name = (n), .kind = JSON_STRBUF, .flags = (f), .offset = offsetof(type, member),                      \
		.size = sizeof(((type *)0)->member)                                                                    \
	}
#define JSON_FIELD_RANGE(n, k, f, type, member, lo, hi)                                                                \
	{                                                                                                              \
		.name = (n), .kind = (k), .flags = (f), .offset = offsetof(type, member), .min = (lo), .max = (hi)     \
	}
#define JSON_FIELD_CUSTOM(n, f, type, member, fn)                                                                      \
	{                                                                                                              \
		.name = (n), .kind = JSON_CUSTOM, .flags = (f), .offset = offsetof(type, member), .parse = (fn)        \
	}
#define JSON_FIELD_END                                                                                                 \
	{                                                                                                              \
		.name = NULL                                                                                           \
	}

enum {
	JSON_STRICT = 1 << 0, /* an unknown field is an error */
};

/* Fill out from obj by the table.  path names obj in messages
 * ("vm.json", "QMP query-status reply", "config.json: mounts[3]").
 * Returns 0, or -EINVAL (-ENOMEM) with the reason recorded. */
int json_dispatch(struct json_object *obj, const struct json_field *fields, void *out, const char *path,
		  unsigned flags);

/* Each element of an array through cb(element, index, element_path, ctx);
 * max bounds the length (0: no bound). */
int json_array_each(struct json_object *arr, const char *path, size_t max,
		    int (*cb)(struct json_object *e, size_t i, const char *epath, void *ctx), void *ctx);

/* Typed getters: 0 and *out set when key holds the right type; -ENOENT
 * (nothing recorded) when absent or null; -EINVAL with "PATH.KEY:
 * expected ..., got ..." when the type is wrong. */
int json_get_str(struct json_object *o, const char *key, const char *path, const char **out);
int json_get_bool(struct json_object *o, const char *key, const char *path, bool *out);
int json_get_int64(struct json_object *o, const char *key, const char *path, int64_t *out);
int json_get_uint64(struct json_object *o, const char *key, const char *path, uint64_t *out);
int json_get_double(struct json_object *o, const char *key, const char *path, double *out);
int json_get_object(struct json_object *o, const char *key, const char *path, struct json_object **out);
int json_get_array(struct json_object *o, const char *key, const char *path, struct json_object **out);
/* The same, but absent is an error too (-EINVAL, "PATH.KEY is missing"). */
int json_need_str(struct json_object *o, const char *key, const char *path, const char **out);

/* "a string", "null", "an object", ... for messages. */
const char *json_kind_name(struct json_object *v);
/* Parse text as one JSON value of at most max bytes, nesting at most
 * JSON_MAX_DEPTH; the whole text must be that value (trailing white space
 * aside).  path names the text in messages. */
#define JSON_MAX_DEPTH 64
int json_parse(const char *text, size_t len, const char *path, struct json_object **out);
/* The same for a file people write: a syntax error says where
 * ("lab.json:3:7: invalid JSON: ..."). */
int json_parse_located(const char *text, size_t len, const char *path, struct json_object **out);
/* The same, requiring an object. */
int json_parse_object(const char *text, size_t len, const char *path, struct json_object **out);
