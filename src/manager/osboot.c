/* SPDX-License-Identifier: MIT */
/* What a distribution VM adds to its start: firmware or the image's own
 * kernel, CD-ROMs (installer, cloud-init seed), a display, and the SSH
 * port forward that hv ssh uses. */
#include "manager/osboot.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "guest/cidata.h"
#include "image/catalog.h"
#include "manager/store.h"
#include "network/addr.h"
#include "network/nic.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/jsonfile.h"

#define SEED_FILE     "seed.iso"
#define USERDATA_FILE "user-data.in"
#define SSH_FILE      "ssh.json"

void osboot_free(struct osboot *ob)
{
	free(ob->kernel);
	free(ob->initrd);
	free(ob->cmdline);
	free(ob->hostfwd);
	memset(ob, 0, sizeof(*ob));
}

const char *osboot_uefi_code(void)
{
	const char *env = getenv("HV_OVMF_CODE");

	return env && *env ? env : "/usr/share/OVMF/OVMF_CODE_4M.fd";
}

const char *osboot_uefi_vars_template(void)
{
	const char *env = getenv("HV_OVMF_VARS");

	return env && *env ? env : "/usr/share/OVMF/OVMF_VARS_4M.fd";
}

/* The image's own kernel and initrd, loaded by QEMU: no firmware, no GRUB. */
static int kernel_from_image(const struct vmdef *d, struct osboot *ob)
{
	struct hv_image img = { 0 };
	int r;

	if ((r = image_lookup(d->image, &img)) < 0)
		return err_prefix(r, "VM '%s' boots the kernel of image '%s'", d->name, d->image);
	if (!img.kernel || !img.cmdline) {
		image_free(&img);
		return err_set(-EINVAL,
			       "image '%s' has no kernel of its own on record: boot it through firmware (hv set %s "
			       "--boot firmware)",
			       d->image, d->name);
	}
	ob->kernel = TAKE_PTR(img.kernel);
	ob->initrd = TAKE_PTR(img.initrd);
	if (asprintf(&ob->cmdline, "%s%s%s", img.cmdline, d->cmdline ? " " : "", d->cmdline ? d->cmdline : "") < 0)
		ob->cmdline = NULL;
	image_free(&img);
	return ob->cmdline ? 0 : -ENOMEM;
}

struct cidata osboot_cidata(const struct vmdef *d)
{
	return (struct cidata){
		.instance_id = d->uuid,
		.hostname = d->name,
		.user = d->ci.user,
		.ssh_keys = (const char *const *)d->ci.ssh_keys,
		.n_ssh_keys = d->ci.n_ssh_keys,
		.password_hash = d->ci.password_hash,
	};
}

/* hv's init is not there to mount the shared folders: cloud-init does. */
static void cidata_shares(const struct vmdef *d, struct cidata *c)
{
	for (unsigned i = 0; i < d->shares.n && i < ENGINE_MAX_SHARES; i++) {
		snprintf(c->shares[i].tag, sizeof(c->shares[i].tag), "%s", d->shares.v[i].tag);
		c->shares[i].readonly = d->shares.v[i].readonly;
	}
	c->n_shares = d->shares.n;
}

/* The NoCloud seed, written afresh at every start from the definition
 * (instance-id is the VM's UUID, so cloud-init runs its per-instance
 * steps once and takes later changes of keys and users as updates). */
static int write_seed(struct vm_handle *h, const struct vmdef *d)
{
	_cleanup_free_ char *user_data = NULL;
	struct cidata_nic nics[NIC_MAX];
	char macs[NIC_MAX][18], names[NIC_MAX][16];
	size_t len = 0;
	int r;

	struct cidata c = osboot_cidata(d);
	cidata_shares(d, &c);
	c.nics = nics;
	c.n_nics = d->nnics;
	for (unsigned i = 0; i < d->nnics; i++) {
		mac_format(d->nics[i].mac, macs[i], sizeof(macs[i]));
		snprintf(names[i], sizeof(names[i]), "eth%u", i);
		nics[i] = (struct cidata_nic){ .mac = macs[i], .name = names[i] };
	}
	if (d->ci.user_data) {
		if ((r = fs_read_all(h->dirfd, USERDATA_FILE, CIDATA_USER_DATA_MAX, &user_data, &len)) < 0)
			return err_prefix(r, "VM '%s': its cloud-init user-data (%s)", d->name, USERDATA_FILE);
		c.user_data = user_data;
		c.user_data_len = len;
		c.user_data_name = USERDATA_FILE;
	}
	if ((r = cidata_write_at(h->dirfd, SEED_FILE, &c)) < 0)
		return err_prefix(r, "VM '%s': cloud-init seed", d->name);
	return 0;
}

