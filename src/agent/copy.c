/* SPDX-License-Identifier: MIT */
/* hv cp through the guest agent: files by guest-file-*, folders as tar files (see agent.h). */
#include "agent/agent.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/ops.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/proc.h"

/* Measured against qemu-ga 7.2 (host, 32 MB): writes ~9 MB/s whatever the
 * chunk from 256 KiB up (its JSON parser is the limit; 48 KiB gave 6),
 * reads ~20 MB/s with 1 MiB. */
#define CHUNK_IN  (256u << 10)
#define CHUNK_OUT (1u << 20)
#define LOCK_MS	  30000
#define FILE_MS	  QGA_TIMEOUT_MS
#define GUEST_TMP "/tmp/hv-cp.%u.tar"

enum guest_kind { KIND_MISSING, KIND_NEW, KIND_FILE, KIND_DIR };

/* What path is in the guest: a folder, something else, absent with its
 * folder present (KIND_NEW), or absent altogether; *mode its permission
 * bits and *size its size when it exists. */
static int guest_kind(int vmdir, const char *path, enum guest_kind *kind, unsigned *mode, uint64_t *size)
{
	static const char script[] = "if [ -d \"$1\" ]; then printf 'dir %s %s' $(stat -L -c '%a %s' -- \"$1\");"
				     " elif [ -e \"$1\" ]; then printf 'file %s %s' $(stat -L -c '%a %s' -- \"$1\");"
				     " elif [ -d \"$(dirname -- \"$1\")\" ]; then echo new; else echo missing; fi";
	char *argv[] = { "/bin/sh", "-c", (char *)script, "hv-cp", (char *)path, NULL };
	_cleanup_free_ char *out = NULL;
	char word[8];
	unsigned long long sz = 0;
	int code, r;

	*mode = 0644;
	*size = 0;
	if ((r = agent_run(vmdir, argv, &code, &out)) < 0)
		return r;
	if (code != 0 || sscanf(out, "%7s %o %llu", word, mode, &sz) < 1)
		return err_set(-EPROTO, "cannot tell what %s is in the guest", path);
	*size = sz;
	*kind = !strcmp(word, "dir")	? KIND_DIR
		: !strcmp(word, "file") ? KIND_FILE
		: !strcmp(word, "new")	? KIND_NEW
					: KIND_MISSING;
	return 0;
}

static int guest_sh(int vmdir, const char *script, const char *a1, const char *a2, const char *what)
{
	char *argv[] = { "/bin/sh", "-c", (char *)script, "hv-cp", (char *)a1, (char *)a2, NULL };
	_cleanup_free_ char *out = NULL;
	int code, r;

	if ((r = agent_run(vmdir, argv, &code, &out)) < 0)
		return r;
	if (code != 0)
		return err_set(-EIO, "%s failed in the guest (exit status %d)", what, code);
	return 0;
}

static int host_tar(char *const argv[])
{
	_cleanup_close_ int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	struct spawn_fd map[] = { { null, 0 }, { null, 1 }, { null, 2 } };
	pid_t pid;
	int status, r;

	if (null < 0)
		return err_errno(-errno, "/dev/null");
	if ((r = proc_spawn(argv, map, 3, NULL, false, &pid)) < 0)
		return r;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return err_errno(-errno, "waitpid");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return err_set(-EIO, "tar on the host failed (%s %s)", argv[1], argv[2]);
	return 0;
}

