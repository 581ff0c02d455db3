/* SPDX-License-Identifier: MIT */
/* Damaged state files (issue 12): each derived record that is not JSON,
 * has wrong types or is cut short is rebuilt from what is true (the
 * processes, the command line QEMU got, dnsmasq's copy, hookstate.json),
 * rewritten as valid JSON and reported as one warning; the parsers name
 * the damage. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "manager/osboot.h"
#include "manager/status.h"
#include "manager/vm.h"
#include "manager/vmops.h"
#include "network/netdef.h"
#include "oci/state.h"
#include "t.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/proc.h"

static char home[256];

/* The damage each suite applies: not JSON, null, an array, empty, cut short. */
static const char *const damage[] = { "garbage", "null", "[]", "", "{\"state\": \"runn", "{" };

static void put(int dirfd, const char *name, const char *text)
{
	fs_write_atomic(dirfd, name, text, strlen(text), 0600);
}

static bool valid_json_object(int dirfd, const char *name)
{
	char *text = NULL;
	size_t len;
	struct json_object *o = NULL;
	bool ok = fs_read_all(dirfd, name, 1 << 20, &text, &len) == 0 && json_parse_object(text, len, name, &o) == 0;

	json_object_put(o);
	free(text);
	return ok;
}

static int warnings(char *last, size_t n)
{
	int k = 0;

	last[0] = '\0';
	while (err_warning_take(last, n))
		k++;
	return k;
}

static void parse_status(void)
{
	struct vm_status st;
	static const char *const wrong[] = {
		"{\"state\": 5, \"qemu\": {}, \"monitor\": {}}",
		"{\"state\": \"exploded\", \"qemu\": {}, \"monitor\": {}}",
		"{\"state\": \"running\", \"qemu\": {\"pid\": \"12\", \"start\": 1, \"boot_id\": \"x\"}, "
		"\"monitor\": {\"pid\": 1, \"start\": 1, \"boot_id\": \"x\"}}",
		"{\"state\": \"running\", \"qemu\": null, \"monitor\": null}",
		"{\"state\": \"running\", \"reason\": 3, \"qemu\": {\"pid\": 1, \"start\": 1, \"boot_id\": \"x\"}, "
		"\"monitor\": {\"pid\": 1, \"start\": 1, \"boot_id\": \"x\"}}",
		"{\"state\": \"running\", \"qemu\": {\"pid\": -4, \"start\": 1, \"boot_id\": \"x\"}, "
		"\"monitor\": {\"pid\": 1, \"start\": 1, \"boot_id\": \"x\"}}",
	};

	for (size_t i = 0; i < sizeof(damage) / sizeof(damage[0]); i++)
		CHECK(status_parse(damage[i], strlen(damage[i]), &st) == -EBADMSG, "'%s' is damage: %s", damage[i],
		      err_msg());
	for (size_t i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++)
		CHECK(status_parse(wrong[i], strlen(wrong[i]), &st) == -EBADMSG && strstr(err_msg(), "status.json"),
		      "wrong types are damage, named: %s", err_msg());
	const char *good = "{\"state\": \"paused\", \"reason\": \"\", \"accel\": \"kvm\", \"since\": 5, \"qemu\": "
			   "{\"pid\": 7, \"start\": 9, \"boot_id\": \"b\"}, \"monitor\": {\"pid\": 6, \"start\": 8, "
			   "\"boot_id\": \"b\"}}";
	CHECK(status_parse(good, strlen(good), &st) == 0 && st.state == VM_PAUSED && st.qemu.pid == 7 &&
		  st.monitor.start == 8 && !strcmp(st.accel, "kvm"),
	      "a good record reads: %s", err_msg());
}

