/* SPDX-License-Identifier: MIT */
#include "manager/share.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "guest/boot.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/json.h"

/* The default tag: the directory's own name with every character a tag
 * may not hold replaced, cut to virtio-fs's 36 bytes. */
static void default_tag(const char *dir, char *tag, size_t n)
{
	const char *base = strrchr(dir, '/');
	size_t k = 0;

	base = base && base[1] ? base + 1 : "root";
	for (const char *c = base; *c && k + 1 < n && k < ENGINE_SHARE_TAG_MAX; c++) {
		bool ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
			  *c == '_' || *c == '-' || *c == '.';
		tag[k++] = ok ? *c : '_';
	}
	tag[k] = '\0';
	if (tag[0] == '.' || tag[0] == '-')
		tag[0] = '_';
}

static int check_dir(const char *path, const char *what)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return errno == ENOENT ? err_set(-ENOENT, "%s: no such directory", what)
				       : err_errno(-errno, "%s", what);
	if (!S_ISDIR(st.st_mode))
		return err_set(-ENOTDIR, "%s is not a directory", what);
	return 0;
}

int share_parse(const char *arg, struct share *out)
{
	_cleanup_free_ char *dir = strdup(arg);
	char *colon, *comma;
	int r;

	memset(out, 0, sizeof(*out));
	if (!dir)
		return err_set(-ENOMEM, "out of memory");
	comma = strrchr(dir, ',');
	if (comma && (!strcmp(comma, ",ro") || !strcmp(comma, ",rw"))) {
		out->readonly = !strcmp(comma, ",ro");
		*comma = '\0';
	}
	colon = strrchr(dir, ':');
	if (colon) {
		*colon = '\0';
		if (strlen(colon + 1) >= sizeof(out->tag))
			return err_set(-EINVAL, "--share %s: share tag '%s' must be 1 to %d characters", arg, colon + 1,
				       ENGINE_SHARE_TAG_MAX);
		snprintf(out->tag, sizeof(out->tag), "%s", colon + 1);
		if ((r = engine_share_tag_check(out->tag)) < 0)
			return err_prefix(r, "--share %s", arg);
	}
	if (!*dir)
		return err_set(-EINVAL, "--share %s: give a host directory (HOSTDIR[:TAG][,ro])", arg);
	if ((r = check_dir(dir, dir)) < 0)
		return err_prefix(r, "--share");
	if (!(out->source = realpath(dir, NULL)))
		return err_errno(-errno, "--share %s", dir);
	if (!colon)
		default_tag(out->source, out->tag, sizeof(out->tag));
	return 0;
}

static int set_append(struct share_set *set, struct share *s, const char *what)
{
	for (unsigned i = 0; i < set->n; i++)
		if (!strcmp(set->v[i].tag, s->tag))
			return err_set(-EEXIST, "%s: the tag '%s' is already taken by %s; give another with :TAG", what,
				       s->tag, set->v[i].source);
	if (set->n == SHARE_MAX)
		return err_set(-E2BIG, "%s: at most %d shared folders", what, SHARE_MAX);
	set->v[set->n++] = *s;
	memset(s, 0, sizeof(*s));
	return 0;
}

int share_set_add(struct share_set *set, const char *arg)
{
	struct share s;
	_cleanup_free_ char *what = NULL;
	int r = share_parse(arg, &s);

	if (r < 0)
		return r;
	if (asprintf(&what, "--share %s", arg) < 0) {
		free(s.source);
		return err_set(-ENOMEM, "out of memory");
	}
	if ((r = set_append(set, &s, what)) < 0)
		free(s.source);
	return r;
}

int share_set_remove(struct share_set *set, const char *tag)
{
	for (unsigned i = 0; i < set->n; i++) {
		if (strcmp(set->v[i].tag, tag))
			continue;
		free(set->v[i].source);
		memmove(&set->v[i], &set->v[i + 1], (set->n - i - 1) * sizeof(set->v[0]));
		memset(&set->v[--set->n], 0, sizeof(set->v[0]));
		return 0;
	}
	return err_set(-ENOENT, "--no-share %s: the VM has no share with that tag", tag);
}

