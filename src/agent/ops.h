/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * The guest agent commands hv uses, one typed function each (QEMU's
 * qga/qapi-schema.json).  Replies are checked field by field; whatever
 * the guest sends that is wrong is a named error.  Strings from the guest
 * are sanitized before they are kept.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/qga.h"

int agent_ping(struct qga *g, int timeout_ms);

/* guest-get-osinfo (each field "" when the guest did not say) */
struct agent_osinfo {
	char id[64], name[128], pretty_name[256], version[128], version_id[64];
	char kernel_release[128], machine[32];
};
int agent_get_osinfo(struct qga *g, int timeout_ms, struct agent_osinfo *out);

/* guest-network-get-interfaces */
#define AGENT_MAX_IFACES 32
#define AGENT_MAX_ADDRS	 16
struct agent_addr {
	bool ipv6;
	char text[64]; /* "192.168.1.2" or "fe80::1" */
	int prefix;    /* -1: not said */
};
struct agent_iface {
	char name[64];
	bool has_mac;
	uint8_t mac[6];
	struct agent_addr addrs[AGENT_MAX_ADDRS];
	unsigned naddrs;
};
/* Fills up to AGENT_MAX_IFACES entries (more are ignored) */
int agent_network_interfaces(struct qga *g, int timeout_ms, struct agent_iface *out, unsigned *n);

/* guest-shutdown: mode "powerdown", "halt" or "reboot".  Success has no
 * reply: 0 means the agent took the command and did not refuse it. */
int agent_shutdown(struct qga *g, const char *mode);

/* guest-fsfreeze-*: *count (optional) receives the number of file systems. */
int agent_fsfreeze_freeze(struct qga *g, int timeout_ms, int *count);
int agent_fsfreeze_thaw(struct qga *g, int timeout_ms, int *count);
int agent_fsfreeze_status(struct qga *g, int timeout_ms, bool *frozen);

/* guest-exec: path with args argv[1..] (argv[0] is path), env "K=V"
 * entries or NULL, input bytes (base64 in the request) or none. */
int agent_exec_start(struct qga *g, int timeout_ms, char *const *argv, char *const *env, const void *input,
		     size_t input_len, bool capture, int64_t *pid);
/* guest-exec-status */
struct agent_exec_state {
	bool exited;
	bool has_code, has_signal;
	int code, signal;
	uint8_t *out, *err; /* malloc'ed, decoded (NULL: none) */
	size_t out_len, err_len;
	bool out_truncated, err_truncated;
};
int agent_exec_status(struct qga *g, int timeout_ms, int64_t pid, struct agent_exec_state *st);
void agent_exec_state_free(struct agent_exec_state *st);

/* guest-file-*: modes as fopen's ("r", "w", ...). */
int agent_file_open(struct qga *g, int timeout_ms, const char *path, const char *mode, int64_t *handle);
/* Read at most count bytes: *data malloc'ed (never NULL on success). */
int agent_file_read(struct qga *g, int timeout_ms, int64_t handle, size_t count, uint8_t **data, size_t *len,
		    bool *eof);
int agent_file_write(struct qga *g, int timeout_ms, int64_t handle, const void *data, size_t len);
int agent_file_close(struct qga *g, int timeout_ms, int64_t handle);
