/* SPDX-License-Identifier: MIT */
/*
 * The guest workload of tests/migrate (in the style of QEMU's own
 * migration test): increment one byte in every page of a large buffer,
 * page after page, forever.  At any instant every page equals its
 * neighbour except at one edge, where the earlier page is one ahead.
 * SIGUSR1 makes it check that invariant at once (wherever the loop
 * stands) and write "ok PASSES" or "broken at PAGE" to the file named
 * by its second argument; the pass count is in the third, rewritten
 * after each pass.
 * usage: dirty MIB CHECKFILE COUNTFILE
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PAGE 4096

static volatile sig_atomic_t want_check;

static void on_usr1(int sig)
{
	(void)sig;
	want_check = 1;
}

static void put(const char *path, const char *text)
{
	char tmp[256];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		return;
	fputs(text, f);
	fclose(f);
	rename(tmp, path);
}

static void check(const unsigned char *buf, size_t pages, unsigned long passes, const char *path)
{
	char text[128];
	size_t edges = 0, bad = 0;

	for (size_t i = 1; i < pages; i++) {
		unsigned char a = buf[(i - 1) * PAGE], b = buf[i * PAGE];
		if (a == b)
			continue;
		if ((unsigned char)(b + 1) == a && edges == 0)
			edges++;
		else if (!bad)
			bad = i;
	}
	if (bad)
		snprintf(text, sizeof(text), "broken at page %zu\n", bad);
	else
		snprintf(text, sizeof(text), "ok %lu\n", passes);
	put(path, text);
}

int main(int argc, char **argv)
{
	size_t pages;
	unsigned char *buf;
	unsigned long passes = 0;
	char text[64];

	if (argc != 4)
		return 2;
	pages = strtoul(argv[1], NULL, 10) * (1024 * 1024 / PAGE);
	buf = aligned_alloc(PAGE, pages * PAGE);
	if (!buf)
		return 1;
	memset(buf, 0, pages * PAGE);
	signal(SIGUSR1, on_usr1);
	for (;;) {
		for (size_t i = 0; i < pages; i++) {
			buf[i * PAGE]++;
			if (want_check) {
				want_check = 0;
				check(buf, pages, passes, argv[2]);
			}
		}
		passes++;
		snprintf(text, sizeof(text), "%lu\n", passes);
		put(argv[3], text);
	}
}
