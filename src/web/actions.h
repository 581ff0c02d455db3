/* SPDX-License-Identifier: MIT */
#pragma once
/* hv ui's API calls with a JSON body, and the lists the page offers. */
#include <stdbool.h>
#include <stddef.h>

struct json_object;

/* POST /api/vms/VM/{snapshot,revert,clone,delete} with their bodies
 * ({"name": ...}, {"name": ..., "linked": bool}, {"confirm": VM});
 * *handled is false for any other action. */
int action_with_body(const char *vm, const char *action, const char *body, size_t len, bool *handled);
/* POST /api/vms: {"name", "cpus", "memory", "disk", "nic", "image",
 * "ssh_key", "graphics"}; name receives the new VM's name. */
int action_create(const char *body, size_t len, char *name, size_t name_len);
/* GET /api/images, /api/networks, /api/vms/VM/snapshots (NULL: the
 * reason is recorded). */
struct json_object *action_images_json(void);
struct json_object *action_networks_json(void);
struct json_object *action_snapshots_json(const char *vm);
