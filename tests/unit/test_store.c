/* SPDX-License-Identifier: MIT */
/* The store: atomic writes under concurrent readers, the per-VM lock,
 * definitions that round-trip and refuse tampering, and state derivation
 * from stale runtime records (dead pid, reused pid, host reboot). */
#include <dirent.h>
#include <errno.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "manager/status.h"
#include "manager/store.h"
#include "manager/vm.h"
#include "manager/vmdef.h"
#include "network/net.h"
#include "network/netdef.h"
#include "t.h"
#include "util/cleanup.h"
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
	/* found by fuzz_statefiles: a number past UINT64_MAX reads as UINT64_MAX,
	 * which a save then wrote as -1 */
	const char *huge = "{\"name\":\"locked\",\"uuid\":\"x\",\"cpus\":1,"
			   "\"memory\":888888888888888888888888888888,\"machine\":\"microvm\",\"accel\":\"auto\"}";
	fs_write_atomic(h.dirfd, "vm.json", huge, strlen(huge), 0600);
	CHECK(vmdef_load(h.dirfd, &d) == -EINVAL && strstr(err_msg(), "above the maximum"),
	      "a memory size past the maximum is refused: %s", err_msg());
	const char *big = "{\"name\":\"locked\",\"uuid\":\"x\",\"cpus\":1,"
			  "\"memory\":9223372036854775808,\"machine\":\"microvm\",\"accel\":\"auto\"}";
	fs_write_atomic(h.dirfd, "vm.json", big, strlen(big), 0600);
	CHECK(vmdef_load(h.dirfd, &d) == -EINVAL, "memory 2^63 MiB is refused: %s", err_msg());
	vm_close(&h);
}

/* Every important field of vm.json: null, a wrong type or absence is an
 * error that names the field, never a crash or a silent default. */
static const char *good_vm_json =
    "{\"name\":\"fields\",\"uuid\":\"0b0e3a4e-0000-4000-8000-000000000001\",\"cpus\":2,\"memory\":256,"
    "\"machine\":\"microvm\",\"accel\":\"auto\",\"kernel\":null,\"initrd\":null,\"cmdline\":null,\"created\":1,"
    "\"disks\":[{\"path\":\"disk0.qcow2\",\"format\":\"qcow2\",\"owned\":true,\"backing\":null},"
    "{\"path\":\"/srv/data.img\",\"format\":\"raw\",\"owned\":false}],"
    "\"nics\":[{\"mode\":\"nat\",\"mac\":\"52:54:00:12:34:56\",\"forwards\":[\"tcp:8080:80\"]},"
    "{\"mode\":\"network\",\"network\":\"lab\",\"mac\":\"52:54:00:12:34:57\"}]}";

/* Set (or with how == NULL remove) parent[key] in a copy of the good
 * definition, load it and return the result; *msg gets the message. */
static int load_mutated(int dirfd, const char *parent, int idx, const char *key, struct json_object *val)
{
	struct json_object *root = json_tokener_parse(good_vm_json), *o = root;
	struct vmdef d;
	int r;

	if (parent) {
		o = json_object_array_get_idx(json_object_object_get(root, parent), (size_t)idx);
		if (!o) {
			printf("test bug: no %s[%d]\n", parent, idx);
			exit(2);
		}
	}
	if (val == (struct json_object *)-1)
		json_object_object_del(o, key);
	else
		json_object_object_add(o, key, val);
	const char *text = json_object_to_json_string(root);
	fs_write_atomic(dirfd, "vm.json", text, strlen(text), 0600);
	json_object_put(root);
	err_clear();
	r = vmdef_load(dirfd, &d);
	if (r == 0)
		vmdef_free(&d);
	return r;
}

