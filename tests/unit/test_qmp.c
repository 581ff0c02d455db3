/* SPDX-License-Identifier: MIT */
/* The QMP client against a session recorded from QEMU 7.2
 * (tests/unit/data/qmp-session.txt): framing at every split point, events
 * interleaved with replies, errors, timeouts and hostile input. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/qmp.h"
#include "t.h"
#include "util/err.h"
#include "util/fs.h"

#define SESSION "tests/unit/data/qmp-session.txt"

static char server_bytes[16384]; /* every S: line, CRLF-terminated */
static size_t server_len;
static char *lines[64];
static int nlines;

static void load_session(void)
{
	char *text = NULL;
	int r = fs_read_all(AT_FDCWD, SESSION, 1 << 20, &text, NULL);

	if (r < 0) {
		printf("FAIL cannot read %s\n", SESSION);
		exit(1);
	}
	for (char *l = strtok(text, "\n"); l && nlines < 64; l = strtok(NULL, "\n")) {
		if (l[0] == '#')
			continue;
		lines[nlines++] = l;
		if (!strncmp(l, "S: ", 3)) {
			size_t n = strlen(l + 3);
			memcpy(server_bytes + server_len, l + 3, n);
			server_len += n;
			memcpy(server_bytes + server_len, "\r\n", 2);
			server_len += 2;
		}
	}
}

struct collected {
	int n;
	char kinds[32][16];
};

static void collect(struct json_object *o, void *ctx)
{
	struct collected *c = ctx;
	struct json_object *v;
	const char *kind = json_object_object_get_ex(o, "event", &v)	  ? json_object_get_string(v)
			   : json_object_object_get_ex(o, "return", NULL) ? "return"
			   : json_object_object_get_ex(o, "error", NULL)  ? "error"
			   : json_object_object_get_ex(o, "QMP", NULL)	  ? "greeting"
									  : "?";
	if (c->n < 32)
		snprintf(c->kinds[c->n], sizeof(c->kinds[0]), "%s", kind);
	c->n++;
	json_object_put(o);
}

static const char *const expected[] = { "greeting", "return", "return", "STOP",	    "return",
					"RESUME",   "return", "error",	"SHUTDOWN", "return" };

static bool parse_in_chunks(size_t chunk)
{
	struct qmp_parser p;
	struct collected c = { 0 };
	bool ok = true;

	qmp_parser_init(&p);
	for (size_t off = 0; off < server_len; off += chunk) {
		size_t n = server_len - off < chunk ? server_len - off : chunk;
		if (qmp_parser_feed(&p, server_bytes + off, n, collect, &c) < 0)
			ok = false;
	}
	qmp_parser_free(&p);
	if (c.n != 10)
		return false;
	for (int i = 0; i < 10; i++)
		ok = ok && !strcmp(c.kinds[i], expected[i]);
	return ok;
}

static void framing(void)
{
	bool all = true;

	for (size_t chunk = 1; chunk <= server_len; chunk++)
		if (!parse_in_chunks(chunk)) {
			all = false;
			printf("  chunk size %zu failed\n", chunk);
			break;
		}
	CHECK(all, "the recorded session parses into the same 10 messages at every chunk size");
}

static void hostile(void)
{
	struct qmp_parser p;
	struct collected c = { 0 };
	static char big[QMP_MESSAGE_MAX + 4096];
	int r;

	qmp_parser_init(&p);
	r = qmp_parser_feed(&p, "{\"a\": }\r\n", 9, collect, &c);
	CHECK(r == -EPROTO && c.n == 0, "malformed JSON is refused (%d)", r);
	qmp_parser_free(&p);

	qmp_parser_init(&p);
	r = qmp_parser_feed(&p, "[1, 2]\r\n", 8, collect, &c);
	CHECK(r == -EPROTO && c.n == 0, "a message that is not an object is refused");
	qmp_parser_free(&p);

	qmp_parser_init(&p);
	big[0] = '{';
	strcpy(big + 1, "\"event\": \"");
	memset(big + 11, 'x', sizeof(big) - 12);
	r = 0;
	for (size_t off = 0; off < sizeof(big) - 1 && r == 0; off += 4096)
		r = qmp_parser_feed(&p, big + off, 4096, collect, &c);
	CHECK(r == -EPROTO && c.n == 0, "a message over %d bytes is refused", QMP_MESSAGE_MAX);
	qmp_parser_free(&p);
}

