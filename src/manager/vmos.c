/* SPDX-License-Identifier: MIT */
/* hv create for distribution VMs: from a catalogue image, from an
 * installer ISO, with cloud-init (the definition side of osboot.c). */
#include "manager/vmos.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guest/cidata.h"
#include "image/catalog.h"
#include "manager/osboot.h"
#include "storage/image.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/strv.h"

/* The invoking user: the one sudo ran us for, else our own. */
static int invoking_user(char *name, size_t n, char **home)
{
	const char *sudo = getenv("SUDO_USER");
	struct passwd *pw = sudo && *sudo ? getpwnam(sudo) : getpwuid(getuid());

	if (!pw)
		return err_set(-ENOENT, "cannot tell who you are (no passwd entry): give --user and --ssh-key");
	snprintf(name, n, "%s", pw->pw_name);
	*home = strdup(pw->pw_dir);
	return *home ? 0 : -ENOMEM;
}

/* Render the seed once now, so whatever cloud-init would refuse or ignore
 * (a user-data file that is neither #cloud-config nor a script, a bad
 * user name) is refused by hv create, not found at the first start.  The
 * NICs are not known yet: they do not change what can fail. */
static int check_seed(const struct vm_os_opts *os, const struct vmdef *d)
{
	_cleanup_free_ char *user_data = NULL;
	struct cidata_seed seed = { 0 };
	size_t len = 0;
	int r;

	if (os->cloud_init && (r = fs_read_all(AT_FDCWD, os->cloud_init, CIDATA_USER_DATA_MAX, &user_data, &len)) < 0)
		return err_prefix(r, "--cloud-init %s", os->cloud_init);
	struct cidata c = osboot_cidata(d);
	c.user_data = user_data;
	c.user_data_len = len;
	c.user_data_name = os->cloud_init;
	r = cidata_render(&c, &seed);
	cidata_seed_free(&seed);
	return r;
}

static int plan_cloud_init(const struct vm_os_opts *os, struct vmdef *d)
{
	_cleanup_strv_ struct strv keys = { 0 };
	_cleanup_free_ char *home = NULL, *sshdir = NULL;
	char who[64];
	int r;

	if ((r = invoking_user(who, sizeof(who), &home)) < 0 && (!os->user || !os->nkeys))
		return r;
	const char *user = os->user ? os->user : who;
	size_t ulen = strlen(user);
	if (ulen >= sizeof(d->ci.user))
		return err_set(-EINVAL, "user name '%s': at most %zu characters (give --user)", user,
			       sizeof(d->ci.user) - 1);
	memcpy(d->ci.user, user, ulen + 1);
	for (unsigned i = 0; i < os->nkeys; i++) {
		size_t len = strlen(os->keys[i]);
		if ((r = cidata_load_ssh_keys(os->keys[i], &keys)) < 0)
			return r;
		/* KEY.pub with KEY beside it: hv ssh offers KEY */
		if (!d->ci.identity && len > 4 && !strcmp(os->keys[i] + len - 4, ".pub")) {
			_cleanup_free_ char *priv = strndup(os->keys[i], len - 4);
			if (priv && access(priv, R_OK) == 0)
				d->ci.identity = realpath(priv, NULL);
		}
	}
	if (!os->nkeys) {
		if (asprintf(&sshdir, "%s/.ssh", home) < 0)
			return -ENOMEM;
		if ((r = cidata_default_ssh_keys(sshdir, &keys)) < 0)
			return err_prefix(r, "--ssh-key not given");
	}
	if (keys.n > VMDEF_MAX_SSH_KEYS)
		return err_set(-E2BIG, "at most %d SSH keys", VMDEF_MAX_SSH_KEYS);
	for (size_t i = 0; i < keys.n; i++) {
		if (!(d->ci.ssh_keys[i] = strdup(keys.v[i])))
			return -ENOMEM;
		d->ci.n_ssh_keys++;
	}
	if (os->password_file && (r = cidata_load_password(os->password_file, &d->ci.password_hash)) < 0)
		return r;
	d->ci.user_data = os->cloud_init != NULL;
	d->ci.enabled = true;
	return check_seed(os, d);
}