static void field_errors(void)
{
	char dir[300];
	struct vmdef d;
	int dirfd, r;
	struct {
		const char *parent;
		int idx;
		const char *key;
		bool required;	  /* absence is an error too */
		const char *want; /* the field's name in the message */
	} f[] = {
		{ NULL, 0, "name", true, "vm.json: name" },
		{ NULL, 0, "uuid", true, "vm.json: uuid" },
		{ NULL, 0, "cpus", true, "vm.json: cpus" },
		{ NULL, 0, "memory", true, "vm.json: memory" },
		{ NULL, 0, "machine", true, "vm.json: machine" },
		{ NULL, 0, "accel", true, "vm.json: accel" },
		{ NULL, 0, "kernel", false, "vm.json: kernel" },
		{ NULL, 0, "disks", false, "vm.json: disks" },
		{ NULL, 0, "nics", false, "vm.json: nics" },
		{ "disks", 1, "path", true, "vm.json: disks[1].path" },
		{ "disks", 1, "format", true, "vm.json: disks[1].format" },
		{ "disks", 0, "owned", false, "vm.json: disks[0].owned" },
		{ "disks", 0, "backing", false, "vm.json: disks[0].backing" },
		{ "nics", 0, "mode", true, "vm.json: nics[0].mode" },
		{ "nics", 0, "mac", true, "vm.json: nics[0].mac" },
		{ "nics", 1, "network", true, "vm.json: nics[1].network" },
		{ "nics", 0, "forwards", false, "vm.json: nics[0].forwards" },
	};

	snprintf(dir, sizeof(dir), "%s/fields", home);
	mkdir(dir, 0700);
	dirfd = open(dir, O_RDONLY | O_DIRECTORY);
	fs_write_atomic(dirfd, "vm.json", good_vm_json, strlen(good_vm_json), 0600);
	r = vmdef_load(dirfd, &d);
	CHECK(r == 0 && d.ndisks == 2 && d.nnics == 2 && d.nics[0].nfwd == 1 && !strcmp(d.nics[1].target, "lab"),
	      "the reference definition loads: %s", r ? err_msg() : "");
	if (r == 0)
		vmdef_free(&d);
	for (size_t i = 0; i < ARRAY_SIZE(f); i++) {
		bool is_string = strcmp(f[i].key, "cpus") && strcmp(f[i].key, "memory") && strcmp(f[i].key, "owned") &&
				 strcmp(f[i].key, "disks") && strcmp(f[i].key, "nics") && strcmp(f[i].key, "forwards");
		/* null is a wrong type for a required field (and for one that may not be null) */
		bool nullable = !f[i].required && strcmp(f[i].key, "owned");
		r = load_mutated(dirfd, f[i].parent, f[i].idx, f[i].key, NULL);
		if (nullable)
			CHECK(r == 0, "%s: null reads as absent (%s)", f[i].want, r ? err_msg() : "");
		else
			CHECK(r == -EINVAL && strstr(err_msg(), f[i].want) && strstr(err_msg(), "null"),
			      "%s = null is a named error: %s", f[i].want, err_msg());
		/* a wrong type: an object where a scalar belongs, a string where
		 * a number or an array belongs */
		r = load_mutated(dirfd, f[i].parent, f[i].idx, f[i].key,
				 is_string ? json_object_new_object() : json_object_new_string("x"));
		CHECK(r == -EINVAL && strstr(err_msg(), f[i].want) && strstr(err_msg(), "expected"),
		      "%s of a wrong type is a named error: %s", f[i].want, err_msg());
		r = load_mutated(dirfd, f[i].parent, f[i].idx, f[i].key, (struct json_object *)-1);
		if (f[i].required)
			CHECK(r == -EINVAL && strstr(err_msg(), f[i].want) && strstr(err_msg(), "missing"),
			      "%s missing is a named error: %s", f[i].want, err_msg());
		else
			CHECK(r == 0, "%s may be absent (%s)", f[i].want, r ? err_msg() : "");
	}
	/* values of the right type that are still wrong */
	r = load_mutated(dirfd, NULL, 0, "cpus", json_object_new_int(0));
	CHECK(r == -EINVAL && strstr(err_msg(), "vm.json: cpus"), "cpus 0 is refused: %s", err_msg());
	r = load_mutated(dirfd, NULL, 0, "memory", json_object_new_int(-5));
	CHECK(r == -EINVAL && strstr(err_msg(), "vm.json: memory"), "negative memory is refused: %s", err_msg());
	r = load_mutated(dirfd, "disks", 1, "format", json_object_new_string("vmdk"));
	CHECK(r == -EINVAL && strstr(err_msg(), "vm.json: disks[1].format"), "an unknown format is refused: %s",
	      err_msg());
	r = load_mutated(dirfd, "nics", 0, "mac", json_object_new_string("zz"));
	CHECK(r == -EINVAL && strstr(err_msg(), "vm.json: nics[0].mac"), "a bad MAC is refused: %s", err_msg());
	struct json_object *fw = json_object_new_array();
	json_object_array_add(fw, NULL);
	r = load_mutated(dirfd, "nics", 0, "forwards", fw);
	CHECK(r == -EINVAL && strstr(err_msg(), "vm.json: nics[0].forwards[0]") && strstr(err_msg(), "null"),
	      "a null forward is a named error: %s", err_msg());
	struct json_object *disks = json_object_new_array();
	json_object_array_add(disks, json_object_new_int(3));
	r = load_mutated(dirfd, NULL, 0, "disks", disks);
	CHECK(r == -EINVAL && strstr(err_msg(), "vm.json: disks[0]") && strstr(err_msg(), "object"),
	      "a disk that is not an object is a named error: %s", err_msg());
	fs_write_atomic(dirfd, "vm.json", "null", 4, 0600);
	CHECK(vmdef_load(dirfd, &d) == -EINVAL && strstr(err_msg(), "vm.json"), "a null document is refused: %s",
	      err_msg());
	close(dirfd);
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

/* A fake running VM: status.json names a live sleeping child as QEMU and
 * as its monitor (killing it ends both, as for a real VM). */
static pid_t fake_running(int dirfd)
{
	struct vm_status st;
	pid_t pid = fork();

	if (pid == 0) {
		/* like QEMU, it holds no lock and no pipe of its parent */
		close_range(3, ~0U, 0);
		sleep(30);
		_exit(0);
	}
	memset(&st, 0, sizeof(st));
	st.state = VM_RUNNING;
	proc_identify(pid, &st.qemu);
	st.monitor = st.qemu;
	status_save(dirfd, &st);
	return pid;
}

/* What a spinning `hv start` does: take the lock, and start the VM (here:
 * record a fake QEMU) as soon as it is no longer running.  Reports 'S' and
 * the new QEMU's pid, or 'G' once the VM is gone. */
static void fake_starter(int report)
{
	struct vm_handle h;
	struct vm_status st;
	int lock;

	if (vm_open("racer", &h) < 0) {
		(void)!write(report, "G", 1);
		_exit(0);
	}
	for (;;) {
		if (fs_lock_at(h.dirfd, "lock", true, &lock) < 0 || !fs_exists_at(h.dirfd, "vm.json")) {
			(void)!write(report, "G", 1);
			_exit(0);
		}
		if (status_derive(h.dirfd, h.dir, &st) == 0 && !vm_state_active(st.state)) {
			char msg[16];
			pid_t qemu = fake_running(h.dirfd);
			int n = snprintf(msg, sizeof(msg), "S%d", (int)qemu);
			close(lock);
			(void)!write(report, msg, (size_t)n);
			_exit(0);
		}
		close(lock);
		usleep(500);
	}
}

/* Regression: delete --force dropped the lock to kill the VM and removed
 * the folder after taking it back without looking again, so a start in
 * between lost its running VM's folder. */
static void delete_force_race(void)
{
	char vmdir[300];
	int lost = 0, started = 0, gone = 0;

	snprintf(vmdir, sizeof(vmdir), "%s/vms/racer", home);
	for (int i = 0; i < 12; i++) {
		struct vm_handle h;
		int pfd[2];
		char msg[16] = "";
		pid_t qemu, starter, again = 0;
		make_vm("racer");
		if (vm_open("racer", &h) < 0)
			break;
		qemu = fake_running(h.dirfd);
		vm_close(&h);
		if (pipe(pfd) < 0)
			break;
		starter = fork();
		if (starter == 0) {
			close(pfd[0]);
			fake_starter(pfd[1]);
		}
		close(pfd[1]);
		int r = vm_delete("racer", true, false, false, NULL);
		(void)!read(pfd[0], msg, sizeof(msg) - 1);
		close(pfd[0]);
		waitpid(starter, NULL, 0);
		waitpid(qemu, NULL, 0);
		bool exists = access(vmdir, F_OK) == 0;
		if (msg[0] == 'S') {
			again = atoi(msg + 1);
			started++;
			/* the VM runs again: its folder must still be there */
			lost += !exists;
			kill(again, SIGKILL);
		} else {
			gone++;
			lost += exists && r == 0;
		}
		if (exists) {
			while (kill(again, 0) == 0)
				usleep(1000);
			vm_delete("racer", true, false, false, NULL);
		}
	}
	CHECK(lost == 0,
	      "delete --force never removes the folder of a VM that runs again (%d of %d started, %d gone, %d lost)",
	      started, started + gone, gone, lost);
	CHECK(started + gone == 12, "every race ended (%d)", started + gone);
}

/* A NIC's address on an hv network has one record, the network's
 * reservations.json: vm.json keeps none, and what hv info shows is
 * derived from the reservation (it follows a change there). */
static void nic_address_one_record(void)
{
	struct netdef nd;
	struct vm_create_opts o = { .name = "netted", .cpus = 1, .memory_mib = 256, .machine = MACHINE_MICROVM };
	struct net_reservation res[NET_MAX_RESERVED];
	struct vmdef d;
	struct vm_status st;
	struct vm_handle h;
	char *text = NULL;
	size_t n;
	int r;

	r = net_create("unet", NET_INTERNAL, "10.213.77.0/24", NULL, &nd);
	CHECK(r == 0, "net_create: %s", r ? err_msg() : "");
	if (r)
		return;
	o.nics.specs[0] = "network=unet";
	o.nics.nspecs = 1;
	r = vm_create(&o);
	CHECK(r == 0, "a VM on the network: %s", r ? err_msg() : "");
	CHECK(net_reservations("unet", res, NET_MAX_RESERVED, &n) == 0 && n == 1 && !strcmp(res[0].vm, "netted"),
	      "the network reserved an address for it");
	if (r || vm_open("netted", &h) < 0)
		goto out;
	fs_read_all(h.dirfd, "vm.json", 1 << 20, &text, NULL);
	CHECK(text && !strstr(text, "\"ip\""), "vm.json keeps no copy of the address");
	free(text);
	vm_close(&h);
	r = vm_inspect("netted", &d, &st);
	CHECK(r == 0 && d.nics[0].ip == res[0].ip, "hv info shows the reserved address");
	if (r == 0)
		vmdef_free(&d);
	/* the reservation moves (the network's side of the record): hv info follows */
	int dfd = -1;
	char *dir = NULL;
	if (net_dir("unet", &dir) == 0 && (dfd = open(dir, O_RDONLY | O_DIRECTORY)) >= 0) {
		res[0].ip = htonl(ntohl(res[0].ip) + 7);
		net_reservations_save(dfd, res, 1);
		close(dfd);
	}
	free(dir);
	r = vm_inspect("netted", &d, &st);
	CHECK(r == 0 && d.nics[0].ip == res[0].ip, "and follows the reservation, not a stale copy");
	if (r == 0)
		vmdef_free(&d);
	vm_delete("netted", true, false, false, NULL);
	CHECK(net_reservations("unet", res, NET_MAX_RESERVED, &n) == 0 && n == 0, "delete gives the address back");
out:
	net_destroy("unet");
	err_clear();
}

static void list_and_delete(void)
{
	char **names;
	size_t n;
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
	/* the iterator: in name order, a folder without vm.json (being removed)
	 * is skipped, a broken definition is returned with its error only when
	 * asked for */
	char empty[512], seen[256] = "";
	snprintf(empty, sizeof(empty), "%s/vms/half", home);
	mkdir(empty, 0700);
	make_vm("broken");
	struct vm_handle h;
	if (vm_open("broken", &h) == 0) {
		fs_write_atomic(h.dirfd, "vm.json", "{\"name\": null}", 15, 0600);
		vm_close(&h);
	}
	struct store_iter it;
	for (r = store_vm_iter_open(&it); r >= 0 && (r = store_vm_iter_next(&it)) > 0;) {
		bool dir_ok = it.dirfd >= 0 && fs_exists_at(it.dirfd, "vm.json") && strstr(it.dir, it.name);
		snprintf(seen + strlen(seen), sizeof(seen) - strlen(seen), "%s%s ", it.name, dir_ok ? "" : "(bad)");
	}
	store_vm_iter_close(&it);
	CHECK(r == 0 && !strcmp(seen, "broken locked states "), "store_vm_iter yields the VMs in order: '%s'", seen);
	struct vmdef_iter vi;
	seen[0] = '\0';
	for (r = vmdef_iter_open(&vi, false); r >= 0 && (r = vmdef_iter_next(&vi)) > 0;)
		snprintf(seen + strlen(seen), sizeof(seen) - strlen(seen), "%s:%u ", vi.vm.name, vi.def.cpus);
	vmdef_iter_close(&vi);
	/* (definitions() left "locked" with a broken vm.json too) */
	CHECK(r == 0 && !strcmp(seen, "states:2 "), "vmdef_iter skips broken definitions: '%s'", seen);
	seen[0] = '\0';
	for (r = vmdef_iter_open(&vi, true); r >= 0 && (r = vmdef_iter_next(&vi)) > 0;)
		snprintf(seen + strlen(seen), sizeof(seen) - strlen(seen), "%s:%s ", vi.vm.name,
			 !vi.load_error					 ? "ok"
			 : strstr(err_msg_for(vi.load_error), "vm.json") ? "error"
									 : "?");
	vmdef_iter_close(&vi);
	CHECK(r == 0 && !strcmp(seen, "broken:error locked:error states:ok "), "or returns it with its error: '%s'",
	      seen);
	vm_delete("broken", true, false, false, NULL);
	rmdir(empty);
	/* a damaged definition: plain delete names the file and the way out, --force removes it */
	r = vm_delete("locked", false, false, false, NULL);
	CHECK(r < 0 && strstr(err_msg(), "/vms/locked/vm.json") && strstr(err_msg(), "hv delete --force locked"),
	      "delete of a damaged VM: %s", err_msg());
	r = vm_delete("locked", true, false, false, NULL);
	CHECK(r == 0, "delete --force: %s", r ? err_msg() : "");
	CHECK(vm_delete("locked", false, false, false, NULL) == -ENOENT, "deleting twice says no such VM");
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
	field_errors();
	derive();
	delete_force_race();
	nic_address_one_record();
	list_and_delete();
	fs_rm_rf_at(AT_FDCWD, home);
	T_DONE();
}
