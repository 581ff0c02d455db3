/* SPDX-License-Identifier: MIT */
/* The QMP client against a session recorded from QEMU 7.2
 * (tests/unit/data/qmp-session.txt): framing at every split point, events
 * interleaved with replies, errors, timeouts and hostile input. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/qmp-block.h"
#include "engine/qmp.h"
#include "t.h"
#include "t_qmp.h"
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
	*rc = qmp_open_fd(sp[0], 2000, q); /* the fd is the connection's, also on failure */
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

/* Every close() of the library goes through here while counting, so a
 * test can tell "closed exactly once" from "leaked" and "closed twice". */
static bool counting;
static int closes[1024];

int close(int fd)
{
	if (counting && fd >= 0 && fd < 1024)
		closes[fd]++;
	return (int)syscall(SYS_close, fd);
}

static void count_start(void)
{
	memset(closes, 0, sizeof(closes));
	counting = true;
}

static int open_fds(void)
{
	int n = 0;

	for (int fd = 0; fd < 1024; fd++)
		n += fcntl(fd, F_GETFD) >= 0;
	return n;
}

/* A peer that greets with garbage, then waits to be hung up on. */
static pid_t bad_greeter(int fd, int other)
{
	pid_t pid = fork();

	if (pid == 0) {
		char c;
		if (other >= 0)
			close(other);
		(void)!write(fd, "[\"not a greeting\"]\r\n", 20);
		while (read(fd, &c, 1) > 0)
			;
		_exit(0);
	}
	return pid;
}

static void handshake_failure_fd(void)
{
	struct qmp *q = (struct qmp *)1;
	int sp[2], rc, before, twice = 0;
	pid_t pid;

	socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp);
	pid = bad_greeter(sp[1], sp[0]);
	close(sp[1]);
	before = open_fds();
	count_start();
	rc = qmp_open_fd(sp[0], 2000, &q);
	counting = false;
	for (int fd = 0; fd < 1024; fd++)
		twice += closes[fd] > 1;
	CHECK(rc == -EPROTO && q == NULL, "a bad greeting fails the handshake (%d): %s", rc, err_msg());
	CHECK(closes[sp[0]] == 1 && twice == 0, "the connection's fd is closed exactly once (%d)", closes[sp[0]]);
	CHECK(open_fds() == before - 1, "and nothing leaks (%d open, %d before)", open_fds(), before);
	waitpid(pid, NULL, 0);
}

static void handshake_failure_path(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct qmp *q = NULL;
	char dir[] = "/tmp/hv-test-qmp-XXXXXX";
	int lfd, rc, before, twice = 0;
	pid_t pid;

	if (!mkdtemp(dir))
		return;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/qmp.sock", dir);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bind(lfd, (struct sockaddr *)&sa, sizeof(sa));
	listen(lfd, 1);
	pid = fork();
	if (pid == 0) {
		int c = accept(lfd, NULL, NULL);
		bad_greeter(c, lfd);
		wait(NULL);
		_exit(0);
	}
	before = open_fds();
	count_start();
	rc = qmp_open_path(sa.sun_path, 2000, &q);
	counting = false;
	for (int fd = 0; fd < 1024; fd++)
		twice += closes[fd] > 1;
	CHECK(rc == -EPROTO && q == NULL, "through a socket path too (%d): %s", rc, err_msg());
	CHECK(twice == 0, "no fd is closed twice on the way out");
	CHECK(open_fds() == before, "and none leaks (%d open, %d before)", open_fds(), before);
	waitpid(pid, NULL, 0);
	close(lfd);
	unlink(sa.sun_path);
	rmdir(dir);
}

