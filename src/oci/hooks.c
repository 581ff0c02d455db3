/* SPDX-License-Identifier: MIT */
/* OCI hooks (config.md "POSIX-platform Hooks"): each runs with the
 * container's state JSON on stdin; a failing prestart/createRuntime/
 * createContainer/startContainer hook fails the operation, a failing
 * poststart/poststop hook only warns (the caller decides). */
#include "oci/hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/err.h"
#include "util/fs.h"
#include "util/proc.h"

int hook_run(const struct oci_hook *h, const char *state_json, const char *kind)
{
	int in[2], status, r = 0;
	uint64_t deadline;
	pid_t pid;

	if (pipe2(in, O_CLOEXEC) < 0)
		return err_errno(-errno, "pipe");
	pid = fork();
	if (pid < 0)
		return err_errno(-errno, "fork");
	if (pid == 0) {
		char *empty[] = { NULL };
		char *argv0[] = { (char *)h->path, NULL };
		dup2(in[0], 0);
		execve(h->path, h->args && h->args[0] ? h->args : argv0, h->env ? h->env : empty);
		_exit(127);
	}
	close(in[0]);
	signal(SIGPIPE, SIG_IGN);
	write_all(in[1], state_json, strlen(state_json));
	close(in[1]);
	deadline = proc_now_ms() + (uint64_t)(h->timeout > 0 ? h->timeout : 3600) * 1000;
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR)
			return err_errno(-errno, "waiting for the %s hook %s", kind, h->path);
		if (proc_now_ms() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return err_set(-ETIMEDOUT, "the %s hook %s timed out after %d s", kind, h->path, h->timeout);
		}
		proc_sleep_ms(5);
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		r = err_set(-ENOENT, "the %s hook %s could not be run", kind, h->path);
	else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		r = err_set(-EIO, "the %s hook %s failed (%s %d)", kind, h->path, WIFEXITED(status) ? "exit" : "signal",
			    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	return r;
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