void share_set_free(struct share_set *set)
{
	for (unsigned i = 0; i < set->n; i++)
		free(set->v[i].source);
	memset(set, 0, sizeof(*set));
}

int share_set_dup(const struct share_set *src, struct share_set *dst)
{
	*dst = *src;
	for (unsigned i = 0; i < src->n; i++)
		dst->v[i].source = NULL;
	for (unsigned i = 0; i < src->n; i++)
		if (!(dst->v[i].source = strdup(src->v[i].source))) {
			share_set_free(dst);
			return err_set(-ENOMEM, "out of memory");
		}
	return 0;
}

int share_set_check(const struct share_set *set)
{
	int r;

	for (unsigned i = 0; i < set->n; i++)
		if ((r = check_dir(set->v[i].source, set->v[i].source)) < 0)
			return err_prefix(r, "shared folder '%s'", set->v[i].tag);
	return 0;
}

struct json_object *share_set_json(const struct share_set *set)
{
	struct json_object *arr = json_object_new_array();

	for (unsigned i = 0; arr && i < set->n; i++) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "source", json_object_new_string(set->v[i].source));
		json_object_object_add(o, "tag", json_object_new_string(set->v[i].tag));
		json_object_object_add(o, "readonly", json_object_new_boolean(set->v[i].readonly));
		json_object_array_add(arr, o);
	}
	return arr;
}

struct share_json {
	const char *source, *tag;
	bool readonly;
};

static const struct json_field share_fields[] = {
	JSON_FIELD("source", JSON_STR, JSON_REQUIRED, struct share_json, source),
	JSON_FIELD("tag", JSON_STR, JSON_REQUIRED, struct share_json, tag),
	JSON_FIELD("readonly", JSON_BOOL, JSON_NULLABLE, struct share_json, readonly),
	JSON_FIELD_END,
};

static int load_share(struct json_object *o, size_t i, const char *path, void *ctx)
{
	struct share_set *set = ctx;
	struct share_json j = { 0 };
	struct share s = { 0 };
	int r;

	(void)i;
	if ((r = json_dispatch(o, share_fields, &j, path, 0)) < 0)
		return r;
	if (j.source[0] != '/')
		return err_set(-EINVAL, "%s.source: must be an absolute path", path);
	if ((r = engine_share_tag_check(j.tag)) < 0)
		return err_prefix(r, "%s.tag", path);
	snprintf(s.tag, sizeof(s.tag), "%s", j.tag);
	s.readonly = j.readonly;
	if (!(s.source = strdup(j.source)))
		return err_set(-ENOMEM, "out of memory");
	if ((r = set_append(set, &s, path)) < 0)
		free(s.source);
	return r;
}

int share_set_from_json(struct json_object *arr, const char *path, struct share_set *set)
{
	return json_array_each(arr, path, SHARE_MAX, load_share, set);
}

void share_format(const struct share *s, char *buf, size_t n)
{
	snprintf(buf, n, "%s -> /mnt/%s%s", s->source, s->tag, s->readonly ? " (read-only)" : "");
}

int share_kernel_args(const struct share_set *set, char **cmdline)
{
	for (unsigned i = 0; i < set->n; i++) {
		char *longer;
		if (asprintf(&longer, "%s hv.share=%s%s", *cmdline, set->v[i].tag, set->v[i].readonly ? ",ro" : "") < 0)
			return err_set(-ENOMEM, "out of memory");
		free(*cmdline);
		*cmdline = longer;
	}
	if (strlen(*cmdline) >= GUEST_CMDLINE_MAX)
		return err_set(-E2BIG, "kernel command line too long with the shared folders (at most %d bytes)",
			       GUEST_CMDLINE_MAX - 1);
	return 0;
}

void share_engine(const struct share_set *set, int first_fd, struct engine_vm *vm)
{
	for (unsigned i = 0; i < set->n; i++)
		vm->shares[i] = (struct engine_share){ .fd = first_fd + (int)i, .tag = set->v[i].tag };
	vm->nshares = set->n;
}
