/* SPDX-License-Identifier: MIT */
#include "oci/devices.h"

#include <errno.h>
#include <json-c/json.h>

#include "util/err.h"
#include "util/json.h"

const struct oci_std_device oci_std_devices[] = { { "/dev/null", 1, 3 },    { "/dev/zero", 1, 5 },
						  { "/dev/full", 1, 7 },    { "/dev/random", 1, 8 },
						  { "/dev/urandom", 1, 9 }, { "/dev/tty", 5, 0 } };
const size_t oci_n_std_devices = sizeof(oci_std_devices) / sizeof(oci_std_devices[0]);

static int add_rule(struct json_object *arr, char type, long maj, long min, const char *access)
{
	struct json_object *o = json_object_new_object();
	char t[2] = { type, 0 };

	if (!o)
		return err_set(-ENOMEM, "out of memory");
	json_object_object_add(o, "allow", json_object_new_boolean(1));
	json_object_object_add(o, "type", json_object_new_string(t));
	if (maj >= 0)
		json_object_object_add(o, "major", json_object_new_int64(maj));
	if (min >= 0)
		json_object_object_add(o, "minor", json_object_new_int64(min));
	json_object_object_add(o, "access", json_object_new_string(access));
	json_object_array_add(arr, o);
	return 0;
}

int oci_cgroup_resources(const struct oci_spec *s, struct json_object **out)
{
	struct json_object *res = NULL, *devs;
	int r = 0;

	*out = NULL;
	if (!s->resources)
		return 0;
	if (json_object_deep_copy(s->resources, &res, NULL) < 0)
		return err_set(-ENOMEM, "out of memory");
	/* no rules: the cgroup keeps its parent's policy (a wrong type is
	 * reported by cg_plan_resources, which reads the same field) */
	if (json_get_array(res, "devices", "linux.resources", &devs) < 0 || json_object_array_length(devs) == 0) {
		err_clear();
		*out = res;
		return 0;
	}
	for (size_t i = 0; i < oci_n_std_devices && r == 0; i++)
		r = add_rule(devs, 'c', oci_std_devices[i].maj, oci_std_devices[i].min, "rwm");
	if (r == 0)
		r = add_rule(devs, 'c', 136, -1, "rwm"); /* /dev/pts/N */
	if (r == 0)
		r = add_rule(devs, 'c', 5, 2, "rwm"); /* /dev/ptmx */
	for (size_t i = 0; i < s->ndevices && r == 0; i++) {
		const struct oci_device *d = &s->devices[i];
		if (d->type != 'p')
			r = add_rule(devs, d->type == 'b' ? 'b' : 'c', d->major, d->minor, "rwm");
	}
	if (r < 0) {
		json_object_put(res);
		return r;
	}
	*out = res;
	return 0;
}
