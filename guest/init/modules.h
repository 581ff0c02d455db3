/* SPDX-License-Identifier: MIT */
#pragma once
/* Load the modules that the present devices need (a small modprobe driven
 * by modules.alias and modules.dep); skip names in the NULL-terminated list. */
void modules_load_for_devices(const char *const *skip);
