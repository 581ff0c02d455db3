/* SPDX-License-Identifier: MIT */
#include "util/strv.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"

static int strv_push(struct strv *s, char *owned)
{
	if (!owned)
		return err_set(-ENOMEM, "out of memory");
	if (s->n + 2 > s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		char **v = realloc(s->v, cap * sizeof(*v));
		if (!v) {
			free(owned);
			return err_set(-ENOMEM, "out of memory");
		}
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = owned;
	s->v[s->n] = NULL;
	return 0;
}

int strv_add(struct strv *s, const char *str)
{
	return strv_push(s, strdup(str));
}

int strv_addf(struct strv *s, const char *fmt, ...)
{
	va_list ap;
	char *p = NULL;
	int k;

	va_start(ap, fmt);
	k = vasprintf(&p, fmt, ap);
	va_end(ap);
	return strv_push(s, k < 0 ? NULL : p);
}

void strv_free(struct strv *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

char *strv_join(const struct strv *s, const char *sep)
{
	size_t len = 1, sl = strlen(sep);
	char *out, *p;

	for (size_t i = 0; i < s->n; i++)
		len += strlen(s->v[i]) + sl;
	out = malloc(len);
	if (!out)
		return NULL;
	p = out;
	for (size_t i = 0; i < s->n; i++) {
		size_t l = strlen(s->v[i]);
		if (i) {
			memcpy(p, sep, sl);
			p += sl;
		}
		memcpy(p, s->v[i], l);
		p += l;
	}
	*p = '\0';
	return out;
}