/* Stream host fd into a guest file. */
static int put_file(int vmdir, int fd, uint64_t total, const char *gpath, agent_progress_fn cb, void *ctx)
{
	_cleanup_qga_ struct qga *g = NULL;
	_cleanup_free_ char *buf = malloc(CHUNK_IN);
	uint64_t done = 0;
	int64_t h;
	int r;

	if (!buf)
		return err_set(-ENOMEM, "out of memory");
	if ((r = qga_open_at(vmdir, LOCK_MS, QGA_SYNC_TIMEOUT_MS, &g)) < 0 ||
	    (r = agent_file_open(g, FILE_MS, gpath, "w", &h)) < 0)
		return r;
	for (;;) {
		ssize_t n = read(fd, buf, CHUNK_IN);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = err_errno(-errno, "reading the host file");
			break;
		}
		if (n == 0)
			break;
		if ((r = agent_file_write(g, FILE_MS, h, buf, (size_t)n)) < 0)
			break;
		done += (uint64_t)n;
		if (cb)
			cb(ctx, done, total);
	}
	int c = agent_file_close(g, FILE_MS, h);
	return r < 0 ? r : c;
}

/* Stream a guest file into host fd. */
static int get_file(int vmdir, const char *gpath, uint64_t total, int fd, agent_progress_fn cb, void *ctx)
{
	_cleanup_qga_ struct qga *g = NULL;
	uint64_t done = 0;
	bool eof = false;
	int64_t h;
	int r;

	if ((r = qga_open_at(vmdir, LOCK_MS, QGA_SYNC_TIMEOUT_MS, &g)) < 0 ||
	    (r = agent_file_open(g, FILE_MS, gpath, "r", &h)) < 0)
		return r;
	while (!eof) {
		_cleanup_free_ uint8_t *data = NULL;
		size_t len;
		if ((r = agent_file_read(g, FILE_MS, h, CHUNK_OUT, &data, &len, &eof)) < 0)
			break;
		if ((r = write_all(fd, data, len)) < 0) {
			r = err_errno(r, "writing the host file");
			break;
		}
		done += len;
		if (cb)
			cb(ctx, done, total);
		if (len == 0)
			break;
	}
	int c = agent_file_close(g, FILE_MS, h);
	return r < 0 ? r : c;
}

static char *path_join(const char *dir, const char *src)
{
	_cleanup_free_ char *copy = strdup(src);
	char *out = NULL;

	if (!copy || asprintf(&out, "%s/%s", dir, basename(copy)) < 0)
		return NULL;
	return out;
}

static int tmp_file(char **path, int *fd)
{
	if (asprintf(path, "/tmp/hv-cp.XXXXXX") < 0) {
		*path = NULL;
		return err_set(-ENOMEM, "out of memory");
	}
	if ((*fd = mkostemp(*path, O_CLOEXEC)) < 0)
		return err_errno(-errno, "cannot create a temporary file");
	return 0;
}

static int copy_in_dir(int vmdir, const char *src, const char *target, agent_progress_fn cb, void *ctx)
{
	_cleanup_free_ char *tar = NULL;
	_cleanup_close_ int fd = -1;
	char gtmp[64];
	struct stat st;
	int r;

	snprintf(gtmp, sizeof(gtmp), GUEST_TMP, (unsigned)getpid());
	if ((r = tmp_file(&tar, &fd)) < 0)
		return r;
	char *argv[] = { "/usr/bin/tar", "-C", (char *)src, "-cf", tar, ".", NULL };
	if ((r = host_tar(argv)) == 0 && fstat(fd, &st) < 0)
		r = err_errno(-errno, "%s", tar);
	if (r == 0)
		r = put_file(vmdir, fd, (uint64_t)st.st_size, gtmp, cb, ctx);
	unlink(tar);
	if (r < 0)
		return r;
	return guest_sh(vmdir, "mkdir -p -- \"$1\" && tar -C \"$1\" -xpf \"$2\"; r=$?; rm -f -- \"$2\"; exit $r",
			target, gtmp, "unpacking the folder");
}

