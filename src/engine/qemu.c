/* SPDX-License-Identifier: MIT */
/*
 * From an engine_vm to QEMU's command line.  Choices made for fast,
 * quiet boots (measured in bench/boot.sh, see the README):
 *  - microvm: no PCI, no firmware tables beyond what the kernel needs,
 *    virtio-mmio devices found through ACPI; q35 for guests that need PCI.
 *  - -nodefaults and explicit devices only; the guest channel is a
 *    second 16550 UART, which the kernel drives without any module.
 *  - pvpanic with panic=exit-failure: a guest kernel panic ends QEMU with
 *    status 1 and a GUEST_PANICKED event, so a crash is never mistaken for
 *    a power-off.
 */
#include "engine/engine.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/err.h"
#include "util/proc.h"

const char *machine_name(enum machine m)
{
	return m == MACHINE_Q35 ? "q35" : "microvm";
}

int machine_parse(const char *s, enum machine *m)
{
	if (!strcmp(s, "microvm"))
		*m = MACHINE_MICROVM;
	else if (!strcmp(s, "q35"))
		*m = MACHINE_Q35;
	else
		return err_set(-EINVAL, "unknown machine type '%s' (use microvm or q35)", s);
	return 0;
}

const char *firmware_name(enum firmware f)
{
	return f == FIRMWARE_UEFI ? "uefi" : f == FIRMWARE_BIOS ? "bios" : "none";
}

int firmware_parse(const char *s, enum firmware *f)
{
	if (!strcmp(s, "bios"))
		*f = FIRMWARE_BIOS;
	else if (!strcmp(s, "uefi"))
		*f = FIRMWARE_UEFI;
	else
		return err_set(-EINVAL, "unknown firmware '%s' (use bios or uefi)", s);
	return 0;
}

/* QEMU option values escape ',' as ",,"; without this a path such as
 * "a,file=/etc/shadow" would inject options. */
static char *opt_escape(const char *s)
{
	size_t n = 0;
	char *out, *p;

	for (const char *c = s; *c; c++)
		n += *c == ',' ? 2 : 1;
	out = malloc(n + 1);
	if (!out)
		return NULL;
	p = out;
	for (const char *c = s; *c; c++) {
		*p++ = *c;
		if (*c == ',')
			*p++ = ',';
	}
	*p = '\0';
	return out;
}

/* strv_addf, returning its failure from the calling function (which has
 * an int r and a struct strv *a). */
#define ADD(...)                                                                                                       \
	do {                                                                                                           \
		if ((r = strv_addf(a, __VA_ARGS__)) < 0)                                                               \
			return r;                                                                                      \
	} while (0)

enum { NO_SET = -1, OWN_SET = -2 };

/* The next fd number for a file or socket hv opens for QEMU; set: the
 * -add-fd set it joins, OWN_SET (a new one, numbered as the fd) or NO_SET. */
static int pass_fd(struct engine_pass_fds *pf, enum engine_fd_kind kind, const char *path, int set, int *fd)
{
	if (pf->n >= ENGINE_MAX_PASS_FDS)
		return err_set(-E2BIG, "too many files to hand to QEMU (at most %d)", ENGINE_MAX_PASS_FDS);
	*fd = ENGINE_PASS_FD_BASE + (int)pf->n;
	pf->v[pf->n++] =
	    (struct engine_pass_fd){ .fd = *fd, .set = set == OWN_SET ? *fd : set, .kind = kind, .path = path };
	return 0;
}

/* A file QEMU opens by the name *name ("/dev/fdset/N"): its fd set holds
 * a read-only fd, and for a writable file a read-write one too (QEMU
 * takes the fd whose access mode matches each open it makes). */
static int pass_fdset(struct engine_pass_fds *pf, const char *path, enum engine_fd_kind kind, char **name)
{
	int r, set = -1, fd = -1;

	if ((r = pass_fd(pf, kind, path, OWN_SET, &set)) < 0 ||
	    (kind == ENGINE_FD_RDWR && (r = pass_fd(pf, ENGINE_FD_READ, path, set, &fd)) < 0))
		return r;
	return asprintf(name, "/dev/fdset/%d", set) < 0 ? -ENOMEM : 0;
}

/* A file QEMU reads whole by name (kernel, initrd): a memfd copy it
 * reopens through /proc/self/fd. */
