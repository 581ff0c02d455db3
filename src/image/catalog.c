/* SPDX-License-Identifier: MIT */
/* The image store: naming, image.json, listing, staging and removal. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/catalog.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/home.h"
#include "util/json.h"
#include "util/jsonfile.h"

#define IMAGE_JSON_MAX (64 * 1024)

void image_free(struct hv_image *img)
{
	free(img->cmdline);
	free(img->dir);
	free(img->disk);
	free(img->kernel);
	free(img->initrd);
	memset(img, 0, sizeof(*img));
}

int image_store_dir(char **out)
{
	char home[4096];
	int r;

	*out = NULL;
	if ((r = hv_home(home, sizeof(home))) < 0)
		return r;
	if (asprintf(out, "%s/images", home) < 0) {
		*out = NULL;
		return err_set(-ENOMEM, "out of memory");
	}
	if ((r = fs_mkdir_p(*out, 0700)) < 0) {
		free(*out);
		*out = NULL;
		return r;
	}
	return 0;
}

int image_name_validate(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > IMAGE_NAME_MAX)
		return err_set(-EINVAL, "invalid image name '%s': 1 to %d characters", name, IMAGE_NAME_MAX);
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
		if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-')))
			return err_set(-EINVAL,
				       "invalid image name '%s': use lower-case letters, digits, '.', '_' and '-', "
				       "starting with a letter or digit",
				       name);
	}
	return 0;
}

/* "firmware": ["bios", "uefi"] */
static int parse_firmware(struct json_object *v, void *dst, const char *path)
{
	struct hv_image *img = (struct hv_image *)((char *)dst - offsetof(struct hv_image, bios));
	size_t n;

	if (!json_object_is_type(v, json_type_array))
		return err_set(-EINVAL, "%s: expected an array, got %s", path, json_kind_name(v));
	n = json_object_array_length(v);
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(v, i);
		const char *s = json_object_is_type(e, json_type_string) ? json_object_get_string(e) : NULL;
		if (s && !strcmp(s, "bios"))
			img->bios = true;
		else if (s && !strcmp(s, "uefi"))
			img->uefi = true;
		else
			return err_set(-EINVAL, "%s[%zu]: expected \"bios\" or \"uefi\"", path, i);
	}
	return 0;
}

/* A file name beside image.json: no slashes, no dot-names. */
static int beside(const char *dir, const char *file, const char *path, char **out)
{
	if (!file)
		return 0;
	if (!*file || file[0] == '.' || strchr(file, '/'))
		return err_set(-EINVAL, "%s: \"%s\" is not a file name in the image folder", path, file);
	if (asprintf(out, "%s/%s", dir, file) < 0) {
		*out = NULL;
		return err_set(-ENOMEM, "out of memory");
	}
	return 0;
}

struct image_json {
	const char *name, *os, *format, *source, *root, *kernel, *initrd, *cmdline;
	uint64_t virtual_size;
	int64_t created;
};

