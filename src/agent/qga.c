/* SPDX-License-Identifier: MIT */
/* The QEMU guest agent connection: framing, deadlines, resync (see qga.h). */
#include "agent/qga.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/file.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/jsonfile.h"
#include "util/proc.h"
#include "util/sock.h"
#include "util/text.h"
#include "util/trace.h"

#define READ_CHUNK (64u << 10)
#define SENTINEL   '\xff' /* never valid in JSON text: the agent's "reply follows" mark */

struct qga {
	int fd;
	int lock_fd;
	char *buf; /* received, not yet consumed */
	size_t len, cap;
	size_t scanned; /* bytes of buf known to hold no newline */
	bool need_sync;
	uint32_t next_id;
};

int qga_proto_error(int r)
{
	struct err_saved s;

	if (r != -EINVAL)
		return r;
	err_save(&s);
	s.code = -EPROTO;
	return err_restore(&s);
}

static int remaining_ms(uint64_t deadline)
{
	uint64_t now = proc_now_ms();
	return deadline > now ? (int)(deadline - now) : 0;
}

/* Read what is there (waiting until deadline for something).  -ETIMEDOUT,
 * -ECONNRESET (the agent's end closed) or another -errno, not recorded. */
static int read_more(struct qga *g, uint64_t deadline)
{
	struct pollfd pf = { g->fd, POLLIN, 0 };
	ssize_t n;

	if (g->cap - g->len < READ_CHUNK) {
		size_t want = g->cap * 2 > g->len + READ_CHUNK ? g->cap * 2 : g->len + READ_CHUNK;
		char *nb = realloc(g->buf, want);
		if (!nb)
			return -ENOMEM;
		g->buf = nb;
		g->cap = want;
	}
	for (;;) {
		int k = poll(&pf, 1, remaining_ms(deadline));
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		if (k == 0)
			return -ETIMEDOUT;
		n = read(g->fd, g->buf + g->len, READ_CHUNK);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ECONNRESET;
		g->len += (size_t)n;
		return 0;
	}
}

static void consume(struct qga *g, size_t n)
{
	memmove(g->buf, g->buf + n, g->len - n);
	g->len -= n;
	g->scanned = 0;
}

/* The next reply: one JSON object on one line.  Blank lines are skipped.
 * Errors are recorded. */
static int read_reply(struct qga *g, uint64_t deadline, const char *what, struct json_object **out)
{
	*out = NULL;
	for (;;) {
		char *nl = g->len > g->scanned ? memchr(g->buf + g->scanned, '\n', g->len - g->scanned) : NULL;
		g->scanned = g->len;
		if (nl) {
			size_t n = (size_t)(nl - g->buf);
			size_t sp = 0;
			int r = 0;
			while (sp < n && (g->buf[sp] == ' ' || g->buf[sp] == '\t' || g->buf[sp] == '\r'))
				sp++;
			trace_data("agent", "recv", g->buf, n);
			if (n > QGA_REPLY_MAX)
				r = err_set(-EMSGSIZE, "%s: the reply is larger than %u MiB", what,
					    QGA_REPLY_MAX >> 20);
			else if (memchr(g->buf, '\0', n))
				r = err_set(-EPROTO, "%s: the reply holds a NUL byte", what);
			else if (sp < n && (r = json_parse_object(g->buf, n, what, out)) < 0)
				r = err_set(-EPROTO, "%s: the reply is not a JSON object", what);
			consume(g, n + 1);
			if (r < 0 || sp < n)
				return r;
			continue;
		}
		if (g->len > QGA_REPLY_MAX)
			return err_set(-EMSGSIZE, "%s: the reply is larger than %u MiB", what, QGA_REPLY_MAX >> 20);
		int r = read_more(g, deadline);
		if (r == -ETIMEDOUT)
			return err_set(r, "%s: the guest agent did not answer in time", what);
		if (r == -ECONNRESET)
			return err_set(r, "%s: the guest agent's port closed", what);
		if (r < 0)
			return err_errno(r, "%s: reading from the guest agent", what);
	}
}

static int send_text(struct qga *g, const char *text, size_t n, uint64_t deadline)
{
	trace_data("agent", "send", text, n);
	while (n > 0) {
		struct pollfd pf = { g->fd, POLLOUT, 0 };
		ssize_t k = send(g->fd, text, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && errno == EAGAIN) {
			int p = poll(&pf, 1, remaining_ms(deadline));
			if (p == 0)
				return err_set(-ETIMEDOUT, "the guest agent does not take input (its port is full)");
			continue;
		}
		if (k < 0)
			return err_errno(-errno, "write to the guest agent");
		text += k;
		n -= (size_t)k;
	}
	return 0;
}

