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
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "storage/qcow2.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/proc.h"
#include "util/strv.h"
#include "util/trace.h"

static int valid_format(const char *f)
{
	return f && (!strcmp(f, "raw") || !strcmp(f, "qcow2"));
}

static int open_image(const char *path, int *fd)
{
	struct stat st;

	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		return err_errno(-errno, "cannot open disk %s", path);
	if (fstat(*fd, &st) < 0) {
		int e = -errno;
		close(*fd);
		*fd = -1;
		return err_errno(e, "cannot stat disk %s", path);
	}
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		close(*fd);
		*fd = -1;
		return err_set(-EINVAL, "disk %s is neither a file nor a block device", path);
	}
	return 0;
}

int image_adopt(const char *path, const char *stated, char *fmt, size_t n)
{
	_cleanup_close_ int fd = -1;
	struct qcow2_meta m;
	int r, is_qcow2;

	if (stated && !valid_format(stated))
		return err_set(-EINVAL, "unsupported disk format '%s' (use raw or qcow2)", stated);
	if ((r = open_image(path, &fd)) < 0)
		return r;
	is_qcow2 = qcow2_is(fd);
	if (stated && !strcmp(stated, "raw")) {
		snprintf(fmt, n, "raw");
		return 0;
	}
	if (!is_qcow2) {
		if (stated)
			return err_set(-EINVAL, "%s is not a qcow2 image (say format=raw if it is a raw disk)", path);
		snprintf(fmt, n, "raw");
		return 0;
	}
	if ((r = qcow2_read_meta(fd, path, &m)) < 0)
		return r;
	if (!stated) {
		/* The format was guessed from the content, which a guest may
		 * have written (a raw disk whose first bytes a guest made into
		 * a qcow2 header): such an image may not make the host open
		 * any other file. */
		if (m.backing[0])
			return err_set(-EPERM,
				       "%s looks like a qcow2 image whose backing file is %s; hv does not open files "
				       "named inside an image whose format it had to guess (a guest can write such a "
				       "header into a raw disk). If you made this image, state its format: "
				       "%s,format=qcow2 (hv disk: --format qcow2)",
				       path, m.backing, path);
		if (m.data_file[0] || m.external_data)
			return err_set(
			    -EPERM,
			    "%s looks like a qcow2 image with the external data file %s; hv does not open files "
			    "named inside an image whose format it had to guess. If you made this image, state "
			    "its format: %s,format=qcow2",
			    path, m.data_file, path);
	}
	if (m.backing[0] && !m.backing_format[0])
		return err_set(-EINVAL,
			       "%s names the backing file %s without its format, which QEMU would then guess; "
			       "record it with: qemu-img rebase -u -b '%s' -F raw|qcow2 '%s'",
			       path, m.backing, m.backing, path);
	snprintf(fmt, n, "qcow2");
	return 0;
}

int image_verify(const char *path, const char *format, const char *backing)
{
	_cleanup_close_ int fd = -1;
	struct qcow2_meta m;
	int r;

	if (!valid_format(format))
		return err_set(-EINVAL, "disk %s: unsupported format '%s' (use raw or qcow2)", path, format);
	if (!strcmp(format, "raw"))
		return 0; /* opened as raw: whatever its bytes say is guest data */
	if ((r = open_image(path, &fd)) < 0)
		return r;
	if ((r = qcow2_read_meta(fd, path, &m)) < 0)
		return r;
	if (!backing)
		return 0; /* the user stated qcow2 and owns its chain (checked at adoption) */
	if (strcmp(m.backing, backing))
		return err_set(-EPERM, "disk %s: its backing file is '%s' but hv made it on '%s'; refusing to use it",
			       path, m.backing, backing);
	if (m.data_file[0] || m.external_data)
		return err_set(-EPERM, "disk %s: hv made it without an external data file but it names '%s'", path,
			       m.data_file);
	return 0;
}

/* Append n bytes to a growing NUL-terminated buffer; -ENOMEM leaves it
 * as it was (the capacity grows only when realloc succeeded). */
static int buf_append(char **buf, size_t *len, size_t *cap, const char *data, size_t n)
{
	if (*len + n + 1 > *cap) {
		size_t ncap = (*len + n + 1) * 2;
		char *nb = realloc(*buf, ncap);
		if (!nb)
			return -ENOMEM;
		*buf = nb;
		*cap = ncap;
	}
	memcpy(*buf + *len, data, n);
	*len += n;
	(*buf)[*len] = '\0';
	return 0;
}

