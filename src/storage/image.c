/* SPDX-License-Identifier: MIT */
#include "storage/image.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <linux/fs.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/proc.h"
#include "util/strv.h"

int image_probe_format(const char *path, char *fmt, size_t n)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	unsigned char magic[4];
	struct stat st;

	if (fd < 0)
		return err_errno(-errno, "cannot open disk %s", path);
	if (fstat(fd, &st) < 0)
		return err_errno(-errno, "cannot stat disk %s", path);
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return err_set(-EINVAL, "disk %s is neither a file nor a block device", path);
	/* qcow2 spec: the header starts with "QFI\xfb" */
	if (pread(fd, magic, 4, 0) == 4 && !memcmp(magic, "QFI\xfb", 4))
		snprintf(fmt, n, "qcow2");
	else
		snprintf(fmt, n, "raw");
	return 0;
}

/* Read both pipes to the end (stdout kept, stderr's tail kept). */
static void collect(int out, int errfd, char **obuf, char *ebuf, size_t elen)
{
	size_t olen = 0, ocap = 0, eused = 0;
	struct pollfd pf[2] = { { out, POLLIN, 0 }, { errfd, POLLIN, 0 } };

	while (pf[0].fd >= 0 || pf[1].fd >= 0) {
		char buf[4096];
		if (poll(pf, 2, -1) < 0 && errno != EINTR)
			break;
		for (int i = 0; i < 2; i++) {
			if (pf[i].fd < 0 || !pf[i].revents)
				continue;
			ssize_t n = read(pf[i].fd, buf, sizeof(buf));
			if (n <= 0) {
				pf[i].fd = -1;
				continue;
			}
			if (i == 0 && obuf) {
				if (olen + (size_t)n + 1 > ocap) {
					char *nb = realloc(*obuf, ocap = (olen + (size_t)n + 1) * 2);
					if (!nb)
						continue;
					*obuf = nb;
				}
				memcpy(*obuf + olen, buf, (size_t)n);
				olen += (size_t)n;
				(*obuf)[olen] = '\0';
			} else if (i == 1) {
				/* keep the tail: the last line explains */
				if (eused + (size_t)n >= elen) {
					size_t keep = elen / 2;
					memmove(ebuf, ebuf + eused - (eused < keep ? eused : keep), eused < keep ? eused : keep);
					eused = eused < keep ? eused : keep;
				}
				size_t take = (size_t)n < elen - eused - 1 ? (size_t)n : elen - eused - 1;
				memcpy(ebuf + eused, buf + (size_t)n - take, take);
				eused += take;
				ebuf[eused] = '\0';
			}
		}
	}
}

