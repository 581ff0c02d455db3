/* SPDX-License-Identifier: MIT */
#pragma once
/* hv's init for the default guest: PID 1 of a busybox initramfs. */
#include <stdbool.h>
#include <stddef.h>

struct init_opts {
	const char *mode; /* "run": one command over the channel; "service": shell + power button */
	const char *name; /* hostname */
};

/* Load the modules that the present devices need (a small modprobe driven
 * by modules.alias and modules.dep); skip names in the NULL-terminated list. */
void modules_load_for_devices(const char *const *skip);

/* Loopback up and DHCP (busybox udhcpc) on every ethN.  once: udhcpc
 * quits with its lease (hv run; net_wait() waits for them), else it stays
 * to renew.  Returns the number of NICs. */
int net_start(bool once);
void net_wait(void);
/* "IFACE MAC ADDR/PREFIX" lines (ADDR "-" without a lease) into buf. */
size_t net_report(char *buf, size_t n);
/* An inotify fd that becomes readable when a lease changes, or -1. */
int net_watch_fd(void);

/* The guest channel on ttyS1 (framing in src/guest/proto.h). */
int gchan_open(void); /* -1 when the VM has no channel */
int gchan_fd(void);
void gchan_send(int type, const void *data, size_t len);

int run_main(void);			     /* never returns */
int service_main(const struct init_opts *o); /* never returns */

/* Stop everything and power the machine off (reboot=true: restart). */
void init_shutdown(const char *why, bool reboot) __attribute__((noreturn));
/* Power off at once (the one-shot path, nothing to stop). */
void init_poweroff_now(void) __attribute__((noreturn));

void init_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int init_write_all(int fd, const void *buf, size_t n);
/* Make fd the controlling terminal and stdio of the calling (new-session) process. */
int init_take_tty(const char *path, int rows, int cols);
extern char *const *init_environ;
