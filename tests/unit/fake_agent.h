/* SPDX-License-Identifier: MIT */
#pragma once
/* A fake QEMU guest agent for unit tests: a thread on the far end of a
 * socketpair (or on a listening unix socket, one connection after
 * another) that answers guest-sync-delimited as told and every other
 * command from a script of canned replies. */
#include <json-c/json.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum fake_sync { SYNC_OK, SYNC_NO_FF, SYNC_WRONG_ID, SYNC_GARBAGE_FIRST, SYNC_STALE_FIRST, SYNC_SILENT };

struct fake_reply {
	const char *command;
	const char *text; /* sent as is (len bytes when len > 0, else strlen) */
	size_t len;
	bool close_after;
	bool used;
	bool sticky; /* answer every time */
	unsigned delay_ms;
};

struct fake_agent {
	int fd;	    /* a connected end, or -1 */
	int listen; /* a listening socket, or -1 */
	enum fake_sync sync;
	struct fake_reply replies[32];
	int nreplies;
	char log[64][1024]; /* "command args-json" per request */
	int nlog;
	pthread_t thread;
	bool stop;
};

static void fake_send(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t k = send(fd, s, n, MSG_NOSIGNAL);
		if (k <= 0)
			return;
		s += k;
		n -= (size_t)k;
	}
}

static bool fake_answer(struct fake_agent *f, int fd, const char *line)
{
	struct json_object *o, *ex, *args = NULL, *idv;
	char buf[256];
	bool keep = true;

	while (*line == '\xff')
		line++;
	if (!*line)
		return true;
	if (!(o = json_tokener_parse(line)) || !json_object_object_get_ex(o, "execute", &ex)) {
		json_object_put(o);
		return true;
	}
	json_object_object_get_ex(o, "arguments", &args);
	const char *cmd = json_object_get_string(ex);
	if (f->nlog < 64)
		snprintf(f->log[f->nlog++], sizeof(f->log[0]), "%s %s", cmd,
			 args ? json_object_to_json_string_ext(args, JSON_C_TO_STRING_PLAIN) : "");
	if (!strcmp(cmd, "guest-sync-delimited")) {
		long long id = args && json_object_object_get_ex(args, "id", &idv) ? json_object_get_int64(idv) : 0;
		switch (f->sync) {
		case SYNC_OK:
			snprintf(buf, sizeof(buf), "\xff{\"return\": %lld}\n", id);
			break;
		case SYNC_NO_FF:
			snprintf(buf, sizeof(buf), "{\"return\": %lld}\n", id);
			break;
		case SYNC_WRONG_ID:
			snprintf(buf, sizeof(buf), "\xff{\"return\": %lld}\n", id + 1);
			break;
		case SYNC_GARBAGE_FIRST:
			snprintf(buf, sizeof(buf), "garbage \x01{]\n\xff{\"return\": %lld}\n", id);
			break;
		case SYNC_STALE_FIRST:
			snprintf(buf, sizeof(buf), "\xff{\"return\": %lld}\n\xff{nonsense\n\xff{\"return\": %lld}\n",
				 id - 1, id);
			break;
		case SYNC_SILENT:
			buf[0] = 0;
			break;
		}
		fake_send(fd, buf, strlen(buf));
		json_object_put(o);
		return true;
	}
	for (int i = 0; i < f->nreplies; i++) {
		struct fake_reply *r = &f->replies[i];
		if (strcmp(r->command, cmd) || (r->used && !r->sticky))
			continue;
		r->used = true;
		if (r->delay_ms)
			usleep(r->delay_ms * 1000);
		fake_send(fd, r->text, r->len ? r->len : strlen(r->text));
		keep = !r->close_after;
		break;
	}
	json_object_put(o);
	return keep;
}

/* Serve one connection until it closes (or a reply says close). */
static void fake_serve(struct fake_agent *f, int fd)
{
	static __thread char line[1 << 20];
	size_t used = 0;

	for (;;) {
		struct pollfd pf = { fd, POLLIN, 0 };
		if (poll(&pf, 1, 100) == 0) {
			if (f->stop)
				return;
			continue;
		}
		ssize_t n = read(fd, line + used, sizeof(line) - 1 - used);
		if (n <= 0)
			return;
		used += (size_t)n;
		char *nl;
		while ((nl = memchr(line, '\n', used))) {
			*nl = 0;
			bool keep = fake_answer(f, fd, line);
			used -= (size_t)(nl + 1 - line);
			memmove(line, nl + 1, used);
			if (!keep)
				return;
		}
		if (used == sizeof(line) - 1)
			used = 0;
	}
}

static void *fake_thread(void *arg)
{
	struct fake_agent *f = arg;

	if (f->listen < 0) {
		fake_serve(f, f->fd);
		close(f->fd);
		return NULL;
	}
	while (!f->stop) {
		struct pollfd pf = { f->listen, POLLIN, 0 };
		if (poll(&pf, 1, 100) <= 0)
			continue;
		int c = accept(f->listen, NULL, NULL);
		if (c < 0)
			continue;
		fake_serve(f, c);
		close(c);
	}
	return NULL;
}

static void fake_reply_add(struct fake_agent *f, const char *command, const char *text)
{
	f->replies[f->nreplies++] = (struct fake_reply){ .command = command, .text = text };
}

/* Start on a socketpair: returns the client's end. */
static int fake_start_pair(struct fake_agent *f)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	f->fd = sv[1];
	f->listen = -1;
	pthread_create(&f->thread, NULL, fake_thread, f);
	return sv[0];
}

static inline void fake_start_listen(struct fake_agent *f, int listen_fd)
{
	f->fd = -1;
	f->listen = listen_fd;
	pthread_create(&f->thread, NULL, fake_thread, f);
}

static void fake_stop(struct fake_agent *f)
{
	f->stop = true;
	pthread_join(f->thread, NULL);
}
