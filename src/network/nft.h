/* SPDX-License-Identifier: MIT */
#pragma once
/* The nftables table of an hv network (see nft.c). */
#include "network/netdef.h"

int nft_apply(const struct netdef *d, const struct net_reservation *res, size_t nres);
int nft_remove(const char *name);
bool nft_present(const char *name);
