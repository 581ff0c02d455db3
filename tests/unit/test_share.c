/* SPDX-License-Identifier: MIT */
/* Shared folder definitions: --share parsing (default tags made safe,
 * explicit tags, ",ro"), the set's refusals, the JSON form read back
 * through its field table (hostile vm.json values are named errors), and
 * the kernel arguments for hv's init. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "manager/share.h"
#include "t.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/jsonfile.h"

static char dir[] = "/tmp/hv-test-share.XXXXXX";

static char *in_dir(const char *name)
{
	char *p = NULL;
	if (asprintf(&p, "%s/%s", dir, name) < 0)
		abort();
	return p;
}

static void test_parse(void)
{
	_cleanup_free_ char *plain = in_dir("src"), *odd = in_dir(".my dir,x"), *file = in_dir("afile"), *spec = NULL;
	struct share s;

	mkdir(plain, 0755);
	mkdir(odd, 0755);
	close(open(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
	CHECK(share_parse(plain, &s) == 0 && !strcmp(s.tag, "src") && !s.readonly && !strcmp(s.source, plain),
	      "a plain folder: tag '%s'", s.tag);
	free(s.source);
	/* ",ro" ends the value; the last ':' starts the tag */
	if (asprintf(&spec, "%s/src/../src/:code,ro", dir) < 0)
		abort();
	CHECK(share_parse(spec, &s) == 0 && !strcmp(s.tag, "code") && s.readonly && !strcmp(s.source, plain),
	      "an explicit tag, read-only, canonical source '%s'", s.source);
	free(s.source);
	CHECK(share_parse(odd, &s) == 0 && !strcmp(s.tag, "_my_dir_x"), "a default tag made safe: '%s'", s.tag);
	free(s.source);
	CHECK(share_parse("/", &s) == 0 && !strcmp(s.tag, "root"), "the root folder's tag: '%s'", s.tag);
	free(s.source);

	err_clear();
	CHECK(share_parse(file, &s) == -ENOTDIR && strstr(err_msg(), "is not a directory"), "a file: %s", err_msg());
	CHECK(share_parse("/nonexistent/x", &s) == -ENOENT && strstr(err_msg(), "no such directory"), "missing: %s",
	      err_msg());
	CHECK(share_parse(":tag", &s) == -EINVAL, "no folder: %s", err_msg());
	free(spec);
	if (asprintf(&spec, "%s:a b", plain) < 0)
		abort();
	CHECK(share_parse(spec, &s) == -EINVAL && strstr(err_msg(), "may only hold"), "a bad tag: %s", err_msg());
}

static void test_set(void)
{
	_cleanup_free_ char *plain = in_dir("src"), *a = NULL;
	struct share_set set = { 0 };
	char spec[64];

	CHECK(share_set_add(&set, plain) == 0 && set.n == 1, "add one");
	err_clear();
	CHECK(share_set_add(&set, plain) == -EEXIST && strstr(err_msg(), "already taken") && set.n == 1,
	      "the same tag twice: %s", err_msg());
	for (int i = 1; i < SHARE_MAX; i++) {
		free(a);
		if (asprintf(&a, "%s:t%d", plain, i) < 0)
			abort();
		share_set_add(&set, a);
	}
	free(a);
	if (asprintf(&a, "%s:one-more", plain) < 0)
		abort();
	CHECK(set.n == SHARE_MAX && share_set_add(&set, a) == -E2BIG, "at most %d: %s", SHARE_MAX, err_msg());
	CHECK(share_set_remove(&set, "t3") == 0 && set.n == SHARE_MAX - 1 && !strcmp(set.v[3].tag, "t4"),
	      "remove keeps the order");
	CHECK(share_set_remove(&set, "t3") == -ENOENT, "remove an unknown tag: %s", err_msg());

	/* JSON both ways */
	struct share_set back = { 0 }, copy;
	_cleanup_json_ struct json_object *arr = share_set_json(&set);
	CHECK(share_set_from_json(arr, "shares", &back) == 0 && back.n == set.n &&
		  !strcmp(back.v[5].tag, set.v[5].tag) && !strcmp(back.v[5].source, plain),
	      "JSON round trip: %s", err_msg());
	CHECK(share_set_dup(&back, &copy) == 0 && copy.v[0].source != back.v[0].source, "a deep copy");
	share_set_free(&copy);
	share_set_free(&back);

	char *cmdline = strdup("console=ttyS0");
	struct share_set two = { 0 };
	snprintf(spec, sizeof(spec), "/:rootfs,ro");
	share_set_add(&two, plain);
	share_set_add(&two, spec);
	CHECK(share_kernel_args(&two, &cmdline) == 0 &&
		  !strcmp(cmdline, "console=ttyS0 hv.share=src hv.share=rootfs,ro"),
	      "kernel arguments: '%s'", cmdline);
	free(cmdline);
	share_set_free(&two);
	share_set_free(&set);
}

/* vm.json is read from outside: every bad value is a named error */
static void test_bad_json(void)
{
	const struct {
		const char *json, *want;
	} cases[] = {
		{ "[{\"source\": null, \"tag\": \"a\"}]", "shares[0].source" },
		{ "[{\"source\": \"/x\"}]", "shares[0].tag" },
		{ "[{\"source\": \"rel\", \"tag\": \"a\"}]", "must be an absolute path" },
		{ "[{\"source\": \"/x\", \"tag\": \"../a\"}]", "shares[0].tag" },
		{ "[{\"source\": \"/x\", \"tag\": \"a\", \"readonly\": \"yes\"}]", "shares[0].readonly" },
		{ "[{\"source\": \"/x\", \"tag\": \"a\"}, {\"source\": \"/y\", \"tag\": \"a\"}]", "already taken" },
		{ "[1]", "shares[0]" },
		{ "[{},{},{},{},{},{},{},{},{}]", "more than 8" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		_cleanup_json_ struct json_object *arr = json_tokener_parse(cases[i].json);
		struct share_set set = { 0 };
		err_clear();
		int r = share_set_from_json(arr, "shares", &set);
		CHECK(r < 0 && strstr(err_msg(), cases[i].want), "%s: got %d '%s', want '%s'", cases[i].json, r,
		      err_msg(), cases[i].want);
		share_set_free(&set);
	}
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	test_parse();
	test_set();
	test_bad_json();
	fs_rm_rf_at(AT_FDCWD, dir);
	T_DONE();
}
