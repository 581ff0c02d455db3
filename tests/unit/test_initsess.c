/* SPDX-License-Identifier: MIT */
/* The guest's side of the channel (guest/init/session.c), built into this
 * test with the init's channel and system calls faked: real commands run
 * as sessions on the host, the test plays hv. */
#include "../../guest/init/session.c"

#include <sys/socket.h>

#include "t.h"
#include "t_chan.h"
#include "t_initsys.h"

/* The fakes of guest/init/chan.h. */
static int host_sp[2];		   /* [0] the guest's end, [1] the test's (hv's) */
static struct t_frames from_guest; /* what the init sent */

int gchan_fd(void)
{
	return host_sp[0];
}

/* The init's frames go through a real decoder: the guest's own frames
 * must pass the host's checks. */
void gchan_send(int type, unsigned session, const void *data, size_t len)
{
	uint8_t *buf = malloc(HVP_HDR + len);
	struct hvp_frame f;
	size_t n = t_frame(buf, type, session, data, len);
	int got;

	if (hvp_feed(from_guest.dec, buf, n) != n)
		abort();
	while ((got = hvp_next(from_guest.dec, &f)) == 1) {
		if (from_guest.n == from_guest.cap &&
		    !(from_guest.v =
			  realloc(from_guest.v, (from_guest.cap = from_guest.cap * 2 + 16) * sizeof(*from_guest.v))))
			abort();
		from_guest.v[from_guest.n] = (struct t_rframe){ f.type, f.session, f.len, malloc(f.len + 1) };
		memcpy(from_guest.v[from_guest.n].data, f.payload, f.len);
		from_guest.v[from_guest.n].data[f.len] = 0;
		from_guest.n++;
		hvp_consume(from_guest.dec);
	}
	if (got < 0)
		from_guest.fault = from_guest.dec->fault;
	free(buf);
}

/* Rounds of the init's loop, reaping as PID 1 would. */
static int dead;
static void gstep(int rounds, int wait_ms)
{
	while (rounds-- > 0 && !dead) {
		struct pollfd pf[SESS_MAX_POLL];
		int timeout = wait_ms, n = sess_poll_fds(pf, &timeout), st;
		pid_t w;
		poll(pf, (nfds_t)n, timeout < 0 || timeout > wait_ms ? wait_ms : timeout);
		if (sess_handle(pf, n) < 0)
			dead = 1;
		while ((w = waitpid(-1, &st, WNOHANG)) > 0)
			sess_reaped(w, st);
	}
}

/* Run the loop until the session's EXIT came (or 10 s passed). */
static const struct t_rframe *until_exit(unsigned id)
{
	for (int i = 0; i < 1000 && !t_find(&from_guest, HVP_EXIT, id); i++)
		gstep(1, 10);
	return t_find(&from_guest, HVP_EXIT, id);
}

/* The stdout of a session so far, joined. */
static size_t joined(unsigned id, int type, char *buf, size_t cap)
{
	size_t n = 0;

	for (size_t i = 0; i < from_guest.n; i++)
		if (from_guest.v[i].session == id && from_guest.v[i].type == type) {
			size_t k = from_guest.v[i].len < cap - 1 - n ? from_guest.v[i].len : cap - 1 - n;
			memcpy(buf + n, from_guest.v[i].data, k);
			n += k;
		}
	buf[n] = 0;
	return n;
}

/* An EXEC of these words (and STDIN_EOF when eof). */
static void exec(unsigned id, const char *const *argv, bool eof)
{
	uint8_t p[4096];
	size_t n = 0;

	for (; *argv; argv++) {
		p[n++] = 'A';
		memcpy(p + n, *argv, strlen(*argv) + 1);
		n += strlen(*argv) + 1;
	}
	t_send(host_sp[1], HVP_EXEC, id, p, n);
	if (eof)
		t_send(host_sp[1], HVP_STDIN_EOF, id, NULL, 0);
}

static bool exited(const struct t_rframe *e, int kind, int value)
{
	return e && e->len == 2 && e->data[0] == kind && e->data[1] == value;
}

