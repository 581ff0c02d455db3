/* SPDX-License-Identifier: MIT */
/* The images under a disk, for a QEMU that cannot follow their names. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jail/jail.h"
#include "storage/qcow2.h"
#include "util/cleanup.h"
#include "util/err.h"

/* name as QEMU resolves it: relative to the folder of the image naming it */
static char *backing_path(const char *image, const char *name)
{
	const char *slash = strrchr(image, '/');
	char *out = NULL;

	if (name[0] == '/' || !slash)
		return strdup(name);
	if (asprintf(&out, "%.*s/%s", (int)(slash - image), image, name) < 0)
		return NULL;
	return out;
}

int jail_disk_chain(int dirfd, struct engine_disk *d, struct jail_chain *c)
{
	const char *image = d->path, *format = d->format;
	struct qcow2_meta m;
	int r;

	memset(c, 0, sizeof(*c));
	d->nbacking = 0;
	while (!strcmp(format, "qcow2")) {
		_cleanup_close_ int fd = openat(dirfd, image, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return err_errno(-errno, "cannot open %s", image);
		if ((r = qcow2_read_meta(fd, image, &m)) < 0)
			return r;
		if (!m.backing[0])
			return 0;
		if (d->nbacking == ENGINE_MAX_BACKING)
			return err_set(-ELOOP, "%s: more than %d images under it", d->path, ENGINE_MAX_BACKING);
		if (strcmp(m.backing_format, "raw") && strcmp(m.backing_format, "qcow2"))
			return err_set(-EINVAL, "%s: the format of its backing file %s is not recorded as raw or qcow2",
				       image, m.backing);
		if (!(c->path[d->nbacking] = backing_path(image, m.backing)))
			return -ENOMEM;
		snprintf(c->format[d->nbacking], sizeof(c->format[0]), "%s", m.backing_format);
		d->backing[d->nbacking] = c->path[d->nbacking];
		d->backing_format[d->nbacking] = c->format[d->nbacking];
		image = c->path[d->nbacking];
		format = c->format[d->nbacking];
		d->nbacking++;
	}
	return 0;
}

void jail_chain_free(struct jail_chain *c)
{
	for (size_t i = 0; i < ENGINE_MAX_BACKING; i++) {
		free(c->path[i]);
		c->path[i] = NULL;
	}
}
