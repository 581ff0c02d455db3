/* SPDX-License-Identifier: MIT */
/*
 * PID 1 of hv's default guest.  It mounts the pseudo filesystems, loads
 * the drivers the VM's devices need, then either runs one command sent by
 * hv over the guest channel ("run" mode, hv run) or keeps a shell on the
 * console and powers off cleanly on the ACPI power button ("service" mode,
 * persistent VMs).  Options come from the kernel command line: hv.mode=
 * (run, service, or poweroff: boot and power off, for plain QEMU command
 * lines), hv.name= (the hostname), hv.share= (shared folders to mount),
 * hv.cgroup=2 (mount the unified cgroup hierarchy at /sys/fs/cgroup; with
 * cgroup_no_v1=all on the command line that is the only one: a pure
 * cgroup v2 guest for hv-runc's tests).
 */
#include "modules.h"
#include "net.h"
#include "run.h"
#include "service.h"
#include "shares.h"
#include "sys.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static void mount_one(const char *src, const char *dst, const char *type, unsigned long flags, const char *data)
{
	mkdir(dst, 0755);
	if (mount(src, dst, type, flags, data) < 0 && errno != EBUSY)
		init_log("cannot mount %s on %s: %s", type, dst, strerror(errno));
}

static void mount_basics(void)
{
	mount_one("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755");
	mount_one("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	mount_one("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	mount_one("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "gid=5,mode=620,ptmxmode=666");
	mount_one("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
	mount_one("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755");
	mount_one("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
}

/* The kernel gives init a console only if /dev/console existed in the
 * initramfs; ours is created by devtmpfs, so open it now. */
static void setup_stdio(void)
{
	if (fcntl(0, F_GETFD) >= 0 && fcntl(1, F_GETFD) >= 0)
		return;
	int fd = open("/dev/console", O_RDWR | O_NOCTTY);
	if (fd < 0)
		return;
	for (int i = 0; i < 3; i++)
		if (fd != i)
			dup2(fd, i);
	if (fd > 2)
		close(fd);
}

/* Read hv.* options from /proc/cmdline (the kernel does not pass dotted
 * parameters to init). */
struct init_opts {
	const char *mode; /* "run": one command over the channel; "service": shell + power button */
	const char *name; /* hostname */
	bool cgroup2;	  /* hv.cgroup=2: cgroup2 at /sys/fs/cgroup */
};

static void parse_cmdline(struct init_opts *o)
{
	static char buf[4096];
	int fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

	if (fd >= 0)
		close(fd);
	o->mode = "service";
	o->name = "hv";
	o->cgroup2 = false;
	if (n <= 0)
		return;
	buf[n] = '\0';
	for (char *tok = strtok(buf, " \n"); tok; tok = strtok(NULL, " \n")) {
		if (!strncmp(tok, "hv.mode=", 8))
			o->mode = tok + 8;
		else if (!strncmp(tok, "hv.name=", 8))
			o->name = tok + 8;
		else if (!strcmp(tok, "hv.cgroup=2"))
			o->cgroup2 = true;
	}
}

int main(void)
{
	struct init_opts o;

	if (getpid() != 1) {
		fprintf(stderr, "hv-init: must run as PID 1 (the default guest's init)\n");
		return 1;
	}
	mount_basics();
	setup_stdio();
	parse_cmdline(&o);
	/* nsdelegate: a cgroup namespace's root is a delegation boundary, as
	 * systemd mounts it on unified hosts */
	if (o.cgroup2)
		mount_one("cgroup2", "/sys/fs/cgroup", "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, "nsdelegate");
	sethostname(o.name, strlen(o.name));
	setenv("PATH", init_environ[0] + 5, 1);
	if (!strcmp(o.mode, "poweroff")) {
		/* boot, report, power off: for plain QEMU command lines (benchmarks) */
		modules_load_for_devices(NULL);
		init_log("booted; powering off (hv.mode=poweroff)");
		init_poweroff_now();
	}
	if (!strcmp(o.mode, "run")) {
		/* a one-shot VM never sees the power button: skip its drivers */
		static const char *const skip[] = { "button", "evdev", NULL };
		modules_load_for_devices(skip);
		shares_mount();
		net_start(true); /* run_main waits for the leases before the command starts */
		return run_main();
	}
	modules_load_for_devices(NULL);
	shares_mount();
	net_start(false);
	return service_main(o.name);
}
