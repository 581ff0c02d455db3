/* SPDX-License-Identifier: MIT */
/* Definition in, QEMU command line out, compared with golden files in
 * tests/unit/golden/ (one argument per line).  HV_UPDATE_GOLDEN=1
 * rewrites them; review the diff before committing. */
#include <errno.h>
#include <fcntl.h>

#include "engine/engine.h"
#include "t.h"
#include "util/err.h"
#include "util/fs.h"

static const char *const kinds[] = { "read", "rdwr", "append", "listen", "copy" };

/* With pf: QEMU without root, the fds to open follow the argv in the file. */
static void golden_fds(const char *name, const struct engine_vm *vm, struct engine_pass_fds *pf)
{
	struct strv argv = { 0 };
	char path[256], *want = NULL, *got;
	int r = qemu_build_argv_fds(vm, "qemu-system-x86_64", &argv, pf);

	CHECK(r == 0, "%s: argv builds: %s", name, r ? err_msg() : "");
	for (size_t i = 0; pf && i < pf->n; i++)
		strv_addf(&argv, "# fd %d set %d %s %s", pf->v[i].fd, pf->v[i].set, kinds[pf->v[i].kind],
			  pf->v[i].path);
	if (pf && pf->vnc_path)
		strv_addf(&argv, "# vnc clients on %s", pf->vnc_path);
	got = strv_join(&argv, "\n");
	snprintf(path, sizeof(path), "tests/unit/golden/%s.args", name);
	if (getenv("HV_UPDATE_GOLDEN")) {
		char *text = NULL;
		asprintf(&text, "%s\n", got);
		fs_write_atomic(AT_FDCWD, path, text, strlen(text), 0644);
		free(text);
	}
	r = fs_read_all(AT_FDCWD, path, 1 << 16, &want, NULL);
	CHECK(r == 0, "%s exists (HV_UPDATE_GOLDEN=1 creates it)", path);
	if (r == 0) {
		want[strcspn(want, "\0")] = '\0';
		size_t n = strlen(want);
		if (n && want[n - 1] == '\n')
			want[n - 1] = '\0';
		CHECK(!strcmp(got, want), "%s: command line differs from %s:\n--- got\n%s\n--- want\n%s", name, path,
		      got, want);
	}
	free(want);
	free(got);
	strv_free(&argv);
}

static void golden(const char *name, const struct engine_vm *vm)
{
	golden_fds(name, vm, NULL);
}

