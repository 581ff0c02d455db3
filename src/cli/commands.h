/* SPDX-License-Identifier: MIT */
#pragma once
/* hv's command table: every command and subcommand with its operands and
 * options.  main dispatches from it; hv --help, hv completion and the man
 * pages (hv __man) are generated from it; tests/unit/test_cmdtable.c checks
 * it against the getopt arrays the commands parse with. */
#include <stddef.h>

/* What an operand or an option's value completes to. */
enum cli_complete {
	CC_NONE,
	CC_VM,	     /* a VM's name */
	CC_NET,	     /* a network's name */
	CC_SNAPSHOT, /* a snapshot of the VM named by the first operand */
	CC_IMAGE,    /* an image's name */
	CC_FILE,
	CC_DIR,
	CC_WORDS, /* one of the words of meta, "a|b|c" */
};

struct cli_opt {
	const char *name; /* long name, without "--" */
	char shortopt;	  /* 0: none */
	const char *meta; /* the value's placeholder; NULL: a flag */
	enum cli_complete complete;
	const char *help;
};

#define CLI_MAX_OPERANDS 3
struct cli_command {
	const char *path;		  /* "run", "net create" (a subcommand: the parent's path, a space, its name) */
	int (*fn)(int argc, char **argv); /* top-level commands only */
	const char *operands;		  /* the usage line after the options, e.g. "NAME SNAP" */
	enum cli_complete args[CLI_MAX_OPERANDS];
	const char *summary;	    /* NULL: internal, hidden from help, completion and man */
	const struct cli_opt *opts; /* ends with { NULL }; NULL: none */
};

extern const struct cli_command cli_commands[];
extern const size_t cli_ncommands;

/* The entry whose path is path, NULL when none. */
const struct cli_command *cli_command_find(const char *path);
/* Has the entry subcommands (entries whose path starts with "PATH ")? */
int cli_command_has_subcommands(const struct cli_command *c);
/* The top-level command of an entry ("net" for "net create"). */
const struct cli_command *cli_command_parent(const struct cli_command *c);