static int send_command(struct qga *g, const char *command, struct json_object *args, bool sentinel, uint64_t deadline)
{
	_cleanup_json_ struct json_object *o = json_object_new_object();
	_cleanup_free_ char *text = NULL;
	const char *s;
	int n;

	if (!o || json_object_object_add(o, "execute", json_object_new_string(command)) < 0 ||
	    (args && json_object_object_add(o, "arguments", json_object_get(args)) < 0) ||
	    !(s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN)))
		return err_set(-ENOMEM, "out of memory");
	/* a 0xFF first resets the agent's parser from any half-sent command */
	if ((n = asprintf(&text, "%s%s\n", sentinel ? "\xff" : "", s)) < 0) {
		text = NULL;
		return err_set(-ENOMEM, "out of memory");
	}
	return send_text(g, text, (size_t)n, deadline);
}

static uint32_t fresh_id(struct qga *g)
{
	g->next_id = (g->next_id + 1) & 0x7fffffff;
	if (g->next_id == 0)
		g->next_id = 1;
	return g->next_id;
}

int qga_sync(struct qga *g, int timeout_ms)
{
	uint64_t deadline = proc_now_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
	uint32_t id = fresh_id(g);
	_cleanup_json_ struct json_object *args = json_object_new_object();
	bool garbage = false;
	int r;

	g->need_sync = true;
	if (!args || json_object_object_add(args, "id", json_object_new_int64(id)) < 0)
		return err_set(-ENOMEM, "out of memory");
	if ((r = send_command(g, "guest-sync-delimited", args, true, deadline)) < 0)
		return r;
	for (;;) {
		_cleanup_json_ struct json_object *o = NULL;
		char *ff = g->len ? memchr(g->buf, SENTINEL, g->len) : NULL;
		int64_t got;
		if (!ff) {
			/* all before the mark is stale output of earlier commands */
			garbage |= g->len > 0;
			g->len = 0;
			g->scanned = 0;
			r = read_more(g, deadline);
			if (r == -ETIMEDOUT)
				return err_set(r, "the guest agent did not answer guest-sync-delimited within %d ms%s",
					       timeout_ms, garbage ? " (it sent other data)" : "");
			if (r == -ECONNRESET)
				return err_set(r, "the guest agent's port closed");
			if (r < 0)
				return err_errno(r, "reading from the guest agent");
			continue;
		}
		consume(g, (size_t)(ff - g->buf) + 1);
		if ((r = read_reply(g, deadline, "guest-sync-delimited", &o)) < 0) {
			if (r != -EPROTO)
				return r;
			garbage = true;
			continue; /* an older sync's garbled reply: ours has its own mark */
		}
		if (json_get_int64(o, "return", "guest-sync-delimited reply", &got) == 0 && got == id) {
			g->need_sync = false;
			err_clear();
			trace_printf("agent", "in sync (id %u)", id);
			return 0;
		}
		garbage = true;
		err_clear();
	}
}

struct qga_error {
	const char *class;
	const char *desc;
};

static int reply_error(struct json_object *e, const char *command)
{
	static const struct json_field fields[] = {
		JSON_FIELD("class", JSON_STR, 0, struct qga_error, class),
		JSON_FIELD("desc", JSON_STR, 0, struct qga_error, desc),
		JSON_FIELD_END,
	};
	struct qga_error qe = { 0 };
	char desc[512];
	int r;

	if ((r = json_dispatch(e, fields, &qe, "guest agent error", 0)) < 0)
		return err_prefix(qga_proto_error(r), "%s", command);
	text_sanitize(desc, sizeof(desc), qe.desc ? qe.desc : "(no description)",
		      qe.desc ? strlen(qe.desc) : strlen("(no description)"), 0);
	r = qe.class && (!strcmp(qe.class, "CommandNotFound") || !strcmp(qe.class, "CommandDisabled")) ? -EOPNOTSUPP
												       : -EIO;
	return err_set(r, "guest agent: %s: %s", command, desc);
}

/* Sort a reply: {"return": X} (X to *ret) or {"error": {...}}. */
static int reply_take(struct json_object *o, const char *command, struct json_object **ret)
{
	struct json_object *v;

	if (json_object_object_get_ex(o, "return", &v)) {
		if (ret)
			*ret = json_object_get(v);
		return 0;
	}
	if (json_get_object(o, "error", "guest agent reply", &v) == 0)
		return reply_error(v, command);
	return err_set(-EPROTO, "guest agent: %s: a reply with neither \"return\" nor \"error\"", command);
}

