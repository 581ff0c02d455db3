/* SPDX-License-Identifier: MIT */
/* create, start, run, kill, delete, pause/resume and ps of OCI containers. */
#include "oci/container.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "oci/cgroups.h"
#include "oci/devices.h"
#include "oci/hooks.h"
#include "oci/lsm.h"
#include "oci/pty.h"
#include "oci/seccomp.h"
#include "oci/spec.h"
#include "oci/state.h"
#include "oci/sync.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/jsonfile.h"
#include "util/proc.h"

static void rfc3339(char *buf, size_t n)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t k = strftime(buf, n, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + k, n - k, ".%09ldZ", ts.tv_nsec);
}

static int write_idmap(pid_t pid, const char *file, const struct oci_idmap *m, size_t n)
{
	char path[64], buf[1024] = "";
	int fd, r = 0;

	for (size_t i = 0; i < n; i++)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%u %u %u\n", m[i].container, m[i].host,
			 m[i].size);
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) < 0 || write(fd, buf, strlen(buf)) < 0)
		r = err_errno(-errno, "cannot write %s", file);
	if (fd >= 0)
		close(fd);
	return r;
}

/* The state JSON the hooks read on stdin (*out malloc'ed). */
static int hook_state(const char *root, struct ctr_state *st, const char *status, char **out)
{
	struct json_object *o = ctr_state_json(root, st);
	const char *text;

	*out = NULL;
	if (!o)
		return err_set(-ENOMEM, "out of memory making the state of container %s", st->id);
	json_object_object_add(o, "status", json_object_new_string(status));
	json_object_object_add(o, "pid", json_object_new_int(st->pid));
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	*out = text ? strdup(text) : NULL;
	json_object_put(o);
	return *out ? 0 : err_set(-ENOMEM, "out of memory making the state of container %s", st->id);
}

/* clone() with the new namespaces; where there is a v2 hierarchy, clone3
 * puts the child straight into its cgroup there (no migration at all). */
static pid_t clone_init(int flags, int ufd, bool *in_unified)
{
	pid_t pid;

	*in_unified = false;
	if (ufd >= 0) {
		struct clone_args ca = { .flags = (uint64_t)flags | CLONE_INTO_CGROUP,
					 .exit_signal = SIGCHLD,
					 .cgroup = (uint64_t)ufd };
		pid = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
		if (pid >= 0) {
			*in_unified = true; /* the child sees this too: it is a copy */
			return pid;
		}
		if (errno != ENOSYS && errno != E2BIG && errno != EINVAL && errno != EOPNOTSUPP)
			return -1;
	}
	return (pid_t)syscall(SYS_clone, (unsigned long)flags | SIGCHLD, NULL, NULL, NULL, 0);
}

/* The init, in the pid namespace pidns when it is >= 0.  Only a child
 * enters the pid namespace setns() names, so a short-lived helper joins it
 * and clones the init as our child (CLONE_PARENT): this process's own
 * namespaces stay as they were.  Returns 0 in the init, as fork does. */
static pid_t spawn_init(int flags, struct cgroup *cg, int pidns, bool *in_unified)
{
	_cleanup_close_ int ufd = cg_unified_fd(cg);
	struct {
		pid_t pid;
		int err;
		bool unified;
	} m = { -1, 0, false };
	int p[2], status;
	pid_t helper;
	ssize_t n;

	if (pidns < 0)
		return clone_init(flags, ufd, in_unified);
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	helper = fork();
	if (helper < 0) {
		int e = errno;
		close(p[0]);
		close(p[1]);
		errno = e;
		return -1;
	}
	if (helper == 0) {
		close(p[0]);
		if (setns(pidns, CLONE_NEWPID) < 0)
			m.err = errno;
		else if ((m.pid = clone_init(flags | CLONE_PARENT, ufd, &m.unified)) == 0) {
			close(p[1]);
			*in_unified = m.unified;
			return 0;
		} else if (m.pid < 0)
			m.err = errno;
		(void)!write(p[1], &m, sizeof(m));
		_exit(0);
	}
	close(p[1]);
	while ((n = read(p[0], &m, sizeof(m))) < 0 && errno == EINTR)
		;
	close(p[0]);
	while (waitpid(helper, &status, 0) < 0 && errno == EINTR)
		;
	if (n != sizeof(m) || m.pid <= 0) {
		errno = n != sizeof(m) ? EIO : m.err;
		return -1;
	}
	*in_unified = m.unified;
	return m.pid;
}

