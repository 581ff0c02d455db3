/* SPDX-License-Identifier: MIT */
/* libmicrohttpd, loaded when hv ui starts a server instead of when any hv
 * command starts: linked normally it brings GnuTLS and eight more shared
 * libraries that every hv command would load (about 4 ms each time, which
 * hv exec's latency feels).  Each MHD function hv uses is defined here
 * with the library's own prototype and calls the library's symbol. */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>

#include "util/err.h"
#include "web/http.h"

#define MHD_SONAME "libmicrohttpd.so.12"

static struct {
	void *lib;
	const char *(*lookup_connection_value)(struct MHD_Connection *, enum MHD_ValueKind, const char *);
	enum MHD_Result (*add_response_header)(struct MHD_Response *, const char *, const char *);
	enum MHD_Result (*queue_response)(struct MHD_Connection *, unsigned int, struct MHD_Response *);
	void (*destroy_response)(struct MHD_Response *);
	enum MHD_Result (*upgrade_action)(struct MHD_UpgradeResponseHandle *, enum MHD_UpgradeAction, ...);
	void (*stop_daemon)(struct MHD_Daemon *);
	struct MHD_Daemon *(*start_daemon_va)(unsigned int, uint16_t, MHD_AcceptPolicyCallback, void *,
					      MHD_AccessHandlerCallback, void *, va_list);
	struct MHD_Response *(*create_response_from_fd)(size_t, int);
	struct MHD_Response *(*create_response_from_buffer)(size_t, void *, enum MHD_ResponseMemoryMode);
	struct MHD_Response *(*create_response_for_upgrade)(MHD_UpgradeHandler, void *);
} mhd;
static pthread_once_t mhd_once = PTHREAD_ONCE_INIT;

static void mhd_open(void)
{
	void *lib = dlopen(MHD_SONAME, RTLD_NOW | RTLD_LOCAL);

	if (!lib)
		return;
#define SYM(name) (*(void **)&mhd.name = dlsym(lib, "MHD_" #name))
	if (!SYM(lookup_connection_value) || !SYM(add_response_header) || !SYM(queue_response) ||
	    !SYM(destroy_response) || !SYM(upgrade_action) || !SYM(stop_daemon) || !SYM(start_daemon_va) ||
	    !SYM(create_response_from_fd) || !SYM(create_response_from_buffer) || !SYM(create_response_for_upgrade)) {
		dlclose(lib);
		return;
	}
#undef SYM
	mhd.lib = lib;
}

int web_mhd_load(void)
{
	pthread_once(&mhd_once, mhd_open);
	if (!mhd.lib)
		return err_set(-ENOENT,
			       "cannot load %s with the functions hv ui needs: install libmicrohttpd12 "
			       "(apt-get install libmicrohttpd12)",
			       MHD_SONAME);
	return 0;
}

/* Only reached after web_mhd_load() succeeded (the server is started
 * through MHD_start_daemon, which checks). */
struct MHD_Daemon *MHD_start_daemon(unsigned int flags, uint16_t port, MHD_AcceptPolicyCallback apc, void *apc_cls,
				    MHD_AccessHandlerCallback dh, void *dh_cls, ...)
{
	struct MHD_Daemon *d;
	va_list ap;

	if (web_mhd_load() < 0)
		return NULL;
	va_start(ap, dh_cls);
	d = mhd.start_daemon_va(flags, port, apc, apc_cls, dh, dh_cls, ap);
	va_end(ap);
	return d;
}

void MHD_stop_daemon(struct MHD_Daemon *daemon)
{
	mhd.stop_daemon(daemon);
}

const char *MHD_lookup_connection_value(struct MHD_Connection *c, enum MHD_ValueKind kind, const char *key)
{
	return mhd.lookup_connection_value(c, kind, key);
}

enum MHD_Result MHD_add_response_header(struct MHD_Response *r, const char *header, const char *content)
{
	return mhd.add_response_header(r, header, content);
}

enum MHD_Result MHD_queue_response(struct MHD_Connection *c, unsigned int status, struct MHD_Response *r)
{
	return mhd.queue_response(c, status, r);
}

void MHD_destroy_response(struct MHD_Response *r)
{
	mhd.destroy_response(r);
}

/* The actions of libmicrohttpd 0.9.75 (close, cork on/off) take no
 * further arguments. */
enum MHD_Result MHD_upgrade_action(struct MHD_UpgradeResponseHandle *urh, enum MHD_UpgradeAction action, ...)
{
	return mhd.upgrade_action(urh, action);
}

struct MHD_Response *MHD_create_response_from_fd(size_t size, int fd)
{
	return mhd.create_response_from_fd(size, fd);
}

struct MHD_Response *MHD_create_response_from_buffer(size_t size, void *buffer, enum MHD_ResponseMemoryMode mode)
{
	return mhd.create_response_from_buffer(size, buffer, mode);
}

struct MHD_Response *MHD_create_response_for_upgrade(MHD_UpgradeHandler handler, void *cls)
{
	return mhd.create_response_for_upgrade(handler, cls);
}
