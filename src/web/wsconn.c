/* SPDX-License-Identifier: MIT */
/* The WebSocket opening handshake (RFC 6455 section 4.2) on
 * libmicrohttpd's upgrade, handing the connection to a console or VNC. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "manager/store.h"
#include "util/err.h"
#include "web/console.h"
#include "web/http.h"
#include "web/vnc.h"
#include "web/wsio.h"

struct upgrade {
	struct ui_consoles *cs;
	bool vnc;
	char name[VM_NAME_MAX + 1];
};

static void on_upgrade(void *cls, struct MHD_Connection *c, void *req_cls, const char *extra, size_t extra_len,
		       MHD_socket sock, struct MHD_UpgradeResponseHandle *urh)
{
	struct upgrade *u = cls;
	struct wsio *w = wsio_new(sock, urh, extra, extra_len);

	if (!w)
		MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
	else if (u->vnc)
		vnc_attach(u->cs, u->name, w);
	else
		consoles_attach(u->cs, u->name, w);
	free(u);
}

/* Does a comma-separated header list hold token (case-insensitively)? */
static bool list_has(const char *list, const char *token)
{
	size_t n = strlen(token);

	for (const char *p = list; p && *p;) {
		p += strspn(p, " \t,");
		size_t len = strcspn(p, ",");
		size_t t = len;
		while (t && (p[t - 1] == ' ' || p[t - 1] == '\t'))
			t--;
		if (t == n && !strncasecmp(p, token, n))
			return true;
		p += len;
	}
	return false;
}

enum MHD_Result wsconn_upgrade(struct ui_request *r, const char *kind, const char *name)
{
	struct MHD_Connection *c = r->conn;
	const char *upgrade = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Upgrade");
	const char *connection = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Connection");
	const char *version = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Sec-WebSocket-Version");
	const char *key = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Sec-WebSocket-Key");
	const char *proto = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Sec-WebSocket-Protocol");
	char accept[29];
	struct upgrade *u;

	if (strcmp(kind, "console") && strcmp(kind, "vnc"))
		return http_error(c, MHD_HTTP_NOT_FOUND, "no such page");
	if (!upgrade || strcasecmp(upgrade, "websocket") || !list_has(connection, "upgrade"))
		return http_error(c, MHD_HTTP_UPGRADE_REQUIRED, "this is a WebSocket");
	if (!version || strcmp(version, "13"))
		return http_error(c, MHD_HTTP_UPGRADE_REQUIRED, "WebSocket version 13 only");
	if (ws_accept_key(key, accept) < 0)
		return http_error(c, MHD_HTTP_BAD_REQUEST, "%s", err_msg());
	if (!(u = calloc(1, sizeof(*u))))
		return MHD_NO;
	u->cs = ui_server_consoles(r->srv);
	u->vnc = !strcmp(kind, "vnc");
	snprintf(u->name, sizeof(u->name), "%s", name);
	struct MHD_Response *resp = MHD_create_response_for_upgrade(on_upgrade, u);
	if (!resp) {
		free(u);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_UPGRADE, "websocket");
	MHD_add_response_header(resp, "Sec-WebSocket-Accept", accept);
	/* noVNC asks for "binary"; nothing else is spoken here */
	if (proto && list_has(proto, "binary"))
		MHD_add_response_header(resp, "Sec-WebSocket-Protocol", "binary");
	enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_SWITCHING_PROTOCOLS, resp);
	MHD_destroy_response(resp);
	/* if the upgrade never happens (the client left), u leaks once per
	 * such request: libmicrohttpd has no hook to tell */
	return ret;
}
