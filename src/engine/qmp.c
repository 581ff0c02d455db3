/* SPDX-License-Identifier: MIT */
#include "engine/qmp.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/err.h"
#include "util/sock.h"
#include "util/json.h"
#include "util/jsonfile.h"
#include "util/proc.h"
#include "util/trace.h"

int qmp_parser_init(struct qmp_parser *p)
{
	p->tok = json_tokener_new_ex(64);
	p->pending = 0;
	p->broken = false;
	return p->tok ? 0 : -ENOMEM;
}

void qmp_parser_free(struct qmp_parser *p)
{
	if (p->tok)
		json_tokener_free(p->tok);
	p->tok = NULL;
}

int qmp_parser_feed(struct qmp_parser *p, const char *data, size_t n, void (*cb)(struct json_object *obj, void *ctx),
		    void *ctx)
{
	while (n > 0) {
		struct json_object *obj;
		enum json_tokener_error e;
		size_t used;

		if (p->broken)
			return -EPROTO;
		/* skip the CRLF separators between messages */
		if (p->pending == 0 && (*data == '\r' || *data == '\n' || *data == ' ')) {
			data++;
			n--;
			continue;
		}
		obj = json_tokener_parse_ex(p->tok, data, (int)(n > 65536 ? 65536 : n));
		e = json_tokener_get_error(p->tok);
		used = json_tokener_get_parse_end(p->tok);
		if (used == 0 && !obj && e != json_tokener_continue)
			used = 1;
		data += used;
		n -= used;
		if (e == json_tokener_continue) {
			p->pending += used;
			if (p->pending > QMP_MESSAGE_MAX) {
				p->broken = true;
				return err_set(-EPROTO, "QMP message larger than %d bytes", QMP_MESSAGE_MAX);
			}
			continue;
		}
		p->pending = 0;
		if (e != json_tokener_success || !obj) {
			p->broken = true;
			return err_set(-EPROTO, "malformed QMP message: %s", json_tokener_error_desc(e));
		}
		json_tokener_reset(p->tok);
		if (!json_object_is_type(obj, json_type_object)) {
			json_object_put(obj);
			p->broken = true;
			return err_set(-EPROTO, "QMP message is not a JSON object");
		}
		cb(obj, ctx);
	}
	return 0;
}

struct qmp {
	int fd;
	struct qmp_parser parser;
	struct json_object **queue; /* replies and events not yet taken */
	size_t nqueue, capqueue;
	unsigned next_id;
	bool eof;
	bool attached; /* qmp_attach_fd: answer the greeting as it arrives */
	bool greeted;
	bool caps_sent;	  /* qmp_connect_at: qmp_capabilities went out before the greeting */
	unsigned caps_id; /* attached: the qmp_capabilities reply nobody waits for */
};

static int send_all(int fd, const char *s, size_t n);
static int send_command(struct qmp *q, const char *command, struct json_object *args, unsigned id);

static bool is_reply_id(struct json_object *o, unsigned want)
{
	struct json_object *id;

	if (!json_object_object_get_ex(o, "id", &id) || !json_object_is_type(id, json_type_int))
		return false;
	return (unsigned)json_object_get_int64(id) == want;
}

static void enqueue(struct json_object *obj, void *ctx)
{
	struct qmp *q = ctx;

	if (trace_enabled()) {
		const char *text = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN);
		trace_data("qmp", "recv", text, strlen(text));
	}
	if (q->attached && json_object_object_get_ex(obj, "QMP", NULL)) {
		/* the handshake of a connection driven by the caller's own loop */
		q->greeted = true;
		if (!q->caps_sent) {
			q->caps_id = q->next_id++;
			send_command(q, "qmp_capabilities", NULL, q->caps_id);
		}
		json_object_put(obj);
		return;
	}
	if (q->attached && q->caps_id && is_reply_id(obj, q->caps_id)) {
		json_object_put(obj);
		return;
	}
	if (q->nqueue == q->capqueue) {
		size_t cap = q->capqueue ? q->capqueue * 2 : 8;
		struct json_object **nq = realloc(q->queue, cap * sizeof(*nq));
		if (!nq) {
			json_object_put(obj);
			return;
		}
		q->queue = nq;
		q->capqueue = cap;
	}
	q->queue[q->nqueue++] = obj;
}