/* A fake QEMU: replays the recorded replies after each client line. */
static void fake_server(int fd, bool mute)
{
	char buf[4096];
	int i = 0;

	while (i < nlines && !strncmp(lines[i], "S: ", 3)) {
		dprintf(fd, "%s\r\n", lines[i] + 3);
		i++;
	}
	for (;;) {
		size_t used = 0;
		ssize_t n;
		while ((n = read(fd, buf + used, 1)) == 1 && buf[used] != '\n' && used < sizeof(buf) - 1)
			used++;
		if (n <= 0)
			break;
		if (mute)
			continue;
		while (i < nlines && !strncmp(lines[i], "C: ", 3))
			i++;
		while (i < nlines && !strncmp(lines[i], "S: ", 3)) {
			dprintf(fd, "%s\r\n", lines[i] + 3);
			i++;
		}
	}
	_exit(0);
}

static pid_t start_server(struct qmp **q, bool mute, int *rc)
{
	int sp[2];
	pid_t pid;

	socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp);
	pid = fork();
	if (pid == 0) {
		close(sp[0]);
		fake_server(sp[1], mute);
	}
	close(sp[1]);
	*rc = qmp_open_fd(sp[0], 2000, q);
	if (*rc < 0)
		close(sp[0]);
	return pid;
}

static void client(void)
{
	struct qmp *q = NULL;
	struct json_object *ret = NULL, *ev = NULL, *v;
	int rc, r;
	pid_t pid = start_server(&q, false, &rc);

	CHECK(rc == 0, "the handshake (greeting + qmp_capabilities) succeeds: %s", rc ? err_msg() : "");
	if (rc < 0)
		return;
	r = qmp_execute(q, "query-status", NULL, &ret, 2000);
	CHECK(r == 0 && ret && json_object_object_get_ex(ret, "status", &v) &&
		  !strcmp(json_object_get_string(v), "running"),
	      "query-status returns status running");
	json_object_put(ret);
	CHECK(qmp_next_event(q, 0, &ev) == -ETIMEDOUT, "no event is queued yet");
	r = qmp_execute(q, "stop", NULL, NULL, 2000);
	CHECK(r == 0, "stop succeeds although the STOP event came before the reply");
	r = qmp_next_event(q, 0, &ev);
	CHECK(r == 0 && ev && json_object_object_get_ex(ev, "event", &v) && !strcmp(json_object_get_string(v), "STOP"),
	      "the STOP event was kept for the caller");
	json_object_put(ev);
	ev = NULL;
	CHECK(qmp_execute(q, "cont", NULL, NULL, 2000) == 0, "cont succeeds");
	r = qmp_execute(q, "no-such-command", NULL, NULL, 2000);
	CHECK(r == -EIO && strstr(err_msg(), "has not been found"), "an error reply carries QEMU's description: %s",
	      err_msg());
	CHECK(qmp_next_event(q, 0, &ev) == 0 && ev, "RESUME is queued");
	json_object_put(ev);
	ev = NULL;
	CHECK(qmp_execute(q, "quit", NULL, NULL, 2000) == 0, "quit succeeds");
	r = qmp_next_event(q, 0, &ev);
	CHECK(r == 0 && json_object_object_get_ex(ev, "data", &v) && json_object_object_get_ex(v, "reason", &v) &&
		  !strcmp(json_object_get_string(v), "host-qmp-quit"),
	      "the SHUTDOWN event says host-qmp-quit");
	json_object_put(ev);
	ev = NULL;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	r = qmp_next_event(q, 1000, &ev);
	CHECK(r == -ECONNRESET, "a closed connection is reported as such (%d)", r);
	qmp_close(q);
}

static void timeout(void)
{
	struct qmp *q = NULL;
	int rc;
	pid_t pid = start_server(&q, true, &rc);

	/* a mute server never answers qmp_capabilities */
	CHECK(rc == -ETIMEDOUT, "a silent QEMU makes the handshake time out (%d)", rc);
	CHECK(strstr(err_msg(), "QMP") != NULL, "with a message naming QMP: %s", err_msg());
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	qmp_close(q);
}

int main(void)
{
	load_session();
	CHECK(server_len > 500, "the recorded session was loaded");
	framing();
	hostile();
	client();
	timeout();
	T_DONE();
}
