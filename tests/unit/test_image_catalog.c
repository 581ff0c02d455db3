/* SPDX-License-Identifier: MIT */
/* The image store: names, image.json read through its field table
 * (nulls and wrong types are named errors), listing, staging, removal. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/catalog.h"
#include "t.h"
#include "util/err.h"
#include "util/fs.h"

static char home[] = "/tmp/hv-unit-image.XXXXXX";

static void put(const char *name, const char *json)
{
	char dir[4096];
	int fd;

	snprintf(dir, sizeof(dir), "%s/images/%s", home, name);
	fs_mkdir_p(dir, 0700);
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	fs_write_atomic(fd, "image.json", json, strlen(json), 0644);
	close(fd);
}

int main(void)
{
	struct hv_image img;
	struct hv_image *all;
	size_t n;
	int r;

	if (!mkdtemp(home))
		return 1;
	setenv("HV_HOME", home, 1);

	CHECK(image_name_validate("debian-12") == 0, "a plain name");
	CHECK(image_name_validate("a.b_c-9") == 0, "dots, underscores, dashes");
	CHECK(image_name_validate("Debian") < 0, "upper case is refused");
	CHECK(image_name_validate("-x") < 0, "a leading dash is refused");
	CHECK(image_name_validate(".new-x-1") < 0, "a dot-name is refused");
	CHECK(image_name_validate("a/b") < 0, "a slash is refused");
	CHECK(image_name_validate("") < 0, "empty is refused");
	CHECK(image_name_validate("0123456789012345678901234567890123456789012345678901234567890123") < 0,
	      "64 characters are refused");

	put("deb", "{\"name\": \"deb\", \"os\": \"debian-12\", \"format\": \"qcow2\", \"virtual_size\": 8589934592, "
		   "\"created\": 1700000000, \"source\": \"built\", \"firmware\": [\"bios\", \"uefi\"], "
		   "\"root\": \"UUID=1234\", \"kernel\": \"vmlinuz\", \"initrd\": \"initrd.img\", "
		   "\"cmdline\": \"root=UUID=1234 ro\"}");
	r = image_lookup("deb", &img);
	CHECK(r == 0, "lookup of a built image: %s", err_msg());
	if (r == 0) {
		CHECK_STR(img.os, "debian-12", "os");
		CHECK(img.virtual_size == 8589934592ULL, "virtual_size");
		CHECK(img.bios && img.uefi, "firmware");
		CHECK_STR(img.root, "UUID=1234", "root");
		CHECK_STR(img.cmdline, "root=UUID=1234 ro", "cmdline");
		CHECK(img.kernel && strstr(img.kernel, "/images/deb/vmlinuz"), "kernel path");
		CHECK(img.disk && strstr(img.disk, "/images/deb/disk.qcow2"), "disk path");
		image_free(&img);
	}
	put("imp", "{\"name\": \"imp\", \"format\": \"qcow2\", \"virtual_size\": 1048576, \"source\": \"imported\", "
		   "\"firmware\": []}");
	r = image_lookup("imp", &img);
	CHECK(r == 0 && !img.kernel && !img.initrd && !img.bios && !img.uefi && !img.cmdline,
	      "an imported image has no kernel, initrd or cmdline: %s", err_msg());
	image_free(&img);

	put("nul", "{\"name\": \"nul\", \"format\": \"qcow2\", \"virtual_size\": null, \"source\": \"built\", "
		   "\"firmware\": []}");
	CHECK(image_lookup("nul", &img) == -EINVAL && strstr(err_msg(), "virtual_size"),
	      "a null virtual_size is a named error: %s", err_msg());
	put("typ", "{\"name\": \"typ\", \"format\": \"qcow2\", \"virtual_size\": 1, \"source\": \"built\", "
		   "\"firmware\": \"bios\"}");
	CHECK(image_lookup("typ", &img) == -EINVAL && strstr(err_msg(), "firmware"),
	      "a firmware string instead of an array is a named error: %s", err_msg());
	put("esc", "{\"name\": \"esc\", \"format\": \"qcow2\", \"virtual_size\": 1, \"source\": \"built\", "
		   "\"firmware\": [], \"kernel\": \"../../etc/passwd\"}");
	CHECK(image_lookup("esc", &img) == -EINVAL && strstr(err_msg(), "not a file name"),
	      "a kernel path leaving the image folder is refused: %s", err_msg());
	put("oth", "{\"name\": \"deb\", \"format\": \"qcow2\", \"virtual_size\": 1, \"source\": \"built\", "
		   "\"firmware\": []}");
	CHECK(image_lookup("oth", &img) == -EINVAL, "a name that is not the folder's is refused");
	CHECK(image_lookup("none", &img) == -ENOENT && strstr(err_msg(), "no image named 'none'"), "unknown image");

	CHECK(image_list(&all, &n) == 0 && n == 2, "list: the two readable images (got %zu)", n);
	if (n == 2)
		CHECK(!strcmp(all[0].name, "deb") && !strcmp(all[1].name, "imp"), "sorted by name");
	image_list_free(all, n);

	struct image_stage st;
	CHECK(image_stage_begin("deb", &st) == -EEXIST, "staging an existing name is refused");
	image_stage_end(&st);
	CHECK(image_stage_begin("new", &st) == 0, "staging: %s", err_msg());
	char stage[4096];
	snprintf(stage, sizeof(stage), "%s", st.path);
	image_stage_end(&st);
	CHECK(access(stage, F_OK) < 0, "an abandoned stage is removed");
	CHECK(image_stage_begin("new", &st) == 0, "staging again");
	img = (struct hv_image){ .name = "new", .source = "imported", .virtual_size = 5, .uefi = true };
	CHECK(image_stage_write_meta(&st, &img) == 0, "write image.json");
	CHECK(image_stage_commit(&st, "new") == 0, "commit");
	image_stage_end(&st);
	r = image_lookup("new", &img);
	CHECK(r == 0 && img.uefi && !img.bios && img.virtual_size == 5, "the committed image reads back");
	image_free(&img);

	CHECK(image_remove("new") == 0, "remove");
	CHECK(image_lookup("new", &img) == -ENOENT, "a removed image is gone");
	CHECK(image_remove("new") == -ENOENT, "removing it again says there is none");

	char cmd[4200];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", home);
	if (system(cmd) != 0)
		return 1;
	T_DONE();
}
