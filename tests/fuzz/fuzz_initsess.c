/* SPDX-License-Identifier: MIT */
/* Fuzz target: hv's init reading the host's frames (guest/init/session.c,
 * built in as tests/unit/test_initsess.c does).  The input is the host's
 * side of the channel.  No command runs: fork() is faked (the session
 * gets pipes with nobody at the other end and a pid that is no process)
 * and kill() does nothing, so EXEC's parsing, the stdin window, signals,
 * terminal sizes, acknowledgements and hangups are exercised without
 * processes.  Every frame the init sends must pass the host's checks. */
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/types.h>

static pid_t fuzz_fork(void);
static int fuzz_kill(pid_t pid, int sig);
static int fuzz_open(const char *path, int flags, ...);
static int fuzz_tcdrain(int fd);
#define fork	fuzz_fork
#define kill	fuzz_kill
#define open	fuzz_open
#define tcdrain fuzz_tcdrain
#include "../../guest/init/session.c"
#undef fork
#undef kill
#undef open
#undef tcdrain

#include "../unit/t_initsys.h"
#include "fuzz.h"

static pid_t next_pid = 1 << 22; /* above pid_max's default: no process has it */

static pid_t fuzz_fork(void)
{
	return next_pid++;
}

static int fuzz_kill(pid_t pid, int sig)
{
	(void)pid;
	(void)sig;
	return 0;
}

/* The console's window size is set on /dev/ttyS0: not the host's. */
static int fuzz_open(const char *path, int flags, ...)
{
	va_list ap;
	int mode;

	if (!strncmp(path, "/dev/tty", 8)) {
		errno = ENOENT;
		return -1;
	}
	va_start(ap, flags);
	mode = va_arg(ap, int);
	va_end(ap);
	return open(path, flags, mode);
}

static int fuzz_tcdrain(int fd)
{
	(void)fd;
	return 0;
}

/* The fakes of guest/init/chan.h (sys.h's: t_initsys.h). */
static int sp[2]; /* [0] the guest's end, [1] the host's */
static struct hvp_decoder host_dec;

int gchan_fd(void)
{
	return sp[0];
}

void gchan_send(int type, unsigned session, const void *data, size_t len)
{
	static uint8_t buf[HVP_HDR + HVP_DATA_MAX + 1];
	struct hvp_frame f;

	if (len > HVP_DATA_MAX)
		abort(); /* the host would refuse it */
	hvp_put_header(buf, type, session, len);
	memcpy(buf + HVP_HDR, data, len);
	if (hvp_feed(&host_dec, buf, HVP_HDR + len) != HVP_HDR + len || hvp_next(&host_dec, &f) != 1)
		abort(); /* the init sent what the host refuses */
	hvp_consume(&host_dec);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	signal(SIGPIPE, SIG_IGN); /* stdin written into a pipe nobody reads */
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pollfd pf[SESS_MAX_POLL];
	int rounds = 0;

	sess_init();
	chan_dead = false;
	hvp_decoder_init(&host_dec, HVP_GUEST);
	fz_peer(data, size, sp);
	/* the init's loop until the channel is gone; commands end as they
	 * come (a reaped child), alternately before and after their input */
	while (rounds++ < 64) {
		int timeout = 0, n = sess_poll_fds(pf, &timeout);
		poll(pf, (nfds_t)n, 0);
		if (sess_handle(pf, n) < 0)
			break;
		if (rounds % 2 == 0)
			for (int i = 0; i < HVP_SESSIONS; i++)
				if (ss[i].id && ss[i].pid > 0 && (ss[i].id + (unsigned)rounds) % 3 == 0)
					sess_reaped(ss[i].pid, (int)(ss[i].id & 0xff) << 8);
	}
	for (int i = 0; i < HVP_SESSIONS; i++)
		if (ss[i].id)
			finish(&ss[i]);
	close(sp[0]);
	close(sp[1]);
	return 0;
}
