/* SPDX-License-Identifier: MIT */
/*
 * One event loop relays between the user and a throwaway QEMU:
 *   stdin      -> console (terminal mode) or STDIN frames (pipe mode)
 *   console    -> stdout (terminal mode) or stderr (kernel messages)
 *   channel    -> STDOUT/STDERR/EXIT/ERROR frames from hv's init
 *   QMP        -> GUEST_PANICKED / SHUTDOWN events
 * All three are socketpairs handed to QEMU as inherited fds: no files,
 * no paths, nothing to clean up.  The command's exit status travels in an
 * EXIT frame; a panic is told apart from a power-off by pvpanic.
 */
#include "manager/oneshot.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/qmp-ops.h"
#include "guest/boot.h"
#include "guest/channel.h"
#include "guest/session.h"
#include "manager/virtiofs.h"
#include "storage/image.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/proc.h"
#include "util/text.h"
#include "util/tty.h"

/* shared folder i's virtiofsd at FD_FS + i, past the TAPs */
enum { FD_CONSOLE = 3, FD_CHANNEL = 4, FD_QMP = 5, FD_TAP = 6, FD_FS = 10 }; /* fd numbers inside QEMU */
_Static_assert(FD_FS >= FD_TAP + ENGINE_MAX_NICS, "the shares follow the TAPs");

struct loop {
	const struct oneshot_opts *o;
	char *const *env; /* the environment EXEC adds in the guest */
	struct oneshot_result *res;
	bool tty, hv_init;
	int in, out; /* the command's stdin and stdout (o->stdio, or 0 and 1) */
	int con, sfd, qerr;
	struct chan ch;
	struct exec_request req; /* the command, as hv exec would send it */
	struct gsess sess;
	struct qmp *qmp; /* events only: GUEST_PANICKED */
	bool stdin_open, exec_sent, panicked, qmp_greeted, signalled;
	pid_t qemu;
	int qemu_status;
	bool qemu_done;
	char qemu_msg[1024];
	size_t qemu_msg_len;
	bool failed; /* the run failed for the reason in fail */
	struct err_saved fail;
};

/* Shell of an interactive hv run. */
static char *const default_command[] = { "/bin/sh", NULL };

/* Read what QEMU sent on QMP (the greeting is answered inside). */
static void on_qmp(struct loop *l)
{
	struct qmp_event ev;
	int r;

	while ((r = qmp_event_next(l->qmp, 0, &ev)) == 0 || r == -EBADMSG)
		if (r == 0 && ev.kind == QMP_EVENT_GUEST_PANICKED)
			l->panicked = true;
	err_clear();
	l->qmp_greeted |= qmp_greeted(l->qmp);
	if (r == -ECONNRESET) {
		qmp_close(l->qmp); /* QEMU is going away */
		l->qmp = NULL;
	}
}

static void stop_qemu(struct loop *l)
{
	if (!l->qemu_done)
		kill(l->qemu, SIGTERM);
}

/* The run cannot go on: keep the first reason (recorded by the failing
 * call) for oneshot_run to return, and stop the VM. */
static void loop_fail(struct loop *l)
{
	if (!l->failed) {
		err_save(&l->fail);
		l->failed = true;
	}
	stop_qemu(l);
}

/* Read the channel; a protocol violation ends the run with its reason. */
static int read_channel(struct loop *l, void (*on_frame)(void *, const struct hvp_frame *))
{
	int r = chan_read(&l->ch, on_frame, l);

	if (r == -EPROTO)
		loop_fail(l);
	return r;
}

static void on_frame(void *ctx, const struct hvp_frame *f)
{
	struct loop *l = ctx;
	int rows = 0, cols = 0;

	if (f->type != HVP_HELLO) {
		gsess_on_frame(&l->sess, f);
		return;
	}
	if (l->exec_sent)
		return;
	if (f->len != strlen(HVP_VERSION) || memcmp(f->payload, HVP_VERSION, f->len)) {
		char v[64];
		text_sanitize(v, sizeof(v), f->payload, f->len, 0);
		err_set(-EPROTO, "the guest's init speaks '%s', this hv speaks '%s': rebuild the default guest (make)",
			v, HVP_VERSION);
		loop_fail(l);
		return;
	}
	if (l->tty && !tty_size(l->in, &rows, &cols)) {
		rows = 24;
		cols = 80;
	}
	if (gsess_start(&l->sess, l->tty ? 'T' : 0, rows, cols) < 0)
		loop_fail(l);
	l->exec_sent = true;
}

