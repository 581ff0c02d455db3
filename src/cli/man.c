/* SPDX-License-Identifier: MIT */
/* hv __man PAGE: the man pages hv(1) and hv-GROUP(1), in roff, from the
 * command table; make writes them into build/man/ (hv __man --list names
 * the pages). */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/commands.h"

#ifndef HV_VERSION
#define HV_VERSION "0.1"
#endif

/* Text with roff's special characters escaped: backslashes, hyphens
 * (\- so options copy and paste) and a leading dot or quote. */
static void roff(const char *s)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", stdout);
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\e", stdout);
		else if (*s == '-')
			fputs("\\-", stdout);
		else
			putchar(*s);
	}
}

static void man_options(const struct cli_opt *opts)
{
	for (const struct cli_opt *o = opts; o && o->name; o++) {
		fputs(".TP\n", stdout);
		if (o->shortopt)
			printf("\\fB\\-%c\\fR, ", o->shortopt);
		fputs("\\fB\\-\\-", stdout);
		roff(o->name);
		fputs("\\fR", stdout);
		if (o->meta) {
			fputs(" \\fI", stdout);
			roff(o->meta);
			fputs("\\fR", stdout);
		}
		putchar('\n');
		roff(o->help);
		putchar('\n');
	}
}

static void man_command(const struct cli_command *c, const char *section)
{
	printf(".%s ", section);
	roff(c->path);
	fputs("\n.PP\n\\fBhv ", stdout);
	roff(c->path);
	fputs("\\fR", stdout);
	if (c->opts)
		fputs(" [\\fIOPTIONS\\fR]", stdout);
	if (c->operands && *c->operands) {
		putchar(' ');
		roff(c->operands);
	}
	fputs("\n.PP\n", stdout);
	roff(c->summary);
	fputs(".\n", stdout);
	man_options(c->opts);
}

static void man_header(const char *page, const char *what)
{
	printf(".TH %s 1 \"\" \"hv %s\" \"hv manual\"\n.SH NAME\n", page, HV_VERSION);
	roff(page);
	fputs(" \\- ", stdout);
	roff(what);
	fputs("\n", stdout);
}

static int man_main(void)
{
	man_header("hv", "VMs on QEMU and an OCI container runtime, without a daemon");
	fputs(".SH SYNOPSIS\n\\fBhv\\fR [\\fB\\-\\-debug\\fR] [\\fB\\-c\\fR \\fIURL\\fR] \\fICOMMAND\\fR "
	      "[\\fIARGS\\fR...]\n"
	      ".SH DESCRIPTION\nEach command takes \\fB\\-\\-help\\fR. Commands with subcommands have their own "
	      "page, named in SEE ALSO.\n"
	      ".PP\n\\fB\\-c\\fR ssh://[USER@]HOST[:PORT][?home=PATH] (or \\fBHV_CONNECT\\fR) runs the command "
	      "on that host: ssh runs hv there (\\fBHV_REMOTE_HV\\fR: its path on that host; "
	      "\\fBHV_SSH_CONFIG\\fR: an ssh_config file for ssh \\fB\\-F\\fR).\n"
	      ".SH COMMANDS\n",
	      stdout);
	for (size_t i = 0; i < cli_ncommands; i++) {
		const struct cli_command *c = &cli_commands[i];
		if (!c->fn || !c->summary)
			continue;
		if (cli_command_has_subcommands(c)) {
			fputs(".SS ", stdout);
			roff(c->path);
			fputs("\n", stdout);
			roff(c->summary);
			printf(": see \\fBhv\\-%s\\fR(1).\n", c->path);
			man_options(c->opts);
		} else {
			man_command(c, "SS");
		}
	}
	fputs(".SH ENVIRONMENT\n.TP\n\\fBHV_HOME\\fR\nthe store (default /var/lib/hv for root, "
	      "~/.local/share/hv otherwise)\n.TP\n\\fBHV_DEBUG\\fR\n1 or a file: trace QMP, agent and channel "
	      "traffic\n.TP\n\\fBHV_ACCEL\\fR\nkvm or tcg instead of the automatic choice\n.SH SEE ALSO\n",
	      stdout);
	const char *sep = "";
	for (size_t i = 0; i < cli_ncommands; i++)
		if (cli_commands[i].fn && cli_commands[i].summary && cli_command_has_subcommands(&cli_commands[i])) {
			printf("%s\\fBhv\\-%s\\fR(1)", sep, cli_commands[i].path);
			sep = ",\n";
		}
	fputs("\n", stdout);
	return 0;
}

static int man_group(const struct cli_command *g)
{
	char page[64];
	size_t n = strlen(g->path);

	snprintf(page, sizeof(page), "hv-%s", g->path);
	man_header(page, g->summary);
	fputs(".SH SYNOPSIS\n\\fBhv ", stdout);
	roff(g->path);
	fputs("\\fR \\fICOMMAND\\fR [\\fIOPTIONS\\fR] ...\n", stdout);
	if (g->opts) {
		fputs(".SH OPTIONS\n", stdout);
		man_options(g->opts);
	}
	fputs(".SH COMMANDS\n", stdout);
	for (size_t i = 0; i < cli_ncommands; i++)
		if (!strncmp(cli_commands[i].path, g->path, n) && cli_commands[i].path[n] == ' ')
			man_command(&cli_commands[i], "SS");
	fputs(".SH SEE ALSO\n\\fBhv\\fR(1)\n", stdout);
	return 0;
}

int cmd_man(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "--list")) {
		puts("hv");
		for (size_t i = 0; i < cli_ncommands; i++)
			if (cli_commands[i].fn && cli_commands[i].summary &&
			    cli_command_has_subcommands(&cli_commands[i]))
				printf("hv-%s\n", cli_commands[i].path);
		return 0;
	}
	if (argc != 2)
		return cli_usage_error("__man", "use: hv __man --list | PAGE");
	if (!strcmp(argv[1], "hv"))
		return man_main();
	const struct cli_command *g = !strncmp(argv[1], "hv-", 3) ? cli_command_find(argv[1] + 3) : NULL;
	if (!g || !g->fn || !cli_command_has_subcommands(g))
		return cli_usage_error("__man", "no page named '%s' (hv __man --list)", argv[1]);
	return man_group(g);
}
