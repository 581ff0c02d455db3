/* SPDX-License-Identifier: MIT */
#pragma once
/* linux.seccomp of an OCI config (config-linux.md "Seccomp") through
 * libseccomp: every action (SCMP_ACT_KILL, _KILL_PROCESS, _KILL_THREAD,
 * _TRAP, _ERRNO, _TRACE, _ALLOW, _LOG, _NOTIFY: refused clearly), the
 * architectures, argument filters with every operator, defaultErrnoRet
 * and errnoRet, and the flags libseccomp supports. */
struct json_object;
struct oci_seccomp;

/* Build (validate) the filter; NULL json: no filter (*out = NULL). */
int oci_seccomp_build(struct json_object *json, struct oci_seccomp **out);
/* Load it into the calling process (the last step before execve). */
int oci_seccomp_load(struct oci_seccomp *s);
void oci_seccomp_free(struct oci_seccomp *s);