/* Console output: live on a terminal until the command has exited (what
 * follows is shutdown noise); otherwise remembered for error reports. */
static void console_out(struct loop *l, const char *buf, size_t n)
{
	struct oneshot_result *res = l->res;
	size_t cap = sizeof(res->console_tail) - 1;

	if (l->tty || !l->hv_init) {
		if (!l->sess.ended)
			write_all(l->out, buf, n);
		return;
	}
	if (n >= cap) {
		buf += n - cap;
		n = cap;
	}
	if (res->console_len + n > cap) {
		size_t drop = res->console_len + n - cap;
		memmove(res->console_tail, res->console_tail + drop, res->console_len - drop);
		res->console_len -= drop;
	}
	memcpy(res->console_tail + res->console_len, buf, n);
	res->console_len += n;
	res->console_tail[res->console_len] = '\0';
}

static void handle_stdin(struct loop *l)
{
	char buf[4096];
	ssize_t n;

	if (!l->tty && l->hv_init) {
		if (gsess_pump_stdin(&l->sess) < 0)
			loop_fail(l);
		l->stdin_open = l->sess.stdin_open;
		return;
	}
	n = read(l->in, buf, sizeof(buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		l->stdin_open = false;
		return;
	}
	if (l->tty) {
		long esc = tty_find_escape(buf, (size_t)n);
		if (esc >= 0) {
			write_all(l->con, buf, (size_t)esc);
			l->res->end = ONESHOT_ESCAPED;
			l->res->status = 130;
			l->stdin_open = false;
			stop_qemu(l);
			return;
		}
	}
	write_all(l->con, buf, (size_t)n);
}

static void handle_signal(struct loop *l)
{
	struct signalfd_siginfo si;
	int st;

	while (read(l->sfd, &si, sizeof(si)) == sizeof(si)) {
		int sig = (int)si.ssi_signo;
		if (sig == SIGCHLD) {
			if (waitpid(l->qemu, &st, WNOHANG) == l->qemu) {
				l->qemu_done = true;
				l->qemu_status = st;
			}
		} else if (sig == SIGWINCH && l->tty && l->exec_sent) {
			int rows, cols;
			if (tty_size(l->in, &rows, &cols))
				gsess_winch(&l->sess, rows, cols);
		} else if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP) {
			/* first: pass it to the command; again: stop the VM */
			if (!l->tty && l->hv_init && l->exec_sent && !l->signalled) {
				gsess_signal(&l->sess, sig);
				l->signalled = true;
			} else {
				l->res->end = ONESHOT_ESCAPED;
				l->res->status = 128 + sig;
				stop_qemu(l);
			}
		}
	}
}

static void read_qemu_stderr(struct loop *l)
{
	char buf[1024];
	ssize_t n = read(l->qerr, buf, sizeof(buf));

	if (n <= 0) {
		close(l->qerr);
		l->qerr = -1;
		return;
	}
	/* keep the tail: QEMU's last words explain a failure */
	if ((size_t)n >= sizeof(l->qemu_msg)) {
		memcpy(l->qemu_msg, buf + n - (ssize_t)sizeof(l->qemu_msg) + 1, sizeof(l->qemu_msg) - 1);
		l->qemu_msg_len = sizeof(l->qemu_msg) - 1;
	} else {
		if (l->qemu_msg_len + (size_t)n >= sizeof(l->qemu_msg)) {
			size_t drop = l->qemu_msg_len + (size_t)n - sizeof(l->qemu_msg) + 1;
			memmove(l->qemu_msg, l->qemu_msg + drop, l->qemu_msg_len - drop);
			l->qemu_msg_len -= drop;
		}
		memcpy(l->qemu_msg + l->qemu_msg_len, buf, (size_t)n);
		l->qemu_msg_len += (size_t)n;
	}
	l->qemu_msg[l->qemu_msg_len] = '\0';
}

