/* SPDX-License-Identifier: MIT */
/*
 * The identity reset is a busybox sh script run in the appliance.  The
 * root file system is found by what it holds, as libguestfs's inspection
 * does, not by partition numbers alone: every partition of every disk
 * (the whole disk where it has no partition table) is mounted read-only
 * in turn, and the first one with /etc and an os-release file is the
 * root.  hv's own images (src/image/layout.c: BIOS boot, ESP, ext4 root)
 * and a plain partition table with one Linux partition are both found
 * that way; the ESP and the BIOS boot partition do not mount as ext4.
 *
 * The disk is the guest's: a path through a symlinked folder could lead
 * anywhere in the appliance, so such places are skipped (and reported),
 * and only regular files are removed.
 */
#include "appliance/identity.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appliance/appliance.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/text.h"

/* Exit statuses of the script besides 0 (and APPLIANCE_NO_ROOT). */
enum { ST_FAILED = 1, ST_READ_ONLY = 4, ST_UMOUNT = 5 };

/* What is reset, relative to the root (docs/clone.md lists it beside
 * virt-sysprep's operations). */
static const struct reset_op {
	const char *verb; /* "empty" (keep the file, empty) or "remove" (regular files) */
	const char *dir;
	const char *glob;
} reset_ops[] = {
	{ "empty", "etc", "machine-id" },
	{ "remove", "var/lib/dbus", "machine-id" },
	{ "remove", "etc/ssh", "ssh_host_*" },
	/* DHCP client leases: ISC dhclient (Debian, Red Hat), NetworkManager,
	 * dhcpcd, systemd-networkd (its leases live under /run, which the
	 * image may still hold a copy of) */
	{ "remove", "var/lib/dhcp", "*.leases" },
	{ "remove", "var/lib/dhcp", "*.lease" },
	{ "remove", "var/lib/dhclient", "*" },
	{ "remove", "var/lib/NetworkManager", "*.lease" },
	{ "remove", "var/lib/dhcpcd", "*.lease" },
	{ "remove", "var/lib/dhcpcd5", "*.lease" },
	{ "remove", "var/lib/systemd/network", "*" },
	{ "remove", "run/systemd/netif/leases", "*" },
	{ "remove", "var/lib/systemd", "random-seed" },
};

static const char reset_functions[] = "nolink() {\n"
				      "\tp=.\n"
				      "\tfor c in $(echo \"$1\" | tr / ' '); do\n"
				      "\t\tp=$p/$c\n"
				      "\t\t[ -L \"$p\" ] && return 1\n"
				      "\tdone\n"
				      "\treturn 0\n"
				      "}\n"
				      "remove() {\n"
				      "\tnolink \"$1\" || { echo \"skipped /$1\"; return 0; }\n"
				      "\t[ -d \"./$1\" ] || return 0\n"
				      "\tfor f in ./$1/$2; do\n"
				      "\t\tif [ -f \"$f\" ] && [ ! -L \"$f\" ]; then\n"
				      "\t\t\trm -f \"$f\" || return 1\n"
				      "\t\t\techo \"removed ${f#.}\"\n"
				      "\t\tfi\n"
				      "\tdone\n"
				      "\treturn 0\n"
				      "}\n"
				      "empty() {\n"
				      "\tnolink \"$1\" || { echo \"skipped /$1\"; return 0; }\n"
				      "\tf=./$1/$2\n"
				      "\tif [ -L \"$f\" ]; then\n"
				      "\t\trm -f \"$f\" && : >\"$f\" || return 1\n"
				      "\telif [ -f \"$f\" ]; then\n"
				      "\t\t: >\"$f\" || return 1\n"
				      "\telse\n"
				      "\t\treturn 0\n"
				      "\tfi\n"
				      "\techo \"emptied ${f#.}\"\n"
				      "}\n";

/* After the root is found (read-only): make it writable. */
static const char writable[] = "mount -o remount,rw /mnt/root || exit 4\n"
			       "cd /mnt/root || exit 1\n";

static const char unmount[] = "cd /\n"
			      "sync\n"
			      "umount /mnt/root || exit 5\n"
			      "exit 0\n";