/* Keep the tail of stderr in ebuf: its last line explains a failure. */
static void keep_tail(char *ebuf, size_t elen, size_t *eused, const char *data, size_t n)
{
	if (*eused + n >= elen) {
		size_t keep = elen / 2 < *eused ? elen / 2 : *eused;
		memmove(ebuf, ebuf + *eused - keep, keep);
		*eused = keep;
	}
	size_t take = n < elen - *eused - 1 ? n : elen - *eused - 1;
	memcpy(ebuf + *eused, data + n - take, take);
	*eused += take;
	ebuf[*eused] = '\0';
}

/* Read both pipes to the end (stdout kept, stderr's tail kept). */
static int collect(int out, int errfd, char **obuf, char *ebuf, size_t elen)
{
	size_t olen = 0, ocap = 0, eused = 0;
	struct pollfd pf[2] = { { out, POLLIN, 0 }, { errfd, POLLIN, 0 } };
	int r = 0;

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
			if (i == 0 && obuf && r == 0)
				r = buf_append(obuf, &olen, &ocap, buf, (size_t)n);
			else if (i == 1)
				keep_tail(ebuf, elen, &eused, buf, (size_t)n);
		}
	}
	return r;
}

static void close_pair(int p[2])
{
	if (p[0] >= 0)
		close(p[0]);
	if (p[1] >= 0)
		close(p[1]);
	p[0] = p[1] = -1;
}

