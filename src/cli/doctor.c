/* SPDX-License-Identifier: MIT */
/* hv doctor [--json]: prints the checks of src/doctor. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "doctor/doctor.h"
#include "util/cleanup.h"
#include "util/jsonfile.h"

static void doctor_print_json(const struct doctor_report *r)
{
	_cleanup_json_ struct json_object *o = json_object_new_object();
	struct json_object *checks = json_object_new_array();

	json_object_object_add(o, "accel", json_object_new_string(accel_name(r->accel)));
	json_object_object_add(o, "accel_reason", r->accel_why[0] ? json_object_new_string(r->accel_why) : NULL);
	json_object_object_add(o, "can_run_vms", json_object_new_boolean(r->can_run_vms));
	for (size_t i = 0; i < r->n; i++) {
		const struct doctor_check *c = &r->checks[i];
		struct json_object *j = json_object_new_object();
		json_object_object_add(j, "name", json_object_new_string(c->name));
		json_object_object_add(j, "level", json_object_new_string(doctor_level_name(c->level)));
		json_object_object_add(j, "value", json_object_new_string(c->value));
		json_object_object_add(j, "fix", c->fix[0] ? json_object_new_string(c->fix) : NULL);
		json_object_array_add(checks, j);
	}
	json_object_object_add(o, "checks", checks);
	json_print(o);
}

int cmd_doctor(int argc, char **argv)
{
	static const struct option opts[] = { { "json", no_argument, NULL, 'j' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	struct doctor_report r;
	bool json = false;
	int c;

	while ((c = cli_getopt(argc, argv, "h", opts, "doctor")) != -1) {
		if (c == 'j') {
			json = true;
		} else if (c == 'h') {
			puts("usage: hv doctor [--json]\nWhat this host can do for hv and what to fix: hardware "
			     "virtualization, KVM or TCG and why,\nQEMU, firmware, dnsmasq, virtiofsd, cgroups, free "
			     "space, container engines.\nExits 1 only when hv cannot run VMs at all.");
			return 0;
		} else {
			return EXIT_USAGE;
		}
	}
	if (optind < argc)
		return cli_usage_error("doctor", "unexpected argument '%s'", argv[optind]);
	doctor_run(&r);
	if (json) {
		doctor_print_json(&r);
	} else {
		for (size_t i = 0; i < r.n; i++) {
			printf("%-5s %-10s %s\n", doctor_level_name(r.checks[i].level), r.checks[i].name,
			       r.checks[i].value);
			if (r.checks[i].fix[0])
				printf("      %-10s fix: %s\n", "", r.checks[i].fix);
		}
		printf("\nhv %s run VMs here, with %s.\n", r.can_run_vms ? "can" : "cannot",
		       r.accel == ACCEL_KVM ? "KVM" : "TCG (emulation)");
	}
	return r.can_run_vms ? EXIT_OK : EXIT_FAIL;
}