static int image_read(const char *store, const char *name, struct hv_image *img)
{
	static const struct json_field fields[] = {
		JSON_FIELD("name", JSON_STR, JSON_REQUIRED, struct image_json, name),
		JSON_FIELD("os", JSON_STR, JSON_NULLABLE, struct image_json, os),
		JSON_FIELD("format", JSON_STR, JSON_REQUIRED, struct image_json, format),
		JSON_FIELD("virtual_size", JSON_UINT64, JSON_REQUIRED, struct image_json, virtual_size),
		JSON_FIELD("created", JSON_INT64, 0, struct image_json, created),
		JSON_FIELD("source", JSON_STR, JSON_REQUIRED, struct image_json, source),
		JSON_FIELD("root", JSON_STR, JSON_NULLABLE, struct image_json, root),
		JSON_FIELD("kernel", JSON_STR, JSON_NULLABLE, struct image_json, kernel),
		JSON_FIELD("initrd", JSON_STR, JSON_NULLABLE, struct image_json, initrd),
		JSON_FIELD("cmdline", JSON_STR, JSON_NULLABLE, struct image_json, cmdline),
		JSON_FIELD_END,
	};
	static const struct json_field fw[] = {
		JSON_FIELD_CUSTOM("firmware", JSON_REQUIRED, struct hv_image, bios, parse_firmware),
		JSON_FIELD_END,
	};
	_cleanup_json_ struct json_object *o = NULL;
	_cleanup_close_ int dfd = -1;
	_cleanup_free_ char *dir = NULL, *path = NULL;
	struct image_json j = { 0 };
	int r;

	memset(img, 0, sizeof(*img));
	if ((r = image_name_validate(name)) < 0)
		return r;
	if (asprintf(&dir, "%s/%s", store, name) < 0 || asprintf(&path, "images/%s/image.json", name) < 0)
		return err_set(-ENOMEM, "out of memory");
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return errno == ENOENT ? err_set(-ENOENT, "no image named '%s' (see: hv image list)", name)
				       : err_errno(-errno, "cannot open %s", dir);
	if ((r = json_read_object(dfd, "image.json", IMAGE_JSON_MAX, &o)) < 0)
		return err_prefix(r, "image %s", name);
	if ((r = json_dispatch(o, fields, &j, path, 0)) < 0 || (r = json_dispatch(o, fw, img, path, 0)) < 0)
		return r;
	if (strcmp(j.name, name))
		return err_set(-EINVAL, "%s: \"name\" is '%s', not the folder's name", path, j.name);
	if (strcmp(j.format, "qcow2"))
		return err_set(-EINVAL, "%s: \"format\" must be \"qcow2\", not '%s'", path, j.format);
	if (strcmp(j.source, "built") && strcmp(j.source, "imported"))
		return err_set(-EINVAL, "%s: \"source\" must be \"built\" or \"imported\"", path);
	if (strlen(j.os ? j.os : "") >= sizeof(img->os) || strlen(j.root ? j.root : "") >= sizeof(img->root))
		return err_set(-EINVAL, "%s: \"os\" or \"root\" is too long", path);
	snprintf(img->name, sizeof(img->name), "%s", name);
	snprintf(img->os, sizeof(img->os), "%s", j.os ? j.os : "");
	snprintf(img->format, sizeof(img->format), "qcow2");
	snprintf(img->source, sizeof(img->source), "%s", j.source);
	snprintf(img->root, sizeof(img->root), "%s", j.root ? j.root : "");
	img->virtual_size = j.virtual_size;
	img->created = j.created;
	if (j.cmdline && !(img->cmdline = strdup(j.cmdline)))
		r = -ENOMEM;
	if (r < 0 || (r = beside(dir, "disk.qcow2", path, &img->disk)) < 0 ||
	    (r = beside(dir, j.kernel, path, &img->kernel)) < 0 ||
	    (r = beside(dir, j.initrd, path, &img->initrd)) < 0) {
		image_free(img);
		return r == -ENOMEM ? err_set(r, "out of memory") : r;
	}
	img->dir = TAKE_PTR(dir);
	return 0;
}

int image_lookup(const char *name, struct hv_image *img)
{
	_cleanup_free_ char *store = NULL;
	int r;

	memset(img, 0, sizeof(*img));
	if ((r = image_store_dir(&store)) < 0)
		return r;
	return image_read(store, name, img);
}

static int valid_name(const char *name)
{
	return image_name_validate(name);
}

