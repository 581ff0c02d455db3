/* SPDX-License-Identifier: MIT */
/* hv ui's JSON API and /metrics: the same manager calls as the CLI. */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manager/power.h"
#include "manager/store.h"
#include "manager/vm.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/json.h"
#include "util/jsonfile.h"
#include "web/actions.h"
#include "web/http.h"
#include "web/vnc.h"

#if __has_include("stats/stats.h")
#include "stats/stats.h"
#define HAVE_STATS 1
#endif

#define STOP_TIMEOUT_S 30 /* as hv stop's default */

struct ui_stats {
	pthread_mutex_t mu;
#ifdef HAVE_STATS
	struct stats_sample prev;
	bool have_prev;
#endif
};

struct ui_stats *api_stats_new(void)
{
	struct ui_stats *s = calloc(1, sizeof(*s));
	if (s)
		pthread_mutex_init(&s->mu, NULL);
	return s;
}

void api_stats_free(struct ui_stats *s)
{
	if (!s)
		return;
#ifdef HAVE_STATS
	if (s->have_prev)
		stats_sample_free(&s->prev);
#endif
	pthread_mutex_destroy(&s->mu);
	free(s);
}

/* Reply with o's text; takes o. */
static enum MHD_Result reply_json(struct MHD_Connection *c, unsigned status, struct json_object *o)
{
	const char *text;

	if (!o)
		return http_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	enum MHD_Result r = http_reply(c, status, "application/json", text, strlen(text));
	json_object_put(o);
	return r;
}

/* What the VM list shows of one VM. */
static struct json_object *vm_summary(const char *name, struct vmdef *d, const struct vm_status *st)
{
	struct json_object *o = json_object_new_object(), *ips = json_object_new_array();
	char ip[INET_ADDRSTRLEN];

	if (!o || !ips) {
		json_object_put(o);
		json_object_put(ips);
		return NULL;
	}
	vm_nic_addresses(name, d);
	err_clear();
	for (unsigned i = 0; i < d->nnics; i++) {
		struct in_addr a = { .s_addr = htonl(d->nics[i].ip) };
		if (d->nics[i].ip && inet_ntop(AF_INET, &a, ip, sizeof(ip)))
			json_object_array_add(ips, json_object_new_string(ip));
	}
	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "state", json_object_new_string(vm_state_name(st->state)));
	json_object_object_add(o, "reason", json_object_new_string(st->reason));
	json_object_object_add(o, "pid", json_object_new_int(vm_state_active(st->state) ? st->qemu.pid : 0));
	json_object_object_add(o, "cpus", json_object_new_int((int)d->cpus));
	json_object_object_add(o, "memory_mib", json_object_new_int64((int64_t)d->memory_mib));
	json_object_object_add(o, "image", json_object_new_string(d->image[0] ? d->image : ""));
	json_object_object_add(o, "vnc", json_object_new_boolean(d->display.vnc && !d->display.host[0]));
	json_object_object_add(o, "ips", ips);
	return o;
}

static enum MHD_Result list_vms(struct MHD_Connection *c)
{
	_cleanup_json_ struct json_object *arr = json_object_new_array();
	struct vmdef_iter it;
	int r;

	if (!arr)
		return http_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	if ((r = vmdef_iter_open(&it, false)) < 0)
		return http_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "%s", err_msg_for(r));
	while ((r = vmdef_iter_next(&it)) > 0) {
		struct vm_status st;
		if (status_derive(it.vm.dirfd, it.vm.dir, &st) < 0)
			continue; /* as hv list: a VM whose state cannot be read is left out */
		struct json_object *o = vm_summary(it.vm.name, &it.def, &st);
		if (o)
			json_object_array_add(arr, o);
	}
	vmdef_iter_close(&it);
	if (r < 0)
		return http_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "%s", err_msg_for(r));
	return reply_json(c, MHD_HTTP_OK, json_object_get(arr));
}

static enum MHD_Result one_vm(struct MHD_Connection *c, const char *name)
{
	struct vmdef d;
	struct vm_status st;
	int r;

	if ((r = vm_inspect(name, &d, &st)) < 0)
		return http_error(c, r == -ENOENT ? MHD_HTTP_NOT_FOUND : MHD_HTTP_INTERNAL_SERVER_ERROR, "%s",
				  err_msg_for(r));
	_cleanup_json_ struct json_object *o = vm_summary(name, &d, &st);
	vmdef_free(&d);
	return reply_json(c, MHD_HTTP_OK, json_object_get(o));
}

/* POST /api/vms/NAME/ACTION: the CLI's lifecycle calls. */
static int run_action(const char *name, const char *action)
{
	struct vm_status final;
	struct vm_started started;

	if (!strcmp(action, "start"))
		return vm_start(name, &started);
	if (!strcmp(action, "stop"))
		return vm_stop(name, STOP_TIMEOUT_S, VM_STOP_AUTO, &final);
	if (!strcmp(action, "kill"))
		return vm_kill(name, &final);
	if (!strcmp(action, "pause"))
		return vm_pause(name);
	if (!strcmp(action, "resume"))
		return vm_resume(name);
	if (!strcmp(action, "ctrl-alt-del"))
		return vnc_ctrl_alt_del(name);
	return err_set(
	    -EOPNOTSUPP,
	    "no action '%s' (start, stop, kill, pause, resume, ctrl-alt-del, snapshot, revert, clone, delete)", action);
}

