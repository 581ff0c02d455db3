/* SPDX-License-Identifier: MIT */
/* hv start --wait: follow a booting VM's console through its phases until
 * it is usable (cloud-init done and SSH answering, or hv's init up). */
#include "manager/readywait.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest/hostkeys.h"
#include "manager/osboot.h"
#include "manager/status.h"
#include "manager/store.h"
#include "manager/vmops.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/jsonfile.h"
#include "util/proc.h"

#define POLL_MS 200

int vm_console_mark(const char *name, uint64_t *offset)
{
	struct vm_handle h;
	struct stat st;
	int r;

	*offset = 0;
	if ((r = vm_open(name, &h)) < 0)
		return r;
	if (fstatat(h.dirfd, "console.log", &st, 0) == 0)
		*offset = (uint64_t)st.st_size;
	vm_close(&h);
	return 0;
}

/* Does an SSH server answer at host:port (its banner within 2 s)? */
static bool ssh_answers(const char *host, unsigned port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	_cleanup_close_ int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct pollfd pf;
	char banner[8];

	if (fd < 0 || inet_pton(AF_INET, host, &a.sin_addr) != 1 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		return false;
	pf = (struct pollfd){ fd, POLLIN, 0 };
	if (poll(&pf, 1, 2000) != 1)
		return false;
	return read(fd, banner, sizeof(banner)) >= 4 && !memcmp(banner, "SSH-", 4);
}

/* The guest's SSH host keys from this boot's console, into known_hosts
 * (under the alias hv ssh uses: the endpoint's port changes per start). */
static void record_host_keys(struct vm_handle *h, const char *name, uint64_t from)
{
	_cleanup_free_ char *text = NULL, *alias = NULL;
	struct hostkeys keys = { 0 };
	size_t len;

	if (fs_read_all(h->dirfd, "console.log", 4 << 20, &text, &len) < 0 || from > len)
		return;
	if (asprintf(&alias, "hv-%s", name) < 0) {
		alias = NULL;
		return;
	}
	if (hostkeys_parse(text + from, len - from, &keys) == 0 && keys.n) {
		const char *hosts[] = { alias };
		hostkeys_write_known_hosts(h->dirfd, "known_hosts", &keys, hosts, 1);
	}
	hostkeys_free(&keys);
	err_clear();
}

int vm_wait_ready(const char *name, uint64_t from, int idle_timeout_s,
		  void (*progress)(enum ready_phase phase, double secs, void *ctx), void *ctx, struct ready_scan *out)
{
	struct vm_handle h;
	struct vmdef d;
	struct ready_scan *s = out;
	uint64_t start = proc_now_ms(), last_progress = start, pos = from;
	char host[64];
	unsigned port = 0;
	int r;

	ready_scan_init(s);
	if ((r = vm_open(name, &h)) < 0)
		return r;
	if ((r = vmdef_load_vm(&h, &d)) < 0) {
		vm_close(&h);
		return r;
	}
	bool distro = d.ci.enabled || d.image[0] || d.firmware != FIRMWARE_NONE;
	progress(PHASE_FIRMWARE, 0, ctx);
	for (;;) {
		struct vm_status st;
		char buf[65536];
		ssize_t n;
		_cleanup_close_ int fd = openat(h.dirfd, "console.log", O_RDONLY | O_CLOEXEC);
		struct stat sb;

		if (fd >= 0 && fstat(fd, &sb) == 0 && (uint64_t)sb.st_size < pos)
			pos = 0; /* rotated at start: this boot's output begins at 0 */
		while (fd >= 0 && (n = pread(fd, buf, sizeof(buf), (off_t)pos)) > 0) {
			pos += (uint64_t)n;
			last_progress = proc_now_ms();
			/* ready and failed are said below */
			if (ready_scan_feed(s, buf, (size_t)n) && s->phase != PHASE_FAILED && s->phase != PHASE_READY)
				progress(s->phase, (double)(proc_now_ms() - start) / 1000, ctx);
		}
		if (s->phase == PHASE_FAILED) {
			r = err_set(-EIO, "VM '%s' did not boot: %s (see hv console %s)", name, s->failure, name);
			break;
		}
		if (s->phase == PHASE_CLOUD_INIT_DONE || (distro && !d.ci.enabled && s->phase >= PHASE_USERSPACE)) {
			if (!port && osboot_ssh_endpoint(h.dirfd, host, sizeof(host), &port) < 0)
				port = 0;
			/* no SSH endpoint to try (no NAT NIC): booted is as ready as it gets */
			if (!port || ssh_answers(host, port)) {
				record_host_keys(&h, name, from);
				s->phase = PHASE_READY;
			}
			err_clear();
		}
		if (s->phase == PHASE_READY) {
			progress(PHASE_READY, (double)(proc_now_ms() - start) / 1000, ctx);
			r = 0;
			break;
		}
		if (status_derive(h.dirfd, h.dir, &st) == 0 && !vm_state_active(st.state)) {
			r = err_set(-EIO, "VM '%s' is %s%s%s before it was ready", name, vm_state_name(st.state),
				    st.reason[0] ? ": " : "", st.reason);
			break;
		}
		/* a slow guest is fine as long as it makes progress */
		if (proc_now_ms() - last_progress > (uint64_t)idle_timeout_s * 1000) {
			r = err_set(-ETIMEDOUT, "VM '%s' made no progress for %d s in phase %s (see hv console %s)",
				    name, idle_timeout_s, ready_phase_name(s->phase), name);
			break;
		}
		proc_sleep_ms(POLL_MS);
	}
	vmdef_free(&d);
	vm_close(&h);
	return r;
}

int vm_boot_phase(const char *name, enum ready_phase *phase, char *failure, size_t n)
{
	_cleanup_free_ char *log = NULL;
	struct ready_scan s;
	struct vm_handle h;
	size_t len, from;
	char host[64];
	unsigned port;
	int r;

	if ((r = vm_open(name, &h)) < 0)
		return r;
	ready_scan_init(&s);
	if (vm_boot_console(h.dirfd, &log, &len, &from) == 0)
		ready_scan_feed(&s, log + from, len - from);
	if (s.phase == PHASE_CLOUD_INIT_DONE && osboot_ssh_endpoint(h.dirfd, host, sizeof(host), &port) == 0 &&
	    ssh_answers(host, port))
		s.phase = PHASE_READY;
	*phase = s.phase;
	snprintf(failure, n, "%s", s.failure);
	vm_close(&h);
	err_clear();
	return 0;
}
