/* SPDX-License-Identifier: MIT */
/* hv on another host over ssh: URLs and the ssh child (see ssh.h). */
#include "remote/ssh.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/err.h"
#include "util/strv.h"

bool remote_is_url(const char *s)
{
	const char *p = strstr(s, "://");

	if (!p || p == s)
		return false;
	for (const char *c = s; c < p; c++)
		if (!isalnum((unsigned char)*c) && *c != '+' && *c != '-' && *c != '.')
			return false;
	return true;
}

static int bad(const char *s, const char *why)
{
	return err_set(-EINVAL, "bad URL '%s': %s (the form is " REMOTE_URL_FORM ")", s, why);
}

static bool name_chars(const char *s, size_t n, const char *extra)
{
	if (!n || s[0] == '-' || s[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr(extra, s[i]))
			return false;
	return true;
}

static int parse_port(const char *s, const char *p, size_t n, unsigned *port)
{
	unsigned long v = 0;

	if (!n || n > 5)
		return bad(s, "the port must be a number from 1 to 65535");
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)p[i]))
			return bad(s, "the port must be a number from 1 to 65535");
		v = v * 10 + (unsigned long)(p[i] - '0');
	}
	if (!v || v > 65535)
		return bad(s, "the port must be a number from 1 to 65535");
	*port = (unsigned)v;
	return 0;
}

/* HOST[:PORT] or [IPv6][:PORT], n bytes at p */
static int parse_hostport(const char *s, const char *p, size_t n, struct remote_url *u)
{
	const char *end = p + n, *colon;
	unsigned char addr[16];

	if (n && p[0] == '[') {
		const char *rb = memchr(p, ']', n);
		if (!rb)
			return bad(s, "an IPv6 address needs its closing ]");
		if (!(u->host = strndup(p + 1, (size_t)(rb - p - 1))))
			return err_set(-ENOMEM, "out of memory");
		if (inet_pton(AF_INET6, u->host, addr) != 1)
			return bad(s, "not an IPv6 address in [ ]");
		if (rb + 1 == end)
			return 0;
		if (rb[1] != ':')
			return bad(s, "only :PORT may follow the host");
		return parse_port(s, rb + 2, (size_t)(end - rb - 2), &u->port);
	}
	colon = memchr(p, ':', n);
	if (!colon)
		colon = end;
	if (!name_chars(p, (size_t)(colon - p), ".-_") || colon - p > 253)
		return bad(s, colon == p ? "the host is missing" : "the host is not a host name or address");
	if (!(u->host = strndup(p, (size_t)(colon - p))))
		return err_set(-ENOMEM, "out of memory");
	return colon == end ? 0 : parse_port(s, colon + 1, (size_t)(end - colon - 1), &u->port);
}

static int parse_query(const char *s, const char *q, struct remote_url *u)
{
	if (strncmp(q, "home=", 5))
		return bad(s, "the only parameter is home=PATH");
	q += 5;
	if (q[0] != '/')
		return bad(s, "home= wants an absolute path");
	if (strpbrk(q, "&?#%"))
		return bad(s, "home= takes one plain path (no &, ?, # or % escapes)");
	if (!(u->home = strdup(q)))
		return err_set(-ENOMEM, "out of memory");
	return 0;
}

int remote_url_parse(const char *s, struct remote_url *u)
{
	const char *p, *q, *at, *end;
	int r;

	memset(u, 0, sizeof(*u));
	if (strncmp(s, "ssh://", 6))
		return bad(s, remote_is_url(s) ? "only ssh:// is supported" : "not an ssh:// URL");
	p = s + 6;
	q = strchr(p, '?');
	end = q ? q : p + strlen(p);
	if (end > p && end[-1] == '/')
		end--; /* ssh://host/ */
	if (memchr(p, '/', (size_t)(end - p)))
		return bad(s, "a path is not part of it (give the store as ?home=PATH)");
	at = memchr(p, '@', (size_t)(end - p));
	if (at) {
		if (!name_chars(p, (size_t)(at - p), "._-") || at - p > 32)
			return bad(s, "the user is not a user name");
		if (!(u->user = strndup(p, (size_t)(at - p))))
			return err_set(-ENOMEM, "out of memory");
		p = at + 1;
	}
	if ((r = parse_hostport(s, p, (size_t)(end - p), u)) < 0 || (q && (r = parse_query(s, q + 1, u)) < 0)) {
		remote_url_free(u);
		return r;
	}
	return 0;
}

