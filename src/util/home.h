/* SPDX-License-Identifier: MIT */
#pragma once
#include <stddef.h>

/* hv's state folder: $HV_HOME, else /var/lib/hv for root and
 * ~/.local/share/hv otherwise.  Must be absolute. */
int hv_home(char *buf, size_t n);

/* A folder hv ships beside its binary: EXEDIR/what in the build tree, else
 * EXEDIR/../lib/hv/what or EXEDIR/../share/hv/what once installed (make
 * install); the build-tree path when none exists.  *out is malloc'ed. */
int hv_data_dir(const char *what, char **out);