/* After QEMU is gone, take whatever is still buffered in the sockets. */
static void drain(struct loop *l)
{
	char buf[4096];
	ssize_t n;

	fcntl(l->con, F_SETFL, O_NONBLOCK);
	while ((n = read(l->con, buf, sizeof(buf))) > 0)
		console_out(l, buf, (size_t)n);
	fcntl(l->ch.fd, F_SETFL, O_NONBLOCK);
	while (read_channel(l, on_frame) == 0 && !l->ch.broken) {
		struct pollfd pf = { l->ch.fd, POLLIN, 0 };
		if (poll(&pf, 1, 0) <= 0)
			break;
	}
	while (l->qerr >= 0)
		read_qemu_stderr(l);
}

static int event_loop(struct loop *l)
{
	while (!l->qemu_done) {
		struct pollfd pf[6];
		int n = 0, ist = -1, icon, ich, iq, ierr = -1;
		bool want_stdin = l->stdin_open && (l->tty || !l->hv_init || gsess_wants_stdin(&l->sess));

		pf[n++] = (struct pollfd){ l->sfd, POLLIN, 0 };
		if (want_stdin) {
			ist = n;
			pf[n++] = (struct pollfd){ l->in, POLLIN, 0 };
		}
		icon = n;
		pf[n++] = (struct pollfd){ l->con, POLLIN, 0 };
		ich = n;
		pf[n++] = (struct pollfd){ l->ch.fd, POLLIN | (chan_pending(&l->ch) ? POLLOUT : 0), 0 };
		iq = n;
		pf[n++] = (struct pollfd){ l->qmp ? qmp_fd(l->qmp) : -1, POLLIN, 0 };
		if (l->qerr >= 0) {
			ierr = n;
			pf[n++] = (struct pollfd){ l->qerr, POLLIN, 0 };
		}
		if (poll(pf, (nfds_t)n, -1) < 0) {
			if (errno == EINTR)
				continue;
			return err_errno(-errno, "poll");
		}
		if (pf[0].revents)
			handle_signal(l);
		if (ist >= 0 && pf[ist].revents)
			handle_stdin(l);
		if (pf[icon].revents & (POLLIN | POLLHUP)) {
			char buf[4096];
			ssize_t k = read(l->con, buf, sizeof(buf));
			if (k > 0)
				console_out(l, buf, (size_t)k);
		}
		if (pf[ich].revents & (POLLIN | POLLHUP))
			read_channel(l, on_frame);
		if (chan_pending(&l->ch) && chan_flush(&l->ch) < 0)
			l->ch.out_off = l->ch.out_len = 0; /* QEMU is going away: its exit tells why */
		if (l->qmp && (pf[iq].revents & (POLLIN | POLLHUP)))
			on_qmp(l);
		if (ierr >= 0 && pf[ierr].revents)
			read_qemu_stderr(l);
	}
	drain(l);
	return l->failed ? err_restore(&l->fail) : 0;
}

static void disk_paths_free(char *(*paths)[ENGINE_MAX_DISKS + 1])
{
	for (size_t i = 0; i < ENGINE_MAX_DISKS; i++)
		free((*paths)[i]);
}

/* Shared folders: hv's init mounts each at /mnt/TAG; oneshot_run starts
 * their virtiofsds (start_shares). */
static int add_shares(const struct oneshot_opts *o, struct guest_boot *boot, struct engine_vm *vm)
{
	int r;

	if (!o->shares || !o->shares->n)
		return 0;
	if (boot->hv_init && (r = share_kernel_args(o->shares, &boot->cmdline)) < 0)
		return r;
	vm->cmdline = boot->cmdline;
	share_engine(o->shares, FD_FS, vm);
	return 0;
}

/* One virtiofsd per shared folder, sockets in a private folder; QEMU's
 * ends of their connections at FD_FS + i. */
