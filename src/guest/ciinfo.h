/* SPDX-License-Identifier: MIT */
#pragma once
/* The addresses a cloud-init guest reports on its console: the
 * "ci-info: Net device info" table it prints at boot (see ciinfo.c). */
#include <stddef.h>
#include <stdint.h>

/* The last IPv4 address (network byte order) and prefix the table gives for the
 * interface with MAC mac ("52:54:00:..."): 1 when found, 0 when not.
 * The console is the guest's: rows are parsed field by field, bounded,
 * and anything malformed is skipped. */
int ciinfo_find_ipv4(const char *console, size_t len, const char *mac, uint32_t *ip, int *prefix);
