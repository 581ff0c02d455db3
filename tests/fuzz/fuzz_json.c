/* SPDX-License-Identifier: MIT */
/* Fuzz target: util/json, the one reader of outside JSON: json_parse and
 * json_dispatch with a table of every field kind (each also nested one
 * level, and under JSON_STRICT), the typed getters and json_array_each. */
#include <errno.h>

#include "util/err.h"
#include "util/json.h"
#include "fuzz.h"

struct all {
	const char *str;
	char *dup;
	char buf[8];
	bool b;
	int i;
	unsigned u;
	int64_t i64;
	uint64_t u64;
	double d;
	struct json_object *obj, *arr, *any;
	int custom;
	int ranged;
};

static int parse_custom(struct json_object *v, void *dst, const char *path)
{
	const char *s = json_object_get_string(v);

	if (!json_object_is_type(v, json_type_string))
		return err_set(-EINVAL, "%s: expected a string", path);
	*(int *)dst = (int)strlen(s);
	return 0;
}

static const struct json_field fields[] = {
	JSON_FIELD("str", JSON_STR, JSON_NULLABLE, struct all, str),
	JSON_FIELD("dup", JSON_STRDUP, 0, struct all, dup),
	JSON_FIELD_BUF("buf", 0, struct all, buf),
	JSON_FIELD("b", JSON_BOOL, 0, struct all, b),
	JSON_FIELD("i", JSON_INT, 0, struct all, i),
	JSON_FIELD("u", JSON_UINT, JSON_NULLABLE, struct all, u),
	JSON_FIELD("i64", JSON_INT64, 0, struct all, i64),
	JSON_FIELD("u64", JSON_UINT64, 0, struct all, u64),
	JSON_FIELD("d", JSON_DOUBLE, 0, struct all, d),
	JSON_FIELD("obj", JSON_OBJECT, 0, struct all, obj),
	JSON_FIELD("arr", JSON_ARRAY, 0, struct all, arr),
	JSON_FIELD("any", JSON_ANY, 0, struct all, any),
	JSON_FIELD_CUSTOM("custom", 0, struct all, custom, parse_custom),
	JSON_FIELD_RANGE("ranged", JSON_INT, JSON_REQUIRED, struct all, ranged, -5, 5),
	JSON_FIELD_RANGE("u64r", JSON_UINT64, 0, struct all, u64, 1, 1000),
	JSON_FIELD_RANGE("ur", JSON_UINT, 0, struct all, u, 0, 65535),
	JSON_FIELD_RANGE("i64r", JSON_INT64, 0, struct all, i64, INT64_MIN + 1, INT64_MAX - 1),
	JSON_FIELD_END,
};

static int each(struct json_object *e, size_t i, const char *epath, void *ctx)
{
	struct all a = { 0 };
	int r;

	(void)i;
	(void)ctx;
	r = json_dispatch(e, fields, &a, epath, 0);
	free(a.dup);
	return r == -EINVAL ? 0 : r;
}

static void dispatch(struct json_object *o, unsigned flags)
{
	struct all a = { 0 };
	const char *s;
	bool b;
	int64_t i;
	uint64_t u;
	double d;
	struct json_object *v;

	json_dispatch(o, fields, &a, "fuzz", flags);
	if (a.obj)
		dispatch(a.obj, flags);
	if (a.arr)
		json_array_each(a.arr, "fuzz.arr", 16, each, NULL);
	free(a.dup);
	json_get_str(o, "str", "fuzz", &s);
	json_need_str(o, "dup", "fuzz", &s);
	json_get_bool(o, "b", "fuzz", &b);
	json_get_int64(o, "i64", "fuzz", &i);
	json_get_uint64(o, "u64", "fuzz", &u);
	json_get_double(o, "d", "fuzz", &d);
	json_get_object(o, "obj", "fuzz", &v);
	json_get_array(o, "arr", "fuzz", &v);
	err_clear();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object *o = NULL;

	if (json_parse((const char *)data, size, "fuzz", &o) == 0) {
		json_kind_name(o);
		if (json_object_is_type(o, json_type_object)) {
			dispatch(o, 0);
			dispatch(o, JSON_STRICT);
		} else if (json_object_is_type(o, json_type_array)) {
			json_array_each(o, "fuzz", 0, each, NULL);
		}
		json_object_put(o);
	}
	err_clear();
	return 0;
}
