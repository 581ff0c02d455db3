/* SPDX-License-Identifier: MIT */
/* The host's side of one command (guest/session.h) against a fake guest
 * on a socketpair: credit, output and its acknowledgement, exit status,
 * errors, a broken reader, a guest that goes away or breaks the protocol. */
#include <errno.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest/session.h"
#include "util/err.h"
#include "util/fs.h"
#include "t.h"
#include "t_chan.h"

/* A gsess on the host end of a socketpair; the test is the guest. */
struct fix {
	int sp[2]; /* [0] the host's end, [1] the fake guest's */
	struct chan ch;
	struct gsess s;
	struct exec_request req;
	struct t_frames got; /* what the host sent, as the guest decodes it */
};

static char *true_argv[] = { "true", NULL };

static int memfd(const void *data, size_t len)
{
	int fd = memfd_create("t", MFD_CLOEXEC);

	if (fd < 0 || (len && write_all(fd, data, len) < 0) || lseek(fd, 0, SEEK_SET) < 0)
		abort();
	return fd;
}

/* The whole content of a memfd. */
static size_t slurp(int fd, char *buf, size_t cap)
{
	ssize_t n = pread(fd, buf, cap - 1, 0);

	buf[n < 0 ? 0 : n] = 0;
	return n < 0 ? 0 : (size_t)n;
}

static void fix_init(struct fix *x, unsigned id, int in)
{
	memset(x, 0, sizeof(*x));
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, x->sp) < 0)
		abort();
	x->req = (struct exec_request){ .argv = true_argv, .in = in, .out = memfd(NULL, 0), .err = memfd(NULL, 0) };
	chan_init(&x->ch, x->sp[0], HVP_GUEST);
	gsess_init(&x->s, &x->ch, id, &x->req);
	t_frames_init(&x->got, HVP_HOST);
}

static void fix_free(struct fix *x)
{
	chan_free(&x->ch);
	t_frames_free(&x->got);
	for (int *fd = &x->req.in; fd <= &x->req.err; fd++)
		if (*fd >= 0)
			close(*fd);
	close(x->sp[0]);
	if (x->sp[1] >= 0)
		close(x->sp[1]);
}

/* Flush what the host queued and decode it on the guest's side. */
static void sync_frames(struct fix *x)
{
	t_frames_clear(&x->got);
	while (chan_flush(&x->ch) == 1)
		t_collect(x->sp[1], &x->got, 10);
	t_collect(x->sp[1], &x->got, 10);
}

/* A frame from the guest, handed to the session. */
static void deliver(struct fix *x, int type, unsigned session, const void *p, size_t len)
{
	struct hvp_frame f = { type, session, p, len };

	gsess_on_frame(&x->s, &f);
}

static void deliver_ack(struct fix *x, uint32_t k)
{
	uint8_t p[4];

	hvp_put32(p, k);
	deliver(x, HVP_ACK, x->s.id, p, 4);
}

static void start(void)
{
	struct fix x;
	const struct t_rframe *e;

	fix_init(&x, 7, -1);
	CHECK(!gsess_wants_stdin(&x.s), "no stdin wanted before the EXEC");
	CHECK(gsess_signal(&x.s, SIGINT) == 0 && gsess_winch(&x.s, 1, 1) == 0 && !chan_pending(&x.ch),
	      "signals and sizes before the EXEC are not sent");
	CHECK(gsess_start(&x.s, 'P', 30, 100) == 0, "start");
	sync_frames(&x);
	e = t_find(&x.got, HVP_EXEC, 7);
	CHECK(x.got.n == 2 && e && e == &x.got.v[0] && e->len == 14 && !memcmp(e->data, "Atrue\0P30x100", 14),
	      "EXEC on the session with argv and the terminal size (%zu frames)", x.got.n);
	CHECK(t_find(&x.got, HVP_STDIN_EOF, 7) == &x.got.v[1], "no stdin: STDIN_EOF at once");
	CHECK(!gsess_wants_stdin(&x.s), "and no stdin is wanted");
	CHECK(gsess_signal(&x.s, SIGTERM) == 0 && gsess_winch(&x.s, 0x1234, 0x0102) == 0, "signal and winch");
	sync_frames(&x);
	CHECK(x.got.n == 2 && x.got.v[0].type == HVP_SIGNAL && x.got.v[0].len == 1 && x.got.v[0].data[0] == SIGTERM &&
		  x.got.v[1].type == HVP_WINCH && x.got.v[1].len == 4 && hvp_get16(x.got.v[1].data) == 0x1234 &&
		  hvp_get16(x.got.v[1].data + 2) == 0x0102,
	      "SIGNAL carries the number, WINCH rows then columns");
	fix_free(&x);
}

