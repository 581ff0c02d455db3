/* SPDX-License-Identifier: MIT */
/* Start, stop, kill, pause and resume persistent VMs. */
#include "manager/power.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/ops.h"
#include "engine/qmp-ops.h"
#include "guest/boot.h"
#include "jail/jail.h"
#include "storage/image.h"
#include "manager/guestexec.h"
#include "manager/osboot.h"
#include "manager/readywait.h"
#include "manager/store.h"
#include "manager/virtiofs.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/jsonfile.h"
#include "util/proc.h"

#define START_TIMEOUT_MS   60000     /* QEMU up and answering QMP */
#define CONSOLE_LOG_ROTATE (1 << 20) /* keep one previous log of at most this size */
#define REPRESS_MS	   2000	     /* hv stop presses the power button again this often */
#define ENDED_GRACE_MS	   3000	     /* a press that failed: how long QEMU may take to be seen gone */
#define AGENT_AFTER_MS	   10000     /* hv stop: a guest still up this long after the button ignored it */

/* Shared folders: the monitor starts their virtiofsds from virtiofs.json
 * and hands QEMU the connections; hv's init mounts them by tag. */
static int add_shares(struct vm_handle *h, const struct vmdef *d, struct guest_boot *boot, struct engine_vm *vm)
{
	int r;

	if (d->shares.n && (r = share_set_check(&d->shares)) < 0)
		return err_prefix(r, "VM '%s'", d->name);
	if (boot->hv_init && (r = share_kernel_args(&d->shares, &boot->cmdline)) < 0)
		return r;
	vm->cmdline = boot->cmdline;
	share_engine(&d->shares, QEMU_FS_FD, vm);
	return virtiofs_save_plan(h->dirfd, &d->shares);
}

static int build_engine_vm(struct vm_handle *h, const struct vmdef *d, enum accel accel, struct guest_boot *boot,
			   char *paths[], struct engine_vm *vm)
{
	int r;

	/* a transient VM's guest runs one command and powers off (hv run) */
	if ((r = guest_boot_resolve(d->kernel, d->initrd, d->cmdline, d->transient ? "run" : "service",
				    d->transient ? "hv" : d->name, d->machine, accel, boot)) < 0)
		return r;
	memset(vm, 0, sizeof(*vm));
	vm->name = d->name;
	vm->uuid = d->uuid;
	vm->cpus = d->cpus;
	vm->memory_mib = d->memory_mib;
	vm->machine = d->machine;
	vm->accel = accel;
	vm->kernel = boot->kernel;
	vm->initrd = boot->initrd[0] ? boot->initrd : NULL;
	vm->cmdline = boot->cmdline;
	/* relative paths: QEMU runs in the VM folder, and unix socket paths
	 * must stay short whatever HV_HOME is */
	vm->console = (struct engine_chardev){ .fd = -1, .path = "console.sock", .logfile = "console.log" };
	vm->channel.fd = QEMU_CHANNEL_FD; /* the guest reports its addresses here */
	vm->qmp_path = "qmp.sock";
	vm->qmp_fd = QEMU_QMP_FD;
	vm->sandbox = true;
	vm->no_reboot = d->transient; /* a reboot ends a transient VM */
	/* guests without hv's init may run qemu-guest-agent */
	if (vm_guest_way(d) == GUEST_WAY_AGENT)
		vm->agent_path = "agent.sock";
	for (unsigned i = 0; i < d->ndisks; i++) {
		if ((r = vm_disk_path(h->dir, &d->disks[i], &paths[i])) < 0)
			return r;
		if (access(paths[i], R_OK | W_OK) < 0)
			return err_errno(-errno, "disk %s of VM '%s'", paths[i], d->name);
		/* hv's own disks must still be what hv made; formats come from vm.json, never from the image */
		if ((r = image_verify(paths[i], d->disks[i].format, d->disks[i].owned ? d->disks[i].backing : NULL)) <
		    0)
			return err_prefix(r, "VM '%s'", d->name);
		vm->disks[i] = (struct engine_disk){ .path = paths[i], .format = d->disks[i].format };
	}
	vm->ndisks = d->ndisks;
	return add_shares(h, d, boot, vm);
}