int osboot_prepare(struct vm_handle *h, const struct vmdef *d, struct engine_vm *vm, struct osboot *ob)
{
	int r;

	memset(ob, 0, sizeof(*ob));
	if (d->boot_kernel) {
		if ((r = kernel_from_image(d, ob)) < 0)
			return r;
		vm->kernel = ob->kernel;
		vm->initrd = ob->initrd;
		vm->cmdline = ob->cmdline;
	} else if (d->firmware != FIRMWARE_NONE) {
		vm->kernel = vm->initrd = vm->cmdline = NULL;
		vm->firmware = d->firmware;
		if (d->firmware == FIRMWARE_UEFI) {
			vm->uefi_code = osboot_uefi_code();
			vm->uefi_vars = OSBOOT_UEFI_VARS;
			if (access(vm->uefi_code, R_OK) < 0)
				return err_errno(-errno, "UEFI firmware %s (install it with: apt-get install ovmf)",
						 vm->uefi_code);
			if (!fs_exists_at(h->dirfd, OSBOOT_UEFI_VARS))
				return err_set(-ENOENT, "VM '%s' has lost its UEFI variable store (%s)", d->name,
					       OSBOOT_UEFI_VARS);
		}
		/* the first disk boots, then the CD-ROM (an installer) */
		if (vm->ndisks)
			vm->disks[0].bootindex = 1;
	} else {
		return 0;
	}
	if (d->cdrom) {
		if (access(d->cdrom, R_OK) < 0)
			return err_errno(-errno, "VM '%s': CD-ROM image %s (eject it with: hv set %s --cdrom none)",
					 d->name, d->cdrom, d->name);
		vm->cdroms[vm->ncdroms++] =
		    (struct engine_disk){ .path = d->cdrom, .format = "raw", .readonly = true, .bootindex = 2 };
	}
	if (d->ci.enabled) {
		/* a read-only virtio disk rather than a CD-ROM: cloud kernels
		 * (Debian's among them) have no AHCI driver to see q35's CD
		 * drive, and NoCloud finds the seed by its label on any disk */
		if (vm->ndisks == ENGINE_MAX_DISKS)
			return err_set(-E2BIG, "VM '%s' has no room for its cloud-init seed (at most %d disks)",
				       d->name, ENGINE_MAX_DISKS - 1);
		if ((r = write_seed(h, d)) < 0)
			return r;
		vm->disks[vm->ndisks++] = (struct engine_disk){ .path = SEED_FILE, .format = "raw", .readonly = true };
	}
	if (d->display.vnc)
		vm->display = (struct engine_display){ .vnc = true,
						       .unix_path = d->display.host[0] ? NULL : OSBOOT_VNC_SOCKET,
						       .host = d->display.host[0] ? d->display.host : NULL,
						       .port = d->display.port };
	return 0;
}

/* A free TCP port on 127.0.0.1 (the kernel picks; QEMU binds it a moment
 * later, and a start that loses that race fails with QEMU's message). */
static int free_port(unsigned *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	_cleanup_close_ int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) < 0)
		return err_errno(-errno, "cannot find a free port for SSH");
	*port = ntohs(a.sin_port);
	return 0;
}

int osboot_ssh_forward(struct vm_handle *h, const struct vmdef *d, struct engine_vm *vm, struct osboot *ob)
{
	char text[128];
	int r;

	if (!d->ci.enabled && !d->image[0])
		return 0;
	for (size_t i = 0; i < vm->nnics; i++) {
		struct engine_nic *n = &vm->nics[i];
		if (!n->user || n->nhostfwd == ENGINE_MAX_HOSTFWD)
			continue;
		if ((r = free_port(&ob->ssh_port)) < 0)
			return r;
		if (asprintf(&ob->hostfwd, "tcp:127.0.0.1:%u-:22", ob->ssh_port) < 0) {
			ob->hostfwd = NULL;
			return -ENOMEM;
		}
		n->hostfwd[n->nhostfwd++] = ob->hostfwd;
		snprintf(text, sizeof(text), "{ \"host\": \"127.0.0.1\", \"port\": %u }", ob->ssh_port);
		return json_write_atomic(h->dirfd, SSH_FILE, text);
	}
	/* no NAT NIC: hv ssh goes to the guest's address */
	unlinkat(h->dirfd, SSH_FILE, 0);
	return 0;
}

