/* SPDX-License-Identifier: MIT */
/* QEMU without root: the confined child (uid, capabilities, mounts), the
 * fds hv opens for it, and the plan file between hv start and the monitor. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jail/jail.h"
#include "t.h"
#include "util/err.h"
#include "util/fs.h"

/* Run a shell line in the jail; its output in out. */
static int run_jailed(const char *line, const char *store, char *out, size_t n, pid_t *pid)
{
	char *argv[] = { "/bin/sh", "-c", (char *)line, NULL };
	struct qemu_jail j;
	struct spawn_opts o = { 0 };
	int p[2], st, r;
	ssize_t k, used = 0;

	if ((r = qemu_jail_prepare(&j, store, argv[0])) < 0 || pipe2(p, O_CLOEXEC) < 0)
		return r < 0 ? r : -errno;
	qemu_jail_spawn_opts(&j, &o);
	r = proc_spawn_opts(argv, (struct spawn_fd[]){ { p[1], 1 }, { p[1], 2 } }, 2, &o, pid);
	close(p[1]);
	while (r == 0 && (k = read(p[0], out + used, n - 1 - (size_t)used)) > 0)
		used += k;
	out[used] = '\0';
	close(p[0]);
	if (r == 0)
		waitpid(*pid, &st, 0);
	return r;
}

static void test_child(const char *dir)
{
	char out[4096], want[64], *store = NULL, *line = NULL;
	pid_t pid = 0;
	int r;

	asprintf(&store, "%s/store", dir);
	mkdir(store, 0700);
	fs_write_atomic(AT_FDCWD, "/tmp/hv-jail-probe", "x", 1, 0644);
	asprintf(&line,
		 "grep -E '^(Uid|Gid|Groups|CapEff|CapPrm|CapBnd|NoNewPrivs):' /proc/self/status; "
		 "ls -A %s | wc -l; pwd; ls /tmp/hv-jail-probe 2>&1 | head -c 0 && echo tmp-hidden; "
		 "grep -q '^[0-9]* [0-9]* [^ ]* / / ro,' /proc/self/mountinfo && echo root-ro",
		 store);
	r = run_jailed(line, store, out, sizeof(out), &pid);
	CHECK(r == 0, "the jailed child runs: %s", r ? err_msg() : "");
	snprintf(want, sizeof(want), "Uid:\t%u\t%u\t%u\t%u", jail_uid(pid), jail_uid(pid), jail_uid(pid),
		 jail_uid(pid));
	CHECK(strstr(out, want) != NULL, "its uid is JAIL_UID_BASE + its pid (%s):\n%s", want, out);
	CHECK(jail_uid(pid) != 0 && strstr(out, "CapEff:\t0000000000000000") &&
		  strstr(out, "CapPrm:\t0000000000000000") && strstr(out, "CapBnd:\t0000000000000000"),
	      "it holds no capability, bounding set included:\n%s", out);
	CHECK(strstr(out, "NoNewPrivs:\t1") != NULL, "no_new_privs is set");
	CHECK(strstr(out, "\n0\n/\n") != NULL, "the store is an empty folder to it, its cwd is /:\n%s", out);
	CHECK(strstr(out, "tmp-hidden") != NULL, "/tmp is an empty folder to it");
	CHECK(strstr(out, "root-ro") != NULL, "the host is read-only to it:\n%s", out);
	unlink("/tmp/hv-jail-probe");
	free(line);
	free(store);
}

