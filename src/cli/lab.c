/* SPDX-License-Identifier: MIT */
/* hv up | down | status: lab files (src/lab/). */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "lab/lab.h"
#include "network/addr.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/jsonfile.h"
#include "util/size.h"

struct lab_args {
	const char *file, *name;
	bool json, recreate, del, dry_run;
	int timeout;
};

static int lab_getopt(int argc, char **argv, const char *cmd, const char *help, struct lab_args *a)
{
	static const struct option up_opts[] = {
		{ "file", required_argument, NULL, 'f' }, { "json", no_argument, NULL, 'j' },
		{ "recreate", no_argument, NULL, 'r' },	  { "dry-run", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },	  { NULL, 0, NULL, 0 }
	};
	static const struct option down_opts[] = { { "file", required_argument, NULL, 'f' },
						   { "lab", required_argument, NULL, 'l' },
						   { "json", no_argument, NULL, 'j' },
						   { "delete", no_argument, NULL, 'd' },
						   { "timeout", required_argument, NULL, 't' },
						   { "help", no_argument, NULL, 'h' },
						   { NULL, 0, NULL, 0 } };
	static const struct option status_opts[] = { { "file", required_argument, NULL, 'f' },
						     { "lab", required_argument, NULL, 'l' },
						     { "json", no_argument, NULL, 'j' },
						     { "help", no_argument, NULL, 'h' },
						     { NULL, 0, NULL, 0 } };
	bool up = !strcmp(cmd, "up"), down = !strcmp(cmd, "down");
	const struct option *opts = up ? up_opts : down ? down_opts : status_opts;
	int c;

	*a = (struct lab_args){ .file = LAB_DEFAULT_FILE, .timeout = 60 };
	while ((c = cli_getopt(argc, argv, up ? "f:h" : "f:l:h", opts, cmd)) != -1) {
		if (c == 'f')
			a->file = optarg;
		else if (c == 'l')
			a->name = optarg;
		else if (c == 'j')
			a->json = true;
		else if (c == 'r' || c == 'n')
			*(c == 'r' ? &a->recreate : &a->dry_run) = true;
		else if (c == 'd')
			a->del = true;
		else if (c == 't') {
			if ((a->timeout = atoi(optarg)) <= 0)
				return cli_usage_error(cmd, "--timeout needs a number of seconds");
		} else if (c == 'h') {
			puts(help);
			return -1;
		} else {
			return EXIT_USAGE;
		}
	}
	if (optind < argc)
		return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	return 0;
}

/* The lab's name: --lab, else the file's. */
static int lab_name_of(const struct lab_args *a, char *buf, size_t n)
{
	struct lab l;
	int r;

	if (a->name) {
		snprintf(buf, n, "%s", a->name);
		return lab_name_validate(a->name);
	}
	if ((r = lab_load(a->file, &l)) < 0)
		return r;
	snprintf(buf, n, "%s", l.name);
	lab_free(&l);
	return 0;
}

struct progress {
	bool json;
	struct json_object *done;
};

static void progress_done(const char *text, void *ctx)
{
	struct progress *p = ctx;

	json_object_array_add(p->done, json_object_new_string(text));
	if (!p->json) {
		printf("%s\n", text);
		fflush(stdout);
	}
}

static int up_apply(const struct lab *l, const struct lab_plan *p, const struct lab_args *a)
{
	_cleanup_json_ struct json_object *o = json_object_new_object(), *plan = json_object_new_array();
	struct progress pr = { .json = a->json, .done = json_object_new_array() };
	int r = 0;

	for (unsigned i = 0; i < p->n; i++)
		json_object_array_add(plan, json_object_new_string(p->v[i].text));
	if (!a->json && !p->n)
		printf("nothing to do\n");
	if (a->dry_run) {
		for (unsigned i = 0; !a->json && i < p->n; i++)
			printf("%s\n", p->v[i].text);
	} else
		r = lab_apply(l, p, progress_done, &pr);
	json_object_object_add(o, "lab", json_object_new_string(l->name));
	json_object_object_add(o, "changes", json_object_get(plan));
	json_object_object_add(o, "done", pr.done);
	json_object_object_add(o, "error", r < 0 ? json_object_new_string(err_msg_for(r)) : NULL);
	if (a->json)
		json_print(o);
	if (r < 0) {
		fprintf(stderr, "hv up: %s (%s; hv up again continues from here)\n", err_msg_for(r),
			json_object_array_length(pr.done) ? "the steps above are done" : "nothing was changed");
		return EXIT_FAIL;
	}
	return 0;
}

