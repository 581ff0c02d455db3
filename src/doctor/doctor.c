/* SPDX-License-Identifier: MIT */
/* hv doctor's checks: hardware virtualization and KVM, the accelerator hv
 * picks, QEMU, firmware, the network tools, cgroups, free space and the
 * container engines that may drive hv-runc. */
#include "doctor/doctor.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include <linux/magic.h>

#include "guest/boot.h"
#include "image/tool.h"
#include "manager/osboot.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/home.h"
#include "util/proc.h"

#define HV_CACHE_DIR "/var/cache/hv"

const char *doctor_level_name(enum doctor_level l)
{
	static const char *const names[] = { "ok", "info", "warn", "fatal" };
	return names[l];
}

__attribute__((format(printf, 4, 5))) static struct doctor_check *add(struct doctor_report *r, const char *name,
								      enum doctor_level level, const char *fmt, ...)
{
	struct doctor_check *c = &r->checks[r->n < DOCTOR_MAX_CHECKS - 1 ? r->n++ : r->n];
	va_list ap;

	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->level = level;
	va_start(ap, fmt);
	vsnprintf(c->value, sizeof(c->value), fmt, ap);
	va_end(ap);
	if (level == DOCTOR_FATAL)
		r->can_run_vms = false;
	return c;
}

static void fix(struct doctor_check *c, const char *text)
{
	snprintf(c->fix, sizeof(c->fix), "%s", text);
}

static bool exists(const char *path)
{
	return access(path, F_OK) == 0;
}

/* The first line of a small file, "" when unreadable. */
static void read_line(const char *path, char *buf, size_t n)
{
	_cleanup_free_ char *s = NULL;

	buf[0] = 0;
	if (fs_read_all(AT_FDCWD, path, 4096, &s, NULL) < 0)
		return;
	s[strcspn(s, "\n")] = 0;
	snprintf(buf, n, "%s", s);
}

static void check_virt(struct doctor_report *r)
{
	const char *mod = exists("/sys/module/kvm_intel") ? "kvm_intel"
			  : exists("/sys/module/kvm_amd") ? "kvm_amd"
							  : NULL;
	bool pvm = exists("/sys/module/kvm_pvm");
	char nested[16] = "";
	struct doctor_check *c;

	if (accel_cpu_has_hw_virt())
		add(r, "cpu", DOCTOR_OK, "the CPU has hardware virtualization (vmx or svm flag)");
	else
		fix(add(r, "cpu", DOCTOR_WARN, "no vmx or svm flag in /proc/cpuinfo: no hardware virtualization"),
		    "enable VT-x/AMD-V in the firmware, or nested virtualization on the hypervisor this host runs on");
	if (mod) {
		char p[64];
		snprintf(p, sizeof(p), "/sys/module/%s/parameters/nested", mod);
		read_line(p, nested, sizeof(nested));
	}
	if (pvm)
		c = add(r, "kvm", DOCTOR_WARN,
			"the kvm_pvm module is loaded (paravirtual KVM: runs only PVM guest kernels)%s",
			exists("/dev/kvm") ? "" : "; no /dev/kvm");
	else if (!exists("/dev/kvm"))
		c = add(r, "kvm", DOCTOR_WARN, "/dev/kvm does not exist");
	else if (mod)
		c = add(r, "kvm", DOCTOR_OK, "/dev/kvm from %s%s%s", mod, nested[0] ? ", nested=" : "", nested);
	else
		c = add(r, "kvm", DOCTOR_INFO, "/dev/kvm exists, from no known module (kvm_intel, kvm_amd)");
	if (c->level == DOCTOR_WARN)
		fix(c, pvm ? "hv uses TCG here; for KVM run on a host with VMX/SVM (or nested virtualization enabled)"
			   : "modprobe kvm_intel (or kvm_amd) once the CPU offers VMX/SVM");
}

static void check_accel(struct doctor_report *r)
{
	const char *why = accel_kvm_unusable_reason();
	struct doctor_check *c;

	r->accel = why ? ACCEL_TCG : ACCEL_KVM;
	snprintf(r->accel_why, sizeof(r->accel_why), "%s", why ? why : "");
	if (!why) {
		add(r, "accel", DOCTOR_OK, "hv uses KVM (near native speed)");
		return;
	}
	c = add(r, "accel", DOCTOR_WARN,
		"hv uses TCG (emulation; CPU-bound work is ~10-50x slower than KVM) because %s", why);
	fix(c, "nothing to do to run VMs; for speed use a host with VMX/SVM and kvm_intel/kvm_amd");
}

