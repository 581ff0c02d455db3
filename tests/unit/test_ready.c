/* SPDX-License-Identifier: MIT */
/* manager/ready: boot phases from console output, fed in odd chunks. */
#include "manager/ready.h"
#include "t.h"

/* Feed text in chunks of k bytes; return the final phase. */
static enum ready_phase feed(struct ready_scan *s, const char *text, size_t k)
{
	size_t n = strlen(text);

	for (size_t i = 0; i < n; i += k)
		ready_scan_feed(s, text + i, i + k <= n ? k : n - i);
	return s->phase;
}

int main(void)
{
	static const char boot[] =
	    "SeaBIOS (version 1.16.2-debian-1.16.2-1)\r\n"
	    "Booting from Hard Disk...\r\n"
	    "\x1b[2J\x1b[1;1HBooting `Debian GNU/Linux'\r\n"
	    "[    0.000000] Linux version 6.1.0-28-cloud-amd64 (debian-kernel@lists.debian.org)\r\n"
	    "[    2.101234] Run /init as init process\r\n"
	    "[    5.000000] systemd[1]: Detected virtualization qemu.\r\n"
	    "[\x1b[0;32m  OK  \x1b[0m] Reached target \x1b[0;1;39mLocal File Systems\x1b[0m.\r\n"
	    "[   12.000000] cloud-init[301]: Cloud-init v. 22.4.2 running 'init-local' at Mon, 30 Nov 2026\r\n"
	    "[   30.000000] cloud-init[512]: Cloud-init v. 22.4.2 running 'modules:final' at Mon\r\n"
	    "[   31.000000] cloud-init[512]: Cloud-init v. 22.4.2 finished at Mon, 30 Nov 2026 15:00:00 +0000. "
	    "Datasource DataSourceNoCloud [seed=/dev/sr1][dsmode=net].  Up 31.02 seconds\r\n";
	struct ready_scan s;
	enum ready_phase seen[16];
	size_t nseen;

	for (size_t k = 1; k <= 64; k *= 4) {
		ready_scan_init(&s);
		CHECK(feed(&s, boot, k) == PHASE_CLOUD_INIT_DONE, "chunk %zu: reaches cloud-init-done, got %s", k,
		      ready_phase_name(s.phase));
	}
	/* phases move forward in order */
	ready_scan_init(&s);
	nseen = 0;
	for (const char *p = boot; *p; p++)
		if (ready_scan_feed(&s, p, 1) && nseen < 16)
			seen[nseen++] = s.phase;
	CHECK(nseen == 4 && seen[0] == PHASE_KERNEL && seen[1] == PHASE_USERSPACE && seen[2] == PHASE_CLOUD_INIT &&
		  seen[3] == PHASE_CLOUD_INIT_DONE,
	      "kernel, userspace, cloud-init, done (%zu changes)", nseen);

	ready_scan_init(&s);
	CHECK(feed(&s,
		   "SeaBIOS (version 1.16)\r\nBooting from Hard Disk...\r\nBoot failed: not a bootable disk\r\n\r\n"
		   "No bootable device.\r\n",
		   7) == PHASE_FAILED &&
		  strstr(s.failure, "nothing to boot"),
	      "SeaBIOS without a bootable disk: %s", s.failure);
	ready_scan_init(&s);
	CHECK(feed(&s, "\x1b[0mPress ESC in 1 seconds to skip startup.nsh or any other key to continue.", 5) ==
		  PHASE_FAILED,
	      "OVMF's shell: %s", s.failure);
	ready_scan_init(&s);
	CHECK(feed(&s, "UEFI Interactive Shell v2.2\r\nShell> ", 3) == PHASE_FAILED, "a Shell prompt without newline");
	ready_scan_init(&s);
	CHECK(feed(&s,
		   "Linux version 6.1\nGave up waiting for root file system device.\nALERT!  UUID=x does not "
		   "exist.  Dropping to a shell!\n",
		   9) == PHASE_FAILED &&
		  strstr(s.failure, "root file system"),
	      "initramfs: %s", s.failure);
	/* a failure is final; hostile input cannot move past it or overflow */
	ready_scan_feed(&s, "Cloud-init v. 1 finished at x\n", 30);
	CHECK(s.phase == PHASE_FAILED, "failed stays failed");
	ready_scan_init(&s);
	char big[5000];
	memset(big, 'A', sizeof(big));
	memcpy(big + 4000, "Linux version 6", 15);
	ready_scan_feed(&s, big, sizeof(big));
	ready_scan_feed(&s, "\n", 1);
	CHECK(s.bytes == sizeof(big) + 1, "bytes counted");
	ready_scan_feed(&s, "\0\0\0Linux version 1\n", 19);
	CHECK(s.phase == PHASE_KERNEL, "NULs do not hide a marker: %s", ready_phase_name(s.phase));
	ready_scan_init(&s);
	CHECK(feed(&s, "[    2.09] hv-init: web is up; the ACPI power button (hv stop) powers it off\r\n", 4) ==
		  PHASE_READY,
	      "hv's own init up is ready: %s", ready_phase_name(s.phase));
	ready_scan_init(&s);
	CHECK(feed(&s, "hv-init: loading modules\n", 4) == PHASE_FIRMWARE, "other hv-init lines are not");
	T_DONE();
}
