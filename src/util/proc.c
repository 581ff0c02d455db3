/* SPDX-License-Identifier: MIT */
#include "util/proc.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <linux/close_range.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"

/* Reads /proc/PID/stat: start time (field 22) and state (field 3). */
static int proc_stat(pid_t pid, uint64_t *ticks, char *state)
{
	char path[64], buf[1024];
	_cleanup_close_ int fd = -1;
	ssize_t n;
	char *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	/* comm may contain spaces and parentheses: fields resume after the last ')' */
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ' || !p[2])
		return -EIO;
	p++;
	*state = p[1];
	/* after ')' come fields 3.. ; starttime is field 22 */
	for (int field = 3; field < 22; field++) {
		p = strchr(p + 1, ' ');
		if (!p)
			return -EIO;
	}
	*ticks = strtoull(p + 1, NULL, 10);
	return 0;
}

int proc_start_time(pid_t pid, uint64_t *ticks)
{
	char state;

	return proc_stat(pid, ticks, &state);
}

int proc_boot_id(char out[40])
{
	_cleanup_free_ char *s = NULL;
	int r = fs_read_all(AT_FDCWD, "/proc/sys/kernel/random/boot_id", 64, &s, NULL);

	if (r < 0)
		return err_errno(r, "cannot read the host's boot id");
	s[strcspn(s, "\n")] = '\0';
	snprintf(out, 40, "%s", s);
	return 0;
}

int proc_identify(pid_t pid, struct proc_id *id)
{
	int r;

	id->pid = pid;
	r = proc_start_time(pid, &id->start);
	if (r < 0)
		return err_errno(r, "process %d vanished", (int)pid);
	return proc_boot_id(id->boot_id);
}

bool proc_id_alive(const struct proc_id *id)
{
	char boot[40], state;
	uint64_t start;

	if (id->pid <= 0)
		return false;
	if (proc_boot_id(boot) < 0 || strcmp(boot, id->boot_id) != 0)
		return false;
	/* a zombie has exited: only its parent has not collected it yet */
	if (proc_stat(id->pid, &start, &state) < 0 || state == 'Z' || state == 'X')
		return false;
	return start == id->start;
}

int proc_find_by_cwd(int folder, pid_t *pids, size_t max, size_t *n)
{
	struct stat want, got;
	struct dirent *e;
	DIR *d;

	*n = 0;
	if (fstat(folder, &want) < 0)
		return err_errno(-errno, "cannot stat the folder");
	if (!(d = opendir("/proc")))
		return err_errno(-errno, "cannot list /proc");
	while ((e = readdir(d)) && *n < max) {
		char cwd[64];
		long pid;
		if (!isdigit((unsigned char)e->d_name[0]) || (pid = strtol(e->d_name, NULL, 10)) <= 0 ||
		    pid == (long)getpid())
			continue;
		snprintf(cwd, sizeof(cwd), "%ld/cwd", pid);
		/* a process that ended meanwhile, or one we may not look at, is not ours */
		if (fstatat(dirfd(d), cwd, &got, 0) == 0 && got.st_dev == want.st_dev && got.st_ino == want.st_ino)
			pids[(*n)++] = (pid_t)pid;
	}
	closedir(d);
	return 0;
}

int proc_children(pid_t parent, pid_t *pids, size_t max, size_t *n)
{
	struct dirent *e;
	DIR *d;

	*n = 0;
	if (!(d = opendir("/proc")))
		return err_errno(-errno, "cannot list /proc");
	while ((e = readdir(d)) && *n < max) {
		_cleanup_free_ char *stat = NULL;
		char path[64];
		const char *p;
		long pid, ppid;
		if (!isdigit((unsigned char)e->d_name[0]) || (pid = strtol(e->d_name, NULL, 10)) <= 0)
			continue;
		snprintf(path, sizeof(path), "%ld/stat", pid);
		/* "pid (comm) state ppid ...": comm may hold anything, so after its last ')' */
		if (fs_read_all(dirfd(d), path, 4096, &stat, NULL) < 0 || !(p = strrchr(stat, ')')) ||
		    sscanf(p + 1, " %*c %ld", &ppid) != 1)
			continue;
		if (ppid == (long)parent)
			pids[(*n)++] = (pid_t)pid;
	}
	closedir(d);
	err_clear();
	return 0;
}

