/* SPDX-License-Identifier: MIT */
#pragma once
/* IPv4 addresses (network byte order), subnets and MAC addresses. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "10.0.3.0/24": strict, host bits must be zero, prefix 8..30. */
int ip4_parse_cidr(const char *s, uint32_t *net, int *prefix);
/* Dotted quad, strict: four decimal numbers 0..255 without leading zeros. */
int ip4_parse(const char *s, uint32_t *ip);
void ip4_format(uint32_t ip, char *buf, size_t n);
/* Either prefix contains the other. */
bool ip4_overlap(uint32_t a, int pa, uint32_t b, int pb);
/* "52:54:00:12:34:56"; refuses multicast and all-zero addresses. */
int mac_parse(const char *s, uint8_t mac[6]);
/* Lower case, colon separated; buf should hold 18 bytes. */
void mac_format(const uint8_t mac[6], char *buf, size_t n);
/* The netmask of a prefix length, in network order. */
uint32_t prefix_mask(int prefix);
