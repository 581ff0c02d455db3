/* SPDX-License-Identifier: MIT */
/*
 * A small modprobe for the default guest: for every device in sysfs that
 * has a modalias, find the modules whose aliases match (modules.alias,
 * written by depmod at build time), load their dependencies first
 * (modules.dep), and repeat while loading revealed new devices (e.g.
 * virtio_mmio creates the virtio devices that virtio_blk then drives).
 * Only what the VM's devices need is loaded: a one-shot VM without disks
 * loads no virtio driver at all, which keeps its boot short.
 */
#include "modules.h"
#include "sys.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

struct mod {
	char name[64];
	char path[160];
	char *deps; /* space separated relative paths */
	int state;  /* 0 not loaded, 1 loaded, -1 failed */
};

struct alias {
	char *pattern;
	char *module;
};

static struct mod *mods;
static size_t nmods;
static struct alias *aliases;
static size_t naliases;
static char moddir[128];

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t cap = 0, used = 0;

	if (!f)
		return NULL;
	for (;;) {
		if (used + 4097 > cap) {
			char *nb = realloc(buf, cap = cap * 2 + 8192);
			if (!nb)
				break;
			buf = nb;
		}
		size_t n = fread(buf + used, 1, cap - used - 1, f);
		if (n == 0)
			break;
		used += n;
	}
	fclose(f);
	if (buf)
		buf[used] = '\0';
	return buf;
}

static void name_of(const char *path, char *out, size_t n)
{
	const char *b = strrchr(path, '/');
	size_t i = 0;

	b = b ? b + 1 : path;
	for (; *b && *b != '.' && i + 1 < n; b++)
		out[i++] = *b == '-' ? '_' : *b;
	out[i] = '\0';
}

static struct mod *find_mod(const char *name)
{
	for (size_t i = 0; i < nmods; i++)
		if (!strcmp(mods[i].name, name))
			return &mods[i];
	return NULL;
}

static void read_index(void)
{
	char path[192];
	char *dep, *alias;

	snprintf(path, sizeof(path), "%s/modules.dep", moddir);
	dep = slurp(path); /* kept for the deps pointers */
	for (char *line = dep ? strtok(dep, "\n") : NULL; line; line = strtok(NULL, "\n")) {
		char *colon = strchr(line, ':');
		struct mod *m;
		if (!colon)
			continue;
		*colon = '\0';
		m = realloc(mods, (nmods + 1) * sizeof(*mods));
		if (!m)
			return;
		mods = m;
		m = &mods[nmods++];
		memset(m, 0, sizeof(*m));
		snprintf(m->path, sizeof(m->path), "%s", line);
		name_of(line, m->name, sizeof(m->name));
		m->deps = colon + 1;
	}
	snprintf(path, sizeof(path), "%s/modules.alias", moddir);
	alias = slurp(path);
	for (char *line = alias ? strtok(alias, "\n") : NULL; line; line = strtok(NULL, "\n")) {
		char *pat, *mod;
		struct alias *a;
		if (strncmp(line, "alias ", 6))
			continue;
		pat = line + 6;
		mod = strchr(pat, ' ');
		if (!mod)
			continue;
		*mod++ = '\0';
		a = realloc(aliases, (naliases + 1) * sizeof(*aliases));
		if (!a)
			return;
		aliases = a;
		aliases[naliases].pattern = pat;
		aliases[naliases].module = mod;
		naliases++;
	}
}

static int load(struct mod *m, int depth)
{
	char path[320], deps[1024];
	int fd, r;

	if (m->state)
		return m->state;
	if (depth > 16)
		return -1;
	/* modules.dep lists every transitive dependency; load them first */
	snprintf(deps, sizeof(deps), "%s", m->deps);
	for (char *save = NULL, *d = strtok_r(deps, " ", &save); d; d = strtok_r(NULL, " ", &save)) {
		char name[64];
		struct mod *dm;
		name_of(d, name, sizeof(name));
		dm = find_mod(name);
		if (dm)
			load(dm, depth + 1);
	}
	snprintf(path, sizeof(path), "%s/%s", moddir, m->path);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		m->state = -1;
		return -1;
	}
	r = (int)syscall(SYS_finit_module, fd, "", 0);
	close(fd);
	m->state = (r == 0 || errno == EEXIST) ? 1 : -1;
	if (m->state < 0)
		init_log("cannot load module %s: %s", m->name, strerror(errno));
	return m->state;
}

static bool skipped(const char *name, const char *const *skip)
{
	for (; skip && *skip; skip++)
		if (!strcmp(*skip, name))
			return true;
	return false;
}

/* Match one modalias string against the alias table; returns modules loaded. */
static int load_for_alias(const char *modalias, const char *const *skip)
{
	int loaded = 0;

	for (size_t i = 0; i < naliases; i++) {
		struct mod *m;
		if (fnmatch(aliases[i].pattern, modalias, 0) != 0)
			continue;
		m = find_mod(aliases[i].module);
		if (!m || m->state || skipped(m->name, skip))
			continue;
		if (load(m, 0) > 0)
			loaded++;
	}
	return loaded;
}

static int scan_dir(const char *dir, const char *const *skip)
{
	char path[320], buf[512];
	DIR *d;
	struct dirent *de;
	int loaded = 0;

	d = opendir(dir);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		int fd;
		ssize_t n;
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/modalias", dir, de->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		loaded += load_for_alias(buf, skip);
	}
	closedir(d);
	return loaded;
}

void modules_load_for_devices(const char *const *skip)
{
	/* input devices form a class, not a bus, in sysfs */
	static const char *const dirs[] = { "/sys/bus/acpi/devices",  "/sys/bus/platform/devices",
					    "/sys/bus/pci/devices",   "/sys/bus/virtio/devices",
					    "/sys/bus/serio/devices", "/sys/class/input" };
	struct utsname u;

	if (uname(&u) < 0)
		return;
	snprintf(moddir, sizeof(moddir), "/lib/modules/%s", u.release);
	read_index();
	for (int pass = 0; pass < 4; pass++) {
		int loaded = 0;
		for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
			loaded += scan_dir(dirs[i], skip);
		if (!loaded)
			break;
	}
}
