/* SPDX-License-Identifier: MIT */
/* Boot phases from console output (see ready.h). */
#include "manager/ready.h"

#include <stdio.h>
#include <string.h>

const char *ready_phase_name(enum ready_phase p)
{
	static const char *const names[] = { "firmware",	"kernel", "userspace", "cloud-init",
					     "cloud-init-done", "ready",  "failed" };
	return p <= PHASE_FAILED ? names[p] : "unknown";
}

void ready_scan_init(struct ready_scan *s)
{
	memset(s, 0, sizeof(*s));
	s->phase = PHASE_FIRMWARE;
}

/* Dead ends a guest cannot leave by itself, and how to say them. */
static const struct {
	const char *marker, *why;
} failures[] = {
	{ "No bootable device", "the firmware found nothing to boot (SeaBIOS: No bootable device)" },
	{ "Boot failed: not a bootable disk", "the firmware found nothing to boot (not a bootable disk)" },
	{ "startup.nsh", "the UEFI firmware found nothing to boot and started its shell" },
	{ "Shell> ", "the UEFI firmware found nothing to boot and started its shell" },
	{ "Kernel panic - not syncing", "the guest kernel panicked" },
	{ "Dropping to a shell!", "the initramfs could not find the root file system" },
	{ "You are in emergency mode", "systemd is in emergency mode" },
	{ "Give root password for maintenance", "systemd is in emergency mode" },
};

/* Markers that move the boot forward (any of them reaches the phase). */
static const struct {
	const char *marker;
	enum ready_phase phase;
} steps[] = {
	{ "Linux version ", PHASE_KERNEL },
	{ "Run /sbin/init as init process", PHASE_USERSPACE },
	{ "Run /init as init process", PHASE_USERSPACE },
	{ "systemd[1]: ", PHASE_USERSPACE },
	{ "[  OK  ] ", PHASE_USERSPACE },
	{ "\x1b[0;32m  OK  \x1b[0m] ", PHASE_USERSPACE },
	{ "Cloud-init v. ", PHASE_CLOUD_INIT },
};

static bool scan_line(struct ready_scan *s, const char *l)
{
	enum ready_phase was = s->phase;

	if (s->phase == PHASE_FAILED || s->phase == PHASE_READY)
		return false;
	for (size_t i = 0; i < sizeof(failures) / sizeof(failures[0]); i++)
		if (strstr(l, failures[i].marker)) {
			s->phase = PHASE_FAILED;
			snprintf(s->failure, sizeof(s->failure), "%s", failures[i].why);
			return true;
		}
	/* hv's own init (the default guest, an installer ISO around it) */
	if (strstr(l, "hv-init: ") && strstr(l, " is up")) {
		s->phase = PHASE_READY;
		return true;
	}
	/* cloud-init's last words: "Cloud-init v. 22.4.2 finished at ..." */
	if (strstr(l, "Cloud-init v. ") && strstr(l, " finished at ")) {
		s->phase = PHASE_CLOUD_INIT_DONE;
		return true;
	}
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if (strstr(l, steps[i].marker) && steps[i].phase > s->phase)
			s->phase = steps[i].phase;
	return s->phase != was;
}

bool ready_scan_feed(struct ready_scan *s, const char *data, size_t n)
{
	bool changed = false;

	s->bytes += n;
	for (size_t i = 0; i < n; i++) {
		char c = data[i];
		if (c == '\n' || c == '\r') {
			s->line[s->len] = '\0';
			if (s->len)
				changed |= scan_line(s, s->line);
			s->len = 0;
			continue;
		}
		if (c == '\0')
			c = ' ';
		if (s->len < READY_LINE_MAX - 1) {
			s->line[s->len++] = c;
		} else {
			/* an over-long line: look at what we have, keep the tail */
			s->line[s->len] = '\0';
			changed |= scan_line(s, s->line);
			memmove(s->line, s->line + READY_LINE_MAX / 2, s->len - READY_LINE_MAX / 2);
			s->len -= READY_LINE_MAX / 2;
		}
	}
	/* firmware prompts and countdowns come without a newline */
	if (s->len && s->phase == PHASE_FIRMWARE) {
		s->line[s->len] = '\0';
		if (strstr(s->line, "Shell> ") || strstr(s->line, "startup.nsh"))
			changed |= scan_line(s, s->line);
	}
	return changed;
}
