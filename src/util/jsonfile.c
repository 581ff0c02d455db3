/* SPDX-License-Identifier: MIT */
#include "util/jsonfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"

int json_write_atomic(int dirfd, const char *name, const char *text)
{
	size_t n = strlen(text);
	_cleanup_free_ char *buf = malloc(n + 2);

	if (!buf)
		return -ENOMEM;
	memcpy(buf, text, n);
	buf[n] = '\n';
	return fs_write_atomic(dirfd, name, buf, n + 1, 0600);
}

int json_read_object(int dirfd, const char *name, size_t max, struct json_object **out)
{
	_cleanup_free_ char *text = NULL;
	struct json_object *o;
	int r = fs_read_all(dirfd, name, max, &text, NULL);

	if (r < 0)
		return r;
	o = json_tokener_parse(text);
	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return err_set(-EINVAL, "%s is not a JSON object", name);
	}
	*out = o;
	return 0;
}

void json_print(struct json_object *o)
{
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
						   JSON_C_TO_STRING_NOSLASHESCAPE));
}
