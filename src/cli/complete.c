/* SPDX-License-Identifier: MIT */
/* hv completion bash|zsh|fish and hv __complete, the scripts' callback:
 * what to offer is worked out here from the command table, so the three
 * shells' scripts stay small and never drift from the commands. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "image/catalog.h"
#include "manager/snapshot.h"
#include "manager/store.h"
#include "network/netdef.h"
#include "util/cleanup.h"

/* Where the completion stands after the finished words. */
struct comp_state {
	const struct cli_command *cmd;
	const struct cli_opt *value_of; /* the word being completed is this option's value */
	unsigned operand;		/* index of the operand being completed */
	const char *first;		/* the first operand (the VM of a snapshot) */
	bool after_dashdash;
};

static void offer(const char *cur, const char *word, const char *desc)
{
	if (strncmp(word, cur, strlen(cur)))
		return;
	if (desc)
		printf("%s\t%s\n", word, desc);
	else
		printf("%s\n", word);
}

static const struct cli_opt *opt_in(const struct cli_opt *opts, const char *word)
{
	if (!opts)
		return NULL;
	for (const struct cli_opt *o = opts; o->name; o++) {
		size_t n = strlen(o->name);
		if (word[1] == '-' && !strncmp(word + 2, o->name, n) && (!word[2 + n] || word[2 + n] == '='))
			return o;
		if (word[1] != '-' && o->shortopt && word[1] == o->shortopt && !word[2])
			return o;
	}
	return NULL;
}

/* An option of the command or of its parent (ctr's --root, snapshot's --json). */
static const struct cli_opt *opt_find(const struct cli_command *c, const char *word)
{
	const struct cli_opt *o = opt_in(c->opts, word);
	return o ? o : opt_in(cli_command_parent(c)->opts, word);
}

static void comp_walk(int n, char **w, struct comp_state *s)
{
	for (int i = 1; i < n; i++) {
		const struct cli_opt *o;
		if (s->after_dashdash)
			continue;
		if (!strcmp(w[i], "--")) {
			s->after_dashdash = true;
		} else if (w[i][0] == '-' && w[i][1]) {
			o = opt_find(s->cmd, w[i]);
			if (o && o->meta && !strchr(w[i], '=') && i + 1 < n)
				i++;
			else if (o && o->meta && !strchr(w[i], '='))
				s->value_of = o;
		} else {
			_cleanup_free_ char *sub = NULL;
			const struct cli_command *c = NULL;
			if (cli_command_has_subcommands(s->cmd) && asprintf(&sub, "%s %s", s->cmd->path, w[i]) > 0)
				c = cli_command_find(sub);
			if (c) {
				s->cmd = c;
			} else {
				if (!s->operand)
					s->first = w[i];
				s->operand++;
			}
		}
	}
}

static void offer_names(enum cli_complete kind, const char *cur, const char *vm, const char *meta)
{
	char **names = NULL;
	size_t n = 0;

	if (kind == CC_VM && store_list(&names, &n) == 0) {
		for (size_t i = 0; i < n; i++)
			offer(cur, names[i], NULL);
		store_list_free(names, n);
	} else if (kind == CC_NET && net_list(&names, &n) == 0) {
		for (size_t i = 0; i < n; i++)
			offer(cur, names[i], NULL);
		store_list_free(names, n);
	} else if (kind == CC_IMAGE) {
		struct hv_image *imgs;
		if (image_list(&imgs, &n) == 0) {
			for (size_t i = 0; i < n; i++)
				offer(cur, imgs[i].name, NULL);
			image_list_free(imgs, n);
		}
	} else if (kind == CC_SNAPSHOT && vm) {
		_cleanup_free_ struct snap_info *s = calloc(SNAP_MAX, sizeof(*s));
		char current[64];
		if (s && snap_list(vm, s, SNAP_MAX, &n, current) == 0)
			for (size_t i = 0; i < n; i++)
				offer(cur, s[i].name, s[i].description[0] ? s[i].description : NULL);
	} else if (kind == CC_FILE) {
		puts(":file");
	} else if (kind == CC_DIR) {
		puts(":dir");
	} else if (kind == CC_WORDS && meta) {
		_cleanup_free_ char *words = strdup(meta);
		char *save = NULL;
		for (char *t = words ? strtok_r(words, "|", &save) : NULL; t; t = strtok_r(NULL, "|", &save))
			offer(cur, t, NULL);
	}
}

static void offer_options(const struct cli_command *c, const char *cur)
{
	const struct cli_command *parent = cli_command_parent(c);
	const struct cli_opt *lists[2] = { c->opts, parent != c ? parent->opts : NULL };
	char word[64];

	for (int l = 0; l < 2; l++)
		for (const struct cli_opt *o = lists[l]; o && o->name; o++) {
			snprintf(word, sizeof(word), "--%s", o->name);
			offer(cur, word, o->help);
		}
	offer(cur, "--help", "usage");
}

/* hv __complete WORD... CUR: the words after "hv", the last one being
 * completed; prints one candidate a line ("word<TAB>description"), or
 * ":file" / ":dir" for the shell's own file name completion. */
