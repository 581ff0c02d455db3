/* SPDX-License-Identifier: MIT */
#pragma once
/* hv ui's HTTP and WebSocket server (libmicrohttpd, a thread per
 * connection): routes, token and header checks, static files. */
#include <stdbool.h>

#include "web/auth.h"

struct ui_opts {
	struct ui_listen listen;
	const char *tls_cert, *tls_key; /* PEM files, or NULL for plain HTTP */
	bool insecure;
	const char *webdir; /* the front-end files (build/web beside the binary) */
};

struct ui_server;
/* Start serving in background threads; the caller waits (for a signal)
 * and then calls ui_server_stop. */
int ui_server_start(const struct ui_opts *o, struct ui_server **out);
unsigned ui_server_port(const struct ui_server *s);
const char *ui_server_token(const struct ui_server *s);
void ui_server_stop(struct ui_server *s);
/* Where the front-end files are: $HV_WEB_DIR, else web/ beside the hv
 * binary (malloc'ed). */
int ui_web_dir(char **out);