/* Credit: at most HVP_WINDOW stdin bytes unacknowledged, whatever the
 * guest acknowledges. */
static void credit(void)
{
	size_t total = 3 * HVP_WINDOW / 2, sent = 0, bytes;
	uint8_t *data = malloc(total);
	struct fix x;
	int pumps = 0;

	for (size_t i = 0; i < total; i++)
		data[i] = (uint8_t)(i * 31);
	fix_init(&x, 3, memfd(data, total));
	gsess_start(&x.s, 0, 0, 0);
	sync_frames(&x);
	CHECK(x.got.n == 1 && x.got.v[0].type == HVP_EXEC, "stdin open: only the EXEC");
	while (gsess_wants_stdin(&x.s) && pumps++ < 100)
		gsess_pump_stdin(&x.s);
	sync_frames(&x);
	t_count(&x.got, HVP_STDIN, &bytes);
	CHECK(bytes == HVP_WINDOW && x.s.credit == 0 && !t_find(&x.got, HVP_STDIN_EOF, -1),
	      "the host sends exactly one window of stdin, then stops (%zu)", bytes);
	for (size_t i = 0, off = 0; i < x.got.n; off += x.got.v[i].len, i++)
		if (memcmp(x.got.v[i].data, data + off, x.got.v[i].len))
			CHECK(0, "stdin frame %zu carries the right bytes", i);
	sent = bytes;
	CHECK(gsess_pump_stdin(&x.s) == 0 && x.s.stdin_open, "a pump without credit is not the end of input");
	sync_frames(&x);
	CHECK(x.got.n == 0, "and sends nothing (%zu frames)", x.got.n);
	deliver_ack(&x, 1000);
	CHECK(x.s.credit == 1000 && gsess_wants_stdin(&x.s), "an ACK of 1000 gives 1000 bytes of credit");
	gsess_pump_stdin(&x.s);
	sync_frames(&x);
	t_count(&x.got, HVP_STDIN, &bytes);
	sent += bytes;
	CHECK(bytes == 1000 && !gsess_wants_stdin(&x.s), "which is used (%zu)", bytes);
	deliver_ack(&x, 0xffffffffu);
	CHECK(x.s.credit == HVP_WINDOW, "an ACK of 2^32-1 restores only what is outstanding (%u)", x.s.credit);
	deliver_ack(&x, 0x80000000u);
	deliver_ack(&x, 1);
	CHECK(x.s.credit == HVP_WINDOW, "ACKs with nothing outstanding add nothing (%u)", x.s.credit);
	deliver(&x, HVP_ACK, 3, "\1\0", 2);
	deliver(&x, HVP_ACK, 4, "\1\0\0\0", 4);
	CHECK(x.s.credit == HVP_WINDOW, "short ACKs and other sessions' ACKs are ignored");
	while (gsess_wants_stdin(&x.s) && pumps++ < 200) {
		gsess_pump_stdin(&x.s);
		deliver_ack(&x, 0xffffffffu);
	}
	sync_frames(&x);
	t_count(&x.got, HVP_STDIN, &bytes);
	sent += bytes;
	CHECK(sent == total && t_find(&x.got, HVP_STDIN_EOF, 3) && !x.s.stdin_open,
	      "the rest of stdin, then STDIN_EOF (%zu of %zu)", sent, total);
	fix_free(&x);
	free(data);
}