/* The SSH forward in the last start's command line (qemu.args): the last
 * "hostfwd=tcp:127.0.0.1:PORT-:22", as osboot_ssh_forward adds it. */
static int ssh_port_from_args(int dirfd, unsigned *port)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_json_ struct json_object *arr = NULL;
	static const char key[] = "hostfwd=tcp:127.0.0.1:";
	size_t len;
	int r;

	*port = 0;
	if ((r = fs_read_all(dirfd, "qemu.args", 1 << 20, &text, &len)) < 0 ||
	    (r = json_parse(text, len, "qemu.args", &arr)) < 0)
		return r;
	if (!json_object_is_type(arr, json_type_array))
		return err_set(-EINVAL, "qemu.args: expected an array, got %s", json_kind_name(arr));
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		struct json_object *a = json_object_array_get_idx(arr, i);
		const char *s = json_object_is_type(a, json_type_string) ? json_object_get_string(a) : NULL;
		for (; s && (s = strstr(s, key)); s++) {
			char *end;
			unsigned long p = strtoul(s + sizeof(key) - 1, &end, 10);
			if (p >= 1 && p <= 65535 && !strncmp(end, "-:22", 4) && (end[4] == ',' || !end[4]))
				*port = (unsigned)p;
		}
	}
	return 0;
}

/* ssh.json is damaged: the forward is re-derived from the command line
 * QEMU was started with, and the record rewritten (or removed: none). */
static int ssh_rederive(int dirfd, char *host, size_t n, unsigned *port)
{
	char why[512], text[128];
	int r;

	snprintf(why, sizeof(why), "%s", err_msg());
	if ((r = ssh_port_from_args(dirfd, port)) < 0)
		return err_prefix(r, "%s is damaged (%s), and the forward cannot be found", SSH_FILE, why);
	if (!*port) {
		unlinkat(dirfd, SSH_FILE, 0);
		err_warn("%s was damaged (%s): QEMU has no SSH forward; removed it", SSH_FILE, why);
		return -ENOENT;
	}
	snprintf(host, n, "127.0.0.1");
	snprintf(text, sizeof(text), "{ \"host\": \"127.0.0.1\", \"port\": %u }", *port);
	if ((r = json_write_atomic(dirfd, SSH_FILE, text)) < 0)
		return err_prefix(r, "%s is damaged (%s) and cannot be rewritten", SSH_FILE, why);
	err_warn("%s was damaged (%s): rewritten from qemu.args (127.0.0.1 port %u)", SSH_FILE, why, *port);
	return 0;
}

int osboot_ssh_endpoint(int dirfd, char *host, size_t n, unsigned *port)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_json_ struct json_object *o = NULL;
	const char *h;
	int64_t p;
	size_t len;
	int r;

	if ((r = fs_read_all(dirfd, SSH_FILE, 4096, &text, &len)) < 0)
		return r == -EFBIG ? ssh_rederive(dirfd, host, n, port) : r;
	if ((r = json_parse_object(text, len, SSH_FILE, &o)) < 0 || (r = json_need_str(o, "host", SSH_FILE, &h)) < 0 ||
	    (r = json_get_int64(o, "port", SSH_FILE, &p)) < 0) {
		if (r == -ENOENT)
			err_set(-EINVAL, "%s: port is missing", SSH_FILE);
		return r == -ENOMEM ? r : ssh_rederive(dirfd, host, n, port);
	}
	if (p < 1 || p > 65535 || strlen(h) >= n) {
		err_set(-EINVAL, "%s: bad endpoint", SSH_FILE);
		return ssh_rederive(dirfd, host, n, port);
	}
	snprintf(host, n, "%s", h);
	*port = (unsigned)p;
	return 0;
}
