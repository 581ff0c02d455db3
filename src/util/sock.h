/* SPDX-License-Identifier: MIT */
#pragma once
/* Unix stream sockets named relative to a folder: reached through
 * /proc/self/fd/DIRFD/NAME, so sun_path's 108 bytes never limit where the
 * folder lives. */
#include <stdbool.h>

/* Listen on NAME in dirfd (an old socket file of that name is replaced);
 * nonblock: accept never waits (for a poll loop). */
int sock_listen_at(int dirfd, const char *name, bool nonblock, int *fd);
/* Connect to NAME in dirfd; -ENOENT/-ECONNREFUSED when nobody listens. */
int sock_connect_at(int dirfd, const char *name, int *fd);