static int save_args(int dirfd, const struct strv *argv)
{
	_cleanup_json_ struct json_object *arr = json_object_new_array();

	if (!arr)
		return -ENOMEM;
	for (size_t i = 0; i < argv->n; i++)
		json_object_array_add(arr, json_object_new_string(argv->v[i]));
	return json_write_atomic(dirfd, "qemu.args", json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY));
}

static void prepare_folder(int dirfd)
{
	struct stat st;

	unlinkat(dirfd, "console.sock", 0);
	unlinkat(dirfd, "qmp.sock", 0);
	unlinkat(dirfd, "agent.sock", 0);
	unlinkat(dirfd, "stop-intent", 0);
	if (fstatat(dirfd, "console.log", &st, 0) == 0 && st.st_size > CONSOLE_LOG_ROTATE)
		renameat(dirfd, "console.log", dirfd, "console.log.1");
}

/* QEMU runs without root and reaches the VM's files only through fds the
 * monitor opens for it: the argv names them, qemu.fds says what to open. */
static int build_jailed_argv(struct vm_handle *h, struct engine_vm *vm, const char *qemu, struct strv *argv)
{
	struct jail_chain chains[ENGINE_MAX_DISKS];
	struct engine_pass_fds pf;
	size_t n = 0;
	int r = 0;

	for (; r == 0 && n < vm->ndisks; n++)
		r = jail_disk_chain(h->dirfd, &vm->disks[n], &chains[n]);
	if (r == 0 && (r = qemu_build_argv_fds(vm, qemu, argv, &pf)) == 0)
		r = jail_plan_save(h->dirfd, &pf);
	for (size_t i = 0; i < n; i++)
		jail_chain_free(&chains[i]);
	return r;
}

