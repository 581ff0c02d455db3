/* SPDX-License-Identifier: MIT */
#pragma once
/* Shared folders: mount each virtio-fs tag hv named on the kernel command
 * line (hv.share=TAG or hv.share=TAG,ro) at /mnt/TAG.  The virtiofs
 * module is loaded by then (modules_load_for_devices). */
void shares_mount(void);
