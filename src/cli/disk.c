/* SPDX-License-Identifier: MIT */
/* hv disk create | info | resize | convert | check */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "manager/vm.h"
#include "storage/image.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/jsonfile.h"
#include "util/size.h"

static const char disk_usage[] =
    "usage: hv disk create PATH --size SIZE [--format qcow2|raw] [--backing BASE[,format=F]]\n"
    "       hv disk info PATH [--format F] [--json]\n"
    "       hv disk resize PATH SIZE [--format F] [--shrink]\n"
    "       hv disk convert SRC DST [--format qcow2|raw] [--source-format F]\n"
    "       hv disk check PATH [--format F]\n"
    "Images hv writes appear under their name only when complete; a backing file's format is always recorded.\n"
    "An image's format is never guessed from bytes a guest may have written: a VM's disk is read in the\n"
    "format hv recorded for it; another image in the one you state (--format, or PATH,format=F), else its\n"
    "header is read once and an image that looks like qcow2 may name no backing or data file.";

/* PATH (+ --format F) to an absolute path and a format hv did not have to
 * trust a guest for (see vm_disk_format). */
static int resolve(const char *path, const char *format, char **abs, char *fmt, size_t n)
{
	_cleanup_free_ char *spec = NULL;

	if (format && asprintf(&spec, "%s,format=%s", path, format) < 0)
		return -ENOMEM;
	return vm_disk_format(spec ? spec : path, abs, fmt, n);
}

