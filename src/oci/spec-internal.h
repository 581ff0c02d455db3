/* SPDX-License-Identifier: MIT */
#pragma once
/* What spec.c and spec-process.c share: the JSON array helpers, and the
 * file name every message starts with.  Not for other modules. */
#include <stddef.h>

#include "util/json.h"

/* Every message names the file and the field: "config.json: mounts[3].destination ...". */
#define CFG "config.json: "

/* A NULL-terminated array of the strings of a JSON array (borrowed); arr
 * NULL gives NULL.  where is the array's path in messages (as in spec_each). */
int spec_strings(struct json_object *arr, const char *where, char ***out);

/* Each element of an optional array (NULL: none), at most max; where is
 * the array's path in messages ("config.json: mounts"). */
static inline int spec_each(struct json_object *arr, const char *where, size_t max,
			    int (*cb)(struct json_object *e, size_t i, const char *epath, void *ctx), void *ctx)
{
	return arr ? json_array_each(arr, where, max, cb, ctx) : 0;
}
