/* SPDX-License-Identifier: MIT */
#include "util/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/err.h"

int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int fs_write_atomic(int dirfd, const char *name, const void *data, size_t len, mode_t mode)
{
	char tmp[4096];
	_cleanup_close_ int fd = -1;
	int r;
	const char *base = strrchr(name, '/');
	int dirlen = base ? (int)(base - name + 1) : 0;

	/* the temporary file sits beside the target, so rename() stays atomic */
	base = base ? base + 1 : name;
	if (snprintf(tmp, sizeof(tmp), "%.*s.%s.tmp.%d", dirlen, name, base, (int)getpid()) >= (int)sizeof(tmp))
		return err_set(-ENAMETOOLONG, "file name too long: %s", name);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return err_errno(-errno, "cannot create %s", tmp);
	r = write_all(fd, data, len);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (r < 0) {
		unlinkat(dirfd, tmp, 0);
		return err_errno(r, "cannot write %s", name);
	}
	if (renameat(dirfd, tmp, dirfd, name) < 0) {
		r = -errno;
		unlinkat(dirfd, tmp, 0);
		return err_errno(r, "cannot replace %s", name);
	}
	/* Make the rename itself durable. */
	fsync(dirfd);
	return 0;
}

int fs_read_fd(int fd, const char *name, size_t max, char **out, size_t *len)
{
	_cleanup_free_ char *buf = NULL;
	size_t used = 0, cap = 4096;

	buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n;
		if (used + 1 >= cap) {
			char *nb;
			if (cap > max)
				return err_set(-EFBIG, "%s is larger than %zu bytes", name, max);
			cap *= 2;
			nb = realloc(buf, cap);
			if (!nb)
				return -ENOMEM;
			buf = nb;
		}
		n = read(fd, buf + used, cap - used - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return err_errno(-errno, "cannot read %s", name);
		}
		if (n == 0)
			break;
		used += (size_t)n;
		if (used > max)
			return err_set(-EFBIG, "%s is larger than %zu bytes", name, max);
	}
	buf[used] = '\0';
	if (len)
		*len = used;
	*out = TAKE_PTR(buf);
	return 0;
}

int fs_read_all(int dirfd, const char *name, size_t max, char **out, size_t *len)
{
	_cleanup_close_ int fd = -1;

	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno; /* callers decide whether absence is an error */
	return fs_read_fd(fd, name, max, out, len);
}