struct lines {
	char first[128];
	bool microvm, q35;
};

static void on_line(void *ctx, const char *line)
{
	struct lines *l = ctx;

	if (!l->first[0])
		snprintf(l->first, sizeof(l->first), "%s", line);
	if (!strncmp(line, "microvm ", 8))
		l->microvm = true;
	if (!strncmp(line, "q35 ", 4) || strstr(line, "(alias of pc-q35"))
		l->q35 = true;
}

static void check_qemu(struct doctor_report *r)
{
	_cleanup_free_ char *qemu = NULL;
	struct image_progress p = { .line = on_line };
	struct lines version = { 0 }, machines = { 0 };
	_cleanup_free_ struct tool_output *out = calloc(1, sizeof(*out));
	struct doctor_check *c;

	if (qemu_find_binary(&qemu) < 0) {
		fix(add(r, "qemu", DOCTOR_FATAL, "%s", err_msg()), "apt-get install qemu-system-x86");
		return;
	}
	if (!out)
		return;
	p.ctx = &version;
	const char *v[] = { qemu, "-version", NULL };
	const char *m[] = { qemu, "-machine", "help", NULL };
	if (tool_run(v, &p, out) < 0) {
		fix(add(r, "qemu", DOCTOR_FATAL, "%s -version failed: %s", qemu, err_msg()),
		    "reinstall it: apt-get install --reinstall qemu-system-x86");
		return;
	}
	add(r, "qemu", DOCTOR_OK, "%s: %s", qemu, version.first);
	p.ctx = &machines;
	if (tool_run(m, &p, out) < 0 || !machines.microvm || !machines.q35) {
		c = add(r, "machines", DOCTOR_WARN, "QEMU lacks %s%s", machines.microvm ? "" : "microvm ",
			machines.q35 ? "" : "q35");
		fix(c, "install Debian's qemu-system-x86 (hv uses microvm and q35)");
	} else {
		add(r, "machines", DOCTOR_OK, "microvm and q35");
	}
}

static void check_firmware(struct doctor_report *r)
{
	static const char *const seabios[] = { "/usr/share/seabios/bios-256k.bin", "/usr/share/qemu/bios-256k.bin" };
	const char *found = NULL;

	for (size_t i = 0; i < 2 && !found; i++)
		if (exists(seabios[i]))
			found = seabios[i];
	if (found)
		add(r, "seabios", DOCTOR_OK, "%s", found);
	else
		fix(add(r, "seabios", DOCTOR_WARN,
			"no SeaBIOS (bios-256k.bin): q35 VMs with --firmware bios cannot boot"),
		    "apt-get install seabios");
	if (exists(osboot_uefi_code()) && exists(osboot_uefi_vars_template()))
		add(r, "ovmf", DOCTOR_OK, "%s", osboot_uefi_code());
	else
		fix(add(r, "ovmf", DOCTOR_WARN, "no OVMF (%s): --firmware uefi does not work", osboot_uefi_code()),
		    "apt-get install ovmf");
	_cleanup_free_ char *dir = NULL, *kernel = NULL;
	if (guest_default_dir(&dir) == 0 && asprintf(&kernel, "%s/vmlinux", dir) > 0 && exists(kernel))
		add(r, "guest", DOCTOR_OK, "the default guest in %s", dir);
	else
		fix(add(r, "guest", DOCTOR_FATAL, "no default guest kernel in %s", dir ? dir : "?"),
		    "run make (it builds build/guest), or make install");
}

static void check_tool(struct doctor_report *r, const char *name, const char *path, const char *what,
		       const char *package)
{
	_cleanup_free_ char *exe = NULL;
	char line[200];

	if (proc_find_exe(path, &exe) == 0) {
		add(r, name, DOCTOR_OK, "%s", exe);
		return;
	}
	snprintf(line, sizeof(line), "apt-get install %s", package);
	fix(add(r, name, DOCTOR_WARN, "%s not found: %s", path, what), line);
}