static int wait_joined(int sock)
{
	char msg[1024];
	int fd = -1, k = sync_recv(sock, msg, sizeof(msg), &fd);

	if (fd >= 0)
		close(fd);
	if (k == SYNC_JOINED)
		return 0;
	return err_set(-EIO, "%s", k == SYNC_ERROR ? msg : "the container's init ended during setup");
}

static int wait_ready(int sock, const char *console, int *pty, pid_t pid)
{
	char msg[1024];
	int fd, k;

	for (;;) {
		k = sync_recv(sock, msg, sizeof(msg), &fd);
		if (k == SYNC_READY)
			return 0;
		if (k == SYNC_PTY) {
			if (!console && pty) {
				*pty = fd;
				continue;
			}
			int r = console ? console_socket_send(console, fd)
					: err_set(-EINVAL, "process.terminal is true but no --console-socket was given "
							   "(or run it in the foreground with hv-runc run)");
			close(fd);
			if (r < 0)
				return r;
			continue;
		}
		if (k == SYNC_ERROR)
			return err_set(-EIO, "%s", msg);
		int status;
		if (waitpid(pid, &status, WNOHANG) == pid && WIFSIGNALED(status))
			return err_set(-EIO, "the container's init was killed by signal %d during setup",
				       WTERMSIG(status));
		return err_set(-EIO, "the container's init ended during setup");
	}
}

/* linux.cgroupsPath as runc's cgroupfs manager reads it: "/a/b" below
 * each hierarchy's root, "a/b" below the runtime's own cgroup (cg_create);
 * none: /hv-runc/ID.  "slice:prefix:name" is the form of runc's systemd
 * manager (--systemd-cgroup), which hv does not have. */
static int cgroup_path(const char *given, const char *id, char *out, size_t n)
{
	const char *c1 = given ? strchr(given, ':') : NULL, *c2 = c1 ? strchr(c1 + 1, ':') : NULL;

	if (!given || !*given)
		return fs_path(out, n, "/hv-runc/%s", id);
	if (c2 && !strchr(c2 + 1, ':') && !strchr(given, '/'))
		return err_set(-EINVAL,
			       "linux.cgroupsPath '%s' is in systemd's \"slice:prefix:name\" form, which needs a "
			       "systemd cgroup manager; hv manages cgroupfs paths (\"/a/b\", or \"a/b\" below its "
			       "own cgroup): use podman --cgroup-manager cgroupfs",
			       given);
	return fs_path(out, n, "%s", given);
}

static int lock_ctr(const char *root, const char *id, int *fd)
{
	_cleanup_close_ int dfd = ctr_open_dir(root, id);

	if (dfd < 0)
		return dfd;
	if (flock(dfd, LOCK_EX) < 0)
		return err_errno(-errno, "cannot lock container %s", id);
	*fd = TAKE_FD(dfd);
	return 0;
}

/* The clone flags of the namespaces @s asks hv to create; those given by
 * path are joined by the init, except the pid namespace, which only the
 * next child can enter: it is opened into *pidns. */
static int ns_flags(const struct oci_spec *s, int *flags, int *pidns, const char **pidns_path)
{
	static const int kinds[] = { CLONE_NEWNS,  CLONE_NEWUTS,  CLONE_NEWIPC,	  CLONE_NEWNET,
				     CLONE_NEWPID, CLONE_NEWUSER, CLONE_NEWCGROUP };

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		const char *nspath = NULL;
		if (!oci_spec_has_ns(s, kinds[i], NULL))
			continue;
		if (oci_spec_has_ns(s, kinds[i], &nspath) && nspath) {
			if (kinds[i] != CLONE_NEWPID)
				continue;
			*pidns_path = nspath;
			if ((*pidns = open(nspath, O_RDONLY | O_CLOEXEC)) < 0)
				return err_errno(-errno, "cannot join the pid namespace %s", nspath);
			continue;
		}
		*flags |= kinds[i];
	}
	return 0;
}

/* The container's record, for state and for the hooks; then the prestart
 * and createRuntime hooks run with it (hookstate.json in the folder @dfd). */
