/* SPDX-License-Identifier: MIT */
/* hv ui's HTTP server: libmicrohttpd setup, the checks every request
 * passes (Host, token, Origin, sizes), routing, and the static files. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <json-c/json.h>

#include "manager/store.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/home.h"
#include "util/fs.h"
#include "util/trace.h"
#include "web/console.h"
#include "web/http.h"
#include "web/server.h"

/* A request body (POST) larger than this is refused: the API's bodies
 * are a few small fields. */
#define BODY_MAX 4096
/* Headers and the request line share this per connection; more is
 * refused by libmicrohttpd (431). */
#define CONN_MEMORY    (32 * 1024)
#define CONN_LIMIT     64
#define CONN_TIMEOUT_S 15
#define THREAD_STACK   (1024 * 1024)

struct ui_server {
	struct MHD_Daemon *d;
	char token[UI_TOKEN_LEN + 1];
	struct ui_listen listen;
	unsigned port;
	bool tls;
	int webfd;
	char *cert, *key;
	struct ui_consoles *consoles;
	struct ui_stats *stats;
};

struct req_ctx {
	char body[BODY_MAX + 1];
	size_t len;
	bool too_big;
};

unsigned ui_server_port(const struct ui_server *s)
{
	return s->port;
}

const char *ui_server_token(const struct ui_server *s)
{
	return s->token;
}

struct ui_consoles *ui_server_consoles(struct ui_server *s)
{
	return s->consoles;
}

struct ui_stats *ui_server_stats(struct ui_server *s)
{
	return s->stats;
}

static void add_common_headers(struct MHD_Response *resp)
{
	/* the token travels in the page's URL once: never in a Referer */
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
}

enum MHD_Result http_reply(struct MHD_Connection *c, unsigned status, const char *type, const char *body, size_t len)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result r;

	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type", type);
	add_common_headers(resp);
	r = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return r;
}

enum MHD_Result http_error(struct MHD_Connection *c, unsigned status, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		return MHD_NO;
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "error", json_object_new_string(msg));
	const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	enum MHD_Result r = http_reply(c, status, "application/json", text, strlen(text));
	json_object_put(o);
	return r;
}

static const char *content_type(const char *path)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
		{ ".html", "text/html; charset=utf-8" },
		{ ".js", "text/javascript; charset=utf-8" },
		{ ".mjs", "text/javascript; charset=utf-8" },
		{ ".css", "text/css; charset=utf-8" },
		{ ".svg", "image/svg+xml" },
		{ ".png", "image/png" },
		{ ".json", "application/json" },
	};
	const char *dot = strrchr(path, '.');

	for (size_t i = 0; dot && i < ARRAY_SIZE(types); i++)
		if (!strcmp(dot, types[i].ext))
			return types[i].type;
	return "application/octet-stream";
}

/* A front-end file: a relative path of [A-Za-z0-9._/-] without "..",
 * opened beneath the web folder only. */
static enum MHD_Result serve_static(struct ui_server *s, struct MHD_Connection *c, const char *url)
{
	const char *path = strcmp(url, "/") ? url + 1 : "index.html";
	struct open_how how = { .flags = O_RDONLY | O_CLOEXEC,
				.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS };
	struct stat sb;
	int fd;

	if (!*path || strlen(path) > 200 || strstr(path, "..") ||
	    path[strspn(path, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			      "abcdefghijklmnopqrstuvwxyz"
			      "0123456789._/-")])
		return http_error(c, MHD_HTTP_NOT_FOUND, "no such page");
	fd = (int)syscall(SYS_openat2, s->webfd, path, &how, sizeof(how));
	if (fd < 0)
		return http_error(c, MHD_HTTP_NOT_FOUND, "no such page");
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return http_error(c, MHD_HTTP_NOT_FOUND, "no such page");
	}
	struct MHD_Response *resp = MHD_create_response_from_fd((uint64_t)sb.st_size, fd);
	if (!resp) {
		close(fd);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", content_type(path));
	add_common_headers(resp);
	MHD_add_response_header(resp, "Content-Security-Policy",
				"default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
				"frame-ancestors 'none'");
	enum MHD_Result r = MHD_queue_response(c, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return r;
}

static bool token_ok(struct ui_server *s, struct MHD_Connection *c, bool query)
{
	const char *t = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-HV-Token");
	const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");

	if (!t && auth && !strncmp(auth, "Bearer ", 7))
		t = auth + 7;
	/* browsers cannot set headers on a WebSocket: its token is in the URL */
	if (!t && query)
		t = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "token");
	return ui_token_equal(s->token, t);
}