/* Read the monitor's one-line report: "ok PID" or "error MESSAGE". */
static int read_report(int fd, struct vm_started *out)
{
	char buf[1024];
	size_t used = 0;
	uint64_t deadline = proc_now_ms() + START_TIMEOUT_MS;

	while (used < sizeof(buf) - 1) {
		struct pollfd pf = { fd, POLLIN, 0 };
		int left = (int)(deadline > proc_now_ms() ? deadline - proc_now_ms() : 0);
		ssize_t n;
		if (left == 0 || poll(&pf, 1, left) == 0)
			return err_set(-ETIMEDOUT, "QEMU did not come up within %d s (see qemu.log)",
				       START_TIMEOUT_MS / 1000);
		n = read(fd, buf + used, sizeof(buf) - 1 - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		used += (size_t)n;
		if (memchr(buf, '\n', used))
			break;
	}
	buf[used] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (!strncmp(buf, "ok ", 3)) {
		out->pid = atoi(buf + 3);
		return 0;
	}
	if (!strncmp(buf, "error ", 6))
		return err_set(-EIO, "%s", buf + 6);
	return err_set(-EIO, "hv's monitor for the VM ended without a report");
}

/* Wait until an incoming VM state has been loaded (QEMU leaves
 * "inmigrate"), then let it run unless it was saved paused. */
static int wait_state_loaded(struct vm_handle *h, bool paused)
{
	struct qmp *q = NULL;
	int r = vm_qmp_open(h, &q);

	if (r == 0)
		r = qmp_wait_incoming(q, paused, START_TIMEOUT_MS);
	qmp_close(q);
	return r < 0 ? err_prefix(r, "loading the saved VM state failed (see qemu.log)") : 0;
}

/* QEMU killed in the middle of a write can leave clusters allocated but
 * unused in a qcow2 image: harmless, but qemu-img check reports them.
 * After a crash, reclaim them before the image is used again. */
static void repair_after_crash(struct vm_handle *h, const struct vmdef *d, const struct engine_vm *vm)
{
	struct vm_status st;

	(void)d;
	if (status_load(h->dirfd, &st) < 0 || st.state != VM_CRASHED)
		return;
	for (size_t i = 0; i < vm->ndisks; i++)
		if (!strcmp(vm->disks[i].format, "qcow2"))
			image_repair_leaks(vm->disks[i].path);
	err_clear();
}

/* Return once the monitor has recorded the state QEMU is in. */
static void wait_recorded(struct vm_handle *h, enum vm_state want)
{
	struct vm_status st;

	for (int i = 0; i < 200; i++) {
		if (status_derive(h->dirfd, h->dir, &st) < 0 || st.state == want || !vm_state_active(st.state))
			return;
		proc_sleep_ms(25);
	}
}

/* Start the monitor (hv __monitor), which starts QEMU with the fds it is
 * handed: the TAPs, a saved state, a transient VM's owner and channel. */
static int spawn_monitor(struct vm_handle *h, const struct vm_start_opts *o, const struct nics_host *taps, int statefd,
			 int report, struct vm_started *out)
{
	char fdarg[16], ntaps[16], hasstate[4], flags[4] = "-";
	struct spawn_fd map[7 + ENGINE_MAX_NICS];
	size_t nmap = 0, nf = 0;
	pid_t mon;
	int r, devnull = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (devnull < 0)
		return err_errno(-errno, "cannot open /dev/null");
	snprintf(fdarg, sizeof(fdarg), "%d", MONITOR_REPORT_FD);
	snprintf(ntaps, sizeof(ntaps), "%zu", taps->n);
	snprintf(hasstate, sizeof(hasstate), "%d", statefd >= 0);
	map[nmap++] = (struct spawn_fd){ devnull, 0 };
	map[nmap++] = (struct spawn_fd){ devnull, 1 };
	map[nmap++] = (struct spawn_fd){ devnull, 2 };
	map[nmap++] = (struct spawn_fd){ report, MONITOR_REPORT_FD };
	/* the monitor hands the TAPs (and the saved state) on to QEMU */
	for (size_t i = 0; i < taps->n; i++)
		map[nmap++] =
		    (struct spawn_fd){ taps->tap_fds[i] >= 0 ? taps->tap_fds[i] : devnull, MONITOR_TAP_FD + (int)i };
	if (statefd >= 0)
		map[nmap++] = (struct spawn_fd){ statefd, MONITOR_STATE_FD };
	if (o->owner_fd >= 0) {
		map[nmap++] = (struct spawn_fd){ o->owner_fd, MONITOR_OWNER_FD };
		flags[nf++] = 'o';
	}
	if (o->channel_fd >= 0) {
		map[nmap++] = (struct spawn_fd){ o->channel_fd, MONITOR_CHANNEL_FD };
		flags[nf++] = 'c';
	}
	if (o->incoming)
		flags[nf++] = 'i';
	/* the monitor is this hv binary (HV_EXE: which one, for programs
	 * other than hv that link the library: the unit tests) */
	const char *exe = getenv("HV_EXE") && *getenv("HV_EXE") ? getenv("HV_EXE") : "/proc/self/exe";
	char *margv[] = { (char *)exe, "__monitor", h->dir, fdarg, (char *)accel_name(out->accel),
			  ntaps,       hasstate,    flags,  NULL };
	r = proc_spawn(margv, map, nmap, h->dir, false, &mon);
	close(devnull);
	if (r == 0)
		out->monitor_pid = (int)mon;
	return r;
}

/* An incoming VM is staged in a hidden folder renamed to its own at the
 * commit, and QEMU may open its disks again by name when it first runs
 * them (it did after a paused copy: docs/migration.md, "TCG"): the disks
 * in the VM's folder are named relative to it, QEMU's working directory,
 * which follows the rename. */
static void incoming_relative_disks(const char *dir, struct engine_vm *vm)
{
	size_t n = strlen(dir);

	for (unsigned i = 0; i < vm->ndisks; i++) {
		const char *p = vm->disks[i].path;
		if (p && !strncmp(p, dir, n) && p[n] == '/' && p[n + 1] && !strchr(p + n + 1, '/'))
			vm->disks[i].path = p + n + 1;
	}
}

/* QEMU's command line for a locked VM, saved as qemu.args for the monitor. */
static int plan_start(struct vm_handle *h, const struct vmdef *d, const struct vm_start_opts *o, int statefd,
		      struct guest_boot *boot, struct osboot *ob, struct nics_host *taps, struct vm_started *out)
{
	_cleanup_free_ char *qemu = NULL;
	_cleanup_strv_ struct strv argv = { 0 };
	char *paths[VMDEF_MAX_DISKS] = { NULL };
	struct engine_vm vm;
	int r;

	if ((r = accel_resolve(d->accel, &out->accel, &out->tcg_reason)) < 0 || (r = qemu_find_binary(&qemu)) < 0 ||
	    (r = build_engine_vm(h, d, out->accel, boot, paths, &vm)) < 0 || (r = osboot_prepare(h, d, &vm, ob)) < 0)
		goto out;
	repair_after_crash(h, d, &vm);
	if (statefd >= 0) {
		vm.incoming_fd = QEMU_STATE_FD;
		vm.start_paused = o->paused;
	}
	vm.start_paused |= o->hold;
	if (o->incoming) {
		/* paused after the state arrived: it runs once the source let go */
		vm.incoming_defer = true;
		vm.start_paused = true;
		incoming_relative_disks(h->dir, &vm);
	}
	/* networks come up on first use (also after a host reboot) */
	if ((r = nics_prepare(d->nics, d->nnics, d->name, QEMU_TAP_FD, taps, &vm)) < 0)
		goto out;
	if ((r = osboot_ssh_forward(h, d, &vm, ob)) < 0 || (r = build_jailed_argv(h, &vm, qemu, &argv)) < 0 ||
	    (r = save_args(h->dirfd, &argv)) < 0)
		nics_release(taps);
out:
	for (unsigned i = 0; i < VMDEF_MAX_DISKS; i++)
		free(paths[i]);
	return r;
}

int vm_start_locked(struct vm_handle *h, const struct vmdef *d, const struct vm_start_opts *o, struct vm_started *out)
{
	struct nics_host taps = { .tap_fds = { -1, -1, -1, -1 } };
	_cleanup_guest_boot_ struct guest_boot boot = { 0 };
	struct osboot ob = { 0 };
	int r, report[2] = { -1, -1 }, statefd = -1;

	memset(out, 0, sizeof(*out));
	if (o->state && (statefd = open(o->state, O_RDONLY | O_CLOEXEC)) < 0)
		return err_errno(-errno, "cannot open the saved VM state %s", o->state);
	if ((r = plan_start(h, d, o, statefd, &boot, &ob, &taps, out)) < 0)
		goto out;
	prepare_folder(h->dirfd);
	vm_mark_boot(h->dirfd);
	if (pipe2(report, O_CLOEXEC) < 0) {
		r = err_errno(-errno, "cannot prepare the monitor");
		goto out;
	}
	r = spawn_monitor(h, o, &taps, statefd, report[1], out);
	close(report[1]);
	report[1] = -1;
	if (r == 0 && (r = read_report(report[0], out)) == 0 && o->state && (r = wait_state_loaded(h, o->paused)) == 0)
		wait_recorded(h, o->paused ? VM_PAUSED : VM_RUNNING);
out:
	if (report[0] >= 0)
		close(report[0]);
	nics_release(&taps);
	if (statefd >= 0)
		close(statefd);
	osboot_free(&ob);
	return r;
}

int vm_start(const char *name, struct vm_started *out)
{
	struct vm_handle h;
	struct vm_status st;
	struct vmdef d;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = vm_lock_and_load(name, &h, &d, &st)) < 0)
		return r;
	if (vm_state_active(st.state)) {
		r = err_set(-EALREADY, "VM '%s' is already %s (QEMU pid %d)", name, vm_state_name(st.state),
			    (int)st.qemu.pid);
		goto out;
	}
	if (d.transient) {
		r = err_set(-EINVAL, "VM '%s' was made by hv run, whose command has ended; delete it (hv delete %s)",
			    name, name);
		goto out;
	}
	/* a VM stopped with hv save continues where it was */
	if (fs_exists_at(h.dirfd, "saved/vmstate")) {
		bool paused = fs_exists_at(h.dirfd, "saved/paused");
		_cleanup_free_ char *saved = NULL;
		if (asprintf(&saved, "%s/saved/vmstate", h.dir) < 0) {
			r = err_set(-ENOMEM, "out of memory");
			goto out;
		}
		struct vm_start_opts o = VM_START_OPTS_INIT;
		o.state = saved;
		o.paused = paused;
		if ((r = vm_start_locked(&h, &d, &o, out)) < 0)
			goto out;
		out->resumed = true;
		fs_rm_rf_at(h.dirfd, "saved");
	} else {
		r = vm_start_locked(&h, &d, &(struct vm_start_opts)VM_START_OPTS_INIT, out);
	}