static int start_shares(const struct oneshot_opts *o, struct virtiofs *fs, struct spawn_fd *map, size_t *nmap)
{
	int r;

	memset(fs, 0, sizeof(*fs));
	if (!o->shares || (r = virtiofs_start(o->shares, -1, -1, fs)) < 0)
		return o->shares ? r : 0;
	for (unsigned i = 0; i < fs->n; i++)
		map[(*nmap)++] = (struct spawn_fd){ fs->qemu_fd[i], FD_FS + (int)i };
	return 0;
}

static int build_vm(const struct oneshot_opts *o, struct guest_boot *boot, char fmts[][8], char **paths,
		    struct engine_vm *vm)
{
	int r;

	memset(vm, 0, sizeof(*vm));
	vm->name = "hv-run";
	vm->cpus = o->cpus;
	vm->memory_mib = o->memory_mib;
	vm->machine = o->machine;
	vm->accel = o->accel;
	vm->kernel = boot->kernel;
	vm->initrd = boot->initrd && boot->initrd[0] ? boot->initrd : NULL;
	vm->cmdline = boot->cmdline;
	vm->console.fd = FD_CONSOLE;
	vm->channel.fd = boot->hv_init ? FD_CHANNEL : -1;
	vm->qmp_fd = FD_QMP;
	vm->no_reboot = true;
	vm->sandbox = true;
	for (size_t i = 0; i < o->ndisks; i++) {
		/* adopted afresh on every run: a guessed qcow2 may name no other file */
		if ((r = image_spec_parse(o->disks[i], &paths[i], fmts[i], 8)) < 0 ||
		    (r = image_adopt(paths[i], fmts[i][0] ? fmts[i] : NULL, fmts[i], 8)) < 0)
			return r;
		vm->disks[i] = (struct engine_disk){ .path = paths[i], .format = fmts[i] };
	}
	vm->ndisks = o->ndisks;
	return add_shares(o, boot, vm);
}

struct oneshot_plan {
	const struct oneshot_opts *o;
	char *term;   /* "TERM=...", the environment the command gets from hv */
	char *env[2]; /* { term, NULL } */
	struct guest_boot boot;
	struct strv argv;
	struct nic nics[NIC_MAX];
	unsigned nnics;
	struct nics_host taps;
};

int oneshot_prepare(const struct oneshot_opts *o, struct oneshot_plan **out)
{
	_cleanup_free_ char *qemu = NULL;
	_cleanup_free_ struct oneshot_plan *p = calloc(1, sizeof(*p));
	struct engine_vm vm;
	char fmts[ENGINE_MAX_DISKS][8];
	__attribute__((cleanup(disk_paths_free))) char *paths[ENGINE_MAX_DISKS + 1] = { 0 };
	int r;

	if (!p)
		return err_set(-ENOMEM, "out of memory");
	p->o = o;
	if (asprintf(&p->term, "TERM=%s", getenv("TERM") ? getenv("TERM") : "linux") < 0)
		return err_set(-ENOMEM, "out of memory");
	p->env[0] = p->term;
	/* the whole command must fit in the EXEC frame: say so before booting */
	if ((r = chan_exec_check(o->command ? o->command : default_command, p->env)) < 0 ||
	    (r = qemu_find_binary(&qemu)) < 0) {
		free(p->term);
		return r;
	}
	if ((r = guest_boot_resolve(o->kernel, o->initrd, o->cmdline, "run", "hv", o->machine, o->accel, &p->boot)) < 0)
		goto fail;
	if (o->command && !p->boot.hv_init) {
		r = err_set(-EINVAL, "a custom --initrd has no hv init to run a command in; omit the command "
				     "to get the VM's console");
		goto fail;
	}
	if ((r = build_vm(o, &p->boot, fmts, paths, &vm)) < 0 ||
	    (r = nics_resolve(&o->nics, NULL, NULL, 0, p->nics, &p->nnics)) < 0 ||
	    (r = nics_prepare(p->nics, p->nnics, "hv", FD_TAP, &p->taps, &vm)) < 0)
		goto fail;
	if ((r = qemu_build_argv(&vm, qemu, &p->argv)) < 0) {
		nics_release(&p->taps);
		strv_free(&p->argv);
		goto fail;
	}
	*out = TAKE_PTR(p);
	return 0;
fail:
	free(p->term);
	guest_boot_free(&p->boot);
	return r;
}

