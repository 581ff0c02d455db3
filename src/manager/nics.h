/* SPDX-License-Identifier: MIT */
#pragma once
/* From --nic/--forward options to a VM's NIC list, and from that list to
 * what QEMU gets (TAPs on bridges, slirp forwards). */
#include <stdbool.h>

#include "engine/engine.h"
#include "network/nic.h"

struct nic_request {
	const char *specs[NIC_MAX]; /* --nic values; none given: one nat NIC */
	unsigned nspecs;
	bool none; /* --nic none */
	const char *forwards[NIC_MAX_FORWARDS];
	unsigned nforwards;
};

/* Parse and check the request.  old (may be NULL) are the NICs the VM had:
 * a NIC that keeps its place, mode and target keeps its MAC.  New MACs
 * are unique in the store.  vm_name: the VM that will own the NICs (its
 * network addresses are reserved under that name); NULL for hv run. */
int nics_resolve(const struct nic_request *req, const char *vm_name, const struct nic *old, unsigned nold,
		 struct nic *out, unsigned *nout);

/* Everything a started VM's NICs hold on the host. */
struct nics_host {
	int tap_fds[ENGINE_MAX_NICS];
	char tap_names[ENGINE_MAX_NICS][16];
	char hostfwd[ENGINE_MAX_NICS][ENGINE_MAX_HOSTFWD][64];
	size_t n;
};
/* Bring up the networks the NICs use, open and attach their TAPs and fill
 * vm->nics (TAP i is passed to QEMU as fd first_fd + i). */
int nics_prepare(const struct nic *nics, unsigned n, const char *hostname, int first_fd, struct nics_host *h,
		 struct engine_vm *vm);
void nics_release(struct nics_host *h);
