/* SPDX-License-Identifier: MIT */
/* The files and sockets hv opens for a jailed QEMU, and their plan file. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jail/jail.h"
#include "storage/image.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/json.h"
#include "util/jsonfile.h"
#include "util/sock.h"

#define PLAN_FILE "qemu.fds"

static const char *const kind_names[] = { [ENGINE_FD_READ] = "read",
					  [ENGINE_FD_RDWR] = "rdwr",
					  [ENGINE_FD_APPEND] = "append",
					  [ENGINE_FD_LISTEN] = "listen",
					  [ENGINE_FD_COPY] = "copy" };

/* The file's content in a sealed memfd: QEMU reopens it read-only by
 * /proc/self/fd/N, which a file in a folder closed to its uid refuses. */
static int open_copy(int dirfd, const char *path)
{
	_cleanup_close_ int in = openat(dirfd, path, O_RDONLY | O_CLOEXEC), out = -1;
	struct stat st;
	off_t off = 0;

	if (in < 0 || fstat(in, &st) < 0)
		return -errno;
	if ((out = memfd_create("hv-boot-file", MFD_CLOEXEC | MFD_ALLOW_SEALING)) < 0)
		return -errno;
	while (off < st.st_size) {
		ssize_t n = sendfile(out, in, &off, (size_t)(st.st_size - off));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
	}
	if (fcntl(out, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
		return -errno;
	return TAKE_FD(out);
}

static int open_one(int dirfd, const struct engine_pass_fd *e)
{
	int fd = -1, r;

	switch (e->kind) {
	case ENGINE_FD_READ:
		fd = openat(dirfd, e->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		break;
	case ENGINE_FD_RDWR:
		fd = openat(dirfd, e->path, O_RDWR | O_CLOEXEC | O_NOCTTY);
		break;
	case ENGINE_FD_APPEND:
		fd = openat(dirfd, e->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
		break;
	case ENGINE_FD_LISTEN:
		return (r = sock_listen_at(dirfd, e->path, false, &fd)) < 0 ? r : fd;
	case ENGINE_FD_COPY:
		return open_copy(dirfd, e->path);
	}
	return fd < 0 ? -errno : fd;
}

static bool set_is_writable(const struct engine_pass_fds *plan, int set)
{
	for (size_t i = 0; i < plan->n; i++)
		if (plan->v[i].set == set && plan->v[i].kind == ENGINE_FD_RDWR)
			return true;
	return false;
}

/* QEMU's own image locks are off on passed files (docs/security.md), so
 * hv locks each block file for the VM: a disk it writes exclusively, a file
 * it only reads (a backing image, a CD-ROM) shared.  The lock is on the open
 * file description QEMU inherits, so it lasts exactly as long as QEMU holds
 * the file; a second VM's start is refused here. */
static int lock_block_file(const struct engine_pass_fds *plan, size_t i, int fd)
{
	const struct engine_pass_fd *e = &plan->v[i];
	bool write = e->kind == ENGINE_FD_RDWR;

	if (e->set < 0 || (!write && e->kind != ENGINE_FD_READ) || (!write && set_is_writable(plan, e->set)))
		return 0; /* not a block file, or the set's read-write fd holds the lock */
	return image_flock(fd, e->path, write);
}

/* A migration's destination opens the disks the source's QEMU still
 * holds locked (the same files, shared storage): the locks are taken when
 * the source lets go (jail_locks_take), on a copy of each description. */
static int defer_lock(const struct engine_pass_fds *plan, size_t i, int fd, struct jail_locks *later)
{
	const struct engine_pass_fd *e = &plan->v[i];
	bool write = e->kind == ENGINE_FD_RDWR;
	int copy;

	if (e->set < 0 || (!write && e->kind != ENGINE_FD_READ) || (!write && set_is_writable(plan, e->set)))
		return 0;
	if (later->n >= ENGINE_MAX_PASS_FDS)
		return err_set(-E2BIG, "too many block files");
	if ((copy = fcntl(fd, F_DUPFD_CLOEXEC, 3)) < 0)
		return err_errno(-errno, "dup");
	later->fd[later->n] = copy;
	later->write[later->n++] = write;
	return 0;
}

int jail_open(int dirfd, const struct engine_pass_fds *plan, int fds[ENGINE_MAX_PASS_FDS], struct jail_locks *later)
{
	if (later)
		*later = (struct jail_locks){ .n = 0 };
	for (size_t i = 0; i < ENGINE_MAX_PASS_FDS; i++)
		fds[i] = -1;
	for (size_t i = 0; i < plan->n; i++) {
		int r = open_one(dirfd, &plan->v[i]);
		if (r < 0)
			r = err_errno(r, "cannot open %s for QEMU", plan->v[i].path);
		else {
			fds[i] = r;
			r = later ? defer_lock(plan, i, r, later) : lock_block_file(plan, i, r);
		}
		if (r < 0) {
			jail_close(plan, fds);
			jail_locks_drop(later);
			return r;
		}
	}
	return 0;
}

int jail_locks_take(struct jail_locks *l)
{
	int r = 0;

	for (size_t i = 0; i < l->n; i++) {
		if (l->fd[i] < 0)
			continue;
		if (flock(l->fd[i], (l->write[i] ? LOCK_EX : LOCK_SH) | LOCK_NB) < 0) {
			r = errno == EWOULDBLOCK ? -EBUSY : -errno;
			continue;
		}
		/* the lock is on the description QEMU shares: this copy may go */
		close(l->fd[i]);
		l->fd[i] = -1;
	}
	return r;
}

void jail_locks_drop(struct jail_locks *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		if (l->fd[i] >= 0)
			close(l->fd[i]);
	l->n = 0;
}

void jail_close(const struct engine_pass_fds *plan, int fds[ENGINE_MAX_PASS_FDS])
{
	for (size_t i = 0; i < plan->n && i < ENGINE_MAX_PASS_FDS; i++)
		if (fds[i] >= 0) {
			close(fds[i]);
			fds[i] = -1;
		}
}

int jail_plan_save(int dirfd, const struct engine_pass_fds *p)
{
	_cleanup_json_ struct json_object *o = json_object_new_object(), *arr = json_object_new_array();

	if (!o || !arr)
		return -ENOMEM;
	for (size_t i = 0; i < p->n; i++) {
		struct json_object *e = json_object_new_object();
		if (!e)
			return -ENOMEM;
		json_object_object_add(e, "fd", json_object_new_int(p->v[i].fd));
		json_object_object_add(e, "set", json_object_new_int(p->v[i].set));
		json_object_object_add(e, "kind", json_object_new_string(kind_names[p->v[i].kind]));
		json_object_object_add(e, "path", json_object_new_string(p->v[i].path));
		json_object_array_add(arr, e);
	}
	json_object_object_add(o, "fds", json_object_get(arr));
	if (p->vnc_path)
		json_object_object_add(o, "vnc", json_object_new_string(p->vnc_path));
	return json_write_atomic(dirfd, PLAN_FILE, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
}

static int parse_kind(struct json_object *v, void *dst, const char *path)
{
	const char *s = json_object_get_string(v);

	if (!json_object_is_type(v, json_type_string))
		return err_set(-EINVAL, "%s: expected a string, got %s", path, json_kind_name(v));
	for (size_t k = 0; k < sizeof(kind_names) / sizeof(kind_names[0]); k++)
		if (!strcmp(s, kind_names[k])) {
			*(enum engine_fd_kind *)dst = (enum engine_fd_kind)k;
			return 0;
		}
	return err_set(-EINVAL, "%s: unknown kind '%s'", path, s);
}

static int load_entry(struct json_object *e, size_t i, const char *epath, void *ctx)
{
	static const struct json_field fields[] = {
		JSON_FIELD_RANGE("fd", JSON_INT, JSON_REQUIRED, struct engine_pass_fd, fd, ENGINE_PASS_FD_BASE,
				 ENGINE_PASS_FD_BASE + ENGINE_MAX_PASS_FDS - 1),
		JSON_FIELD_RANGE("set", JSON_INT, JSON_REQUIRED, struct engine_pass_fd, set, -1,
				 ENGINE_PASS_FD_BASE + ENGINE_MAX_PASS_FDS - 1),
		JSON_FIELD_CUSTOM("kind", JSON_REQUIRED, struct engine_pass_fd, kind, parse_kind),
		JSON_FIELD("path", JSON_STR, JSON_REQUIRED, struct engine_pass_fd, path),
		JSON_FIELD_END,
	};
	struct engine_pass_fds *p = ctx;

	p->n = i + 1;
	return json_dispatch(e, fields, &p->v[i], epath, 0);
}

int jail_plan_load(int dirfd, struct jail_plan *out)
{
	struct json_object *arr;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = json_read_object(dirfd, PLAN_FILE, 1 << 20, &out->json)) < 0)
		return err_prefix(r, PLAN_FILE);
	if ((r = json_get_array(out->json, "fds", PLAN_FILE, &arr)) < 0 ||
	    (r = json_array_each(arr, PLAN_FILE ": fds", ENGINE_MAX_PASS_FDS, load_entry, &out->fds)) < 0 ||
	    ((r = json_get_str(out->json, "vnc", PLAN_FILE, &out->fds.vnc_path)) < 0 && r != -ENOENT)) {
		jail_plan_free(out);
		return r == -ENOENT ? err_set(-EINVAL, PLAN_FILE ": fds is missing") : r;
	}
	return 0;
}

void jail_plan_free(struct jail_plan *p)
{
	if (p->json)
		json_object_put(p->json);
	memset(p, 0, sizeof(*p));
}
