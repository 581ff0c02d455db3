/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * The engine contract: how the manager describes a VM to launch, and the
 * QEMU specifics that turn it into a process.  Everything here is about
 * one QEMU process; stores, names and state files belong to manager/.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/strv.h"

enum accel { ACCEL_AUTO, ACCEL_KVM, ACCEL_TCG };
enum machine { MACHINE_MICROVM, MACHINE_Q35 };
/* How the guest starts: QEMU loads a kernel itself (direct), or firmware
 * boots the first disk (then CD-ROM) as on real hardware. */
enum firmware { FIRMWARE_NONE, FIRMWARE_BIOS, FIRMWARE_UEFI };

#define ENGINE_MAX_DISKS   8
#define ENGINE_MAX_NICS	   4
#define ENGINE_MAX_HOSTFWD 16
#define ENGINE_MAX_CDROMS  2
#define ENGINE_MAX_SHARES  8
#define ENGINE_MAX_BACKING 4 /* files under a disk image that QEMU is handed */
/* virtio-fs: the tag is at most 36 bytes in the device's config space */
#define ENGINE_SHARE_TAG_MAX 36

/* virtio-serial port names a guest looks for */
#define ENGINE_CHANNEL_PORT "org.hv.channel.0"
#define ENGINE_AGENT_PORT   "org.qemu.guest_agent.0"
/* How often the guest's balloon driver reports its memory (seconds). */
#define ENGINE_BALLOON_POLL_S 2

struct engine_disk {
	const char *path;   /* a CD-ROM may have none: an empty drive */
	const char *format; /* "raw" or "qcow2": always explicit, QEMU never probes */
	bool readonly;
	unsigned bootindex; /* firmware boot order, 0: not a boot device */
	/* The images under a qcow2 disk, nearest first, with their formats.
	 * Used only when QEMU gets fds (engine_pass_fds): it then has no path
	 * to follow the header's backing file name itself. */
	const char *backing[ENGINE_MAX_BACKING];
	const char *backing_format[ENGINE_MAX_BACKING];
	size_t nbacking;
};

/* A display for the guest's graphical console (installers): VNC on a unix
 * socket (relative to QEMU's working directory) or on host:port. */
struct engine_display {
	bool vnc;
	const char *unix_path; /* or NULL */
	const char *host;      /* with port, when unix_path is NULL */
	unsigned port;	       /* 5900..65535 */
};

/* A NIC: QEMU's user-mode NAT (libslirp) with port forwards
 * ("tcp:ADDR:HOSTPORT-:GUESTPORT", QEMU's hostfwd syntax), or a TAP that
 * hv opened and passes as an inherited fd. */
struct engine_nic {
	bool user;
	int tap_fd;
	uint8_t mac[6];
	const char *hostname; /* user mode: sent to the guest by slirp's DHCP */
	const char *hostfwd[ENGINE_MAX_HOSTFWD];
	size_t nhostfwd;
};

/* Where a serial port goes: an inherited socket (fd >= 0), or a listening
 * unix socket path (relative to QEMU's working directory), optionally
 * also recorded into a log file. */
struct engine_chardev {
	int fd;
	const char *path;
	const char *logfile;
};

/* A shared folder over virtio-fs: QEMU is the vhost-user client of a
 * virtiofsd on the host, reached through an inherited socket already
 * connected (fd >= 0) or a unix socket path (relative to QEMU's working
 * directory) where virtiofsd listens.  The guest mounts it by its tag. */
struct engine_share {
	int fd;
	const char *path;
	const char *tag;
};

