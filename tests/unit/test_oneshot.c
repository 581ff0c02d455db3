/* SPDX-License-Identifier: MIT */
/*
 * hv run's host side against a fake QEMU (a Python script speaking the
 * guest channel on fd 4): the frames a hostile guest may not send, text
 * from the guest, the EXEC limit checked before anything starts, and the
 * caller's signal mask left as it was.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <dirent.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest/proto.h"
#include "manager/oneshot.h"
#include "util/err.h"
#include "t.h"

/* hv run now starts its VM through hv's monitor (hv __monitor, the real
 * build/hv), which runs this fake QEMU: QMP on fd 3 (greeting, then a
 * reply to each command), the guest channel on fd 4. */
static const char fake_qemu[] =
    "#!/usr/bin/python3\n"
    "import json, os, struct, sys, threading, time\n"
    "mode = os.environ.get('FAKE_MODE', 'ok')\n"
    "def qmp():\n"
    "    os.write(3, b'{\"QMP\": {\"version\": {\"qemu\": {\"major\": 7, \"minor\": 2, \"micro\": 0}}, "
    "\"capabilities\": []}}\\r\\n')\n"
    "    buf = b''\n"
    "    while True:\n"
    "        k = os.read(3, 4096)\n"
    "        if not k: return\n"
    "        buf += k\n"
    "        while b'\\n' in buf:\n"
    "            line, buf = buf.split(b'\\n', 1)\n"
    "            m = json.loads(line)\n"
    "            ret = {'status': 'running', 'running': True} if m.get('execute') == 'query-status' else {}\n"
    "            os.write(3, json.dumps({'return': ret, 'id': m.get('id')}).encode() + b'\\r\\n')\n"
    "threading.Thread(target=qmp, daemon=True).start()\n"
    "def send(t, p=b'', s=1):\n"
    "    os.write(4, bytes([t, 0]) + struct.pack('<HI', s, len(p)) + p)\n"
    "def readn(n):\n"
    "    b = b''\n"
    "    while len(b) < n:\n"
    "        k = os.read(4, n - len(b))\n"
    "        if not k: sys.exit(3)\n"
    "        b += k\n"
    "    return b\n"
    "send(1, b'hv-init 2', 0)\n"
    "h = readn(8)\n"
    "p = readn(struct.unpack('<I', h[4:])[0])\n"
    "if h[0] != 2: sys.exit(4)\n"
    "if mode == 'ok':\n"
    "    argv = [x[1:] for x in p.split(b'\\0') if x.startswith(b'A')]\n"
    "    send(5, b' '.join(argv) + b'\\n')\n"
    "    send(11, b'bad \\x1b]0;pwned\\x07\\xc2\\x9b2J\\x9b31mthing\\x1b[0m')\n"
    "    send(7, bytes([0, 7]))\n"
    "elif mode == 'pipe':\n"
    "    # hv run (the monitor's parent) is stopped while the output and\n"
    "    # the exit arrive, so that it sees both at once and writes the\n"
    "    # output after QEMU has gone\n"
    "    hv = int(open('/proc/%d/stat' % os.getppid()).read().rsplit(')', 1)[1].split()[1])\n"
    "    # (a QEMU without root may not signal hv: then the race is left to chance)\n"
    "    try: os.kill(hv, 19)\n"
    "    except PermissionError: hv = 0\n"
    "    for i in range(8): send(5, b'x' * 4000)\n"
    "    send(7, bytes([0, 0]))\n"
    "    if os.fork() == 0:\n"
    "        os.closerange(3, 6)\n"
    "        time.sleep(0.3)\n"
    "        if hv: os.kill(hv, 18)\n"
    "        os._exit(0)\n"
    "else:\n"
    "    send(int(mode))\n"
    "    time.sleep(20)\n";

static char dir[] = "/tmp/hv-test-oneshot.XXXXXX";
static char home[300], exe[4096];

static void write_file(const char *name, const char *data, size_t n, mode_t mode)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	(void)!write(fd, data, n);
	close(fd);
}

static void setup(void)
{
	char qemu[256];

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		exit(1);
	}
	/* QEMU runs as an unprivileged uid (src/jail): it must reach the fake */
	chmod(dir, 0711);
	write_file("vmlinux",
		   "\x7f"
		   "ELF fake kernel",
		   15, 0644);
	write_file("initramfs.cpio", "", 0, 0644);
	write_file("qemu", fake_qemu, sizeof(fake_qemu) - 1, 0755);
	snprintf(qemu, sizeof(qemu), "%s/qemu", dir);
	setenv("HV_GUEST_DIR", dir, 1);
	setenv("HV_QEMU", qemu, 1);
	/* the VM is made in a store of its own, and its monitor is hv's */
	snprintf(home, sizeof(home), "%s/home", dir);
	setenv("HV_HOME", home, 1);
	if (!realpath("build/hv", exe)) {
		perror("build/hv (run from the repository, after make)");
		exit(1);
	}
	setenv("HV_EXE", exe, 1);
}

static void teardown(void)
{
	char *vms = NULL;
	int fd;

	if (asprintf(&vms, "%s/vms", home) > 0 && (fd = open(vms, O_RDONLY | O_DIRECTORY)) >= 0) {
		DIR *d = fdopendir(fd);
		struct dirent *de;
		int n = 0;
		while (d && (de = readdir(d)))
			n += de->d_name[0] != '.';
		CHECK(n == 0, "every run's VM was deleted (%d left in %s)", n, vms);
		if (d)
			closedir(d);
	}
	free(vms);
	if (fork() == 0) {
		execlp("rm", "rm", "-rf", dir, (char *)NULL);
		_exit(127);
	}
	wait(NULL);
}

