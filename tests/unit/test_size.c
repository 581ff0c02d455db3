/* SPDX-License-Identifier: MIT */
/* Size, name, CPU and memory parsing: what users type on the command line. */
#include <errno.h>

#include "manager/store.h"
#include "manager/vmdef.h"
#include "t.h"
#include "util/err.h"
#include "util/size.h"

static void good(const char *s, uint64_t unit, uint64_t want)
{
	uint64_t v = 0;
	int r = size_parse(s, unit, &v);

	CHECK(r == 0 && v == want, "size_parse('%s') = %d, %llu; want %llu", s, r, (unsigned long long)v,
	      (unsigned long long)want);
}

static void bad(const char *s, int want_err)
{
	uint64_t v = 0;
	int r = size_parse(s, SIZE_MIB, &v);

	CHECK(r == want_err, "size_parse('%s') = %d, want %d", s, r, want_err);
	CHECK(r == 0 || strlen(err_msg()) > 5, "an error for '%s' explains itself", s);
}

static void fmt(uint64_t bytes, const char *want)
{
	char buf[32];

	size_format(bytes, buf, sizeof(buf));
	CHECK_STR(buf, want, "size_format");
}

static void names(void)
{
	static const char *const ok[] = { "web", "db-1", "a", "node_2.lab", "0day", NULL };
	static const char *const ko[] = { "",		"a/b",	 "..", "a..b", "-x", ".hidden",
					  "with space", "tab\t", "ü",  "x;rm", NULL };
	char long_name[80];

	for (int i = 0; ok[i]; i++)
		CHECK(vm_name_validate(ok[i]) == 0, "name '%s' is valid", ok[i]);
	for (int i = 0; ko[i]; i++)
		CHECK(vm_name_validate(ko[i]) == -EINVAL, "name '%s' is refused", ko[i]);
	memset(long_name, 'a', 63);
	long_name[63] = '\0';
	CHECK(vm_name_validate(long_name) == 0, "63 characters are allowed");
	long_name[63] = 'a';
	long_name[64] = '\0';
	CHECK(vm_name_validate(long_name) == -EINVAL, "64 characters are refused");
}

static void memory_and_cpus(void)
{
	uint64_t mib = 0;
	unsigned cpus = 0;

	CHECK(vmdef_parse_memory("256", &mib) == 0 && mib == 256, "bare memory numbers are MiB");
	CHECK(vmdef_parse_memory("1G", &mib) == 0 && mib == 1024, "1G is 1024 MiB");
	CHECK(vmdef_parse_memory("0", &mib) == -EINVAL, "--memory 0 is refused");
	CHECK(strstr(err_msg(), "at least") != NULL, "and the message says the minimum: %s", err_msg());
	CHECK(vmdef_parse_memory("9999T", &mib) == -EINVAL, "--memory 9999T is refused");
	CHECK(strstr(err_msg(), "exceeds") != NULL, "and the message says why: %s", err_msg());
	CHECK(vmdef_parse_memory("32M", &mib) == -EINVAL, "below the minimum is refused");
	CHECK(vmdef_parse_memory("1.5K", &mib) == -EINVAL, "a fraction of a MiB is refused");
	CHECK(vmdef_parse_memory("lots", &mib) == -EINVAL, "garbage is refused");
	CHECK(vmdef_parse_cpus("2", &cpus) == 0 && cpus == 2, "--cpus 2");
	CHECK(vmdef_parse_cpus("0", &cpus) == -EINVAL, "--cpus 0 is refused");
	CHECK(vmdef_parse_cpus("-1", &cpus) == -EINVAL, "--cpus -1 is refused");
	CHECK(vmdef_parse_cpus("2x", &cpus) == -EINVAL, "--cpus 2x is refused");
	CHECK(vmdef_parse_cpus("256", &cpus) == -EINVAL, "--cpus 256 is refused");
	CHECK(vmdef_parse_cpus("", &cpus) == -EINVAL, "--cpus '' is refused");
}

int main(void)
{
	good("512", SIZE_MIB, 512 * SIZE_MIB);
	good("512", 1, 512);
	good("1G", SIZE_MIB, SIZE_GIB);
	good("1g", SIZE_MIB, SIZE_GIB);
	good("2GiB", SIZE_MIB, 2 * SIZE_GIB);
	good("10MB", 1, 10 * SIZE_MIB);
	good("64k", 1, 64 * 1024);
	good("1.5G", 1, SIZE_GIB + SIZE_GIB / 2);
	good("0.5M", 1, SIZE_MIB / 2);
	good("1T", 1, 1ULL << 40);
	good("0", SIZE_MIB, 0);
	good("16777215T", 1, 16777215ULL << 40);
	bad("", -EINVAL);
	bad("abc", -EINVAL);
	bad("-1", -EINVAL);
	bad("1X", -EINVAL);
	bad("1.", -EINVAL);
	bad("1GG", -EINVAL);
	bad(" 1G", -EINVAL);
	bad("1 G", -EINVAL);
	bad("99999999999999999999", -ERANGE);
	bad("16777216T", -ERANGE);
	bad("99999999999P", -ERANGE);
	fmt(256 * SIZE_MIB, "256M");
	fmt(SIZE_GIB, "1G");
	fmt(SIZE_GIB + SIZE_GIB / 2, "1.5G");
	fmt(4096, "4K");
	fmt(1000, "1000");
	names();
	memory_and_cpus();
	T_DONE();
}
