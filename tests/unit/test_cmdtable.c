/* SPDX-License-Identifier: MIT */
/* The command table (src/cli/commands.c) against the getopt arrays the
 * commands really parse with: each command runs with --help while
 * cli_getopt's hook records its arrays, so an option added to a command
 * and not to the table (or the other way round) fails here. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "t.h"
#include "util/cleanup.h"
#include "util/fs.h"

static const char *seen_short;
static const struct option *seen_long;

static void hook(const char *shortopts, const struct option *longopts)
{
	seen_short = shortopts;
	seen_long = longopts;
}

static const struct cli_opt *table_opt(const struct cli_command *c, const char *name)
{
	const struct cli_command *p = cli_command_parent(c);
	const struct cli_opt *lists[2] = { c->opts, p != c ? p->opts : NULL };

	for (int l = 0; l < 2; l++)
		for (const struct cli_opt *o = lists[l]; o && o->name; o++)
			if (!strcmp(o->name, name))
				return o;
	return NULL;
}

static const struct option *real_opt(const char *name)
{
	for (const struct option *o = seen_long; o && o->name; o++)
		if (!strcmp(o->name, name))
			return o;
	return NULL;
}

static char help_file[] = "/tmp/hv-cmdtable-help.XXXXXX";

/* Run `hv PATH --help` as main does, its output in help_file, recording
 * the last cli_getopt arrays. */
static void run_help(const struct cli_command *c)
{
	const struct cli_command *top = cli_command_parent(c);
	char *argv[4];
	int argc = 0, saved = dup(1), null = open(help_file, O_WRONLY | O_TRUNC);
	char *path = strdup(c->path), *sp = strchr(path, ' ');

	argv[argc++] = path;
	if (sp) {
		*sp = 0;
		argv[argc++] = sp + 1;
	}
	argv[argc++] = (char *)"--help";
	argv[argc] = NULL;
	seen_short = NULL;
	seen_long = NULL;
	fflush(stdout);
	dup2(null, 1);
	optind = 0;
	cli_prog = "hv";
	top->fn(argc, argv);
	cli_help_options();
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	close(null);
	free(path);
}

static void check_command(const struct cli_command *c)
{
	char what[128];

	run_help(c);
	if (!seen_long) {
		snprintf(what, sizeof(what), "hv %s: no getopt seen, so the table lists no options", c->path);
		CHECK(!c->opts || !c->opts->name || cli_command_has_subcommands(c), "%s", what);
		return;
	}
	/* every option the command parses is in the table, with its value and short letter */
	for (const struct option *o = seen_long; o->name; o++) {
		if (!strcmp(o->name, "help"))
			continue;
		const struct cli_opt *t = table_opt(c, o->name);
		snprintf(what, sizeof(what), "hv %s --%s is in the command table", c->path, o->name);
		CHECK(t != NULL, "%s", what);
		if (!t)
			continue;
		snprintf(what, sizeof(what), "hv %s --%s: takes a value in both", c->path, o->name);
		CHECK((o->has_arg == required_argument) == (t->meta != NULL), "%s", what);
		bool real_short =
		    o->val > 0 && o->val < 128 && strchr(seen_short, o->val) && o->val != ':' && o->val != '+';
		snprintf(what, sizeof(what), "hv %s --%s: short option -%c in both", c->path, o->name,
			 real_short    ? o->val
			 : t->shortopt ? t->shortopt
				       : '?');
		CHECK(real_short ? t->shortopt == o->val : !t->shortopt, "%s", what);
	}
	/* every option of the table is parsed, and --help names it */
	_cleanup_free_ char *help = NULL;
	CHECK(fs_read_all(AT_FDCWD, help_file, 1 << 20, &help, NULL) == 0, "hv %s --help's output", c->path);
	for (const struct cli_opt *t = c->opts; t && t->name; t++) {
		char word[64];
		snprintf(what, sizeof(what), "hv %s: the table's --%s is parsed", c->path, t->name);
		CHECK(real_opt(t->name) != NULL, "%s", what);
		snprintf(word, sizeof(word), "--%s ", t->name);
		CHECK(help && strstr(help, word), "hv %s --help names --%s", c->path, t->name);
	}
}

/* The first words of each line hv __complete prints for the words given
 * (the last one is being completed), space-separated. */
static char *complete(const char *const *words)
{
	char *argv[16] = { (char *)"__complete" }, *out = NULL, *line, *save = NULL, *res = NULL;
	int argc = 1, saved = dup(1), fd = open(help_file, O_WRONLY | O_TRUNC);
	size_t n = 0;
	FILE *m;

	for (; *words; words++)
		argv[argc++] = (char *)*words;
	fflush(stdout);
	dup2(fd, 1);
	cmd_complete(argc, argv);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	close(fd);
	if (fs_read_all(AT_FDCWD, help_file, 1 << 20, &out, NULL) < 0 || !(m = open_memstream(&res, &n)))
		return out;
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		fprintf(m, "%s%.*s", n || ftell(m) ? " " : "", (int)strcspn(line, "\t"), line);
	fclose(m);
	free(out);
	return res;
}

#define COMPLETES(want, ...)                                                                                           \
	do {                                                                                                           \
		const char *words_[] = { __VA_ARGS__, NULL };                                                          \
		_cleanup_free_ char *got_ = complete(words_);                                                          \
		CHECK_STR(got_, want, #__VA_ARGS__);                                                                   \
	} while (0)

static void test_complete(void)
{
	COMPLETES("snapshot", "sn");
	COMPLETES("start stats status", "--debug", "sta");
	COMPLETES("start stats status", "-c", "ssh://node2", "sta");
	COMPLETES("start stats status", "--debug", "-c", "ssh://node2", "sta");
	COMPLETES(":file", "-c", "ssh://node2", "create", "x", "--disk", "");
	COMPLETES("create", "net", "cr");
	COMPLETES("create", "ctr", "--root", "/r", "cr");
	COMPLETES(":file", "create", "x", "--disk", "");
	COMPLETES(":dir", "run", "--share", "");
	COMPLETES(":file", "run", "--", "ls", "");
	COMPLETES("microvm q35", "create", "x", "--memory", "1G", "--machine", "");
	COMPLETES("natnet", "net", "create", "n", "--mode", "n");
	COMPLETES("--timeout", "stop", "--timeout", "5", "--t"); /* 5 is --timeout's value */
	COMPLETES("--force", "stop", "--f");
	COMPLETES("--json", "snapshot", "list", "--j"); /* the parent's options */
	COMPLETES("", "create", "");			/* a new name: nothing to offer */
}

int main(void)
{
	char home[] = "/tmp/hv-cmdtable.XXXXXX";

	CHECK(mkdtemp(home) != NULL, "mkdtemp");
	CHECK(close(mkstemp(help_file)) == 0, "mkstemp");
	setenv("HV_HOME", home, 1);
	cli_getopt_hook = hook;
	for (size_t i = 0; i < cli_ncommands; i++) {
		const struct cli_command *c = &cli_commands[i];
		CHECK(!strchr(c->path, ' ') == (c->fn != NULL), "%s", c->path);
		if (c->summary)
			check_command(c);
	}
	test_complete();
	/* names are unique */
	for (size_t i = 0; i < cli_ncommands; i++)
		for (size_t j = i + 1; j < cli_ncommands; j++)
			CHECK(strcmp(cli_commands[i].path, cli_commands[j].path), "%s", cli_commands[i].path);
	unlink(help_file);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", home);
	CHECK(system(cmd) == 0, "rm");
	T_DONE();
}
