/* SPDX-License-Identifier: MIT */
/* Fuzz target: an OCI linux.seccomp object (oci/seccomp.c) turned into a
 * libseccomp filter, built and never loaded. */
#include "oci/seccomp.h"
#include "util/err.h"
#include "util/json.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object *o = NULL;
	struct oci_seccomp *sc = NULL;

	if (json_parse((const char *)data, size, "seccomp", &o) == 0) {
		if (oci_seccomp_build(o, &sc) == 0)
			oci_seccomp_free(sc);
		json_object_put(o);
	}
	err_clear();
	return 0;
}
