/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * hv's appliance: the default guest (the microVM hv run boots) with some
 * disks attached, running one fixed shell script, the way libguestfs
 * boots its appliance to read and change a guest's disks from the
 * outside.  The disks appear in order as /dev/vda, /dev/vdb, ...; the
 * guest kernel reads ext2/3/4 itself (built into Debian's cloud kernel)
 * and GPT and MBR partition tables.  The VM has no network.
 */
#include <stddef.h>

/*
 * A script's first part that finds a Linux root file system by what it
 * holds, as libguestfs's inspection does, not by partition numbers alone:
 * every partition of every disk (the whole disk where it has no partition
 * table) is mounted read-only at /mnt/root in turn, and the first one
 * with /etc and an os-release file is the root.  hv's own images
 * (src/image/layout.c: BIOS boot, ESP, ext4 root) and a plain partition
 * table with one Linux partition are both found that way; the ESP and the
 * BIOS boot partition do not mount as ext4.  Prints "root DEV" and leaves
 * $found set to DEV; without a root the script exits APPLIANCE_NO_ROOT.
 */
#define APPLIANCE_NO_ROOT 3
#define APPLIANCE_FIND_ROOT                                                                                            \
	"mkdir -p /mnt/root\n"                                                                                         \
	"found=\n"                                                                                                     \
	"for d in /sys/block/vd*; do\n"                                                                                \
	"\t[ -e \"$d\" ] || continue\n"                                                                                \
	"\tb=${d##*/}\n"                                                                                               \
	"\tc=\n"                                                                                                       \
	"\tn=1\n"                                                                                                      \
	"\twhile [ $n -le 128 ]; do\n"                                                                                 \
	"\t\t[ -e \"$d/$b$n\" ] && c=\"$c $b$n\"\n"                                                                    \
	"\t\tn=$((n + 1))\n"                                                                                           \
	"\tdone\n"                                                                                                     \
	"\t[ -n \"$c\" ] || c=$b\n"                                                                                    \
	"\tfor p in $c; do\n"                                                                                          \
	"\t\tmount -t ext4 -o ro \"/dev/$p\" /mnt/root 2>/dev/null || continue\n"                                      \
	"\t\tif [ -d /mnt/root/etc ] && [ ! -L /mnt/root/etc ] &&\n"                                                   \
	"\t\t   { [ -e /mnt/root/etc/os-release ] || [ -e /mnt/root/usr/lib/os-release ]; }; then\n"                   \
	"\t\t\tfound=$p\n"                                                                                             \
	"\t\t\tbreak 2\n"                                                                                              \
	"\t\tfi\n"                                                                                                     \
	"\t\tumount /mnt/root\n"                                                                                       \
	"\tdone\n"                                                                                                     \
	"done\n"                                                                                                       \
	"[ -n \"$found\" ] || exit 3\n"                                                                                \
	"echo \"root $found\"\n"

#define APPLIANCE_OUTPUT_MAX (1 << 20) /* what is kept of each of stdout and stderr */

struct appliance_output {
	int status; /* the script's exit status */
	char *out;  /* its stdout and stderr, NUL-terminated (free them) */
	size_t out_len;
	char *err;
	size_t err_len;
};

/* Run script under /bin/sh in the appliance with disks ("PATH,format=F",
 * as hv run --disk takes them) attached.  Returns 0 with the script's
 * status and output in *res, or a negative errno (reason recorded) when
 * the appliance could not run the script to its end. */
int appliance_run(const char *const *disks, size_t ndisks, const char *script, struct appliance_output *res);
void appliance_output_free(struct appliance_output *res);
