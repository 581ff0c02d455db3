/* SPDX-License-Identifier: MIT */
#pragma once
/* What the server's parts share: one request as the routes see it, the
 * replies they make, and the parts' entry points. */
#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>

#include "web/auth.h"

struct ui_server;
struct ui_consoles;

/* Load libmicrohttpd (mhd.c): hv ui's server only, never other commands. */
int web_mhd_load(void);

struct ui_request {
	struct ui_server *srv;
	struct MHD_Connection *conn;
	const char *method, *url;
	const char *body; /* POST body (NUL-terminated), may be empty */
	size_t body_len;
};

/* Send a reply: JSON text, plain text, or {"error": msg}. */
enum MHD_Result http_reply(struct MHD_Connection *c, unsigned status, const char *type, const char *body, size_t len);
enum MHD_Result http_error(struct MHD_Connection *c, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* /api/... (token checked by the caller). */
enum MHD_Result api_handle(struct ui_request *r);
/* /metrics, Prometheus text. */
enum MHD_Result api_metrics(struct ui_request *r);
/* The server's stats state (the previous sample, for rates). */
struct ui_stats;
struct ui_stats *api_stats_new(void);
void api_stats_free(struct ui_stats *s);
struct ui_stats *ui_server_stats(struct ui_server *s);

/* /ws/console/NAME and /ws/vnc/NAME: the upgrade (token, Origin and
 * name checked by the caller). */
enum MHD_Result wsconn_upgrade(struct ui_request *r, const char *kind, const char *name);
struct ui_consoles *ui_server_consoles(struct ui_server *s);