static unsigned status_for(int r)
{
	switch (r) {
	case -ENOENT:
		return MHD_HTTP_NOT_FOUND;
	case -EOPNOTSUPP:
		return MHD_HTTP_NOT_FOUND;
	case -EINVAL:
		return MHD_HTTP_BAD_REQUEST;
	default:
		return MHD_HTTP_CONFLICT; /* the VM is not in a state for it, or the action failed */
	}
}

#ifdef HAVE_STATS
/* GET /api/stats: one sample of every VM and container, with rates
 * since the previous call (the browser polls and draws sparklines). */
static enum MHD_Result stats_json(struct ui_server *srv, struct MHD_Connection *c)
{
	struct ui_stats *s = ui_server_stats(srv);
	struct stats_options o = { .vms = true, .containers = true };
	struct stats_sample cur;
	_cleanup_json_ struct json_object *arr = json_object_new_array();
	int r;

	pthread_mutex_lock(&s->mu);
	if ((r = stats_collect(&o, &cur)) < 0) {
		pthread_mutex_unlock(&s->mu);
		return http_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "%s", err_msg_for(r));
	}
	if (s->have_prev) {
		stats_rates(&s->prev, &cur);
		stats_sample_free(&s->prev);
	}
	s->prev = cur;
	s->have_prev = true;
	for (size_t i = 0; arr && i < cur.n; i++)
		json_object_array_add(arr, stats_entry_json(&cur.e[i]));
	pthread_mutex_unlock(&s->mu);
	return reply_json(c, MHD_HTTP_OK, json_object_get(arr));
}
#endif

enum MHD_Result api_handle(struct ui_request *r)
{
	struct MHD_Connection *c = r->conn;
	bool post = !strcmp(r->method, "POST");
	const char *rest;
	char name[VM_NAME_MAX + 2];

	if (!strcmp(r->url, "/api/vms")) {
		if (!post)
			return list_vms(c);
		int e = action_create(r->body, r->body_len, name, sizeof(name));
		return e < 0 ? http_error(c, status_for(e), "%s", err_msg_for(e)) : one_vm(c, name);
	}
	if (!strcmp(r->url, "/api/images") || !strcmp(r->url, "/api/networks")) {
		if (post)
			return http_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "use GET");
		return reply_json(c, MHD_HTTP_OK, r->url[5] == 'i' ? action_images_json() : action_networks_json());
	}
	if (!strcmp(r->url, "/api/stats")) {
		if (post)
			return http_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "use GET");
#ifdef HAVE_STATS
		return stats_json(r->srv, c);
#else
		return http_error(c, MHD_HTTP_NOT_IMPLEMENTED, "this hv is built without stats (src/stats)");
#endif
	}
	if (strncmp(r->url, "/api/vms/", 9))
		return http_error(c, MHD_HTTP_NOT_FOUND, "no such API");
	rest = strchr(r->url + 9, '/');
	size_t n = rest ? (size_t)(rest - (r->url + 9)) : strlen(r->url + 9);
	if (n >= sizeof(name))
		return http_error(c, MHD_HTTP_BAD_REQUEST, "VM name too long");
	memcpy(name, r->url + 9, n);
	name[n] = 0;
	if (vm_name_validate(name) < 0)
		return http_error(c, MHD_HTTP_BAD_REQUEST, "%s", err_msg());
	if (!rest)
		return post ? http_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "use GET") : one_vm(c, name);
	if (!strcmp(rest, "/snapshots") && !post) {
		struct json_object *snaps = action_snapshots_json(name);
		return snaps ? reply_json(c, MHD_HTTP_OK, snaps) : http_error(c, status_for(-ENOENT), "%s", err_msg());
	}
	/* everything that changes something is a POST: a GET (a link, an
	 * image, a prefetch) never acts */
	if (!post)
		return http_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "use POST");
	bool handled;
	int e = action_with_body(name, rest + 1, r->body, r->body_len, &handled);
	if (!handled)
		e = run_action(name, rest + 1);
	if (e < 0)
		return http_error(c, status_for(e), "%s", err_msg_for(e));
	if (!strcmp(rest, "/delete"))
		return http_reply(c, MHD_HTTP_OK, "application/json", "{}", 2);
	return one_vm(c, name);
}

enum MHD_Result api_metrics(struct ui_request *r)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int e = 0;

	if (!f)
		return http_error(r->conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
#ifdef HAVE_STATS
	e = stats_prometheus(f);
#else
	/* until src/stats is built in: the state of each VM only */
	struct vmdef_iter it;
	fputs("# HELP hv_vm_state 1 for the state the VM is in.\n# TYPE hv_vm_state gauge\n", f);
	if ((e = vmdef_iter_open(&it, false)) >= 0) {
		while ((e = vmdef_iter_next(&it)) > 0) {
			struct vm_status st;
			if (status_derive(it.vm.dirfd, it.vm.dir, &st) < 0)
				continue;
			for (enum vm_state s = VM_STOPPED; s <= VM_CRASHED; s++)
				fprintf(f, "hv_vm_state{vm=\"%s\",state=\"%s\"} %d\n", it.vm.name, vm_state_name(s),
					st.state == s);
		}
		vmdef_iter_close(&it);
	}
#endif
	if (fclose(f) != 0 && e >= 0)
		e = -ENOMEM;
	if (e < 0)
		return http_error(r->conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "%s", err_msg_for(e));
	return http_reply(r->conn, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", text ? text : "", len);
}
