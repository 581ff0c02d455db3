/* SPDX-License-Identifier: MIT */
#pragma once
/* The runtime and the container's init talk over a socketpair while the
 * container is set up: small messages, optionally carrying an fd (the
 * terminal's master side). */
#include <stddef.h>

enum sync_kind {
	SYNC_JOINED = 'j', /* init -> runtime: in the container's cgroup */
	SYNC_GO = 'g',	   /* runtime -> init: ids mapped, cgroup joined: go on */
	SYNC_READY = 'r',  /* init -> runtime: set up, waiting for start */
	SYNC_ERROR = 'e',  /* init -> runtime: text */
	SYNC_PTY = 'p',	   /* init -> runtime: the terminal master (fd) */
	SYNC_PID = 'i',	   /* exec helper -> runtime: the process's pid (text) */
};

int sync_send(int sock, char kind, const char *text, int fd);
/* Returns the kind (>0), 0 at end of stream, <0 on error; *fd gets a
 * passed fd or -1. */
int sync_recv(int sock, char *text, size_t n, int *fd);
/* Send an fd to the console socket a container engine gave. */
int console_socket_send(const char *path, int fd);