static int record_created(const struct ctr_opts *o, const struct oci_spec *s, const struct cgroup *cg, pid_t pid,
			  int dfd)
{
	_cleanup_free_ char *state_text = NULL;
	struct ctr_state st = { 0 };
	int r;

	snprintf(st.id, sizeof(st.id), "%s", o->id);
	snprintf(st.bundle, sizeof(st.bundle), "%s", s->bundle);
	snprintf(st.rootfs, sizeof(st.rootfs), "%s", s->rootfs);
	snprintf(st.cgroup, sizeof(st.cgroup), "%s", cg->path);
	snprintf(st.cgroup_parents, sizeof(st.cgroup_parents), "%s", cg->parents);
	rfc3339(st.created, sizeof(st.created));
	st.owner = geteuid();
	st.pid = pid;
	proc_start_time(pid, &st.pid_start);
	if ((r = ctr_state_save(o->root, &st)) < 0 || (r = hook_state(o->root, &st, "creating", &state_text)) < 0 ||
	    (r = fs_write_atomic(dfd, "hookstate.json", state_text, strlen(state_text), 0600)) < 0 ||
	    (r = hooks_run(s, HOOK_PRESTART, state_text)) < 0 ||
	    (r = hooks_run(s, HOOK_CREATE_RUNTIME, state_text)) < 0)
		return r;
	return 0;
}

/* What hv-runc create makes, in order; create_undo takes back what was made. */
struct creation {
	const struct ctr_opts *o;
	char *dir, *hookfile;
	struct oci_spec *s;
	struct oci_seccomp *sc;
	struct cgroup cg;
	int sp[2], fifo, lock, pidns, flags;
	const char *pidns_path;
	bool made_dir, made_cg, new_cgroupns;
	pid_t pid;
};

/* The container's folder (locked while half made), its exec.fifo, its
 * cgroup, the sync socket and the namespaces to make. */
static int create_prepare(struct creation *c)
{
	int r;

	if (mkdir(c->dir, 0700) < 0)
		return errno == EEXIST ? err_set(-EEXIST, "container %s already exists", c->o->id)
				       : err_errno(-errno, "cannot create %s", c->dir);
	c->made_dir = true;
	/* others wait while the container is half made */
	if ((r = lock_ctr(c->o->root, c->o->id, &c->lock)) < 0)
		return r;
	/* writable by all: the init reopens it after taking the process's
	 * uid; only root can reach it by name (the directory is 0700) */
	if (mkfifoat(c->lock, "exec.fifo", 0622) < 0 || fchmodat(c->lock, "exec.fifo", 0622, 0) < 0 ||
	    (c->fifo = openat(c->lock, "exec.fifo", O_PATH | O_CLOEXEC)) < 0)
		return err_errno(-errno, "cannot create %s/exec.fifo", c->dir);
	char cgpath[512];
	if ((r = cgroup_path(c->s->cgroups_path, c->o->id, cgpath, sizeof(cgpath))) < 0 ||
	    (r = cg_create(&c->cg, cgpath)) < 0)
		return r;
	c->made_cg = true;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, c->sp) < 0)
		return err_errno(-errno, "socketpair");
	if ((r = ns_flags(c->s, &c->flags, &c->pidns, &c->pidns_path)) < 0)
		return r;
	/* a new cgroup namespace is made by the init once it is in its
	 * cgroups, so that they are its root in every hierarchy */
	c->new_cgroupns = (c->flags & CLONE_NEWCGROUP) != 0;
	c->flags &= ~CLONE_NEWCGROUP;
	if (asprintf(&c->hookfile, "%s/hookstate.json", c->dir) < 0) {
		c->hookfile = NULL;
		return err_set(-ENOMEM, "out of memory");
	}
	return 0;
}

/* The init, in its cgroup (limits applied first) and namespaces; this
 * process's end returns once it has joined. */