int cmd_up(int argc, char **argv)
{
	struct lab_args a;
	struct lab l;
	struct lab_plan *p;
	int r;

	if ((r = lab_getopt(
		 argc, argv, "up",
		 "usage: hv up [-f FILE] [--recreate] [--dry-run] [--json]\n"
		 "Create or update the networks and VMs of a lab file (default ./" LAB_DEFAULT_FILE
		 ") and start them:\n"
		 "networks first, then the VMs in the file's order.  Only what differs changes; each change\n"
		 "is printed.  A change that needs a restart of a running VM (cpus, memory, NICs, forwards,\n"
		 "shares), or a new VM (image, disks, cloud-init), is refused unless --recreate.  See "
		 "docs/lab.md.",
		 &a)) != 0)
		return r < 0 ? 0 : r;
	if ((r = lab_load(a.file, &l)) < 0)
		return cli_fail_code("up", r);
	if ((r = lab_validate(&l)) < 0) {
		err_prefix(r, "%s", a.file);
		lab_free(&l);
		return cli_fail_code("up", r);
	}
	if (!(p = calloc(1, sizeof(*p)))) {
		lab_free(&l);
		return cli_fail_code("up", -ENOMEM);
	}
	if ((r = lab_plan(&l, a.recreate, p)) < 0)
		r = cli_fail_code("up", r);
	else
		r = up_apply(&l, p, &a);
	free(p);
	lab_free(&l);
	return r;
}

int cmd_down(int argc, char **argv)
{
	struct lab_args a;
	char name[LAB_NAME_MAX + 1];
	struct progress pr = { 0 };
	int r;

	if ((r = lab_getopt(argc, argv, "down",
			    "usage: hv down [-f FILE | --lab NAME] [--delete] [--timeout S] [--json]\n"
			    "Stop the lab's VMs (asking each guest to power off, a hard stop after --timeout, 60 s)\n"
			    "and take its networks off the host; --delete removes the lab's VMs, disks and networks:\n"
			    "what carries the lab's label, nothing else.",
			    &a)) != 0)
		return r < 0 ? 0 : r;
	if ((r = lab_name_of(&a, name, sizeof(name))) < 0)
		return cli_fail_code("down", r);
	_cleanup_json_ struct json_object *o = json_object_new_object();
	pr.json = a.json;
	pr.done = json_object_new_array();
	json_object_object_add(o, "lab", json_object_new_string(name));
	json_object_object_add(o, "done", pr.done);
	r = lab_down(name, a.del, a.timeout, progress_done, &pr);
	if (!a.json && r >= 0 && !json_object_array_length(pr.done))
		printf("nothing to do\n");
	json_object_object_add(o, "error", r < 0 ? json_object_new_string(err_msg_for(r)) : NULL);
	if (a.json)
		json_print(o);
	return r < 0 ? cli_fail_code("down", r) : 0;
}

static struct json_object *vm_status_json(const struct lab_vm_state *v, char *ips, size_t n)
{
	struct json_object *o = json_object_new_object(), *arr = json_object_new_array();
	size_t len = 0;

