/* SPDX-License-Identifier: MIT */
/* The JSON-lines link between the two ends of a migration (see peer.h). */
#include "migration/peer.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "remote/ssh.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/jsonfile.h"
#include "util/proc.h"
#include "util/trace.h"

/* How the destination's hv starts, with map as its stdin, stdout and
 * stderr. */
struct starter {
	const char *home, *name;      /* local */
	const struct remote_url *url; /* over ssh */
};

static int start(struct peer *p, const struct starter *s, const struct spawn_fd *map)
{
	const char *args[5] = { "__migrate-in" };
	struct remote_spawn_opts so = { .batch = true, .new_pgrp = true };

	if (!s->url) {
		char *argv[] = { "/proc/self/exe", "__migrate-in", "--home", (char *)s->home, (char *)s->name, NULL };
		return proc_spawn(argv, map, 3, NULL, false, &p->pid);
	}
	if (s->url->home) {
		args[1] = "--home";
		args[2] = s->url->home;
		args[3] = s->name;
	} else {
		args[1] = s->name;
	}
	if (!(p->ssh = calloc(1, sizeof(*p->ssh))))
		return err_set(-ENOMEM, "out of memory");
	return remote_spawn(s->url, &so, (char *const *)args, map, 3, p->ssh);
}

/* The destination's hv with a pipe pair to its stdin and stdout. */
static int spawn(struct peer *p, const struct starter *s)
{
	int to[2] = { -1, -1 }, from[2] = { -1, -1 }, r;

	memset(p, 0, sizeof(*p));
	p->in = p->out = -1;
	p->what = "the destination";
	if (pipe2(to, O_CLOEXEC) < 0 || pipe2(from, O_CLOEXEC) < 0) {
		r = err_errno(-errno, "cannot reach the destination");
	} else {
		struct spawn_fd map[] = { { to[0], 0 }, { from[1], 1 }, { 2, 2 } };
		r = start(p, s, map);
	}
	if (r == 0) {
		close(to[0]);
		close(from[1]);
		p->out = to[1];
		p->in = from[0];
		return 0;
	}
	free(p->ssh);
	p->ssh = NULL;
	for (int i = 0; i < 2; i++) {
		if (to[i] >= 0)
			close(to[i]);
		if (from[i] >= 0)
			close(from[i]);
	}
	return r;
}

int peer_spawn_local(const char *home, const char *name, struct peer *p)
{
	struct starter s = { .home = home, .name = name };

	return spawn(p, &s);
}

int peer_spawn_ssh(const struct remote_url *u, const char *name, struct peer *p)
{
	struct starter s = { .name = name, .url = u };

	return spawn(p, &s);
}

/* The other end closed its side: when ssh ran it, ssh may say why. */
static int gone(struct peer *p)
{
	int r;

	if (p->ssh && p->ssh->pid > 0 && (r = remote_reap(p->ssh, 3000, NULL)) < 0)
		return r;
	return err_set(-ECONNRESET, "%s went away", p->what);
}

void peer_init_fds(struct peer *p, int in, int out, const char *what)
{
	memset(p, 0, sizeof(*p));
	p->in = in;
	p->out = out;
	p->what = what;
}

int peer_send(struct peer *p, const char *op, struct json_object *obj)
{
	_cleanup_json_ struct json_object *o = obj ? obj : json_object_new_object();
	_cleanup_free_ char *line = NULL;
	int r;

	if (!o || json_object_object_add(o, "op", json_object_new_string(op)) < 0)
		return err_set(-ENOMEM, "out of memory");
	if (asprintf(&line, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN)) < 0) {
		line = NULL;
		return err_set(-ENOMEM, "out of memory");
	}
	trace_data("migrate", "send", line, strlen(line));
	/* the other end may be gone: that is an error, not SIGPIPE */
	{
		sigset_t pipe_set, old;
		struct timespec zero = { 0, 0 };
		sigemptyset(&pipe_set);
		sigaddset(&pipe_set, SIGPIPE);
		pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
		r = write_all(p->out, line, strlen(line));
		if (r == -EPIPE)
			sigtimedwait(&pipe_set, NULL, &zero);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	return r < 0 ? err_errno(r, "cannot talk to %s", p->what) : 0;
}

