/* SPDX-License-Identifier: MIT */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Replace dirfd/name with data atomically: a temporary file in the same
 * folder is written, fsync'ed and renamed over name, then the folder is
 * fsync'ed.  Readers see the old or the new content, never a mix. */
int fs_write_atomic(int dirfd, const char *name, const void *data, size_t len, mode_t mode);
/* Read a whole file (at most max bytes, else -EFBIG), NUL-terminated. */
int fs_read_all(int dirfd, const char *name, size_t max, char **out, size_t *len);
/* The same from an open fd (a pipe too) until its end; name for messages. */
int fs_read_fd(int fd, const char *name, size_t max, char **out, size_t *len);
int fs_mkdir_p(const char *path, mode_t mode);
/* Remove dirfd/name and everything below it (does not follow symlinks). */
int fs_rm_rf_at(int dirfd, const char *name);
/* Copy the contents of directory from into directory to: files, links,
 * devices and directories with their owners and modes (to takes from's). */
int fs_copy_tree(int from, int to);
/* The entries of dir that valid() accepts (never dot-names: staging and
 * trash), sorted; free with fs_names_free. */
int fs_list_names(const char *dir, int (*valid)(const char *), char ***names, size_t *n);
void fs_names_free(char **names, size_t n);
/* Take an exclusive flock on dirfd/name (created if needed); the lock
 * lives as long as *fd is open.  wait=false returns -EWOULDBLOCK. */
int fs_lock_at(int dirfd, const char *name, bool wait, int *fd);
bool fs_exists_at(int dirfd, const char *name);
/* write() until done (retrying EINTR and short writes); 0 or -errno. */
int write_all(int fd, const void *buf, size_t n);
/* Copy a path into a fixed buffer, failing on truncation. */
int fs_path(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