out:
	vmdef_free(&d);
	vm_close(&h);
	return r;
}

/* --- running VMs --- */

/* Lock an active VM and connect to its QEMU. */
static int open_active(const char *name, struct vm_handle *h, struct vm_status *st, struct qmp **q)
{
	int r = vm_open_locked(name, VM_LOCK_TIMEOUT_MS, h);

	if (r < 0)
		return r;
	if ((r = status_derive(h->dirfd, h->dir, st)) < 0)
		goto fail;
	if (!vm_state_active(st->state)) {
		r = err_set(-ESRCH, "VM '%s' is not running (it is %s)", name, vm_state_name(st->state));
		goto fail;
	}
	if ((r = vm_qmp_open(h, q)) < 0)
		goto fail;
	return 0;
fail:
	vm_close(h);
	return r;
}

/* Wait until the monitor has recorded the end (or a state), up to timeout_ms. */
static int wait_state(struct vm_handle *h, bool (*done)(const struct vm_status *, const void *), const void *arg,
		      int timeout_ms, struct vm_status *st)
{
	uint64_t deadline = proc_now_ms() + (uint64_t)timeout_ms;
	int r;

	for (;;) {
		if ((r = status_derive(h->dirfd, h->dir, st)) < 0)
			return r;
		if (done(st, arg))
			return 0;
		if (proc_now_ms() >= deadline)
			return -ETIMEDOUT;
		proc_sleep_ms(25);
	}
}

