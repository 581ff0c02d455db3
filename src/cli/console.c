/* SPDX-License-Identifier: MIT */
/* hv console NAME: attach to a running VM's serial console. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli/cli.h"
#include "manager/store.h"
#include "manager/vm.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/proc.h"
#include "util/tty.h"

/* When input is not a terminal and has ended, keep showing the console
 * until it has been quiet for LINGER_MS, but no longer than LINGER_MAX_MS
 * (for scripts: `echo cmd | hv console vm`). */
#define LINGER_MS     1000
#define LINGER_MAX_MS 5000

static int connect_console(struct vm_handle *h)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return err_errno(-errno, "socket");
	snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/console.sock", h->dirfd);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		close(fd);
		return err_errno(-e, "cannot connect to the console of VM '%s'", h->name);
	}
	return fd;
}

static int relay(int sock, bool tty)
{
	bool in_open = true;
	uint64_t input_end = 0;
	char buf[4096];

	for (;;) {
		struct pollfd pf[2] = { { sock, POLLIN, 0 }, { in_open ? 0 : -1, POLLIN, 0 } };
		int n = poll(pf, 2, in_open ? -1 : LINGER_MS);
		ssize_t k;
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 || (!in_open && proc_now_ms() - input_end > LINGER_MAX_MS))
			return 0; /* input ended and the console went quiet (or kept talking) */
		if (pf[0].revents) {
			k = read(sock, buf, sizeof(buf));
			if (k <= 0)
				return 1; /* the VM stopped */
			write_all(1, buf, (size_t)k);
		}
		if (pf[1].revents) {
			k = read(0, buf, sizeof(buf));
			if (k <= 0) {
				in_open = false;
				input_end = proc_now_ms();
				continue;
			}
			if (tty) {
				long esc = tty_find_escape(buf, (size_t)k);
				if (esc >= 0) {
					write_all(sock, buf, (size_t)esc);
					return 0;
				}
			}
			write_all(sock, buf, (size_t)k);
		}
	}
}

int cmd_console(int argc, char **argv)
{
	static const struct option opts[] = { { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	struct vm_handle h;
	struct vmdef d;
	struct vm_status st;
	struct tty_saved saved = { 0 };
	const char *name;
	int c, r, sock, lock;
	bool tty = isatty(0) && isatty(1);

	while ((c = cli_getopt(argc, argv, "h", opts, "console")) != -1) {
		if (c == 'h') {
			puts("usage: hv console NAME\nAttaches to the VM's serial console; Ctrl-] detaches and the VM "
			     "keeps running.\nWithout a terminal, input is sent and output shown until the console is "
			     "quiet for 1 s (at most 5 s) after input ends.");
			return 0;
		}
		return EXIT_USAGE;
	}
	if ((r = cli_one_name(argc, argv, "console", &name)) != 0)
		return r;
	if (vm_inspect(name, &d, &st) < 0)
		return cli_fail("console");
	vmdef_free(&d);
	if (!vm_state_active(st.state)) {
		fprintf(stderr, "hv console: VM '%s' is not running (it is %s)\n", name, vm_state_name(st.state));
		return EXIT_FAIL;
	}
	if (vm_open(name, &h) < 0)
		return cli_fail("console");
	/* QEMU serves one console client: a second one would hang unseen */
	lock = openat(h.dirfd, "console.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lock < 0 || flock(lock, LOCK_EX | LOCK_NB) < 0) {
		fprintf(stderr, "hv console: the console of VM '%s' is in use by another hv console\n", name);
		vm_close(&h);
		return EXIT_FAIL;
	}
	sock = connect_console(&h);
	if (sock < 0) {
		vm_close(&h);
		return cli_fail("console");
	}
	signal(SIGPIPE, SIG_IGN);
	if (tty) {
		fprintf(stderr, "Connected to the console of %s (escape character is ^])\r\n", name);
		if (tty_raw_enter(0, &saved) < 0)
			tty = false;
	}
	r = relay(sock, tty);
	tty_restore(&saved);
	if (tty)
		fprintf(stderr, r ? "\nThe VM stopped.\n" : "\nDetached from %s.\n", name);
	close(sock);
	close(lock);
	vm_close(&h);
	return 0;
}
