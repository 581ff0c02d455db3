/* SPDX-License-Identifier: MIT */
/* The store: atomic writes under concurrent readers, the per-VM lock,
 * definitions that round-trip and refuse tampering, and state derivation
 * from stale runtime records (dead pid, reused pid, host reboot). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "manager/status.h"
#include "manager/store.h"
#include "manager/vm.h"
#include "manager/vmdef.h"
#include "t.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/proc.h"

static char home[256];

static void atomic_writes(void)
{
	static char a[65536], b[65536];
	int dirfd = open(home, O_RDONLY | O_DIRECTORY);
	int torn = 0, reads = 0;
	pid_t pid;

	memset(a, 'A', sizeof(a));
	memset(b, 'B', sizeof(b));
	fs_write_atomic(dirfd, "f.json", a, sizeof(a), 0600);
	pid = fork();
	if (pid == 0) {
		for (int i = 0; i < 300; i++)
			fs_write_atomic(dirfd, "f.json", i % 2 ? a : b, sizeof(a), 0600);
		_exit(0);
	}
	for (int st; waitpid(pid, &st, WNOHANG) == 0;) {
		char *text = NULL;
		size_t len = 0;
		if (fs_read_all(dirfd, "f.json", 1 << 20, &text, &len) == 0) {
			reads++;
			/* whole A or whole B, never a mix or a short file */
			if (len != sizeof(a) || (memcmp(text, a, len) && memcmp(text, b, len)))
				torn++;
		}
		free(text);
	}
	CHECK(reads > 0 && torn == 0, "%d concurrent reads saw %d torn files", reads, torn);
	struct stat st;
	CHECK(fstatat(dirfd, ".f.json.tmp.0", &st, 0) < 0, "no temporary file is left");
	DIR *d = fdopendir(dup(dirfd));
	int leftovers = 0;
	for (struct dirent *de; (de = readdir(d));)
		leftovers += strstr(de->d_name, ".tmp.") != NULL;
	closedir(d);
	CHECK(leftovers == 0, "no .tmp. files remain (%d)", leftovers);
	close(dirfd);
}

static void make_vm(const char *name)
{
	struct vm_create_opts o = { .name = name, .cpus = 2, .memory_mib = 300, .machine = MACHINE_MICROVM };
	int r = vm_create(&o);

	CHECK(r == 0, "vm_create %s: %s", name, r ? err_msg() : "");
}

static void locking(void)
{
	struct vm_handle h, h2;
	int pipefd[2];
	char c;
	pid_t pid;
	uint64_t t0;
	int r;

	make_vm("locked");
	pipe(pipefd);
	pid = fork();
	if (pid == 0) {
		struct vm_handle hc;
		if (vm_open_locked("locked", 1000, &hc) == 0)
			(void)!write(pipefd[1], "L", 1);
		sleep(2);
		_exit(0);
	}
	CHECK(read(pipefd[0], &c, 1) == 1, "the child holds the VM lock");
	t0 = proc_now_ms();
	r = vm_open_locked("locked", 300, &h);
	CHECK(r == -EBUSY, "a second command gives up after its timeout (%d)", r);
	CHECK(proc_now_ms() - t0 < 1500, "and does so promptly");
	CHECK(strstr(err_msg(), "busy") != NULL, "saying the VM is busy: %s", err_msg());
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	r = vm_open_locked("locked", 1000, &h);
	CHECK(r == 0, "the lock is free once its holder died");
	if (r == 0) {
		/* the same process may not take it twice through another open file */
		CHECK(vm_open_locked("locked", 100, &h2) == -EBUSY, "flock excludes a second open file");
		vm_close(&h);
	}
	close(pipefd[0]);
	close(pipefd[1]);
}

static void definitions(void)
{
	struct vm_handle h;
	struct vmdef d;
	struct vm_create_opts dup = { .name = "locked", .cpus = 1, .memory_mib = 256 };
	int r;

	CHECK(vm_create(&dup) == -EEXIST, "a duplicate name is refused");
	CHECK(strstr(err_msg(), "already exists") != NULL, "with a clear reason: %s", err_msg());
	r = vm_open("locked", &h);
	CHECK(r == 0, "the VM opens");
	if (r)
		return;
	r = vmdef_load(h.dirfd, &d);
	CHECK(r == 0 && d.cpus == 2 && d.memory_mib == 300 && strlen(d.uuid) == 36 && !d.kernel,
	      "the definition round-trips");
	vmdef_free(&d);
	/* tampering: an owned disk that points outside the VM folder */
	const char *evil =
	    "{\"name\":\"locked\",\"uuid\":\"x\",\"cpus\":1,\"memory\":256,\"machine\":\"microvm\","
	    "\"accel\":\"auto\",\"disks\":[{\"path\":\"../../etc/passwd\",\"format\":\"raw\",\"owned\":true}]}";
	fs_write_atomic(h.dirfd, "vm.json", evil, strlen(evil), 0600);
	CHECK(vmdef_load(h.dirfd, &d) == -EINVAL, "an owned disk outside the folder is refused: %s", err_msg());
	const char *junk = "{\"name\": 5}";
	fs_write_atomic(h.dirfd, "vm.json", junk, strlen(junk), 0600);
	CHECK(vmdef_load(h.dirfd, &d) == -EINVAL, "a malformed definition is refused: %s", err_msg());
	fs_write_atomic(h.dirfd, "vm.json", "[", 1, 0600);
	CHECK(vmdef_load(h.dirfd, &d) == -EINVAL, "broken JSON is refused: %s", err_msg());
	vm_close(&h);
}

