/* SPDX-License-Identifier: MIT */
#pragma once
/* "service" mode: a shell on the console, power off on the power button;
 * name is the hostname shown in the prompt. */
int service_main(const char *name) __attribute__((noreturn));