static int pass_copy(struct engine_pass_fds *pf, const char *path, char **name)
{
	int r, fd = -1;

	if ((r = pass_fd(pf, ENGINE_FD_COPY, path, NO_SET, &fd)) < 0)
		return r;
	return asprintf(name, "/proc/self/fd/%d", fd) < 0 ? -ENOMEM : 0;
}

/* The -add-fd options of every fd that belongs to a set. */
static int add_fdsets(struct strv *a, const struct engine_pass_fds *pf)
{
	int r;

	for (size_t i = 0; pf && i < pf->n; i++) {
		if (pf->v[i].set < 0)
			continue;
		ADD("-add-fd");
		ADD("fd=%d,set=%d", pf->v[i].fd, pf->v[i].set);
	}
	return 0;
}

/* A listening socket QEMU serves: made by hv at the path, passed as fd. */
static int add_chardev_passed(struct strv *a, const char *id, const struct engine_chardev *c,
			      struct engine_pass_fds *pf)
{
	_cleanup_free_ char *log = NULL;
	int r, fd = -1;

	if ((r = pass_fd(pf, ENGINE_FD_LISTEN, c->path, NO_SET, &fd)) < 0)
		return r;
	if (c->logfile && (r = pass_fdset(pf, c->logfile, ENGINE_FD_APPEND, &log)) < 0)
		return r;
	if (log)
		return strv_addf(a, "socket,id=%s,fd=%d,server=on,wait=off,logfile=%s,logappend=on", id, fd, log);
	return strv_addf(a, "socket,id=%s,fd=%d,server=on,wait=off", id, fd);
}

static int add_chardev(struct strv *a, const char *id, const struct engine_chardev *c, struct engine_pass_fds *pf)
{
	_cleanup_free_ char *path = NULL, *log = NULL;

	if (c->fd >= 0)
		return strv_addf(a, "socket,id=%s,fd=%d", id, c->fd) ?: 0;
	if (!c->path)
		return err_set(-EINVAL, "chardev %s has no endpoint", id);
	if (pf)
		return add_chardev_passed(a, id, c, pf);
	path = opt_escape(c->path);
	log = c->logfile ? opt_escape(c->logfile) : NULL;
	if (!path || (c->logfile && !log))
		return -ENOMEM;
	if (log)
		return strv_addf(a, "socket,id=%s,path=%s,server=on,wait=off,logfile=%s,logappend=on", id, path, log);
	return strv_addf(a, "socket,id=%s,path=%s,server=on,wait=off", id, path);
}

/* The guest's named ports on one virtio-serial controller: hv's channel
 * (to hv's init) and the QEMU guest agent's.  A guest finds a port by its
 * name (/sys/class/virtio-ports/vportNpM/name). */
static int add_virtio_serial(struct strv *a, const struct engine_vm *vm, struct engine_pass_fds *pf)
{
	bool chan = vm->channel.fd >= 0 || vm->channel.path;
	int r;

	if (!chan && !vm->agent_path)
		return 0;
	if ((r = strv_add(a, "-device")) < 0 ||
	    (r = strv_addf(a, "%s,id=vser",
			   vm->machine == MACHINE_MICROVM ? "virtio-serial-device" : "virtio-serial-pci")) < 0)
		return r;
	if (chan && ((r = strv_add(a, "-chardev")) < 0 || (r = add_chardev(a, "channel", &vm->channel, pf)) < 0 ||
		     (r = strv_add(a, "-device")) < 0 ||
		     (r = strv_add(a, "virtserialport,bus=vser.0,chardev=channel,name=" ENGINE_CHANNEL_PORT)) < 0))
		return r;
	if (vm->agent_path) {
		struct engine_chardev c = { .fd = -1, .path = vm->agent_path };
		if ((r = strv_add(a, "-chardev")) < 0 || (r = add_chardev(a, "agent", &c, pf)) < 0 ||
		    (r = strv_add(a, "-device")) < 0 ||
		    (r = strv_add(a, "virtserialport,bus=vser.0,chardev=agent,name=" ENGINE_AGENT_PORT)) < 0)
			return r;
	}
	return 0;
}

/* How QEMU names a block file: its path, or its fd set when passed.
 * QEMU's image locks are held per open file description, and a set keeps
 * its descriptions open: locks of one QEMU stopped using would stay and
 * refuse its own reactivation (cont after hv save or a snapshot with VM
 * state: "Failed to get write lock").  So QEMU does not lock passed files;
 * hv does (image_flock, taken by jail_open on the descriptions QEMU gets). */