static void proc_kinds(void)
{
	static const char qemu[] = "/usr/bin/qemu-system-x86_64\0-name\0a\0-accel\0kvm\0-m\0256";
	static const char mon[] = "/proc/self/exe\0__monitor\0/var/lib/hv/vms/a\0"
				  "3\0tcg";
	static const char other[] = "/usr/libexec/virtiofsd\0--fd=4";
	char accel[8] = "";

	CHECK(status_proc_kind(qemu, sizeof(qemu), accel, sizeof(accel)) == STATUS_PROC_QEMU && !strcmp(accel, "kvm"),
	      "QEMU by its binary, with its accelerator '%s'", accel);
	CHECK(status_proc_kind(mon, sizeof(mon), accel, sizeof(accel)) == STATUS_PROC_MONITOR, "hv's monitor");
	CHECK(status_proc_kind(other, sizeof(other), accel, sizeof(accel)) == STATUS_PROC_OTHER, "anything else");
	CHECK(status_proc_kind("qemu-system-x", 13, accel, sizeof(accel)) == STATUS_PROC_OTHER,
	      "an argv without a NUL is nothing");
	CHECK(status_proc_kind("", 0, accel, sizeof(accel)) == STATUS_PROC_OTHER, "nor an empty one");
}

/* A process working in folder dir: a copy of sleep named like QEMU, or a
 * shell whose argv is the monitor's ("/proc/self/exe __monitor"). */
static pid_t spawn_at(const char *dir, bool monitor)
{
	pid_t pid = fork();

	if (pid == 0) {
		setpgid(0, 0); /* the shell's sleep dies with it */
		if (chdir(dir) < 0)
			_exit(127);
		if (monitor) {
			/* sh runs the script __monitor from the folder: argv stays the monitor's */
			char *argv[] = { "/proc/self/exe", "__monitor", NULL };
			execv("/bin/sh", argv);
		} else {
			char *argv[] = { "qemu-system-fake", "30", NULL };
			execv("qemu-system-fake", argv);
		}
		_exit(127);
	}
	return pid;
}

static void status_rebuilt(void)
{
	struct vm_handle h;
	struct vm_status st;
	char w[512];
	int r;

	struct vm_create_opts o = { .name = "dmg", .cpus = 1, .memory_mib = 256, .machine = MACHINE_MICROVM };
	CHECK((r = vm_create(&o)) == 0, "vm_create: %s", r ? err_msg() : "");
	if (r || vm_open("dmg", &h) < 0)
		return;
	/* no process: each damage reads as stopped, rewritten, said once */
	for (size_t i = 0; i < sizeof(damage) / sizeof(damage[0]); i++) {
		put(h.dirfd, "status.json", damage[i]);
		r = status_derive(h.dirfd, h.dir, &st);
		CHECK(r == 0 && st.state == VM_STOPPED, "'%s' with no QEMU: stopped (%d %s)", damage[i], r, err_msg());
		CHECK(valid_json_object(h.dirfd, "status.json"), "'%s': status.json is valid again", damage[i]);
		CHECK(warnings(w, sizeof(w)) == 1 && strstr(w, "/vms/dmg/status.json was damaged") &&
			  strstr(w, "no QEMU runs"),
		      "'%s': one warning: %s", damage[i], w);
	}
	CHECK(status_derive(h.dirfd, h.dir, &st) == 0 && warnings(w, sizeof(w)) == 0, "a rebuilt record is quiet");

	/* a live QEMU and monitor in the folder: running, with their pids */
	char *sleep_copy = NULL;
	if (asprintf(&sleep_copy, "cp /bin/sleep %s/qemu-system-fake", h.dir) < 0 || system(sleep_copy) != 0)
		CHECK(0, "cannot copy sleep");
	free(sleep_copy);
	put(h.dirfd, "__monitor", "sleep 30\n");
	pid_t q = spawn_at(h.dir, false), m = spawn_at(h.dir, true);
	proc_sleep_ms(300);
	put(h.dirfd, "status.json", "{\"state\": 1}");
	r = status_derive(h.dirfd, h.dir, &st);
	CHECK(r == 0 && st.state == VM_RUNNING && st.qemu.pid == q && st.monitor.pid == m,
	      "live processes: running, QEMU %d (want %d), monitor %d (want %d): %s", (int)st.qemu.pid, (int)q,
	      (int)st.monitor.pid, (int)m, err_msg());
	CHECK(warnings(w, sizeof(w)) == 1 && strstr(w, "running, QEMU pid"), "said: %s", w);
	struct vm_status again;
	CHECK(status_load(h.dirfd, &again) == 0 && again.state == VM_RUNNING && again.qemu.pid == q &&
		  again.qemu.start == st.qemu.start,
	      "the rewritten record names them");
	kill(-q, SIGKILL);
	kill(-m, SIGKILL);
	waitpid(q, NULL, 0);
	waitpid(m, NULL, 0);
	CHECK(status_derive(h.dirfd, h.dir, &st) == 0 && st.state == VM_CRASHED,
	      "once they die the rebuilt record says crashed, as any record would");
	vm_close(&h);
}