static int disk_create(int argc, char **argv)
{
	static const struct option opts[] = { { "size", required_argument, NULL, 's' },
					      { "format", required_argument, NULL, 'f' },
					      { "backing", required_argument, NULL, 'b' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	const char *format = "qcow2", *backing = NULL, *path;
	uint64_t size = 0;
	bool have_size = false;
	int c, r;

	while ((c = cli_getopt(argc, argv, "s:f:b:h", opts, "disk create")) != -1) {
		if (c == 's') {
			if ((r = size_parse(optarg, 1, &size)) < 0)
				return cli_fail_code("disk create", r);
			have_size = true;
		} else if (c == 'f') {
			format = optarg;
		} else if (c == 'b') {
			backing = optarg;
		} else if (c == 'h') {
			puts(disk_usage);
			return 0;
		} else
			return EXIT_USAGE;
	}
	if ((r = cli_one_name(argc, argv, "disk create", &path)) != 0)
		return r;
	if (!have_size && !backing)
		return cli_usage_error("disk create", "--size is needed (e.g. --size 10G)");
	if (have_size && size < 512)
		return cli_usage_error("disk create", "--size must be at least 512 bytes");
	_cleanup_free_ char *base = NULL;
	char bfmt[8] = "";
	if (backing && (r = vm_disk_format(backing, &base, bfmt, sizeof(bfmt))) < 0)
		return cli_fail_code("disk create", r);
	if ((r = image_create(path, format, size, base, bfmt)) < 0)
		return cli_fail_code("disk create", r);
	return 0;
}

static void print_info(struct json_object *chain)
{
	for (size_t i = 0; i < json_object_array_length(chain); i++) {
		struct json_object *o = json_object_array_get_idx(chain, i), *v, *snaps;
		char vs[32] = "?", as[32] = "?";
		if (json_object_object_get_ex(o, "virtual-size", &v))
			size_format((uint64_t)json_object_get_int64(v), vs, sizeof(vs));
		if (json_object_object_get_ex(o, "actual-size", &v))
			size_format((uint64_t)json_object_get_int64(v), as, sizeof(as));
		printf("%s%s\n  format:    %s\n  virtual:   %s\n  allocated: %s\n",
		       i ? "backed by: " : "image:     ", json_object_get_string(json_object_object_get(o, "filename")),
		       json_object_get_string(json_object_object_get(o, "format")), vs, as);
		if (json_object_object_get_ex(o, "snapshots", &snaps))
			for (size_t k = 0; k < json_object_array_length(snaps); k++)
				printf("  snapshot:  %s\n", json_object_get_string(json_object_object_get(
								json_object_array_get_idx(snaps, k), "name")));
	}
}

static int disk_info(int argc, char **argv)
{
	static const struct option opts[] = { { "json", no_argument, NULL, 'j' },
					      { "format", required_argument, NULL, 'f' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	struct json_object *chain = NULL;
	_cleanup_free_ char *abs = NULL;
	const char *path, *format = NULL;
	char fmt[8];
	bool json = false;
	int c, r;

	while ((c = cli_getopt(argc, argv, "f:h", opts, "disk info")) != -1) {
		if (c == 'j')
			json = true;
		else if (c == 'f')
			format = optarg;
		else if (c == 'h') {
			puts(disk_usage);
			return 0;
		} else
			return EXIT_USAGE;
	}
	if ((r = cli_one_name(argc, argv, "disk info", &path)) != 0)
		return r;
	if ((r = resolve(path, format, &abs, fmt, sizeof(fmt))) < 0 || (r = image_info(abs, fmt, true, &chain)) < 0)
		return cli_fail_code("disk info", r);
	if (json)
		json_print(chain);
	else
		print_info(chain);
	json_object_put(chain);
	return 0;
}

static int disk_resize(int argc, char **argv)
{
	static const struct option opts[] = { { "shrink", no_argument, NULL, 's' },
					      { "format", required_argument, NULL, 'f' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	_cleanup_free_ char *abs = NULL;
	const char *format = NULL;
	char fmt[8];
	bool shrink = false;
	uint64_t size;
	int c, r;

	while ((c = cli_getopt(argc, argv, "f:h", opts, "disk resize")) != -1) {
		if (c == 's')
			shrink = true;
		else if (c == 'f')
			format = optarg;
		else if (c == 'h') {
			puts(disk_usage);
			return 0;
		} else
			return EXIT_USAGE;
	}
	if (argc - optind != 2)
		return cli_usage_error("disk resize", "use: hv disk resize PATH SIZE");
	if ((r = size_parse(argv[optind + 1], 1, &size)) < 0)
		return cli_fail_code("disk resize", r);
	if (access(argv[optind], F_OK) < 0) {
		fprintf(stderr, "hv disk resize: %s: %s\n", argv[optind], strerror(errno));
		return EXIT_FAIL;
	}
	if ((r = resolve(argv[optind], format, &abs, fmt, sizeof(fmt))) < 0)
		return cli_fail_code("disk resize", r);
	if ((r = image_resize(abs, fmt, size, shrink)) < 0) {
		if (strcasestr(err_msg_for(r), "shrink"))
			fprintf(stderr,
				"hv disk resize: %s is larger than %s: shrinking loses data; add --shrink if you "
				"mean it\n",
				argv[optind], argv[optind + 1]);
		else
			cli_fail_code("disk resize", r);
		return EXIT_FAIL;
	}
	return 0;
}

static int disk_convert(int argc, char **argv)
{
	static const struct option opts[] = { { "format", required_argument, NULL, 'f' },
					      { "source-format", required_argument, NULL, 'S' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	_cleanup_free_ char *abs = NULL;
	const char *format = "qcow2", *source_format = NULL;
	char fmt[8];
	int c, r;

	while ((c = cli_getopt(argc, argv, "f:h", opts, "disk convert")) != -1) {
		if (c == 'f')
			format = optarg;
		else if (c == 'S')
			source_format = optarg;
		else if (c == 'h') {
			puts(disk_usage);
			return 0;
		} else
			return EXIT_USAGE;
	}
	if (argc - optind != 2)
		return cli_usage_error("disk convert", "use: hv disk convert SRC DST [--format qcow2|raw]");
	if (strcmp(format, "qcow2") && strcmp(format, "raw"))
		return cli_usage_error("disk convert", "unsupported format '%s' (use qcow2 or raw)", format);
	if (access(argv[optind], R_OK) < 0) {
		fprintf(stderr, "hv disk convert: %s: %s\n", argv[optind], strerror(errno));
		return EXIT_FAIL;
	}
	if ((r = resolve(argv[optind], source_format, &abs, fmt, sizeof(fmt))) < 0 ||
	    (r = image_convert(abs, fmt, argv[optind + 1], format, NULL, false)) < 0)
		return cli_fail_code("disk convert", r);
	return 0;
}

static int disk_check(int argc, char **argv)
{
	static const struct option opts[] = { { "format", required_argument, NULL, 'f' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	_cleanup_free_ char *abs = NULL;
	const char *path, *format = NULL;
	char *report = NULL, fmt[8];
	int c, r;

	while ((c = cli_getopt(argc, argv, "f:h", opts, "disk check")) != -1) {
		if (c == 'f')
			format = optarg;
		else if (c == 'h') {
			puts(disk_usage);
			return 0;
		} else
			return EXIT_USAGE;
	}
	if ((r = cli_one_name(argc, argv, "disk check", &path)) != 0)
		return r;
	if ((r = resolve(path, format, &abs, fmt, sizeof(fmt))) < 0)
		return cli_fail_code("disk check", r);
	r = image_check(abs, fmt, &report);
	if (report)
		fputs(report, stdout);
	free(report);
	return r < 0 ? cli_fail_code("disk check", r) : 0;
}

int cmd_disk(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} sub[] = { { "create", disk_create },
		    { "info", disk_info },
		    { "resize", disk_resize },
		    { "convert", disk_convert },
		    { "check", disk_check } };

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		puts(disk_usage);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	for (size_t i = 0; i < sizeof(sub) / sizeof(sub[0]); i++)
		if (!strcmp(argv[1], sub[i].name))
			return sub[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "hv disk: unknown command '%s' (use create, info, resize, convert or check)\n", argv[1]);
	return EXIT_USAGE;
}