int proc_cmdline(pid_t pid, char **out, size_t *len)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	return fs_read_all(AT_FDCWD, path, 1 << 20, out, len);
}

int proc_find_exe(const char *name, char **out)
{
	const char *path = getenv("PATH");
	char buf[PATH_MAX];

	if (strchr(name, '/')) {
		if (access(name, X_OK) < 0)
			return -errno;
		*out = strdup(name);
		return *out ? 0 : -ENOMEM;
	}
	if (!path || !*path)
		path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	while (*path) {
		size_t len = strcspn(path, ":");
		if (len > 0 && len + strlen(name) + 2 < sizeof(buf)) {
			snprintf(buf, sizeof(buf), "%.*s/%s", (int)len, path, name);
			if (access(buf, X_OK) == 0) {
				*out = strdup(buf);
				return *out ? 0 : -ENOMEM;
			}
		}
		path += len;
		if (*path == ':')
			path++;
	}
	return -ENOENT;
}

int proc_self_dir(char *buf, size_t n)
{
	ssize_t k = readlink("/proc/self/exe", buf, n - 1);
	char *slash;

	if (k < 0)
		return err_errno(-errno, "cannot find hv's own executable");
	buf[k] = '\0';
	slash = strrchr(buf, '/');
	if (slash)
		*slash = '\0';
	return 0;
}

/* Close (or mark close-on-exec) the fds from a to b (inclusive).  Safe
 * between fork and exec: system calls only, no allocation. */
static void fd_range(unsigned a, unsigned b, bool cloexec)
{
	struct rlimit rl;
	unsigned max = 65536;

	if (a > b || close_range(a, b, cloexec ? CLOSE_RANGE_CLOEXEC : 0) == 0)
		return;
	/* kernels before 5.9 (5.11 for CLOSE_RANGE_CLOEXEC): one at a time,
	 * up to the fd limit */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < (1u << 20))
		max = (unsigned)rl.rlim_cur;
	for (unsigned fd = a; fd <= b && fd < max; fd++) {
		if (cloexec)
			fcntl((int)fd, F_SETFD, FD_CLOEXEC);
		else
			close((int)fd);
	}
}

/* Every fd from lowfd on but those kept, closed or marked close-on-exec:
 * the gaps between the kept fds (sorted on the stack) go in one
 * close_range(2) each. */
static int fds_from(int lowfd, const int *keep, int nkeep, bool cloexec)
{
	int sorted[PROC_MAX_KEEP];
	unsigned lo = lowfd > 0 ? (unsigned)lowfd : 0;
	int n = 0;

	if (nkeep < 0 || nkeep > PROC_MAX_KEEP)
		return -E2BIG;
	for (int i = 0; i < nkeep; i++) {
		int j = n++;
		for (; j > 0 && sorted[j - 1] > keep[i]; j--)
			sorted[j] = sorted[j - 1];
		sorted[j] = keep[i];
	}
	for (int i = 0; i < n; i++) {
		if (sorted[i] < 0 || (unsigned)sorted[i] < lo)
			continue;
		if ((unsigned)sorted[i] > lo)
			fd_range(lo, (unsigned)sorted[i] - 1, cloexec);
		lo = (unsigned)sorted[i] + 1;
	}
	fd_range(lo, ~0U, cloexec);
	return 0;
}

int proc_close_fds_from(int lowfd, const int *keep, int nkeep)
{
	return fds_from(lowfd, keep, nkeep, false);
}

void proc_cloexec_fds_from(int lowfd)
{
	fds_from(lowfd, NULL, 0, true);
}

uint64_t proc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void proc_sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* In the child: the mapped fds at their places and nothing else open but
 * the error pipe, which moves above every target first (a target may have
 * its number).  Async-signal-safe: no allocation, no directory listing.
 * Returns the error pipe's new fd, or -errno. */
