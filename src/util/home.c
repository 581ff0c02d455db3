/* SPDX-License-Identifier: MIT */
#include "util/home.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "util/err.h"
#include "util/fs.h"

int hv_home(char *buf, size_t n)
{
	const char *env = getenv("HV_HOME");
	int r;

	if (env && *env)
		r = fs_path(buf, n, "%s", env);
	else if (geteuid() == 0)
		r = fs_path(buf, n, "/var/lib/hv");
	else if (getenv("HOME"))
		r = fs_path(buf, n, "%s/.local/share/hv", getenv("HOME"));
	else
		return err_set(-ENOENT, "cannot place the store: set HV_HOME");
	if (r < 0)
		return err_set(r, "HV_HOME is too long");
	if (buf[0] != '/')
		return err_set(-EINVAL, "HV_HOME must be an absolute path (got '%s')", buf);
	return 0;
}
