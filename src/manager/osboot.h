/* SPDX-License-Identifier: MIT */
#pragma once
/* What a distribution VM adds to its start (see osboot.c). */
#include <stddef.h>

#include "engine/engine.h"
#include "guest/cidata.h"
#include "manager/vmdef.h"

#define OSBOOT_UEFI_VARS  "uefi-vars.fd" /* the VM's own UEFI variable store, in its folder */
#define OSBOOT_VNC_SOCKET "vnc.sock"

struct vm_handle;

/* Strings the engine_vm points into while QEMU's argv is built. */
struct osboot {
	char *kernel, *initrd, *cmdline;
	char *hostfwd;
	unsigned ssh_port; /* 0: none */
};

/* The OVMF files ($HV_OVMF_CODE / $HV_OVMF_VARS override). */
const char *osboot_uefi_code(void);
const char *osboot_uefi_vars_template(void);
/* Firmware or the image's kernel, CD-ROMs, the cloud-init seed
 * (rewritten from the definition), the display. */
int osboot_prepare(struct vm_handle *h, const struct vmdef *d, struct engine_vm *vm, struct osboot *ob);
/* After the NICs are in vm: forward a free 127.0.0.1 port to the guest's
 * port 22 on its first NAT NIC and record it in ssh.json. */
int osboot_ssh_forward(struct vm_handle *h, const struct vmdef *d, struct engine_vm *vm, struct osboot *ob);
/* Where hv ssh connects (ssh.json): -ENOENT when there is no forward. */
int osboot_ssh_endpoint(int dirfd, char *host, size_t n, unsigned *port);
void osboot_free(struct osboot *ob);
/* The seed's fields that come from the definition (no NICs, no user-data). */
struct cidata;
struct cidata osboot_cidata(const struct vmdef *d);
