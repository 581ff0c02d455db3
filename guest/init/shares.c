/* SPDX-License-Identifier: MIT */
#include "shares.h"
#include "sys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

/* Only what hv itself allows (engine_share_tag_check): a tag becomes a
 * path under /mnt. */
static bool tag_ok(const char *t)
{
	size_t n = strlen(t);

	if (n == 0 || n > 36 || t[0] == '.' || t[0] == '-')
		return false;
	for (; *t; t++)
		if (!((*t >= 'a' && *t <= 'z') || (*t >= 'A' && *t <= 'Z') || (*t >= '0' && *t <= '9') || *t == '_' ||
		      *t == '-' || *t == '.'))
			return false;
	return true;
}

static void mount_share(char *spec)
{
	char *comma = strchr(spec, ',');
	bool ro = false;
	char dir[64];

	if (comma) {
		ro = !strcmp(comma, ",ro");
		*comma = '\0';
	}
	if (!tag_ok(spec)) {
		init_log("hv.share: ignoring the bad tag '%.40s'", spec);
		return;
	}
	snprintf(dir, sizeof(dir), "/mnt/%s", spec);
	mkdir("/mnt", 0755);
	mkdir(dir, 0755);
	if (mount(spec, dir, "virtiofs", ro ? MS_RDONLY : 0, NULL) < 0)
		init_log("cannot mount the shared folder '%s' on %s: %s", spec, dir, strerror(errno));
}

void shares_mount(void)
{
	char buf[4096];
	int fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	for (char *save = NULL, *tok = strtok_r(buf, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save))
		if (!strncmp(tok, "hv.share=", 9))
			mount_share(tok + 9);
}
