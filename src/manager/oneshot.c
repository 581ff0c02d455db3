/* SPDX-License-Identifier: MIT */
/*
 * hv run: a transient VM.  It is made in the store like any VM (marked
 * transient), started through vm_start_locked and its monitor like hv
 * start's VMs, and deleted at the end.  Two things differ: hv run keeps
 * the other end of the guest channel that QEMU is given (the command's
 * stdio goes straight between hv run and the guest, without the hop
 * through the monitor that hv exec takes), and it holds an owner socket
 * to the monitor: a byte asks for a stop, and if hv run dies the monitor
 * stops and deletes the VM.  One loop relays:
 *   stdin      -> console (terminal mode) or STDIN frames (pipe mode)
 *   console    -> stdout (terminal mode, or without hv's init)
 *   channel    -> STDOUT/STDERR/EXIT/ERROR frames from hv's init
 * until the monitor exits; how the VM ended is then in status.json.
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
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/qmp-ops.h"
#include "guest/boot.h"
#include "guest/channel.h"
#include "guest/session.h"
#include "manager/power.h"
#include "manager/status.h"
#include "manager/vm.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/proc.h"
#include "util/sock.h"
#include "util/text.h"
#include "util/tty.h"

struct loop {
	struct oneshot_result *res;
	bool tty, hv_init;
	int in, out; /* the command's stdin and stdout (o->stdio, or 0 and 1) */
	int con;     /* the VM's console.sock (terminal mode, or without hv's init), or -1 */
	int sfd;
	int owner; /* our end of the owner socket: 'k' stops the VM */
	struct chan ch;
	struct exec_request req; /* the command, as hv exec would send it */
	struct gsess sess;
	bool stdin_open, exec_sent, signalled, stop_sent;
	pid_t monitor;
	bool monitor_done;
	bool failed; /* the run failed for the reason in fail */
	struct err_saved fail;
};

/* Shell of an interactive hv run. */
static char *const default_command[] = { "/bin/sh", NULL };

/* Ask the monitor to stop the VM (QEMU flushes its disks and exits). */
static void stop_vm(struct loop *l)
{
	if (!l->stop_sent && !l->monitor_done)
		(void)!write(l->owner, "k", 1);
	l->stop_sent = true;
}

/* The run cannot go on: keep the first reason (recorded by the failing
 * call) for oneshot_run to return, and stop the VM. */
static void loop_fail(struct loop *l)
{
	if (!l->failed) {
		err_save(&l->fail);
		l->failed = true;
	}
	stop_vm(l);
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

/* Console output (only read in terminal mode or without hv's init): live
 * until the command has exited (what follows is shutdown noise). */
static void console_out(struct loop *l, const char *buf, size_t n)
{
	if (!l->sess.ended)
		write_all(l->out, buf, n);
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
			stop_vm(l);
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
			if (waitpid(l->monitor, &st, WNOHANG) == l->monitor)
				l->monitor_done = true;
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
				stop_vm(l);
			}
		}
	}
}

/* After the monitor is gone, take whatever is still buffered in the sockets. */
static void drain(struct loop *l)
{
	char buf[4096];
	ssize_t n;

	if (l->con >= 0) {
		fcntl(l->con, F_SETFL, O_NONBLOCK);
		while ((n = read(l->con, buf, sizeof(buf))) > 0)
			console_out(l, buf, (size_t)n);
	}
	fcntl(l->ch.fd, F_SETFL, O_NONBLOCK);
	while (read_channel(l, on_frame) == 0 && !l->ch.broken) {
		struct pollfd pf = { l->ch.fd, POLLIN, 0 };
		if (poll(&pf, 1, 0) <= 0)
			break;
	}
}