static int create_spawn(struct creation *c)
{
	struct init_args args = { .s = c->s,
				  .sync = c->sp[1],
				  .fifo = c->fifo,
				  .cg = &c->cg,
				  .hookfile = c->hookfile,
				  .seccomp = c->sc,
				  .no_pivot = c->o->no_pivot,
				  .lock = c->lock,
				  .new_cgroupns = c->new_cgroupns,
				  .preserve_fds = c->o->preserve_fds > 0 ? c->o->preserve_fds : 0,
				  .lsm = LSM_EXEC_INIT,
				  .new_userns = (c->flags & CLONE_NEWUSER) != 0 };
	_cleanup_json_ struct json_object *res = NULL;
	int r;

	/* limits first: the init joins a cgroup that is ready */
	if ((r = oci_cgroup_resources(c->s, &res)) < 0 || (r = cg_apply(&c->cg, res)) < 0)
		return r;
	c->pid = spawn_init(c->flags, &c->cg, c->pidns, &args.in_unified);
	if (c->pid < 0)
		return c->pidns >= 0 ? err_errno(-errno, "cannot create the container's init in the pid namespace %s",
						 c->pidns_path)
				     : err_errno(-errno, "cannot create the container's namespaces");
	if (c->pid == 0) {
		close(c->sp[0]);
		container_init(&args);
	}
	close(c->sp[1]);
	c->sp[1] = -1;
	if (!(c->flags & CLONE_NEWUSER))
		return wait_joined(c->sp[0]);
	/* the init cannot write the host's cgroup files from its user
	 * namespace: move it from here */
	if ((r = write_idmap(c->pid, "uid_map", c->s->uidmap, c->s->nuidmap)) < 0 ||
	    (r = write_idmap(c->pid, "gid_map", c->s->gidmap, c->s->ngidmap)) < 0)
		return r;
	return cg_add_pid(&c->cg, c->pid);
}

/* Recorded as created, the init told to go on, ready (its console handed
 * over), the pid file written. */
static int create_finish(struct creation *c)
{
	int r;

	if ((r = record_created(c->o, c->s, &c->cg, c->pid, c->lock)) < 0)
		return r;
	if (sync_send(c->sp[0], SYNC_GO, NULL, -1) < 0)
		return err_set(-EIO, "the container's init ended during setup");
	if ((r = wait_ready(c->sp[0], c->o->console_socket, c->o->pty_master, c->pid)) < 0)
		return r;
	return c->o->pid_file ? ctr_write_pid_file(c->o->pid_file, c->pid) : 0;
}

static void create_undo(struct creation *c)
{
	struct err_saved saved;

	err_save(&saved);
	if (c->pid > 0) {
		kill(c->pid, SIGKILL);
		waitpid(c->pid, NULL, 0);
	}
	if (c->made_cg)
		cg_destroy(&c->cg);
	if (c->made_dir)
		fs_rm_rf_at(AT_FDCWD, c->dir);
	err_restore(&saved);
}

int ctr_create(const struct ctr_opts *o, pid_t *out_pid)
{
	struct creation c = { .o = o, .sp = { -1, -1 }, .fifo = -1, .lock = -1, .pidns = -1, .pid = -1 };
	int r;

	if ((r = ctr_dir(o->root, o->id, &c.dir)) < 0)
		return r;
	if ((r = oci_spec_load(o->bundle ? o->bundle : ".", &c.s)) < 0)
		goto out;
	if ((r = lsm_check(&c.s->process, c.s->mount_label, "config.json: process")) < 0 ||
	    (r = oci_seccomp_build(c.s->seccomp, &c.sc)) < 0 || (r = create_prepare(&c)) < 0 ||
	    (r = create_spawn(&c)) < 0 || (r = create_finish(&c)) < 0)
		create_undo(&c);
	else if (out_pid)
		*out_pid = c.pid;
out:
	for (int i = 0; i < 2; i++)
		if (c.sp[i] >= 0)
			close(c.sp[i]);
	if (c.fifo >= 0)
		close(c.fifo);
	if (c.lock >= 0)
		close(c.lock);
	if (c.pidns >= 0)
		close(c.pidns);
	oci_seccomp_free(c.sc);
	oci_spec_free(c.s);
	free(c.hookfile);
	free(c.dir);
	return r < 0 ? r : 0;
}

/* poststart and poststop: the container goes on whatever they do (the
 * spec wants a warning only). */
