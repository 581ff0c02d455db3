/* SPDX-License-Identifier: MIT */
#include "util/home.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

#include "util/cleanup.h"
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

int hv_data_dir(const char *what, char **out)
{
	static const char *const where[] = { "%s/%s", "%s/../lib/hv/%s", "%s/../share/hv/%s" };
	_cleanup_free_ char *self = NULL;
	char *slash;

	*out = NULL;
	if (!(self = realpath("/proc/self/exe", NULL)))
		return err_errno(-errno, "cannot find hv's own executable");
	if ((slash = strrchr(self, '/')))
		*slash = '\0';
	for (size_t i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
		free(*out);
		if (asprintf(out, where[i], self, what) < 0) {
			*out = NULL;
			return err_set(-ENOMEM, "out of memory");
		}
		if (access(*out, F_OK) == 0)
			return 0;
	}
	free(*out);
	return asprintf(out, "%s/%s", self, what) < 0 ? err_set(-ENOMEM, "out of memory") : 0;
}
