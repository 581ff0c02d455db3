/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * hv networks: named, persistent, and brought up on first use.
 *   natnet     a bridge with the host as gateway, DHCP + DNS (dnsmasq),
 *              masquerade to the outside, port forwards (nftables DNAT)
 *   host-only  a bridge with a host address and DHCP; no route out
 *   internal   VM to VM only: the host has no address on the bridge; DHCP
 *              is served from a private network namespace on it
 * Store: $HV_HOME/networks/NAME/ (net.json, reservations.json, lock, and
 * dnsmasq's files).  Everything on the host is named after the network:
 * bridge hv-NAME, nftables table "ip hv-NAME", netns hv-NAME (internal),
 * veth hvd-NAME/hvn-NAME, so hv never touches what it did not create.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

enum net_mode { NET_NATNET, NET_HOSTONLY, NET_INTERNAL };

#define NET_NAME_MAX 11 /* "hvd-" + name fits IFNAMSIZ */
#define NET_MAX_FORWARDS 32
#define NET_MAX_RESERVED 128

struct net_forward {
	char proto[4];
	uint16_t host_port;
	char vm[64];
	uint16_t vm_port;
};

struct netdef {
	char name[NET_NAME_MAX + 1];
	enum net_mode mode;
	uint32_t subnet; /* network order */
	int prefix;
	time_t created;
	struct net_forward fwd[NET_MAX_FORWARDS];
	unsigned nfwd;
};

struct net_reservation {
	char vm[64];
	uint8_t mac[6];
	uint32_t ip;
};

const char *net_mode_name(enum net_mode m);
int net_mode_parse(const char *s, enum net_mode *m);
int net_name_validate(const char *name);
/* Address plan of a subnet: .1 the gateway (or DHCP server), then fixed
 * reservations, then the dynamic DHCP range. */
uint32_t net_gateway(const struct netdef *d);
void net_ranges(const struct netdef *d, uint32_t *res_lo, uint32_t *res_hi, uint32_t *dyn_lo, uint32_t *dyn_hi);
void net_bridge_name(const char *net, char *buf, size_t n);

int nets_dir(char *buf, size_t n);
int net_dir(const char *name, char *buf, size_t n);
int net_list(char ***names, size_t *n);
int net_load(const char *name, struct netdef *d);
int net_save(const struct netdef *d);
/* Validate (name, overlaps with other hv networks and host routes) and
 * store; cidr NULL picks a free 10.77.N.0/24.  Nothing on the host yet. */
int net_create(const char *name, enum net_mode mode, const char *cidr, struct netdef *out);
/* Remove everything of the network from the host and the store (the
 * caller has checked that no VM uses it). */
int net_destroy(const char *name);
/* Lock a network (flock on its folder's lock file). */
int net_lock(const char *name, int *fd);

/* Fixed addresses of VM NICs (dnsmasq dhcp-host entries). */
int net_reserve(const char *net, const char *vm, const uint8_t mac[6], uint32_t *ip);
int net_unreserve(const char *net, const char *vm);
int net_reservations(const char *net, struct net_reservation *out, size_t max, size_t *n);
/* The address dnsmasq leased to mac (0: none). */
int net_lease_ip(const char *net, const uint8_t mac[6], uint32_t *ip);

/* Bring the network up (idempotent): bridge, address, namespace,
 * nftables table, dnsmasq.  Fills the bridge name. */
int net_up(const char *name, char *bridge, size_t n);
/* Take it off the host (bridge, table, namespace, dnsmasq). */
int net_down(const char *name);
struct net_state {
	bool bridge, table, dhcp;
	pid_t dhcp_pid;
};
int net_state(const char *name, struct net_state *st);

/* Port forwards of a natnet network: "tcp:HOSTPORT:VM:PORT". */
int net_forward_parse(const char *spec, struct net_forward *f);
int net_forward_add(const char *name, const char *spec);
int net_forward_remove(const char *name, const char *spec);

/* Internal to the network layer (netup.c, nft.c, dnsmasq.c). */
int nft_apply(const struct netdef *d, const struct net_reservation *res, size_t nres);
int nft_remove(const char *name);
bool nft_present(const char *name);
int dhcp_dir(const char *name, char *buf, size_t n, bool create); /* /run/hv/networks/NAME */
int dhcp_start(const struct netdef *d);
int dhcp_stop(const char *name);
int dhcp_reload(const char *name);
bool dhcp_running(const char *name, pid_t *pid);
int dhcp_write_hosts(const struct netdef *d, const struct net_reservation *res, size_t nres);