static int event_loop(struct loop *l)
{
	while (!l->monitor_done) {
		struct pollfd pf[5];
		int n = 0, ist = -1, icon, ich;
		/* typed-ahead keys wait for the command: a UART drops what
		 * arrives before the guest's driver is up */
		bool want_stdin = l->stdin_open && (l->tty	  ? l->exec_sent || !l->hv_init
						    : !l->hv_init ? true
								  : gsess_wants_stdin(&l->sess));

		pf[n++] = (struct pollfd){ l->sfd, POLLIN, 0 };
		if (want_stdin) {
			ist = n;
			pf[n++] = (struct pollfd){ l->in, POLLIN, 0 };
		}
		icon = n;
		pf[n++] = (struct pollfd){ l->con, POLLIN, 0 };
		ich = n;
		pf[n++] = (struct pollfd){ l->ch.fd, POLLIN | (chan_pending(&l->ch) ? POLLOUT : 0), 0 };
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
			else if (k == 0) {
				close(l->con); /* QEMU is going away */
				l->con = -1;
			}
		}
		if (pf[ich].revents & (POLLIN | POLLHUP))
			read_channel(l, on_frame);
		if (chan_pending(&l->ch) && chan_flush(&l->ch) < 0)
			l->ch.out_off = l->ch.out_len = 0; /* QEMU is going away: its end tells why */
	}
	drain(l);
	return l->failed ? err_restore(&l->fail) : 0;
}

struct oneshot_plan {
	const struct oneshot_opts *o;
	char *term;   /* "TERM=...", the environment the command gets from hv */
	char *env[2]; /* { term, NULL } */
	bool hv_init;
};

static void plan_free(struct oneshot_plan *p)
{
	if (p) {
		free(p->term);
		free(p);
	}
}

int oneshot_prepare(const struct oneshot_opts *o, struct oneshot_plan **out)
{
	_cleanup_free_ char *qemu = NULL;
	struct oneshot_plan *p = calloc(1, sizeof(*p));
	struct guest_boot boot;
	int r;

	if (!p)
		return err_set(-ENOMEM, "out of memory");
	p->o = o;
	if (asprintf(&p->term, "TERM=%s", getenv("TERM") ? getenv("TERM") : "linux") < 0) {
		p->term = NULL;
		r = err_set(-ENOMEM, "out of memory");
		goto fail;
	}
	p->env[0] = p->term;
	/* the whole command must fit in the EXEC frame: say so before booting */
	if ((r = chan_exec_check(o->command ? o->command : default_command, p->env)) < 0 ||
	    (r = qemu_find_binary(&qemu)) < 0)
		goto fail;
	if ((r = guest_boot_resolve(o->kernel, o->initrd, o->cmdline, "run", "hv", o->machine, o->accel, &boot)) < 0)
		goto fail;
	p->hv_init = boot.hv_init;
	guest_boot_free(&boot);
	if (o->command && !p->hv_init) {
		r = err_set(-EINVAL, "a custom --initrd has no hv init to run a command in; omit the command "
				     "to get the VM's console");
		goto fail;
	}
	if (o->ndisks > ENGINE_MAX_DISKS) {
		r = err_set(-E2BIG, "at most %d disks", ENGINE_MAX_DISKS);
		goto fail;
	}
	/* a --disk that names no image is refused before anything starts (and
	 * before hv says which accelerator it chose) */
	for (size_t i = 0; i < o->ndisks; i++) {
		uint64_t size;
		if ((r = vm_disk_spec_check(o->disks[i], &size)) < 0)
			goto fail;
	}
	*out = p;
	return 0;
fail:
	plan_free(p);
	return r;
}