static void typed(void)
{
	static const char *const replies[] = {
		"{\"return\": {}, \"id\": 1}",
		"{\"event\": \"STOP\"}\r\n{\"return\": {\"status\": \"paused\", \"running\": false}, \"id\": 2}",
		"{\"return\": {\"status\": null, \"running\": false}, \"id\": 3}",
		"{\"return\": {\"status\": \"colo\", \"running\": true}, \"id\": 4}",
		"{\"return\": [], \"id\": 5}",
		"{\"return\": {\"status\": \"failed\", \"error-desc\": \"No space left on device\", \"ram\": "
		"{\"transferred\": 7, "
		"\"total\": 9}}, \"id\": 6}",
		"{\"return\": {}, \"id\": 7}",
		"{\"event\": \"SHUTDOWN\", \"data\": {\"guest\": true, \"reason\": \"guest-shutdown\"}}\r\n"
		"{\"event\": \"SHUTDOWN\", \"data\": {\"guest\": \"yes\", \"reason\": \"guest-shutdown\"}}\r\n"
		"{\"event\": \"GUEST_PANICKED\", \"data\": {\"action\": \"pause\"}}\r\n{\"return\": {}, \"id\": 8}",
		NULL,
	};
	struct qmp_status st;
	struct qmp_migration m;
	struct qmp_event ev;
	struct qmp *q = NULL;
	int rc, r;
	pid_t pid = scripted(&q, replies, &rc);

	CHECK(rc == 0, "scripted handshake: %s", rc ? err_msg() : "");
	if (rc < 0)
		return;
	r = qmp_query_status(q, &st);
	CHECK(r == 0 && st.state == QMP_RUN_PAUSED && !st.running, "query-status as C values");
	r = qmp_query_status(q, &st);
	CHECK(r == -EINVAL && strstr(err_msg(), "status"), "a null status is an error naming the field: %s", err_msg());
	r = qmp_query_status(q, &st);
	CHECK(r == 0 && st.state == QMP_RUN_OTHER && st.running, "a run state hv does not know reads as other");
	r = qmp_query_migrate(q, &m);
	CHECK(r == -EPROTO, "a reply that is not an object is refused: %s", err_msg());
	r = qmp_query_migrate(q, &m);
	CHECK(r == 0 && m.state == QMP_MIG_FAILED && m.transferred == 7 && m.total == 9 &&
		  !strcmp(m.error, "No space left on device"),
	      "query-migrate: state, bytes and error-desc");
	CHECK(qmp_cont(q) == 0, "cont");
	CHECK(qmp_stop(q) == 0, "stop (its reply comes after three events)");
	r = qmp_event_next(q, 0, &ev);
	CHECK(r == 0 && ev.kind == QMP_EVENT_STOP, "STOP, typed");
	r = qmp_event_next(q, 0, &ev);
	CHECK(r == 0 && ev.kind == QMP_EVENT_SHUTDOWN && ev.guest && !strcmp(ev.reason, "guest-shutdown"),
	      "SHUTDOWN with guest and reason");
	r = qmp_event_next(q, 0, &ev);
	CHECK(r == -EBADMSG && strstr(err_msg(), "guest"), "a SHUTDOWN with a wrong type is named: %s", err_msg());
	r = qmp_event_next(q, 0, &ev);
	CHECK(r == 0 && ev.kind == QMP_EVENT_GUEST_PANICKED && !strcmp(ev.action, "pause"),
	      "GUEST_PANICKED with action");
	CHECK(qmp_event_next(q, 0, &ev) == -ETIMEDOUT, "then nothing");
	qmp_close(q);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* Live migration's commands as QEMU 7.2's schema has them, and its
 * events and figures as C values. */
static void migration(void)
{
	static const char *const replies[] = {
		"{\"return\": {}, \"id\": 1}",
		"{\"return\": {}, \"id\": 2}",
		"{\"return\": {}, \"id\": 3}",
		"{\"return\": {}, \"id\": 4}",
		"{\"return\": {}, \"id\": 5}",
		"{\"event\": \"MIGRATION\", \"data\": {\"status\": \"active\"}}\r\n"
		"{\"event\": \"MIGRATION_PASS\", \"data\": {\"pass\": 3}}\r\n"
		"{\"event\": \"MIGRATION\", \"data\": {\"status\": 5}}\r\n"
		"{\"event\": \"MIGRATION\", \"data\": {\"status\": \"device\"}}\r\n"
		"{\"event\": \"MIGRATION\", \"data\": {\"status\": \"pre-switchover\"}}\r\n"
		"{\"return\": {\"status\": \"completed\", \"total-time\": 1500, \"downtime\": 42, "
		"\"setup-time\": 3, \"expected-downtime\": 40, \"ram\": {\"transferred\": 1000, \"remaining\": 0, "
		"\"total\": 2000, \"mbps\": 800.5, \"dirty-pages-rate\": 10, \"page-size\": 4096, "
		"\"dirty-sync-count\": 4}}, \"id\": 6}",
		"{\"return\": {\"status\": \"active\", \"downtime\": \"soon\"}, \"id\": 7}",
		"{\"return\": {}, \"id\": 8}",
		NULL,
	};
	char log[] = "/tmp/test_qmp_log.XXXXXX";
	struct qmp_migrate_caps caps = { .events = true, .postcopy = true };
	struct qmp_migrate_params params = { .max_bandwidth = 1 << 20, .downtime_limit_ms = 100 };
	struct qmp_migration m;
	struct qmp_event ev;
	struct qmp *q = NULL;
	char *sent = NULL;
	int rc, r, fd = mkstemp(log);
	pid_t pid = scripted_log(&q, replies, log, &rc);

	CHECK(rc == 0, "scripted handshake: %s", rc ? err_msg() : "");
	if (rc < 0)
		return;
	CHECK(qmp_migrate_set_caps(q, &caps) == 0, "migrate-set-capabilities");
	CHECK(qmp_migrate_set_params(q, &params) == 0, "migrate-set-parameters");
	CHECK(qmp_migrate_incoming_fd(q, fd) == 0, "getfd + migrate-incoming");
	r = qmp_query_migrate(q, &m);
	CHECK(r == 0 && m.state == QMP_MIG_COMPLETED && m.transferred == 1000 && m.remaining == 0 && m.total == 2000 &&
		  m.downtime_ms == 42 && m.total_time_ms == 1500 && m.setup_time_ms == 3 &&
		  m.expected_downtime_ms == 40 && m.passes == 4 && m.dirty_rate == 40960 && m.mbps > 800,
	      "query-migrate: the figures of a completed migration");
	r = qmp_event_next(q, 0, &ev);
	CHECK(r == 0 && ev.kind == QMP_EVENT_MIGRATION && ev.migration == QMP_MIG_ACTIVE, "MIGRATION, typed");
	r = qmp_event_next(q, 0, &ev);
	CHECK(r == 0 && ev.kind == QMP_EVENT_MIGRATION_PASS && ev.pass == 3, "MIGRATION_PASS, typed");
	r = qmp_event_next(q, 0, &ev);
	CHECK(r == -EBADMSG && strstr(err_msg(), "status"), "a MIGRATION with a wrong type is named: %s", err_msg());
	r = qmp_event_next(q, 0, &ev);
	CHECK(r == 0 && ev.migration == QMP_MIG_OTHER && qmp_migration_busy(ev.migration),
	      "a state hv does not name is under way");
	r = qmp_event_next(q, 0, &ev);
	CHECK(r == 0 && ev.migration == QMP_MIG_PRE_SWITCHOVER && qmp_migration_busy(ev.migration),
	      "pre-switchover is named, and under way");
	r = qmp_query_migrate(q, &m);
	CHECK(r == -EINVAL && strstr(err_msg(), "downtime"), "a figure of the wrong type is named: %s", err_msg());
	CHECK(qmp_migrate_start_postcopy(q) == 0, "migrate-start-postcopy");
	qmp_close(q);
	waitpid(pid, NULL, 0);
	fs_read_all(AT_FDCWD, log, 1 << 16, &sent, NULL);
	CHECK(sent && strstr(sent, "{\"execute\":\"migrate-set-capabilities\",\"arguments\":{\"capabilities\":[{"
				   "\"capability\":\"events\",\"state\":true},{\"capability\":\"auto-converge\","
				   "\"state\":false},{\"capability\":\"postcopy-ram\",\"state\":true},{\"capability\":"
				   "\"pause-before-switchover\",\"state\":false}]}"),
	      "the capabilities as the schema has them");
	CHECK(sent && strstr(sent, "\"arguments\":{\"max-bandwidth\":1048576,\"downtime-limit\":100}"),
	      "the parameters");
	CHECK(sent && strstr(sent, "\"getfd\",\"arguments\":{\"fdname\":\"hvmigrate\"}") &&
		  strstr(sent, "\"migrate-incoming\",\"arguments\":{\"uri\":\"fd:hvmigrate\"}"),
	      "the stream handed over by name");
	free(sent);
	close(fd);
	unlink(log);
}

/* --copy-storage's commands (NBD server and exports, NBD client nodes,
 * blockdev-mirror, block jobs) as QEMU 7.2's schema has them, their
 * replies and the block job events as C values. */
static void block(void)
{
	static const char *const replies[] = {
		"{\"return\": {}, \"id\": 1}", /* qmp_capabilities */
		"{\"return\": [{\"device\": \"cd0\"}, {\"device\": \"disk0\", \"inserted\": {\"node-name\": "
		"\"#block123\", \"image\": {\"virtual-size\": 67108864}}}], \"id\": 2}",
		"{\"return\": {}, \"id\": 3}",
		"{\"return\": {}, \"id\": 4}",
		"{\"return\": {}, \"id\": 5}",
		"{\"return\": {}, \"id\": 6}",
		"{\"return\": {}, \"id\": 7}",
		"{\"event\": \"JOB_STATUS_CHANGE\", \"data\": {\"status\": \"created\", \"id\": \"hvmig-disk0\"}}\r\n"
		"{\"event\": \"BLOCK_JOB_READY\", \"data\": {\"device\": \"hvmig-disk0\", \"len\": 1, \"offset\": 1, "
		"\"speed\": 0, \"type\": \"mirror\"}}\r\n"
		"{\"event\": \"BLOCK_JOB_READY\", \"data\": {\"device\": null}}\r\n"
		"{\"return\": {}, \"id\": 8}",
		"{\"return\": [{\"device\": \"other\", \"offset\": 0, \"len\": 0, \"ready\": false, \"status\": "
		"\"running\"}, {\"device\": \"hvmig-disk0\", \"offset\": 100, \"len\": 200, \"ready\": true, "
		"\"status\": \"ready\", \"type\": \"mirror\", \"speed\": 0}], \"id\": 9}",
		"{\"return\": [{\"device\": \"hvmig-disk0\", \"offset\": 100, \"len\": 200, \"ready\": null, "
		"\"status\": \"ready\"}], \"id\": 10}",
		"{\"return\": [], \"id\": 11}",
		"{\"event\": \"BLOCK_JOB_COMPLETED\", \"data\": {\"device\": \"hvmig-disk0\", \"len\": 1, "
		"\"offset\": 1, \"speed\": 0, \"type\": \"mirror\", \"error\": \"Input/output error\"}}\r\n"
		"{\"return\": {}, \"id\": 12}",
		"{\"return\": {}, \"id\": 13}",
		"{\"return\": {}, \"id\": 14}",
		"{\"return\": {}, \"id\": 15}",
		"{\"return\": [{\"device\": \"disk0\"}], \"id\": 16}",
		"{\"return\": {}, \"id\": 17}",
		"{\"return\": {}, \"id\": 18}",
		NULL,
	};
	char log[] = "/tmp/test_qmp_log.XXXXXX";
	struct qmp_block_node b;
	struct qmp_block_job j;
	struct qmp_event ev;
	struct qmp *q = NULL;
	char *sent = NULL;
	int rc, r, fd = mkstemp(log);
	pid_t pid = scripted_log(&q, replies, log, &rc);

	CHECK(rc == 0, "scripted handshake: %s", rc ? err_msg() : "");
	if (rc < 0)
		return;
	r = qmp_block_node(q, "disk0", &b);
	CHECK(r == 0 && !strcmp(b.node, "#block123") && b.size == 67108864, "query-block: a drive's node and size: %s",
	      err_msg());
	CHECK(qmp_nbd_server_start_fd(q, fd) == 0, "getfd + nbd-server-start: %s", err_msg());
	CHECK(qmp_nbd_export_add(q, "disk0", b.node, true) == 0, "block-export-add");
	CHECK(qmp_blockdev_add_nbd_fd(q, "hvmig-disk0", fd, "disk0") == 0, "getfd + blockdev-add nbd");
	CHECK(qmp_blockdev_mirror(q, "hvmig-disk0", "disk0", "hvmig-disk0", 1 << 20) == 0, "blockdev-mirror");
	r = qmp_block_job(q, "hvmig-disk0", &j);
	CHECK(r == 0 && j.offset == 100 && j.len == 200 && j.ready && !strcmp(j.status, "ready") && !j.error[0],
	      "query-block-jobs: the job's progress, as C values");
	r = qmp_block_job(q, "hvmig-disk0", &j);
	CHECK(r == -EINVAL && strstr(err_msg(), "ready"), "a job field of the wrong type is named: %s", err_msg());
	CHECK(qmp_block_job(q, "hvmig-disk0", &j) == -ENOENT, "a job that is gone is -ENOENT");
	CHECK(qmp_block_job_cancel(q, "hvmig-disk0", false) == 0, "block-job-cancel");
	CHECK(qmp_blockdev_del(q, "hvmig-disk0") == 0, "blockdev-del");
	CHECK(qmp_block_export_del(q, "disk0") == 0, "block-export-del");
	CHECK(qmp_nbd_server_stop(q) == 0, "nbd-server-stop");
	r = qmp_block_node(q, "disk0", &b);
	CHECK(r == -ENOMEDIUM && strstr(err_msg(), "disk0"), "a drive without an image: %s", err_msg());
	r = qmp_block_node(q, "disk0", &b);
	CHECK(r == -EPROTO && strstr(err_msg(), "array"), "query-block must answer an array: %s", err_msg());
	CHECK(qmp_migrate_continue(q) == 0, "migrate-continue");
	r = qmp_event_next(q, 0, &ev);
	CHECK(r == 0 && ev.kind == QMP_EVENT_JOB_STATUS_CHANGE && !strcmp(ev.job, "hvmig-disk0"),
	      "JOB_STATUS_CHANGE names the job");
	r = qmp_event_next(q, 0, &ev);
	CHECK(r == 0 && ev.kind == QMP_EVENT_BLOCK_JOB_READY && !strcmp(ev.job, "hvmig-disk0"),
	      "BLOCK_JOB_READY, typed");
	r = qmp_event_next(q, 0, &ev);
	CHECK(r == -EBADMSG && strstr(err_msg(), "device"), "a BLOCK_JOB_READY without its job is named: %s",
	      err_msg());
	r = qmp_event_next(q, 0, &ev);
	CHECK(r == 0 && ev.kind == QMP_EVENT_BLOCK_JOB_COMPLETED && !strcmp(ev.error, "Input/output error"),
	      "BLOCK_JOB_COMPLETED carries the job's error");
	qmp_close(q);
	waitpid(pid, NULL, 0);
	fs_read_all(AT_FDCWD, log, 1 << 16, &sent, NULL);
	CHECK(sent && strstr(sent, "\"getfd\",\"arguments\":{\"fdname\":\"hvnbd\"}") &&
		  strstr(sent, "\"nbd-server-start\",\"arguments\":{\"addr\":{\"type\":\"fd\",\"data\":{\"str\":"
			       "\"hvnbd\"}}}"),
	      "the NBD server listens on a socket handed over by name (SocketAddressLegacy)");
	CHECK(sent && strstr(sent, "\"block-export-add\",\"arguments\":{\"type\":\"nbd\",\"id\":\"disk0\","
				   "\"node-name\":\"#block123\",\"name\":\"disk0\",\"writable\":true}"),
	      "the export, writable, of the drive's node");
	CHECK(sent && strstr(sent, "\"getfd\",\"arguments\":{\"fdname\":\"hvmig-disk0\"}") &&
		  strstr(sent, "\"blockdev-add\",\"arguments\":{\"driver\":\"nbd\",\"node-name\":\"hvmig-disk0\","
			       "\"server\":{\"type\":\"fd\",\"str\":\"hvmig-disk0\"},\"export\":\"disk0\"}"),
	      "the NBD client node connects through a socket handed over by name (SocketAddress)");
	CHECK(sent && strstr(sent, "\"blockdev-mirror\",\"arguments\":{\"job-id\":\"hvmig-disk0\",\"device\":"
				   "\"disk0\",\"target\":\"hvmig-disk0\",\"sync\":\"full\",\"speed\":1048576}"),
	      "the mirror: sync full, at the given speed");
	CHECK(sent && strstr(sent, "\"block-job-cancel\",\"arguments\":{\"device\":\"hvmig-disk0\"}"),
	      "a READY mirror is cancelled without force (it ends in sync)");
	CHECK(sent && strstr(sent, "\"migrate-continue\",\"arguments\":{\"state\":\"pre-switchover\"}"),
	      "migrate-continue from pre-switchover");
	free(sent);
	close(fd);
	unlink(log);
}

/* send-key: the keys go as QKeyCode names; QEMU's refusal is the error */
static void send_keys(void)
{
	static const char *const replies[] = {
		"{\"return\": {}, \"id\": 1}",
		"{\"return\": {}, \"id\": 2}",
		"{\"error\": {\"class\": \"GenericError\", \"desc\": \"Parameter 'keys' is missing\"}, \"id\": 3}",
		NULL,
	};
	static const char *const cad[] = { "ctrl", "alt", "delete" };
	struct qmp *q = NULL;
	int rc;
	pid_t pid = scripted(&q, replies, &rc);

	CHECK(rc == 0, "scripted handshake: %s", rc ? err_msg() : "");
	if (rc < 0)
		return;
	CHECK(qmp_send_keys(q, cad, 3) == 0, "send-key ctrl alt delete: %s", err_msg());
	rc = qmp_send_keys(q, cad, 0);
	CHECK(rc < 0 && strstr(err_msg(), "keys"), "QEMU's refusal of send-key is the error: %s", err_msg());
	qmp_close(q);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* An event read off the socket with a command's reply is queued: poll on
 * the fd would not wake for it, qmp_queued says it is there. */
static void queued_events(void)
{
	static const char *const replies[] = {
		"{\"return\": {}, \"id\": 1}",
		"{\"return\": {}, \"id\": 2}\r\n{\"event\": \"RESUME\", \"timestamp\": {\"seconds\": 1, "
		"\"microseconds\": 0}}",
		NULL,
	};
	struct qmp *q = NULL;
	struct qmp_event ev;
	int rc;
	pid_t pid = scripted(&q, replies, &rc);

	CHECK(rc == 0, "scripted handshake: %s", rc ? err_msg() : "");
	if (rc < 0)
		return;
	CHECK(!qmp_queued(q), "nothing is queued before a command");
	CHECK(qmp_cont(q) == 0, "cont: %s", err_msg());
	/* the event may come in a later read: take what the socket has */
	for (int i = 0; i < 100 && !qmp_queued(q); i++) {
		struct pollfd pf = { qmp_fd(q), POLLIN, 0 };
		if (poll(&pf, 1, 10) > 0)
			break;
	}
	CHECK(qmp_queued(q) || qmp_event_next(q, 0, &ev) == 0, "the event after the reply is there");
	if (qmp_queued(q)) {
		CHECK(qmp_event_next(q, 0, &ev) == 0 && ev.kind == QMP_EVENT_RESUME,
		      "qmp_event_next takes it (RESUME)");
		CHECK(!qmp_queued(q), "and then nothing is queued");
	}
	CHECK(!qmp_queued(NULL), "no connection: nothing queued");
	qmp_close(q);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

int main(void)
{
	load_session();
	CHECK(server_len > 500, "the recorded session was loaded");
	framing();
	hostile();
	client();
	timeout();
	handshake_failure_fd();
	handshake_failure_path();
	typed();
	migration();
	block();
	send_keys();
	queued_events();
	T_DONE();
}