int agent_copy_in(int vmdir, const char *host_src, const char *guest_dst, agent_progress_fn cb, void *ctx)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *joined = NULL;
	const char *target = guest_dst;
	enum guest_kind kind;
	unsigned gmode;
	uint64_t gsize;
	struct stat st;
	char mode[16];
	int r;

	if ((fd = open(host_src, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) < 0)
		return err_errno(-errno, "%s", host_src);
	if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
		return err_set(-EINVAL, "%s is neither a file nor a folder", host_src);
	if ((r = guest_kind(vmdir, guest_dst, &kind, &gmode, &gsize)) < 0)
		return r;
	if (kind == KIND_MISSING)
		return err_set(-ENOENT, "the folder of %s does not exist in the guest", guest_dst);
	if (kind == KIND_DIR) {
		if (!(joined = path_join(guest_dst, host_src)))
			return err_set(-ENOMEM, "out of memory");
		target = joined;
	}
	if (S_ISDIR(st.st_mode))
		return copy_in_dir(vmdir, host_src, target, cb, ctx);
	if ((r = put_file(vmdir, fd, (uint64_t)st.st_size, target, cb, ctx)) < 0)
		return err_prefix(r, "%s", target);
	snprintf(mode, sizeof(mode), "%o", (unsigned)(st.st_mode & 07777));
	return guest_sh(vmdir, "chmod -- \"$2\" \"$1\"", target, mode, "chmod");
}

static int copy_out_dir(int vmdir, const char *src, const char *target, agent_progress_fn cb, void *ctx)
{
	_cleanup_free_ char *tar = NULL;
	_cleanup_close_ int fd = -1;
	char gtmp[64];
	int r;

	snprintf(gtmp, sizeof(gtmp), GUEST_TMP, (unsigned)getpid());
	if ((r = guest_sh(vmdir, "tar -C \"$1\" -cf \"$2\" .", src, gtmp, "packing the folder")) < 0)
		return r;
	if ((r = tmp_file(&tar, &fd)) == 0)
		r = get_file(vmdir, gtmp, 0, fd, cb, ctx);
	guest_sh(vmdir, "rm -f -- \"$1\"", gtmp, NULL, "rm");
	if (r < 0) {
		if (tar)
			unlink(tar);
		return r;
	}
	if (mkdir(target, 0755) < 0 && errno != EEXIST) {
		unlink(tar);
		return err_errno(-errno, "%s", target);
	}
	char *argv[] = { "/usr/bin/tar", "-C", (char *)target, "-xpf", tar, NULL };
	r = host_tar(argv);
	unlink(tar);
	return r;
}

int agent_copy_out(int vmdir, const char *guest_src, const char *host_dst, agent_progress_fn cb, void *ctx)
{
	_cleanup_free_ char *joined = NULL, *parent = NULL;
	_cleanup_close_ int fd = -1;
	const char *target = host_dst;
	enum guest_kind kind;
	unsigned gmode;
	uint64_t gsize;
	struct stat st;
	int r;

	if (stat(host_dst, &st) == 0 && S_ISDIR(st.st_mode)) {
		if (!(joined = path_join(host_dst, guest_src)))
			return err_set(-ENOMEM, "out of memory");
		target = joined;
	} else if (!(parent = strdup(host_dst)) || stat(dirname(parent), &st) < 0 || !S_ISDIR(st.st_mode)) {
		return err_set(-ENOENT, "the folder of %s does not exist", host_dst);
	}
	if ((r = guest_kind(vmdir, guest_src, &kind, &gmode, &gsize)) < 0)
		return r;
	if (kind == KIND_MISSING || kind == KIND_NEW)
		return err_set(-ENOENT, "%s does not exist in the guest", guest_src);
	if (kind == KIND_DIR)
		return copy_out_dir(vmdir, guest_src, target, cb, ctx);
	if ((fd = open(target, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0)
		return err_errno(-errno, "%s", target);
	if ((r = get_file(vmdir, guest_src, gsize, fd, cb, ctx)) < 0)
		return err_prefix(r, "%s", guest_src);
	if (fchmod(fd, gmode & 07777) < 0)
		return err_errno(-errno, "chmod %s", target);
	return 0;
}