int main(void)
{
	/* a persistent default-guest VM with a qcow2 disk, as hv start builds it */
	struct engine_vm svc = {
		.name = "web",
		.uuid = "6f1c9f0e-3a52-4a47-9d0e-0b8c2a1e7d11",
		.cpus = 2,
		.memory_mib = 512,
		.machine = MACHINE_MICROVM,
		.accel = ACCEL_TCG,
		.kernel = "/opt/hv/guest/vmlinux",
		.initrd = "/opt/hv/guest/initramfs.cpio",
		.cmdline = "console=ttyS0 loglevel=3 panic=-1 cryptomgr.notests pci=off tsc_early_khz=2600000 "
			   "hv.mode=service hv.name=web",
		.disks = { { .path = "/var/lib/hv/vms/web/disk0.qcow2",
			     .format = "qcow2",
			     .readonly = false,
			     .bootindex = 0 } },
		.ndisks = 1,
		.console = { .fd = -1, .path = "console.sock", .logfile = "console.log" },
		.channel = { .fd = -1 },
		.qmp_path = "qmp.sock",
		.qmp_fd = 3,
		.sandbox = true,
	};
	/* hv run: everything on inherited sockets, no reboot */
	struct engine_vm run = {
		.name = "hv-run",
		.cpus = 1,
		.memory_mib = 256,
		.machine = MACHINE_MICROVM,
		.accel = ACCEL_TCG,
		.kernel = "/opt/hv/guest/vmlinux",
		.initrd = "/opt/hv/guest/initramfs.cpio",
		.cmdline = "console=ttyS0 hv.mode=run",
		.disks = { { .path = "/tmp/data.img", .format = "raw", .readonly = false, .bootindex = 0 } },
		.ndisks = 1,
		.console = { .fd = 3 },
		.channel = { .fd = 4 },
		.qmp_fd = 5,
		.no_reboot = true,
		.sandbox = true,
	};
	/* q35 on a KVM host, a user kernel, two disks, a read-only one */
	struct engine_vm q35 = {
		.name = "db",
		.uuid = "0a6c5d4e-1f2b-4c3d-8e9f-a0b1c2d3e4f5",
		.cpus = 4,
		.memory_mib = 4096,
		.machine = MACHINE_Q35,
		.accel = ACCEL_KVM,
		.kernel = "/boot/vmlinuz-custom",
		.cmdline = "console=ttyS0 root=/dev/vda",
		.disks = { { .path = "/srv/db/root.qcow2", .format = "qcow2", .readonly = false, .bootindex = 0 },
			   { .path = "/srv/db/seed.img", .format = "raw", .readonly = true, .bootindex = 0 } },
		.ndisks = 2,
		.console = { .fd = -1, .path = "console.sock", .logfile = "console.log" },
		.channel = { .fd = -1 },
		.qmp_path = "qmp.sock",
		.qmp_fd = -1,
	};
	/* commas in names and paths must not inject QEMU options */
	struct engine_vm evil = run;
	evil.name = "a,b";
	evil.disks[0] = (struct engine_disk){
		.path = "/tmp/x,file=/etc/shadow", .format = "raw", .readonly = false, .bootindex = 0
	};
	evil.console = (struct engine_chardev){ .fd = -1, .path = "c,s.sock", .logfile = "l,og" };

	/* a distribution image booted by SeaBIOS: disk first, then the
	 * installer CD; the cloud-init seed is no boot device; no PXE ROM */
	struct engine_vm bios = {
		.name = "deb",
		.uuid = "11111111-2222-4333-8444-555555555555",
		.cpus = 2,
		.memory_mib = 1024,
		.machine = MACHINE_Q35,
		.accel = ACCEL_TCG,
		.firmware = FIRMWARE_BIOS,
		.disks = { { .path = "disk0.qcow2", .format = "qcow2", .readonly = false, .bootindex = 1 } },
		.ndisks = 1,
		.cdroms = { { .path = "/srv/iso/debian,12.iso", .format = "raw", .readonly = true, .bootindex = 2 },
			    { .path = "seed.iso", .format = "raw", .readonly = true, .bootindex = 0 } },
		.ncdroms = 2,
		.nics = { { .user = true, .tap_fd = -1, .mac = { 0x52, 0x54, 0, 1, 2, 3 } } },
		.nnics = 1,
		.console = { .fd = -1, .path = "console.sock", .logfile = "console.log" },
		.channel = { .fd = -1 },
		.qmp_path = "qmp.sock",
		.qmp_fd = 3,
		.sandbox = true,
	};
	/* UEFI with a graphical console on a unix socket, an empty CD drive */
	struct engine_vm uefi = bios;
	uefi.firmware = FIRMWARE_UEFI;
	uefi.uefi_code = "/usr/share/OVMF/OVMF_CODE_4M.fd";
	uefi.uefi_vars = "uefi-vars.fd";
	uefi.cdroms[0] = (struct engine_disk){ .path = NULL, .format = "raw", .readonly = true, .bootindex = 2 };
	uefi.ncdroms = 1;
	uefi.display = (struct engine_display){ .vnc = true, .unix_path = "vnc.sock" };
	struct engine_vm vnctcp = bios;
	vnctcp.display = (struct engine_display){ .vnc = true, .host = "127.0.0.1", .port = 5907 };

	golden("q35-bios-image", &bios);
	golden("q35-uefi-vnc", &uefi);
	golden("q35-vnc-tcp", &vnctcp);
	golden("microvm-service", &svc);
	golden("microvm-run", &run);
	golden("q35-kvm", &q35);
	golden("comma-escaping", &evil);

	/* shared folders: a persistent VM with two (virtiofsd's sockets
	 * inherited, connected), and a q35 one by socket path */
	struct engine_vm shared = svc;
	shared.shares[0] = (struct engine_share){ .fd = 10, .tag = "src" };
	shared.shares[1] = (struct engine_share){ .fd = 11, .tag = "data.ro" };
	shared.nshares = 2;
	golden("microvm-shares", &shared);
	struct engine_vm shared35 = q35;
	shared35.shares[0] = (struct engine_share){ .fd = -1, .path = "fs,0.sock", .tag = "home" };
	shared35.nshares = 1;
	golden("q35-share", &shared35);

	/* QEMU without root: every file, socket and boot file through an fd;
	 * an overlay's backing images named as options (QEMU has no path to
	 * follow the header's name) */
	struct engine_pass_fds pf;
	struct engine_vm jailed = uefi;
	jailed.disks[0].backing[0] = "/store/images/deb/disk.qcow2";
	jailed.disks[0].backing_format[0] = "qcow2";
	jailed.disks[0].backing[1] = "/store/images/deb/base.raw";
	jailed.disks[0].backing_format[1] = "raw";
	jailed.disks[0].nbacking = 2;
	jailed.disks[1] =
	    (struct engine_disk){ .path = "/data/ro.raw", .format = "raw", .readonly = true, .bootindex = 0 };
	jailed.ndisks = 2;
	jailed.agent_path = "agent.sock";
	golden_fds("q35-uefi-vnc-jailed", &jailed, &pf);
	CHECK(pf.n == 12 && pf.vnc_path && !strcmp(pf.vnc_path, "vnc.sock"), "the jailed plan has 12 fds and VNC: %zu",
	      pf.n);
	golden_fds("microvm-service-jailed", &svc, &pf);
	CHECK(pf.v[0].kind == ENGINE_FD_COPY && pf.v[0].set == -1, "a kernel is a memfd copy outside any fd set");

	/* refusals */
	struct strv argv = { 0 };
	struct engine_vm many = jailed;
	for (size_t j = 2; j < ENGINE_MAX_BACKING; j++) {
		many.disks[0].backing[j] = "/store/b.raw";
		many.disks[0].backing_format[j] = "raw";
	}
	many.disks[0].nbacking = ENGINE_MAX_BACKING;
	for (size_t i = 1; i < ENGINE_MAX_DISKS; i++)
		many.disks[i] = many.disks[0];
	many.ndisks = ENGINE_MAX_DISKS;
	CHECK(qemu_build_argv_fds(&many, "qemu", &argv, &pf) == -E2BIG && strstr(err_msg(), "at most"),
	      "more fds than QEMU may be handed are refused: %s", err_msg());
	strv_free(&argv);
	many = jailed;
	many.disks[0].backing_format[1] = NULL;
	CHECK(qemu_build_argv_fds(&many, "qemu", &argv, &pf) == -EINVAL && strstr(err_msg(), "base.raw"),
	      "a backing image without a format is refused: %s", err_msg());
	strv_free(&argv);
	struct engine_vm bad = run;
	bad.disks[0].format = "vmdk";
	CHECK(qemu_build_argv(&bad, "qemu", &argv) == -EINVAL, "an unknown disk format is refused");
	strv_free(&argv);
	bad = run;
	bad.accel = ACCEL_AUTO;
	CHECK(qemu_build_argv(&bad, "qemu", &argv) == -EINVAL, "an unresolved accelerator is refused");
	strv_free(&argv);

	bad = bios;
	bad.machine = MACHINE_MICROVM;
	CHECK(qemu_build_argv(&bad, "qemu", &argv) == -EINVAL && strstr(err_msg(), "q35"),
	      "microvm cannot boot through firmware: %s", err_msg());
	strv_free(&argv);
	bad = bios;
	bad.kernel = "/boot/vmlinuz";
	CHECK(qemu_build_argv(&bad, "qemu", &argv) == -EINVAL, "a kernel and firmware boot are exclusive");
	strv_free(&argv);
	bad = uefi;
	bad.uefi_vars = NULL;
	CHECK(qemu_build_argv(&bad, "qemu", &argv) == -EINVAL, "UEFI needs a variable store");
	strv_free(&argv);
	bad = vnctcp;
	bad.display.port = 80;
	CHECK(qemu_build_argv(&bad, "qemu", &argv) == -EINVAL, "VNC port below 5900 refused");
	strv_free(&argv);

	/* a tag is the guest's mount point name and part of QEMU's options */
	const char *bad_tags[] = { "", "a,b", "x y", "../etc", "-o", "a/b", "0123456789012345678901234567890123456" };
	for (size_t i = 0; i < sizeof(bad_tags) / sizeof(*bad_tags); i++) {
		bad = shared;
		bad.shares[1].tag = bad_tags[i];
		CHECK(qemu_build_argv(&bad, "qemu", &argv) == -EINVAL && strstr(err_msg(), "share tag"),
		      "tag '%s' refused: %s", bad_tags[i], err_msg());
		strv_free(&argv);
	}
	CHECK(engine_share_tag_check("012345678901234567890123456789012345") == 0, "a 36-byte tag is fine");
	bad = shared;
	bad.shares[0] = (struct engine_share){ .fd = -1, .tag = "x" };
	CHECK(qemu_build_argv(&bad, "qemu", &argv) == -EINVAL, "a share without a socket is refused");
	strv_free(&argv);

	char params[128];
	CHECK(qemu_kernel_params(MACHINE_MICROVM, ACCEL_TCG, 2600000, params, sizeof(params)) == 0 &&
		  !strcmp(params, "pci=off tsc_early_khz=2600000"),
	      "microvm under TCG gets pci=off and the TSC rate: '%s'", params);
	CHECK(qemu_kernel_params(MACHINE_MICROVM, ACCEL_KVM, 2600000, params, sizeof(params)) == 0 &&
		  !strcmp(params, "pci=off"),
	      "microvm under KVM calibrates its TSC itself: '%s'", params);
	CHECK(qemu_kernel_params(MACHINE_Q35, ACCEL_TCG, 2600000, params, sizeof(params)) == 0 && !params[0],
	      "q35 needs nothing: '%s'", params);
	T_DONE();
}
