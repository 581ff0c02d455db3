/* SPDX-License-Identifier: MIT */
/* WebSocket to VNC unix socket bridges, and Ctrl+Alt+Delete. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/qmp-ops.h"
#include "manager/osboot.h"
#include "manager/vm.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/sock.h"
#include "web/console.h"
#include "web/vnc.h"
#include "web/wsio.h"

#define SEND_WAIT_MS 5000 /* a browser that reads no frame for this long is dropped */

struct bridge {
	struct ui_consoles *cs;
	struct wsio *w;
	int sock;
};

static void *bridge_thread(void *arg)
{
	struct bridge *b = arg;
	uint16_t code = WS_CLOSE_VM_STOPPED;
	const char *reason = "the VM's display closed";
	_cleanup_free_ char *buf = malloc(65536);

	while (buf) {
		struct pollfd pf[3] = { { b->sock, POLLIN, 0 },
					{ b->w->fd, POLLIN, 0 },
					{ consoles_stop_fd(b->cs), POLLIN, 0 } };
		if (poll(pf, 3, -1) < 0)
			continue;
		if (pf[2].revents) {
			code = 1001;
			reason = "hv ui is stopping";
			break;
		}
		if (pf[0].revents) {
			ssize_t k = read(b->sock, buf, 65536);
			if (k <= 0 && !(k < 0 && errno == EINTR))
				break;
			if (k > 0 && wsio_send(b->w, WS_BINARY, buf, (size_t)k, SEND_WAIT_MS) < 0) {
				code = 0;
				break;
			}
		}
		if (pf[1].revents) {
			const uint8_t *data;
			size_t len;
			int r = wsio_fill(b->w);
			while (r >= 0 && (r = wsio_next(b->w, &data, &len)) > 0)
				if (write_all(b->sock, data, len) < 0)
					r = -EPIPE;
			if (r < 0) {
				code = 0; /* the browser left (or broke the protocol: closed already) */
				break;
			}
		}
	}
	if (code)
		wsio_close(b->w, code, reason);
	wsio_free(b->w);
	close(b->sock);
	consoles_thread_leave(b->cs);
	free(b);
	return NULL;
}

static int vnc_connect(const char *name, int *sock)
{
	struct vmdef d;
	struct vm_status st;
	struct vm_handle h;
	int r;

	if ((r = vm_inspect(name, &d, &st)) < 0)
		return r;
	bool unix_vnc = d.display.vnc && !d.display.host[0];
	vmdef_free(&d);
	if (!unix_vnc)
		return err_set(-ENODEV, "VM '%s' has no display (create it with --graphics vnc)", name);
	if (!vm_state_active(st.state))
		return err_set(-ESRCH, "VM '%s' is not running (it is %s)", name, vm_state_name(st.state));
	if ((r = vm_open(name, &h)) < 0)
		return r;
	r = sock_connect_at(h.dirfd, OSBOOT_VNC_SOCKET, sock);
	vm_close(&h);
	return r < 0 ? err_prefix(r, "the display of VM '%s'", name) : 0;
}

void vnc_attach(struct ui_consoles *cs, const char *name, struct wsio *w)
{
	struct bridge *b = NULL;
	pthread_attr_t attr;
	pthread_t th;
	int r, sock = -1;

	if ((r = vnc_connect(name, &sock)) < 0 || !(b = calloc(1, sizeof(*b)))) {
		wsio_close(w, r < 0 ? WS_CLOSE_VM_NOT_RUNNING : WS_CLOSE_ERROR,
			   r < 0 ? err_msg_for(r) : "out of memory");
		wsio_free(w);
		if (sock >= 0)
			close(sock);
		return;
	}
	*b = (struct bridge){ .cs = cs, .w = w, .sock = sock };
	consoles_thread_enter(cs);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&th, &attr, bridge_thread, b) != 0) {
		consoles_thread_leave(cs);
		wsio_close(w, WS_CLOSE_ERROR, "cannot start a thread");
		wsio_free(w);
		close(sock);
		free(b);
	}
	pthread_attr_destroy(&attr);
}

int vnc_ctrl_alt_del(const char *name)
{
	static const char *const keys[] = { "ctrl", "alt", "delete" };
	struct vm_handle h;
	struct qmp *q;
	int r;

	if ((r = vm_open(name, &h)) < 0)
		return r;
	if ((r = vm_qmp_open(&h, &q)) >= 0) {
		r = qmp_send_keys(q, keys, ARRAY_SIZE(keys));
		qmp_close(q);
	}
	vm_close(&h);
	return r < 0 ? err_prefix(r, "Ctrl+Alt+Delete to VM '%s'", name) : 0;
}