static void commands(void)
{
	const struct t_rframe *e;
	char out[256];

	exec(1, (const char *const[]){ "echo", "hello", NULL }, true);
	e = until_exit(1);
	joined(1, HVP_STDOUT, out, sizeof(out));
	CHECK(exited(e, 0, 0), "echo exits 0");
	CHECK_STR(out, "hello\n", "echo's stdout");
	exec(2, (const char *const[]){ "sh", "-c", "echo err >&2; exit 3", NULL }, true);
	e = until_exit(2);
	joined(2, HVP_STDERR, out, sizeof(out));
	CHECK(exited(e, 0, 3) && !t_find(&from_guest, HVP_STDOUT, 2), "exit status 3, nothing on stdout");
	CHECK_STR(out, "err\n", "stderr apart");
	exec(3, (const char *const[]){ "no-such-command-hv", NULL }, true);
	e = until_exit(3);
	CHECK(exited(e, 0, 127) && t_find(&from_guest, HVP_ERROR, 3) &&
		  strstr((char *)t_find(&from_guest, HVP_ERROR, 3)->data, "command not found"),
	      "a missing command: ERROR and 127");
	t_send(host_sp[1], HVP_EXEC, 4, "", 0);
	e = until_exit(4);
	CHECK(exited(e, 0, 127) && t_find(&from_guest, HVP_ERROR, 4) &&
		  !strcmp((char *)t_find(&from_guest, HVP_ERROR, 4)->data, "empty command"),
	      "an EXEC without arguments: 'empty command' and 127");
	exec(5, (const char *const[]){ "cat", NULL }, false);
	t_send(host_sp[1], HVP_STDIN, 5, "abc", 3);
	t_send(host_sp[1], HVP_STDIN_EOF, 5, NULL, 0);
	e = until_exit(5);
	joined(5, HVP_STDOUT, out, sizeof(out));
	CHECK(exited(e, 0, 0) && t_find(&from_guest, HVP_ACK, 5) &&
		  hvp_get32(t_find(&from_guest, HVP_ACK, 5)->data) == 3,
	      "cat: stdin acknowledged");
	CHECK_STR(out, "abc", "cat's stdout is its stdin");
	CHECK(sess_active() == 0, "every session finished (%d)", sess_active());
	CHECK(!from_guest.fault, "every frame the init sent passes the host's decoder");
}

/* An EXEC of sh -c 'echo $#' with n arguments in all. */
static void exec_sh_args(unsigned id, int n)
{
	uint8_t *p = malloc(17 + 3 * (size_t)n);
	size_t len = 17;

	memcpy(p, "Ash\0A-c\0Aecho $#", 17);
	for (int i = 3; i < n; i++, len += 3)
		memcpy(p + len, "Ax", 3);
	t_send(host_sp[1], HVP_EXEC, id, p, len);
	t_send(host_sp[1], HVP_STDIN_EOF, id, NULL, 0);
	free(p);
}

/* More arguments than the init takes: refused, never run cut short. */
static void too_many_args(void)
{
	const struct t_rframe *e, *err;
	char out[64];

	exec_sh_args(9, HVP_EXEC_ARGS + 3);
	e = until_exit(9);
	err = t_find(&from_guest, HVP_ERROR, 9);
	CHECK(exited(e, 0, 126) && err && strstr((char *)err->data, "more than 1024 arguments") &&
		  !t_find(&from_guest, HVP_STDOUT, 9),
	      "1027 arguments: ERROR and 126, the command is not run cut short");
	/* exactly the limit runs */
	exec_sh_args(10, HVP_EXEC_ARGS);
	e = until_exit(10);
	joined(10, HVP_STDOUT, out, sizeof(out));
	CHECK(exited(e, 0, 0), "1024 arguments run");
	CHECK_STR(out, "1020\n", "sh sees all of them ($0 is the first x)");
}

/* Acknowledge the output as it comes until the session's EXIT (or 10 s);
 * *bytes: all the output (from_guest holds this session's only). */
static const struct t_rframe *ack_until_exit(unsigned id, size_t *bytes)
{
	const struct t_rframe *e = NULL;
	size_t acked = 0;

	for (int i = 0; i < 2000 && !(e = t_find(&from_guest, HVP_EXIT, id)); i++) {
		uint8_t k[4];
		t_count(&from_guest, HVP_STDOUT, bytes);
		if (*bytes > acked) {
			hvp_put32(k, (uint32_t)(*bytes - acked));
			t_send(host_sp[1], HVP_OUTACK, id, k, 4);
			acked = *bytes;
		}
		gstep(1, 5);
	}
	t_count(&from_guest, HVP_STDOUT, bytes);
	return e;
}

