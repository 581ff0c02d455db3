/* SPDX-License-Identifier: MIT */
#pragma once
/* A VM's graphical display in the browser: one WebSocket bridged to
 * QEMU's VNC unix socket (QEMU takes many VNC clients, so each browser
 * gets its own connection), and the keys a browser cannot send. */
struct wsio;
struct ui_consoles;

/* Bridge w to VM name's vnc.sock in a thread; takes w (closed with a
 * reason when the VM has no display or does not run). */
void vnc_attach(struct ui_consoles *cs, const char *name, struct wsio *w);
/* Press Ctrl+Alt+Delete in a running VM (QMP send-key). */
int vnc_ctrl_alt_del(const char *name);