static void output(void)
{
	struct fix x;
	char buf[64];
	int pp[2];

	signal(SIGPIPE, SIG_IGN); /* as hv does */
	fix_init(&x, 5, -1);
	gsess_start(&x.s, 0, 0, 0);
	sync_frames(&x);
	deliver(&x, HVP_STDOUT, 5, "hello ", 6);
	deliver(&x, HVP_STDERR, 5, "oops", 4);
	deliver(&x, HVP_STDOUT, 5, "world", 5);
	deliver(&x, HVP_STDOUT, 6, "other", 5);
	deliver(&x, HVP_STDOUT, 0, "zero", 4);
	slurp(x.req.out, buf, sizeof(buf));
	CHECK_STR(buf, "hello world", "stdout");
	slurp(x.req.err, buf, sizeof(buf));
	CHECK_STR(buf, "oops", "stderr");
	sync_frames(&x);
	CHECK(x.got.n == 3 && t_count(&x.got, HVP_OUTACK, NULL) == 3 && hvp_get32(x.got.v[0].data) == 6 &&
		  hvp_get32(x.got.v[1].data) == 4 && hvp_get32(x.got.v[2].data) == 5 && x.got.v[2].session == 5,
	      "each output frame is acknowledged with OUTACK of its length, others' frames not at all (%zu)", x.got.n);
	deliver(&x, HVP_ERROR, 5, "no\0such", 7);
	CHECK_STR(x.s.error, "no", "ERROR text up to a NUL");
	deliver(&x, HVP_ERROR, 5, "\x1b[2Jcmd: not found", 18);
	CHECK_STR(x.s.error, "\x1b[2Jcmd: not found", "the last ERROR text is kept raw");
	deliver(&x, HVP_EXIT, 5, "\0", 1);
	CHECK(!x.s.ended, "a short EXIT does not end the session");
	deliver(&x, HVP_EXIT, 5, "\0\x2a", 2);
	CHECK(x.s.ended && !x.s.st.signaled && x.s.st.code == 42, "EXIT 0 42: exited with 42");
	deliver(&x, HVP_STDOUT, 5, "late", 4);
	deliver(&x, HVP_EXIT, 5, "\1\x09", 2);
	slurp(x.req.out, buf, sizeof(buf));
	CHECK(!strcmp(buf, "hello world") && x.s.st.code == 42, "frames after EXIT are ignored");
	CHECK(!gsess_wants_stdin(&x.s) && gsess_signal(&x.s, 2) == 0 && gsess_winch(&x.s, 1, 1) == 0,
	      "after EXIT nothing more is sent");
	fix_free(&x);

	fix_init(&x, 5, -1);
	gsess_start(&x.s, 0, 0, 0);
	deliver(&x, HVP_EXIT, 5, "\1\x09", 2);
	CHECK(x.s.ended && x.s.st.signaled && x.s.st.code == 9, "EXIT 1 9: killed by signal 9");
	fix_free(&x);

	/* a reader that went away: SIGPIPE to the command, once; still acknowledged */
	fix_init(&x, 5, -1);
	if (pipe(pp) < 0)
		abort();
	close(x.req.out);
	x.req.out = pp[1];
	close(pp[0]);
	gsess_start(&x.s, 0, 0, 0);
	sync_frames(&x);
	deliver(&x, HVP_STDOUT, 5, "lost", 4);
	deliver(&x, HVP_STDOUT, 5, "lost too", 8);
	deliver(&x, HVP_STDERR, 5, "err", 3);
	sync_frames(&x);
	CHECK(x.got.n == 4 && x.got.v[0].type == HVP_SIGNAL && x.got.v[0].data[0] == SIGPIPE &&
		  t_count(&x.got, HVP_SIGNAL, NULL) == 1 && t_count(&x.got, HVP_OUTACK, NULL) == 3 && x.s.out_broken &&
		  !x.s.err_broken,
	      "EPIPE on stdout: one SIGNAL SIGPIPE, every frame still acknowledged, stderr unaffected (%zu)", x.got.n);
	slurp(x.req.err, buf, sizeof(buf));
	CHECK_STR(buf, "err", "stderr still written");
	fix_free(&x);
}

/* gsess_run against a guest whose frames are all written beforehand. */
static int run_scripted(struct fix *x, const uint8_t *script, size_t len, bool close_after, struct exec_status *st)
{
	int r;

	if (len && write_all(x->sp[1], script, len) < 0)
		abort();
	if (close_after)
		shutdown(x->sp[1], SHUT_WR);
	err_clear();
	r = gsess_run(x->sp[0], &x->req, -1, st);
	t_frames_clear(&x->got);
	t_collect(x->sp[1], &x->got, 10);
	return r;
}