static void late_hooks(const char *root, struct ctr_state *st, enum oci_hook_kind kind, const char *status)
{
	struct oci_spec *s = NULL;

	if (oci_spec_load(st->bundle, &s) == 0) {
		_cleanup_free_ char *text = NULL;
		if (hook_state(root, st, status, &text) < 0 || hooks_run(s, kind, text) < 0)
			fprintf(stderr, "hv-runc: warning: %s\n", err_msg());
		oci_spec_free(s);
	}
	err_clear();
}

int ctr_start(const char *root, const char *id)
{
	char c;
	struct ctr_state st;
	_cleanup_close_ int lock = -1, fd = -1;
	int r;

	if ((r = lock_ctr(root, id, &lock)) < 0 || (r = ctr_state_load(root, id, &st)) < 0)
		return r;
	enum ctr_status status = ctr_status(root, &st);
	if (status != CTR_CREATED)
		return err_set(-EINVAL, "container %s is %s: only a created container can be started", id,
			       ctr_status_name(status));
	/* non-blocking open, then wait for the init's byte: a dead init
	 * cannot hang us (lock is the container's folder) */
	if ((fd = openat(lock, "exec.fifo", O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0)
		return err_errno(-errno, "cannot open %s/%s/exec.fifo", root, id);
	struct pollfd pf = { fd, POLLIN, 0 };
	struct proc_id init = { .pid = st.pid, .start = st.pid_start };
	while ((r = poll(&pf, 1, 100)) == 0 || (r < 0 && errno == EINTR))
		if (!proc_id_alive(&init))
			break;
	if (r <= 0 || read(fd, &c, 1) != 1)
		return err_set(-EIO, "container %s did not start: its init is gone", id);
	unlinkat(lock, "exec.fifo", 0);
	st.started = true;
	if ((r = ctr_state_save(root, &st)) < 0)
		return r;
	late_hooks(root, &st, HOOK_POSTSTART, "running");
	return 0;
}

int ctr_run(const struct ctr_opts *o)
{
	struct ctr_opts fg = *o;
	_cleanup_close_ int pty = -1;
	pid_t pid;
	int r, status;

	if (!o->detach)
		fg.pty_master = &pty;
	if ((r = ctr_create(&fg, &pid)) < 0)
		return r;
	if ((r = ctr_start(o->root, o->id)) < 0) {
		ctr_delete(o->root, o->id, true);
		return r;
	}
	if (o->detach)
		return 0;
	if (pty >= 0)
		pty_relay(pty);
	/* the runtime is the init's parent here: wait for it, then clean up */
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			status = 0;
			break;
		}
	ctr_delete(o->root, o->id, true);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int ctr_signal_parse(const char *s, int *sig)
{
	static const struct {
		const char *name;
		int sig;
	} t[] = { { "HUP", SIGHUP },	 { "INT", SIGINT },   { "QUIT", SIGQUIT }, { "KILL", SIGKILL },
		  { "USR1", SIGUSR1 },	 { "USR2", SIGUSR2 }, { "TERM", SIGTERM }, { "STOP", SIGSTOP },
		  { "CONT", SIGCONT },	 { "ALRM", SIGALRM }, { "PIPE", SIGPIPE }, { "CHLD", SIGCHLD },
		  { "WINCH", SIGWINCH }, { "TSTP", SIGTSTP }, { "ABRT", SIGABRT }, { "PWR", SIGPWR } };
	const char *name = !strncmp(s, "SIG", 3) ? s + 3 : s;
	char *end;
	long n = strtol(s, &end, 10);

	if (*s && !*end) {
		if (n < 1 || n > 64)
			return err_set(-EINVAL, "unknown signal '%s'", s);
		*sig = (int)n;
		return 0;
	}
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (!strcmp(name, t[i].name)) {
			*sig = t[i].sig;
			return 0;
		}
	if (!strncmp(name, "RTMIN+", 6) && (n = strtol(name + 6, &end, 10)) >= 0 && !*end && SIGRTMIN + n <= SIGRTMAX) {
		*sig = SIGRTMIN + (int)n;
		return 0;
	}
	return err_set(-EINVAL, "unknown signal '%s' (use a name such as TERM or a number)", s);
}

int ctr_kill(const char *root, const char *id, int sig, bool all)
{
	struct ctr_state st;
	struct cgroup cg;
	int r;

	if ((r = ctr_state_load(root, id, &st)) < 0)
		return r;
	enum ctr_status status = ctr_status(root, &st);
	if (status == CTR_STOPPED && !all)
		return err_set(-ESRCH, "container %s is not running", id);
	if (all && cg_open(&cg, st.cgroup, st.cgroup_parents) == 0)
		return cg_kill_all(&cg, sig);
	if (kill(st.pid, sig) < 0)
		return err_errno(-errno, "cannot signal container %s", id);
	return 0;
}

int ctr_delete(const char *root, const char *id, bool force)
{
	_cleanup_free_ char *dir = NULL;
	struct ctr_state st;
	struct cgroup cg;
	_cleanup_close_ int lock = -1;
	int r;

	if ((r = lock_ctr(root, id, &lock)) < 0) {
		/* --force: gone already is fine (engines clean up twice) */
		if (r == -ENOENT && force && ctr_id_validate(id) == 0) {
			err_clear();
			return 0;
		}
		return r;
	}
	if ((r = ctr_state_load(root, id, &st)) < 0) {
		/* a state hv cannot read: --force removes what is left of it */
		if (r == -ENOENT || !force || (r = ctr_dir(root, id, &dir)) < 0)
			return r;
		return fs_rm_rf_at(AT_FDCWD, dir);
	}
	enum ctr_status status = ctr_status(root, &st);
	if (status != CTR_STOPPED && status != CTR_CREATED && !force)
		return err_set(-EBUSY, "container %s is %s: stop it first, or delete it with --force", id,
			       ctr_status_name(status));
	if (cg_open(&cg, st.cgroup, st.cgroup_parents) == 0)
		cg_kill_all(&cg, SIGKILL); /* thaws a paused container too */
	if (st.pid > 0 && status != CTR_STOPPED)
		kill(st.pid, SIGKILL);
	/* our child only when this process created it (run) */
	waitpid(st.pid, NULL, WNOHANG);
	for (int i = 0; i < 200 && ctr_status(root, &st) != CTR_STOPPED; i++)
		proc_sleep_ms(5);
	if (cg_open(&cg, st.cgroup, st.cgroup_parents) == 0 && (r = cg_destroy(&cg)) < 0)
		return r;
	late_hooks(root, &st, HOOK_POSTSTOP, "stopped");
	if ((r = ctr_dir(root, id, &dir)) < 0)
		return r;
	return fs_rm_rf_at(AT_FDCWD, dir);
}

int ctr_pause(const char *root, const char *id, bool pause)
{
	struct ctr_state st;
	struct cgroup cg;
	int r;

	if ((r = ctr_state_load(root, id, &st)) < 0)
		return r;
	enum ctr_status status = ctr_status(root, &st);
	if (pause && status != CTR_RUNNING)
		return err_set(-EINVAL, "container %s is %s, not running", id, ctr_status_name(status));
	if (!pause && status != CTR_PAUSED)
		return err_set(-EINVAL, "container %s is %s, not paused", id, ctr_status_name(status));
	if ((r = cg_open(&cg, st.cgroup, st.cgroup_parents)) < 0)
		return r;
	return cg_freeze(&cg, pause);
}

int ctr_update(const char *root, const char *id, struct json_object *resources)
{
	_cleanup_close_ int lock = -1;
	struct ctr_state st;
	struct cgroup cg;
	int r;

	if ((r = lock_ctr(root, id, &lock)) < 0 || (r = ctr_state_load(root, id, &st)) < 0)
		return r;
	enum ctr_status status = ctr_status(root, &st);
	if (status == CTR_STOPPED)
		return err_set(-EINVAL, "container %s is stopped: there is nothing to update", id);
	/* device rules stay as created: a partial list would cut /dev off */
	json_object_object_del(resources, "devices");
	if ((r = cg_open(&cg, st.cgroup, st.cgroup_parents)) < 0)
		return r;
	return cg_apply(&cg, resources);
}

int ctr_pids(const char *root, const char *id, pid_t **pids, size_t *n)
{
	struct ctr_state st;
	struct cgroup cg;
	int r;

	*pids = NULL;
	*n = 0;
	if ((r = ctr_state_load(root, id, &st)) < 0)
		return r;
	if ((r = cg_open(&cg, st.cgroup, st.cgroup_parents)) < 0)
		return r;
	return cg_pids(&cg, pids, n);
}
