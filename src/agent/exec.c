/* SPDX-License-Identifier: MIT */
/* hv exec through the guest agent: guest-exec, then guest-exec-status until it ends (see agent.h). */
#include "agent/agent.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/signalfd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/ops.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/proc.h"
#include "util/text.h"
#include "util/trace.h"

#define EXEC_LOCK_MS   30000 /* another hv command may hold the agent this long */
#define POLL_FIRST_MS  10
#define POLL_MAX_MS    250
#define GUEST_PATH     "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define OUTPUT_MAX_MIB 16 /* qemu-ga's GUEST_EXEC_MAX_OUTPUT */

/*
 * The agent runs argv in "/" as root, with only the environment it is
 * given.  A fixed script (the values travel as its arguments, never in
 * its text) goes to the working directory (default: the user's home, or
 * "/" when it has none) and becomes the user; "exec" then gives 127 for a command not found and 126
 * for one not executable, as a shell does.
 */
static const char wrapper[] =
    "d=$1 u=$2; shift 2\n"
    "if [ -n \"$d\" ]; then cd -- \"$d\" || exit 126\n"
    "else d=$(getent passwd \"${u:-root}\" | cut -d: -f6); cd -- \"${d:-/}\" 2>/dev/null || cd /; fi\n"
    "if [ -n \"$u\" ]; then exec runuser -u \"$u\" -- \"$@\"; fi\n"
    "exec \"$@\"";

static int build_argv(const struct exec_request *req, char ***argv, char ***env)
{
	size_t n = 0, ne = 0;

	while (req->argv[n])
		n++;
	while (req->env && req->env[ne])
		ne++;
	*argv = calloc(n + 7, sizeof(char *));
	*env = calloc(ne + 2, sizeof(char *));
	if (!*argv || !*env)
		return err_set(-ENOMEM, "out of memory");
	char **a = *argv;
	a[0] = "/bin/sh";
	a[1] = "-c";
	a[2] = (char *)wrapper;
	a[3] = "hv-exec";
	a[4] = (char *)(req->workdir ? req->workdir : "");
	a[5] = (char *)(req->user ? req->user : "");
	memcpy(a + 6, req->argv, n * sizeof(char *));
	(*env)[0] = GUEST_PATH;
	if (ne)
		memcpy(*env + 1, req->env, ne * sizeof(char *));
	return 0;
}

