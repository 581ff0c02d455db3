/* SPDX-License-Identifier: MIT */
/* util/json: field tables, typed getters, hostile input, and util/err's
 * fallbacks. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "t.h"
#include "util/err.h"
#include "util/json.h"

struct rec {
	const char *name;
	char *dup;
	char buf[8];
	bool flag;
	int small;
	unsigned count;
	int64_t big;
	uint64_t size;
	double ratio;
	struct json_object *list;
	int custom;
};

static int parse_even(struct json_object *v, void *dst, const char *path)
{
	if (!json_object_is_type(v, json_type_int) || json_object_get_int(v) % 2)
		return err_set(-EINVAL, "%s: expected an even number", path);
	*(int *)dst = json_object_get_int(v);
	return 0;
}

static const struct json_field rec_fields[] = {
	JSON_FIELD("name", JSON_STR, JSON_REQUIRED, struct rec, name),
	JSON_FIELD("dup", JSON_STRDUP, 0, struct rec, dup),
	JSON_FIELD_BUF("buf", 0, struct rec, buf),
	JSON_FIELD("flag", JSON_BOOL, 0, struct rec, flag),
	JSON_FIELD_RANGE("small", JSON_INT, 0, struct rec, small, -5, 5),
	JSON_FIELD("count", JSON_UINT, JSON_NULLABLE, struct rec, count),
	JSON_FIELD("big", JSON_INT64, 0, struct rec, big),
	JSON_FIELD("size", JSON_UINT64, 0, struct rec, size),
	JSON_FIELD("ratio", JSON_DOUBLE, 0, struct rec, ratio),
	JSON_FIELD("list", JSON_ARRAY, 0, struct rec, list),
	JSON_FIELD_CUSTOM("even", 0, struct rec, custom, parse_even),
	JSON_FIELD_END,
};

/* Dispatch text into a fresh record; returns the result, message in err. */
static int run(const char *text, struct rec *r, unsigned flags)
{
	struct json_object *o = NULL;
	int ret;

	memset(r, 0, sizeof(*r));
	err_clear();
	if ((ret = json_parse(text, strlen(text), "t.json", &o)) < 0)
		return ret;
	ret = json_dispatch(o, rec_fields, r, "t.json", flags);
	/* borrowed strings die with o: check them before */
	if (ret == 0 && r->name)
		CHECK(strlen(r->name) < 100, "name readable");
	json_object_put(o);
	r->name = NULL;
	r->list = NULL;
	return ret;
}

static void expect_error(const char *text, const char *want, unsigned flags)
{
	struct rec r;
	int ret = run(text, &r, flags);

	CHECK(ret == -EINVAL, "%s: want -EINVAL, got %d", text, ret);
	CHECK(strstr(err_msg(), want) != NULL, "%s: message '%s' lacks '%s'", text, err_msg(), want);
	free(r.dup);
}

static void test_dispatch(void)
{
	struct rec r;
	int ret = run("{\"name\":\"a\",\"dup\":\"copy\",\"buf\":\"1234567\",\"flag\":true,\"small\":-5,"
		      "\"count\":7,\"big\":-9000000000,\"size\":18446744073709551615,\"ratio\":0.5,"
		      "\"list\":[1],\"even\":4,\"extra\":1}",
		      &r, 0);
	CHECK(ret == 0, "good record: %s", err_msg());
	CHECK_STR(r.dup, "copy", "strdup");
	CHECK_STR(r.buf, "1234567", "strbuf");
	CHECK(r.flag && r.small == -5 && r.count == 7 && r.big == -9000000000LL, "scalars");
	CHECK(r.size == UINT64_MAX, "uint64 max: %llu", (unsigned long long)r.size);
	CHECK(r.ratio == 0.5 && r.custom == 4, "double, custom");
	free(r.dup);

	CHECK(run("{\"name\":\"a\",\"count\":null}", &r, 0) == 0, "nullable null is absent: %s", err_msg());

	expect_error("{}", "t.json.name is missing", 0);
	expect_error("{\"name\":null}", "t.json.name: expected a string, got null", 0);
	expect_error("{\"name\":5}", "t.json.name: expected a string, got an integer", 0);
	expect_error("{\"name\":\"a\",\"buf\":\"12345678\"}", "t.json.buf: longer than 7 bytes", 0);
	expect_error("{\"name\":\"a\",\"buf\":\"a\\u0000b\"}", "contains a NUL", 0);
	expect_error("{\"name\":\"a\",\"flag\":\"yes\"}", "t.json.flag: expected a boolean, got a string", 0);
	expect_error("{\"name\":\"a\",\"small\":6}", "t.json.small: 6 is out of range (-5 to 5)", 0);
	expect_error("{\"name\":\"a\",\"small\":1.5}", "t.json.small: expected an integer, got a number", 0);
	expect_error("{\"name\":\"a\",\"count\":-1}", "t.json.count: expected a number from 0", 0);
	expect_error("{\"name\":\"a\",\"size\":-1}", "t.json.size: must not be negative", 0);
	expect_error("{\"name\":\"a\",\"big\":9999999999999999999}", "t.json.big: number out of range", 0);
	expect_error("{\"name\":\"a\",\"list\":{}}", "t.json.list: expected an array, got an object", 0);
	expect_error("{\"name\":\"a\",\"even\":3}", "t.json.even: expected an even number", 0);
	expect_error("{\"name\":\"a\",\"extra\":1}", "t.json.extra: unknown field", JSON_STRICT);
	expect_error("[1,2]", "t.json: expected an object, got an array", 0);
	expect_error("null", "t.json: expected an object, got null", 0);
}