static int child_setup_fds(const struct spawn_fd *map, size_t nmap, int errpipe)
{
	int tmp[PROC_MAX_FDS], keep[PROC_MAX_FDS + 1], above = 100;

	for (size_t i = 0; i < nmap; i++)
		if (map[i].to >= above)
			above = map[i].to + 1;
	if ((errpipe = fcntl(errpipe, F_DUPFD_CLOEXEC, above)) < 0)
		return -errno;
	/* two phases, so that a `from` equal to another mapping's `to` survives */
	for (size_t i = 0; i < nmap; i++)
		if ((tmp[i] = fcntl(map[i].from, F_DUPFD_CLOEXEC, above)) < 0)
			return -errno;
	for (size_t i = 0; i < nmap; i++) {
		if (dup2(tmp[i], map[i].to) < 0) /* clears FD_CLOEXEC on the target */
			return -errno;
		keep[i] = map[i].to;
	}
	keep[nmap] = errpipe;
	proc_close_fds_from(0, keep, (int)nmap + 1);
	return errpipe;
}

int proc_spawn(char *const argv[], const struct spawn_fd *map, size_t nmap, const char *cwd, bool new_pgrp, pid_t *pid)
{
	struct spawn_opts o = { .cwd = cwd, .new_pgrp = new_pgrp };

	return proc_spawn_opts(argv, map, nmap, &o, pid);
}

/* The child's part: returns only on failure, with an errno for the
 * parent (which of the steps failed is in *hook). */
static int child_exec(char *const argv[], const struct spawn_fd *map, size_t nmap, const struct spawn_opts *o,
		      pid_t parent, int *errfd, bool *hook)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t none;
	int fd, r;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int s = 1; s < 32; s++)
		if (s != SIGKILL && s != SIGSTOP)
			sigaction(s, &dfl, NULL);
	if (o->new_pgrp)
		setpgid(0, 0);
	/* the parent may have gone before the prctl: then nobody sends it */
	if (o->pdeathsig > 0 && (prctl(PR_SET_PDEATHSIG, o->pdeathsig) < 0 || getppid() != parent))
		return ESRCH;
	if ((fd = child_setup_fds(map, nmap, *errfd)) < 0)
		return -fd;
	*errfd = fd;
	if (o->pre_exec && (r = o->pre_exec(o->pre_exec_arg)) < 0) {
		*hook = true;
		return -r;
	}
	if (o->cwd && chdir(o->cwd) < 0)
		return errno;
	execv(argv[0], argv);
	return errno;
}

int proc_spawn_opts(char *const argv[], const struct spawn_fd *map, size_t nmap, const struct spawn_opts *o, pid_t *pid)
{
	struct {
		int e;
		bool hook;
	} res = { 0, false };
	pid_t parent = getpid(), p;
	int ep[2];
	ssize_t n;

	if (nmap > PROC_MAX_FDS)
		return err_set(-EINVAL, "too many fds to pass");
	if (pipe2(ep, O_CLOEXEC) < 0)
		return err_errno(-errno, "pipe");
	p = fork();
	if (p < 0) {
		close(ep[0]);
		close(ep[1]);
		return err_errno(-errno, "fork");
	}
	if (p == 0) {
		int fd = ep[1];
		res.e = child_exec(argv, map, nmap, o, parent, &fd, &res.hook);
		(void)!write(fd, &res, sizeof(res));
		_exit(127);
	}
	close(ep[1]);
	while ((n = read(ep[0], &res, sizeof(res))) < 0 && errno == EINTR)
		;
	close(ep[0]);
	if (n == sizeof(res)) {
		waitpid(p, NULL, 0);
		if (res.hook)
			return err_errno(-res.e, "%s",
					 o->pre_exec_what ? o->pre_exec_what : "cannot prepare the child");
		return err_errno(-res.e, "cannot run %s", argv[0]);
	}
	*pid = p;
	return 0;
}
