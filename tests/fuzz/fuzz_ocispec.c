/* SPDX-License-Identifier: MIT */
/* Fuzz target: an OCI bundle's config.json as hv-runc reads it
 * (oci/spec.c), then what hv-runc derives from it without touching the
 * host: the cgroup writes of linux.resources for v1 and v2
 * (cgroups-resources.c), the v2 device program (cgroups-bpf.c) and the
 * seccomp filter (seccomp.c, built, never loaded).  The input is the file;
 * the bundle (with an empty rootfs) is made once. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include "oci/cgroups-internal.h"
#include "oci/seccomp.h"
#include "oci/spec.h"
#include "util/err.h"
#include "fuzz.h"

static char bundle[64];

static void cleanup(void)
{
	char path[96];

	snprintf(path, sizeof(path), "%s/config.json", bundle);
	unlink(path);
	snprintf(path, sizeof(path), "%s/rootfs", bundle);
	rmdir(path);
	rmdir(bundle);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char rootfs[80];

	(void)argc;
	(void)argv;
	snprintf(bundle, sizeof(bundle), "/tmp/fuzz_ocispec.XXXXXX");
	if (!mkdtemp(bundle))
		abort();
	snprintf(rootfs, sizeof(rootfs), "%s/rootfs", bundle);
	if (mkdir(rootfs, 0755) < 0)
		abort();
	atexit(cleanup);
	return 0;
}

static void derive(const struct oci_spec *s)
{
	for (enum cg_version v = CG_V1; v <= CG_V2; v++) {
		struct cg_plan plan = { 0 };
		if (cg_plan_resources(v, s->resources, &plan) == 0 && plan.n_dev) {
			struct bpf_insn *insns = NULL;
			size_t n = 0;
			bool all;
			if (cg_bpf_devices_build(plan.dev, plan.n_dev, &insns, &n, &all) == 0)
				free(insns);
		}
		cg_plan_free(&plan);
	}
	if (s->seccomp) {
		struct oci_seccomp *sc = NULL;
		if (oci_seccomp_build(s->seccomp, &sc) == 0)
			oci_seccomp_free(sc);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct oci_spec *s = NULL;
	int dfd = open(bundle, O_RDONLY | O_DIRECTORY | O_CLOEXEC), fd;

	if (dfd < 0 || (fd = openat(dfd, "config.json", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0 ||
	    write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	close(dfd);
	if (oci_spec_load(bundle, &s) == 0) {
		derive(s);
		oci_spec_free(s);
	}
	err_clear();
	return 0;
}