struct engine_vm {
	const char *name;
	const char *uuid; /* NULL: let QEMU choose */
	unsigned cpus;
	uint64_t memory_mib;
	enum machine machine;
	enum accel accel; /* resolved: ACCEL_KVM or ACCEL_TCG */
	const char *kernel, *initrd, *cmdline;
	enum firmware firmware; /* FIRMWARE_NONE with a kernel; q35 only otherwise */
	const char *uefi_code;	/* FIRMWARE_UEFI: the read-only code image */
	const char *uefi_vars;	/* FIRMWARE_UEFI: this VM's own variable store */
	struct engine_disk disks[ENGINE_MAX_DISKS];
	size_t ndisks;
	struct engine_disk cdroms[ENGINE_MAX_CDROMS]; /* raw, read-only (installer ISO, cloud-init seed) */
	size_t ncdroms;
	struct engine_display display;
	struct engine_nic nics[ENGINE_MAX_NICS];
	size_t nnics;
	struct engine_chardev console; /* ttyS0 */
	struct engine_chardev channel; /* the hv guest channel (virtio-serial); fd < 0 and no path: none */
	const char *agent_path;	       /* the QEMU guest agent's port: a listening unix socket, or NULL */
	const char *qmp_path;	       /* listening QMP socket for hv commands, or NULL */
	int qmp_fd;		       /* private QMP connection for the VM's monitor, or -1 */
	bool no_reboot;		       /* a guest reboot ends QEMU (one-shot VMs) */
	int incoming_fd;	       /* >= 0: load a saved VM state from this fd (-incoming) */
	bool incoming_defer;	       /* -incoming defer: wait for migrate-incoming (live migration) */
	bool start_paused;	       /* -S: the CPUs wait for "cont" */
	bool sandbox;		       /* QEMU's seccomp sandbox */
	/* shared folders; guest RAM becomes a shared memfd when there are any */
	struct engine_share shares[ENGINE_MAX_SHARES];
	size_t nshares;
};

/* Build QEMU's argv (argv[0] = qemu_binary).  Pure: no I/O, so the
 * result can be compared with golden files. */
int qemu_build_argv(const struct engine_vm *vm, const char *qemu_binary, struct strv *argv);

/* A QEMU that runs without root (src/jail) has no path to anything of
 * the VM: every file and listening socket it needs is opened by hv and
 * passed as an fd.  The argv then names fds instead of paths (block
 * devices and log files through -add-fd and /dev/fdset/N, sockets as
 * fd=N, kernel and initrd as /proc/self/fd/N), and `fds` lists what to
 * open at which fd number before QEMU starts. */
enum engine_fd_kind {
	ENGINE_FD_READ,	  /* O_RDONLY */
	ENGINE_FD_RDWR,	  /* O_RDWR */
	ENGINE_FD_APPEND, /* O_WRONLY|O_APPEND|O_CREAT, mode 0600 (log files) */
	ENGINE_FD_LISTEN, /* a listening unix socket made at the path */
	ENGINE_FD_COPY,	  /* the file's content in a sealed memfd (QEMU reopens it by /proc/self/fd) */
};
#define ENGINE_PASS_FD_BASE 20
#define ENGINE_MAX_PASS_FDS 40
struct engine_pass_fd {
	int fd;	 /* the number in QEMU */
	int set; /* the -add-fd set it belongs to, or -1 */
	enum engine_fd_kind kind;
	const char *path; /* borrowed from the engine_vm; relative: to the VM folder */
};
struct engine_pass_fds {
	struct engine_pass_fd v[ENGINE_MAX_PASS_FDS];
	size_t n;
	/* VNC on a unix socket: QEMU gets -vnc none; whoever holds its QMP
	 * listens here and hands each client over (add_client) */
	const char *vnc_path;
};
int qemu_build_argv_fds(const struct engine_vm *vm, const char *qemu_binary, struct strv *argv,
			struct engine_pass_fds *fds);

/* A virtio-fs tag hv accepts (1..36 of [A-Za-z0-9_.-], not starting
 * with '.' or '-'); the reason is recorded otherwise. */
int engine_share_tag_check(const char *tag);

/* Kernel parameters a Linux guest needs on this machine type and
 * accelerator (tsc_khz: the host's TSC frequency, 0 if unknown). */
int qemu_kernel_params(enum machine m, enum accel a, unsigned long tsc_khz, char *buf, size_t n);

/* Locate qemu-system-x86_64 ($HV_QEMU overrides); clear error if missing. */
int qemu_find_binary(char **out);

const char *machine_name(enum machine m);
const char *firmware_name(enum firmware f);
int firmware_parse(const char *s, enum firmware *f);
int machine_parse(const char *s, enum machine *m);
const char *accel_name(enum accel a);
/* Does /proc/cpuinfo's flags line have vmx or svm? */
bool accel_cpu_has_hw_virt(void);
/* Why KVM cannot run a stock guest here (kvm_pvm, no VMX/SVM, /dev/kvm),
 * NULL when it can (a constant string). */
const char *accel_kvm_unusable_reason(void);
int accel_parse(const char *s, enum accel *a);

/* Resolve ACCEL_AUTO: KVM only where the host truly has hardware
 * virtualization.  *why explains a TCG choice (NULL when KVM is used). */
int accel_resolve(enum accel requested, enum accel *out, const char **why);
/* The host's TSC frequency in kHz, 0 when unknown. */
unsigned long host_tsc_khz(void);