int qemu_img(const char *const args[], char **out)
{
	_cleanup_free_ char *bin = NULL;
	_cleanup_strv_ struct strv argv = { 0 };
	int op[2], ep[2], null, status, r;
	char err[2048] = "";
	pid_t pid;

	if (out)
		*out = NULL;
	if (proc_find_exe("qemu-img", &bin) < 0)
		return err_set(-ENOENT, "qemu-img not found; install it with: apt-get install qemu-utils");
	if ((r = strv_add(&argv, bin)) < 0)
		return r;
	for (int i = 0; args[i]; i++)
		if ((r = strv_add(&argv, args[i])) < 0)
			return r;
	if (pipe2(op, O_CLOEXEC) < 0 || pipe2(ep, O_CLOEXEC) < 0 || (null = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0)
		return err_errno(-errno, "pipe");
	{
		struct spawn_fd map[] = { { null, 0 }, { op[1], 1 }, { ep[1], 2 } };
		r = proc_spawn(argv.v, map, 3, NULL, false, &pid);
	}
	close(op[1]);
	close(ep[1]);
	close(null);
	if (r < 0) {
		close(op[0]);
		close(ep[0]);
		return r;
	}
	collect(op[0], ep[0], out, err, sizeof(err));
	close(op[0]);
	close(ep[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (out) {
		free(*out);
		*out = NULL;
	}
	/* qemu-img prefixes its messages with "qemu-img: " */
	size_t n = strlen(err);
	while (n && err[n - 1] == '\n')
		err[--n] = '\0';
	char *line = strrchr(err, '\n') ? strrchr(err, '\n') + 1 : err;
	if (!strncmp(line, "qemu-img: ", 10))
		line += 10;
	r = strstr(line, "No space left") ? -ENOSPC : strstr(line, "lock") ? -EBUSY : -EIO;
	return err_set(r, "qemu-img %s failed: %s", args[0], *line ? line : "no message");
}

/* Write to a temporary name beside path, then rename into place. */
static int temp_beside(const char *path, char *tmp, size_t n)
{
	const char *slash = strrchr(path, '/');
	int dirlen = slash ? (int)(slash - path + 1) : 0;

	return fs_path(tmp, n, "%.*s.%s.part-%d", dirlen, path, slash ? slash + 1 : path, (int)getpid());
}

static int publish(const char *tmp, const char *path)
{
	/* never replace an image someone else made meanwhile */
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) < 0) {
		int e = errno;
		unlink(tmp);
		return e == EEXIST ? err_set(-EEXIST, "%s already exists", path) : err_errno(-e, "cannot create %s", path);
	}
	return 0;
}

int image_create(const char *path, const char *format, uint64_t size, const char *backing)
{
	char tmp[4200], sz[32], bfmt[8];
	int r;

	if (access(path, F_OK) == 0)
		return err_set(-EEXIST, "%s already exists", path);
	if (strcmp(format, "qcow2") && strcmp(format, "raw"))
		return err_set(-EINVAL, "unsupported format '%s' (use qcow2 or raw)", format);
	if (backing && strcmp(format, "qcow2"))
		return err_set(-EINVAL, "only qcow2 images can have a backing file");
	if ((r = temp_beside(path, tmp, sizeof(tmp))) < 0)
		return r;
	snprintf(sz, sizeof(sz), "%llu", (unsigned long long)size);
	if (backing) {
		/* absolute: the chain must not depend on anyone's working directory */
		_cleanup_free_ char *abs = realpath(backing, NULL);
		if (!abs)
			return err_errno(-errno, "backing file %s", backing);
		if ((r = image_probe_format(abs, bfmt, sizeof(bfmt))) < 0)
			return r;
		const char *args[] = { "create", "-q", "-f", "qcow2", "-b", abs, "-F", bfmt, tmp, size ? sz : NULL, NULL };
		r = qemu_img(args, NULL);
	} else {
		const char *args[] = { "create", "-q", "-f", format, tmp, sz, NULL };
		r = qemu_img(args, NULL);
	}
	if (r < 0) {
		unlink(tmp);
		return r;
	}
	return publish(tmp, path);
}

int image_info(const char *path, bool chain, struct json_object **out)
{
	_cleanup_free_ char *text = NULL;
	const char *args[] = { "info", "-U", "--output=json", chain ? "--backing-chain" : path, chain ? path : NULL, NULL };
	int r;

	if (access(path, F_OK) < 0)
		return err_errno(-errno, "%s", path);
	if ((r = qemu_img(args, &text)) < 0)
		return r;
	*out = text ? json_tokener_parse(text) : NULL;
	return *out ? 0 : err_set(-EIO, "qemu-img info gave no JSON for %s", path);
}

int image_resize(const char *path, uint64_t size, bool shrink)
{
	char sz[32];
	const char *args[] = { "resize", "-q", shrink ? "--shrink" : path, shrink ? path : sz, shrink ? sz : NULL, NULL };

	snprintf(sz, sizeof(sz), "%llu", (unsigned long long)size);
	return qemu_img(args, NULL);
}

int image_convert(const char *src, const char *dst, const char *format, const char *snapshot, bool force_share)
{
	char tmp[4200], snap[320];
	const char *args[16];
	int n = 0, r;

	if (access(dst, F_OK) == 0)
		return err_set(-EEXIST, "%s already exists", dst);
	if ((r = temp_beside(dst, tmp, sizeof(tmp))) < 0)
		return r;
	args[n++] = "convert";
	if (force_share)
		args[n++] = "-U";
	if (snapshot) {
		snprintf(snap, sizeof(snap), "snapshot.name=%s", snapshot);
		args[n++] = "-l";
		args[n++] = snap;
	}
	args[n++] = "-O";
	args[n++] = format;
	args[n++] = src;
	args[n++] = tmp;
	args[n] = NULL;
	if ((r = qemu_img(args, NULL)) < 0) {
		unlink(tmp);
		return r;
	}
	return publish(tmp, dst);
}

/* Copy the data regions only (holes stay holes), or clone the extents. */
static int copy_sparse(int in, int out, off_t size)
{
	off_t pos = 0;

	if (ioctl(out, FICLONE, in) == 0)
		return 0; /* reflink: shared extents, instant */
	while (pos < size) {
		off_t data = lseek(in, pos, SEEK_DATA), hole;
		if (data < 0)
			break; /* no more data: the rest is a hole */
		hole = lseek(in, data, SEEK_HOLE);
		if (hole < 0)
			hole = size;
		for (off_t off = data; off < hole;) {
			ssize_t k = copy_file_range(in, &off, out, &(off_t){ off }, (size_t)(hole - off), 0);
			if (k <= 0)
				return k < 0 ? -errno : -EIO;
		}
		pos = hole;
	}
	return ftruncate(out, size) < 0 ? -errno : 0;
}

int image_copy(const char *src, const char *dst)
{
	char tmp[4200];
	_cleanup_close_ int in = -1, out = -1;
	struct stat st;
	int r;

	if (access(dst, F_OK) == 0)
		return err_set(-EEXIST, "%s already exists", dst);
	if ((r = temp_beside(dst, tmp, sizeof(tmp))) < 0)
		return r;
	if ((in = open(src, O_RDONLY | O_CLOEXEC)) < 0 || fstat(in, &st) < 0)
		return err_errno(-errno, "cannot read %s", src);
	if ((out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
		return err_errno(-errno, "cannot create %s", tmp);
	r = copy_sparse(in, out, st.st_size);
	if (r == 0 && fsync(out) < 0)
		r = -errno;
	if (r < 0) {
		unlink(tmp);
		return err_errno(r, "cannot copy %s to %s", src, dst);
	}
	return publish(tmp, dst);
}

int image_check(const char *path, char **report)
{
	const char *args[] = { "check", "-U", path, NULL };
	char *out = NULL;
	int r = qemu_img(args, &out);

	if (report)
		*report = out;
	else
		free(out);
	return r;
}

int image_snapshot(const char *path, char op, const char *name)
{
	char flag[3] = { '-', op, '\0' };
	const char *args[] = { "snapshot", flag, name, path, NULL };

	return qemu_img(args, NULL);
}

int image_has_snapshot(const char *path, const char *name, bool force_share)
{
	struct json_object *info = NULL, *snaps;
	int r, found = 0;

	(void)force_share;
	if ((r = image_info(path, false, &info)) < 0)
		return r;
	if (json_object_object_get_ex(info, "snapshots", &snaps))
		for (size_t i = 0; i < json_object_array_length(snaps); i++) {
			struct json_object *s = json_object_array_get_idx(snaps, i), *v;
			if (json_object_object_get_ex(s, "name", &v) && !strcmp(json_object_get_string(v), name))
				found = 1;
		}
	json_object_put(info);
	return found;
}

int image_snapshot_count(const char *path)
{
	struct json_object *info = NULL, *snaps;
	int r, n = 0;

	if ((r = image_info(path, false, &info)) < 0)
		return r;
	if (json_object_object_get_ex(info, "snapshots", &snaps))
		n = (int)json_object_array_length(snaps);
	json_object_put(info);
	return n;
}

int image_overlay_unchanged(const char *path)
{
	_cleanup_free_ char *text = NULL;
	const char *args[] = { "map", "-U", "--output=json", path, NULL };
	struct json_object *map;
	int r, unchanged = 1;

	if ((r = qemu_img(args, &text)) < 0)
		return r;
	if (!(map = text ? json_tokener_parse(text) : NULL) || !json_object_is_type(map, json_type_array)) {
		json_object_put(map);
		return err_set(-EIO, "qemu-img map gave no JSON for %s", path);
	}
	/* depth 0: clusters of the overlay itself (data, or zeroes written) */
	for (size_t i = 0; i < json_object_array_length(map); i++) {
		struct json_object *e = json_object_array_get_idx(map, i), *v;
		if (json_object_object_get_ex(e, "depth", &v) && json_object_get_int(v) == 0)
			unchanged = 0;
	}
	json_object_put(map);
	return unchanged;
}

int image_flatten(const char *path)
{
	/* rebase onto nothing in safe mode: every block the chain provides is copied in */
	const char *args[] = { "rebase", "-q", "-b", "", path, NULL };

	return qemu_img(args, NULL);
}