static void check_cgroups(struct doctor_report *r)
{
	struct statfs fs;
	char controllers[256] = "", self[256] = "";
	struct doctor_check *c;

	if (statfs("/sys/fs/cgroup", &fs) < 0) {
		fix(add(r, "cgroup", DOCTOR_WARN, "/sys/fs/cgroup is not mounted"),
		    "mount -t cgroup2 none /sys/fs/cgroup");
		return;
	}
	if (fs.f_type == CGROUP2_SUPER_MAGIC) {
		read_line("/sys/fs/cgroup/cgroup.subtree_control", controllers, sizeof(controllers));
		read_line("/proc/self/cgroup", self, sizeof(self));
		c = add(r, "cgroup", DOCTOR_OK, "v2 (unified); delegated controllers at the root: %s; hv runs in %s",
			controllers[0] ? controllers : "none", self);
		if (!strstr(controllers, "memory") || !strstr(controllers, "cpu") || !strstr(controllers, "pids")) {
			c->level = DOCTOR_WARN;
			fix(c, "echo '+cpu +memory +pids +io' > /sys/fs/cgroup/cgroup.subtree_control");
		}
	} else if (exists("/sys/fs/cgroup/unified/cgroup.controllers")) {
		read_line("/sys/fs/cgroup/unified/cgroup.controllers", controllers, sizeof(controllers));
		c = add(r, "cgroup", DOCTOR_INFO,
			"hybrid: v1 controllers, v2 mounted at /sys/fs/cgroup/unified (controllers there: %s)",
			controllers[0] ? controllers : "none");
		fix(c, "containers use the v1 controllers; for v2 boot with systemd.unified_cgroup_hierarchy=1");
	} else {
		c = add(r, "cgroup", DOCTOR_INFO, "v1 (legacy hierarchy)");
		fix(c, "for cgroup v2 boot with systemd.unified_cgroup_hierarchy=1");
	}
}

static void check_space(struct doctor_report *r, const char *name, const char *path, const char *what)
{
	struct statvfs vfs;
	struct doctor_check *c;
	double gib;

	_cleanup_free_ char *at = path ? strdup(path) : NULL;
	char *slash;

	/* a store or cache not made yet: the space where it will be */
	while (at && statvfs(at, &vfs) < 0 && (slash = strrchr(at, '/'))) {
		if (slash == at)
			at[1] = '\0'; /* "/" */
		else
			*slash = '\0';
	}
	if (!at || statvfs(at, &vfs) < 0) {
		add(r, name, DOCTOR_INFO, "%s %s: free space unknown", what, path ? path : "?");
		return;
	}
	gib = (double)vfs.f_bavail * (double)vfs.f_frsize / (1024.0 * 1024 * 1024);
	c = add(r, name, gib < 2 ? DOCTOR_WARN : DOCTOR_OK, "%s %s: %.1f GiB free%s", what, path, gib,
		strcmp(at, path) ? " (not made yet)" : "");
	if (gib < 2)
		fix(c, "free some space: an image build needs ~2 GiB, each VM its disk's growth");
}

static void check_engines(struct doctor_report *r)
{
	_cleanup_free_ char *podman = NULL, *containerd = NULL;
	bool p = proc_find_exe("podman", &podman) == 0, c = proc_find_exe("containerd", &containerd) == 0;

	if (p || c)
		add(r, "engines", DOCTOR_INFO, "%s%s%s: can drive hv-runc as their OCI runtime", p ? "podman" : "",
		    p && c ? " and " : "", c ? "containerd" : "");
	else
		add(r, "engines", DOCTOR_INFO, "no podman or containerd (hv ctr / hv-runc work on their own)");
}

void doctor_run(struct doctor_report *r)
{
	char home[4096];

	memset(r, 0, sizeof(*r));
	r->can_run_vms = true;
	check_virt(r);
	check_accel(r);
	check_qemu(r);
	check_firmware(r);
	check_tool(r, "dnsmasq", "/usr/sbin/dnsmasq", "natnet and host-only networks get no DHCP", "dnsmasq-base");
	check_tool(r, "nft", "nft", "only needed to inspect hv's tables (hv uses libnftables)", "nftables");
	check_tool(r, "virtiofsd",
		   getenv("HV_VIRTIOFSD") && *getenv("HV_VIRTIOFSD") ? getenv("HV_VIRTIOFSD")
								     : "/usr/lib/qemu/virtiofsd",
		   "--share does not work", "qemu-system-common");
	check_cgroups(r);
	check_space(r, "store", hv_home(home, sizeof(home)) == 0 ? home : NULL, "the store");
	check_space(r, "cache", HV_CACHE_DIR, "the download cache");
	check_engines(r);
}
