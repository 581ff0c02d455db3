/* SPDX-License-Identifier: MIT */
#include "util/size.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "util/err.h"

static int unit_of(const char *suffix, uint64_t default_unit, uint64_t *unit)
{
	static const struct {
		char c;
		uint64_t mult;
	} units[] = { { 'B', 1 },	   { 'K', 1ULL << 10 }, { 'M', 1ULL << 20 },
		      { 'G', 1ULL << 30 }, { 'T', 1ULL << 40 }, { 'P', 1ULL << 50 } };

	if (!*suffix) {
		*unit = default_unit;
		return 0;
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (toupper((unsigned char)suffix[0]) != units[i].c)
			continue;
		const char *rest = suffix + 1;
		/* accept K, KB, KiB (all binary, as QEMU and virsh do) */
		if (*rest == '\0' || (units[i].c != 'B' && (!strcasecmp(rest, "b") || !strcasecmp(rest, "ib")))) {
			*unit = units[i].mult;
			return 0;
		}
	}
	return -EINVAL;
}

int size_parse(const char *s, uint64_t default_unit, uint64_t *out)
{
	uint64_t whole = 0, frac = 0, frac_div = 1, unit;
	const char *p = s;

	if (!s || !*s)
		return err_set(-EINVAL, "empty size");
	if (!isdigit((unsigned char)*p))
		return err_set(-EINVAL, "invalid size '%s' (expected a number with an optional K, M, G or T suffix)",
			       s);
	for (; isdigit((unsigned char)*p); p++) {
		if (whole > (UINT64_MAX - 9) / 10)
			return err_set(-ERANGE, "size '%s' is too large", s);
		whole = whole * 10 + (uint64_t)(*p - '0');
	}
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return err_set(-EINVAL, "invalid size '%s'", s);
		for (; isdigit((unsigned char)*p); p++) {
			if (frac_div >= 1000000000ULL)
				continue; /* ignore digits beyond 1e-9 */
			frac = frac * 10 + (uint64_t)(*p - '0');
			frac_div *= 10;
		}
	}
	if (unit_of(p, default_unit, &unit) < 0)
		return err_set(-EINVAL, "invalid size suffix in '%s' (use K, M, G or T)", s);
	if (whole && unit > UINT64_MAX / whole)
		return err_set(-ERANGE, "size '%s' is too large", s);
	uint64_t v = whole * unit;
	/* 128-bit intermediate: exact for every unit and up to 9 decimals */
	uint64_t f = (uint64_t)((unsigned __int128)frac * unit / frac_div);
	if (v > UINT64_MAX - f)
		return err_set(-ERANGE, "size '%s' is too large", s);
	*out = v + f;
	return 0;
}

void size_format(uint64_t bytes, char *buf, size_t n)
{
	static const char suffix[] = "KMGTP";
	uint64_t unit = 1ULL << 50;

	for (int i = 4; i >= 0; i--, unit >>= 10) {
		if (bytes < unit)
			continue;
		if (bytes % unit == 0)
			snprintf(buf, n, "%llu%c", (unsigned long long)(bytes / unit), suffix[i]);
		else
			snprintf(buf, n, "%.1f%c", (double)bytes / (double)unit, suffix[i]);
		return;
	}
	snprintf(buf, n, "%llu", (unsigned long long)bytes);
}
