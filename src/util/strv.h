/* SPDX-License-Identifier: MIT */
#pragma once
#include <stddef.h>

/* A growable, NULL-terminated vector of owned strings (an argv). */
struct strv {
	char **v;
	size_t n, cap;
};

int strv_add(struct strv *s, const char *str);
int strv_addf(struct strv *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strv_free(struct strv *s);
/* Join with sep into a newly allocated string (for logs and golden files). */
char *strv_join(const struct strv *s, const char *sep);

static inline void strv_freep(struct strv *s)
{
	strv_free(s);
}
#define _cleanup_strv_ __attribute__((cleanup(strv_freep)))