/* Append to a growing string. */
static int append(char **s, size_t *len, const char *fmt, const char *a, const char *b, const char *c)
{
	_cleanup_free_ char *piece = NULL;
	int n = asprintf(&piece, fmt, a, b, c);
	char *grown;

	if (n < 0 || !(grown = realloc(*s, *len + (size_t)n + 1)))
		return err_set(-ENOMEM, "out of memory");
	memcpy(grown + *len, piece, (size_t)n + 1);
	*s = grown;
	*len += (size_t)n;
	return 0;
}

static int compose(bool whole, char **out)
{
	char *s = NULL;
	size_t len = 0;
	int r = append(&s, &len, "%s%s%s", "set -u\n", reset_functions, whole ? APPLIANCE_FIND_ROOT : "");

	if (r == 0 && whole)
		r = append(&s, &len, "%s%s%s", writable, "", "");

	for (size_t i = 0; r == 0 && i < sizeof(reset_ops) / sizeof(reset_ops[0]); i++)
		r = append(&s, &len, "%s %s '%s' || exit 1\n", reset_ops[i].verb, reset_ops[i].dir, reset_ops[i].glob);
	if (r == 0 && whole)
		r = append(&s, &len, "%s%s%s", unmount, "", "");
	if (r < 0) {
		free(s);
		return r;
	}
	*out = s;
	return 0;
}

int identity_script_reset(char **out)
{
	return compose(false, out);
}

int identity_script(char **out)
{
	return compose(true, out);
}

static bool starts(const char *line, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);
	return len > n && !memcmp(line, prefix, n);
}

int identity_report_parse(const char *out, struct identity_report *rep)
{
	memset(rep, 0, sizeof(*rep));
	for (const char *line = out; *line;) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		if (starts(line, len, "root ") && !rep->root[0]) {
			size_t n = len - 5;
			/* a device name the kernel gave: vd, a letter, digits */
			if (n < 3 || n >= sizeof(rep->root) || line[5] != 'v' || line[6] != 'd')
				return err_set(-EPROTO, "appliance: unexpected root device in its report");
			for (size_t i = 7; i < len; i++)
				if (!(line[i] >= 'a' && line[i] <= 'z') && !(line[i] >= '0' && line[i] <= '9'))
					return err_set(-EPROTO, "appliance: unexpected root device in its report");
			memcpy(rep->root, line + 5, n);
			rep->root[n] = '\0';
		} else if (starts(line, len, "removed /")) {
			rep->removed++;
		} else if (starts(line, len, "emptied /")) {
			rep->emptied++;
		} else if (starts(line, len, "skipped /")) {
			rep->skipped++;
		}
		line += len + (nl ? 1 : 0);
	}
	return 0;
}

/* The last line the script wrote to stderr, fit for one error line. */
static void last_line(const struct appliance_output *o, char *buf, size_t n)
{
	size_t end = o->err_len, start;

	while (end && (o->err[end - 1] == '\n' || o->err[end - 1] == '\r'))
		end--;
	start = end;
	while (start && o->err[start - 1] != '\n')
		start--;
	text_sanitize(buf, n, o->err + start, end - start, 0);
}

int identity_reset(const char *const *disks, size_t ndisks, struct identity_report *rep)
{
	_cleanup_free_ char *script = NULL;
	struct appliance_output o;
	char why[256];
	int r;

	memset(rep, 0, sizeof(*rep));
	if ((r = identity_script(&script)) < 0 || (r = appliance_run(disks, ndisks, script, &o)) < 0)
		return r;
	last_line(&o, why, sizeof(why));
	switch (o.status) {
	case 0:
		r = identity_report_parse(o.out, rep);
		break;
	case APPLIANCE_NO_ROOT:
		r = err_set(-ENOENT, "no Linux root file system (ext2/3/4 holding /etc and an os-release file) on the "
				     "disk: the guest identity cannot be reset (--keep-identity clones it as it is)");
		break;
	case ST_READ_ONLY:
		r = err_set(-EROFS, "the root file system found on %s cannot be written (%s)",
			    identity_report_parse(o.out, rep) == 0 && rep->root[0] ? rep->root : "the disk",
			    why[0] ? why : "mount refused it");
		break;
	default:
		r = err_set(-EIO, "resetting the guest identity failed in the appliance (status %d)%s%s", o.status,
			    why[0] ? ": " : "", why);
	}
	appliance_output_free(&o);
	return r;
}