static void ssh_and_boot(void)
{
	struct vm_handle h;
	char host[64], w[512];
	unsigned port = 0;
	char *log;
	size_t len, from;
	int r;

	if (vm_open("dmg", &h) < 0)
		return;
	put(h.dirfd, "qemu.args",
	    "[\"qemu-system-x86_64\", \"-netdev\", \"user,id=n0,hostfwd=tcp:127.0.0.1:8080-:80,"
	    "hostfwd=tcp:127.0.0.1:41234-:22\"]");
	for (size_t i = 0; i < sizeof(damage) / sizeof(damage[0]); i++) {
		put(h.dirfd, "ssh.json", damage[i]);
		port = 0;
		r = osboot_ssh_endpoint(h.dirfd, host, sizeof(host), &port);
		CHECK(r == 0 && port == 41234 && !strcmp(host, "127.0.0.1"), "ssh.json '%s': the forward of qemu.args",
		      damage[i]);
		CHECK(valid_json_object(h.dirfd, "ssh.json") && warnings(w, sizeof(w)) == 1 &&
			  strstr(w, "ssh.json was damaged"),
		      "rewritten and said: %s", w);
	}
	put(h.dirfd, "ssh.json", "{\"host\": 5, \"port\": \"22\"}");
	CHECK(osboot_ssh_endpoint(h.dirfd, host, sizeof(host), &port) == 0 && port == 41234, "wrong types too");
	warnings(w, sizeof(w));
	put(h.dirfd, "qemu.args", "[\"qemu-system-x86_64\", \"-nic\", \"none\"]");
	put(h.dirfd, "ssh.json", "null");
	CHECK(osboot_ssh_endpoint(h.dirfd, host, sizeof(host), &port) == -ENOENT && !fs_exists_at(h.dirfd, "ssh.json"),
	      "no forward in the command line: no endpoint, the record removed");
	warnings(w, sizeof(w));

	put(h.dirfd, "console.log", "boot one\nboot two\n");
	for (size_t i = 0; i < sizeof(damage) / sizeof(damage[0]); i++) {
		put(h.dirfd, "boot.json", damage[i]);
		r = vm_boot_console(h.dirfd, &log, &len, &from);
		CHECK(r == 0 && from == 0 && len == 18, "boot.json '%s': all of console.log", damage[i]);
		free(log);
		CHECK(valid_json_object(h.dirfd, "boot.json") && warnings(w, sizeof(w)) == 1 &&
			  strstr(w, "boot.json was damaged"),
		      "rewritten and said: %s", w);
	}
	put(h.dirfd, "boot.json", "{\"console_offset\": 9}");
	CHECK(vm_boot_console(h.dirfd, &log, &len, &from) == 0 && from == 9 && warnings(w, sizeof(w)) == 0,
	      "a good boot.json is used quietly");
	free(log);
	vm_close(&h);
}