/* The host's stdin, whole (the agent takes input only with the command). */
static int read_stdin(int fd, char **buf, size_t *len)
{
	size_t cap = 0;

	*buf = NULL;
	*len = 0;
	if (fd < 0 || isatty(fd))
		return 0;
	for (;;) {
		if (cap - *len < 65536) {
			size_t want = cap ? cap * 2 : 65536;
			char *nb = realloc(*buf, want + 1);
			if (!nb)
				return err_set(-ENOMEM, "out of memory");
			*buf = nb;
			cap = want;
		}
		ssize_t n = read(fd, *buf + *len, cap - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return err_errno(-errno, "reading stdin");
		if (n == 0)
			return 0;
		*len += (size_t)n;
		if (*len > AGENT_STDIN_MAX)
			return err_set(
			    -EFBIG,
			    "stdin is larger than %u MiB, which the guest agent cannot take (use hv cp for data)",
			    AGENT_STDIN_MAX >> 20);
	}
}

/* guest-exec refused to start the program: what a shell would return. */
static int start_failed(int r, struct exec_status *st)
{
	const char *m = err_msg();

	if (r != -EIO || !strstr(m, "Failed to execute child process"))
		return r;
	st->code = strstr(m, "Permission denied") ? 126 : 127;
	text_sanitize(st->message, sizeof(st->message), m, strlen(m), 0);
	err_clear();
	return 0;
}

static int exec_start(int vmdir, const struct exec_request *req, int64_t *pid, struct exec_status *st)
{
	_cleanup_free_ char **argv = NULL, **env = NULL, *input = NULL;
	_cleanup_qga_ struct qga *g = NULL;
	size_t input_len;
	int r;

	if ((r = build_argv(req, &argv, &env)) < 0 || (r = read_stdin(req->in, &input, &input_len)) < 0 ||
	    (r = qga_open_at(vmdir, EXEC_LOCK_MS, QGA_SYNC_TIMEOUT_MS, &g)) < 0)
		return r;
	if ((r = agent_exec_start(g, QGA_TIMEOUT_MS, argv, env, input, input_len, true, pid)) < 0)
		return start_failed(r, st);
	return 1;
}

/* Where a command's output goes: host fds, or kept (agent_run). */
struct exec_sink {
	const struct exec_request *req; /* progress, or NULL */
	unsigned long long moved;
	int out, err;
	uint8_t *kept;
	size_t kept_len;
};

/* One look at the command; 1 when it has ended. */
static int exec_poll(int vmdir, struct exec_sink *sink, int64_t pid, struct exec_status *st)
{
	_cleanup_qga_ struct qga *g = NULL;
	struct agent_exec_state es;
	int r;

	/* a fresh connection each time: other hv commands get their turn */
	if ((r = qga_open_at(vmdir, EXEC_LOCK_MS, QGA_SYNC_TIMEOUT_MS, &g)) < 0 ||
	    (r = agent_exec_status(g, QGA_TIMEOUT_MS, pid, &es)) < 0)
		return r;
	/* qemu-ga 7.2 hands the output over only at the end */
	if (es.out_len && sink->out >= 0)
		write_all(sink->out, es.out, es.out_len);
	if (es.err_len && sink->err >= 0)
		write_all(sink->err, es.err, es.err_len);
	sink->moved += es.out_len + es.err_len;
	if (sink->req && sink->req->progress && es.out_len + es.err_len)
		sink->req->progress(sink->req->progress_ctx, sink->moved);
	if (es.out_len && sink->out < 0 && !sink->kept) {
		sink->kept = TAKE_PTR(es.out);
		sink->kept_len = es.out_len;
	}
	if (es.out_truncated || es.err_truncated)
		snprintf(st->message, sizeof(st->message),
			 "the guest agent kept only the first %d MiB of the command's %s", OUTPUT_MAX_MIB,
			 es.out_truncated && es.err_truncated ? "stdout and stderr"
			 : es.out_truncated		      ? "stdout"
							      : "stderr");
	if (es.exited) {
		st->signaled = es.has_signal;
		st->code = es.has_signal ? es.signal : es.has_code ? es.code : 255;
	}
	agent_exec_state_free(&es);
	err_clear();
	return es.exited ? 1 : 0;
}

/* The agent has no signal command: kill(1) in the guest does it. */
static void forward_signal(int vmdir, int sigfd, int64_t pid)
{
	struct signalfd_siginfo si;
	char sig[16], target[24];
	char *argv[] = { "kill", "-s", sig, "--", target, NULL };
	_cleanup_free_ char *out = NULL;
	int code;

	while (read(sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo != SIGINT && si.ssi_signo != SIGTERM && si.ssi_signo != SIGHUP &&
		    si.ssi_signo != SIGQUIT)
			continue;
		snprintf(sig, sizeof(sig), "%u", si.ssi_signo);
		snprintf(target, sizeof(target), "%lld", (long long)pid);
		trace_printf("agent", "forwarding signal %u to guest pid %lld", si.ssi_signo, (long long)pid);
		free(TAKE_PTR(out));
		agent_run(vmdir, argv, &code, &out);
		err_clear();
	}
}

/* Wait, or less when a signal comes. */
static void pause_ms(int vmdir, int sigfd, int64_t pid, unsigned ms)
{
	struct pollfd pf = { sigfd, POLLIN, 0 };

	if (sigfd < 0) {
		proc_sleep_ms(ms);
		return;
	}
	if (poll(&pf, 1, (int)ms) > 0)
		forward_signal(vmdir, sigfd, pid);
}

static int exec_wait(int vmdir, int64_t pid, int sigfd, struct exec_sink *sink, struct exec_status *st)
{
	unsigned wait_ms = POLL_FIRST_MS;
	int r;

	while ((r = exec_poll(vmdir, sink, pid, st)) == 0) {
		pause_ms(vmdir, sigfd, pid, wait_ms);
		wait_ms = wait_ms * 2 > POLL_MAX_MS ? POLL_MAX_MS : wait_ms * 2;
	}
	return r < 0 ? err_prefix(r, "guest-exec-status of pid %lld", (long long)pid) : 0;
}

int agent_run(int vmdir, char *const *argv, int *code, char **out)
{
	static char *const env[] = { GUEST_PATH, NULL };
	_cleanup_qga_ struct qga *g = NULL;
	struct exec_sink sink = { .out = -1, .err = -1 };
	struct exec_status st = { 0 };
	int64_t pid;
	int r;

	*out = NULL;
	if ((r = qga_open_at(vmdir, EXEC_LOCK_MS, QGA_SYNC_TIMEOUT_MS, &g)) < 0 ||
	    (r = agent_exec_start(g, QGA_TIMEOUT_MS, argv, env, NULL, 0, true, &pid)) < 0)
		return r;
	qga_close(TAKE_PTR(g));
	if ((r = exec_wait(vmdir, pid, -1, &sink, &st)) < 0) {
		free(sink.kept);
		return r;
	}
	*code = st.signaled ? 128 + st.code : st.code;
	/* text for the caller: NUL-terminated, cut at the first NUL */
	if (!(*out = malloc(sink.kept_len + 1))) {
		free(sink.kept);
		return err_set(-ENOMEM, "out of memory");
	}
	if (sink.kept_len)
		memcpy(*out, sink.kept, sink.kept_len);
	(*out)[sink.kept_len] = 0;
	free(sink.kept);
	return 0;
}

int agent_exec(int vmdir, const struct exec_request *req, int sigfd, struct exec_status *st)
{
	struct exec_sink sink = { .req = req, .out = req->out, .err = req->err };
	int64_t pid;
	int r;

	memset(st, 0, sizeof(*st));
	if (!req->argv || !req->argv[0])
		return err_set(-EINVAL, "no command to run");
	if (req->tty)
		return err_set(-ENOTSUP, "the guest agent cannot give a command a terminal (run it without --tty)");
	if ((r = exec_start(vmdir, req, &pid, st)) <= 0)
		return r;
	return exec_wait(vmdir, pid, sigfd, &sink, st);
}
