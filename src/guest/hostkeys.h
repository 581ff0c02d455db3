/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * The guest's SSH host keys as cloud-init prints them on the console at
 * its first boot (module keys_to_console, script
 * write-ssh-key-fingerprints):
 *     -----BEGIN SSH HOST KEY KEYS-----
 *     ecdsa-sha2-nistp256 AAAA... root@web
 *     ssh-ed25519 AAAA... root@web
 *     -----END SSH HOST KEY KEYS-----
 * and the known_hosts file hv writes from them for `hv ssh`.  The console
 * is the guest's and may hold anything: lines are bounded, prefixes
 * ("ci-info: ", "[  12.3] cloud-init[512]: ") and CRs are tolerated, every
 * key is checked as sshkey_parse() does, garbage lines are skipped, and
 * comments are dropped.
 */
#include <stddef.h>

#include "guest/sshkey.h"

#define HOSTKEYS_MAX 16

struct hostkeys {
	struct sshkey keys[HOSTKEYS_MAX]; /* comments are NULL */
	size_t n;
};

/* The keys of the first complete block in console (len bytes) that holds
 * at least one valid key, duplicates removed; -ENOENT "no SSH host keys
 * on the console (yet)" when there is none, so a caller can poll while
 * the guest boots.  Pass the console output of the boot to trust (the
 * first boot from a seed): a later block is never looked at. */
int hostkeys_parse(const char *console, size_t len, struct hostkeys *out);
void hostkeys_free(struct hostkeys *k);

/* known_hosts text, one line "HOST,HOST... TYPE BASE64" per key, for the
 * host patterns hosts (e.g. "[127.0.0.1]:2222", "10.0.3.15"); -EINVAL for
 * a pattern with spaces, commas, '#' or control characters. */
int hostkeys_known_hosts(const struct hostkeys *k, const char *const *hosts, size_t n_hosts, char **out);
/* The same, written to dirfd/name (temp + fsync + rename, mode 0644). */
int hostkeys_write_known_hosts(int dirfd, const char *name, const struct hostkeys *k, const char *const *hosts,
			       size_t n_hosts);