int image_list(struct hv_image **imgs, size_t *n)
{
	_cleanup_free_ char *store = NULL;
	char **names = NULL;
	size_t cnt = 0, k = 0;
	struct hv_image *v;
	int r;

	*imgs = NULL;
	*n = 0;
	if ((r = image_store_dir(&store)) < 0)
		return r;
	if ((r = fs_list_names(store, valid_name, &names, &cnt)) < 0)
		return r;
	if (!(v = calloc(cnt ? cnt : 1, sizeof(*v)))) {
		fs_names_free(names, cnt);
		return err_set(-ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < cnt; i++)
		if (image_read(store, names[i], &v[k]) == 0)
			k++;
	err_clear(); /* an unreadable image is left out of the list, not fatal */
	fs_names_free(names, cnt);
	*imgs = v;
	*n = k;
	return 0;
}

void image_list_free(struct hv_image *imgs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		image_free(&imgs[i]);
	free(imgs);
}

bool image_contains(const struct hv_image *img, const char *path)
{
	_cleanup_free_ char *real = realpath(path, NULL), *dir = realpath(img->dir, NULL);
	size_t n;

	if (!real || !dir)
		return false;
	n = strlen(dir);
	return !strncmp(real, dir, n) && real[n] == '/';
}

int image_remove(const char *name)
{
	_cleanup_free_ char *store = NULL, *trash = NULL;
	_cleanup_close_ int sfd = -1;
	int r;

	if ((r = image_name_validate(name)) < 0)
		return r;
	if ((r = image_store_dir(&store)) < 0)
		return r;
	if ((sfd = open(store, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return err_errno(-errno, "cannot open %s", store);
	if (asprintf(&trash, ".deleted-%s-%d", name, (int)getpid()) < 0)
		return err_set(-ENOMEM, "out of memory");
	if (renameat(sfd, name, sfd, trash) < 0)
		return errno == ENOENT ? err_set(-ENOENT, "no image named '%s' (see: hv image list)", name)
				       : err_errno(-errno, "cannot remove image %s", name);
	fsync(sfd);
	return fs_rm_rf_at(sfd, trash);
}

/* ".new-NAME-PID" / ".deleted-NAME-PID" of a process that is gone. */
static bool stale(const char *entry)
{
	const char *dash = strrchr(entry, '-');
	char *end;
	long pid;

	if (strncmp(entry, ".new-", 5) && strncmp(entry, ".deleted-", 9))
		return false;
	if (!dash)
		return false;
	pid = strtol(dash + 1, &end, 10);
	if (*end || pid <= 0)
		return false;
	return kill((pid_t)pid, 0) < 0 && errno == ESRCH;
}

static void remove_stale(int sfd)
{
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	int fd = dup(sfd);

	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d)))
		if (stale(de->d_name))
			fs_rm_rf_at(sfd, de->d_name);
	err_clear();
}

int image_stage_begin(const char *name, struct image_stage *st)
{
	_cleanup_close_ int sfd = -1;
	int r;

	memset(st, 0, sizeof(*st));
	st->dirfd = -1;
	if ((r = image_name_validate(name)) < 0)
		return r;
	if ((r = image_store_dir(&st->store)) < 0)
		return r;
	if ((sfd = open(st->store, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return err_errno(-errno, "cannot open %s", st->store);
	if (fs_exists_at(sfd, name))
		return err_set(-EEXIST, "an image named '%s' exists already (remove it with: hv image rm %s)", name,
			       name);
	remove_stale(sfd);
	if (asprintf(&st->name, ".new-%s-%d", name, (int)getpid()) < 0 ||
	    asprintf(&st->path, "%s/%s", st->store, st->name) < 0)
		return err_set(-ENOMEM, "out of memory");
	if (mkdirat(sfd, st->name, 0755) < 0)
		return err_errno(-errno, "cannot create %s", st->path);
	if ((st->dirfd = openat(sfd, st->name, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return err_errno(-errno, "cannot open %s", st->path);
	return 0;
}

struct json_object *image_to_json(const struct hv_image *img, bool paths)
{
	struct json_object *o = json_object_new_object(), *fw = json_object_new_array();

	if (!o || !fw) {
		json_object_put(o);
		json_object_put(fw);
		return NULL;
	}
	json_object_object_add(o, "name", json_object_new_string(img->name));
	json_object_object_add(o, "os", json_object_new_string(img->os));
	json_object_object_add(o, "format", json_object_new_string("qcow2"));
	json_object_object_add(o, "virtual_size", json_object_new_uint64(img->virtual_size));
	json_object_object_add(o, "created", json_object_new_int64(img->created));
	json_object_object_add(o, "source", json_object_new_string(img->source));
	if (img->bios)
		json_object_array_add(fw, json_object_new_string("bios"));
	if (img->uefi)
		json_object_array_add(fw, json_object_new_string("uefi"));
	json_object_object_add(o, "firmware", fw);
	if (img->root[0])
		json_object_object_add(o, "root", json_object_new_string(img->root));
	if (img->cmdline)
		json_object_object_add(o, "cmdline", json_object_new_string(img->cmdline));
	if (paths && img->disk)
		json_object_object_add(o, "disk", json_object_new_string(img->disk));
	if (img->kernel)
		json_object_object_add(o, "kernel", json_object_new_string(paths ? img->kernel : "vmlinuz"));
	if (img->initrd)
		json_object_object_add(o, "initrd", json_object_new_string(paths ? img->initrd : "initrd.img"));
	return o;
}

int image_stage_write_meta(struct image_stage *st, const struct hv_image *img)
{
	_cleanup_json_ struct json_object *o = image_to_json(img, false);
	int r;

	if (!o)
		return err_set(-ENOMEM, "out of memory");
	r = json_write_atomic(st->dirfd, "image.json",
			      json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
								    JSON_C_TO_STRING_NOSLASHESCAPE));
	return r < 0 ? err_prefix(r, "cannot write image.json") : 0;
}

int image_stage_commit(struct image_stage *st, const char *name)
{
	_cleanup_close_ int sfd = open(st->store, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (sfd < 0)
		return err_errno(-errno, "cannot open %s", st->store);
	if (syncfs(st->dirfd) < 0)
		return err_errno(-errno, "cannot sync %s", st->path);
	if (renameat2(sfd, st->name, sfd, name, RENAME_NOREPLACE) < 0)
		return errno == EEXIST ? err_set(-EEXIST, "an image named '%s' appeared meanwhile", name)
				       : err_errno(-errno, "cannot rename %s to %s", st->name, name);
	fsync(sfd);
	free(st->name);
	st->name = NULL; /* committed: nothing to remove */
	return 0;
}

void image_stage_end(struct image_stage *st)
{
	if (st->name && st->store) {
		_cleanup_close_ int sfd = open(st->store, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		struct err_saved saved;
		err_save(&saved);
		if (sfd >= 0)
			fs_rm_rf_at(sfd, st->name);
		err_restore(&saved);
	}
	if (st->dirfd >= 0)
		close(st->dirfd);
	free(st->store);
	free(st->name);
	free(st->path);
	memset(st, 0, sizeof(*st));
	st->dirfd = -1;
}