/* The init keeps to the output window until hv acknowledges. */
static void output_window(void)
{
	size_t bytes = 0;
	const struct t_rframe *e;

	t_frames_clear(&from_guest);
	exec(11, (const char *const[]){ "head", "-c", "1500000", "/dev/zero", NULL }, true);
	gstep(100, 5);
	t_count(&from_guest, HVP_STDOUT, &bytes);
	CHECK(bytes == HVP_WINDOW && !t_find(&from_guest, HVP_EXIT, 11),
	      "without OUTACK the init sends one window of output and waits (%zu)", bytes);
	e = ack_until_exit(11, &bytes);
	CHECK(exited(e, 0, 0) && bytes == 1500000, "with OUTACKs all of it comes (%zu)", bytes);
}

/* A command that ends while hv holds the window closed: the output
 * still in its pipe is not lost. */
static void exit_with_window_closed(void)
{
	size_t bytes = 0, total = HVP_WINDOW + 20000;
	int rounds = 0;
	const struct t_rframe *e;
	char n[32];

	t_frames_clear(&from_guest);
	snprintf(n, sizeof(n), "%zu", total);
	exec(14, (const char *const[]){ "head", "-c", n, "/dev/zero", NULL }, true);
	/* hv is slow: half a second without OUTACK, the command has exited */
	for (long long t0 = now_ms(); now_ms() - t0 < 500; rounds++)
		gstep(1, 5);
	CHECK(rounds < 300, "the init waits for OUTACK without spinning (%d rounds in 0.5 s)", rounds);
	t_count(&from_guest, HVP_STDOUT, &bytes);
	CHECK(bytes == HVP_WINDOW && find(14) && find(14)->exited,
	      "one window sent (%zu), the command has exited, its last output waits in the pipe", bytes);
	e = ack_until_exit(14, &bytes);
	CHECK(exited(e, 0, 0) && bytes == total, "after the OUTACK the rest comes, then EXIT (%zu of %zu)", bytes,
	      total);
}

static void signals_and_hangup(void)
{
	const struct t_rframe *e;
	int before;

	t_frames_clear(&from_guest);
	exec(12, (const char *const[]){ "sleep", "100", NULL }, true);
	gstep(10, 5);
	t_send(host_sp[1], HVP_SIGNAL, 12, "\x0f", 1);
	e = until_exit(12);
	CHECK(exited(e, 1, 15), "SIGNAL 15: EXIT killed by 15");
	exec(13, (const char *const[]){ "sleep", "100", NULL }, true);
	gstep(10, 5);
	exec(13, (const char *const[]){ "echo", "twice", NULL }, true);
	gstep(10, 5);
	CHECK(!t_find(&from_guest, HVP_STDOUT, 13) && !t_find(&from_guest, HVP_EXIT, 13) && sess_active() == 1,
	      "an EXEC on a session that runs is ignored");
	before = sess_finished();
	t_send(host_sp[1], HVP_HANGUP, 13, NULL, 0);
	for (int i = 0; i < 500 && sess_active(); i++)
		gstep(1, 10);
	CHECK(sess_active() == 0 && sess_finished() == before + 1 && !t_find(&from_guest, HVP_EXIT, 13),
	      "HANGUP ends the command without an EXIT");
}

static void too_many_sessions(void)
{
	const struct t_rframe *e;

	t_frames_clear(&from_guest);
	for (unsigned i = 0; i < HVP_SESSIONS; i++)
		exec(100 + i, (const char *const[]){ "sleep", "100", NULL }, true);
	gstep(20, 5);
	CHECK(sess_active() == HVP_SESSIONS, "64 sessions run (%d)", sess_active());
	exec(200, (const char *const[]){ "true", NULL }, true);
	e = until_exit(200);
	CHECK(exited(e, 0, 125) && t_find(&from_guest, HVP_ERROR, 200), "the 65th: ERROR and 125");
	for (unsigned i = 0; i < HVP_SESSIONS; i++)
		t_send(host_sp[1], HVP_HANGUP, 100 + i, NULL, 0);
	for (int i = 0; i < 500 && sess_active(); i++)
		gstep(1, 10);
	CHECK(sess_active() == 0, "all hung up (%d left)", sess_active());
}

/* Last: a violation closes the channel for good. */
static void violation(void)
{
	t_send(host_sp[1], HVP_STDOUT, 1, "x", 1);
	gstep(5, 5);
	CHECK(dead, "a host sending STDOUT closes the init's channel");
}

int main(void)
{
	alarm(120);
	signal(SIGPIPE, SIG_IGN);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, host_sp) < 0)
		abort();
	t_frames_init(&from_guest, HVP_GUEST);
	sess_init();
	commands();
	too_many_args();
	output_window();
	exit_with_window_closed();
	signals_and_hangup();
	too_many_sessions();
	violation();
	t_frames_free(&from_guest);
	T_DONE();
}
