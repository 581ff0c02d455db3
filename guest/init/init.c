/* SPDX-License-Identifier: MIT */
/*
 * PID 1 of hv's default guest.  It mounts the pseudo filesystems, loads
 * the drivers the VM's devices need, then either runs one command sent by
 * hv over the guest channel ("run" mode, hv run) or keeps a shell on the
 * console and powers off cleanly on the ACPI power button ("service" mode,
 * persistent VMs).  Options come from the kernel command line: hv.mode=
 * (run, service, or poweroff: boot and power off, for plain QEMU command
 * lines), hv.name= (the hostname).
 */
#include "init.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static char *default_env[] = {
	"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
	"HOME=/root",
	"TERM=linux",
	NULL,
};
char *const *init_environ = default_env;

void init_log(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	struct timespec ts;

	/* the same clock as the kernel's message timestamps */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	n = snprintf(buf, sizeof(buf), "[%5ld.%06ld] hv-init: ", (long)ts.tv_sec, ts.tv_nsec / 1000);
	va_start(ap, fmt);
	n += vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 3)
		n = (int)sizeof(buf) - 3;
	buf[n++] = '\r';
	buf[n++] = '\n';
	int fd = open("/dev/console", O_WRONLY | O_NOCTTY | O_CLOEXEC);
	if (fd >= 0) {
		init_write_all(fd, buf, (size_t)n);
		/* out of the tty before going on: a hangup (the console's
		 * shell leaving at shutdown) discards what is still queued */
		tcdrain(fd);
		close(fd);
	}
}

int init_write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n > 0) {
		ssize_t k = write(fd, p, n);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

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
static void parse_cmdline(struct init_opts *o)
{
	static char buf[4096];
	int fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

	if (fd >= 0)
		close(fd);
	o->mode = "service";
	o->name = "hv";
	if (n <= 0)
		return;
	buf[n] = '\0';
	for (char *tok = strtok(buf, " \n"); tok; tok = strtok(NULL, " \n")) {
		if (!strncmp(tok, "hv.mode=", 8))
			o->mode = tok + 8;
		else if (!strncmp(tok, "hv.name=", 8))
			o->name = tok + 8;
	}
}

int init_take_tty(const char *path, int rows, int cols)
{
	int fd = open(path, O_RDWR);
	struct termios t;

	if (fd < 0)
		return -1;
	ioctl(fd, TIOCSCTTY, 1);
	if (tcgetattr(fd, &t) == 0) {
		/* a sane cooked terminal, whatever the previous user left */
		t.c_iflag |= ICRNL | IXON;
		t.c_oflag |= OPOST | ONLCR;
		t.c_lflag |= ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | ISIG | IEXTEN;
		tcsetattr(fd, TCSANOW, &t);
	}
	if (rows > 0 && cols > 0) {
		struct winsize ws = { .ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols };
		ioctl(fd, TIOCSWINSZ, &ws);
	}
	for (int i = 0; i < 3; i++)
		dup2(fd, i);
	if (fd > 2)
		close(fd);
	tcsetpgrp(0, getpgrp());
	return 0;
}

void init_poweroff_now(void)
{
	sync();
	reboot(RB_POWER_OFF);
	/* Only reached when ACPI poweroff is unavailable. */
	reboot(RB_HALT_SYSTEM);
	for (;;)
		pause();
}

void init_shutdown(const char *why, bool restart)
{
	struct timespec ts = { 0, 50 * 1000 * 1000 };

	init_log("%s: stopping all processes", why);
	/* interactive shells ignore SIGTERM but leave on SIGHUP */
	kill(-1, SIGTERM);
	kill(-1, SIGHUP);
	kill(-1, SIGCONT);
	for (int i = 0; i < 60; i++) { /* up to 3 s for a polite exit */
		pid_t w;
		while ((w = waitpid(-1, NULL, WNOHANG)) > 0)
			;
		/* every process ends up a child of init: none left, all gone
		 * (kill(-1, 0) cannot tell, it also counts kernel threads) */
		if (w < 0 && errno == ECHILD)
			break;
		nanosleep(&ts, NULL);
	}
	kill(-1, SIGKILL);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	sync();
	init_log("%s", restart ? "rebooting" : "powering off");
	if (restart)
		reboot(RB_AUTOBOOT);
	init_poweroff_now();
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
	sethostname(o.name, strlen(o.name));
	setenv("PATH", default_env[0] + 5, 1);
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
		net_start(true); /* run_main waits for the leases before the command starts */
		return run_main();
	}
	modules_load_for_devices(NULL);
	net_start(false);
	return service_main(&o);
}
