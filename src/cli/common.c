/* SPDX-License-Identifier: MIT */
#include "cli/cli.h"
#include "cli/commands.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "manager/store.h"
#include "manager/vmdef.h"
#include "util/cleanup.h"
#include "util/err.h"

const char *cli_prog = "hv";

void cli_warnings(void)
{
	char line[512];

	while (err_warning_take(line, sizeof(line)))
		fprintf(stderr, "%s: warning: %s\n", cli_prog, line);
}

int cli_fail_code(const char *cmd, int r)
{
	cli_warnings();
	fprintf(stderr, "%s %s: %s\n", cli_prog, cmd, err_msg_for(r < 0 ? r : -EIO));
	return EXIT_FAIL;
}

int cli_fail(const char *cmd)
{
	cli_warnings();
	fprintf(stderr, "%s %s: %s\n", cli_prog, cmd, err_msg());
	return EXIT_FAIL;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s %s: ", cli_prog, cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see: %s %s --help)\n", cli_prog, cmd);
	return EXIT_USAGE;
}

void (*cli_getopt_hook)(const char *shortopts, const struct option *longopts);

/* The table entry of the command whose --help was asked for. */
static const struct cli_command *help_cmd;

static void help_seen(const char *cmd)
{
	_cleanup_free_ char *path = NULL;

	/* hv ctr's and hv-runc's subcommands name themselves without "ctr" */
	if (strcmp(cli_prog, "hv") && strcmp(cmd, "ctr")) {
		if (asprintf(&path, "ctr %s", cmd) < 0)
			return;
		cmd = path;
	}
	help_cmd = cli_command_find(cmd);
}

void cli_help_options(void)
{
	const struct cli_command *c = help_cmd;
	char left[64];

	help_cmd = NULL;
	if (!c || !c->opts || !c->opts->name)
		return;
	printf("\noptions:\n");
	for (const struct cli_opt *o = c->opts; o->name; o++) {
		snprintf(left, sizeof(left), "%c%c%c --%s%s%s", o->shortopt ? '-' : ' ',
			 o->shortopt ? o->shortopt : ' ', o->shortopt ? ',' : ' ', o->name, o->meta ? " " : "",
			 o->meta ? o->meta : "");
		printf("  %-30s %s\n", left, o->help);
	}
}

int cli_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts, const char *cmd)
{
	char opts[128];
	int c;

	if (cli_getopt_hook)
		cli_getopt_hook(shortopts, longopts);
	/* a leading '+' (hv run) stops at the first operand, which starts the
	 * guest command; otherwise options may follow the VM name.  ':' makes
	 * getopt report missing values to us. */
	if (shortopts[0] == '+')
		snprintf(opts, sizeof(opts), "+:%s", shortopts + 1);
	else
		snprintf(opts, sizeof(opts), ":%s", shortopts);
	opterr = 0;
	c = getopt_long(argc, argv, opts, longopts, NULL);
	if (c == 'h')
		help_seen(cmd);
	if (c == '?') {
		if (optopt)
			cli_usage_error(cmd, "unknown option '-%c'", optopt);
		else
			cli_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
	} else if (c == ':') {
		cli_usage_error(cmd, "option '%s' needs a value", argv[optind - 1]);
		c = '?';
	}
	return c;
}

int cli_one_name(int argc, char **argv, const char *cmd, const char **name)
{
	if (optind >= argc)
		return cli_usage_error(cmd, "missing the VM name");
	if (optind + 1 < argc)
		return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind + 1]);
	*name = argv[optind];
	return 0;
}

void cli_accel_notice(const char *why)
{
	_cleanup_close_ int vmsfd = -1;
	int fd;

	if (!why)
		return;
	/* once per store: a marker file beside vms/ remembers that the user was told */
	if ((vmsfd = store_vms_open()) >= 0) {
		fd = openat(vmsfd, "../.tcg-notice", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0 && errno == EEXIST)
			return;
		if (fd >= 0)
			close(fd);
	}
	err_clear();
	fprintf(stderr, "hv: using TCG software emulation, because %s (shown once)\n", why);
}

void cli_vm_opts_init(struct cli_vm_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->cpus = 1;
	o->memory_mib = 256;
	o->machine = MACHINE_MICROVM;
	o->accel = ACCEL_AUTO;
}

int cli_vm_option(int c, const char *arg, struct cli_vm_opts *o)
{
	switch (c) {
	case 'c':
		return vmdef_parse_cpus(arg, &o->cpus) ?: 1;
	case 'm':
		return vmdef_parse_memory(arg, &o->memory_mib) ?: 1;
	case 'd':
		if (o->ndisks == ENGINE_MAX_DISKS)
			return err_set(-E2BIG, "at most %d disks", ENGINE_MAX_DISKS);
		o->disks[o->ndisks++] = arg;
		return 1;
	case 'k':
		o->kernel = arg;
		return 1;
	case 'i':
		o->initrd = arg;
		return 1;
	case 'a':
		o->cmdline = arg;
		return 1;
	case 'M':
		o->machine_set = true;
		return machine_parse(arg, &o->machine) ?: 1;
	case 'A':
		return accel_parse(arg, &o->accel) ?: 1;
	case 'S':
		if (o->nshares == ENGINE_MAX_SHARES)
			return err_set(-E2BIG, "at most %d shared folders", ENGINE_MAX_SHARES);
		o->shares[o->nshares++] = arg;
		return 1;
	}
	return cli_nic_option(c, arg, &o->nics);
}

int cli_nic_option(int c, const char *arg, struct nic_request *n)
{
	switch (c) {
	case 'N':
		if (!strcmp(arg, "none")) {
			n->none = true;
			return 1;
		}
		if (n->nspecs == NIC_MAX)
			return err_set(-E2BIG, "at most %d NICs", NIC_MAX);
		n->specs[n->nspecs++] = arg;
		return 1;
	case 'F':
		if (n->nforwards == NIC_MAX_FORWARDS)
			return err_set(-E2BIG, "at most %d forwards", NIC_MAX_FORWARDS);
		n->forwards[n->nforwards++] = arg;
		return 1;
	}
	return 0;
}