/* The signals the loop reads through a signalfd.  They are blocked in the
 * calling thread only while oneshot_run runs: the caller gets its own
 * mask back, and no signal the run caused (SIGPIPE of a write to a closed
 * stdout, SIGCHLD of QEMU) is left pending to strike the caller later. */
struct loop_signals {
	sigset_t set, old;
	bool blocked;
};

static int signals_block(struct loop_signals *s, int *sfd)
{
	int r;

	sigemptyset(&s->set);
	sigaddset(&s->set, SIGCHLD);
	sigaddset(&s->set, SIGINT);
	sigaddset(&s->set, SIGTERM);
	sigaddset(&s->set, SIGHUP);
	sigaddset(&s->set, SIGWINCH);
	sigaddset(&s->set, SIGPIPE);
	if ((r = pthread_sigmask(SIG_BLOCK, &s->set, &s->old)) != 0)
		return err_errno(-r, "cannot block signals");
	s->blocked = true;
	*sfd = signalfd(-1, &s->set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (*sfd < 0)
		return err_errno(-errno, "signalfd");
	return 0;
}

static void signals_restore(struct loop_signals *s)
{
	sigset_t ours = s->set;
	const struct timespec now = { 0, 0 };

	if (!s->blocked)
		return;
	/* take what is pending of the signals the caller did not block */
	for (int sig = 1; sig < NSIG; sig++)
		if (sigismember(&ours, sig) == 1 && sigismember(&s->old, sig) == 1)
			sigdelset(&ours, sig);
	while (sigtimedwait(&ours, NULL, &now) > 0)
		;
	pthread_sigmask(SIG_SETMASK, &s->old, NULL);
	s->blocked = false;
}

/* The fds of the run: [0] ours, [1] QEMU's (closed once it holds them). */
struct run_fds {
	int con[2], ch[2], qm[2], qerr[2];
	int devnull;
};

static void run_fds_close(struct run_fds *f)
{
	for (int i = 0; i < 2; i++) {
		int *all[] = { &f->con[i], &f->ch[i], &f->qm[i], &f->qerr[i] };
		for (size_t k = 0; k < sizeof(all) / sizeof(all[0]); k++)
			if (*all[k] >= 0) {
				close(*all[k]);
				*all[k] = -1;
			}
	}
	if (f->devnull >= 0)
		close(f->devnull);
	f->devnull = -1;
}

/* The loop's side of the sockets, and the command as hv exec would send it. */
static int loop_setup(struct loop *l, struct oneshot_plan *p, struct run_fds *f)
{
	const struct oneshot_opts *o = p->o;
	int r;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, f->con) < 0 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, f->ch) < 0 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, f->qm) < 0 || pipe2(f->qerr, O_CLOEXEC) < 0 ||
	    (f->devnull = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0)
		return err_errno(-errno, "cannot create the VM's sockets");
	l->in = o->stdio ? o->stdio[0] : 0;
	l->out = o->stdio ? o->stdio[1] : 1;
	l->tty = isatty(l->in) && isatty(l->out);
	l->hv_init = p->boot.hv_init;
	l->con = f->con[0];
	l->qerr = f->qerr[0];
	f->qerr[0] = -1;
	l->stdin_open = true;
	chan_init(&l->ch, f->ch[0], HVP_GUEST);
	l->req = (struct exec_request){ .argv = o->command ? o->command : default_command,
					.env = p->env,
					.in = l->tty ? -1 : l->in,
					.out = l->out,
					.err = o->stdio ? o->stdio[2] : 2 };
	gsess_init(&l->sess, &l->ch, 1, &l->req);
	r = qmp_attach_fd(f->qm[0], &l->qmp);
	f->qm[0] = -1; /* the connection's now, also on failure */
	return r;
}