static bool is_ended(const struct vm_status *st, const void *arg)
{
	(void)arg;
	return !vm_state_active(st->state) && !proc_id_alive(&st->monitor);
}

static bool is_state(const struct vm_status *st, const void *arg)
{
	return st->state == *(const enum vm_state *)arg;
}

/* Power cut: QMP quit, or SIGKILL when QEMU does not answer. */
static int hard_stop(struct vm_handle *h, struct vm_status *st, struct qmp *q, const char *why, struct vm_status *final)
{
	fs_write_atomic(h->dirfd, "stop-intent", why, strlen(why), 0600);
	if (!q || qmp_quit(q) < 0)
		kill(st->qemu.pid, SIGKILL);
	err_clear();
	if (wait_state(h, is_ended, NULL, 10000, final) < 0)
		return err_set(-ETIMEDOUT, "QEMU (pid %d) did not exit", (int)st->qemu.pid);
	return 0;
}

int vm_hard_stop_locked(struct vm_handle *h, const char *why, struct vm_status *final)
{
	struct vm_status st;
	struct qmp *q = NULL;
	int r;

	if ((r = status_derive(h->dirfd, h->dir, &st)) < 0)
		return r;
	if (!vm_state_active(st.state))
		return 0;
	if (vm_qmp_open(h, &q) < 0)
		q = NULL;
	r = hard_stop(h, &st, q, why, final);
	qmp_close(q);
	return r;
}

int vm_stop_mode_parse(const char *s, enum vm_stop_mode *mode)
{
	if (!strcmp(s, "acpi"))
		*mode = VM_STOP_ACPI;
	else if (!strcmp(s, "agent"))
		*mode = VM_STOP_AGENT;
	else
		return err_set(-EINVAL, "unknown stop mode '%s' (acpi or agent)", s);
	return 0;
}

/* guest-shutdown through the VM's guest agent. */
static int agent_powerdown(struct vm_handle *h)
{
	_cleanup_qga_ struct qga *g = NULL;
	int r;

	if ((r = qga_open_at(h->dirfd, QGA_SYNC_TIMEOUT_MS, QGA_SYNC_TIMEOUT_MS, &g)) < 0 ||
	    (r = agent_shutdown(g, "powerdown")) < 0)
		return err_prefix(r, "guest-shutdown");
	return 0;
}

/* Ask by mode until the guest is off (0) or end (1: it stayed up); a
 * failure to ask is an error (an agent's timeout too: never taken for the
 * guest ignoring the request). */
static int ask_power_off(struct vm_handle *h, struct qmp *q, enum vm_stop_mode mode, uint64_t end,
			 struct vm_status *final)
{
	uint64_t agent_at = mode == VM_STOP_AGENT ? 0 : proc_now_ms() + AGENT_AFTER_MS;
	bool agent_asked = mode == VM_STOP_ACPI;
	int r, agent_tries = 0;

