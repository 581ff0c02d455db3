/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * cloud-init NoCloud seeds (cloud-init docs: "NoCloud" datasource,
 * "Networking config Version 2", "User-data formats"): an ISO 9660 volume
 * labelled "cidata" holding
 *   meta-data       instance-id (the VM's UUID) and local-hostname (its name)
 *   user-data       #cloud-config creating one user with sudo and SSH keys,
 *                   or a MIME multipart merging the user's own user-data
 *   network-config  version 2, one ethernet per NIC matched by MAC, DHCPv4
 *                   with the MAC as DHCP client identifier
 * Every string put into YAML is double-quoted and escaped; names with
 * control characters are refused.
 *
 * Merging a user-data file of the user's (--cloud-init FILE):
 *   "#cloud-config" file  the user-data becomes a MIME multipart/mixed
 *       message: hv's #cloud-config first, the user's second, each with the
 *       header Merge-Type: list(append)+dict(recurse_array)+str(), so
 *       cloud-init merges the user's part into hv's instead of replacing
 *       it: lists are appended (the user's `users:` are created beside
 *       hv's user, `packages:`, `runcmd:`, `write_files:` add up),
 *       dictionaries are merged key by key, lists inside them appended too.
 *       A plain value set in both keeps hv's (cloud-init's dict merger
 *       without "replace"); hv sets only users, ssh_pwauth, package_update
 *       (false), ssh.emit_keys_to_console (true) and, for root,
 *       disable_root (false).  Checked with cloud-init 22.4's own merger.
 *   script ("#!")  sent as a text/x-shellscript part after hv's part;
 *       cloud-init runs it once, late in the first boot (scripts-user).
 *   anything else  refused: cloud-init would ignore or misread it.
 * Parts in plain ASCII are sent as they are, others base64-encoded (UTF-8).
 *
 * Shared folders (virtio-fs tags) appear at /mnt/TAG: a `mounts:` entry
 * each (fstab, for cloud-init versions that take a virtio-fs tag), and a
 * `bootcmd:` that mounts what is not mounted yet, at every boot:
 * cloud-init 22.4 (Debian 12) does not mount a `mounts:` entry whose first
 * field is neither a block device nor "host:path" ("Ignoring nonexistent
 * named mount"; checked on a booted debian-12 image).  The seed is written at every start, so a share added or
 * removed with hv set shows at the next boot.
 */
#include <stddef.h>
#include <stdio.h>

#include "engine/engine.h"
#include "util/strv.h"

#define CIDATA_LABEL	     "cidata"
#define CIDATA_USER_DATA_MAX (1 << 20) /* the user's user-data file */

struct cidata_nic {
	const char *mac; /* "52:54:00:12:34:56" */
	/* The interface name, written as the entry's key and "set-name"; at
	 * most 15 characters of [A-Za-z0-9_.-].  NULL: key "nicN" and no
	 * set-name, matched by MAC only, which only netplan (Ubuntu) honours:
	 * cloud-init 22.4's networkd and ENI renderers (Debian 12; checked
	 * with `cloud-init devel net-convert`) write Name=nicN / "iface
	 * nicN" and never rename, so the NIC gets no address.  Give the name
	 * the guest will see (q35, virtio-net in slot N of bus 0: "enp0sN")
	 * and nothing is renamed. */
	const char *name;
};

struct cidata_share {
	char tag[ENGINE_SHARE_TAG_MAX + 1]; /* engine_share_tag_check's characters only */
	bool readonly;
};

struct cidata {
	const char *instance_id; /* the VM's UUID */
	const char *hostname;	 /* local-hostname: the VM's name */
	const char *user;	 /* the account to create ([a-z_][a-z0-9_-]*, at most 32) */
	/* public key lines "TYPE BASE64 [COMMENT]" (cidata_load_ssh_keys),
	 * checked again when rendered; at least one */
	const char *const *ssh_keys;
	size_t n_ssh_keys;
	/* a crypt(3) hash (cidata_load_password) or NULL: the password is
	 * locked and SSH password login is off */
	const char *password_hash;
	/* the user's own user-data (contents, user_data_len bytes) and its
	 * file name for messages, or NULL */
	const char *user_data;
	size_t user_data_len;
	const char *user_data_name;
	const struct cidata_nic *nics; /* none: no network-config, cloud-init's fallback (DHCP on the first NIC) */
	size_t n_nics;
	struct cidata_share shares[ENGINE_MAX_SHARES];
	size_t n_shares;
};

/* The three files, NUL-terminated; network_config NULL when there are no NICs. */
struct cidata_seed {
	char *meta_data;
	char *user_data;
	char *network_config;
};

/* Check c and compose the seed's files.  -EINVAL naming the bad field. */
int cidata_render(const struct cidata *c, struct cidata_seed *out);
void cidata_seed_free(struct cidata_seed *s);
/* Render and write the ISO 9660 seed to dirfd/name (temp + fsync + rename,
 * mode 0600: it may hold a password hash). */
int cidata_write_at(int dirfd, const char *name, const struct cidata *c);

/* Append the public keys of a key file (each non-empty, non-# line one
 * key; at most 64) to keys.  A file that is not a public key is refused
 * naming the file, the line and the fix (ssh-keygen). */
int cidata_load_ssh_keys(const char *path, struct strv *keys);
/* The keys of every *.pub in the folder ssh_dir (~/.ssh), sorted by
 * file name; -ENOENT "no SSH public key in DIR (create one with:
 * ssh-keygen -t ed25519)" when there is none. */
int cidata_default_ssh_keys(const char *ssh_dir, struct strv *keys);

/* The hash for --password-file: the file holds one line, either a crypt(3)
 * hash of a strong method ($6$, $5$, $y$, $gy$, $7$, $2b$), taken as is,
 * or a plaintext password, hashed with SHA-512 ($6$) and a random salt.
 * Plaintext never leaves this function (the buffers are wiped). */
int cidata_load_password(const char *path, char **hash);
/* SHA-512 crypt of plain with a fresh random salt, malloc'ed. */
int cidata_hash_password(const char *plain, char **hash);

/* Write s as a YAML double-quoted scalar ("...", with \\, \" and every
 * non-printable character escaped); -EILSEQ when s is not UTF-8. */
int cidata_yaml_quote(FILE *out, const char *s);
