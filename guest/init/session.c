/* SPDX-License-Identifier: MIT */
/* The commands hv runs in the default guest: one session per EXEC, many at once (session.h). */
#include "session.h"

#include "../../src/guest/proto.h"
#include "chan.h"
#include "sys.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define MAX_ARGS HVP_EXEC_ARGS
#define DRAIN_MS 200 /* output still open this long after the command exited: stop */

struct cmd {
	char *argv[MAX_ARGS + 1];
	char *envp[MAX_ARGS + 8];
	const char *workdir, *user;
	char term; /* 0: pipes; 'T': the console; 'P': a new pseudo-terminal */
	int rows, cols;
	const char *refused; /* why the command cannot run as sent, or NULL */
};

struct sess {
	unsigned id; /* 0: a free slot */
	pid_t pid;
	int status;
	bool exited, hungup, console, pty;
	long long exit_ms;
	int in_w, out_r, err_r; /* -1 once closed; a terminal's master is out_r (and in_w) */
	uint8_t *inbuf;		/* stdin received, not yet taken by the command (HVP_WINDOW) */
	size_t inlen;
	bool in_eof;
	uint32_t unacked; /* output sent, not yet written out by the host */
};

static struct sess ss[HVP_SESSIONS];
static struct hvp_decoder dec; /* frames from the host */
static bool chan_dead;
static int nfinished;

/* Which session and stream each polled fd belongs to. */
static struct {
	int slot;
	char what; /* 'c' channel, 'i' stdin, 'o' stdout, 'e' stderr */
} owner[SESS_MAX_POLL];

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void sess_init(void)
{
	hvp_decoder_init(&dec, HVP_HOST);
	for (int i = 0; i < HVP_SESSIONS; i++)
		ss[i] = (struct sess){ .in_w = -1, .out_r = -1, .err_r = -1 };
}

static void send_error(unsigned id, const char *msg)
{
	gchan_send(HVP_ERROR, id, msg, strnlen(msg, 255));
}

