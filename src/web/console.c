/* SPDX-License-Identifier: MIT */
/* One connection to each VM's serial console, fanned out to WebSockets. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "manager/store.h"
#include "manager/vm.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/proc.h"
#include "util/sock.h"
#include "web/console.h"
#include "web/wsio.h"

#define SCROLLBACK    (64 * 1024) /* bytes of console.log a new client sees */
#define SEND_WAIT_MS  500	  /* a client that takes longer to read is dropped */
#define MAX_CLIENTS   32	  /* per console */
#define INPUT_WAIT_MS 1000

struct client {
	struct wsio *w;
	struct client *next;
};

struct cmux {
	struct ui_consoles *cs;
	char name[VM_NAME_MAX + 1];
	int dirfd, sock, lockfd, wakefd;
	struct client *clients, *pending; /* pending: under cs->mu */
	unsigned nclients;
	struct cmux *next;
};

struct ui_consoles {
	pthread_mutex_t mu;
	pthread_cond_t idle;
	unsigned threads;
	int stopfd;
	struct cmux *muxes;
};

struct ui_consoles *consoles_new(void)
{
	struct ui_consoles *cs = calloc(1, sizeof(*cs));

	if (!cs)
		return NULL;
	pthread_mutex_init(&cs->mu, NULL);
	pthread_cond_init(&cs->idle, NULL);
	if ((cs->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0) {
		free(cs);
		return NULL;
	}
	return cs;
}

int consoles_stop_fd(const struct ui_consoles *cs)
{
	return cs->stopfd;
}

int consoles_thread_enter(struct ui_consoles *cs)
{
	pthread_mutex_lock(&cs->mu);
	cs->threads++;
	pthread_mutex_unlock(&cs->mu);
	return 0;
}

void consoles_thread_leave(struct ui_consoles *cs)
{
	pthread_mutex_lock(&cs->mu);
	if (--cs->threads == 0)
		pthread_cond_broadcast(&cs->idle);
	pthread_mutex_unlock(&cs->mu);
}

void consoles_free(struct ui_consoles *cs)
{
	uint64_t one = 1;

	if (!cs)
		return;
	if (write(cs->stopfd, &one, sizeof(one)) < 0) {
		/* an eventfd's counter cannot overflow from one write */
	}
	pthread_mutex_lock(&cs->mu);
	while (cs->threads)
		pthread_cond_wait(&cs->idle, &cs->mu);
	pthread_mutex_unlock(&cs->mu);
	close(cs->stopfd);
	pthread_mutex_destroy(&cs->mu);
	pthread_cond_destroy(&cs->idle);
	free(cs);
}

static void client_end(struct client *c, uint16_t code, const char *reason)
{
	if (code)
		wsio_close(c->w, code, reason);
	wsio_free(c->w);
	free(c);
}

/* The tail of console.log: what scrolled by before this client came. */
static void send_scrollback(struct cmux *m, struct wsio *w)
{
	_cleanup_close_ int fd = openat(m->dirfd, "console.log", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	_cleanup_free_ char *buf = malloc(SCROLLBACK);
	struct stat sb;
	ssize_t n;

	if (fd < 0 || !buf || fstat(fd, &sb) < 0)
		return;
	off_t from = sb.st_size > SCROLLBACK ? sb.st_size - SCROLLBACK : 0;
	if ((n = pread(fd, buf, SCROLLBACK, from)) > 0)
		wsio_send(w, WS_BINARY, buf, (size_t)n, SEND_WAIT_MS * 4);
}

static void adopt_pending(struct cmux *m)
{
	struct client *p;
	uint64_t v;

	if (read(m->wakefd, &v, sizeof(v)) < 0) {
		/* nothing to drain */
	}
	pthread_mutex_lock(&m->cs->mu);
	p = m->pending;
	m->pending = NULL;
	pthread_mutex_unlock(&m->cs->mu);
	while (p) {
		struct client *next = p->next;
		send_scrollback(m, p->w);
		p->next = m->clients;
		m->clients = p;
		m->nclients++;
		p = next;
	}
}

static void drop(struct cmux *m, struct client *c, uint16_t code, const char *reason)
{
	for (struct client **pp = &m->clients; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			m->nclients--;
			break;
		}
	client_end(c, code, reason);
}

static void broadcast(struct cmux *m, const char *buf, size_t n)
{
	for (struct client *c = m->clients, *next; c; c = next) {
		next = c->next;
		if (wsio_send(c->w, WS_BINARY, buf, n, SEND_WAIT_MS) < 0)
			drop(m, c, 0, NULL);
	}
}

/* Input to the console: never blocks the viewers for long.  A guest
 * that does not read (paused, or its serial FIFO full) loses input after
 * INPUT_WAIT_MS rather than stalling everyone's output. */
static void console_write(struct cmux *m, const uint8_t *p, size_t n)
{
	/* a closed console shows as EOF on the read side */
	wsio_send_until(m->sock, p, n, proc_now_ms() + INPUT_WAIT_MS);
}

/* Input from one client to the console; false when it should go. */
static bool client_input(struct cmux *m, struct client *c)
{
	const uint8_t *data;
	size_t len;
	int r;

	if (wsio_fill(c->w) < 0)
		return false;
	while ((r = wsio_next(c->w, &data, &len)) > 0)
		console_write(m, data, len);
	return r == 0;
}

/* Unlink m from the list when it has no clients and none coming; true
 * when it did (the caller then tears it down). */
static bool retire_if_idle(struct cmux *m, bool force)
{
	bool gone = false;

	pthread_mutex_lock(&m->cs->mu);
	if (force || (!m->clients && !m->pending)) {
		for (struct cmux **pp = &m->cs->muxes; *pp; pp = &(*pp)->next)
			if (*pp == m) {
				*pp = m->next;
				break;
			}
		gone = true;
	}
	pthread_mutex_unlock(&m->cs->mu);
	return gone;
}

static void teardown(struct cmux *m, uint16_t code, const char *reason)
{
	/* unlinked: nobody adds to pending any more */
	for (struct client *c = m->pending, *next; c; c = next) {
		next = c->next;
		client_end(c, code, reason);
	}
	for (struct client *c = m->clients, *next; c; c = next) {
		next = c->next;
		client_end(c, code, reason);
	}
	close(m->sock);
	close(m->lockfd);
	close(m->wakefd);
	close(m->dirfd);
	free(m);
}

static void *mux_thread(void *arg)
{
	struct cmux *m = arg;
	struct ui_consoles *cs = m->cs;
	char buf[4096], reason[128];
	uint16_t code = WS_CLOSE_VM_STOPPED;

	snprintf(reason, sizeof(reason), "the console of VM '%s' closed: the VM stopped", m->name);
	for (;;) {
		struct pollfd pf[3 + MAX_CLIENTS] = { { m->sock, POLLIN, 0 },
						      { m->wakefd, POLLIN, 0 },
						      { cs->stopfd, POLLIN, 0 } };
		struct client *by[MAX_CLIENTS];
		nfds_t n = 3;
		for (struct client *c = m->clients; c && n < ARRAY_SIZE(pf); c = c->next, n++) {
			pf[n] = (struct pollfd){ c->w->fd, POLLIN, 0 };
			by[n - 3] = c;
		}
		if (poll(pf, n, -1) < 0)
			continue;
		if (pf[2].revents) {
			code = WS_CLOSE_NORMAL + 1; /* 1001: going away */
			snprintf(reason, sizeof(reason), "hv ui is stopping");
			retire_if_idle(m, true);
			break;
		}
		/* viewers' input first: broadcast may drop (free) a viewer
		 * that by[] still names */
		for (nfds_t i = 3; i < n; i++)
			if (pf[i].revents && !client_input(m, by[i - 3]))
				drop(m, by[i - 3], 0, NULL);
		if (pf[0].revents) {
			ssize_t k = read(m->sock, buf, sizeof(buf));
			if (k <= 0 && !(k < 0 && errno == EINTR)) {
				retire_if_idle(m, true);
				break;
			}
			if (k > 0)
				broadcast(m, buf, (size_t)k);
		}
		if (pf[1].revents)
			adopt_pending(m);
		if (!m->clients && retire_if_idle(m, false)) {
			code = 0;
			break;
		}
	}
	teardown(m, code, reason);
	consoles_thread_leave(cs);
	return NULL;
}

/* Connect to name's console and start its multiplexer (cs->mu held). */
static int mux_open(struct ui_consoles *cs, const char *name, struct cmux **out)
{
	struct vm_handle h;
	struct cmux *m;
	pthread_t th;
	pthread_attr_t attr;
	int r;

	if ((r = vm_open(name, &h)) < 0)
		return r;
	if (!(m = calloc(1, sizeof(*m)))) {
		vm_close(&h);
		return -ENOMEM;
	}
	m->cs = cs;
	snprintf(m->name, sizeof(m->name), "%s", name);
	m->dirfd = fcntl(h.dirfd, F_DUPFD_CLOEXEC, 3);
	m->sock = m->lockfd = m->wakefd = -1;
	vm_close(&h);
	if (m->dirfd < 0)
		r = err_errno(-errno, "dup");
	else if ((r = fs_lock_at(m->dirfd, "console.lock", false, &m->lockfd)) < 0)
		r = err_set(r, "the console of VM '%s' is in use by hv console", name);
	else if ((r = sock_connect_at(m->dirfd, "console.sock", &m->sock)) < 0)
		r = err_prefix(r, "the console of VM '%s'", name);
	else if ((m->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0)
		r = err_errno(-errno, "eventfd");
	if (r < 0)
		goto fail;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	cs->threads++;
	if ((r = -pthread_create(&th, &attr, mux_thread, m)) < 0) {
		cs->threads--;
		pthread_attr_destroy(&attr);
		r = err_errno(r, "pthread_create");
		goto fail;
	}
	pthread_attr_destroy(&attr);
	m->next = cs->muxes;
	cs->muxes = m;
	*out = m;
	return 0;
fail:
	if (m->sock >= 0)
		close(m->sock);
	if (m->lockfd >= 0)
		close(m->lockfd);
	if (m->dirfd >= 0)
		close(m->dirfd);
	free(m);
	return r;
}

void consoles_attach(struct ui_consoles *cs, const char *name, struct wsio *w)
{
	struct vmdef d;
	struct vm_status st;
	struct cmux *m;
	struct client *c;
	char reason[256];
	uint64_t one = 1;
	int r;

	if ((r = vm_inspect(name, &d, &st)) < 0) {
		wsio_close(w, WS_CLOSE_VM_NOT_RUNNING, err_msg_for(r));
		wsio_free(w);
		return;
	}
	vmdef_free(&d);
	if (!vm_state_active(st.state)) {
		snprintf(reason, sizeof(reason), "VM '%s' is not running (it is %s)", name, vm_state_name(st.state));
		wsio_close(w, WS_CLOSE_VM_NOT_RUNNING, reason);
		wsio_free(w);
		return;
	}
	if (!(c = calloc(1, sizeof(*c)))) {
		wsio_free(w);
		return;
	}
	c->w = w;
	pthread_mutex_lock(&cs->mu);
	for (m = cs->muxes; m && strcmp(m->name, name); m = m->next)
		;
	r = m ? 0 : mux_open(cs, name, &m);
	if (r == 0 && m->nclients >= MAX_CLIENTS)
		r = err_set(-EBUSY, "the console of VM '%s' has %d viewers already", name, MAX_CLIENTS);
	if (r == 0) {
		c->next = m->pending;
		m->pending = c;
		if (write(m->wakefd, &one, sizeof(one)) < 0) {
			/* an eventfd's counter cannot overflow from one write */
		}
	}
	pthread_mutex_unlock(&cs->mu);
	if (r < 0)
		client_end(c, r == -EWOULDBLOCK || r == -EBUSY ? WS_CLOSE_BUSY : WS_CLOSE_ERROR, err_msg_for(r));
}
