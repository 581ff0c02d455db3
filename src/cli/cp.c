/* SPDX-License-Identifier: MIT */
/* hv cp [NAME:]SRC [NAME:]DST: copy files and folders into or out of a running VM. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "manager/guestcp.h"
#include "util/err.h"
#include "util/proc.h"

static const char cp_usage[] =
    "usage: hv cp [-q|--quiet] [NAME:]SRC [NAME:]DST\n"
    "Copies a file or a folder (recursively, with modes, links and times) between the host and the running\n"
    "VM NAME; exactly one side names a VM.  An existing folder DST receives SRC inside it; otherwise SRC is\n"
    "copied as DST.  A progress line is shown on a terminal.";

struct bar {
	unsigned long long last_ms, start_ms;
	bool shown;
};

static void show(void *ctx, unsigned long long done, unsigned long long total)
{
	struct bar *b = ctx;
	unsigned long long now = proc_now_ms(), el = now - b->start_ms;
	double mib = (double)done / 1048576.0;

	if (now - b->last_ms < 200)
		return;
	b->last_ms = now;
	b->shown = true;
	if (total)
		fprintf(stderr, "\r%5.1f%%  %.1f of %.1f MiB  %.1f MB/s ", 100.0 * (double)done / (double)total, mib,
			(double)total / 1048576.0, el ? (double)done / 1000.0 / (double)el : 0.0);
	else
		fprintf(stderr, "\r%.1f MiB  %.1f MB/s ", mib, el ? (double)done / 1000.0 / (double)el : 0.0);
}

int cmd_cp(int argc, char **argv)
{
	static const struct option opts[] = { { "quiet", no_argument, NULL, 'q' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	struct cp_operand src, dst;
	struct bar b = { 0 };
	bool quiet = false;
	int c, r;

	while ((c = cli_getopt(argc, argv, "qh", opts, "cp")) != -1) {
		switch (c) {
		case 'q':
			quiet = true;
			break;
		case 'h':
			puts(cp_usage);
			return EXIT_OK;
		default:
			return EXIT_USAGE;
		}
	}
	if (argc - optind != 2)
		return cli_usage_error("cp", "takes a source and a destination\n%s", cp_usage);
	if ((r = cp_operand_parse(argv[optind], &src)) < 0 || (r = cp_operand_parse(argv[optind + 1], &dst)) < 0)
		return cli_fail_code("cp", r);
	if (!!src.vm[0] == !!dst.vm[0])
		return cli_usage_error("cp", "exactly one of SRC and DST must be in a VM, written NAME:PATH");
	b.start_ms = b.last_ms = proc_now_ms();
	r = vm_copy(&src, &dst, quiet || !isatty(2) ? NULL : show, &b);
	if (b.shown)
		fprintf(stderr, "\n");
	if (r < 0)
		return cli_fail_code("cp", r);
	return EXIT_OK;
}