void peer_send_error(struct peer *p)
{
	struct json_object *o = json_object_new_object();
	const char *msg = err_msg()[0] ? err_msg() : "failed";

	if (o)
		json_object_object_add(o, "message", json_object_new_string(msg));
	peer_send(p, "error", o);
}

bool peer_has_line(const struct peer *p)
{
	return p->buf && memchr(p->buf, '\n', p->used);
}

static int read_line(struct peer *p, int timeout_ms, char **line)
{
	uint64_t deadline = timeout_ms < 0 ? 0 : proc_now_ms() + (uint64_t)timeout_ms;
	char *nl;

	if (!p->buf && !(p->buf = malloc(PEER_LINE_MAX)))
		return err_set(-ENOMEM, "out of memory");
	while (!(nl = memchr(p->buf, '\n', p->used))) {
		struct pollfd pf = { p->in, POLLIN, 0 };
		int left = -1;
		ssize_t n;
		if (p->used == PEER_LINE_MAX)
			return err_set(-EPROTO, "%s sent an overlong line", p->what);
		if (deadline) {
			uint64_t now = proc_now_ms();
			left = now >= deadline ? 0 : (int)(deadline - now);
		}
		if (poll(&pf, 1, left) == 0)
			return err_set(-ETIMEDOUT, "%s did not answer within %d s", p->what, timeout_ms / 1000);
		n = read(p->in, p->buf + p->used, PEER_LINE_MAX - p->used);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return gone(p);
		p->used += (size_t)n;
	}
	*nl = '\0';
	*line = strdup(p->buf);
	p->used -= (size_t)(nl + 1 - p->buf);
	memmove(p->buf, nl + 1, p->used);
	return *line ? 0 : err_set(-ENOMEM, "out of memory");
}

int peer_recv(struct peer *p, int timeout_ms, struct json_object **obj, const char **op)
{
	_cleanup_free_ char *line = NULL;
	const char *msg = NULL;
	int r;

	*obj = NULL;
	if ((r = read_line(p, timeout_ms, &line)) < 0)
		return r;
	trace_data("migrate", "recv", line, strlen(line));
	if ((r = json_parse_object(line, strlen(line), p->what, obj)) < 0)
		return r;
	if (json_need_str(*obj, "op", p->what, op) < 0) {
		json_object_put(*obj);
		*obj = NULL;
		return err_set(-EPROTO, "%s sent a message without an op", p->what);
	}
	if (!strcmp(*op, "error")) {
		r = json_get_str(*obj, "message", p->what, &msg) == 0 ? err_set(-EIO, "%s", msg)
								      : err_set(-EIO, "%s failed", p->what);
		json_object_put(*obj);
		*obj = NULL;
		return r;
	}
	return 0;
}

int peer_expect(struct peer *p, int timeout_ms, const char *want, struct json_object **obj)
{
	const char *op;
	int r = peer_recv(p, timeout_ms, obj, &op);

	if (r < 0)
		return r;
	if (strcmp(op, want)) {
		r = err_set(-EPROTO, "%s answered '%s' where '%s' was due", p->what, op, want);
		json_object_put(*obj);
		*obj = NULL;
	}
	return r;
}

void peer_close(struct peer *p, int wait_ms)
{
	if (p->out >= 0)
		close(p->out);
	if (p->in >= 0 && p->in != p->out)
		close(p->in);
	p->in = p->out = -1;
	if (p->pid > 0) {
		int st;
		uint64_t end = proc_now_ms() + (uint64_t)wait_ms;
		while (waitpid(p->pid, &st, WNOHANG) == 0) {
			if (proc_now_ms() >= end) {
				kill(p->pid, SIGKILL);
				waitpid(p->pid, &st, 0);
				break;
			}
			proc_sleep_ms(10);
		}
		p->pid = 0;
	}
	if (p->ssh) {
		struct err_saved e;
		err_save(&e); /* the reason given already stays */
		remote_reap(p->ssh, wait_ms, NULL);
		err_restore(&e);
		free(p->ssh);
		p->ssh = NULL;
	}
	free(p->buf);
	p->buf = NULL;
	p->used = 0;
}