int fs_mkdir_p(const char *path, mode_t mode)
{
	char buf[4096];
	size_t n = strlen(path);

	if (n == 0 || n >= sizeof(buf))
		return err_set(-ENAMETOOLONG, "bad path: '%s'", path);
	memcpy(buf, path, n + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return err_errno(-errno, "cannot create %s", buf);
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return err_errno(-errno, "cannot create %s", buf);
	return 0;
}

int fs_rm_rf_at(int parent, const char *name)
{
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	int fd, r = 0;

	if (unlinkat(parent, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return err_errno(-errno, "cannot remove %s", name);
	fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return err_errno(-errno, "cannot open %s", name);
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		int k = fs_rm_rf_at(dirfd(d), de->d_name);
		if (k < 0 && r == 0)
			r = k;
	}
	if (unlinkat(parent, name, AT_REMOVEDIR) < 0 && r == 0)
		r = err_errno(-errno, "cannot remove %s", name);
	return r;
}

int fs_lock_at(int dirfd, const char *name, bool wait, int *out)
{
	_cleanup_close_ int fd = -1;

	fd = openat(dirfd, name, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return err_errno(-errno, "cannot open lock %s", name);
	while (flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) < 0) {
		if (errno == EINTR)
			continue;
		return -errno;
	}
	*out = TAKE_FD(fd);
	return 0;
}

bool fs_exists_at(int dirfd, const char *name)
{
	return faccessat(dirfd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

int fs_path(char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vsnprintf(buf, n, fmt, ap);
	va_end(ap);
	if (k < 0 || (size_t)k >= n)
		return err_set(-ENAMETOOLONG, "path too long");
	return 0;
}

static int copy_file_at(int from, int to, const char *name, const struct stat *st)
{
	_cleanup_close_ int in = -1, out = -1;
	char buf[65536];
	ssize_t k;

	if ((in = openat(from, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return err_errno(-errno, "cannot open %s", name);
	if ((out = openat(to, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0)
		return err_errno(-errno, "cannot create %s", name);
	while ((k = read(in, buf, sizeof(buf))) != 0) {
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return err_errno(-errno, "cannot read %s", name);
		}
		if (write_all(out, buf, (size_t)k) < 0)
			return err_errno(-errno, "cannot write %s", name);
	}
	if (fchown(out, st->st_uid, st->st_gid) < 0 || fchmod(out, st->st_mode & 07777) < 0)
		return err_errno(-errno, "cannot set the owner and mode of %s", name);
	return 0;
}

static int copy_tree(int from, int to, int depth)
{
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	int fd, r;

	if (depth > 64)
		return err_set(-ELOOP, "directories nested too deep");
	if ((fd = openat(from, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -errno;
	if (!(d = fdopendir(fd))) {
		close(fd);
		return -errno;
	}
	while ((de = readdir(d))) {
		const char *name = de->d_name;
		struct stat st;
		if (!strcmp(name, ".") || !strcmp(name, ".."))
			continue;
		if (fstatat(from, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return err_errno(-errno, "cannot stat %s", name);
		if (S_ISDIR(st.st_mode)) {
			_cleanup_close_ int a = -1, b = -1;
			if (mkdirat(to, name, 0700) < 0)
				return err_errno(-errno, "cannot create %s", name);
			if ((a = openat(from, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
			    (b = openat(to, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
				return err_errno(-errno, "cannot open %s", name);
			if ((r = copy_tree(a, b, depth + 1)) < 0)
				return r;
			if (fchown(b, st.st_uid, st.st_gid) < 0 || fchmod(b, st.st_mode & 07777) < 0)
				return err_errno(-errno, "cannot set the owner and mode of %s", name);
		} else if (S_ISREG(st.st_mode)) {
			if ((r = copy_file_at(from, to, name, &st)) < 0)
				return r;
		} else if (S_ISLNK(st.st_mode)) {
			char target[4096];
			ssize_t n = readlinkat(from, name, target, sizeof(target) - 1);
			if (n < 0)
				return err_errno(-errno, "cannot read the link %s", name);
			target[n] = '\0';
			if (symlinkat(target, to, name) < 0 ||
			    fchownat(to, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
				return err_errno(-errno, "cannot copy the link %s", name);
		} else {
			if (mknodat(to, name, st.st_mode, st.st_rdev) < 0 ||
			    fchownat(to, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0 ||
			    fchmodat(to, name, st.st_mode & 07777, 0) < 0)
				return err_errno(-errno, "cannot copy %s", name);
		}
	}
	return 0;
}

int fs_copy_tree(int from, int to)
{
	struct stat st;
	int r = copy_tree(from, to, 0);

	if (r == 0 && fstat(from, &st) == 0 &&
	    (fchown(to, st.st_uid, st.st_gid) < 0 || fchmod(to, st.st_mode & 07777) < 0))
		r = err_errno(-errno, "cannot set the owner and mode of the copy");
	return r;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int fs_list_names(const char *dir, int (*valid)(const char *), char ***names, size_t *n)
{
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	char **v = NULL;
	size_t cnt = 0, cap = 0;

	*names = NULL;
	*n = 0;
	if (!(d = opendir(dir)))
		return err_errno(-errno, "cannot read %s", dir);
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || valid(de->d_name) < 0)
			continue; /* staging and trash folders start with '.' */
		if (cnt == cap) {
			char **nv = realloc(v, (cap = cap ? cap * 2 : 32) * sizeof(*v));
			if (!nv) {
				fs_names_free(v, cnt);
				return err_set(-ENOMEM, "out of memory");
			}
			v = nv;
		}
		if (!(v[cnt] = strdup(de->d_name))) {
			fs_names_free(v, cnt);
			return err_set(-ENOMEM, "out of memory");
		}
		cnt++;
	}
	err_clear(); /* the validators' verdicts on what was skipped */
	if (cnt > 1)
		qsort(v, cnt, sizeof(*v), cmp_names);
	*names = v;
	*n = cnt;
	return 0;
}

void fs_names_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}
