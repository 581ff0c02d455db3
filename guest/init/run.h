/* SPDX-License-Identifier: MIT */
#pragma once
/* "run" mode: one command sent by hv run over the guest channel. */
int run_main(void) __attribute__((noreturn));