int qemu_img(const char *const args[], char **out)
{
	_cleanup_free_ char *bin = NULL;
	_cleanup_strv_ struct strv argv = { 0 };
	_cleanup_close_ int null = -1;
	int op[2] = { -1, -1 }, ep[2] = { -1, -1 }, status, r, rc;
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
	if (pipe2(op, O_CLOEXEC) < 0 || pipe2(ep, O_CLOEXEC) < 0 ||
	    (null = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0) {
		r = err_errno(-errno, "cannot run qemu-img");
		close_pair(op);
		close_pair(ep);
		return r;
	}
	trace_printf("qemu-img", "%s %s", args[0], args[1] ? args[1] : "");
	{
		struct spawn_fd map[] = { { null, 0 }, { op[1], 1 }, { ep[1], 2 } };
		r = proc_spawn(argv.v, map, 3, NULL, false, &pid);
	}
	close(op[1]);
	close(ep[1]);
	if (r < 0) {
		close(op[0]);
		close(ep[0]);
		return r;
	}
	rc = collect(op[0], ep[0], out, err, sizeof(err));
	close(op[0]);
	close(ep[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && rc == 0)
		return 0;
	if (out) {
		free(*out);
		*out = NULL;
	}
	if (rc < 0)
		return err_set(rc, "qemu-img %s: out of memory reading its output", args[0]);
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

/* A temporary name beside path ("DIR/.NAME.part-PID"), malloc'ed. */
static int temp_beside(const char *path, char **tmp)
{
	const char *slash = strrchr(path, '/');
	int dirlen = slash ? (int)(slash - path + 1) : 0;

	if (asprintf(tmp, "%.*s.%s.part-%d", dirlen, path, slash ? slash + 1 : path, (int)getpid()) < 0) {
		*tmp = NULL;
		return -ENOMEM;
	}
	return 0;
}

static int publish(const char *tmp, const char *path)
{
	/* never replace an image someone else made meanwhile */
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) < 0) {
		int e = errno;
		unlink(tmp);
		return e == EEXIST ? err_set(-EEXIST, "%s already exists", path)
				   : err_errno(-e, "cannot create %s", path);
	}
	return 0;
}

int image_create(const char *path, const char *format, uint64_t size, const char *backing, const char *backing_format)
{
	_cleanup_free_ char *tmp = NULL;
	char sz[32];
	int r;

	if (access(path, F_OK) == 0)
		return err_set(-EEXIST, "%s already exists", path);
	if (!valid_format(format))
		return err_set(-EINVAL, "unsupported format '%s' (use qcow2 or raw)", format);
	if (backing && strcmp(format, "qcow2"))
		return err_set(-EINVAL, "only qcow2 images can have a backing file");
	if (backing && !valid_format(backing_format))
		return err_set(-EINVAL, "backing file %s: its format must be stated (raw or qcow2)", backing);
	if ((r = temp_beside(path, &tmp)) < 0)
		return r;
	snprintf(sz, sizeof(sz), "%llu", (unsigned long long)size);
	if (backing) {
		/* absolute: the chain must not depend on anyone's working directory */
		_cleanup_free_ char *abs = realpath(backing, NULL);
		if (!abs)
			return err_errno(-errno, "backing file %s", backing);
		const char *args[] = { "create", "-q",		 "-f", "qcow2",		 "-b", abs,
				       "-F",	 backing_format, tmp,  size ? sz : NULL, NULL };
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

int image_info(const char *path, const char *format, bool chain, struct json_object **out)
{
	_cleanup_free_ char *text = NULL;
	const char *args[] = {
		"info", "-U", "-f", format, "--output=json", chain ? "--backing-chain" : path, chain ? path : NULL, NULL
	};
	int r;

	*out = NULL;
	if (!valid_format(format))
		return err_set(-EINVAL, "%s: unsupported format '%s'", path, format);
	if (access(path, F_OK) < 0)
		return err_errno(-errno, "%s", path);
	if ((r = qemu_img(args, &text)) < 0)
		return r;
	if (!text)
		return err_set(-EIO, "qemu-img info gave no JSON for %s", path);
	return json_parse(text, strlen(text), "qemu-img info", out);
}

int image_flock(int fd, const char *path, bool write)
{
	if (flock(fd, (write ? LOCK_EX : LOCK_SH) | LOCK_NB) == 0)
		return 0;
	if (errno == EWOULDBLOCK)
		return err_set(-EBUSY, "%s is in use by a running VM%s", path,
			       write ? " (an image a VM writes is that VM's alone)" : ", which writes it");
	return err_errno(-errno, "cannot lock %s", path);
}

/* qemu-img args changing the image at path, under its lock */
static int qemu_img_locked(const char *path, const char *const *args)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	int r;

	if (fd < 0)
		return err_errno(-errno, "%s", path);
	if ((r = image_flock(fd, path, true)) < 0)
		return r;
	return qemu_img(args, NULL);
}

int image_resize(const char *path, const char *format, uint64_t size, bool shrink)
{
	char sz[32];
	const char *args[] = { "resize",	   "-q", "-f", format, shrink ? "--shrink" : path, shrink ? path : sz,
			       shrink ? sz : NULL, NULL };

	if (!valid_format(format))
		return err_set(-EINVAL, "%s: unsupported format '%s'", path, format);
	snprintf(sz, sizeof(sz), "%llu", (unsigned long long)size);
	return qemu_img_locked(path, args);
}

int image_convert(const char *src, const char *src_format, const char *dst, const char *format, const char *snapshot,
		  bool force_share)
{
	_cleanup_free_ char *tmp = NULL, *snap = NULL;
	const char *args[20];
	int n = 0, r;

	if (!valid_format(src_format) || !valid_format(format))
		return err_set(-EINVAL, "unsupported format (use raw or qcow2)");
	if (access(dst, F_OK) == 0)
		return err_set(-EEXIST, "%s already exists", dst);
	if ((r = temp_beside(dst, &tmp)) < 0)
		return r;
	args[n++] = "convert";
	if (force_share)
		args[n++] = "-U";
	args[n++] = "-f";
	args[n++] = src_format;
	if (snapshot) {
		if (asprintf(&snap, "snapshot.name=%s", snapshot) < 0) {
			snap = NULL;
			return -ENOMEM;
		}
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
	_cleanup_free_ char *tmp = NULL;
	_cleanup_close_ int in = -1, out = -1;
	struct stat st;
	int r;

	if (access(dst, F_OK) == 0)
		return err_set(-EEXIST, "%s already exists", dst);
	if ((r = temp_beside(dst, &tmp)) < 0)
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

int image_check(const char *path, const char *format, char **report)
{
	const char *args[] = { "check", "-U", "-f", format, path, NULL };
	char *out = NULL;
	int r;

	if (report)
		*report = NULL;
	if (!valid_format(format))
		return err_set(-EINVAL, "%s: unsupported format '%s'", path, format);
	if (!strcmp(format, "raw")) {
		/* qemu-img has nothing to check in a raw image: no metadata */
		if (access(path, R_OK) < 0)
			return err_errno(-errno, "%s", path);
		if (report && !(*report = strdup("raw image: no metadata to check.\n")))
			return -ENOMEM;
		return 0;
	}
	r = qemu_img(args, &out);
	if (report)
		*report = out;
	else
		free(out);
	return r;
}

int image_repair_leaks(const char *path)
{
	const char *args[] = { "check", "-q", "-f", "qcow2", "-r", "leaks", path, NULL };

	return qemu_img_locked(path, args);
}

/* "driver=qcow2,file.filename=PATH" with QEMU's option escaping (a comma
 * in a value is doubled), so qemu-img snapshot (which has no -f) is told
 * the format instead of probing it. */
static int qcow2_image_opts(const char *path, char **out)
{
	size_t n = strlen(path), k = 0;
	char *o = malloc(sizeof("driver=qcow2,file.filename=") + 2 * n);

	if (!(*out = o))
		return -ENOMEM;
	k = (size_t)sprintf(o, "driver=qcow2,file.filename=");
	for (size_t i = 0; i < n; i++) {
		o[k++] = path[i];
		if (path[i] == ',')
			o[k++] = ',';
	}
	o[k] = '\0';
	return 0;
}

int image_snapshot(const char *path, char op, const char *name)
{
	_cleanup_free_ char *opts = NULL;
	char flag[3] = { '-', op, '\0' };
	int r;

	if ((r = qcow2_image_opts(path, &opts)) < 0)
		return r;
	const char *args[] = { "snapshot", "--image-opts", "-q", flag, name, opts, NULL };
	return qemu_img_locked(path, args);
}

/* qemu-img info of a qcow2 image itself (not its chain). */
static int qcow2_info(const char *path, struct json_object **info)
{
	return image_info(path, "qcow2", false, info);
}

int image_has_snapshot(const char *path, const char *name, bool force_share)
{
	struct json_object *info = NULL, *snaps = NULL;
	int r, found = 0;

	(void)force_share;
	if ((r = qcow2_info(path, &info)) < 0)
		return r;
	r = json_get_array(info, "snapshots", "qemu-img info", &snaps);
	for (size_t i = 0; r == 0 && i < json_object_array_length(snaps); i++) {
		const char *sname;
		if (json_get_str(json_object_array_get_idx(snaps, i), "name", "qemu-img info snapshot", &sname) == 0 &&
		    !strcmp(sname, name))
			found = 1;
	}
	json_object_put(info);
	return r == -EINVAL ? r : found;
}

int image_snapshot_count(const char *path)
{
	struct json_object *info = NULL, *snaps = NULL;
	int r, n = 0;

	if ((r = qcow2_info(path, &info)) < 0)
		return r;
	r = json_get_array(info, "snapshots", "qemu-img info", &snaps);
	if (r == 0)
		n = (int)json_object_array_length(snaps);
	json_object_put(info);
	return r == -EINVAL ? r : n;
}

int image_overlay_unchanged(const char *path)
{
	_cleanup_free_ char *text = NULL;
	const char *args[] = { "map", "-U", "-f", "qcow2", "--output=json", path, NULL };
	struct json_object *map = NULL;
	int r, unchanged = 1;

	if ((r = qemu_img(args, &text)) < 0)
		return r;
	if (!text)
		return err_set(-EIO, "qemu-img map gave no JSON for %s", path);
	if ((r = json_parse(text, strlen(text), "qemu-img map", &map)) < 0)
		return r;
	if (!json_object_is_type(map, json_type_array)) {
		json_object_put(map);
		return err_set(-EIO, "qemu-img map gave no JSON array for %s", path);
	}
	/* depth 0: clusters of the overlay itself (data, or zeroes written) */
	for (size_t i = 0; i < json_object_array_length(map); i++) {
		int64_t depth;
		if (json_get_int64(json_object_array_get_idx(map, i), "depth", "qemu-img map", &depth) == 0 &&
		    depth == 0)
			unchanged = 0;
	}
	json_object_put(map);
	return unchanged;
}

int image_flatten(const char *path)
{
	/* rebase onto nothing in safe mode: every block the chain provides is copied in */
	const char *args[] = { "rebase", "-q", "-f", "qcow2", "-b", "", path, NULL };

	return qemu_img_locked(path, args);
}

int image_spec_parse(const char *spec, char **path, char *fmt, size_t n)
{
	const char *opt = strstr(spec, ",format=");

	*path = NULL;
	fmt[0] = '\0';
	if (opt) {
		const char *f = opt + strlen(",format=");
		if (!valid_format(f))
			return err_set(-EINVAL, "disk %s: format must be raw or qcow2 (got '%s')", spec, f);
		snprintf(fmt, n, "%s", f);
	}
	if (!(*path = strndup(spec, opt ? (size_t)(opt - spec) : strlen(spec))))
		return -ENOMEM;
	if (!**path) {
		free(*path);
		*path = NULL;
		return err_set(-EINVAL, "disk '%s': no file named", spec);
	}
	return 0;
}

int image_backing_format(const char *path, char *fmt, size_t n)
{
	_cleanup_close_ int fd = -1;
	struct qcow2_meta m;
	int r;

	if ((r = open_image(path, &fd)) < 0 || (r = qcow2_read_meta(fd, path, &m)) < 0)
		return r;
	if (!valid_format(m.backing_format))
		return err_set(-EINVAL, "%s: its backing file's format is not recorded as raw or qcow2", path);
	snprintf(fmt, n, "%s", m.backing_format);
	return 0;
}