void remote_url_free(struct remote_url *u)
{
	free(u->user);
	free(u->host);
	free(u->home);
	memset(u, 0, sizeof(*u));
}

char *remote_shell_quote(const char *s)
{
	size_t n = 3;
	char *out, *o;

	for (const char *c = s; *c; c++)
		n += *c == '\'' ? 4 : 1;
	if (!(o = out = malloc(n)))
		return NULL;
	*o++ = '\'';
	for (const char *c = s; *c; c++) {
		if (*c == '\'') {
			memcpy(o, "'\\''", 4);
			o += 4;
		} else {
			*o++ = *c;
		}
	}
	*o++ = '\'';
	*o = '\0';
	return out;
}

/* "[HV_HOME='H' ]'hv' 'ARG'...", for the remote shell */
static char *remote_command(const struct remote_url *u, char *const args[])
{
	const char *hv = getenv("HV_REMOTE_HV");
	_cleanup_strv_ struct strv w = { 0 };
	char *q;

	if (u->home) {
		_cleanup_free_ char *h = remote_shell_quote(u->home);
		if (!h || strv_addf(&w, "HV_HOME=%s", h) < 0)
			return NULL;
	}
	if (!(q = remote_shell_quote(hv && *hv ? hv : "hv")) || strv_add(&w, q) < 0) {
		free(q);
		return NULL;
	}
	free(q);
	for (size_t i = 0; args[i]; i++) {
		if (!(q = remote_shell_quote(args[i])) || strv_add(&w, q) < 0) {
			free(q);
			return NULL;
		}
		free(q);
	}
	return strv_join(&w, " ");
}

int remote_ssh_argv(const struct remote_url *u, const struct remote_spawn_opts *o, const char *log_path,
		    char *const args[], char ***argv)
{
	_cleanup_strv_ struct strv v = { 0 };
	_cleanup_free_ char *cmd = remote_command(u, args);
	const char *cfg = getenv("HV_SSH_CONFIG");
	int r = cmd ? strv_add(&v, "ssh") : -ENOMEM;

	if (r == 0 && cfg && *cfg)
		r = strv_add(&v, "-F") < 0 ? -ENOMEM : strv_add(&v, cfg);
	if (r == 0 && log_path)
		r = strv_add(&v, "-E") < 0 ? -ENOMEM : strv_add(&v, log_path);
	/* errors only: they go to the log (no "Connection to HOST closed." on a terminal) */
	if (r == 0)
		r = strv_add(&v, "-o") < 0 ? -ENOMEM : strv_add(&v, "LogLevel=ERROR");
	if (r == 0 && o->batch)
		r = strv_add(&v, "-o") < 0 ? -ENOMEM : strv_add(&v, "BatchMode=yes");
	if (r == 0)
		r = strv_add(&v, o->tty ? "-t" : "-T");
	if (r == 0 && u->port)
		r = strv_add(&v, "-p") < 0 ? -ENOMEM : strv_addf(&v, "%u", u->port);
	if (r == 0 && u->user)
		r = strv_add(&v, "-l") < 0 ? -ENOMEM : strv_add(&v, u->user);
	if (r == 0)
		r = strv_add(&v, "--") < 0 ? -ENOMEM : strv_add(&v, u->host);
	if (r == 0)
		r = strv_add(&v, cmd);
	if (r < 0)
		return err_set(-ENOMEM, "out of memory");
	*argv = v.v;
	v.v = NULL;
	v.n = v.cap = 0;
	return 0;
}