/* Read once (waiting up to timeout_ms) and parse what arrived. */
static int fill(struct qmp *q, int timeout_ms)
{
	struct pollfd pf = { q->fd, POLLIN, 0 };
	char buf[16384];
	ssize_t n;
	int r;

	if (q->eof)
		return err_set(-ECONNRESET, "QEMU closed the QMP connection");
	r = poll(&pf, 1, timeout_ms);
	if (r < 0)
		return errno == EINTR ? 0 : err_errno(-errno, "poll on QMP socket");
	if (r == 0)
		return timeout_ms == 0 ? -ETIMEDOUT
				       : err_set(-ETIMEDOUT, "QEMU did not answer on QMP within %d ms", timeout_ms);
	n = read(q->fd, buf, sizeof(buf));
	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : err_errno(-errno, "read from QMP socket");
	if (n == 0) {
		q->eof = true;
		return err_set(-ECONNRESET, "QEMU closed the QMP connection");
	}
	return qmp_parser_feed(&q->parser, buf, (size_t)n, enqueue, q);
}

/* Remove and return the first queued message satisfying pred. */
static struct json_object *take(struct qmp *q, bool (*pred)(struct json_object *, const void *), const void *arg)
{
	for (size_t i = 0; i < q->nqueue; i++) {
		struct json_object *o = q->queue[i];
		if (!pred(o, arg))
			continue;
		memmove(&q->queue[i], &q->queue[i + 1], (q->nqueue - i - 1) * sizeof(*q->queue));
		q->nqueue--;
		return o;
	}
	return NULL;
}

static bool is_event(struct json_object *o, const void *arg)
{
	(void)arg;
	return json_object_object_get_ex(o, "event", NULL);
}

static bool is_greeting(struct json_object *o, const void *arg)
{
	(void)arg;
	return json_object_object_get_ex(o, "QMP", NULL);
}

static bool is_reply_to(struct json_object *o, const void *arg)
{
	return is_reply_id(o, *(const unsigned *)arg);
}

/* Wait until take(pred) succeeds or the deadline passes. */
static int wait_for(struct qmp *q, bool (*pred)(struct json_object *, const void *), const void *arg, int timeout_ms,
		    struct json_object **out)
{
	uint64_t deadline = proc_now_ms() + (uint64_t)(timeout_ms < 0 ? 0 : timeout_ms);
	bool tried = false;

	for (;;) {
		int left, r;
		*out = take(q, pred, arg);
		if (*out)
			return 0;
		left = timeout_ms < 0 ? -1 : (int)(deadline > proc_now_ms() ? deadline - proc_now_ms() : 0);
		/* even with no time left, look once at what is already readable */
		if (timeout_ms >= 0 && left == 0 && tried)
			return timeout_ms == 0
				   ? -ETIMEDOUT
				   : err_set(-ETIMEDOUT, "QEMU did not answer on QMP within %d ms", timeout_ms);
		tried = true;
		r = fill(q, left);
		if (r < 0)
			return r;
	}
}

static int qmp_new(int fd, struct qmp **out)
{
	struct qmp *q = calloc(1, sizeof(*q));
	int r;

	if (!q) {
		close(fd);
		return err_set(-ENOMEM, "out of memory for a QMP connection");
	}
	q->fd = fd;
	q->next_id = 1;
	if ((r = qmp_parser_init(&q->parser)) < 0) {
		qmp_close(q); /* closes fd */
		return err_set(r, "out of memory for a QMP connection");
	}
	*out = q;
	return 0;
}