	ips[0] = '\0';
	for (unsigned i = 0; i < v->def.nnics; i++) {
		char ip[32] = "";
		const struct nic *nic = &v->def.nics[i];
		if (nic->ip)
			ip4_format(nic->ip, ip, sizeof(ip));
		struct json_object *e = json_object_new_object();
		json_object_object_add(e, "mode", json_object_new_string(nic_mode_name(nic->mode)));
		json_object_object_add(e, "network", nic->target[0] ? json_object_new_string(nic->target) : NULL);
		json_object_object_add(e, "ip", ip[0] ? json_object_new_string(ip) : NULL);
		json_object_array_add(arr, e);
		if (ip[0] && len < n)
			len += (size_t)snprintf(ips + len, n - len, "%s%s", len ? "," : "", ip);
	}
	json_object_object_add(o, "name", json_object_new_string(v->name));
	json_object_object_add(o, "state", json_object_new_string(v->state));
	json_object_object_add(o, "cpus", json_object_new_int((int)v->def.cpus));
	json_object_object_add(o, "memory", json_object_new_int64((int64_t)v->def.memory_mib));
	json_object_object_add(o, "nics", arr);
	return o;
}

static void status_print(const char *name, const struct lab_state *s, bool json)
{
	_cleanup_json_ struct json_object *o = json_object_new_object();
	struct json_object *vms = json_object_new_array(), *nets = json_object_new_array();
	char ips[256], mem[32], sub[32];

	if (!json)
		printf("%-8s %-24s %-8s %4s %8s %s\n", "KIND", "NAME", "STATE", "CPUS", "MEMORY", "ADDRESSES");
	for (unsigned i = 0; i < s->nnets; i++) {
		const struct netdef *d = &s->nets[i].def;
		struct json_object *e = json_object_new_object();
		ip4_format(d->subnet, sub, sizeof(sub));
		json_object_object_add(e, "name", json_object_new_string(d->name));
		json_object_object_add(e, "mode", json_object_new_string(net_mode_name(d->mode)));
		json_object_object_add(e, "state", json_object_new_string(s->nets[i].up ? "up" : "down"));
		json_object_object_add(e, "subnet", json_object_new_string(sub));
		json_object_object_add(e, "prefix", json_object_new_int(d->prefix));
		json_object_array_add(nets, e);
		if (!json)
			printf("%-8s %-24s %-8s %4s %8s %s/%d (%s)\n", "network", d->name,
			       s->nets[i].up ? "up" : "down", "-", "-", sub, d->prefix, net_mode_name(d->mode));
	}
	for (unsigned i = 0; i < s->nvms; i++) {
		json_object_array_add(vms, vm_status_json(&s->vms[i], ips, sizeof(ips)));
		size_format(s->vms[i].def.memory_mib * SIZE_MIB, mem, sizeof(mem));
		if (!json)
			printf("%-8s %-24s %-8s %4u %8s %s\n", "vm", s->vms[i].name, s->vms[i].state,
			       s->vms[i].def.cpus, mem, ips[0] ? ips : "-");
	}
	json_object_object_add(o, "lab", json_object_new_string(name));
	json_object_object_add(o, "networks", nets);
	json_object_object_add(o, "vms", vms);
	if (json)
		json_print(o);
}

int cmd_status(int argc, char **argv)
{
	struct lab_args a;
	char name[LAB_NAME_MAX + 1];
	struct lab_state *s;
	int r;

	if ((r = lab_getopt(argc, argv, "status",
			    "usage: hv status [-f FILE | --lab NAME] [--json]\n"
			    "The lab's networks and VMs (what carries its label) with their state and addresses.",
			    &a)) != 0)
		return r < 0 ? 0 : r;
	if ((r = lab_name_of(&a, name, sizeof(name))) < 0)
		return cli_fail_code("status", r);
	if (!(s = calloc(1, sizeof(*s))))
		return cli_fail_code("status", -ENOMEM);
	if ((r = lab_state(name, s)) < 0) {
		free(s);
		return cli_fail_code("status", r);
	}
	status_print(name, s, a.json);
	lab_state_free(s);
	free(s);
	return 0;
}
