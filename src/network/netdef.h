/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * The bottom of the network layer: an hv network's definition and its
 * store ($HV_HOME/networks/NAME/: net.json, reservations.json, lock), the
 * address plan of its subnet, and the names of what it puts on the host.
 * Everything above (dnsmasq.c, nft.c, netup.c, net.c) builds on this;
 * this file includes none of them.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

enum net_mode { NET_NATNET, NET_HOSTONLY, NET_INTERNAL };

#define NET_NAME_MAX	 11 /* "hvd-" + name fits IFNAMSIZ */
#define NET_MAX_FORWARDS 32
#define NET_MAX_RESERVED 128
/* What a network keeps on the host while it is up (dnsmasq's files). */
#define NET_RUN_DIR "/run/hv/networks"

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
	char lab[64]; /* the lab (hv up) it belongs to, or "" */
};

struct net_reservation {
	char vm[64];
	uint8_t mac[6];
	uint32_t ip;
};

const char *net_mode_name(enum net_mode m);
int net_mode_parse(const char *s, enum net_mode *m);
int net_name_validate(const char *name);
/* The rule of names that end up in host interface and table names: 1 to
 * max characters from a-z, 0-9 and '-', starting with a letter or digit;
 * kind ("network", "lab") names it in the message. */
int net_lower_name_validate(const char *kind, const char *name, size_t max);
/* Address plan of a subnet: .1 the gateway (or DHCP server), then fixed
 * reservations, then the dynamic DHCP range. */
uint32_t net_gateway(const struct netdef *d);
void net_ranges(const struct netdef *d, uint32_t *res_lo, uint32_t *res_hi, uint32_t *dyn_lo, uint32_t *dyn_hi);
void net_bridge_name(const char *net, char *buf, size_t n);

/* $HV_HOME/networks (made when missing) and $HV_HOME/networks/NAME;
 * *out is malloc'ed. */
int nets_dir(char **out);
int net_dir(const char *name, char **out);
/* The folder of an existing network, opened (a negative errno, "no
 * network named ..." when there is none). */
int net_open_dir(const char *name);
int net_list(char ***names, size_t *n);
int net_load(const char *name, struct netdef *d);
int net_save(const struct netdef *d);
/* Lock a network (flock on its folder's lock file). */
int net_lock(const char *name, int *fd);
/* "tcp:HOSTPORT:VM:PORT" (or udp:...). */
int net_forward_parse(const char *spec, struct net_forward *f);

/* Fixed addresses of VM NICs, reservations.json in the folder dfd of
 * network net; at most max.  Reading an absent file gives none.  A
 * damaged file (not JSON, wrong types) is state, not definition: it is
 * rebuilt from dnsmasq's hosts file (NET_RUN_DIR/NAME/hosts), rewritten
 * and reported with err_warn(). */
int net_reservations_load(int dfd, const char *net, struct net_reservation *out, size_t max, size_t *n);
int net_reservations_save(int dfd, const struct net_reservation *res, size_t n);
int net_reservations(const char *net, struct net_reservation *out, size_t max, size_t *n);