int qmp_open_fd(int fd, int timeout_ms, struct qmp **out)
{
	struct json_object *greeting = NULL;
	struct qmp *q;
	int r;

	*out = NULL;
	if ((r = qmp_new(fd, &q)) < 0)
		return err_prefix(r, "QMP handshake");
	r = wait_for(q, is_greeting, NULL, timeout_ms, &greeting);
	json_object_put(greeting);
	if (r == 0)
		r = qmp_execute(q, "qmp_capabilities", NULL, NULL, timeout_ms);
	if (r < 0) {
		qmp_close(q); /* the fd is ours now: closed exactly once, here */
		return err_prefix(r, "QMP handshake");
	}
	*out = q;
	return 0;
}

int qmp_attach_fd(int fd, struct qmp **out)
{
	int r = qmp_new(fd, out);

	if (r == 0)
		(*out)->attached = true;
	return r;
}

bool qmp_greeted(const struct qmp *q)
{
	return q->greeted;
}

int qmp_open_at(int dirfd, const char *name, int timeout_ms, struct qmp **out)
{
	int fd, r;

	*out = NULL;
	if ((r = sock_connect_at(dirfd, name, &fd)) < 0)
		return err_prefix(r, "QMP socket");
	return qmp_open_fd(fd, timeout_ms, out);
}

int qmp_connect_at(int dirfd, const char *name, struct qmp **out)
{
	int fd, r;

	*out = NULL;
	if ((r = sock_connect_at(dirfd, name, &fd)) < 0)
		return err_prefix(r, "QMP socket");
	if ((r = qmp_attach_fd(fd, out)) < 0)
		return r;
	/* QEMU reads what was sent before its greeting once it has greeted */
	(*out)->caps_sent = true;
	(*out)->caps_id = (*out)->next_id++;
	if ((r = send_command(*out, "qmp_capabilities", NULL, (*out)->caps_id)) < 0) {
		qmp_close(*out);
		*out = NULL;
		return err_prefix(r, "QMP handshake");
	}
	return 0;
}

int qmp_pump(struct qmp *q)
{
	int r;

	while ((r = fill(q, 0)) == 0)
		; /* everything readable now, then -ETIMEDOUT (nothing recorded) */
	return r == -ETIMEDOUT ? 0 : r;
}

int qmp_open_path(const char *path, int timeout_ms, struct qmp **out)
{
	_cleanup_free_ char *dir = NULL;
	_cleanup_close_ int dfd = -1;
	const char *base = strrchr(path, '/');
	int r;

	*out = NULL;
	if (!(dir = base ? strndup(path, base == path ? 1 : (size_t)(base - path)) : strdup(".")))
		return err_set(-ENOMEM, "out of memory");
	dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return err_errno(-errno, "cannot open %s", dir);
	r = qmp_open_at(dfd, base ? base + 1 : path, timeout_ms, out);
	return r < 0 ? err_prefix(r, "%s", path) : 0;
}

void qmp_close(struct qmp *q)
{
	if (!q)
		return;
	for (size_t i = 0; i < q->nqueue; i++)
		json_object_put(q->queue[i]);
	free(q->queue);
	qmp_parser_free(&q->parser);
	if (q->fd >= 0)
		close(q->fd);
	free(q);
}

int qmp_fd(const struct qmp *q)
{
	return q->fd;
}

bool qmp_queued(const struct qmp *q)
{
	for (size_t i = 0; q && i < q->nqueue; i++)
		if (json_object_object_get_ex(q->queue[i], "event", NULL))
			return true;
	return false;
}

static int send_all(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t k = send(fd, s, n, MSG_NOSIGNAL);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return err_errno(-errno, "write to QMP socket");
		}
		s += k;
		n -= (size_t)k;
	}
	return 0;
}

static int send_text(struct qmp *q, const char *text, size_t n)
{
	trace_data("qmp", "send", text, n);
	return send_all(q->fd, text, n);
}