static void derive(void)
{
	struct vm_handle h;
	struct vm_status st, got;
	pid_t child;
	int r;

	make_vm("states");
	r = vm_open("states", &h);
	CHECK(r == 0, "open states");
	if (r)
		return;
	CHECK(status_derive(h.dirfd, h.dir, &got) == 0 && got.state == VM_STOPPED, "never started: stopped");

	/* a record naming a process that has exited */
	child = fork();
	if (child == 0)
		_exit(0);
	memset(&st, 0, sizeof(st));
	st.state = VM_RUNNING;
	proc_identify(child, &st.qemu);
	waitpid(child, NULL, 0);
	st.monitor = st.qemu;
	status_save(h.dirfd, &st);
	CHECK(status_derive(h.dirfd, h.dir, &got) == 0 && got.state == VM_CRASHED, "a dead QEMU makes it crashed");

	/* a live pid, but not the process that was recorded (pid reuse) */
	proc_identify(getpid(), &st.qemu);
	st.qemu.start += 1;
	st.monitor = st.qemu;
	status_save(h.dirfd, &st);
	CHECK(status_derive(h.dirfd, h.dir, &got) == 0 && got.state == VM_CRASHED, "a reused pid is not believed");

	/* the record of an earlier boot of the host */
	proc_identify(getpid(), &st.qemu);
	snprintf(st.qemu.boot_id, sizeof(st.qemu.boot_id), "00000000-0000-0000-0000-000000000000");
	st.monitor = st.qemu;
	status_save(h.dirfd, &st);
	CHECK(status_derive(h.dirfd, h.dir, &got) == 0 && got.state == VM_CRASHED &&
		  strstr(got.reason, "host rebooted"),
	      "a record from before a host reboot is crashed, with the reason: %s", got.reason);

	/* a live process with its live monitor: believed */
	proc_identify(getpid(), &st.qemu);
	st.monitor = st.qemu;
	st.state = VM_PAUSED;
	status_save(h.dirfd, &st);
	CHECK(status_derive(h.dirfd, h.dir, &got) == 0 && got.state == VM_PAUSED, "a live record is believed");

	/* stopped records are kept as written */
	st.state = VM_STOPPED;
	snprintf(st.reason, sizeof(st.reason), "the guest powered off");
	status_save(h.dirfd, &st);
	CHECK(status_derive(h.dirfd, h.dir, &got) == 0 && got.state == VM_STOPPED &&
		  !strcmp(got.reason, "the guest powered off"),
	      "a stopped record keeps its reason");
	vm_close(&h);
}

static void list_and_delete(void)
{
	char **names;
	size_t n;
	char kept[256];
	int r;

	CHECK(store_list(&names, &n) == 0 && n == 2 && !strcmp(names[0], "locked") && !strcmp(names[1], "states"),
	      "store_list returns the VMs sorted");
	store_list_free(names, n);
	/* a staging folder of an interrupted create is not a VM */
	char stage[512];
	snprintf(stage, sizeof(stage), "%s/vms/.new-ghost-1", home);
	mkdir(stage, 0700);
	CHECK(store_list(&names, &n) == 0 && n == 2, "staging folders are not listed");
	store_list_free(names, n);
	r = vm_delete("locked", false, false, false, kept, sizeof(kept));
	CHECK(r == 0, "delete: %s", r ? err_msg() : "");
	CHECK(vm_delete("locked", false, false, false, kept, sizeof(kept)) == -ENOENT,
	      "deleting twice says no such VM");
	CHECK(strstr(err_msg(), "no VM named") != NULL, "%s", err_msg());
}

int main(void)
{
	snprintf(home, sizeof(home), "/tmp/hv-unit-%d", (int)getpid());
	mkdir(home, 0700);
	setenv("HV_HOME", home, 1);
	atomic_writes();
	locking();
	definitions();
	derive();
	list_and_delete();
	fs_rm_rf_at(AT_FDCWD, home);
	T_DONE();
}
