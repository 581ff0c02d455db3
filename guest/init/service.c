/* SPDX-License-Identifier: MIT */
/*
 * "service" mode, for persistent VMs: a login-free shell on the console,
 * respawned when it exits, and a clean shutdown on the ACPI power button
 * (hv stop), on busybox's poweroff/halt/reboot (SIGUSR2/SIGUSR1/SIGTERM to
 * PID 1) and on ctrl-alt-del (SIGINT).
 */
#include "service.h"

#include "../../src/guest/proto.h"
#include "chan.h"
#include "net.h"
#include "session.h"
#include "sys.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/input.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_INPUTS 8

static pid_t spawn_shell(const char *name)
{
	pid_t pid = fork();

	if (pid == 0) {
		sigset_t none;
		char ps1[128];
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		setsid();
		if (init_take_tty("/dev/ttyS0", 0, 0) < 0)
			_exit(1);
		snprintf(ps1, sizeof(ps1), "PS1=%s:\\w# ", name);
		char *envp[] = { init_environ[0], init_environ[1], init_environ[2], ps1, NULL };
		if (chdir("/root") < 0)
			chdir("/");
		execle("/bin/sh", "-sh", (char *)NULL, envp);
		_exit(127);
	}
	return pid;
}

/* Open the evdev nodes that can report KEY_POWER. */
static int open_power_buttons(int *fds)
{
	DIR *d = opendir("/dev/input");
	struct dirent *de;
	int n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)) && n < MAX_INPUTS) {
		unsigned long keys[KEY_MAX / (8 * sizeof(long)) + 1] = { 0 };
		if (strncmp(de->d_name, "event", 5))
			continue;
		int fd = openat(dirfd(d), de->d_name, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (ioctl(fd, EVIOCGBIT(EV_KEY, sizeof(keys)), keys) >= 0 &&
		    (keys[KEY_POWER / (8 * sizeof(long))] >> (KEY_POWER % (8 * sizeof(long)))) & 1)
			fds[n++] = fd;
		else
			close(fd);
	}
	closedir(d);
	return n;
}

static bool power_pressed(int fd)
{
	struct input_event ev[16];
	ssize_t n = read(fd, ev, sizeof(ev));

	for (ssize_t i = 0; i < n / (ssize_t)sizeof(ev[0]); i++)
		if (ev[i].type == EV_KEY && ev[i].code == KEY_POWER && ev[i].value == 1)
			return true;
	return false;
}

/* A lease changed: tell the console and hv. */
static void report_network(int netfd)
{
	char ev[4096], report[1024];
	size_t n;

	while (netfd >= 0 && read(netfd, ev, sizeof(ev)) > 0)
		;
	n = net_report(report, sizeof(report));
	for (char *line = strtok(report, "\n"); line; line = strtok(NULL, "\n"))
		init_log("network: %s", line);
	n = net_report(report, sizeof(report));
	gchan_send(HVP_NETINFO, 0, report, n);
}

int service_main(const char *name)
{
	int inputs[MAX_INPUTS], ninputs = 0, sfd, netfd;
	pid_t shell;
	time_t last_spawn;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	/* ctrl-alt-del becomes SIGINT to init instead of an instant reboot */
	reboot(RB_DISABLE_CAD);

	ninputs = open_power_buttons(inputs);
	netfd = net_watch_fd();
	sess_init();
	signal(SIGPIPE, SIG_IGN);
	if (gchan_open(3000) >= 0)
		gchan_send(HVP_HELLO, 0, HVP_VERSION, strlen(HVP_VERSION));
	/* a lease may have come before the watch: report what is there now */
	report_network(-1);
	init_log("%s is up; the ACPI power button (hv stop) powers it off", name);
	shell = spawn_shell(name);
	last_spawn = time(NULL);

	for (;;) {
		struct pollfd pf[SESS_MAX_POLL + 2 + MAX_INPUTS];
		int timeout = -1, ns = sess_poll_fds(pf, &timeout), n = ns;

		pf[n++] = (struct pollfd){ sfd, POLLIN, 0 };
		pf[n++] = (struct pollfd){ netfd, POLLIN, 0 };
		for (int i = 0; i < ninputs; i++)
			pf[n++] = (struct pollfd){ inputs[i], POLLIN, 0 };
		/* devtmpfs may create the event nodes a moment after the driver loads */
		if (!ninputs && (timeout < 0 || timeout > 1000))
			timeout = 1000;
		if (poll(pf, (nfds_t)n, timeout) == 0 && !ninputs)
			ninputs = open_power_buttons(inputs);
		sess_handle(pf, ns);
		for (int i = 0; i < ninputs; i++)
			if ((pf[ns + 2 + i].revents & POLLIN) && power_pressed(inputs[i]))
				init_shutdown("ACPI power button pressed", false);
		if (netfd >= 0 && (pf[ns + 1].revents & POLLIN))
			report_network(netfd);
		if (!(pf[ns].revents & POLLIN))
			continue;
		struct signalfd_siginfo si;
		if (read(sfd, &si, sizeof(si)) != sizeof(si))
			continue;
		switch (si.ssi_signo) {
		case SIGUSR1:
		case SIGUSR2:
			init_shutdown("poweroff requested", false);
		case SIGTERM:
		case SIGINT:
			init_shutdown("reboot requested", true);
		case SIGCHLD: {
			pid_t w;
			int st;
			while ((w = waitpid(-1, &st, WNOHANG)) > 0) {
				if (sess_reaped(w, st) || w != shell)
					continue;
				/* a shell that dies at once must not spin the CPU */
				if (time(NULL) - last_spawn < 1)
					sleep(1);
				shell = spawn_shell(name);
				last_spawn = time(NULL);
			}
			break;
		}
		}
	}
}
