/* SPDX-License-Identifier: MIT */
/*
 * The firewall of an hv network: one nftables table per network ("ip
 * hv-NAME"), replaced atomically as a whole (one libnftables transaction)
 * and deleted with the network.  hv never edits a table it did not create.
 *   natnet:    VMs may go out (masqueraded) and talk to each other; from
 *              outside only established traffic and port forwards (DNAT,
 *              also for connections to the host's own addresses, 127.0.0.1
 *              included) come in.
 *   host-only, internal: nothing is routed to or from the bridge.
 */
#include "network/nft.h"

#include <errno.h>
#include <nftables/libnftables.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "network/addr.h"
#include "network/netlink.h"
#include "util/err.h"

struct buf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void put(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		if (b->oom)
			return;
		va_start(ap, fmt);
		n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n >= 0 && b->len + (size_t)n < b->cap) {
			b->len += (size_t)n;
			return;
		}
		char *np = realloc(b->p, b->cap = b->cap * 2 + 4096);
		if (!np) {
			b->oom = true;
			return;
		}
		b->p = np;
		b->p[b->len] = '\0';
	}
}

static int run(const char *cmds, const char *what)
{
	struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	int rc;

	if (!ctx)
		return err_set(-ENOMEM, "cannot start libnftables");
	nft_ctx_buffer_output(ctx);
	nft_ctx_buffer_error(ctx);
	rc = nft_run_cmd_from_buffer(ctx, cmds);
	if (rc != 0) {
		char msg[512];
		const char *e = nft_ctx_get_error_buffer(ctx);
		snprintf(msg, sizeof(msg), "%s", e ? e : "");
		msg[strcspn(msg, "\n")] = '\0';
		nft_ctx_free(ctx);
		return err_set(-EIO, "nftables refused to %s: %s", what, msg[0] ? msg : "unknown error");
	}
	nft_ctx_free(ctx);
	return 0;
}

static const struct net_reservation *find_vm(const struct net_reservation *res, size_t n, const char *vm)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(res[i].vm, vm))
			return &res[i];
	return NULL;
}

static void put_forwards(struct buf *b, const struct netdef *d, const struct net_reservation *res, size_t n)
{
	for (unsigned i = 0; i < d->nfwd; i++) {
		const struct net_forward *f = &d->fwd[i];
		const struct net_reservation *r = find_vm(res, n, f->vm);
		char ip[16];
		if (!r)
			continue; /* the VM left the network: its forward waits */
		ip4_format(r->ip, ip, sizeof(ip));
		put(b, "    fib daddr type local %s dport %u dnat to %s:%u\n", f->proto, f->host_port, ip, f->vm_port);
	}
}

int nft_apply(const struct netdef *d, const struct net_reservation *res, size_t nres)
{
	struct buf b = { 0 };
	char br[32], sub[24];
	int r;

	net_bridge_name(d->name, br, sizeof(br));
	ip4_format(d->subnet, sub, sizeof(sub));
	snprintf(sub + strlen(sub), sizeof(sub) - strlen(sub), "/%d", d->prefix);
	/* add + delete + define: replace the table in one transaction */
	put(&b, "add table ip hv-%s\ndelete table ip hv-%s\ntable ip hv-%s {\n", d->name, d->name, d->name);
	put(&b, "  chain forward {\n    type filter hook forward priority filter; policy accept;\n");
	/* VM to VM on the bridge, in every mode (with br_netfilter such
	 * bridged packets pass this hook too) */
	put(&b, "    iifname \"%s\" oifname \"%s\" accept\n", br, br);
	if (d->mode == NET_NATNET) {
		put(&b, "    iifname \"%s\" ip saddr %s accept\n", br, sub);
		put(&b, "    oifname \"%s\" ct state established,related accept\n", br);
		put(&b, "    oifname \"%s\" ct status dnat accept\n", br);
	}
	put(&b, "    iifname \"%s\" drop\n    oifname \"%s\" drop\n  }\n", br, br);
	if (d->mode == NET_NATNET) {
		put(&b, "  chain postrouting {\n    type nat hook postrouting priority srcnat; policy accept;\n");
		put(&b, "    ip saddr %s ip daddr != %s masquerade\n", sub, sub);
		put(&b, "    oifname \"%s\" ip saddr 127.0.0.0/8 masquerade\n  }\n", br);
		put(&b, "  chain prerouting {\n    type nat hook prerouting priority dstnat; policy accept;\n");
		put_forwards(&b, d, res, nres);
		put(&b, "  }\n  chain output {\n    type nat hook output priority -100; policy accept;\n");
		put_forwards(&b, d, res, nres);
		put(&b, "  }\n");
	}
	put(&b, "}\n");
	if (b.oom) {
		free(b.p);
		return -ENOMEM;
	}
	r = run(b.p, "set up the network's firewall table");
	free(b.p);
	return r;
}

int nft_remove(const char *name)
{
	char cmd[128];

	/* "add" first makes the delete succeed whether or not it exists */
	snprintf(cmd, sizeof(cmd), "add table ip hv-%s\ndelete table ip hv-%s\n", name, name);
	return run(cmd, "remove the network's firewall table");
}

bool nft_present(const char *name)
{
	char cmd[128];
	bool there;

	snprintf(cmd, sizeof(cmd), "list table ip hv-%s", name);
	there = run(cmd, "list") == 0;
	err_clear();
	return there;
}