static int ensure_sync(struct qga *g, uint64_t deadline)
{
	if (g->len > 0)
		g->need_sync = true; /* unasked-for output */
	if (!g->need_sync)
		return 0;
	int ms = remaining_ms(deadline);
	return qga_sync(g, ms < QGA_SYNC_TIMEOUT_MS ? ms : QGA_SYNC_TIMEOUT_MS);
}

int qga_execute(struct qga *g, const char *command, struct json_object *args, int timeout_ms, struct json_object **ret)
{
	uint64_t deadline = proc_now_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
	_cleanup_json_ struct json_object *o = NULL;
	int r;

	if (ret)
		*ret = NULL;
	if ((r = ensure_sync(g, deadline)) < 0 || (r = send_command(g, command, args, false, deadline)) < 0)
		return r;
	if ((r = read_reply(g, deadline, command, &o)) < 0) {
		g->need_sync = true; /* a late or partial reply must not answer the next command */
		return r;
	}
	if ((r = reply_take(o, command, ret)) == -EPROTO)
		g->need_sync = true;
	return r;
}

int qga_execute_noreply(struct qga *g, const char *command, struct json_object *args, int wait_ms)
{
	uint64_t deadline = proc_now_ms() + (uint64_t)(wait_ms > 0 ? wait_ms : 0);
	_cleanup_json_ struct json_object *o = NULL;
	int r;

	if ((r = ensure_sync(g, proc_now_ms() + QGA_SYNC_TIMEOUT_MS)) < 0 ||
	    (r = send_command(g, command, args, false, proc_now_ms() + QGA_SYNC_TIMEOUT_MS)) < 0)
		return r;
	g->need_sync = true;
	r = read_reply(g, deadline, command, &o);
	if (r == -ETIMEDOUT || r == -ECONNRESET) {
		err_clear();
		return 0; /* no news is good news: success has no reply */
	}
	if (r < 0)
		return r;
	return reply_take(o, command, NULL);
}

int qga_open_fd(int fd, int sync_ms, struct qga **out)
{
	struct qga *g = calloc(1, sizeof(*g));
	int r;

	*out = NULL;
	if (!g) {
		close(fd);
		return err_set(-ENOMEM, "out of memory");
	}
	g->fd = fd;
	g->lock_fd = -1;
	g->need_sync = true;
	if (getrandom(&g->next_id, sizeof(g->next_id), GRND_NONBLOCK) != sizeof(g->next_id))
		g->next_id = (uint32_t)getpid() ^ (uint32_t)proc_now_ms();
	if ((r = qga_sync(g, sync_ms)) < 0) {
		qga_close(g);
		return r;
	}
	*out = g;
	return 0;
}

static int lock_within(int vmdir, int lock_ms, int *fd)
{
	uint64_t deadline = proc_now_ms() + (uint64_t)(lock_ms > 0 ? lock_ms : 0);
	int r;

	while ((r = fs_lock_at(vmdir, "agent.lock", false, fd)) == -EWOULDBLOCK) {
		if (remaining_ms(deadline) == 0)
			return err_set(-EBUSY, "another hv command is talking to the guest agent");
		proc_sleep_ms(50);
	}
	return r;
}

int qga_open_at(int vmdir, int lock_ms, int sync_ms, struct qga **out)
{
	_cleanup_close_ int lock = -1;
	int fd, r;

	*out = NULL;
	/* no port: no lock file left behind either */
	if (!fs_exists_at(vmdir, "agent.sock"))
		return err_set(-ENOENT, "the VM has no guest agent port (it is not running, or was made without one)");
	if ((r = lock_within(vmdir, lock_ms, &lock)) < 0)
		return r;
	if ((r = sock_connect_at(vmdir, "agent.sock", &fd)) < 0)
		return r == -ENOENT || r == -ECONNREFUSED
			   ? err_set(r, "the VM has no guest agent port (it is not running, or was made without one)")
			   : r;
	if ((r = qga_open_fd(fd, sync_ms, out)) < 0)
		return r == -ETIMEDOUT ? err_prefix(r, "no guest agent answers (install qemu-guest-agent in the guest)")
				       : r;
	(*out)->lock_fd = TAKE_FD(lock);
	return 0;
}

void qga_close(struct qga *g)
{
	if (!g)
		return;
	if (g->fd >= 0)
		close(g->fd);
	if (g->lock_fd >= 0)
		close(g->lock_fd);
	free(g->buf);
	free(g);
}