static void test_parse(void)
{
	struct json_object *o = NULL;
	char deep[400];

	CHECK(json_parse("{\"a\":1} \n", 9, "p", &o) == 0, "trailing space ok");
	json_object_put(o);
	CHECK(json_parse("{\"a\":1} x", 9, "p", &o) == -EINVAL && o == NULL, "trailing text: %s", err_msg());
	CHECK(json_parse("{\"a\":", 5, "p", &o) == -EINVAL && strstr(err_msg(), "ends early"), "%s", err_msg());
	CHECK(json_parse("null", 4, "p", &o) == 0 && o == NULL, "null is NULL");
	CHECK(json_parse_object("[]", 2, "p", &o) == -EINVAL && strstr(err_msg(), "expected a JSON object"), "%s",
	      err_msg());
	/* nesting deeper than JSON_MAX_DEPTH is refused, not recursed into */
	for (size_t i = 0; i < 200; i++)
		deep[i] = '[';
	for (size_t i = 200; i < 400; i++)
		deep[i] = ']';
	CHECK(json_parse(deep, sizeof(deep), "p", &o) == -EINVAL && o == NULL, "deep nesting refused");
}

static void test_getters(void)
{
	struct json_object *o = NULL;
	const char *s = NULL;
	bool b = false;
	int64_t i = 0;
	uint64_t u = 0;
	double d = 0;
	struct json_object *sub = NULL;
	const char *text = "{\"s\":\"x\",\"n\":null,\"b\":true,\"i\":-3,\"u\":3,\"d\":2,\"o\":{},\"a\":[]}";

	CHECK(json_parse(text, strlen(text), "g", &o) == 0, "parse");
	CHECK(json_get_str(o, "s", "g", &s) == 0 && !strcmp(s, "x"), "str");
	CHECK(json_get_str(o, "n", "g", &s) == -ENOENT, "null reads as absent");
	CHECK(json_get_str(o, "missing", "g", &s) == -ENOENT, "absent");
	CHECK(json_get_str(o, "b", "g", &s) == -EINVAL && strstr(err_msg(), "g.b: expected a string, got a boolean"),
	      "%s", err_msg());
	CHECK(json_need_str(o, "n", "g", &s) == -EINVAL && strstr(err_msg(), "g.n is missing"), "%s", err_msg());
	CHECK(json_get_bool(o, "b", "g", &b) == 0 && b, "bool");
	CHECK(json_get_int64(o, "i", "g", &i) == 0 && i == -3, "int64");
	CHECK(json_get_uint64(o, "i", "g", &u) == -EINVAL, "negative uint64");
	CHECK(json_get_uint64(o, "u", "g", &u) == 0 && u == 3, "uint64");
	CHECK(json_get_double(o, "d", "g", &d) == 0 && d == 2.0, "int as double");
	CHECK(json_get_object(o, "o", "g", &sub) == 0 && sub, "object");
	CHECK(json_get_array(o, "o", "g", &sub) == -EINVAL, "object is not an array");
	CHECK(json_get_array(o, "a", "g", &sub) == 0, "array");
	/* a getter on something that is not an object fails soft */
	CHECK(json_get_str(NULL, "s", "g", &s) == -ENOENT, "NULL object");
	json_object_put(o);
}

static int count_cb(struct json_object *e, size_t i, const char *epath, void *ctx)
{
	if (!json_object_is_type(e, json_type_int))
		return err_set(-EINVAL, "%s: expected an integer", epath);
	(*(size_t *)ctx)++;
	return 0;
}

static void test_array_each(void)
{
	struct json_object *o = NULL;
	size_t n = 0;

	json_parse("[1,2,\"x\"]", 9, "a", &o);
	CHECK(json_array_each(o, "list", 0, count_cb, &n) == -EINVAL && n == 2, "stops at the bad one");
	CHECK(strstr(err_msg(), "list[2]: expected an integer") != NULL, "%s", err_msg());
	CHECK(json_array_each(o, "list", 2, count_cb, &n) == -EINVAL && strstr(err_msg(), "more than 2"), "%s",
	      err_msg());
	json_object_put(o);
}

static void test_err(void)
{
	struct err_saved s;

	err_clear();
	CHECK(!strcmp(err_msg_for(-ENOENT), "No such file or directory"), "bare errno falls back to strerror");
	err_set(-EINVAL, "first");
	CHECK(!strcmp(err_msg_for(-EINVAL), "first"), "recorded message");
	CHECK(!strcmp(err_msg_for(-EIO), "Input/output error"), "stale message not shown: %s", err_msg_for(-EIO));
	err_save(&s);
	err_set(-EIO, "cleanup failed");
	CHECK(err_restore(&s) == -EINVAL && !strcmp(err_msg(), "first"), "save/restore");
	err_clear();
	CHECK(err_prefix(-ENOENT, "reading x") == -ENOENT && !strcmp(err_msg(), "reading x: No such file or directory"),
	      "prefix of nothing: %s", err_msg());
	err_set(-EINVAL, "bad");
	err_prefix(-EINVAL, "ctx");
	CHECK(!strcmp(err_msg(), "ctx: bad") && err_code() == -EINVAL, "prefix");
}

int main(void)
{
	test_dispatch();
	test_parse();
	test_getters();
	test_array_each();
	test_err();
	T_DONE();
}