static void run(void)
{
	struct exec_status st = { 0 };
	uint8_t script[512];
	struct fix x;
	size_t n = 0;
	char buf[64];
	int r, pp[2];

	n += t_frame(script + n, HVP_HELLO, 0, HVP_VERSION, strlen(HVP_VERSION));
	n += t_frame(script + n, HVP_STDOUT, 1, "out\n", 4);
	n += t_frame(script + n, HVP_STDERR, 1, "err\n", 4);
	n += t_frame(script + n, HVP_ERROR, 1, "\x1b[31mbad\x07 thing", 15);
	n += t_frame(script + n, HVP_EXIT, 1, "\0\x07", 2);
	fix_init(&x, 1, -1);
	r = run_scripted(&x, script, n, false, &st);
	CHECK(r == 0 && !st.signaled && st.code == 7, "gsess_run returns the exit status (%d, %d)", r, st.code);
	CHECK_STR(st.message, "bad thing", "the ERROR text, sanitized");
	slurp(x.req.out, buf, sizeof(buf));
	CHECK_STR(buf, "out\n", "stdout written");
	slurp(x.req.err, buf, sizeof(buf));
	CHECK_STR(buf, "err\n", "stderr written");
	CHECK(x.got.n == 4 && x.got.v[0].type == HVP_EXEC && x.got.v[0].session == 1 &&
		  x.got.v[1].type == HVP_STDIN_EOF && t_count(&x.got, HVP_OUTACK, NULL) == 2 && !x.got.fault,
	      "the guest saw EXEC, STDIN_EOF and two OUTACKs (%zu)", x.got.n);
	fix_free(&x);

	/* EPIPE on the output during the run: SIGNAL SIGPIPE to the guest */
	signal(SIGPIPE, SIG_IGN);
	n = t_frame(script, HVP_STDOUT, 1, "x", 1);
	n += t_frame(script + n, HVP_EXIT, 1, "\1\x0d", 2);
	fix_init(&x, 1, -1);
	if (pipe(pp) < 0)
		abort();
	close(x.req.out);
	x.req.out = pp[1];
	close(pp[0]);
	r = run_scripted(&x, script, n, false, &st);
	CHECK(r == 0 && st.signaled && st.code == SIGPIPE && t_find(&x.got, HVP_SIGNAL, 1) &&
		  t_find(&x.got, HVP_SIGNAL, 1)->data[0] == SIGPIPE,
	      "a closed stdout reader makes a SIGNAL SIGPIPE frame (%d)", r);
	fix_free(&x);

	/* the peer stops sending before EXIT: an error, not a hang */
	n = t_frame(script, HVP_STDOUT, 1, "partial", 7);
	fix_init(&x, 1, -1);
	r = run_scripted(&x, script, n, true, &st);
	CHECK(r == -ECONNRESET && strstr(err_msg(), "before the command ended"),
	      "end of stream before EXIT is -ECONNRESET (%d: %s)", r, err_msg());
	slurp(x.req.out, buf, sizeof(buf));
	CHECK_STR(buf, "partial", "what came before is written");
	fix_free(&x);

	fix_init(&x, 1, -1);
	close(x.sp[1]);
	x.sp[1] = -1;
	err_clear();
	r = gsess_run(x.sp[0], &x.req, -1, &st);
	CHECK(r == -ECONNRESET && *err_msg(), "a peer closed from the start: -ECONNRESET (%d: %s)", r, err_msg());
	fix_free(&x);

	/* protocol violations */
	n = t_frame(script, HVP_STDOUT, 1, "ok", 2);
	n += t_frame(script + n, HVP_EXEC, 1, "Ash", 4);
	n += t_frame(script + n, HVP_EXIT, 1, "\0\0", 2);
	fix_init(&x, 1, -1);
	r = run_scripted(&x, script, n, false, &st);
	CHECK(r == -EPROTO && strstr(err_msg(), "the guest sent EXEC"), "a guest sending EXEC: -EPROTO (%d: %s)", r,
	      err_msg());
	fix_free(&x);
	n = t_frame(script, HVP_STDERR, 0, "ok", 2);
	fix_init(&x, 1, -1);
	r = run_scripted(&x, script, n, false, &st);
	CHECK(r == -EPROTO && strstr(err_msg(), "on session 0"), "output on session 0: -EPROTO (%d: %s)", r, err_msg());
	fix_free(&x);
	n = t_frame(script, HVP_STDOUT, 1, "", 0);
	script[n - 7] = 1; /* the reserved byte */
	fix_init(&x, 1, -1);
	r = run_scripted(&x, script, n, false, &st);
	CHECK(r == -EPROTO && strstr(err_msg(), "reserved"), "a bad reserved byte: -EPROTO (%d: %s)", r, err_msg());
	fix_free(&x);
}

