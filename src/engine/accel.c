/* SPDX-License-Identifier: MIT */
/*
 * Choosing the accelerator.  /dev/kvm is not proof of hardware
 * virtualization: nested hosts may offer a paravirtual KVM (kvm_pvm) that
 * runs only PVM-enabled guest kernels, and a stock kernel there crawls
 * through instruction emulation and dies on INT3.  KVM is used only when
 * the CPU advertises VMX or SVM, /dev/kvm opens, and kvm_pvm is absent.
 */
#include "engine/engine.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"

const char *accel_name(enum accel a)
{
	return a == ACCEL_KVM ? "kvm" : a == ACCEL_TCG ? "tcg" : "auto";
}

int accel_parse(const char *s, enum accel *a)
{
	if (!strcmp(s, "auto"))
		*a = ACCEL_AUTO;
	else if (!strcmp(s, "kvm"))
		*a = ACCEL_KVM;
	else if (!strcmp(s, "tcg"))
		*a = ACCEL_TCG;
	else
		return err_set(-EINVAL, "unknown accelerator '%s' (use auto, kvm or tcg)", s);
	return 0;
}

/* Does the "flags" line of /proc/cpuinfo contain vmx or svm? */
bool accel_cpu_has_hw_virt(void)
{
	_cleanup_free_ char *info = NULL;

	if (fs_read_all(AT_FDCWD, "/proc/cpuinfo", 16 << 20, &info, NULL) < 0)
		return false;
	for (char *line = strtok(info, "\n"); line; line = strtok(NULL, "\n")) {
		if (strncmp(line, "flags", 5))
			continue;
		for (char *w = strtok(strchr(line, ':') ? strchr(line, ':') + 1 : line, " "); w; w = strtok(NULL, " "))
			if (!strcmp(w, "vmx") || !strcmp(w, "svm"))
				return true;
		return false;
	}
	return false;
}

const char *accel_kvm_unusable_reason(void)
{
	int fd;

	if (access("/sys/module/kvm_pvm", F_OK) == 0)
		return "/dev/kvm is the paravirtual kvm_pvm module, which runs only PVM guest kernels";
	if (!accel_cpu_has_hw_virt())
		return "the CPU has no vmx or svm flag (no hardware virtualization)";
	fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? "/dev/kvm does not exist (is the kvm_intel or kvm_amd module loaded?)"
				       : "/dev/kvm cannot be opened (permission denied?)";
	close(fd);
	return NULL;
}

int accel_resolve(enum accel requested, enum accel *out, const char **why)
{
	const char *reason;

	*why = NULL;
	if (getenv("HV_ACCEL") && requested == ACCEL_AUTO) {
		int r = accel_parse(getenv("HV_ACCEL"), &requested);
		if (r < 0)
			return err_prefix(r, "HV_ACCEL");
	}
	if (requested == ACCEL_TCG) {
		*out = ACCEL_TCG;
		return 0;
	}
	reason = accel_kvm_unusable_reason();
	if (!reason) {
		*out = ACCEL_KVM;
		return 0;
	}
	if (requested == ACCEL_KVM)
		return err_set(-ENODEV, "KVM is not usable here: %s; use --accel tcg", reason);
	*out = ACCEL_TCG;
	*why = reason;
	return 0;
}

unsigned long host_tsc_khz(void)
{
	_cleanup_free_ char *info = NULL;
	char *p;

	if (fs_read_all(AT_FDCWD, "/proc/cpuinfo", 16 << 20, &info, NULL) < 0)
		return 0;
	p = strstr(info, "cpu MHz");
	if (!p || !(p = strchr(p, ':')))
		return 0;
	return (unsigned long)(strtod(p + 1, NULL) * 1000.0 + 0.5);
}