static int block_file(struct engine_pass_fds *pf, const char *path, bool writable, char **out)
{
	int r;

	if (pf) {
		_cleanup_free_ char *set = NULL;
		if ((r = pass_fdset(pf, path, writable ? ENGINE_FD_RDWR : ENGINE_FD_READ, &set)) < 0)
			return r;
		return asprintf(out, "%s,file.locking=off", set) < 0 ? -ENOMEM : 0;
	}
	*out = opt_escape(path);
	return *out ? 0 : -ENOMEM;
}

static bool format_ok(const char *f)
{
	return f && (!strcmp(f, "raw") || !strcmp(f, "qcow2"));
}

/* With passed fds QEMU cannot follow a qcow2 header's backing file name:
 * each image under the disk is named as an option instead
 * (backing.driver=..., backing.file.filename=..., backing.backing...). */
static int backing_opts(const struct engine_disk *d, struct engine_pass_fds *pf, char **out)
{
	struct strv opts = { 0 };
	char prefix[ENGINE_MAX_BACKING * 8 + 1] = "";
	int r = 0;

	*out = NULL;
	if (!pf || !d->nbacking)
		return 0;
	if (d->nbacking > ENGINE_MAX_BACKING)
		return err_set(-EINVAL, "disk %s: more than %d images under it", d->path, ENGINE_MAX_BACKING);
	for (size_t j = 0; r == 0 && j < d->nbacking; j++) {
		_cleanup_free_ char *name = NULL;
		strcat(prefix, "backing.");
		if (!format_ok(d->backing_format[j]))
			return strv_free(&opts), err_set(-EINVAL, "disk %s: backing file %s has no raw or qcow2 format",
							 d->path, d->backing[j]);
		if ((r = pass_fdset(pf, d->backing[j], ENGINE_FD_READ, &name)) == 0)
			r = strv_addf(&opts, ",%sdriver=%s,%sfile.filename=%s,%sfile.locking=off", prefix,
				      d->backing_format[j], prefix, name, prefix);
	}
	*out = r == 0 ? strv_join(&opts, "") : NULL;
	strv_free(&opts);
	return r < 0 ? r : *out ? 0 : -ENOMEM;
}

static int add_disks(struct strv *a, const struct engine_vm *vm, struct engine_pass_fds *pf)
{
	const char *dev = vm->machine == MACHINE_MICROVM ? "virtio-blk-device" : "virtio-blk-pci";
	int r;

	for (size_t i = 0; i < vm->ndisks; i++) {
		const struct engine_disk *d = &vm->disks[i];
		_cleanup_free_ char *path = NULL, *backing = NULL;
		if (!format_ok(d->format))
			return err_set(-EINVAL, "disk %s: unsupported format '%s'", d->path, d->format);
		if ((r = block_file(pf, d->path, !d->readonly, &path)) < 0 || (r = backing_opts(d, pf, &backing)) < 0)
			return r;
		if ((r = strv_add(a, "-drive")) < 0 ||
		    (r = strv_addf(a, "if=none,id=disk%zu,file=%s,format=%s%s,cache=writeback,discard=unmap%s", i, path,
				   d->format, backing ? backing : "", d->readonly ? ",readonly=on" : "")) < 0 ||
		    (r = strv_add(a, "-device")) < 0)
			return r;
		if (d->bootindex)
			r = strv_addf(a, "%s,drive=disk%zu,bootindex=%u", dev, i, d->bootindex);
		else
			r = strv_addf(a, "%s,drive=disk%zu", dev, i);
		if (r < 0)
			return r;
	}
	return 0;
}

/* CD-ROMs on q35's built-in AHCI controller (ide.N buses), where both
 * SeaBIOS and OVMF boot from them; raw and read-only always. */
