/* SPDX-License-Identifier: MIT */
/* External tools for image work, run from argv arrays. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "image/tool.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/proc.h"
#include "util/strv.h"
#include "util/trace.h"

int tool_need(const char *prog, const char *package)
{
	_cleanup_free_ char *bin = NULL;

	if (proc_find_exe(prog, &bin) < 0)
		return err_set(-ENOENT, "%s not found; install it with: apt-get install %s", prog, package);
	return 0;
}

static void keep_tail(struct tool_output *o, const char *s, size_t n)
{
	size_t have = strlen(o->tail);

	if (n >= TOOL_TAIL - 1) {
		s += n - (TOOL_TAIL - 2);
		n = TOOL_TAIL - 2;
	}
	if (have + n + 1 >= TOOL_TAIL) {
		size_t drop = have + n + 2 - TOOL_TAIL;
		memmove(o->tail, o->tail + drop, have - drop + 1);
		have -= drop;
	}
	memcpy(o->tail + have, s, n);
	o->tail[have + n] = '\n';
	o->tail[have + n + 1] = '\0';
}

/* qemu-img -p prints "    (12.34/100%)" */
static void report(const struct image_progress *p, struct tool_output *o, char *line)
{
	double pct;

	if (!*line)
		return;
	if (p && p->percent && sscanf(line, " (%lf/100%%)", &pct) == 1) {
		p->percent(p->ctx, pct);
		return;
	}
	keep_tail(o, line, strlen(line));
	trace_printf("tool", "%s", line);
	if (p && p->line)
		p->line(p->ctx, line);
}

static void read_lines(int fd, const struct image_progress *p, struct tool_output *o)
{
	char buf[4096];
	size_t have = 0;
	ssize_t k;

	for (;;) {
		k = read(fd, buf + have, sizeof(buf) - 1 - have);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		have += (size_t)k;
		buf[have] = '\0';
		char *start = buf, *nl;
		while ((nl = strpbrk(start, "\r\n"))) {
			*nl = '\0';
			report(p, o, start);
			start = nl + 1;
		}
		have = strlen(start);
		memmove(buf, start, have + 1);
		if (have == sizeof(buf) - 1) { /* an over-long line: report it in pieces */
			report(p, o, buf);
			have = 0;
		}
	}
	buf[have] = '\0';
	report(p, o, buf);
}

static const char *last_line(struct tool_output *o)
{
	size_t n = strlen(o->tail);

	while (n && o->tail[n - 1] == '\n')
		o->tail[--n] = '\0';
	const char *l = strrchr(o->tail, '\n');
	return l ? l + 1 : o->tail;
}

int tool_run(const char *const argv[], const struct image_progress *p, struct tool_output *out)
{
	_cleanup_free_ char *bin = NULL;
	_cleanup_strv_ struct strv args = { 0 };
	_cleanup_close_ int null = -1;
	int pp[2], r, status = 0;
	pid_t pid;

	out->tail[0] = '\0';
	out->status = 0;
	if (proc_find_exe(argv[0], &bin) < 0)
		return err_set(-ENOENT, "%s not found", argv[0]);
	if ((r = strv_add(&args, bin)) < 0)
		return r;
	for (int i = 1; argv[i]; i++)
		if ((r = strv_add(&args, argv[i])) < 0)
			return r;
	if ((null = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0 || pipe2(pp, O_CLOEXEC) < 0)
		return err_errno(-errno, "cannot run %s", argv[0]);
	{
		_cleanup_free_ char *cmd = strv_join(&args, " ");
		trace_printf("tool", "run %s", cmd ? cmd : argv[0]);
	}
	{
		struct spawn_fd map[] = { { null, 0 }, { pp[1], 1 }, { pp[1], 2 } };
		r = proc_spawn(args.v, map, 3, NULL, false, &pid);
	}
	close(pp[1]);
	if (r < 0) {
		close(pp[0]);
		return r;
	}
	read_lines(pp[0], p, out);
	close(pp[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	out->status = status;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	const char *l = last_line(out);
	if (WIFSIGNALED(status))
		return err_set(-EIO, "%s was killed by signal %d", argv[0], WTERMSIG(status));
	return err_set(-EIO, "%s failed (exit %d)%s%s", argv[0], WIFEXITED(status) ? WEXITSTATUS(status) : -1,
		       *l ? ": " : "", l);
}
