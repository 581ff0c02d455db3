/* SPDX-License-Identifier: MIT */
#pragma once
/* A VM's network interfaces as the user defines them:
 *   --nic nat[,mac=M]             QEMU's user-mode NAT (libslirp), the default
 *   --nic network=NET[,mac=M]     a TAP on hv network NET (hv net create)
 *   --nic bridge=BR[,mac=M]       a TAP on an existing host bridge
 *   --forward [tcp|udp:][ADDR:]HOSTPORT:GUESTPORT   a port forward of a nat NIC */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum nic_mode { NIC_NAT, NIC_NETWORK, NIC_BRIDGE };

#define NIC_MAX		 4
#define NIC_MAX_FORWARDS 16

struct nic_forward {
	char proto[4];	    /* "tcp" or "udp" */
	uint32_t host_addr; /* network order; 0: every host address */
	uint16_t host_port, guest_port;
};

struct nic {
	enum nic_mode mode;
	char target[16]; /* the network or bridge */
	uint8_t mac[6];
	bool mac_set;
	uint32_t ip; /* network mode: the address reserved for it on the network */
	struct nic_forward fwd[NIC_MAX_FORWARDS];
	unsigned nfwd;
};

const char *nic_mode_name(enum nic_mode m);
int nic_mode_parse(const char *s, enum nic_mode *m);
/* Parse a --nic value (mac_set tells whether it named a MAC). */
int nic_parse(const char *spec, struct nic *n);
int forward_parse(const char *spec, struct nic_forward *f);
void forward_format(const struct nic_forward *f, char *buf, size_t n);
/* QEMU's hostfwd syntax: "tcp:ADDR:HOSTPORT-:GUESTPORT". */
void forward_qemu(const struct nic_forward *f, char *buf, size_t n);
bool forward_same_host_port(const struct nic_forward *a, const struct nic_forward *b);
/* A random locally administered unicast MAC in QEMU's 52:54:00 range. */
int mac_random(uint8_t mac[6]);
/* Is a TCP or UDP port on the host free?  Tries to bind it. */
int host_port_check(const char *proto, uint32_t addr, uint16_t port);
/* "10.0.2.15/24": an address with its prefix length (host bits allowed). */
int ip4_parse_host_prefix(const char *s, uint32_t *ip, int *prefix);
