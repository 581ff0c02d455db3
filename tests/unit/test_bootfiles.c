/* SPDX-License-Identifier: MIT */
/* Reading an image's kernel through the appliance: the script hv sends and
 * the report it reads back (guest output, checked before use). */
#include <errno.h>

#include "appliance/appliance.h"
#include "appliance/bootfiles.h"
#include "t.h"

int main(void)
{
	unsigned long long k, i;
	char uuid[37], *s = NULL;

	CHECK(bootfiles_script(&s) == 0 && s, "compose");
	CHECK(s && strstr(s, "mount -t ext4 -o ro") != NULL, "finds the root read-only");
	CHECK(s && !strstr(s, "remount,rw"), "never writes the image");
	CHECK(s && strstr(s, "-le 67108864 ] || exit 7") != NULL, "the kernel's size limit is in the script");
	CHECK(s && strstr(s, "seek=64 ") != NULL, "the initrd lands 64 MiB into the scratch disk");
	CHECK(s && !strstr(s, "%"), "no format directive left");
	free(s);

	CHECK(bootfiles_report_parse("root vda1\nkernel 7654321\ninitrd 30000000\n"
				     "uuid 0123456789abcdef0123456789abcdef\n",
				     &k, &i, uuid) == 0,
	      "parse");
	CHECK(k == 7654321 && i == 30000000, "sizes %llu %llu", k, i);
	CHECK_STR(uuid, "01234567-89ab-cdef-0123-456789abcdef", "uuid");
	CHECK(bootfiles_report_parse("kernel 100\nuuid 0123456789abcdef0123456789abcdef\n", &k, &i, uuid) == 0 &&
		  i == 0,
	      "no initrd");
	CHECK(bootfiles_report_parse("uuid 0123456789abcdef0123456789abcdef\n", &k, &i, uuid) == -EPROTO, "no kernel");
	CHECK(bootfiles_report_parse("kernel 100\n", &k, &i, uuid) == -EPROTO, "no uuid");
	CHECK(bootfiles_report_parse("kernel 100\nuuid 00000000000000000000000000000000\n", &k, &i, uuid) == -EPROTO,
	      "a zero uuid");
	CHECK(bootfiles_report_parse("kernel 99999999999\nuuid 0123456789abcdef0123456789abcdef\n", &k, &i, uuid) ==
		  -EPROTO,
	      "a kernel over the limit");
	CHECK(bootfiles_report_parse("kernel -1\nuuid 0123456789abcdef0123456789abcdef\n", &k, &i, uuid) == -EPROTO,
	      "a negative size");
	CHECK(bootfiles_report_parse("kernel 100\nuuid 0123456789abcdef0123456789abcdeZ\n", &k, &i, uuid) == -EPROTO,
	      "a uuid with a non-hex digit");
	CHECK(bootfiles_report_parse("kernel 100\nuuid 0123456789ABCDEF0123456789abcdef\n", &k, &i, uuid) == -EPROTO,
	      "upper case is not what od prints");
	CHECK(bootfiles_report_parse("kernel 100\nuuid 0123\n", &k, &i, uuid) == -EPROTO, "a short uuid");
	T_DONE();
}