static void send_exit(unsigned id, int status)
{
	uint8_t ex[2] = { 0, 0 };

	if (WIFSIGNALED(status)) {
		ex[0] = 1;
		ex[1] = (uint8_t)WTERMSIG(status);
	} else {
		ex[1] = (uint8_t)WEXITSTATUS(status);
	}
	gchan_send(HVP_EXIT, id, ex, sizeof(ex));
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void finish(struct sess *s)
{
	if (s->console)
		tcdrain(1); /* the console output comes before the status */
	if (!s->hungup)
		send_exit(s->id, s->status);
	close_fd(&s->in_w);
	close_fd(&s->out_r);
	close_fd(&s->err_r);
	free(s->inbuf);
	*s = (struct sess){ .in_w = -1, .out_r = -1, .err_r = -1 };
	nfinished++;
}

static const char refused_empty[] = "empty command";

/* The strings of c point into the returned copy of the payload; NULL
 * with c->refused saying why when the command cannot run as sent. */
static char *parse_exec(const uint8_t *p, size_t len, struct cmd *c)
{
	char *copy = malloc(len + 1);
	size_t na = 0, ne = 0;

	if (!copy)
		return NULL;
	memcpy(copy, p, len);
	copy[len] = '\0';
	for (char *const *e = init_environ; *e; e++)
		c->envp[ne++] = *e;
	for (size_t off = 0; off < len;) {
		char *s = copy + off;
		size_t sl = strnlen(s, len - off);
		off += sl + 1;
		if (sl == 0)
			continue;
		/* a command cut short would run, and do something else */
		if ((s[0] == 'A' && na == MAX_ARGS) || (s[0] == 'E' && strchr(s, '=') && ne == MAX_ARGS + 4)) {
			c->refused = "more than 1024 arguments or environment variables";
			break;
		}
		if (s[0] == 'A') {
			c->argv[na++] = s + 1;
		} else if (s[0] == 'E' && strchr(s, '=')) {
			/* a later value replaces a default with the same name */
			size_t kl = (size_t)(strchr(s, '=') - s);
			size_t j;
			for (j = 0; j < ne; j++)
				if (!strncmp(c->envp[j], s + 1, kl) && c->envp[j][kl - 1] == '=')
					break;
			c->envp[j == ne ? ne++ : j] = s + 1;
		} else if (s[0] == 'T' || s[0] == 'P') {
			c->term = s[0];
			sscanf(s + 1, "%dx%d", &c->rows, &c->cols);
		} else if (s[0] == 'W') {
			c->workdir = s + 1;
		} else if (s[0] == 'U') {
			c->user = s + 1;
		}
	}
	c->argv[na] = NULL;
	c->envp[ne] = NULL;
	if (na == 0 && !c->refused)
		c->refused = refused_empty;
	if (c->refused) {
		free(copy);
		return NULL;
	}
	return copy;
}

/* uid, gid and home of a user from /etc/passwd (name or number). */
static int lookup_user(const char *user, uid_t *uid, gid_t *gid, char *home, size_t n)
{
	FILE *f = fopen("/etc/passwd", "re");
	char line[512];
	int found = -1;

	if (!f)
		return -1;
	while (found < 0 && fgets(line, sizeof(line), f)) {
		char *fields[7], *save = NULL, *t = line;
		int k = 0;
		for (char *tok; k < 7 && (tok = strsep(&t, ":\n")); save = tok)
			fields[k++] = tok;
		(void)save;
		if (k < 6)
			continue;
		if (strcmp(fields[0], user) && strcmp(fields[2], user))
			continue;
		*uid = (uid_t)strtoul(fields[2], NULL, 10);
		*gid = (gid_t)strtoul(fields[3], NULL, 10);
		snprintf(home, n, "%s", fields[5]);
		found = 0;
	}
	fclose(f);
	return found;
}

/* In the child: become the user, go to the working directory.  Returns
 * an errno for the parent's report, 0 on success. */
static int child_identity(struct cmd *c, char *homeenv, size_t n)
{
	const char *dir = c->workdir;
	char home[256] = "/root";

	if (c->user) {
		uid_t uid;
		gid_t gid;
		if (lookup_user(c->user, &uid, &gid, home, sizeof(home)) < 0)
			return ESRCH;
		if (setgroups(0, NULL) < 0 || setgid(gid) < 0 || setuid(uid) < 0)
			return errno;
		snprintf(homeenv, n, "HOME=%s", home);
		for (char **e = c->envp; *e; e++)
			if (!strncmp(*e, "HOME=", 5))
				*e = homeenv;
	}
	if (dir)
		return chdir(dir) < 0 ? errno : 0;
	if (chdir(home) < 0 && chdir("/") < 0)
		return errno;
	return 0;
}

/* In the child: the terminal or pipes as stdio. */
static int child_stdio(struct cmd *c, int in, int out, int err, const char *pts)
{
	if (c->term == 'T')
		return init_take_tty("/dev/ttyS0", c->rows, c->cols) < 0 ? EIO : 0;
	if (c->term == 'P')
		return init_take_tty(pts, c->rows, c->cols) < 0 ? EIO : 0;
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
		return errno;
	return 0;
}

/* Fork and exec; a failure before or at exec comes back through a
 * CLOEXEC pipe and is reported as ERROR.  Returns the pid, or -1. */
static pid_t spawn(unsigned id, struct cmd *c, int in, int out, int err, const char *pts)
{
	int ep[2], e = 0;
	pid_t pid;

	if (pipe2(ep, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		sigset_t none;
		char homeenv[300];
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		setsid();
		if ((e = child_stdio(c, in, out, err, pts)) == 0 &&
		    (e = child_identity(c, homeenv, sizeof(homeenv))) == 0) {
			execvpe(c->argv[0], c->argv, c->envp);
			e = errno;
		}
		(void)!write(ep[1], &e, sizeof(e));
		_exit(e == ENOENT ? 127 : 126);
	}
	close(ep[1]);
	if (pid > 0 && read(ep[0], &e, sizeof(e)) == sizeof(e)) {
		char msg[256];
		if (e == ESRCH && c->user)
			snprintf(msg, sizeof(msg), "no user %s in the guest", c->user);
		else if (e == ENOENT && c->workdir && access(c->workdir, F_OK) < 0)
			snprintf(msg, sizeof(msg), "%s: no such directory in the guest", c->workdir);
		else
			snprintf(msg, sizeof(msg), "%s: %s", c->argv[0],
				 e == ENOENT ? "command not found in the guest" : strerror(e));
		send_error(id, msg);
	}
	close(ep[0]);
	return pid;
}

/* Start a session's command with pipes, a pseudo-terminal or the console. */
static int start(struct sess *s, struct cmd *c)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 }, master = -1;
	char pts[64] = "";

	if (c->term == 'P') {
		master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
		if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0 || ptsname_r(master, pts, sizeof(pts))) {
			close_fd(&master);
			return -1;
		}
	} else if (c->term != 'T') {
		if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0)
			return -1;
	}
	s->console = c->term == 'T';
	s->pty = c->term == 'P';
	s->pid = spawn(s->id, c, in[0], out[1], err[1], pts);
	close_fd(&in[0]);
	close_fd(&out[1]);
	close_fd(&err[1]);
	if (master >= 0) {
		s->out_r = master;
		s->in_w = fcntl(master, F_DUPFD_CLOEXEC, 3);
	} else {
		s->in_w = in[1];
		s->out_r = out[0];
		s->err_r = err[0];
	}
	for (int *fd = &s->in_w; fd <= &s->err_r; fd++)
		if (*fd >= 0)
			fcntl(*fd, F_SETFL, O_NONBLOCK);
	if (s->pid < 0) {
		close_fd(&s->in_w);
		close_fd(&s->out_r);
		close_fd(&s->err_r);
		return -1;
	}
	return 0;
}

