/* SPDX-License-Identifier: MIT */
/* hv cp as tar streams over an exec into the guest (guestcp.h). */
#include "manager/guestcp.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/agent.h"
#include "manager/guestexec.h"
#include "manager/store.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/proc.h"
#include "util/text.h"

/* In the guest, $1 the name inside the stream, $2 the destination. */
static const char script_in[] =
    "if [ -d \"$2\" ]; then exec tar -xf - -C \"$2\"; fi\n"
    "parent=$(dirname \"$2\")\n"
    "[ -d \"$parent\" ] || { echo \"$parent: no such directory in the guest\" >&2; exit 3; }\n"
    "tmp=$(mktemp -d \"$parent/.hv-cp.XXXXXX\") || exit 1\n"
    "if tar -xf - -C \"$tmp\" && mv -f \"$tmp/$1\" \"$2\"; then rmdir \"$tmp\"; exit 0; fi\n"
    "rm -rf \"$tmp\"; exit 1\n";
/* In the guest, $1 the source. */
static const char script_out[] =
    "[ -e \"$1\" ] || [ -L \"$1\" ] || { echo \"$1: no such file or directory in the guest\" >&2; exit 3; }\n"
    "cd \"$(dirname \"$1\")\" && exec tar -cf - \"$(basename \"$1\")\"\n";

int cp_operand_parse(const char *s, struct cp_operand *o)
{
	const char *colon = strchr(s, ':'), *slash = strchr(s, '/');

	memset(o, 0, sizeof(*o));
	o->path = s;
	if (!colon || (slash && slash < colon))
		return 0;
	if ((size_t)(colon - s) >= sizeof(o->vm))
		return err_set(-EINVAL, "'%.*s' is not a VM name", (int)(colon - s), s);
	memcpy(o->vm, s, (size_t)(colon - s));
	o->path = colon + 1;
	if (vm_name_validate(o->vm) < 0)
		return err_prefix(-EINVAL, "%s", s);
	if (!o->path[0])
		return err_set(-EINVAL, "%s: no path in the VM after the colon", s);
	return 0;
}

struct copy {
	cp_progress_fn fn;
	void *ctx;
	unsigned long long total;
};

static void on_moved(void *ctx, unsigned long long bytes)
{
	struct copy *c = ctx;

	if (c->fn)
		c->fn(c->ctx, bytes, c->total);
}

static unsigned long long tree_total;
static int add_size(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)p, (void)f;
	if (flag == FTW_F)
		tree_total += (unsigned long long)st->st_size;
	return 0;
}

/* What the guest's script said on stderr, as one clean line. */
static void guest_words(int memfd, char *out, size_t n)
{
	char buf[512];
	ssize_t k = pread(memfd, buf, sizeof(buf) - 1, 0);
	char *nl;

	out[0] = '\0';
	if (k <= 0)
		return;
	buf[k] = '\0';
	if ((nl = strchr(buf, '\n')))
		*nl = '\0';
	text_sanitize(out, n, buf, strlen(buf), 0);
}

/* Run the guest's half with stdin/stdout given; the host's tar runs meanwhile. */
static int guest_half(const char *vm, const char *script, const char *a1, const char *a2, int in, int out,
		      struct copy *c, pid_t tar)
{
	char *argv[] = { "/bin/sh", "-c", (char *)script, "hv-cp", (char *)a1, (char *)a2, NULL };
	int errfd = memfd_create("hv-cp-stderr", MFD_CLOEXEC), r, st = 0;
	struct exec_request req = {
		.argv = argv, .in = in, .out = out, .err = errfd, .progress = on_moved, .progress_ctx = c
	};
	struct exec_status es = { 0 };
	char words[300];