/* The transient VM in the store, as PREFIX-XXXXXX. */
static int create_vm(const struct oneshot_opts *o, char *name, size_t n)
{
	struct vm_create_opts c = { .cpus = o->cpus,
				    .memory_mib = o->memory_mib,
				    .machine = o->machine,
				    .accel = o->accel,
				    .kernel = o->kernel,
				    .initrd = o->initrd,
				    .cmdline = o->cmdline,
				    .ndisks = (unsigned)o->ndisks,
				    .nics = o->nics,
				    .nshares = o->nshares,
				    .transient = true };
	int r = -EEXIST;

	memcpy(c.disks, o->disks, sizeof(o->disks));
	for (unsigned i = 0; i < o->nshares && i < SHARE_MAX; i++)
		c.shares[i] = o->shares[i];
	for (int tries = 0; tries < 8 && r == -EEXIST; tries++) {
		uint8_t rnd[3];
		if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
			return err_errno(-errno, "getrandom");
		snprintf(name, n, "%s-%02x%02x%02x", o->name_prefix ? o->name_prefix : "run", rnd[0], rnd[1], rnd[2]);
		c.name = name;
		if ((r = vm_create(&c)) == -EEXIST)
			err_clear();
	}
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

/* The sockets of the run: [0] ours, [1] the monitor's (closed once it has them). */
struct run_fds {
	int owner[2], ch[2];
};

static void run_fds_close(struct run_fds *f)
{
	for (int i = 0; i < 2; i++) {
		int *all[] = { &f->owner[i], &f->ch[i] };
		for (size_t k = 0; k < sizeof(all) / sizeof(all[0]); k++)
			if (*all[k] >= 0) {
				close(*all[k]);
				*all[k] = -1;
			}
	}
}

/* The loop's side of the sockets, and the command as hv exec would send it. */
static int loop_setup(struct loop *l, struct oneshot_plan *p, struct run_fds *f)
{
	const struct oneshot_opts *o = p->o;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, f->owner) < 0 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, f->ch) < 0)
		return err_errno(-errno, "cannot create the VM's sockets");
	l->in = o->stdio ? o->stdio[0] : 0;
	l->out = o->stdio ? o->stdio[1] : 1;
	l->tty = isatty(l->in) && isatty(l->out);
	l->hv_init = p->hv_init;
	l->owner = f->owner[0];
	l->stdin_open = true;
	chan_init(&l->ch, f->ch[0], HVP_GUEST);
	l->req = (struct exec_request){ .argv = o->command ? o->command : default_command,
					.env = p->env,
					.in = l->tty ? -1 : l->in,
					.out = l->out,
					.err = o->stdio ? o->stdio[2] : 2 };
	gsess_init(&l->sess, &l->ch, 1, &l->req);
	return 0;
}

/* Does the run show the console?  With a terminal (the command runs on
 * it), and without hv's init (the console is all there is). */
static bool wants_console(const struct loop *l)
{
	return l->tty || !l->hv_init;
}

/* Start the VM through hv start's path, handing the monitor the owner
 * socket and QEMU's end of the channel.  *dirfd: the VM's folder. */
static int start_vm(struct loop *l, const char *name, struct run_fds *f, int *dirfd)
{
	struct vm_start_opts so = VM_START_OPTS_INIT;
	struct vm_started st;
	struct vm_handle h;
	struct vmdef d;
	int r = vm_open_locked(name, VM_LOCK_TIMEOUT_MS, &h);

	if (r < 0)
		return r;
	if ((r = vmdef_load(h.dirfd, &d)) == 0) {
		so.hold = wants_console(l); /* the console is attached before the CPUs run */
		so.owner_fd = f->owner[1];
		so.channel_fd = l->hv_init ? f->ch[1] : -1;
		r = vm_start_locked(&h, &d, &so, &st);
		if (st.monitor_pid > 0)
			l->monitor = st.monitor_pid;
		vmdef_free(&d);
	}
	if (r == 0 && (*dirfd = fcntl(h.dirfd, F_DUPFD_CLOEXEC, 3)) < 0)
		r = err_errno(-errno, "dup");
	vm_close(&h);
	/* the monitor holds them now */
	close(f->owner[1]);
	close(f->ch[1]);
	f->owner[1] = f->ch[1] = -1;
	return r;
}

/* Connect to the console of a VM held at -S, then let its CPUs run. */
static int attach_console(struct loop *l, int dirfd)
{
	struct qmp *q = NULL;
	int r;

	if (!wants_console(l))
		return 0;
	if ((r = sock_connect_at(dirfd, "console.sock", &l->con)) < 0)
		return err_prefix(r, "cannot connect to the VM's console");
	if ((r = qmp_open_at(dirfd, "qmp.sock", 10000, &q)) == 0)
		r = qmp_cont(q);
	qmp_close(q);
	return r;
}