int vmos_plan(const struct vm_os_opts *os, struct vmdef *d, char **base, char *base_format, size_t n,
	      uint64_t *disk_size)
{
	struct hv_image img = { 0 };
	int r;

	*base = NULL;
	*disk_size = 0;
	if (os->firmware && (r = firmware_parse(os->firmware, &d->firmware)) < 0)
		return r;
	if (os->boot && strcmp(os->boot, "kernel") && strcmp(os->boot, "firmware"))
		return err_set(-EINVAL, "--boot %s: use kernel or firmware", os->boot);
	if (os->graphics && (r = vmdef_display_parse(os->graphics, &d->display)) < 0)
		return r;
	if (os->cdrom) {
		if (!(d->cdrom = realpath(os->cdrom, NULL)))
			return err_errno(-errno, "--cdrom %s", os->cdrom);
		if ((r = access(d->cdrom, R_OK)) < 0)
			return err_errno(-errno, "--cdrom %s", os->cdrom);
	}
	if (os->image) {
		if ((r = image_lookup(os->image, &img)) < 0)
			return r;
		snprintf(d->image, sizeof(d->image), "%s", img.name);
		*base = TAKE_PTR(img.disk);
		snprintf(base_format, n, "qcow2");
		*disk_size = os->disk_size > img.virtual_size ? os->disk_size : 0;
		if (os->disk_size && os->disk_size < img.virtual_size) {
			image_free(&img);
			free(*base);
			*base = NULL;
			return err_set(-EINVAL, "--disk-size is smaller than image '%s' (%llu bytes)", os->image,
				       (unsigned long long)img.virtual_size);
		}
		/* the image's own kernel, loaded directly, is the fast path (no
		 * firmware, no GRUB); --boot firmware boots as real hardware */
		d->boot_kernel = os->boot ? !strcmp(os->boot, "kernel") : img.kernel != NULL;
		if (d->boot_kernel && !img.kernel) {
			image_free(&img);
			return err_set(-EINVAL, "image '%s' has no kernel on record (imported): use --boot firmware",
				       os->image);
		}
		if (!os->firmware)
			d->firmware = FIRMWARE_BIOS;
		if (d->firmware == FIRMWARE_UEFI && !img.uefi)
			r = err_set(-EINVAL, "image '%s' cannot boot with UEFI", os->image);
		image_free(&img);
		if (r < 0)
			return r;
		if ((r = plan_cloud_init(os, d)) < 0)
			return r;
	} else if (os->user || os->nkeys || os->password_file || os->cloud_init) {
		return err_set(-EINVAL, "--user, --ssh-key, --password-file and --cloud-init go with --image");
	} else if (os->boot) {
		return err_set(-EINVAL, "--boot goes with --image");
	} else if (!os->firmware) {
		d->firmware = FIRMWARE_BIOS; /* an installer ISO, or a disk to boot as it is */
	}
	d->machine = MACHINE_Q35;
	return 0;
}

int vmos_stage(const struct vm_os_opts *os, const struct vmdef *d, int stagefd)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r;

	if (d->firmware == FIRMWARE_UEFI) {
		_cleanup_close_ int fd = -1;
		if ((r = fs_read_all(AT_FDCWD, osboot_uefi_vars_template(), 16 << 20, &text, &len)) < 0)
			return err_prefix(r, "UEFI variable store template %s (install it with: apt-get install ovmf)",
					  osboot_uefi_vars_template());
		if ((r = fs_write_atomic(stagefd, OSBOOT_UEFI_VARS, text, len, 0600)) < 0)
			return r;
		free(text);
		text = NULL;
	}
	if (os->cloud_init) {
		if ((r = fs_read_all(AT_FDCWD, os->cloud_init, CIDATA_USER_DATA_MAX, &text, &len)) < 0)
			return err_prefix(r, "--cloud-init %s", os->cloud_init);
		if ((r = fs_write_atomic(stagefd, "user-data.in", text, len, 0600)) < 0)
			return r;
	}
	return 0;
}