void remote_argv_free(char **argv)
{
	for (size_t i = 0; argv && argv[i]; i++)
		free(argv[i]);
	free(argv);
}

int remote_spawn(const struct remote_url *u, const struct remote_spawn_opts *o, char *const args[],
		 const struct spawn_fd *map, size_t nmap, struct remote_proc *rp)
{
	_cleanup_free_ char *ssh = NULL, *log_path = NULL;
	char **argv = NULL;
	int r;

	memset(rp, 0, sizeof(*rp));
	rp->log = -1;
	if (proc_find_exe("ssh", &ssh) < 0)
		return err_set(-ENOENT, "ssh is not installed here (package openssh-client)");
	if ((rp->log = memfd_create("hv-ssh-log", MFD_CLOEXEC)) < 0)
		return err_errno(-errno, "memfd_create");
	/* ssh closes every fd above 2 first: it opens ours by its path */
	if (asprintf(&log_path, "/proc/%d/fd/%d", (int)getpid(), rp->log) < 0) {
		log_path = NULL;
		r = err_set(-ENOMEM, "out of memory");
		goto fail;
	}
	if (!(rp->host = strdup(u->host))) {
		r = err_set(-ENOMEM, "out of memory");
		goto fail;
	}
	if ((r = remote_ssh_argv(u, o, log_path, args, &argv)) < 0)
		goto fail;
	free(argv[0]);
	argv[0] = ssh;
	ssh = NULL;
	{
		struct spawn_opts so = { .new_pgrp = o->new_pgrp };
		r = proc_spawn_opts(argv, map, nmap, &so, &rp->pid);
	}
	remote_argv_free(argv);
	if (r < 0)
		goto fail;
	return 0;
fail:
	close(rp->log);
	rp->log = -1;
	free(rp->host);
	rp->host = NULL;
	return r;
}

int remote_check_exit(const struct remote_proc *rp, int st)
{
	char buf[4096], *line, *nl;
	ssize_t n;

	if (!WIFEXITED(st) || WEXITSTATUS(st) != 255)
		return 0;
	n = rp->log >= 0 ? pread(rp->log, buf, sizeof(buf) - 1, 0) : -1;
	buf[n > 0 ? n : 0] = '\0';
	/* its last message: the reason */
	while ((nl = strrchr(buf, '\n')) && (!nl[1] || nl[1] == '\r'))
		*nl = '\0';
	line = nl ? nl + 1 : buf;
	line[strcspn(line, "\r")] = '\0';
	return err_set(-EHOSTUNREACH, "cannot reach %s over ssh: %s", rp->host ? rp->host : "the host",
		       line[0] ? line : "ssh failed");
}

int remote_reap(struct remote_proc *rp, int wait_ms, int *status)
{
	int st = -1, r = 0;
	pid_t w = 0;

	if (rp->pid > 0) {
		uint64_t end = proc_now_ms() + (uint64_t)(wait_ms > 0 ? wait_ms : 0);
		if (wait_ms < 0)
			while ((w = waitpid(rp->pid, &st, 0)) < 0 && errno == EINTR)
				;
		else
			while ((w = waitpid(rp->pid, &st, WNOHANG)) == 0 && proc_now_ms() < end)
				proc_sleep_ms(10);
		if (w == 0) {
			kill(rp->pid, SIGKILL);
			waitpid(rp->pid, NULL, 0);
			st = -1;
		} else if (w > 0) {
			r = remote_check_exit(rp, st);
		}
		rp->pid = 0;
	}
	if (status)
		*status = st;
	if (rp->log >= 0)
		close(rp->log);
	rp->log = -1;
	free(rp->host);
	rp->host = NULL;
	return r;
}
