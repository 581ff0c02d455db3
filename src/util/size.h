/* SPDX-License-Identifier: MIT */
#pragma once
#include <stddef.h>
#include <stdint.h>

/* Parse a size such as "512", "512M", "1.5G", "2GiB", "64k".  Suffixes are
 * binary (K=1024) and case-insensitive; a bare number is multiplied by
 * default_unit.  Returns -EINVAL (malformed) or -ERANGE (overflow) with
 * the reason recorded. */
int size_parse(const char *s, uint64_t default_unit, uint64_t *out);
/* "256M", "1G", "1.5G", "4096" (bytes): the shortest exact-enough form. */
void size_format(uint64_t bytes, char *buf, size_t n);

#define SIZE_KIB 1024ULL
#define SIZE_MIB (1024ULL * 1024)
#define SIZE_GIB (1024ULL * 1024 * 1024)
