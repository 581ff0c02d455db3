/* SPDX-License-Identifier: MIT */
#pragma once
#include "oci/spec.h"

int hook_run(const struct oci_hook *h, const char *state_json, const char *kind);
/* Every hook of a kind, in order; the first failure stops them. */
int hooks_run(const struct oci_spec *s, enum oci_hook_kind k, const char *state_json);
