/* SPDX-License-Identifier: MIT */
/* guest/ciinfo: addresses from cloud-init's table on a hostile console. */
#include <arpa/inet.h>
#include <stdint.h>

#include "guest/ciinfo.h"
#include "t.h"

int main(void)
{
	static const char con[] =
	    "[   30.1] cloud-init[290]: Cloud-init v. 22.4.2 running 'init' at Mon\r\n"
	    "ci-info: ++++++++++++++++++++++++++++++++++++++Net device info+++++++++++++++++++++++++++++++++++++++\r\n"
	    "ci-info: +--------+------+------------------------------+---------------+--------+-------------------+\r\n"
	    "ci-info: | Device |  Up  |           Address            |      Mask     | Scope  |     Hw-Address    |\r\n"
	    "ci-info: +--------+------+------------------------------+---------------+--------+-------------------+\r\n"
	    "ci-info: |  eth0  | True |          10.0.2.15           | 255.255.255.0 | global | 52:54:00:c0:0c:cd |\r\n"
	    "ci-info: |  eth0  | True | fe80::5054:ff:fec0:ccd/64    |       .       |  link  | 52:54:00:c0:0c:cd |\r\n"
	    "ci-info: |  eth1  | False|          .                   |       .       |   .    | 52:54:00:00:00:02 |\r\n"
	    "ci-info: |   lo   | True |          127.0.0.1           |   255.0.0.0   |  host  |         .         |\r\n"
	    "[   40.0] cloud-init[300]: ci-info: |  eth2  | True | 192.168.7.9 | 255.255.240.0 | global | "
	    "52:54:00:00:00:03 |\r\n";
	uint32_t ip = 0;
	int prefix = 0;

	CHECK(ciinfo_find_ipv4(con, sizeof(con) - 1, "52:54:00:c0:0c:cd", &ip, &prefix) == 1 &&
		  ip == htonl(0x0a00020f) && prefix == 24,
	      "eth0: %08x/%d", ip, prefix);
	CHECK(ciinfo_find_ipv4(con, sizeof(con) - 1, "52:54:00:C0:0C:CD", &ip, &prefix) == 1, "MAC case-insensitive");
	CHECK(ciinfo_find_ipv4(con, sizeof(con) - 1, "52:54:00:00:00:02", &ip, &prefix) == 0, "a down NIC has none");
	CHECK(ciinfo_find_ipv4(con, sizeof(con) - 1, "52:54:00:00:00:03", &ip, &prefix) == 1 &&
		  ip == htonl(0xc0a80709) && prefix == 20,
	      "a journal-prefixed row: %08x/%d", ip, prefix);
	CHECK(ciinfo_find_ipv4(con, sizeof(con) - 1, "52:54:00:00:00:99", &ip, &prefix) == 0, "unknown MAC");
	/* hostile rows: a bad mask, a bad address, too many fields, a huge line */
	static const char bad[] = "ci-info: | eth0 | True | 10.0.2.99 | 255.0.255.0 | global | 52:54:00:00:00:05 |\n"
				  "ci-info: | eth0 | True | 10.0.2.999 | 255.0.0.0 | global | 52:54:00:00:00:05 |\n"
				  "ci-info: | a | True | 10.1.1.1 | 255.0.0.0 | g | 52:54:00:00:00:05 | x | y |\n";
	CHECK(ciinfo_find_ipv4(bad, sizeof(bad) - 1, "52:54:00:00:00:05", &ip, &prefix) == 0, "malformed rows skipped");
	char big[2000];
	memset(big, '|', sizeof(big));
	memcpy(big, "ci-info: |", 10);
	CHECK(ciinfo_find_ipv4(big, sizeof(big), "52:54:00:00:00:05", &ip, &prefix) == 0, "an endless row is skipped");
	T_DONE();
}