/* How the run ended: the session's EXIT, else the monitor's record. */
static int classify_end(struct loop *l, int dirfd, struct oneshot_result *res)
{
	struct vm_status st;
	int r;

	if (res->end == ONESHOT_ESCAPED)
		return 0; /* the user chose to leave */
	if (l->sess.ended) {
		res->end = ONESHOT_EXITED;
		res->status = l->sess.st.signaled ? 128 + l->sess.st.code : l->sess.st.code;
		return 0;
	}
	if ((r = status_load(dirfd, &st)) < 0)
		return r;
	if (st.state == VM_CRASHED && !strcmp(st.reason, VM_REASON_PANIC)) {
		res->end = ONESHOT_PANIC;
		return 0;
	}
	if (st.state == VM_STOPPED) {
		res->end = ONESHOT_VM_ENDED;
		snprintf(res->vm_end, sizeof(res->vm_end), "%s", st.reason);
		return 0;
	}
	return err_set(-EIO, "%s", st.reason[0] ? st.reason : "the VM ended without a record of why");
}

/* Without a terminal the console carries only kernel messages: the last
 * of them are kept for a run that fails. */
static void console_tail(int dirfd, struct oneshot_result *res)
{
	_cleanup_close_ int fd = openat(dirfd, "console.log", O_RDONLY | O_CLOEXEC);
	off_t size = fd >= 0 ? lseek(fd, 0, SEEK_END) : -1;
	off_t from = size > (off_t)sizeof(res->console_tail) - 1 ? size - (off_t)sizeof(res->console_tail) + 1 : 0;
	ssize_t n;

	if (size < 0)
		return;
	n = pread(fd, res->console_tail, sizeof(res->console_tail) - 1, from);
	res->console_len = n > 0 ? (size_t)n : 0;
	res->console_tail[res->console_len] = '\0';
}

/* The VM goes: stopped if it still runs, its monitor reaped, its folder
 * deleted.  The run's own error (if any) is kept. */
static void finish_vm(struct loop *l, const char *name)
{
	struct err_saved e;

	err_save(&e);
	if (vm_delete(name, true, false, false, NULL) < 0)
		err_clear(); /* left as a stopped VM in hv list: hv delete removes it */
	if (l->monitor > 0 && !l->monitor_done)
		waitpid(l->monitor, NULL, 0);
	err_restore(&e);
}

int oneshot_run(struct oneshot_plan *p, struct oneshot_result *res)
{
	struct run_fds f = { { -1, -1 }, { -1, -1 } };
	struct tty_saved saved = { 0 };
	struct loop l = { .res = res, .con = -1, .sfd = -1, .owner = -1, .monitor = -1 };
	struct loop_signals sigs = { .blocked = false };
	char name[VM_NAME_MAX + 1] = "";
	int r, dirfd = -1;

	memset(res, 0, sizeof(*res));
	if ((r = loop_setup(&l, p, &f)) < 0)
		goto out;
	/* a Ctrl-C from here on stops the VM instead of leaving it behind */
	if ((r = signals_block(&sigs, &l.sfd)) < 0 || (r = create_vm(p->o, name, sizeof(name))) < 0)
		goto out_sig;
	if ((r = start_vm(&l, name, &f, &dirfd)) < 0 || (r = attach_console(&l, dirfd)) < 0 ||
	    (l.tty && (r = tty_raw_enter(l.in, &saved)) < 0))
		goto out_vm;
	r = event_loop(&l);
	tty_restore(&saved);
	if (r == 0)
		r = classify_end(&l, dirfd, res);
	if (!wants_console(&l) && (r < 0 || res->end != ONESHOT_EXITED))
		console_tail(dirfd, res);
out_vm:
	finish_vm(&l, name);
out_sig:
	if (l.sfd >= 0)
		close(l.sfd);
	signals_restore(&sigs);
out:
	/* no control character or escape sequence from the guest reaches the user's terminal */
	text_sanitize(res->guest_error, sizeof(res->guest_error), l.sess.error, strlen(l.sess.error), 0);
	chan_free(&l.ch);
	run_fds_close(&f);
	if (l.con >= 0)
		close(l.con);
	if (dirfd >= 0)
		close(dirfd);
	plan_free(p);
	return r;
}
