/* SPDX-License-Identifier: MIT */
/* hv image build | import | list | info | rm */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "image/build.h"
#include "image/catalog.h"
#include "manager/store.h"
#include "manager/vmdef.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/jsonfile.h"
#include "util/proc.h"
#include "util/size.h"

static const char image_usage[] =
    "usage: hv image build debian-12 [--name NAME] [--size 8G] [--packages a,b] [--mirror URL] [--json]\n"
    "       hv image import FILE [NAME] [--format raw|qcow2] [--json]\n"
    "       hv image list [--json]\n"
    "       hv image info NAME [--json]\n"
    "       hv image rm NAME\n"
    "Images live in $HV_HOME/images/NAME (disk.qcow2, read-only, and image.json); VMs get overlays of them.\n"
    "build: a Debian 12 system (systemd, cloud-init, openssh-server, qemu-guest-agent) on a GPT disk that\n"
    "boots with BIOS and UEFI, from the host's Debian mirror (packages cached in " IMAGE_APT_CACHE ").\n"
    "import: a raw or qcow2 disk image (e.g. a distribution's cloud image) as a self-contained qcow2.";

/* --- progress on a terminal (stderr), phases on stdout --- */

struct show {
	bool tty, json;
	bool status; /* a status line is on the terminal */
	uint64_t start;
	struct json_object *phases;
};

static int term_cols(void)
{
	struct winsize w;
	return ioctl(2, TIOCGWINSZ, &w) == 0 && w.ws_col > 20 ? w.ws_col : 80;
}

static void clear_status(struct show *s)
{
	if (s->status)
		fputs("\r\033[K", stderr);
	s->status = false;
}

static void on_phase(void *ctx, const char *phase, uint64_t ms)
{
	struct show *s = ctx;

	clear_status(s);
	if (s->json)
		json_object_object_add(s->phases, phase, json_object_new_double((double)ms / 1000.0));
	else {
		printf("%-12s %7.1f s\n", phase, (double)ms / 1000.0);
		fflush(stdout);
	}
}

static void on_line(void *ctx, const char *line)
{
	struct show *s = ctx;

	if (!s->tty)
		return;
	fprintf(stderr, "\r\033[K  %.*s", term_cols() - 3, line);
	s->status = true;
}

static void on_percent(void *ctx, double pct)
{
	struct show *s = ctx;
	int width = 40, done = (int)(pct * width / 100.0);

	if (!s->tty)
		return;
	fprintf(stderr, "\r\033[K  converting [%.*s%*s] %5.1f%%", done, "########################################",
		width - done, "", pct);
	s->status = true;
}

static void show_init(struct show *s, bool json)
{
	*s = (struct show){ .tty = isatty(2) && !json, .json = json, .start = proc_now_ms() };
	s->phases = json_object_new_object();
}

/* --- image info as JSON and text --- */

static const char *firmware_text(const struct hv_image *img)
{
	return img->bios && img->uefi ? "bios,uefi" : img->uefi ? "uefi" : img->bios ? "bios" : "none found";
}

static void print_created(int64_t t, char *buf, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!localtime_r(&tt, &tm) || !strftime(buf, n, "%Y-%m-%d %H:%M", &tm))
		snprintf(buf, n, "-");
}

static int done_json(struct show *s, const char *name)
{
	struct hv_image img;
	_cleanup_json_ struct json_object *o = NULL;

	if (image_lookup(name, &img) < 0)
		return cli_fail("image");
	o = image_to_json(&img, true);
	json_object_object_add(o, "seconds", json_object_new_double((double)(proc_now_ms() - s->start) / 1000.0));
	json_object_object_add(o, "phases", json_object_get(s->phases));
	json_print(o);
	image_free(&img);
	return 0;
}