/* Start QEMU (and the shares' virtiofsd) with its ends of the sockets. */
static int spawn_qemu(struct loop *l, struct oneshot_plan *p, struct run_fds *f, struct virtiofs *fs)
{
	struct spawn_fd map[6 + ENGINE_MAX_NICS + SHARE_MAX] = { { f->devnull, 0 },	   { f->devnull, 1 },
								 { f->qerr[1], 2 },	   { f->con[1], FD_CONSOLE },
								 { f->ch[1], FD_CHANNEL }, { f->qm[1], FD_QMP } };
	size_t nmap = 6;
	int r;

	for (size_t i = 0; i < p->taps.n; i++)
		if (p->taps.tap_fds[i] >= 0)
			map[nmap++] = (struct spawn_fd){ p->taps.tap_fds[i], FD_TAP + (int)i };
	if ((r = start_shares(p->o, fs, map, &nmap)) == 0)
		r = proc_spawn(p->argv.v, map, nmap, NULL, true, &l->qemu);
	virtiofs_close_qemu_ends(fs);
	/* QEMU holds the TAPs and its socket ends now: they vanish when it exits */
	nics_release(&p->taps);
	int *ends[] = { &f->con[1], &f->ch[1], &f->qm[1], &f->qerr[1] };
	for (size_t i = 0; i < sizeof(ends) / sizeof(ends[0]); i++) {
		close(*ends[i]);
		*ends[i] = -1;
	}
	return r;
}

/* How the run ended, from what the loop saw. */
static int classify_end(struct loop *l, struct oneshot_result *res)
{
	char *line = l->qemu_msg;

	if (res->end == ONESHOT_ESCAPED)
		return 0; /* the user chose to leave */
	if (l->sess.ended) {
		res->end = ONESHOT_EXITED;
		res->status = l->sess.st.signaled ? 128 + l->sess.st.code : l->sess.st.code;
		return 0;
	}
	if (l->panicked) {
		res->end = ONESHOT_PANIC;
		return 0;
	}
	if (l->qmp_greeted && WIFEXITED(l->qemu_status) && WEXITSTATUS(l->qemu_status) == 0) {
		res->end = ONESHOT_VM_ENDED;
		return 0;
	}
	/* QEMU's last message line says why it failed */
	while (l->qemu_msg_len && (line[l->qemu_msg_len - 1] == '\n'))
		line[--l->qemu_msg_len] = '\0';
	if (strrchr(line, '\n'))
		line = strrchr(line, '\n') + 1;
	return err_set(-EIO, "QEMU failed: %s", *line ? line : "it exited without a message");
}

int oneshot_run(struct oneshot_plan *plan, struct oneshot_result *res)
{
	_cleanup_free_ struct oneshot_plan *p = plan;
	_cleanup_free_ char *term = p->term;
	_cleanup_strv_ struct strv argv = p->argv;
	_cleanup_guest_boot_ struct guest_boot boot = p->boot;
	struct run_fds f = { { -1, -1 }, { -1, -1 }, { -1, -1 }, { -1, -1 }, -1 };
	struct tty_saved saved = { 0 };
	struct loop l = { .o = p->o, .env = p->env, .res = res, .qerr = -1, .sfd = -1 };
	struct loop_signals sigs = { .blocked = false };
	struct virtiofs fs = { .n = 0 };
	int r;

	memset(res, 0, sizeof(*res));
	if ((r = loop_setup(&l, p, &f)) < 0)
		goto out;
	if ((r = signals_block(&sigs, &l.sfd)) < 0 || (r = spawn_qemu(&l, p, &f, &fs)) < 0)
		goto out_sig;
	if (l.tty && (r = tty_raw_enter(l.in, &saved)) < 0) {
		kill(l.qemu, SIGKILL);
		waitpid(l.qemu, NULL, 0);
		goto out_sig;
	}
	r = event_loop(&l);
	tty_restore(&saved);
	if (r == 0)
		r = classify_end(&l, res);
out_sig:
	if (l.sfd >= 0)
		close(l.sfd);
	signals_restore(&sigs);
out:
	virtiofs_stop(&fs); /* QEMU has exited (or never ran) */
	/* no control character or escape sequence from the guest reaches the user's terminal */
	text_sanitize(res->guest_error, sizeof(res->guest_error), l.sess.error, strlen(l.sess.error), 0);
	chan_free(&l.ch);
	nics_release(&p->taps);
	qmp_close(l.qmp);
	run_fds_close(&f);
	if (l.qerr >= 0)
		close(l.qerr);
	return r;
}
