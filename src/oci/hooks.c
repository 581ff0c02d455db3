/* SPDX-License-Identifier: MIT */
/* OCI hooks (config.md "POSIX-platform Hooks"): each runs with the
 * container's state JSON on stdin; a failing prestart/createRuntime/
 * createContainer/startContainer hook fails the operation, a failing
 * poststart/poststop hook only warns (the caller decides).
 *
 * The state is written to the hook's stdin within its timeout, a bit at a
 * time as the hook reads it: a hook that never reads its stdin cannot
 * hang the runtime, and one that exits early cannot kill it with SIGPIPE
 * (the write happens with SIGPIPE blocked in this thread only). */
#include "oci/hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/err.h"
#include "util/proc.h"

/* write(2) that cannot raise SIGPIPE: a broken pipe is EPIPE.  The signal
 * is blocked in the calling thread only, a SIGPIPE this write raised is
 * consumed, and the mask is restored (nothing process-wide changes). */
static ssize_t write_nosigpipe(int fd, const void *buf, size_t n)
{
	sigset_t pipe_set, old, pending;
	struct timespec zero = { 0, 0 };
	bool was_pending;
	ssize_t k;
	int e;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	sigpending(&pending);
	was_pending = sigismember(&pending, SIGPIPE);
	k = write(fd, buf, n);
	e = errno;
	if (k < 0 && e == EPIPE && !was_pending)
		while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
			;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = e;
	return k;
}

/* Feed text to the hook's stdin and wait for it, both within deadline_ms. */
static int feed_and_wait(pid_t pid, int *wr, const char *text, uint64_t deadline_ms, int *status)
{
	_cleanup_close_ int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	size_t left = strlen(text);

	for (;;) {
		pid_t w = waitpid(pid, status, WNOHANG);
		if (w == pid)
			return 0;
		if (w < 0 && errno != EINTR)
			return -errno;
		uint64_t now = proc_now_ms();
		if (now >= deadline_ms)
			return -ETIMEDOUT;
		struct pollfd pf[2];
		nfds_t n = 0;
		if (*wr >= 0)
			pf[n++] = (struct pollfd){ *wr, POLLOUT, 0 };
		if (pidfd >= 0)
			pf[n++] = (struct pollfd){ pidfd, POLLIN, 0 };
		/* without a pidfd (kernels before 5.3) look at the child often */
		uint64_t wait = pidfd >= 0 ? deadline_ms - now : 5;
		if (poll(pf, n, wait > INT_MAX ? INT_MAX : (int)wait) < 0 && errno != EINTR)
			return -errno;
		if (*wr < 0 || !pf[0].revents)
			continue;
		ssize_t k = write_nosigpipe(*wr, text, left);
		if (k > 0) {
			text += k;
			left -= (size_t)k;
		}
		/* all written, or the hook closed its stdin: it has what it wanted */
		if (left == 0 || (k < 0 && errno != EAGAIN && errno != EINTR)) {
			close(*wr);
			*wr = -1;
		}
	}
}

int hook_run(const struct oci_hook *h, const char *state_json, const char *kind)
{
	_cleanup_close_ int rd = -1, wr = -1;
	int in[2], status = 0, r;
	uint64_t deadline;
	pid_t pid;

	if (pipe2(in, O_CLOEXEC) < 0)
		return err_errno(-errno, "cannot run the %s hook %s: pipe", kind, h->path);
	rd = in[0];
	wr = in[1];
	if (fcntl(wr, F_SETFL, O_NONBLOCK) < 0)
		return err_errno(-errno, "cannot run the %s hook %s", kind, h->path);
	deadline = proc_now_ms() + (uint64_t)(h->timeout > 0 ? h->timeout : 3600) * 1000;
	pid = fork();
	if (pid < 0)
		return err_errno(-errno, "cannot run the %s hook %s: fork", kind, h->path);
	if (pid == 0) {
		char *empty[] = { NULL };
		char *argv0[] = { (char *)h->path, NULL };
		if (dup2(rd, 0) == 0)
			execve(h->path, h->args && h->args[0] ? h->args : argv0, h->env ? h->env : empty);
		_exit(127);
	}
	close(TAKE_FD(rd));
	r = feed_and_wait(pid, &wr, state_json, deadline, &status);
	if (r < 0) {
		kill(pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		if (r == -ETIMEDOUT)
			return err_set(r, "the %s hook %s timed out after %d s", kind, h->path, h->timeout);
		return err_errno(r, "waiting for the %s hook %s", kind, h->path);
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return err_set(-ENOENT, "the %s hook %s could not be run", kind, h->path);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return err_set(-EIO, "the %s hook %s failed (%s %d)", kind, h->path,
			       WIFEXITED(status) ? "exit" : "signal",
			       WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	return 0;
}

int hooks_run(const struct oci_spec *s, enum oci_hook_kind k, const char *state_json)
{
	for (size_t i = 0; i < s->nhooks[k]; i++) {
		int r = hook_run(&s->hooks[k][i], state_json, oci_hook_name(k));
		if (r < 0)
			return r;
	}
	return 0;
}
