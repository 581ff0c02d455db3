/* SPDX-License-Identifier: MIT */
#include "engine/qmp.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/err.h"
#include "util/proc.h"

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
};

static void enqueue(struct json_object *obj, void *ctx)
{
	struct qmp *q = ctx;

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
		return err_set(-ETIMEDOUT, "QEMU did not answer on QMP within %d ms", timeout_ms);
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
	struct json_object *id;

	if (!json_object_object_get_ex(o, "id", &id) || !json_object_is_type(id, json_type_int))
		return false;
	return (unsigned)json_object_get_int64(id) == *(const unsigned *)arg;
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
			return err_set(-ETIMEDOUT, "QEMU did not answer on QMP within %d ms", timeout_ms);
		tried = true;
		r = fill(q, left);
		if (r < 0)
			return r;
	}
}

int qmp_open_fd(int fd, int timeout_ms, struct qmp **out)
{
	struct qmp *q = calloc(1, sizeof(*q));
	struct json_object *greeting = NULL;
	int r;

	if (!q)
		return -ENOMEM;
	q->fd = fd;
	q->next_id = 1;
	r = qmp_parser_init(&q->parser);
	if (r == 0)
		r = wait_for(q, is_greeting, NULL, timeout_ms, &greeting);
	json_object_put(greeting);
	if (r == 0)
		r = qmp_execute(q, "qmp_capabilities", NULL, NULL, timeout_ms);
	if (r < 0) {
		qmp_close(q);
		return err_prefix(r, "QMP handshake");
	}
	*out = q;
	return 0;
}

int qmp_open_path(const char *path, int timeout_ms, struct qmp **out)
{
	_cleanup_close_ int dfd = -1;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[4096];
	const char *base = strrchr(path, '/');
	int fd, r;

	/* sun_path holds 108 bytes; reach the socket through its folder */
	if (base) {
		snprintf(dir, sizeof(dir), "%.*s", (int)(base - path) ?: 1, path);
		base++;
		dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0)
			return err_errno(-errno, "cannot open %s", dir);
		snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/%s", dfd, base);
	} else {
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	}
	if (strlen(base ? base : path) > 70)
		return err_set(-ENAMETOOLONG, "socket name too long: %s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return err_errno(-errno, "socket");
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		close(fd);
		return err_errno(r, "cannot connect to QMP socket %s", path);
	}
	r = qmp_open_fd(fd, timeout_ms, out);
	if (r < 0)
		close(fd);
	return r;
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

int qmp_execute(struct qmp *q, const char *command, struct json_object *args, struct json_object **ret, int timeout_ms)
{
	struct json_object *msg = json_object_new_object(), *reply = NULL, *v;
	unsigned id = q->next_id++;
	const char *text;
	int r;

	if (!msg)
		return -ENOMEM;
	json_object_object_add(msg, "execute", json_object_new_string(command));
	if (args)
		json_object_object_add(msg, "arguments", json_object_get(args));
	json_object_object_add(msg, "id", json_object_new_int64(id));
	text = json_object_to_json_string_ext(msg, JSON_C_TO_STRING_PLAIN);
	r = send_all(q->fd, text, strlen(text));
	if (r == 0)
		r = send_all(q->fd, "\n", 1);
	json_object_put(msg);
	if (r < 0)
		return r;
	r = wait_for(q, is_reply_to, &id, timeout_ms, &reply);
	if (r < 0)
		return err_prefix(r, "QMP %s", command);
	if (json_object_object_get_ex(reply, "error", &v)) {
		struct json_object *desc = NULL;
		json_object_object_get_ex(v, "desc", &desc);
		r = err_set(-EIO, "QEMU refused %s: %s", command,
			    desc ? json_object_get_string(desc) : "unknown error");
	} else if (ret) {
		*ret = json_object_object_get_ex(reply, "return", &v) ? json_object_get(v) : NULL;
	}
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

	n = snprintf(text, sizeof(text), "{\"execute\":\"getfd\",\"arguments\":{\"fdname\":\"%s\"},\"id\":%u}\n", name, id);
	if (n < 0 || (size_t)n >= sizeof(text) || strpbrk(name, "\"\\"))
		return err_set(-EINVAL, "bad fd name");
	iov = (struct iovec){ text, (size_t)n };
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	/* the fd rides on the first byte: send the whole message at once */
	while ((r = (int)sendmsg(q->fd, &msg, MSG_NOSIGNAL)) < 0 && errno == EINTR)
		;
	if (r != n)
		return err_errno(r < 0 ? -errno : -EIO, "cannot pass a file to QEMU");
	if ((r = wait_for(q, is_reply_to, &id, timeout_ms, &reply)) < 0)
		return err_prefix(r, "QMP getfd");
	if (json_object_object_get_ex(reply, "error", &v))
		r = err_set(-EIO, "QEMU refused the file: %s", json_object_get_string(json_object_object_get(v, "desc")));
	json_object_put(reply);
	return r;
}

int qmp_next_event(struct qmp *q, int timeout_ms, struct json_object **event)
{
	return wait_for(q, is_event, NULL, timeout_ms, event);
}
