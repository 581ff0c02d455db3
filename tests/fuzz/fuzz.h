/* SPDX-License-Identifier: MIT */
#pragma once
/* Helpers shared by the libFuzzer targets (tests/fuzz/fuzz_*.c): the input
 * cut into pieces, and a peer on a socketpair that has already said all
 * it will say (the input) and then closed its sending side, so code that
 * reads a socket with deadlines runs to its end at once. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A cursor over the input. */
struct fz {
	const uint8_t *p;
	size_t n;
};

static inline unsigned fz_byte(struct fz *f)
{
	if (!f->n)
		return 0;
	f->n--;
	return *f->p++;
}

static inline uint16_t fz_u16(struct fz *f)
{
	unsigned lo = fz_byte(f);
	return (uint16_t)(lo | (fz_byte(f) << 8));
}

/* The next n bytes (fewer at the end), as a pointer into the input. */
static inline const uint8_t *fz_take(struct fz *f, size_t n, size_t *got)
{
	const uint8_t *p = f->p;

	*got = n < f->n ? n : f->n;
	f->p += *got;
	f->n -= *got;
	return p;
}

/* A malloc'ed NUL-terminated copy of the next piece, up to a NUL byte or
 * the end of the input (libFuzzer input is not terminated). */
static inline char *fz_str(struct fz *f)
{
	const uint8_t *z = memchr(f->p, 0, f->n);
	size_t n = z ? (size_t)(z - f->p) : f->n, got;
	const uint8_t *p = fz_take(f, n, &got);
	char *s = malloc(n + 1);

	if (!s)
		abort();
	memcpy(s, p, n);
	s[n] = '\0';
	if (z)
		fz_byte(f);
	return s;
}

/* A socketpair whose [1] end wrote data and shut its sending side; [0]
 * is the end for the code under test.  The caller keeps [1] open (so
 * what the code writes is taken) and closes it afterwards. */
static inline void fz_peer(const uint8_t *data, size_t size, int sp[2])
{
	int big = 1 << 20;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
		abort();
	setsockopt(sp[1], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	setsockopt(sp[0], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	while (size > 0) {
		ssize_t k = write(sp[1], data, size);
		if (k <= 0)
			abort(); /* the input is bounded by -max_len, far below the buffer */
		data += k;
		size -= (size_t)k;
	}
	shutdown(sp[1], SHUT_WR);
}
