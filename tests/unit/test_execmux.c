/* SPDX-License-Identifier: MIT */
/* The monitor's exec multiplexer (manager/execmux.h): real clients on
 * exec.sock in a temporary folder, a socketpair standing for the guest's
 * end of the channel, and the monitor's loop reduced to what concerns the
 * multiplexer. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest/channel.h"
#include "manager/execmux.h"
#include "util/err.h"
#include "util/sock.h"
#include "t.h"
#include "t_chan.h"

struct mon {
	char dir[64];
	int dirfd;
	int gp[2]; /* [0] the monitor's end of the guest channel, [1] the fake guest */
	struct chan guest;
	struct execmux *x;
	struct t_frames gf; /* what reached the guest */
};

/* A client: hv exec's end of a connection to exec.sock. */
struct cli {
	int fd;
	struct t_frames in; /* what reached the client */
};

static void mon_open(struct mon *m)
{
	memset(m, 0, sizeof(*m));
	snprintf(m->dir, sizeof(m->dir), "/tmp/test_execmux.XXXXXX");
	if (!mkdtemp(m->dir) || (m->dirfd = open(m->dir, O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, m->gp) < 0)
		abort();
	fcntl(m->gp[0], F_SETFL, O_NONBLOCK);
	chan_init(&m->guest, m->gp[0], HVP_GUEST);
	t_frames_init(&m->gf, HVP_HOST);
	CHECK(execmux_open(m->dirfd, &m->guest, &m->x) == 0, "execmux_open (%s)", err_msg());
}

static void mon_close(struct mon *m)
{
	struct stat st;

	execmux_close(m->x);
	CHECK(fstatat(m->dirfd, "exec.sock", &st, 0) < 0 && errno == ENOENT, "execmux_close removes exec.sock");
	chan_free(&m->guest);
	t_frames_free(&m->gf);
	if (m->guest.fd >= 0)
		close(m->guest.fd);
	if (m->gp[1] >= 0)
		close(m->gp[1]);
	close(m->dirfd);
	rmdir(m->dir);
}

/* As the monitor routes guest frames. */
static void on_guest_frame(void *ctx, const struct hvp_frame *f)
{
	struct mon *m = ctx;

	if (f->type == HVP_HELLO)
		execmux_guest_hello(m->x);
	else if (f->session)
		execmux_guest_frame(m->x, f);
}

static void guest_gone(struct mon *m)
{
	execmux_guest_gone(m->x);
	close(m->guest.fd);
	m->guest.fd = -1;
}

/* Rounds of the monitor's loop, each waiting at most wait_ms. */
static void step_wait(struct mon *m, int rounds, int wait_ms)
{
	while (rounds-- > 0) {
		struct pollfd pf[1 + EXECMUX_MAX_POLL];
		int timeout = wait_ms, nx;
		pf[0] = (struct pollfd){ m->guest.fd, POLLIN | (chan_pending(&m->guest) ? POLLOUT : 0), 0 };
		nx = execmux_poll_fds(m->x, pf + 1, &timeout);
		if (poll(pf, 1 + (nfds_t)nx, timeout > wait_ms ? wait_ms : timeout) < 0)
			abort();
		if (m->guest.fd >= 0 && (pf[0].revents & ~POLLOUT) &&
		    chan_read(&m->guest, on_guest_frame, m) == -ECONNRESET)
			guest_gone(m);
		err_clear();
		execmux_handle(m->x, pf + 1, nx);
		if (m->guest.fd >= 0 && chan_pending(&m->guest) && chan_flush(&m->guest) < 0)
			guest_gone(m);
	}
}

static void step(struct mon *m, int rounds)
{
	step_wait(m, rounds, 5);
}

/* Let the monitor work, then collect what the guest got. */
static void settle(struct mon *m)
{
	step(m, 8);
	t_frames_clear(&m->gf);
	t_collect(m->gp[1], &m->gf, 0);
}

static void cli_open(struct mon *m, struct cli *c)
{
	memset(c, 0, sizeof(*c));
	CHECK(sock_connect_at(m->dirfd, "exec.sock", &c->fd) == 0, "a client connects (%s)", err_msg());
	t_frames_init(&c->in, HVP_GUEST);
}

static void cli_close(struct cli *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	t_frames_free(&c->in);
}

/* What reached the client since the last look. */
static void cli_collect(struct cli *c)
{
	t_frames_clear(&c->in);
	t_collect(c->fd, &c->in, 0);
}

/* Read everything the monitor has for the client, letting it flush
 * between reads, until nothing more comes. */
static void cli_drain(struct mon *m, struct cli *c)
{
	int quiet = 0;

	t_frames_clear(&c->in);
	while (quiet < 3 && !c->in.eof) {
		step(m, 2);
		quiet = t_collect(c->fd, &c->in, 0) ? 0 : quiet + 1;
	}
}

static void cli_exec(struct cli *c, const char *cmd)
{
	char p[64];
	size_t n = (size_t)snprintf(p, sizeof(p), "A%s", cmd) + 1;

	t_send(c->fd, HVP_EXEC, 1, p, n);
}

/* A client whose command went out to the guest: its guest session (0 if
 * none went out). */
static unsigned cli_start(struct mon *m, struct cli *c, const char *cmd)
{
	const struct t_rframe *e;

	cli_open(m, c);
	cli_exec(c, cmd);
	settle(m);
	e = t_find(&m->gf, HVP_EXEC, -1);
	return e ? e->session : 0;
}

static void send_u32(int fd, int type, unsigned session, uint32_t v)
{
	uint8_t p[4];

	hvp_put32(p, v);
	t_send(fd, type, session, p, 4);
}

/* A client told "ERROR why" then "EXIT 0 code" on session 1, then closed. */
static bool ended_with(struct mon *m, struct cli *c, const char *why, int code)
{
	const struct t_rframe *e, *x;

	step(m, 8);
	t_frames_clear(&c->in);
	t_collect(c->fd, &c->in, 20);
	e = t_find(&c->in, HVP_ERROR, 1);
	x = t_find(&c->in, HVP_EXIT, 1);
	return e && x && e < x && strstr((const char *)e->data, why) && x->len == 2 && x->data[0] == 0 &&
	       x->data[1] == code && c->in.eof;
}

static void hold_and_rewrite(void)
{
	struct mon m;
	struct cli a, b;
	const struct t_rframe *f, *ea, *eb;
	unsigned ga, gb;

	mon_open(&m);
	cli_open(&m, &a);
	cli_exec(&a, "true");
	settle(&m);
	CHECK(m.gf.n == 0, "before HELLO the client's EXEC is held (%zu frames reached the guest)", m.gf.n);
	t_send(m.gp[1], HVP_HELLO, 0, HVP_VERSION, strlen(HVP_VERSION));
	settle(&m);
	ea = t_find(&m.gf, HVP_EXEC, -1);
	CHECK(m.gf.n == 1 && ea && ea->session != 0 && ea->len == 6 && !memcmp(ea->data, "Atrue", 6),
	      "after HELLO it goes out on a guest session (%zu)", m.gf.n);
	ga = ea ? ea->session : 0;
	cli_open(&m, &b);
	cli_exec(&b, "cat");
	t_send(b.fd, HVP_STDIN, 1, "abc", 3);
	t_send(b.fd, HVP_STDIN_EOF, 1, NULL, 0);
	settle(&m);
	eb = t_find(&m.gf, HVP_EXEC, -1);
	gb = eb ? eb->session : 0;
	CHECK(eb && gb != 0 && gb != ga && !memcmp(eb->data, "Acat", 5),
	      "a second client gets another session (%u, %u)", ga, gb);
	f = t_find(&m.gf, HVP_STDIN, -1);
	CHECK(f && f->session == gb && f->len == 3 && t_find(&m.gf, HVP_STDIN_EOF, gb),
	      "its stdin goes to the guest on its session");
	t_send(m.gp[1], HVP_STDOUT, gb, "to b", 4);
	t_send(m.gp[1], HVP_STDOUT, ga, "to a", 4);
	send_u32(m.gp[1], HVP_ACK, gb, 3);
	t_send(m.gp[1], HVP_EXIT, ga, "\0\0", 2);
	step(&m, 8);
	cli_collect(&a);
	cli_collect(&b);
	f = t_find(&a.in, HVP_STDOUT, 1);
	CHECK(f && !strcmp((char *)f->data, "to a") && t_find(&a.in, HVP_EXIT, 1) && a.in.n == 2,
	      "the first client gets its output and EXIT on session 1 (%zu)", a.in.n);
	f = t_find(&b.in, HVP_STDOUT, 1);
	CHECK(f && !strcmp((char *)f->data, "to b") && b.in.n == 2 && t_find(&b.in, HVP_ACK, 1) &&
		  hvp_get32(t_find(&b.in, HVP_ACK, 1)->data) == 3,
	      "the second only its own output and ACK, on session 1 (%zu)", b.in.n);
	step(&m, 4);
	t_collect(a.fd, &a.in, 20);
	CHECK(a.in.eof, "after EXIT the client's connection is closed");
	send_u32(b.fd, HVP_OUTACK, 1, 4);
	t_send(b.fd, HVP_WINCH, 1, "\x18\0\x50\0", 4);
	settle(&m);
	f = t_find(&m.gf, HVP_OUTACK, -1);
	CHECK(f && f->session == gb && hvp_get32(f->data) == 4 && t_find(&m.gf, HVP_WINCH, gb),
	      "the client's OUTACK and WINCH reach the guest on its session");
	CHECK(!t_find(&m.gf, HVP_HANGUP, ga), "a client that saw EXIT is not hung up");
	/* a client that goes away */
	cli_close(&b);
	settle(&m);
	f = t_find(&m.gf, HVP_HANGUP, -1);
	CHECK(f && f->session == gb && m.gf.n == 1,
	      "a client that disconnects makes the mux send HANGUP for its session");
	cli_close(&a);
	mon_close(&m);
}

/* A client that gives up while waiting for hv's init: its command never
 * starts (a Ctrl-C'ed 'hv exec vm -- reboot' must not reboot the VM). */
static void gave_up(void)
{
	struct mon m;
	struct cli c;

	mon_open(&m);
	cli_open(&m, &c);
	cli_exec(&c, "reboot");
	step(&m, 2);
	cli_close(&c);
	step(&m, 4);
	t_send(m.gp[1], HVP_HELLO, 0, HVP_VERSION, strlen(HVP_VERSION));
	settle(&m);
	CHECK(m.gf.n == 0, "a client that left before HELLO has nothing sent to the guest (%zu frames: %s)", m.gf.n,
	      m.gf.n ? hvp_type_name(m.gf.v[0].type) : "");
	mon_close(&m);
}

/* Output beyond the window is dropped: a client that does not read cannot
 * make the monitor buffer what the guest sends. */
static void window(void)
{
	struct mon m;
	struct cli c;
	const struct t_rframe *e;
	uint8_t *chunk = malloc(HVP_DATA_MAX);
	size_t bytes = 0, n;
	unsigned g;

	memset(chunk, 'o', HVP_DATA_MAX);
	mon_open(&m);
	t_send(m.gp[1], HVP_HELLO, 0, HVP_VERSION, strlen(HVP_VERSION));
	g = cli_start(&m, &c, "yes");
	for (int k = 0; k < 12; k++) {
		t_send(m.gp[1], HVP_STDOUT, g, chunk, HVP_DATA_MAX);
		step(&m, 4);
	}
	cli_drain(&m, &c);
	n = t_count(&c.in, HVP_STDOUT, &bytes);
	CHECK(bytes == HVP_WINDOW && n == HVP_WINDOW / HVP_DATA_MAX,
	      "12 x 64 KiB sent without acknowledgement: one window reaches the client (%zu bytes)", bytes);
	send_u32(c.fd, HVP_OUTACK, 1, HVP_WINDOW);
	settle(&m);
	e = t_find(&m.gf, HVP_OUTACK, g);
	CHECK(e && hvp_get32(e->data) == HVP_WINDOW, "the client's OUTACK is forwarded");
	t_send(m.gp[1], HVP_STDERR, g, chunk, 100);
	step(&m, 8);
	cli_collect(&c);
	n = t_count(&c.in, HVP_STDERR, &bytes);
	CHECK(n == 1 && bytes == 100, "after the acknowledgement output flows again");

	/* frames that carry nothing, or acknowledge what was never sent, are
	 * not queued for the client either */
	for (int k = 0; k < 10; k++) {
		uint8_t *flood = malloc(2000 * (HVP_HDR + 4));
		size_t len = 0;
		for (int i = 0; i < 1000; i++) {
			uint8_t p[4];
			hvp_put32(p, 1);
			len += t_frame(flood + len, HVP_STDOUT, g, NULL, 0);
			len += t_frame(flood + len, HVP_ACK, g, p, 4);
		}
		write_all(m.gp[1], flood, len);
		free(flood);
		step(&m, 4);
	}
	t_send(m.gp[1], HVP_ERROR, g, "first", 5);
	for (int k = 0; k < 100; k++)
		t_send(m.gp[1], HVP_ERROR, g, chunk, 256);
	cli_drain(&m, &c);
	e = t_find(&c.in, HVP_ERROR, 1);
	CHECK(t_count(&c.in, HVP_STDOUT, NULL) == 0, "empty output frames are dropped (%zu reached the client)",
	      t_count(&c.in, HVP_STDOUT, NULL));
	CHECK(t_count(&c.in, HVP_ACK, NULL) == 0,
	      "ACKs of stdin the client never sent are dropped (%zu reached the client)",
	      t_count(&c.in, HVP_ACK, NULL));
	CHECK(t_count(&c.in, HVP_ERROR, NULL) == 1 && e && !strcmp((char *)e->data, "first"),
	      "only the first ERROR of a session reaches the client (%zu)", t_count(&c.in, HVP_ERROR, NULL));
	/* ACKs are forwarded up to the stdin the client sent */
	t_send(c.fd, HVP_STDIN, 1, "12345", 5);
	settle(&m);
	send_u32(m.gp[1], HVP_ACK, g, 2);
	send_u32(m.gp[1], HVP_ACK, g, 0xffffffffu);
	send_u32(m.gp[1], HVP_ACK, g, 1);
	step(&m, 8);
	cli_collect(&c);
	CHECK(t_count(&c.in, HVP_ACK, NULL) == 2 && hvp_get32(c.in.v[0].data) == 2 && hvp_get32(c.in.v[1].data) == 3,
	      "ACKs reach the client clamped to the stdin in flight (%zu)", c.in.n);
	cli_close(&c);
	mon_close(&m);
	free(chunk);
}

static void reboot_and_gone(void)
{
	struct mon m;
	struct cli a, b, w;

	mon_open(&m);
	t_send(m.gp[1], HVP_HELLO, 0, HVP_VERSION, strlen(HVP_VERSION));
	cli_open(&m, &a);
	cli_exec(&a, "sleep");
	settle(&m);
	CHECK(t_find(&m.gf, HVP_EXEC, -1), "the command runs");
	t_send(m.gp[1], HVP_HELLO, 0, HVP_VERSION, strlen(HVP_VERSION));
	CHECK(ended_with(&m, &a, "the guest restarted while the command ran", 255),
	      "a second HELLO ends a running client with ERROR and EXIT 255");
	cli_open(&m, &b);
	cli_exec(&b, "sleep");
	settle(&m);
	CHECK(t_find(&m.gf, HVP_EXEC, -1), "after the reboot new commands run");
	close(m.gp[1]);
	m.gp[1] = -1;
	CHECK(ended_with(&m, &b, "the VM stopped while the command ran", 255),
	      "the guest channel gone: the client gets ERROR and EXIT 255");
	cli_close(&a);
	cli_close(&b);
	mon_close(&m);

	/* a client still waiting for hv's init is ended too */
	mon_open(&m);
	cli_open(&m, &w);
	cli_exec(&w, "true");
	step(&m, 4);
	execmux_guest_gone(m.x);
	CHECK(ended_with(&m, &w, "the VM stopped", 255), "execmux_guest_gone ends a client waiting for HELLO");
	cli_close(&w);
	mon_close(&m);
}

static void bad_clients(void)
{
	struct mon m;
	struct cli a, b, c, many[EXECMUX_MAX_CLIENTS + 1];
	const struct t_rframe *e;
	unsigned g;

	mon_open(&m);
	t_send(m.gp[1], HVP_HELLO, 0, HVP_VERSION, strlen(HVP_VERSION));
	cli_open(&m, &a);
	t_send(a.fd, HVP_EXEC, 2, "Atrue", 6);
	CHECK(ended_with(&m, &a, "frames on a session other than 1", 125), "an EXEC on session 2 is refused");
	settle(&m);
	CHECK(m.gf.n == 0, "and nothing reaches the guest (%zu)", m.gf.n);

	g = cli_start(&m, &b, "cat");
	t_send(b.fd, HVP_STDIN, 2, "x", 1);
	CHECK(ended_with(&m, &b, "frames on a session other than 1", 125),
	      "a running client's frame on session 2 is refused");
	t_frames_clear(&m.gf);
	t_collect(m.gp[1], &m.gf, 0);
	e = t_find(&m.gf, HVP_HANGUP, -1);
	CHECK(e && e->session == g && t_count(&m.gf, HVP_HANGUP, NULL) == 1 && !t_find(&m.gf, HVP_STDIN, -1),
	      "and its command in the guest is hung up, not left running (%zu)", m.gf.n);

	g = cli_start(&m, &c, "cat");
	t_send(c.fd, HVP_STDOUT, 1, "x", 1); /* a guest's frame from a client */
	settle(&m);
	t_collect(c.fd, &c.in, 20);
	e = t_find(&m.gf, HVP_HANGUP, -1);
	CHECK(c.in.eof && e && e->session == g, "a client breaking the protocol is dropped and its command hung up");

	for (int i = 0; i <= EXECMUX_MAX_CLIENTS; i++) {
		cli_open(&m, &many[i]);
		step(&m, 1);
	}
	step(&m, 4);
	t_collect(many[EXECMUX_MAX_CLIENTS].fd, &many[EXECMUX_MAX_CLIENTS].in, 20);
	t_collect(many[0].fd, &many[0].in, 0);
	CHECK(many[EXECMUX_MAX_CLIENTS].in.eof && !many[0].in.eof, "client %d is turned away, the first kept",
	      EXECMUX_MAX_CLIENTS + 1);
	for (int i = 0; i <= EXECMUX_MAX_CLIENTS; i++)
		cli_close(&many[i]);
	cli_close(&a);
	cli_close(&b);
	cli_close(&c);
	mon_close(&m);
}

/* After 65535 commands the session numbers wrap: one still running is
 * not handed out again (the guest would ignore that EXEC, and its client
 * would wait for ever). */
static void wrap(void)
{
	struct mon m;
	struct cli l, n;
	unsigned gl = 0, gn = 0;
	uint8_t junk[65536];

	mon_open(&m);
	t_send(m.gp[1], HVP_HELLO, 0, HVP_VERSION, strlen(HVP_VERSION));
	gl = cli_start(&m, &l, "sleep");
	for (int done = 0; done < 65534;) {
		int fds[16], k;
		for (k = 0; k < 16 && done + k < 65534; k++) {
			if (sock_connect_at(m.dirfd, "exec.sock", &fds[k]) < 0)
				abort();
			t_send(fds[k], HVP_EXEC, 1, "Atrue", 6);
			close(fds[k]);
		}
		done += k;
		step_wait(&m, 3 * k + 4, 0);
		while (read(m.gp[1], junk, sizeof(junk)) == sizeof(junk))
			;
	}
	step(&m, 8);
	fcntl(m.gp[1], F_SETFL, O_NONBLOCK);
	while (read(m.gp[1], junk, sizeof(junk)) > 0)
		;
	fcntl(m.gp[1], F_SETFL, 0);
	gn = cli_start(&m, &n, "true");
	CHECK(gl && gn && gn != gl, "65535 commands later the running one's session %u is skipped (%u)", gl, gn);
	cli_close(&l);
	cli_close(&n);
	mon_close(&m);
}

int main(void)
{
	alarm(60); /* a hang is a failure */
	hold_and_rewrite();
	gave_up();
	window();
	reboot_and_gone();
	bad_clients();
	wrap();
	T_DONE();
}
