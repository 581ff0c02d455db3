/* SPDX-License-Identifier: MIT */
#pragma once
/* The guest's network: loopback, DHCP on every ethN, lease reports. */
#include <stdbool.h>
#include <stddef.h>

/* Loopback up and DHCP (busybox udhcpc) on every ethN.  once: udhcpc
 * quits with its lease (hv run; net_wait() waits for them), else it stays
 * to renew.  Returns the number of NICs. */
int net_start(bool once);
void net_wait(void);
/* "IFACE MAC ADDR/PREFIX" lines (ADDR "-" without a lease) into buf. */
size_t net_report(char *buf, size_t n);
/* An inotify fd that becomes readable when a lease changes, or -1. */
int net_watch_fd(void);
