/* SPDX-License-Identifier: MIT */
#pragma once
/* hv ui's access rules, pure: the token (random, compared in constant
 * time), the listen address (loopback unless TLS or --insecure), and the
 * Host and Origin headers a request must carry (DNS rebinding, CSRF). */
#include <stdbool.h>
#include <stddef.h>

#define UI_TOKEN_LEN 43 /* 32 random bytes, base64url without padding */

/* A fresh token from getrandom(2); out holds UI_TOKEN_LEN + 1 bytes. */
int ui_token_new(char *out);
/* Does given equal token?  Time independent of where they differ. */
bool ui_token_equal(const char *token, const char *given);

struct ui_listen {
	char host[64]; /* as given, brackets stripped: "127.0.0.1", "::1", "0.0.0.0" */
	unsigned port;
	bool loopback;
};
/* ADDR:PORT or [ADDR6]:PORT (ADDR a numeric address or "localhost";
 * PORT 0 lets the kernel choose). */
int ui_listen_parse(const char *s, struct ui_listen *out);
/* A non-loopback address needs TLS or an explicit --insecure. */
int ui_listen_check(const struct ui_listen *l, bool tls, bool insecure);

/* The Host header must name this server: a loopback name or the listen
 * address, with the port it listens on (so a DNS name an attacker
 * controls, rebinding to 127.0.0.1, is refused). */
bool ui_host_allowed(const char *host, const struct ui_listen *l, unsigned port);
/* An Origin header, when present, must be this server's own
 * (scheme://Host). */
bool ui_origin_allowed(const char *origin, const char *host, bool tls);