/* A guest that echoes stdin in batches of one window: it holds its ACK
 * until the echo is acknowledged with OUTACK.  Exits 0 when the host
 * kept to the window and acknowledged all output. */
static int echo_guest(int fd)
{
	struct hvp_decoder *d = malloc(sizeof(*d));
	uint8_t *batch = malloc(HVP_WINDOW), *buf = malloc(65536), ack[4];
	size_t inflight = 0, out_sent = 0, out_acked = 0;
	bool eof = false, waiting = false;

	hvp_decoder_init(d, HVP_HOST);
	for (;;) {
		ssize_t k = read(fd, buf, 65536);
		struct hvp_frame f;
		int got;
		if (k <= 0)
			return 3;
		for (size_t off = 0; off < (size_t)k;) {
			off += hvp_feed(d, buf + off, (size_t)k - off);
			while ((got = hvp_next(d, &f)) == 1) {
				if (f.type == HVP_STDIN) {
					if (inflight + f.len > HVP_WINDOW || waiting || eof)
						return 2; /* beyond the credit */
					memcpy(batch + inflight, f.payload, f.len);
					inflight += f.len;
				} else if (f.type == HVP_STDIN_EOF) {
					eof = true;
				} else if (f.type == HVP_OUTACK) {
					out_acked += hvp_get32(f.payload);
				}
				hvp_consume(d);
			}
			if (got < 0)
				return 4;
		}
		if (!waiting && (inflight == HVP_WINDOW || eof)) {
			for (size_t off = 0; off < inflight; off += HVP_DATA_MAX) {
				size_t len = inflight - off < HVP_DATA_MAX ? inflight - off : HVP_DATA_MAX;
				t_send(fd, HVP_STDOUT, 1, batch + off, len);
			}
			out_sent += inflight;
			waiting = true;
		}
		if (waiting && out_acked == out_sent) {
			hvp_put32(ack, (uint32_t)inflight);
			if (inflight)
				t_send(fd, HVP_ACK, 1, ack, 4);
			inflight = 0;
			waiting = false;
			if (eof) {
				t_send(fd, HVP_EXIT, 1, "\0\3", 2);
				return out_acked == out_sent ? 0 : 5;
			}
		}
	}
}

static void flow(void)
{
	size_t total = 5 * HVP_WINDOW / 2 + 123;
	uint8_t *data = malloc(total);
	char *back = malloc(total + 1);
	struct exec_status st = { 0 };
	struct fix x;
	int r, status = -1;
	pid_t pid;

	for (size_t i = 0; i < total; i++)
		data[i] = (uint8_t)(i * 7 + i / 1000);
	fix_init(&x, 1, memfd(data, total));
	pid = fork();
	if (pid == 0) {
		close(x.sp[0]);
		_exit(echo_guest(x.sp[1]));
	}
	r = gsess_run(x.sp[0], &x.req, -1, &st);
	waitpid(pid, &status, 0);
	CHECK(r == 0 && st.code == 3, "2.5 windows of stdin echoed: the command exits 3 (%d, %d)", r, st.code);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "the guest saw no stdin beyond its credit and every output byte acknowledged (status %d)", status);
	CHECK(slurp(x.req.out, back, total + 1) == total && !memcmp(back, data, total), "the echo is the input");
	fix_free(&x);
	free(data);
	free(back);
}

int main(void)
{
	alarm(60); /* a hang is a failure */
	start();
	credit();
	output();
	run();
	flow();
	T_DONE();
}