	if (errfd < 0)
		return err_errno(-errno, "memfd_create");
	r = vm_exec(vm, &req, -1, &es);
	close(in);
	close(out);
	waitpid(tar, &st, 0);
	if (r == 0 && (es.signaled || es.code != 0)) {
		guest_words(errfd, words, sizeof(words));
		r = err_set(-EIO, "%s", words[0] ? words : es.message[0] ? es.message : "tar in the guest failed");
	} else if (r == 0 && (!WIFEXITED(st) || WEXITSTATUS(st) != 0)) {
		r = err_set(-EIO, "tar on the host failed (exit %d)",
			    WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	}
	close(errfd);
	return r;
}

/* The host's tar with stdin and stdout given, stderr silenced. */
static int spawn_tar(char **argv, int in, int out, pid_t *pid)
{
	_cleanup_free_ char *exe = NULL;
	int null = open("/dev/null", O_WRONLY | O_CLOEXEC), r;

	if (null < 0)
		return err_errno(-errno, "/dev/null");
	if ((r = proc_find_exe("tar", &exe)) < 0) {
		close(null);
		return err_set(r, "tar not found on the host; install it: apt-get install tar");
	}
	argv[0] = exe;
	r = proc_spawn(argv, (struct spawn_fd[]){ { in, 0 }, { out, 1 }, { null, 2 } }, 3, NULL, false, pid);
	argv[0] = "tar";
	close(null);
	return r;
}

static int copy_in(const char *host, const struct cp_operand *dst, struct copy *c)
{
	_cleanup_free_ char *d1 = strdup(host), *d2 = strdup(host);
	char *argv[] = { "tar", "-C", NULL, "-cf", "-", NULL, NULL };
	struct stat st;
	int p[2], devnull, r;
	pid_t tar;

	if (!d1 || !d2)
		return err_set(-ENOMEM, "out of memory");
	if (lstat(host, &st) < 0)
		return err_errno(-errno, "%s", host);
	tree_total = 0;
	if (S_ISDIR(st.st_mode))
		nftw(host, add_size, 32, FTW_PHYS);
	else
		tree_total = (unsigned long long)st.st_size;
	c->total = tree_total;
	argv[2] = dirname(d1);
	argv[5] = basename(d2);
	if (pipe2(p, O_CLOEXEC) < 0 || (devnull = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0)
		return err_errno(-errno, "pipe");
	r = spawn_tar(argv, devnull, p[1], &tar);
	close(p[1]);
	if (r < 0) {
		close(p[0]);
		close(devnull);
		return r;
	}
	r = guest_half(dst->vm, script_in, argv[5], dst->path, p[0], devnull, c, tar);
	return r;
}

/* Extract the guest's stream into host dst: inside it when it is a folder,
 * else under a temporary name in its parent, renamed at the end. */
static int copy_out(const struct cp_operand *src, const char *host, struct copy *c)
{
	_cleanup_free_ char *h1 = strdup(host), *s1 = strdup(src->path), *tmp = NULL, *from = NULL;
	char *argv[] = { "tar", "-C", NULL, "-xf", "-", NULL };
	struct stat st;
	bool into = stat(host, &st) == 0 && S_ISDIR(st.st_mode);
	int p[2], devnull, r;
	pid_t tar;

	if (!h1 || !s1)
		return err_set(-ENOMEM, "out of memory");
	if (!into) {
		const char *parent = dirname(h1);
		if (stat(parent, &st) < 0 || !S_ISDIR(st.st_mode))
			return err_set(-ENOENT, "%s: no such directory on the host", parent);
		if (asprintf(&tmp, "%s/.hv-cp.XXXXXX", parent) < 0 || !mkdtemp(tmp))
			return err_errno(-errno, "cannot make a temporary folder in %s", parent);
	}
	argv[2] = into ? (char *)host : tmp;
	if (pipe2(p, O_CLOEXEC) < 0 || (devnull = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0) {
		r = err_errno(-errno, "pipe");
		goto out;
	}
	r = spawn_tar(argv, p[0], devnull, &tar);
	close(p[0]);
	if (r < 0) {
		close(p[1]);
		close(devnull);
		goto out;
	}
	r = guest_half(src->vm, script_out, src->path, "", devnull, p[1], c, tar);
	if (r == 0 && !into) {
		if (asprintf(&from, "%s/%s", tmp, basename(s1)) < 0)
			r = err_set(-ENOMEM, "out of memory");
		else if (rename(from, host) < 0)
			r = err_errno(-errno, "cannot move the copy to %s", host);
	}
out:
	if (tmp && r < 0)
		fs_rm_rf_at(AT_FDCWD, tmp);
	else if (tmp)
		rmdir(tmp);
	return r;
}

int vm_copy(const struct cp_operand *src, const struct cp_operand *dst, cp_progress_fn progress, void *ctx)
{
	struct copy c = { .fn = progress, .ctx = ctx };

	if (!!src->vm[0] == !!dst->vm[0])
		return err_set(-EINVAL, "exactly one of source and destination must be in a VM (NAME:PATH)");
	/* distributions: the guest agent's file commands, folders as tar files */
	struct vm_handle h;
	int r = vm_agent_open(dst->vm[0] ? dst->vm : src->vm, &h);
	if (r < 0)
		return r;
	if (r == 1) {
		r = dst->vm[0] ? agent_copy_in(h.dirfd, src->path, dst->path, progress, ctx)
			       : agent_copy_out(h.dirfd, src->path, dst->path, progress, ctx);
		vm_close(&h);
		return r;
	}
	if (dst->vm[0])
		return copy_in(src->path, dst, &c);
	return copy_out(src, dst->path, &c);
}
