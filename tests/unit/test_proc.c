/* SPDX-License-Identifier: MIT */
/* proc_spawn: the child has exactly the mapped fds, and an exec failure is
 * reported even when a mapping's target has the number of the spawn's own
 * error pipe. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "t.h"
#include "util/err.h"
#include "util/proc.h"

static int run(char **argv, const struct spawn_fd *map, size_t n)
{
	pid_t pid;
	int status, r = proc_spawn(argv, map, n, NULL, false, &pid);

	if (r < 0)
		return r;
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int fail_hook(void *arg)
{
	(void)arg;
	return -EPERM;
}

/* in the child: writes "ok" into the pipe whose write end is fd *arg
 * (mapped there), then closes it */
static int write_hook(void *arg)
{
	int fd = *(int *)arg;
	ssize_t n = write(fd, "ok", 2);
	close(fd);
	return n == 2 ? 0 : -EIO;
}

int main(void)
{
	int status0 = -1;
	int null = open("/dev/null", O_RDWR | O_CLOEXEC), leak, probe[2], r;

	/* an fd left without O_CLOEXEC, high up: the child must not get it */
	leak = dup2(null, 900);
	struct spawn_fd map[] = { { null, 0 }, { null, 1 }, { null, 2 }, { null, 5 } };
	char *only[] = { "/bin/sh", "-c", "test ! -e /proc/self/fd/900 && test -e /proc/self/fd/5", NULL };
	r = run(only, map, 4);
	CHECK(leak == 900 && r == 0, "the child has the mapped fds and not an inherited one (exit %d)", r);

	/* the spawn's error pipe takes the lowest free fds: map onto them */
	CHECK(pipe(probe) == 0, "pipe");
	close(probe[0]);
	close(probe[1]);
	struct spawn_fd clash[] = { { null, probe[0] }, { null, probe[1] } };
	char *missing[] = { "/nonexistent/program", NULL };
	r = run(missing, clash, 2);
	CHECK(r == -ENOENT, "an exec failure is reported when a target has the error pipe's number (r=%d)", r);
	char *ok[] = { "/bin/true", NULL };
	r = run(ok, clash, 2);
	CHECK(r == 0, "and a good program still runs (r=%d)", r);

	/* proc_spawn_opts: a pre-exec step runs in the child with the fds in
	 * place, and its failure is the spawn's, with the caller's reason */
	struct spawn_opts o = { .pre_exec = fail_hook, .pre_exec_what = "cannot prepare the view" };
	pid_t hp;
	err_clear();
	r = proc_spawn_opts(ok, map, 4, &o, &hp);
	CHECK(r == -EPERM && strstr(err_msg(), "cannot prepare the view"), "a failed pre-exec step: %d '%s'", r,
	      err_msg());
	char *fd5[] = { "/bin/sh", "-c", "test -e /proc/self/fd/5 && test \"$(cat /proc/self/fd/5)\" = ok", NULL };
	int pp[2];
	CHECK(pipe2(pp, O_CLOEXEC) == 0, "pipe");
	struct spawn_fd wmap[] = { { null, 0 }, { null, 1 }, { null, 2 }, { pp[0], 5 }, { pp[1], 6 } };
	int six = 6;
	o = (struct spawn_opts){ .pre_exec = write_hook, .pre_exec_arg = &six, .pdeathsig = SIGKILL };
	r = proc_spawn_opts(fd5, wmap, 5, &o, &hp);
	close(pp[0]);
	close(pp[1]);
	if (r == 0)
		waitpid(hp, &status0, 0);
	CHECK(r == 0 && WIFEXITED(status0) && WEXITSTATUS(status0) == 0, "the pre-exec step ran before the exec (%d)",
	      status0);

	/* proc_close_fds_from keeps what it is told to */
	pid_t pid = fork();
	if (pid == 0) {
		int keep[] = { 900, 2 };
		int fd = dup(null);
		if (proc_close_fds_from(0, keep, 2) < 0)
			_exit(3);
		_exit(fcntl(900, F_GETFD) >= 0 && fcntl(2, F_GETFD) >= 0 && fcntl(fd, F_GETFD) < 0 &&
			      fcntl(0, F_GETFD) < 0
			  ? 0
			  : 1);
	}
	int status = -1;
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "close_fds_from keeps only the kept fds (%d)", status);

	/* proc_children: how hv finds a jailed QEMU (its cwd is not the VM's folder) */
	pid_t kids[2], found[64];
	size_t n = 0, hits = 0;
	for (int i = 0; i < 2; i++)
		if ((kids[i] = fork()) == 0) {
			pause();
			_exit(0);
		}
	r = proc_children(getpid(), found, 64, &n);
	for (size_t i = 0; i < n; i++)
		hits += found[i] == kids[0] || found[i] == kids[1];
	CHECK(r == 0 && hits == 2 && n == 2, "proc_children finds both children (%zu of %zu)", hits, n);
	r = proc_children(kids[0], found, 64, &n);
	CHECK(r == 0 && n == 0, "and none of a process without any (%zu)", n);
	for (int i = 0; i < 2; i++) {
		kill(kids[i], SIGKILL);
		waitpid(kids[i], NULL, 0);
	}
	T_DONE();
}