static char *cmd_echo[] = { "echo", "hi", NULL };

static struct oneshot_opts opts(char **command)
{
	struct oneshot_opts o = { .cpus = 1, .memory_mib = 64, .accel = ACCEL_TCG, .machine = MACHINE_MICROVM };

	o.command = command;
	o.nics.none = true;
	return o;
}

/* Run with stdout captured into out (NUL-terminated). */
static int run(const char *mode, char **command, struct oneshot_result *res, char *out, size_t n)
{
	struct oneshot_opts o = opts(command);
	struct oneshot_plan *plan;
	int p[2], saved = dup(1), r;
	ssize_t k;

	setenv("FAKE_MODE", mode, 1);
	if ((r = oneshot_prepare(&o, &plan)) < 0)
		return r;
	(void)!pipe(p);
	dup2(p[1], 1);
	close(p[1]);
	r = oneshot_run(plan, res);
	dup2(saved, 1);
	close(saved);
	k = read(p[0], out, n - 1);
	out[k > 0 ? k : 0] = '\0';
	close(p[0]);
	return r;
}

static void relays_a_command(void)
{
	struct oneshot_result res;
	char out[256];
	int r = run("ok", cmd_echo, &res, out, sizeof(out));

	CHECK(r == 0 && res.end == ONESHOT_EXITED && res.status == 7,
	      "the fake guest's exit status 7 comes back (%d: %s)", r, r < 0 ? err_msg() : "");
	CHECK_STR(out, "echo hi\n", "its STDOUT frame reaches stdout");
	CHECK_STR(res.guest_error, "bad thing", "an ERROR frame's escape sequences and C1 controls are stripped");
}

static void refuses_host_frames(void)
{
	const int host_only[] = { HVP_EXEC, HVP_STDIN, HVP_STDIN_EOF, HVP_WINCH, HVP_SIGNAL, HVP_OUTACK, HVP_HANGUP };

	for (size_t i = 0; i < sizeof(host_only) / sizeof(host_only[0]); i++) {
		struct oneshot_result res;
		char out[64], mode[8];
		int r;
		snprintf(mode, sizeof(mode), "%d", host_only[i]);
		err_clear();
		r = run(mode, cmd_echo, &res, out, sizeof(out));
		CHECK(r == -EPROTO && strstr(err_msg(), "hv channel closed") &&
			  strstr(err_msg(), hvp_type_name(host_only[i])) && strstr(err_msg(), "only the host"),
		      "a guest sending %s ends hv run with a protocol error (%d: %s)", hvp_type_name(host_only[i]), r,
		      err_msg());
	}
}

static void exec_limit_before_boot(void)
{
	static char big[70000];
	char *cmd[] = { "echo", big, NULL };
	struct oneshot_opts o = opts(cmd);
	struct oneshot_plan *plan = NULL;
	int r;

	memset(big, 'x', sizeof(big) - 1);
	/* a QEMU that cannot run shows that nothing was started */
	setenv("HV_QEMU", "/nonexistent/qemu", 1);
	r = oneshot_prepare(&o, &plan);
	CHECK(r == -E2BIG && strstr(err_msg(), "57344") && !plan,
	      "a command over the EXEC limit is refused before QEMU is looked for (%d: %s)", r, err_msg());
	{
		char qemu[256];
		snprintf(qemu, sizeof(qemu), "%s/qemu", dir);
		setenv("HV_QEMU", qemu, 1);
	}
}

static void leaves_signals_alone(void)
{
	sigset_t before, after, pending, usr1;
	struct oneshot_result res;
	char out[64];
	int p[2], saved, r;
	struct oneshot_opts o = opts(cmd_echo);
	struct oneshot_plan *plan;
	bool same = true;

	signal(SIGPIPE, SIG_DFL);
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	pthread_sigmask(SIG_SETMASK, &usr1, NULL);
	pthread_sigmask(SIG_SETMASK, NULL, &before);
	/* stdout is a pipe nobody reads: hv's writes raise SIGPIPE */
	setenv("FAKE_MODE", "pipe", 1);
	r = oneshot_prepare(&o, &plan);
	saved = dup(1);
	(void)!pipe(p);
	dup2(p[1], 1);
	close(p[1]);
	close(p[0]);
	if (r == 0)
		r = oneshot_run(plan, &res);
	dup2(saved, 1);
	close(saved);
	pthread_sigmask(SIG_SETMASK, NULL, &after);
	sigpending(&pending);
	for (int s = 1; s < NSIG; s++)
		if (sigismember(&before, s) != sigismember(&after, s))
			same = false;
	CHECK(r == 0, "a run whose stdout is closed still completes (%d: %s)", r, r < 0 ? err_msg() : "");
	CHECK(same, "the caller's signal mask is as it was");
	CHECK(!sigismember(&pending, SIGPIPE) && !sigismember(&pending, SIGCHLD),
	      "no SIGPIPE or SIGCHLD of the run is left pending");
	(void)out;
}

int main(void)
{
	setup();
	relays_a_command();
	refuses_host_frames();
	exec_limit_before_boot();
	leaves_signals_alone();
	teardown();
	T_DONE();
}
