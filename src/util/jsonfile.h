/* SPDX-License-Identifier: MIT */
#pragma once
#include <json-c/json.h>

/* Write JSON text plus a newline atomically (temp + fsync + rename). */
int json_write_atomic(int dirfd, const char *name, const char *text);
/* Parse dirfd/name as a JSON object (at most max bytes). */
int json_read_object(int dirfd, const char *name, size_t max, struct json_object **out);
/* Print an object for scripts: pretty, with a trailing newline. */
void json_print(struct json_object *o);

static inline void json_putp(struct json_object **o)
{
	if (*o)
		json_object_put(*o);
}
#define _cleanup_json_ __attribute__((cleanup(json_putp)))
