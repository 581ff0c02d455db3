/* SPDX-License-Identifier: MIT */
/*
 * The guest's network: loopback up, every ethN configured by busybox
 * udhcpc (with /etc/hv/udhcpc.sh, which records each lease in
 * /run/hv/net/IFACE), and a report of the addresses for the console and
 * for hv ("eth0 52:54:00:12:34:56 10.0.3.15/24" lines).
 */
#include "net.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LEASES	 "/run/hv/net"
#define MAX_NICS 8

static int list_nics(char names[][IFNAMSIZ], int max)
{
	DIR *d = opendir("/sys/class/net");
	struct dirent *de;
	int n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)) && n < max)
		if (!strncmp(de->d_name, "eth", 3) && strlen(de->d_name) < IFNAMSIZ)
			memcpy(names[n++], de->d_name, strlen(de->d_name) + 1);
	closedir(d);
	/* eth0 before eth1: the report and the route metrics follow that order */
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
			char t[IFNAMSIZ];
			memcpy(t, names[j], IFNAMSIZ);
			memcpy(names[j], names[j - 1], IFNAMSIZ);
			memcpy(names[j - 1], t, IFNAMSIZ);
		}
	return n;
}

static void link_up(const char *name)
{
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (s < 0)
		return;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP;
		ioctl(s, SIOCSIFFLAGS, &ifr);
	}
	close(s);
}

static pid_t spawn_udhcpc(const char *nic, bool once)
{
	pid_t pid = fork();

	if (pid == 0) {
		sigset_t none;
		char host[80] = "hostname:";
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		gethostname(host + 9, sizeof(host) - 10);
		int null = open("/dev/null", O_RDWR);
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		/* once: try for about 4 s and quit with the lease (hv run);
		 * otherwise stay and renew, retrying forever (services) */
		if (once)
			execl("/sbin/udhcpc", "udhcpc", "-f", "-q", "-n", "-t", "4", "-T", "1", "-i", nic, "-s",
			      "/etc/hv/udhcpc.sh", "-x", host, (char *)NULL);
		else
			execl("/sbin/udhcpc", "udhcpc", "-f", "-t", "5", "-T", "2", "-A", "5", "-i", nic, "-s",
			      "/etc/hv/udhcpc.sh", "-x", host, (char *)NULL);
		_exit(127);
	}
	return pid;
}

static pid_t once_pids[MAX_NICS];
static int once_n;

int net_start(bool once)
{
	char nics[MAX_NICS][IFNAMSIZ];
	int n;

	link_up("lo");
	mkdir("/run/hv", 0755);
	mkdir(LEASES, 0755);
	n = list_nics(nics, MAX_NICS);
	for (int i = 0; i < n; i++) {
		pid_t pid;
		link_up(nics[i]);
		pid = spawn_udhcpc(nics[i], once);
		if (once && pid > 0)
			once_pids[once_n++] = pid;
	}
	return n;
}

void net_wait(void)
{
	for (int i = 0; i < once_n; i++)
		while (waitpid(once_pids[i], NULL, 0) < 0 && errno == EINTR)
			;
	once_n = 0;
}

/* The first line of name in the folder dfd (empty when it cannot be read). */
static void read_line(int dfd, const char *name, char *buf, size_t n)
{
	int fd = dfd >= 0 ? openat(dfd, name, O_RDONLY | O_CLOEXEC) : -1;
	ssize_t k = fd >= 0 ? read(fd, buf, n - 1) : -1;

	if (fd >= 0)
		close(fd);
	buf[k > 0 ? k : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}

size_t net_report(char *buf, size_t n)
{
	char nics[MAX_NICS][IFNAMSIZ];
	int count = list_nics(nics, MAX_NICS);
	int sysnet = open("/sys/class/net", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int leases = open(LEASES, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; i < count && used < n; i++) {
		char mac[32], lease[64], addr[32] = "-";
		int nicfd = sysnet >= 0 ? openat(sysnet, nics[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
		read_line(nicfd, "address", mac, sizeof(mac));
		read_line(leases, nics[i], lease, sizeof(lease));
		if (nicfd >= 0)
			close(nicfd);
		if (lease[0])
			sscanf(lease, "%31s", addr);
		int k = snprintf(buf + used, n - used, "%s %s %s\n", nics[i], mac, addr);
		if (k < 0 || (size_t)k >= n - used)
			break;
		used += (size_t)k;
	}
	if (sysnet >= 0)
		close(sysnet);
	if (leases >= 0)
		close(leases);
	return used;
}

int net_watch_fd(void)
{
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);

	if (fd >= 0 && inotify_add_watch(fd, LEASES, IN_MOVED_TO | IN_CLOSE_WRITE | IN_DELETE) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}
