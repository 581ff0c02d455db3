/* SPDX-License-Identifier: MIT */
#pragma once
/* The serial consoles in the browser: QEMU serves one client on a VM's
 * console.sock, so hv ui holds one connection per VM (and its
 * console.lock, as hv console does) and fans it out to any number of
 * WebSockets; each new one first gets the console.log's tail. */
#include <stdbool.h>

struct wsio;
struct ui_consoles;

struct ui_consoles *consoles_new(void);
/* Close every WebSocket (consoles and VNC) and wait for their threads. */
void consoles_free(struct ui_consoles *cs);
/* Hand a WebSocket to VM name's console; takes w (closed with a reason
 * when the VM does not run or its console is taken). */
void consoles_attach(struct ui_consoles *cs, const char *name, struct wsio *w);

/* Threads serving WebSockets (the console multiplexers, VNC bridges)
 * register, poll stop_fd, and end when it is readable. */
int consoles_thread_enter(struct ui_consoles *cs);
void consoles_thread_leave(struct ui_consoles *cs);
int consoles_stop_fd(const struct ui_consoles *cs);