static int add_cdroms(struct strv *a, const struct engine_vm *vm, struct engine_pass_fds *pf)
{
	int r;

	if (vm->ncdroms && vm->machine != MACHINE_Q35)
		return err_set(-EINVAL, "CD-ROMs need the q35 machine type");
	for (size_t i = 0; i < vm->ncdroms; i++) {
		const struct engine_disk *d = &vm->cdroms[i];
		if (d->path) {
			_cleanup_free_ char *path = NULL;
			if ((r = block_file(pf, d->path, false, &path)) < 0)
				return r;
			r = strv_add(a, "-drive");
			if (r == 0)
				r = strv_addf(a, "if=none,id=cd%zu,file=%s,format=raw,media=cdrom,readonly=on", i,
					      path);
		} else {
			r = strv_add(a, "-drive");
			if (r == 0)
				r = strv_addf(a, "if=none,id=cd%zu,media=cdrom,readonly=on", i);
		}
		if (r < 0 || (r = strv_add(a, "-device")) < 0)
			return r;
		if (d->bootindex)
			r = strv_addf(a, "ide-cd,drive=cd%zu,bus=ide.%zu,bootindex=%u", i, i + 1, d->bootindex);
		else
			r = strv_addf(a, "ide-cd,drive=cd%zu,bus=ide.%zu", i, i + 1);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Firmware boot: SeaBIOS is q35's default; UEFI is OVMF's code image
 * (read-only) and the VM's own copy of its variable store.  strict=on:
 * only devices with a bootindex are tried, so firmware never falls back
 * to PXE or HTTP boot. */
static int add_firmware(struct strv *a, const struct engine_vm *vm, struct engine_pass_fds *pf)
{
	_cleanup_free_ char *code = NULL, *vars = NULL;
	int r;

	if (vm->firmware == FIRMWARE_NONE)
		return 0;
	if (vm->machine != MACHINE_Q35)
		return err_set(-EINVAL, "firmware boot needs the q35 machine type (microvm cannot boot a disk)");
	if (vm->kernel)
		return err_set(-EINVAL, "a VM boots either a kernel or through firmware, not both");
	if ((r = strv_add(a, "-boot")) < 0 || (r = strv_add(a, "strict=on,menu=off")) < 0)
		return r;
	if (vm->firmware == FIRMWARE_BIOS)
		return 0;
	if (!vm->uefi_code || !vm->uefi_vars)
		return err_set(-EINVAL, "UEFI needs its code and variable store files");
	if ((r = block_file(pf, vm->uefi_code, false, &code)) < 0 ||
	    (r = block_file(pf, vm->uefi_vars, true, &vars)) < 0)
		return r;
	if ((r = strv_add(a, "-drive")) < 0 ||
	    (r = strv_addf(a, "if=pflash,unit=0,format=raw,readonly=on,file=%s", code)) < 0 ||
	    (r = strv_add(a, "-drive")) < 0 || (r = strv_addf(a, "if=pflash,unit=1,format=raw,file=%s", vars)) < 0)
		return r;
	return 0;
}

/* A graphical console: a standard VGA card, a USB tablet (absolute
 * pointer, so a VNC mouse lands where it points) and VNC. */
static int add_display(struct strv *a, const struct engine_vm *vm, struct engine_pass_fds *pf)
{
	const struct engine_display *d = &vm->display;
	int r;

	if (!d->vnc)
		return strv_add(a, "-display") ?: strv_add(a, "none");
	if (vm->machine != MACHINE_Q35)
		return err_set(-EINVAL, "a graphical console needs the q35 machine type");
	if ((r = strv_add(a, "-display")) < 0 || (r = strv_add(a, "none")) < 0 || (r = strv_add(a, "-device")) < 0 ||
	    (r = strv_add(a, "VGA")) < 0 || (r = strv_add(a, "-device")) < 0 || (r = strv_add(a, "qemu-xhci")) < 0 ||
	    (r = strv_add(a, "-device")) < 0 || (r = strv_add(a, "usb-tablet")) < 0 || (r = strv_add(a, "-vnc")) < 0)
		return r;
	if (d->unix_path && pf) {
		pf->vnc_path = d->unix_path;
		return strv_add(a, "none");
	}
	if (d->unix_path) {
		_cleanup_free_ char *p = opt_escape(d->unix_path);
		return p ? strv_addf(a, "unix:%s", p) : -ENOMEM;
	}
	if (!d->host || d->port < 5900 || d->port > 65535)
		return err_set(-EINVAL, "VNC needs a unix socket or a host and a port from 5900 to 65535");
	/* QEMU takes a display number: the port is 5900 + display */
	return strv_addf(a, "%s:%u", d->host, d->port - 5900);
}

static int add_nics(struct strv *a, const struct engine_vm *vm)
{
	const char *dev = vm->machine == MACHINE_MICROVM ? "virtio-net-device" : "virtio-net-pci";
	int r;

	for (size_t i = 0; i < vm->nnics; i++) {
		const struct engine_nic *n = &vm->nics[i];
		const uint8_t *m = n->mac;
		if ((r = strv_add(a, "-netdev")) < 0)
			return r;
		if (n->user) {
			/* slirp's classic addressing: guest 10.0.2.15, host 10.0.2.2, DNS 10.0.2.3 */
			struct strv opt = { 0 };
			_cleanup_free_ char *joined = NULL, *host = NULL;
			r = strv_addf(
			    &opt, "user,id=net%zu,net=10.0.2.0/24,host=10.0.2.2,dns=10.0.2.3,dhcpstart=10.0.2.15", i);
			if (r == 0 && n->hostname) {
				host = opt_escape(n->hostname);
				r = host ? strv_addf(&opt, "hostname=%s", host) : -ENOMEM;
			}
			for (size_t f = 0; r == 0 && f < n->nhostfwd; f++)
				r = strv_addf(&opt, "hostfwd=%s", n->hostfwd[f]);
			joined = r == 0 ? strv_join(&opt, ",") : NULL;
			strv_free(&opt);
			if (!joined)
				return r < 0 ? r : -ENOMEM;
			r = strv_add(a, joined);
		} else {
			if (n->tap_fd < 0)
				return err_set(-EINVAL, "NIC %zu has no TAP", i);
			r = strv_addf(a, "tap,id=net%zu,fd=%d", i, n->tap_fd);
		}
		/* romfile= : no iPXE option ROM, firmware never network-boots */
		if (r < 0 || (r = strv_add(a, "-device")) < 0 ||
		    (r = strv_addf(a, "%s,netdev=net%zu,mac=%02x:%02x:%02x:%02x:%02x:%02x%s", dev, i, m[0], m[1], m[2],
				   m[3], m[4], m[5], vm->firmware != FIRMWARE_NONE ? ",romfile=" : "")) < 0)
			return r;
	}
	return 0;
}

/* The tag names the share to the guest: virtio-fs keeps it in 36 bytes,
 * and hv allows only characters that need no quoting anywhere (QEMU
 * options, the kernel command line, a mount point under /mnt). */
int engine_share_tag_check(const char *tag)
{
	size_t n = strlen(tag);

	if (n == 0 || n > ENGINE_SHARE_TAG_MAX)
		return err_set(-EINVAL, "share tag '%s' must be 1 to %d characters", tag, ENGINE_SHARE_TAG_MAX);
	if (tag[0] == '.' || tag[0] == '-')
		return err_set(-EINVAL, "share tag '%s' must not start with '%c'", tag, tag[0]);
	for (const char *c = tag; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_' ||
		      *c == '-' || *c == '.'))
			return err_set(-EINVAL, "share tag '%s' may only hold letters, digits, '_', '-' and '.'", tag);
	return 0;
}

/* Shared folders (virtio-fs): virtiofsd maps the guest's memory to reach
 * the buffers in the virtqueues, so guest RAM must be a shareable memfd
 * (-machine memory-backend), and QEMU speaks vhost-user to it.  On
 * microvm the virtio-mmio transports must be modern (virtio 1.x):
 * libvhost-user refuses legacy devices, and QEMU's virtio-mmio is legacy
 * unless told otherwise. */
static int add_shares(struct strv *a, const struct engine_vm *vm)
{
	const char *dev = vm->machine == MACHINE_MICROVM ? "vhost-user-fs-device" : "vhost-user-fs-pci";
	int r;

	if (!vm->nshares)
		return 0;
	if (vm->nshares > ENGINE_MAX_SHARES)
		return err_set(-EINVAL, "at most %d shared folders", ENGINE_MAX_SHARES);
	if ((r = strv_add(a, "-object")) < 0 ||
	    (r = strv_addf(a, "memory-backend-memfd,id=mem,size=%lluM,share=on", (unsigned long long)vm->memory_mib)) <
		0 ||
	    (r = strv_add(a, "-machine")) < 0 || (r = strv_add(a, "memory-backend=mem")) < 0)
		return r;
	if (vm->machine == MACHINE_MICROVM &&
	    ((r = strv_add(a, "-global")) < 0 || (r = strv_add(a, "virtio-mmio.force-legacy=false")) < 0))
		return r;
	for (size_t i = 0; i < vm->nshares; i++) {
		const struct engine_share *s = &vm->shares[i];
		if ((r = engine_share_tag_check(s->tag)) < 0)
			return r;
		if ((r = strv_add(a, "-chardev")) < 0)
			return r;
		if (s->fd >= 0) {
			r = strv_addf(a, "socket,id=fs%zu,fd=%d", i, s->fd);
		} else if (s->path) {
			_cleanup_free_ char *path = opt_escape(s->path);
			r = path ? strv_addf(a, "socket,id=fs%zu,path=%s", i, path) : -ENOMEM;
		} else {
			r = err_set(-EINVAL, "share '%s' has no socket", s->tag);
		}
		if (r < 0 || (r = strv_add(a, "-device")) < 0 ||
		    (r = strv_addf(a, "%s,chardev=fs%zu,tag=%s", dev, i, s->tag)) < 0)
			return r;
	}
	return 0;
}

/* Machine type, accelerator, CPUs and memory. */
static int add_machine(struct strv *a, const struct engine_vm *vm)
{
	int r;

	ADD("-machine");
	if (vm->machine == MACHINE_MICROVM)
		ADD("microvm,acpi=on,pcie=off,rtc=on,isa-serial=on");
	else if (vm->firmware != FIRMWARE_NONE && !vm->display.vnc)
		/* no display: SeaBIOS writes its messages ("No bootable
		 * device") to the serial console, where hv sees them */
		ADD("q35,smm=off,vmport=off,graphics=off");
	else
		ADD("q35,smm=off,vmport=off");
	ADD("-accel");
	ADD("%s", vm->accel == ACCEL_KVM ? "kvm" : "tcg");
	if (vm->accel == ACCEL_KVM) {
		ADD("-cpu");
		ADD("host");
	}
	ADD("-smp");
	ADD("%u", vm->cpus);
	ADD("-m");
	ADD("%lluM", (unsigned long long)vm->memory_mib);
	return 0;
}

/* A kernel QEMU loads itself; -kernel, -initrd and -append take plain
 * strings: no escaping. */
static int add_kernel(struct strv *a, const struct engine_vm *vm, struct engine_pass_fds *pf)
{
	_cleanup_free_ char *kernel = NULL, *initrd = NULL;
	int r;

	if (!vm->kernel)
		return 0;
	if (pf && ((r = pass_copy(pf, vm->kernel, &kernel)) < 0 ||
		   (vm->initrd && (r = pass_copy(pf, vm->initrd, &initrd)) < 0)))
		return r;
	ADD("-kernel");
	ADD("%s", kernel ? kernel : vm->kernel);
	if (vm->initrd) {
		ADD("-initrd");
		ADD("%s", initrd ? initrd : vm->initrd);
	}
	if (vm->cmdline) {
		ADD("-append");
		ADD("%s", vm->cmdline);
	}
	return 0;
}

/* The console and the devices every VM has: the serial console, the
 * virtio-serial ports, pvpanic, and a virtio-balloon device whose driver
 * reports the guest's memory every ENGINE_BALLOON_POLL_S seconds (hv
 * stats' guest figures; hv never inflates it). */
static int add_console(struct strv *a, const struct engine_vm *vm, struct engine_pass_fds *pf)
{
	int r;

	ADD("-chardev");
	if ((r = add_chardev(a, "console", &vm->console, pf)) < 0)
		return r;
	ADD("-serial");
	ADD("chardev:console");
	if ((r = add_virtio_serial(a, vm, pf)) < 0)
		return r;
	ADD("-device");
	ADD("pvpanic");
	ADD("-device");
	ADD("%s,id=balloon0,guest-stats-polling-interval=%d",
	    vm->machine == MACHINE_MICROVM ? "virtio-balloon-device" : "virtio-balloon-pci", ENGINE_BALLOON_POLL_S);
	ADD("-action");
	ADD("panic=exit-failure");
	return 0;
}

/* How hv controls QEMU: QMP, reboot policy, incoming state, sandbox. */
static int add_control(struct strv *a, const struct engine_vm *vm, struct engine_pass_fds *pf)
{
	int r;

	if (vm->qmp_path && pf) {
		struct engine_chardev c = { .fd = -1, .path = vm->qmp_path };
		ADD("-chardev");
		if ((r = add_chardev(a, "qmp", &c, pf)) < 0)
			return r;
		ADD("-mon");
		ADD("chardev=qmp,mode=control");
	} else if (vm->qmp_path) {
		_cleanup_free_ char *p = opt_escape(vm->qmp_path);
		if (!p)
			return -ENOMEM;
		ADD("-qmp");
		ADD("unix:%s,server=on,wait=off", p);
	}
	if (vm->qmp_fd >= 0) {
		ADD("-chardev");
		ADD("socket,id=hvmon,fd=%d", vm->qmp_fd);
		ADD("-mon");
		ADD("chardev=hvmon,mode=control");
	}
	if (vm->no_reboot)
		ADD("-no-reboot");
	if (vm->incoming_fd > 0) {
		ADD("-incoming");
		ADD("fd:%d", vm->incoming_fd);
	} else if (vm->incoming_defer) {
		ADD("-incoming");
		ADD("defer");
	}
	if (vm->start_paused)
		ADD("-S");
	if (vm->sandbox) {
		ADD("-sandbox");
		ADD("on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny");
	}
	ADD("-msg");
	ADD("timestamp=on");
	return 0;
}

int qemu_build_argv(const struct engine_vm *vm, const char *qemu_binary, struct strv *a)
{
	return qemu_build_argv_fds(vm, qemu_binary, a, NULL);
}

int qemu_build_argv_fds(const struct engine_vm *vm, const char *qemu_binary, struct strv *a, struct engine_pass_fds *pf)
{
	int r;

	if (pf)
		memset(pf, 0, sizeof(*pf));
	if (vm->cpus < 1 || vm->memory_mib < 1)
		return err_set(-EINVAL, "a VM needs at least 1 CPU and 1 MiB of memory");
	if (vm->accel != ACCEL_KVM && vm->accel != ACCEL_TCG)
		return err_set(-EINVAL, "accelerator not resolved");
	ADD("%s", qemu_binary);
	if (vm->name) {
		_cleanup_free_ char *name = opt_escape(vm->name);
		if (!name)
			return -ENOMEM;
		ADD("-name");
		ADD("%s", name);
	}
	if (vm->uuid) {
		ADD("-uuid");
		ADD("%s", vm->uuid);
	}
	ADD("-no-user-config");
	ADD("-nodefaults");
	if ((r = add_display(a, vm, pf)) < 0 || (r = add_machine(a, vm)) < 0 || (r = add_kernel(a, vm, pf)) < 0 ||
	    (r = add_firmware(a, vm, pf)) < 0 || (r = add_console(a, vm, pf)) < 0 || (r = add_disks(a, vm, pf)) < 0 ||
	    (r = add_cdroms(a, vm, pf)) < 0 || (r = add_nics(a, vm)) < 0 || (r = add_shares(a, vm)) < 0 ||
	    (r = add_control(a, vm, pf)) < 0)
		return r;
	/* QEMU takes the fd sets before it opens any drive, wherever they stand */
	return add_fdsets(a, pf);
}
#undef ADD

int qemu_kernel_params(enum machine m, enum accel a, unsigned long tsc_khz, char *buf, size_t n)
{
	int k = 0;

	buf[0] = '\0';
	/* microvm has no PCI host bridge: skip the kernel's probing (and its
	 * "PCI: Fatal" message) */
	if (m == MACHINE_MICROVM)
		k = snprintf(buf, n, "pci=off");
	/* microvm under TCG has no HPET or PM timer to calibrate the TSC
	 * against and sometimes hangs there: tell the kernel the rate */
	if (m == MACHINE_MICROVM && a == ACCEL_TCG && tsc_khz > 0)
		k += snprintf(buf + k, n - (size_t)k, "%stsc_early_khz=%lu", k ? " " : "", tsc_khz);
	if (k < 0 || (size_t)k >= n)
		return err_set(-ENAMETOOLONG, "kernel parameters too long");
	return 0;
}

int qemu_find_binary(char **out)
{
	const char *env = getenv("HV_QEMU");
	int r = proc_find_exe(env && *env ? env : "qemu-system-x86_64", out);

	if (r < 0)
		return err_set(-ENOENT, "%s not found; install it with: apt-get install qemu-system-x86 (or run make)",
			       env && *env ? env : "qemu-system-x86_64");
	return 0;
}