	if (mode == VM_STOP_AUTO && end - proc_now_ms() < 2 * AGENT_AFTER_MS)
		agent_at = proc_now_ms() + (end - proc_now_ms()) / 2;
	for (;;) {
		uint64_t now = proc_now_ms();
		if (!agent_asked && now >= agent_at) {
			/* without an agent, the button and the timeout remain;
			 * a busy or slow one is asked again at the next rounds */
			r = agent_powerdown(h);
			if (r < 0 && mode == VM_STOP_AGENT)
				return r;
			agent_asked = r == 0 || r == -ENOENT || r == -ECONNREFUSED || ++agent_tries == 3;
			err_clear();
		}
		/* A press during boot, before the guest listens, is lost (as on
		 * real hardware): press again every few seconds until the timeout. */
		if (mode != VM_STOP_AGENT && (r = qmp_system_powerdown(q)) < 0) {
			/* QEMU quits between the last look and this press when
			 * the guest powered off (after the agent's request):
			 * then the press's failure is not the answer */
			struct err_saved e;
			err_save(&e);
			if (wait_state(h, is_ended, NULL, ENDED_GRACE_MS, final) == 0)
				return 0;
			err_restore(&e);
			return r;
		}
		r = wait_state(h, is_ended, NULL, (int)(end - now < REPRESS_MS ? end - now : REPRESS_MS), final);
		if (r != -ETIMEDOUT)
			return r;
		if (proc_now_ms() >= end)
			return 1;
	}
}

int vm_stop(const char *name, int timeout_s, enum vm_stop_mode mode, struct vm_status *final)
{
	struct vm_handle h;
	struct vm_status st;
	struct qmp *q = NULL;
	char why[160];
	int r = open_active(name, &h, &st, &q);

	if (r < 0)
		return r;
	if (mode == VM_STOP_FORCE) {
		r = hard_stop(&h, &st, q, "forced off (hv stop --force)", final);
		goto out;
	}
	/* a paused guest cannot see the power button */
	if (st.state == VM_PAUSED && (r = qmp_cont(q)) < 0)
		goto out;
	r = ask_power_off(&h, q, mode, proc_now_ms() + (uint64_t)timeout_s * 1000, final);
	if (r == 1) {
		snprintf(why, sizeof(why), "forced off: the guest did not power off within %d s of %s", timeout_s,
			 mode == VM_STOP_AGENT	? "the guest agent's guest-shutdown"
			 : mode == VM_STOP_ACPI ? "the ACPI power button"
						: "the ACPI power button and the guest agent's guest-shutdown");
		r = hard_stop(&h, &st, q, why, final);
	}
out:
	qmp_close(q);
	vm_close(&h);
	return r;
}

int vm_kill(const char *name, struct vm_status *final)
{
	struct vm_handle h;
	struct vm_status st;
	struct qmp *q = NULL;
	int r = vm_open_locked(name, VM_LOCK_TIMEOUT_MS, &h);

	if (r < 0)
		return r;
	if ((r = status_derive(h.dirfd, h.dir, &st)) < 0)
		goto out;
	if (!vm_state_active(st.state)) {
		r = err_set(-ESRCH, "VM '%s' is not running (it is %s)", name, vm_state_name(st.state));
		goto out;
	}
	if (vm_qmp_open(&h, &q) < 0)
		q = NULL; /* a wedged QEMU still gets SIGKILL */
	r = hard_stop(&h, &st, q, "killed (hv kill)", final);
	qmp_close(q);
out:
	vm_close(&h);
	return r;
}

static int pause_resume(const char *name, bool pause)
{
	struct vm_handle h;
	struct vm_status st;
	struct qmp_status qs;
	struct qmp *q = NULL;
	enum vm_state want = pause ? VM_PAUSED : VM_RUNNING;
	int r = open_active(name, &h, &st, &q);

	if (r < 0)
		return r;
	/* an interrupted snapshot may have left a state save behind; then
	 * QEMU, not the record, says what the VM is doing */
	if ((r = qmp_settle(q)) < 0 || (r = qmp_query_status(q, &qs)) < 0)
		goto out;
	if (qs.running == (want == VM_RUNNING)) {
		r = err_set(-EALREADY, "VM '%s' is already %s", name, vm_state_name(want));
		goto out;
	}
	if ((r = pause ? qmp_stop(q) : qmp_cont(q)) < 0)
		goto out;
	/* return once the monitor has recorded it, so hv list agrees at once */
	if (wait_state(&h, is_state, &want, 5000, &st) < 0)
		r = err_set(-ETIMEDOUT, "QEMU accepted the command but the VM's state did not change");
out:
	qmp_close(q);
	vm_close(&h);
	return r;
}

int vm_pause(const char *name)
{
	return pause_resume(name, true);
}

int vm_resume(const char *name)
{
	return pause_resume(name, false);
}