static int image_build_cmd(int argc, char **argv)
{
	static const struct option opts[] = { { "name", required_argument, NULL, 'n' },
					      { "size", required_argument, NULL, 's' },
					      { "packages", required_argument, NULL, 'p' },
					      { "mirror", required_argument, NULL, 'M' },
					      { "json", no_argument, NULL, 'j' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	struct image_build_opts o = { 0 };
	bool json = false;
	struct show s;
	int c, r;

	while ((c = cli_getopt(argc, argv, "n:s:p:M:jh", opts, "image build")) != -1) {
		if (c == 'n')
			o.name = optarg;
		else if (c == 's') {
			if (size_parse(optarg, 1, &o.size) < 0)
				return cli_fail("image build");
		} else if (c == 'p')
			o.packages = optarg;
		else if (c == 'M')
			o.mirror = optarg;
		else if (c == 'j')
			json = true;
		else if (c == 'h') {
			puts(image_usage);
			return 0;
		} else
			return EXIT_USAGE;
	}
	if (optind >= argc)
		return cli_usage_error("image build", "name the system to build: hv image build debian-12");
	if ((r = cli_one_name(argc, argv, "image build", &o.os)) != 0)
		return r;
	show_init(&s, json);
	struct image_progress p = { on_phase, on_line, on_percent, &s };
	r = image_build(&o, &p);
	clear_status(&s);
	if (r < 0) {
		json_object_put(s.phases);
		return cli_fail_code("image build", r);
	}
	r = json ? done_json(&s, o.name ? o.name : o.os) : 0;
	if (!json)
		printf("built image %s in %.1f s\n", o.name ? o.name : o.os,
		       (double)(proc_now_ms() - s.start) / 1000.0);
	json_object_put(s.phases);
	return r;
}

static int image_import_cmd(int argc, char **argv)
{
	static const struct option opts[] = { { "format", required_argument, NULL, 'f' },
					      { "json", no_argument, NULL, 'j' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	const char *format = NULL, *file, *name = NULL;
	bool json = false;
	struct show s;
	int c, r;

	while ((c = cli_getopt(argc, argv, "f:jh", opts, "image import")) != -1) {
		if (c == 'f')
			format = optarg;
		else if (c == 'j')
			json = true;
		else if (c == 'h') {
			puts(image_usage);
			return 0;
		} else
			return EXIT_USAGE;
	}
	if (optind >= argc || argc - optind > 2)
		return cli_usage_error("image import", "expected FILE [NAME]");
	file = argv[optind];
	if (argc - optind == 2)
		name = argv[optind + 1];
	if (format && strcmp(format, "raw") && strcmp(format, "qcow2"))
		return cli_usage_error("image import", "--format must be raw or qcow2");
	show_init(&s, json);
	struct image_progress p = { NULL, on_line, on_percent, &s };
	char chosen[IMAGE_NAME_MAX + 1] = "";
	r = image_import(file, name, format, &p, chosen, sizeof(chosen));
	clear_status(&s);
	if (r < 0) {
		json_object_put(s.phases);
		return cli_fail_code("image import", r);
	}
	if (json)
		r = done_json(&s, chosen);
	else
		printf("imported %s as image %s in %.1f s\n", file, chosen, (double)(proc_now_ms() - s.start) / 1000.0);
	json_object_put(s.phases);
	return r;
}

static int image_list_cmd(int argc, char **argv)
{
	static const struct option opts[] = { { "json", no_argument, NULL, 'j' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	struct hv_image *imgs;
	bool json = false;
	size_t n;
	int c;

	while ((c = cli_getopt(argc, argv, "jh", opts, "image list")) != -1) {
		if (c == 'h') {
			puts(image_usage);
			return 0;
		}
		if (c != 'j')
			return EXIT_USAGE;
		json = true;
	}
	if (optind != argc)
		return cli_usage_error("image list", "unexpected argument '%s'", argv[optind]);
	if (image_list(&imgs, &n) < 0)
		return cli_fail("image list");
	if (json) {
		_cleanup_json_ struct json_object *a = json_object_new_array();
		for (size_t i = 0; i < n; i++)
			json_object_array_add(a, image_to_json(&imgs[i], true));
		json_print(a);
	} else {
		printf("%-24s %-10s %-9s %8s %-10s %s\n", "NAME", "OS", "SOURCE", "SIZE", "FIRMWARE", "CREATED");
		for (size_t i = 0; i < n; i++) {
			char size[32], when[32];
			size_format(imgs[i].virtual_size, size, sizeof(size));
			print_created(imgs[i].created, when, sizeof(when));
			printf("%-24s %-10s %-9s %8s %-10s %s\n", imgs[i].name, imgs[i].os[0] ? imgs[i].os : "-",
			       imgs[i].source, size, firmware_text(&imgs[i]), when);
		}
	}
	image_list_free(imgs, n);
	return 0;
}

static int image_info_cmd(int argc, char **argv)
{
	static const struct option opts[] = { { "json", no_argument, NULL, 'j' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	struct hv_image img;
	const char *name;
	bool json = false;
	int c, r;

	while ((c = cli_getopt(argc, argv, "jh", opts, "image info")) != -1) {
		if (c == 'h') {
			puts(image_usage);
			return 0;
		}
		if (c != 'j')
			return EXIT_USAGE;
		json = true;
	}
	if ((r = cli_one_name(argc, argv, "image info", &name)) != 0)
		return r;
	if (image_lookup(name, &img) < 0)
		return cli_fail("image info");
	if (json) {
		_cleanup_json_ struct json_object *o = image_to_json(&img, true);
		json_print(o);
	} else {
		char size[32], when[32];
		size_format(img.virtual_size, size, sizeof(size));
		print_created(img.created, when, sizeof(when));
		printf("name:      %s\nos:        %s\nsource:    %s\nformat:    %s\nsize:      %s\n"
		       "firmware:  %s\ncreated:   %s\ndisk:      %s\n",
		       img.name, img.os[0] ? img.os : "-", img.source, img.format, size, firmware_text(&img), when,
		       img.disk);
		if (img.root[0])
			printf("root:      %s\n", img.root);
		if (img.kernel)
			printf("kernel:    %s\n", img.kernel);
		if (img.initrd)
			printf("initrd:    %s\n", img.initrd);
		if (img.cmdline)
			printf("cmdline:   %s\n", img.cmdline);
	}
	image_free(&img);
	return 0;
}

/* Does VM dir's disk (path, or its backing) live in img's folder? */
static bool disk_uses(const struct hv_image *img, const char *vmdir, const struct vmdef_disk *d)
{
	_cleanup_free_ char *p = NULL;

	if (d->backing[0] && image_contains(img, d->backing))
		return true;
	if (d->path[0] == '/')
		return image_contains(img, d->path);
	return asprintf(&p, "%s/%s", vmdir, d->path) >= 0 && image_contains(img, p);
}

/* "a, b" of the VMs whose disks are in img's folder (malloc'ed, "" none). */
static int image_users(const struct hv_image *img, char **out)
{
	char **names = NULL;
	size_t n = 0, len = 0;
	char *s = calloc(1, 1);
	int r;

	*out = NULL;
	if (!s)
		return err_set(-ENOMEM, "out of memory");
	if ((r = store_list(&names, &n)) < 0) {
		free(s);
		return r;
	}
	for (size_t i = 0; i < n; i++) {
		struct vm_handle h;
		struct vmdef d;
		bool uses = false;
		if (vm_open(names[i], &h) < 0)
			continue;
		vmdef_init(&d);
		if (vmdef_load(h.dirfd, &d) == 0)
			for (unsigned k = 0; k < d.ndisks && !uses; k++)
				uses = disk_uses(img, h.dir, &d.disks[k]);
		vmdef_free(&d);
		vm_close(&h);
		if (!uses)
			continue;
		char *ns = realloc(s, len + strlen(names[i]) + 3);
		if (!ns) {
			free(s);
			store_list_free(names, n);
			return err_set(-ENOMEM, "out of memory");
		}
		s = ns;
		len += (size_t)sprintf(s + len, "%s%s", len ? ", " : "", names[i]);
	}
	err_clear();
	store_list_free(names, n);
	*out = s;
	return 0;
}

static int image_rm_cmd(int argc, char **argv)
{
	static const struct option opts[] = { { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	_cleanup_free_ char *users = NULL;
	struct hv_image img;
	const char *name;
	int c, r;

	while ((c = cli_getopt(argc, argv, "h", opts, "image rm")) != -1) {
		if (c == 'h') {
			puts(image_usage);
			return 0;
		}
		return EXIT_USAGE;
	}
	if ((r = cli_one_name(argc, argv, "image rm", &name)) != 0)
		return r;
	if (image_lookup(name, &img) < 0)
		return cli_fail("image rm");
	r = image_users(&img, &users);
	image_free(&img);
	if (r < 0)
		return cli_fail_code("image rm", r);
	if (*users) {
		fprintf(stderr, "hv image rm: image %s is in use by: %s (delete those VMs first)\n", name, users);
		return EXIT_FAIL;
	}
	if ((r = image_remove(name)) < 0)
		return cli_fail_code("image rm", r);
	printf("removed image %s\n", name);
	return 0;
}

int cmd_image(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} sub[] = { { "build", image_build_cmd }, { "import", image_import_cmd }, { "list", image_list_cmd },
		    { "ls", image_list_cmd },	  { "info", image_info_cmd },	  { "rm", image_rm_cmd },
		    { "remove", image_rm_cmd } };

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		puts(image_usage);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(sub); i++)
		if (!strcmp(argv[1], sub[i].name))
			return sub[i].fn(argc - 1, argv + 1);
	return cli_usage_error("image", "unknown subcommand '%s' (build, import, list, info, rm)", argv[1]);
}