static struct sess *find(unsigned id)
{
	for (int i = 0; i < HVP_SESSIONS; i++)
		if (ss[i].id == id)
			return &ss[i];
	return NULL;
}

static void on_exec(unsigned id, const uint8_t *p, size_t len)
{
	struct cmd c = { 0 };
	struct sess *s;
	char *copy;

	if (find(id)) {
		init_log("guest channel: hv reused session %u while it runs; ignored", id);
		return;
	}
	if (!(s = find(0))) {
		send_error(id, "too many commands at once in this guest");
		send_exit(id, 125 << 8);
		return;
	}
	s->id = id;
	if (!(copy = parse_exec(p, len, &c))) {
		send_error(id, c.refused ? c.refused : "out of memory");
		s->exited = true;
		/* as a shell: 127 for no command, 126 for one it cannot run */
		s->status = (c.refused == refused_empty ? 127 : 126) << 8;
		finish(s);
		return;
	}
	if (start(s, &c) < 0) {
		send_error(id, "cannot start the command (out of processes or memory)");
		s->exited = true;
		s->status = 126 << 8;
		finish(s);
	}
	free(copy);
}

static void winch(struct sess *s, const uint8_t *p)
{
	struct winsize ws = { .ws_row = hvp_get16(p), .ws_col = hvp_get16(p + 2) };

	if (s->console) {
		int fd = open("/dev/ttyS0", O_RDWR | O_NOCTTY | O_CLOEXEC);
		if (fd >= 0) {
			ioctl(fd, TIOCSWINSZ, &ws);
			close(fd);
		}
	} else if (s->pty && s->out_r >= 0) {
		ioctl(s->out_r, TIOCSWINSZ, &ws);
	}
}

static void on_frame(const struct hvp_frame *f)
{
	struct sess *s;

	if (f->type == HVP_EXEC) {
		on_exec(f->session, f->payload, f->len);
		return;
	}
	if (!(s = find(f->session)) || s->hungup)
		return; /* a session that ended meanwhile */
	switch (f->type) {
	case HVP_STDIN: {
		size_t len = f->len;
		if (s->in_eof || (!s->inbuf && !(s->inbuf = malloc(HVP_WINDOW))))
			break;
		if (len > HVP_WINDOW - s->inlen)
			len = HVP_WINDOW - s->inlen; /* the host broke the window */
		memcpy(s->inbuf + s->inlen, f->payload, len);
		s->inlen += len;
		break;
	}
	case HVP_STDIN_EOF:
		s->in_eof = true;
		break;
	case HVP_SIGNAL:
		if (f->len == 1 && f->payload[0] > 0 && f->payload[0] < 65 && s->pid > 0 && !s->exited)
			kill(-s->pid, f->payload[0]);
		break;
	case HVP_WINCH:
		if (f->len == 4)
			winch(s, f->payload);
		break;
	case HVP_OUTACK:
		if (f->len == 4) {
			uint32_t k = hvp_get32(f->payload);
			s->unacked -= k < s->unacked ? k : s->unacked;
		}
		break;
	case HVP_HANGUP:
		/* nobody is left to read: the command gets a hangup, its output is dropped */
		s->hungup = true;
		if (s->pid > 0 && !s->exited) {
			kill(-s->pid, SIGHUP);
			kill(-s->pid, SIGCONT);
		}
		break;
	}
}

/* Move stdin into the command; acknowledge what it took. */
static void feed_stdin(struct sess *s)
{
	size_t done = 0;
	uint8_t ack[4];

	while (s->in_w >= 0 && done < s->inlen) {
		ssize_t n = write(s->in_w, s->inbuf + done, s->inlen - done);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			/* the command closed its stdin: drop the rest, keep acknowledging */
			close_fd(&s->in_w);
			break;
		}
		done += (size_t)n;
	}
	if (s->in_w < 0)
		done = s->inlen;
	if (done) {
		memmove(s->inbuf, s->inbuf + done, s->inlen - done);
		s->inlen -= done;
		hvp_put32(ack, (uint32_t)done);
		gchan_send(HVP_ACK, s->id, ack, sizeof(ack));
	}
	/* a terminal's stdin stays open: closing the master would hang it up */
	if (s->in_eof && s->inlen == 0 && s->in_w >= 0 && !s->pty)
		close_fd(&s->in_w);
}