int cmd_complete(int argc, char **argv)
{
	struct comp_state s = { 0 };
	const char *cur;
	int first = 1;

	if (argc < 2)
		return EXIT_USAGE;
	if (!strcmp(argv[first], "--debug"))
		first++;
	/* hv -c URL COMMAND: the command is completed as here */
	if (argc - 1 > first + 1 && (!strcmp(argv[first], "-c") || !strcmp(argv[first], "--connect")))
		first += 2;
	cur = argv[argc - 1];
	if (argc - 1 == first) { /* the command itself */
		for (size_t i = 0; i < cli_ncommands; i++)
			if (cli_commands[i].fn && cli_commands[i].summary)
				offer(cur, cli_commands[i].path, cli_commands[i].summary);
		return 0;
	}
	if (!(s.cmd = cli_command_find(argv[first])) || !s.cmd->summary)
		return 0;
	comp_walk(argc - first - 1, argv + first, &s);
	if (s.value_of) {
		offer_names(s.value_of->complete, cur, s.first, s.value_of->meta);
	} else if (s.after_dashdash) {
		puts(":file");
	} else if (cur[0] == '-') {
		offer_options(s.cmd, cur);
	} else if (cli_command_has_subcommands(s.cmd)) {
		size_t n = strlen(s.cmd->path);
		for (size_t i = 0; i < cli_ncommands; i++)
			if (!strncmp(cli_commands[i].path, s.cmd->path, n) && cli_commands[i].path[n] == ' ')
				offer(cur, cli_commands[i].path + n + 1, cli_commands[i].summary);
	} else {
		enum cli_complete k = s.operand < CLI_MAX_OPERANDS ? s.cmd->args[s.operand] : CC_NONE;
		/* "NAME..." operands (hv stats, hv top) repeat their kind */
		if (s.operand >= 1 && s.cmd->operands && strstr(s.cmd->operands, "...]") &&
		    !strstr(s.cmd->operands, "--"))
			k = s.cmd->args[0];
		offer_names(k, cur, s.first, NULL);
	}
	return 0;
}

static const char bash_script[] =
    "# bash completion for hv (hv completion bash)\n"
    "_hv() {\n"
    "\tlocal cur=${COMP_WORDS[COMP_CWORD]} out IFS=$'\\n'\n"
    "\tout=$(\"${COMP_WORDS[0]}\" __complete \"${COMP_WORDS[@]:1:COMP_CWORD}\" 2>/dev/null) || return 0\n"
    "\tcase $out in\n"
    "\t:file*) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- \"$cur\")) ;;\n"
    "\t:dir*) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -d -- \"$cur\")) ;;\n"
    "\t*) COMPREPLY=($(printf '%s\\n' \"$out\" | cut -f1)) ;;\n"
    "\tesac\n"
    "}\n"
    "complete -F _hv hv\n";

static const char zsh_script[] =
    "#compdef hv\n"
    "# zsh completion for hv (hv completion zsh)\n"
    "_hv() {\n"
    "\tlocal -a lines cands\n"
    "\tlines=(\"${(@f)$(${words[1]} __complete \"${(@)words[2,CURRENT]}\" 2>/dev/null)}\")\n"
    "\tcase $lines[1] in\n"
    "\t:file) _files ;;\n"
    "\t:dir) _files -/ ;;\n"
    "\t*)\n"
    "\t\tlocal l\n"
    "\t\tfor l in $lines; do\n"
    "\t\t\t[[ -n $l ]] && cands+=(\"${${l%%$'\\t'*}//:/\\\\:}${${(M)l%%$'\\t'*}:+:${l#*$'\\t'}}\")\n"
    "\t\tdone\n"
    "\t\t_describe hv cands ;;\n"
    "\tesac\n"
    "}\n"
    "if [[ $funcstack[1] == _hv ]]; then _hv \"$@\"; else compdef _hv hv; fi\n";

static const char fish_script[] = "# fish completion for hv (hv completion fish)\n"
				  "function __hv_complete\n"
				  "\tset -l words (commandline -opc) (commandline -ct)\n"
				  "\tset -l out ($words[1] __complete $words[2..-1] 2>/dev/null)\n"
				  "\tswitch \"$out[1]\"\n"
				  "\t\tcase :file\n"
				  "\t\t\t__fish_complete_path (commandline -ct)\n"
				  "\t\tcase :dir\n"
				  "\t\t\t__fish_complete_directories (commandline -ct)\n"
				  "\t\tcase '*'\n"
				  "\t\t\tprintf '%s\\n' $out\n"
				  "\tend\n"
				  "end\n"
				  "complete -c hv -f -a '(__hv_complete)'\n";

int cmd_completion(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "bash"))
		fputs(bash_script, stdout);
	else if (argc == 2 && !strcmp(argv[1], "zsh"))
		fputs(zsh_script, stdout);
	else if (argc == 2 && !strcmp(argv[1], "fish"))
		fputs(fish_script, stdout);
	else if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
		puts("usage: hv completion bash|zsh|fish\n"
		     "Prints the completion script: source <(hv completion bash) in ~/.bashrc; make install puts\n"
		     "the three where bash-completion, zsh and fish find them.");
	else
		return cli_usage_error("completion", "which shell? bash, zsh or fish");
	return 0;
}
