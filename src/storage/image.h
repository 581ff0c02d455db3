/* SPDX-License-Identifier: MIT */
#pragma once
#include <stddef.h>
#include <stdint.h>

/* The format of an existing image from its header: "qcow2" or "raw".
 * Fails clearly when the path is missing or not a regular file/device. */
int image_probe_format(const char *path, char *fmt, size_t n);
/* Create an image with qemu-img (format "qcow2" or "raw"). */
int image_create(const char *path, const char *format, uint64_t size);