static bool origin_ok(struct ui_server *s, struct MHD_Connection *c, bool required)
{
	const char *origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
	const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host");

	if (!origin && required)
		return false;
	return ui_origin_allowed(origin, host, s->tls);
}

static enum MHD_Result route(struct ui_server *s, struct ui_request *r)
{
	struct MHD_Connection *c = r->conn;
	bool post = !strcmp(r->method, "POST");

	if (!strncmp(r->url, "/api/", 5) || !strcmp(r->url, "/metrics")) {
		if (!token_ok(s, c, false))
			return http_error(c, MHD_HTTP_UNAUTHORIZED, "a valid token is needed (X-HV-Token header)");
		/* the token is a custom header, which no cross-site form or
		 * fetch can send without CORS (never granted); Origin, when a
		 * browser sends one, must be this server's too */
		if (!origin_ok(s, c, false))
			return http_error(c, MHD_HTTP_FORBIDDEN, "cross-origin request refused");
		if (!strcmp(r->url, "/metrics"))
			return post ? http_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "use GET") : api_metrics(r);
		return api_handle(r);
	}
	if (!strncmp(r->url, "/ws/", 4)) {
		const char *kind = r->url + 4, *slash = strchr(kind, '/');
		char k[16];
		if (!token_ok(s, c, true))
			return http_error(c, MHD_HTTP_UNAUTHORIZED, "a valid token is needed (?token=)");
		if (!origin_ok(s, c, true))
			return http_error(c, MHD_HTTP_FORBIDDEN, "WebSocket from another origin refused");
		if (post || !slash || (size_t)(slash - kind) >= sizeof(k))
			return http_error(c, MHD_HTTP_NOT_FOUND, "no such page");
		memcpy(k, kind, (size_t)(slash - kind));
		k[slash - kind] = 0;
		if (vm_name_validate(slash + 1) < 0)
			return http_error(c, MHD_HTTP_BAD_REQUEST, "%s", err_msg());
		return wsconn_upgrade(r, k, slash + 1);
	}
	if (post)
		return http_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "use GET");
	return serve_static(s, c, r->url);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				  const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	struct ui_server *s = cls;
	struct req_ctx *x = *con_cls;

	if (!x) {
		const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host");
		const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
		trace_printf("ui", "%s %s", method, url);
		if (!ui_host_allowed(host, &s->listen, s->port))
			return http_error(c, MHD_HTTP_MISDIRECTED_REQUEST, "the Host header does not name this server");
		if (strcmp(method, "GET") && strcmp(method, "POST"))
			return http_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET and POST");
		if (cl && strtoull(cl, NULL, 10) > BODY_MAX)
			return http_error(c, MHD_HTTP_CONTENT_TOO_LARGE, "a request body is at most %d bytes",
					  BODY_MAX);
		if (!(x = calloc(1, sizeof(*x))))
			return MHD_NO;
		*con_cls = x;
		return MHD_YES;
	}
	if (*upload_size) {
		if (x->len + *upload_size > BODY_MAX)
			x->too_big = true;
		else {
			memcpy(x->body + x->len, upload, *upload_size);
			x->len += *upload_size;
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (x->too_big)
		return http_error(c, MHD_HTTP_CONTENT_TOO_LARGE, "a request body is at most %d bytes", BODY_MAX);
	x->body[x->len] = 0;
	struct ui_request r = {
		.srv = s, .conn = c, .method = method, .url = url, .body = x->body, .body_len = x->len
	};
	err_clear();
	return route(s, &r);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	free(*con_cls);
	*con_cls = NULL;
}

static void on_log(void *cls, const char *fmt, va_list ap)
{
	_cleanup_free_ char *msg = NULL;

	if (trace_enabled() && vasprintf(&msg, fmt, ap) >= 0)
		trace_printf("ui", "libmicrohttpd: %s", msg);
}

static int listen_socket(struct ui_listen *l, unsigned *port)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t len;
	const char *host = strcmp(l->host, "localhost") ? l->host : "127.0.0.1";
	struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
	int one = 1;

	if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)l->port);
		len = sizeof(*a4);
	} else if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)l->port);
		len = sizeof(*a6);
	} else
		return err_set(-EINVAL, "listen address '%s' is not numeric", l->host);
	_cleanup_close_ int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return err_errno(-errno, "socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0)
		return err_errno(-errno, "cannot listen on %s:%u", l->host, l->port);
	if (listen(fd, 64) < 0 || getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return err_errno(-errno, "listen");
	*port = ntohs(ss.ss_family == AF_INET ? a4->sin_port : a6->sin6_port);
	return TAKE_FD(fd);
}

int ui_web_dir(char **out)
{
	const char *env = getenv("HV_WEB_DIR");

	if (env && *env)
		return (*out = strdup(env)) ? 0 : -ENOMEM;
	return hv_data_dir("web", out);
}

static int read_pem(const char *path, char **out)
{
	size_t n;
	int r = fs_read_all(AT_FDCWD, path, 1 << 20, out, &n);
	return r < 0 ? err_prefix(r, "TLS file %s", path) : 0;
}

int ui_server_start(const struct ui_opts *o, struct ui_server **out)
{
	struct ui_server *s = calloc(1, sizeof(*s));
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_ALLOW_UPGRADE |
			 MHD_USE_POLL | MHD_USE_ERROR_LOG;
	int r, lfd;

	if (!s)
		return -ENOMEM;
	s->webfd = -1;
	s->listen = o->listen;
	if ((r = ui_token_new(s->token)) < 0)
		goto fail;
	s->webfd = open(o->webdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->webfd < 0 || faccessat(s->webfd, "index.html", R_OK, 0) < 0) {
		r = err_errno(-errno, "the web console's files are missing in %s (make builds them)", o->webdir);
		goto fail;
	}
	if (o->tls_cert) {
		if ((r = read_pem(o->tls_cert, &s->cert)) < 0 || (r = read_pem(o->tls_key, &s->key)) < 0)
			goto fail;
		s->tls = true;
		flags |= MHD_USE_TLS;
	}
	if (!(s->consoles = consoles_new()) || !(s->stats = api_stats_new())) {
		r = -ENOMEM;
		goto fail;
	}
	if ((lfd = listen_socket(&s->listen, &s->port)) < 0) {
		r = lfd;
		goto fail;
	}
	struct MHD_OptionItem tls_opts[] = {
		{ s->tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, s->cert },
		{ MHD_OPTION_HTTPS_MEM_KEY, 0, s->key },
		{ MHD_OPTION_END, 0, NULL },
	};
	if ((r = web_mhd_load()) < 0) {
		close(lfd);
		goto fail;
	}
	s->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s, MHD_OPTION_LISTEN_SOCKET, lfd,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONN_LIMIT, MHD_OPTION_CONNECTION_TIMEOUT,
				(unsigned)CONN_TIMEOUT_S, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY,
				MHD_OPTION_THREAD_STACK_SIZE, (size_t)THREAD_STACK, MHD_OPTION_NOTIFY_COMPLETED,
				on_completed, s, MHD_OPTION_EXTERNAL_LOGGER, on_log, s, MHD_OPTION_ARRAY, tls_opts,
				MHD_OPTION_END);
	if (!s->d) {
		close(lfd);
		r = err_set(-EIO, "cannot start the HTTP server (libmicrohttpd refused the settings%s)",
			    s->tls ? "; check the TLS certificate and key" : "");
		goto fail;
	}
	*out = s;
	return 0;
fail:
	ui_server_stop(s);
	return r;
}

void ui_server_stop(struct ui_server *s)
{
	if (!s)
		return;
	if (s->d)
		MHD_stop_daemon(s->d);
	if (s->consoles)
		consoles_free(s->consoles);
	api_stats_free(s->stats);
	if (s->webfd >= 0)
		close(s->webfd);
	free(s->cert);
	free(s->key);
	free(s);
}