static void relay_output(struct sess *s, int *fd, int type)
{
	static uint8_t buf[HVP_DATA_MAX];
	size_t room = s->hungup ? sizeof(buf) : HVP_WINDOW - s->unacked;
	ssize_t n;

	/* poll reports POLLHUP even when POLLIN was not asked for (the
	 * window is closed): a read of 0 bytes then is not the end */
	if (!room)
		return;
	n = read(*fd, buf, room < sizeof(buf) ? room : sizeof(buf));
	if (n > 0) {
		if (s->hungup)
			return;
		s->unacked += (uint32_t)n;
		gchan_send(type, s->id, buf, (size_t)n);
	} else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
		/* EOF, or EIO from a terminal whose last user left */
		if (s->pty)
			close_fd(&s->in_w);
		close_fd(fd);
	}
}

static void add(struct pollfd *pf, int *n, int fd, short ev, int slot, char what)
{
	pf[*n] = (struct pollfd){ fd, ev, 0 };
	owner[*n].slot = slot;
	owner[*n].what = what;
	(*n)++;
}

int sess_poll_fds(struct pollfd *pf, int *timeout_ms)
{
	int n = 0;
	long long now = now_ms();

	add(pf, &n, chan_dead ? -1 : gchan_fd(), POLLIN, -1, 'c');
	for (int i = 0; i < HVP_SESSIONS; i++) {
		struct sess *s = &ss[i];
		if (!s->id)
			continue;
		if (s->inlen || (s->in_eof && s->in_w >= 0 && !s->pty))
			feed_stdin(s);
		bool room = s->hungup || s->unacked < HVP_WINDOW;
		/* while hv holds the window closed the output waits for it,
		 * not for background processes: that time does not count */
		if (s->exited && !room)
			s->exit_ms = now;
		if (s->exited && ((s->out_r < 0 && s->err_r < 0) || now - s->exit_ms >= DRAIN_MS)) {
			finish(s); /* output held open by background processes: stop */
			continue;
		}
		/* without room not even polled: poll would report POLLHUP of
		 * an exited command's pipe at once, again and again */
		if (s->out_r >= 0)
			add(pf, &n, room ? s->out_r : -1, POLLIN, i, 'o');
		if (s->err_r >= 0)
			add(pf, &n, room ? s->err_r : -1, POLLIN, i, 'e');
		if (s->in_w >= 0 && s->inlen)
			add(pf, &n, s->in_w, POLLOUT, i, 'i');
		if (s->exited) {
			int left = (int)(DRAIN_MS - (now - s->exit_ms));
			if (*timeout_ms < 0 || left < *timeout_ms)
				*timeout_ms = left < 0 ? 0 : left;
		}
	}
	return n;
}

static int read_channel(void)
{
	static uint8_t buf[HVP_DATA_MAX];
	ssize_t k = read(gchan_fd(), buf, sizeof(buf));
	size_t off = 0;
	struct hvp_frame f;
	int got;

	if (k < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (k <= 0)
		return -1;
	while (off < (size_t)k) {
		off += hvp_feed(&dec, buf + off, (size_t)k - off);
		while ((got = hvp_next(&dec, &f)) == 1) {
			on_frame(&f);
			hvp_consume(&dec);
		}
		if (got < 0) {
			char why[160];
			hvp_describe_fault(&dec, why, sizeof(why));
			init_log("guest channel closed: %s", why);
			return -1;
		}
	}
	return 0;
}

int sess_handle(const struct pollfd *pf, int n)
{
	for (int i = 0; i < n; i++) {
		struct sess *s;
		if (!pf[i].revents)
			continue;
		if (owner[i].what == 'c') {
			if (!chan_dead && read_channel() < 0)
				chan_dead = true;
			continue;
		}
		s = &ss[owner[i].slot];
		if (!s->id)
			continue;
		if (owner[i].what == 'o')
			relay_output(s, &s->out_r, HVP_STDOUT);
		else if (owner[i].what == 'e')
			relay_output(s, &s->err_r, HVP_STDERR);
		else if (owner[i].what == 'i')
			feed_stdin(s);
	}
	return chan_dead ? -1 : 0;
}

bool sess_reaped(pid_t pid, int status)
{
	for (int i = 0; i < HVP_SESSIONS; i++)
		if (ss[i].id && ss[i].pid == pid && !ss[i].exited) {
			ss[i].exited = true;
			ss[i].status = status;
			ss[i].exit_ms = now_ms();
			return true;
		}
	return false;
}

int sess_active(void)
{
	int k = 0;

	for (int i = 0; i < HVP_SESSIONS; i++)
		k += ss[i].id != 0;
	return k;
}

int sess_finished(void)
{
	return nfinished;
}
