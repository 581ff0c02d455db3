/* SPDX-License-Identifier: MIT */
/* Fuzz target: a lab file's text (lab/parse.c), as hv up reads it.  What
 * parses is a bounded model: every name fits the store's limits and every
 * list its bound; what does not parse leaves one reason and nothing to
 * free. */
#include "lab/lab.h"
#include "util/err.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lab l;

	if (lab_parse((const char *)data, size, "/fuzz/lab/hv-lab.json", &l) == 0) {
		if (l.nvms > LAB_MAX_VMS || l.nnets > LAB_MAX_NETS || lab_name_validate(l.name) < 0)
			abort();
		for (unsigned i = 0; i < l.nvms; i++)
			if (vm_name_validate(l.vms[i].full) < 0 || l.vms[i].nnics > NIC_MAX)
				abort();
		for (unsigned i = 0; i < l.nnets; i++)
			if (net_name_validate(l.nets[i].full) < 0)
				abort();
		lab_free(&l);
	} else if (!err_code())
		abort();
	err_clear();
	return 0;
}
