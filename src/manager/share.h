/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * Shared folders (virtio-fs): what a VM's definition says about them.
 * `--share HOSTDIR[:TAG][,ro]` names a host directory (kept as its
 * canonical absolute path), the tag the guest mounts it by (default: the
 * directory's name, made safe) and whether the guest may write.  The
 * processes that serve them (virtiofsd) are manager/virtiofs.h.
 */
#include <stdbool.h>

#include "engine/engine.h"

#define SHARE_MAX ENGINE_MAX_SHARES

struct share {
	char *source; /* absolute, canonical host directory */
	char tag[ENGINE_SHARE_TAG_MAX + 1];
	bool readonly;
};

struct share_set {
	struct share v[SHARE_MAX];
	unsigned n;
};

/* Parse one --share value and check the directory exists.  A path that
 * holds ':' needs an explicit tag (the last ':' starts the tag). */
int share_parse(const char *arg, struct share *out);
/* Parse and add, refusing a duplicate tag and more than SHARE_MAX. */
int share_set_add(struct share_set *set, const char *arg);
/* Remove the share with this tag (-ENOENT with a reason when none). */
int share_set_remove(struct share_set *set, const char *tag);
void share_set_free(struct share_set *set);
#define _cleanup_share_set_ __attribute__((cleanup(share_set_free)))
int share_set_dup(const struct share_set *src, struct share_set *dst);
/* Before a start: every source is still a directory. */
int share_set_check(const struct share_set *set);
/* The JSON form (vm.json "shares", virtiofs.json, hv info --json) and
 * back, through a field table; path names the array in messages. */
struct json_object *share_set_json(const struct share_set *set);
int share_set_from_json(struct json_object *arr, const char *path, struct share_set *set);
/* "/home/me/src -> /mnt/src (read-only)" */
void share_format(const struct share *s, char *buf, size_t n);
/* Tell hv's init what to mount: " hv.share=TAG[,ro]" per share appended
 * to *cmdline (heap string, replaced), within the kernel's length limit. */
int share_kernel_args(const struct share_set *set, char **cmdline);
/* The engine side: share i on QEMU's inherited fd first_fd + i. */
void share_engine(const struct share_set *set, int first_fd, struct engine_vm *vm);