static void test_plan(const char *dir)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), fds[ENGINE_MAX_PASS_FDS], r;
	struct engine_pass_fds pf = { .n = 4, .vnc_path = "vnc.sock" };
	struct jail_plan plan;
	char buf[16] = "";
	pid_t child;

	fs_write_atomic(dfd, "kernel", "KERNEL", 6, 0600);
	fs_write_atomic(dfd, "disk", "DISK", 4, 0600);
	pf.v[0] = (struct engine_pass_fd){ .fd = 20, .set = -1, .kind = ENGINE_FD_COPY, .path = "kernel" };
	pf.v[1] = (struct engine_pass_fd){ .fd = 21, .set = 21, .kind = ENGINE_FD_RDWR, .path = "disk" };
	pf.v[2] = (struct engine_pass_fd){ .fd = 22, .set = 22, .kind = ENGINE_FD_APPEND, .path = "console.log" };
	pf.v[3] = (struct engine_pass_fd){ .fd = 23, .set = -1, .kind = ENGINE_FD_LISTEN, .path = "console.sock" };
	CHECK(jail_plan_save(dfd, &pf) == 0, "the plan is saved");
	r = jail_plan_load(dfd, &plan);
	CHECK(r == 0 && plan.fds.n == 4 && plan.fds.v[2].kind == ENGINE_FD_APPEND && plan.fds.v[1].set == 21 &&
		  !strcmp(plan.fds.v[3].path, "console.sock") && !strcmp(plan.fds.vnc_path, "vnc.sock"),
	      "and loaded as saved: %s", r ? err_msg() : "");
	r = jail_open(dfd, &plan.fds, fds, NULL);
	CHECK(r == 0, "its fds open: %s", r ? err_msg() : "");
	CHECK(fcntl(fds[0], F_GET_SEALS) & F_SEAL_WRITE, "a copied boot file is a sealed memfd");
	CHECK((fcntl(fds[1], F_GETFL) & O_ACCMODE) == O_RDWR && (fcntl(fds[2], F_GETFL) & O_APPEND),
	      "files open with the plan's access modes");
	CHECK(fs_exists_at(dfd, "console.sock") && fs_exists_at(dfd, "console.log"), "the socket and the log are made");
	/* what QEMU does with a boot file: reopen it by /proc/self/fd as its own uid */
	if ((child = fork()) == 0) {
		char path[64];
		int fd;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fds[0]);
		if (setresgid(jail_uid(getpid()), jail_uid(getpid()), jail_uid(getpid())) < 0 ||
		    setresuid(jail_uid(getpid()), jail_uid(getpid()), jail_uid(getpid())) < 0)
			_exit(2);
		if (open("disk", O_RDONLY) >= 0 || (fd = open(path, O_RDONLY)) < 0 || read(fd, buf, 6) != 6 ||
		    memcmp(buf, "KERNEL", 6))
			_exit(1);
		_exit(0);
	}
	fchdir(dfd);
	CHECK(child > 0 && waitpid(child, &r, 0) == child && WIFEXITED(r) && WEXITSTATUS(r) == 0,
	      "an unprivileged uid reads the copy by /proc/self/fd, never the file (status %d)", r);
	jail_close(&plan.fds, fds);
	jail_plan_free(&plan);

	/* a damaged plan is a named error, never a crash */
	static const struct {
		const char *text, *msg;
	} bad[] = {
		{ "[]", "not a JSON object" },
		{ "{}", "fds is missing" },
		{ "{\"fds\":[{\"fd\":3,\"set\":-1,\"kind\":\"read\",\"path\":\"x\"}]}", "fds[0].fd" },
		{ "{\"fds\":[{\"fd\":20,\"set\":-1,\"kind\":\"exec\",\"path\":\"x\"}]}", "unknown kind 'exec'" },
		{ "{\"fds\":[{\"fd\":20,\"set\":-1,\"kind\":\"read\",\"path\":null}]}", "fds[0].path" },
		{ "{\"fds\":[],\"vnc\":1}", "vnc" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fs_write_atomic(dfd, "qemu.fds", bad[i].text, strlen(bad[i].text), 0600);
		r = jail_plan_load(dfd, &plan);
		CHECK(r < 0 && strstr(err_msg(), bad[i].msg), "plan %s refused naming '%s': %s", bad[i].text,
		      bad[i].msg, err_msg());
	}
	/* two VMs on one disk: the block files are flock()ed for the QEMU that
	 * holds them (QEMU's own image locks are off on passed files) */
	struct engine_pass_fds a = { .n = 2 }, b = { .n = 2 }, c = { .n = 1 };
	int fa[ENGINE_MAX_PASS_FDS], fb[ENGINE_MAX_PASS_FDS], fc[ENGINE_MAX_PASS_FDS];
	fs_write_atomic(dfd, "base", "BASE", 4, 0600);
	a.v[0] = (struct engine_pass_fd){ .fd = 20, .set = 20, .kind = ENGINE_FD_RDWR, .path = "disk" };
	a.v[1] = (struct engine_pass_fd){ .fd = 21, .set = 20, .kind = ENGINE_FD_READ, .path = "disk" };
	c.v[0] = (struct engine_pass_fd){ .fd = 20, .set = 20, .kind = ENGINE_FD_READ, .path = "base" };
	r = jail_open(dfd, &a, fa, NULL);
	CHECK(r == 0, "a writable disk's set (read-write and read-only fd) opens and locks: %s", r ? err_msg() : "");
	r = jail_open(dfd, &a, fb, NULL);
	CHECK(r == -EBUSY && strstr(err_msg(), "disk is in use by a running VM (an image") && fb[0] == -1,
	      "a second VM writing the same disk is refused: %s", err_msg());
	b.v[0] = (struct engine_pass_fd){ .fd = 20, .set = 20, .kind = ENGINE_FD_READ, .path = "disk" };
	b.n = 1;
	r = jail_open(dfd, &b, fb, NULL);
	CHECK(r == -EBUSY && strstr(err_msg(), "disk is in use by a running VM, which writes it"),
	      "and so is one reading it: %s", err_msg());
	jail_close(&a, fa);
	r = jail_open(dfd, &b, fb, NULL);
	CHECK(r == 0, "once the first QEMU has closed it, it opens again: %s", r ? err_msg() : "");
	jail_close(&b, fb);
	r = jail_open(dfd, &c, fb, NULL) | jail_open(dfd, &c, fc, NULL);
	CHECK(r == 0, "two VMs may share a file both only read (a backing image): %s", r ? err_msg() : "");
	c.v[0].kind = ENGINE_FD_RDWR;
	r = jail_open(dfd, &c, fa, NULL);
	CHECK(r == -EBUSY, "but neither lets a third VM write it: %s", err_msg());
	jail_close(&c, fb);
	jail_close(&c, fc);

	/* a migration's destination opens the disk its source still writes;
	 * its lock is taken once the source has let go */
	struct jail_locks later;
	int fd_[ENGINE_MAX_PASS_FDS];
	r = jail_open(dfd, &a, fa, NULL);
	CHECK(r == 0, "the source's QEMU holds the disk: %s", r ? err_msg() : "");
	r = jail_open(dfd, &a, fd_, &later);
	CHECK(r == 0 && later.n == 1 && later.write[0], "the destination opens it with the lock deferred (%zu): %s",
	      later.n, r ? err_msg() : "");
	CHECK(jail_locks_take(&later) == -EBUSY && later.fd[0] >= 0, "its lock waits while the source holds the disk");
	jail_close(&a, fa);
	r = jail_locks_take(&later);
	CHECK(r == 0 && later.fd[0] == -1, "and is taken once the source's QEMU is gone: %d", r);
	r = jail_open(dfd, &b, fb, NULL);
	CHECK(r == -EBUSY, "the destination's QEMU (holding the description) now excludes others: %s", err_msg());
	jail_close(&a, fd_);
	jail_locks_drop(&later);

	/* a file that cannot be opened: nothing stays open */
	pf.n = 2;
	pf.v[1].path = "missing";
	CHECK(jail_open(dfd, &pf, fds, NULL) == -ENOENT && strstr(err_msg(), "missing") && fds[0] == -1,
	      "a missing file fails naming it, closing what was opened: %s", err_msg());
	close(dfd);
}

int main(void)
{
	char dir[] = "/tmp/hv-test-jail.XXXXXX";

	if (!mkdtemp(dir))
		return 1;
	chmod(dir, 0700);
	test_child(dir);
	test_plan(dir);
	fs_rm_rf_at(AT_FDCWD, dir);
	T_DONE();
}