static void reservations(void)
{
	char dir[512], run[256];
	struct net_reservation res[4];
	char w[512];
	size_t n;
	int dfd;

	/* a network's folder, and dnsmasq's copy where netup keeps it */
	snprintf(dir, sizeof(dir), "%s/net-u%d", home, (int)getpid() % 100000);
	mkdir(dir, 0700);
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	snprintf(run, sizeof(run), NET_RUN_DIR "/u%d", (int)getpid() % 100000);
	fs_mkdir_p(run, 0755);
	strncat(run, "/hosts", sizeof(run) - strlen(run) - 1);
	int fd = open(run, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	const char *hosts = "52:54:00:00:00:01,10.9.0.2,vm1\nbroken line\n52:54:00:00:00:02,10.9.0.3,vm2\n";
	if (fd >= 0) {
		write_all(fd, hosts, strlen(hosts));
		close(fd);
	}
	char net[16];
	snprintf(net, sizeof(net), "u%d", (int)getpid() % 100000);
	for (size_t i = 0; i < sizeof(damage) / sizeof(damage[0]); i++) {
		put(dfd, "reservations.json", damage[i]);
		int r = net_reservations_load(dfd, net, res, 4, &n);
		CHECK(r == 0 && n == 2 && !strcmp(res[1].vm, "vm2"),
		      "reservations.json '%s': from the hosts file (%d %zu)", damage[i], r, n);
		CHECK(valid_json_object(dfd, "reservations.json") && warnings(w, sizeof(w)) == 1 &&
			  strstr(w, "reservations.json was damaged") && strstr(w, "2 addresses"),
		      "rewritten and said: %s", w);
	}
	put(dfd, "reservations.json", "{\"vm1\": {\"mac\": null, \"ip\": \"10.9.0.2\"}}");
	CHECK(net_reservations_load(dfd, net, res, 4, &n) == 0 && n == 2 && warnings(w, sizeof(w)) == 1,
	      "a null field is damage too: %s", w);
	unlink(run);
	*strrchr(run, '/') = '\0';
	rmdir(run);
	put(dfd, "reservations.json", "[]");
	CHECK(net_reservations_load(dfd, net, res, 4, &n) == 0 && n == 0 && warnings(w, sizeof(w)) == 1 &&
		  strstr(w, "0 addresses"),
	      "without dnsmasq's copy: none, said: %s", w);
	close(dfd);
}

static void container_state(void)
{
	struct ctr_state st;
	static const char *const wrong[] = {
		"{\"id\": \"c1\", \"pid\": \"12\"}",
		"{\"id\": \"c1\", \"pid\": 0}",
		"{\"id\": null, \"pid\": 12}",
		"{\"id\": \"c2\", \"pid\": 12}",
		"{\"id\": \"c1\", \"pid\": 12, \"started\": 1}",
	};

	for (size_t i = 0; i < sizeof(damage) / sizeof(damage[0]); i++)
		CHECK(ctr_state_parse(damage[i], strlen(damage[i]), "c1", &st) < 0, "'%s' is damage", damage[i]);
	for (size_t i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++)
		CHECK(ctr_state_parse(wrong[i], strlen(wrong[i]), "c1", &st) < 0 && strstr(err_msg(), "state.json"),
		      "'%s' is damage, named: %s", wrong[i], err_msg());
	const char *good = "{\"id\": \"c1\", \"pid\": 12, \"pid_start\": 5, \"started\": true, \"cgroup\": \"/x\"}";
	CHECK(ctr_state_parse(good, strlen(good), "c1", &st) == 0 && st.pid == 12 && st.started, "a good one reads");
}

static void warning_queue(void)
{
	char w[512];

	for (int i = 0; i < ERR_MAX_WARNINGS + 3; i++)
		err_warn("w%d", i);
	err_warn("w%d", ERR_MAX_WARNINGS + 2);
	int n = warnings(w, sizeof(w));
	CHECK(n == ERR_MAX_WARNINGS, "at most %d warnings are kept (%d)", ERR_MAX_WARNINGS, n);
	err_warn("same");
	err_warn("same");
	CHECK(warnings(w, sizeof(w)) == 1 && !strcmp(w, "same"), "a repeat is said once");
}

int main(void)
{
	snprintf(home, sizeof(home), "/tmp/hv-unit-dmg-%d", (int)getpid());
	mkdir(home, 0700);
	setenv("HV_HOME", home, 1);
	warning_queue();
	parse_status();
	proc_kinds();
	status_rebuilt();
	ssh_and_boot();
	reservations();
	container_state();
	fs_rm_rf_at(AT_FDCWD, home);
	T_DONE();
}