static int send_command(struct qmp *q, const char *command, struct json_object *args, unsigned id)
{
	_cleanup_json_ struct json_object *msg = json_object_new_object();
	_cleanup_free_ char *line = NULL;

	if (!msg || json_object_object_add(msg, "execute", json_object_new_string(command)) < 0 ||
	    (args && json_object_object_add(msg, "arguments", json_object_get(args)) < 0) ||
	    json_object_object_add(msg, "id", json_object_new_int64(id)) < 0)
		return err_set(-ENOMEM, "out of memory for a QMP command");
	if (asprintf(&line, "%s\n", json_object_to_json_string_ext(msg, JSON_C_TO_STRING_PLAIN)) < 0)
		return err_set(-ENOMEM, "out of memory for a QMP command");
	return send_text(q, line, strlen(line));
}

/* {"error": {"class": ..., "desc": ...}} (qmp-spec 2.4.2) as a message. */
static int reply_error(struct json_object *err, const char *command)
{
	const char *desc = NULL;

	if (json_get_str(err, "desc", "QMP error reply", &desc) < 0)
		err_clear();
	return err_set(-EIO, "QEMU refused %s: %s", command, desc ? desc : "no description given");
}

int qmp_send(struct qmp *q, const char *command, struct json_object *args, unsigned *id)
{
	int r;

	*id = q->next_id++;
	if ((r = send_command(q, command, args, *id)) < 0)
		return err_prefix(r, "QMP %s", command);
	return 0;
}

bool qmp_has_reply(const struct qmp *q, unsigned id)
{
	for (size_t i = 0; i < q->nqueue; i++)
		if (is_reply_id(q->queue[i], id))
			return true;
	return false;
}

int qmp_execute(struct qmp *q, const char *command, struct json_object *args, struct json_object **ret, int timeout_ms)
{
	unsigned id;
	int r;

	if (ret)
		*ret = NULL;
	if ((r = qmp_send(q, command, args, &id)) < 0)
		return r;
	return qmp_await(q, id, command, ret, timeout_ms);
}

int qmp_await(struct qmp *q, unsigned id, const char *command, struct json_object **ret, int timeout_ms)
{
	struct json_object *reply = NULL, *v;
	int r;

	if (ret)
		*ret = NULL;
	r = wait_for(q, is_reply_to, &id, timeout_ms, &reply);
	if (r < 0)
		return err_prefix(r, "QMP %s", command);
	if (json_object_object_get_ex(reply, "error", &v))
		r = reply_error(v, command);
	else if (!json_object_object_get_ex(reply, "return", &v))
		r = err_set(-EPROTO, "QMP %s: the reply has neither \"return\" nor \"error\"", command);
	else if (ret)
		*ret = json_object_get(v);
	json_object_put(reply);
	return r;
}

int qmp_send_fd(struct qmp *q, int fd, const char *name, int timeout_ms)
{
	char text[256], cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	unsigned id = q->next_id++;
	struct json_object *reply = NULL, *v;
	struct iovec iov;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	int r, n;

	n = snprintf(text, sizeof(text), "{\"execute\":\"getfd\",\"arguments\":{\"fdname\":\"%s\"},\"id\":%u}\n", name,
		     id);
	if (n < 0 || (size_t)n >= sizeof(text) || strpbrk(name, "\"\\"))
		return err_set(-EINVAL, "bad fd name");
	iov = (struct iovec){ text, (size_t)n };
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	trace_data("qmp", "send", text, (size_t)n);
	/* the fd rides on the first byte: send the whole message at once */
	while ((r = (int)sendmsg(q->fd, &msg, MSG_NOSIGNAL)) < 0 && errno == EINTR)
		;
	if (r != n)
		return err_errno(r < 0 ? -errno : -EIO, "cannot pass a file to QEMU");
	if ((r = wait_for(q, is_reply_to, &id, timeout_ms, &reply)) < 0)
		return err_prefix(r, "QMP getfd");
	if (json_object_object_get_ex(reply, "error", &v))
		r = reply_error(v, "the file (getfd)");
	json_object_put(reply);
	return r;
}

int qmp_next_event(struct qmp *q, int timeout_ms, struct json_object **event)
{
	return wait_for(q, is_event, NULL, timeout_ms, event);
}
