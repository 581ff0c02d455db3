/* SPDX-License-Identifier: MIT */
/* The guest agent client against a fake agent (fake_agent.h): resync
 * with guest-sync-delimited, typed commands, and every way a hostile or
 * broken agent can answer (garbage, no 0xFF, wrong id, oversized, silent,
 * wrong types, NUL bytes, truncated): an error with a reason, never a
 * crash or a hang. */
#include <errno.h>
#include <stdlib.h>

#include "agent/agent.h"
#include "agent/ops.h"
#include "agent/qga.h"
#include "fake_agent.h"
#include "t.h"
#include "util/base64.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/proc.h"
#include "util/sock.h"
#include <fcntl.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/stat.h>

#define SHORT_MS 300

static int connect_fake(struct fake_agent *f, struct qga **g)
{
	return qga_open_fd(fake_start_pair(f), SHORT_MS, g);
}

static bool logged(const struct fake_agent *f, const char *prefix)
{
	for (int i = 0; i < f->nlog; i++)
		if (!strncmp(f->log[i], prefix, strlen(prefix)))
			return true;
	return false;
}

static void test_good_agent(void)
{
	struct fake_agent f = { 0 };
	struct qga *g = NULL;
	struct agent_osinfo os;
	struct agent_iface ifs[AGENT_MAX_IFACES];
	unsigned n = 0;
	int count = -1;
	bool frozen = true;

	fake_reply_add(&f, "guest-ping", "{\"return\": {}}\n");
	fake_reply_add(
	    &f, "guest-get-osinfo",
	    "{\"return\": {\"id\": \"debian\", \"pretty-name\": \"Debian GNU/Linux 12 \\u001b[31m(bookworm)\","
	    " \"version-id\": \"12\", \"kernel-release\": \"6.1.0-57-cloud-amd64\", \"extra\": [1]}}\n");
	fake_reply_add(
	    &f, "guest-network-get-interfaces",
	    "{\"return\": [{\"name\": \"lo\", \"hardware-address\": \"00:00:00:00:00:00\", \"ip-addresses\": "
	    "[{\"ip-address-type\": \"ipv4\", \"ip-address\": \"127.0.0.1\", \"prefix\": 8}]},"
	    "{\"name\": \"ens3\", \"hardware-address\": \"52:54:00:12:34:56\", \"ip-addresses\": "
	    "[{\"ip-address-type\": \"ipv4\", \"ip-address\": \"10.0.2.15\", \"prefix\": 24},"
	    "{\"ip-address-type\": \"ipv6\", \"ip-address\": \"fe80::1\", \"prefix\": 64}]},"
	    "{\"name\": \"dummy0\"}]}\n");
	fake_reply_add(&f, "guest-fsfreeze-freeze", "{\"return\": 2}\n");
	fake_reply_add(&f, "guest-fsfreeze-status", "{\"return\": \"thawed\"}\n");
	CHECK(connect_fake(&f, &g) == 0, "connect: %s", err_msg());
	CHECK(agent_ping(g, SHORT_MS) == 0, "ping: %s", err_msg());
	CHECK(agent_get_osinfo(g, SHORT_MS, &os) == 0, "osinfo: %s", err_msg());
	CHECK_STR(os.id, "debian", "os id");
	CHECK_STR(os.pretty_name, "Debian GNU/Linux 12 (bookworm)", "pretty name without the escape sequence");
	CHECK_STR(os.kernel_release, "6.1.0-57-cloud-amd64", "kernel");
	CHECK_STR(os.machine, "", "absent field");
	CHECK(agent_network_interfaces(g, SHORT_MS, ifs, &n) == 0, "interfaces: %s", err_msg());
	CHECK(n == 3, "3 interfaces, got %u", n);
	if (n == 3) {
		CHECK_STR(ifs[1].name, "ens3", "name");
		CHECK(ifs[1].has_mac && ifs[1].mac[5] == 0x56, "mac");
		CHECK(ifs[1].naddrs == 2 && !ifs[1].addrs[0].ipv6 && ifs[1].addrs[0].prefix == 24, "ipv4 address");
		CHECK_STR(ifs[1].addrs[0].text, "10.0.2.15", "address");
		CHECK(ifs[1].addrs[1].ipv6, "ipv6 address");
		CHECK(!ifs[2].has_mac && ifs[2].naddrs == 0, "no address");
	}
	CHECK(agent_fsfreeze_freeze(g, SHORT_MS, &count) == 0 && count == 2, "freeze: %d %s", count, err_msg());
	CHECK(agent_fsfreeze_status(g, SHORT_MS, &frozen) == 0 && !frozen, "status");
	CHECK(logged(&f, "guest-sync-delimited {\"id\":"), "synced on connect");
	qga_close(g);
	fake_stop(&f);
}

static void test_sync_variants(void)
{
	static const struct {
		enum fake_sync mode;
		int want;
	} cases[] = {
		{ SYNC_OK, 0 },
		{ SYNC_GARBAGE_FIRST, 0 },
		{ SYNC_STALE_FIRST, 0 },
		{ SYNC_NO_FF, -ETIMEDOUT },
		{ SYNC_WRONG_ID, -ETIMEDOUT },
		{ SYNC_SILENT, -ETIMEDOUT },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct fake_agent f = { .sync = cases[i].mode };
		struct qga *g = NULL;
		uint64_t t0 = proc_now_ms();
		int r = connect_fake(&f, &g);
		CHECK(r == cases[i].want, "sync mode %d: got %d (%s)", cases[i].mode, r, err_msg());
		CHECK(proc_now_ms() - t0 < SHORT_MS + 500, "sync mode %d: bounded time", cases[i].mode);
		if (r < 0)
			CHECK(strstr(err_msg(), "guest-sync-delimited") != NULL, "names the command: %s", err_msg());
		qga_close(g);
		fake_stop(&f);
	}
}

/* One broken reply to guest-ping, then a good one: the error is named,
 * and the next command resyncs and gets its own reply. */
static void broken_then_good(const char *what, const char *text, size_t len, int want, const char *msg)
{
	struct fake_agent f = { 0 };
	struct qga *g = NULL;
	int r;

	f.replies[f.nreplies++] = (struct fake_reply){ .command = "guest-ping", .text = text, .len = len };
	fake_reply_add(&f, "guest-ping", "{\"return\": {}}\n");
	CHECK(connect_fake(&f, &g) == 0, "%s: connect: %s", what, err_msg());
	r = agent_ping(g, 10000);
	CHECK(r == want, "%s: got %d, want %d (%s)", what, r, want, err_msg());
	CHECK(strstr(err_msg(), msg) != NULL, "%s: message '%s' has '%s'", what, err_msg(), msg);
	r = agent_ping(g, 2000);
	CHECK(r == 0, "%s: the next command works: %d %s", what, r, err_msg());
	qga_close(g);
	fake_stop(&f);
}

static void test_broken_replies(void)
{
	static char nul[] = "{\"return\": \0{}}\n";
	static char big[QGA_REPLY_MAX + 100];

	broken_then_good("garbage", "}}not json\n", 0, -EPROTO, "not a JSON object");
	broken_then_good("NUL byte", nul, sizeof(nul) - 1, -EPROTO, "NUL");
	broken_then_good("no return or error", "{\"hello\": 1}\n", 0, -EPROTO, "neither");
	broken_then_good("a stray 0xFF", "\xff{\"return\": {}}\n", 0, -EPROTO, "not a JSON object");
	broken_then_good("error", "{\"error\": {\"class\": \"GenericError\", \"desc\": \"no \\u001b[1mway\\u0007\"}}\n",
			 0, -EIO, "guest agent: guest-ping: no way");
	broken_then_good("command not found", "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"x\"}}\n", 0,
			 -EOPNOTSUPP, "guest-ping: x");
	broken_then_good("error of the wrong type", "{\"error\": 5}\n", 0, -EPROTO, "error");
	broken_then_good("desc of the wrong type", "{\"error\": {\"desc\": null}}\n", 0, -EPROTO, "desc");
	memset(big, 'x', sizeof(big));
	big[0] = '"';
	broken_then_good("oversized", big, sizeof(big), -EMSGSIZE, "larger than");
}

static void test_silent_command(void)
{
	struct fake_agent f = { 0 };
	struct qga *g = NULL;
	uint64_t t0;
	int r;

	/* the first reply comes too late; it must not answer the next ping */
	f.replies[0] =
	    (struct fake_reply){ .command = "guest-ping", .text = "{\"return\": {\"late\": 1}}\n", .delay_ms = 600 };
	f.replies[1] =
	    (struct fake_reply){ .command = "guest-get-osinfo", .text = "{\"return\": {\"id\": \"fresh\"}}\n" };
	f.nreplies = 2;
	CHECK(connect_fake(&f, &g) == 0, "connect: %s", err_msg());
	t0 = proc_now_ms();
	r = agent_ping(g, 200);
	CHECK(r == -ETIMEDOUT, "silent: %d %s", r, err_msg());
	CHECK(proc_now_ms() - t0 < 500, "timeout kept");
	struct agent_osinfo os;
	r = agent_get_osinfo(g, 3000, &os);
	CHECK(r == 0 && !strcmp(os.id, "fresh"), "after resync the reply is the right one: %d %s '%s'", r, err_msg(),
	      os.id);
	qga_close(g);
	fake_stop(&f);
}

static void test_truncated(void)
{
	struct fake_agent f = { 0 };
	struct qga *g = NULL;
	int r;

	f.replies[0] = (struct fake_reply){ .command = "guest-ping", .text = "{\"return\": {", .close_after = true };
	f.nreplies = 1;
	CHECK(connect_fake(&f, &g) == 0, "connect: %s", err_msg());
	r = agent_ping(g, 2000);
	CHECK(r == -ECONNRESET, "truncated then closed: %d %s", r, err_msg());
	r = agent_ping(g, 500);
	CHECK(r < 0, "closed port stays an error: %d %s", r, err_msg());
	qga_close(g);
	fake_stop(&f);
}

static void test_wrong_types(void)
{
	static const struct {
		const char *command, *text, *msg;
	} cases[] = {
		{ "guest-get-osinfo", "{\"return\": {\"id\": 5}}\n", "id" },
		{ "guest-get-osinfo", "{\"return\": [1]}\n", "object" },
		{ "guest-network-get-interfaces", "{\"return\": {\"x\": 1}}\n", "array" },
		{ "guest-network-get-interfaces", "{\"return\": [{\"name\": null}]}\n", "name" },
		{ "guest-network-get-interfaces",
		  "{\"return\": [{\"name\": \"e\", \"ip-addresses\": [{\"ip-address-type\": \"ipv4\"}]}]}\n",
		  "ip-address" },
		{ "guest-network-get-interfaces",
		  "{\"return\": [{\"name\": \"e\", \"ip-addresses\": [{\"ip-address-type\": \"ipv4\", \"ip-address\": "
		  "\"1.2.3.4\", \"prefix\": 999}]}]}\n",
		  "prefix" },
		{ "guest-fsfreeze-freeze", "{\"return\": \"two\"}\n", "number" },
		{ "guest-fsfreeze-status", "{\"return\": null}\n", "string" },
		{ "guest-exec-status", "{\"return\": {\"exited\": null}}\n", "exited" },
		{ "guest-exec-status", "{\"return\": {\"exited\": true, \"out-data\": \"!!!\"}}\n", "base64" },
		{ "guest-file-read", "{\"return\": {\"count\": 3, \"buf-b64\": \"YQ==\", \"eof\": true}}\n", "count" },
		{ "guest-file-open", "{\"return\": \"h\"}\n", "number" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct fake_agent f = { 0 };
		struct qga *g = NULL;
		struct agent_osinfo os;
		struct agent_iface ifs[AGENT_MAX_IFACES];
		struct agent_exec_state st;
		unsigned n;
		int count;
		bool b;
		int64_t h;
		uint8_t *data = NULL;
		size_t len;
		int r = -1;
		const char *c = cases[i].command;

		fake_reply_add(&f, c, cases[i].text);
		CHECK(connect_fake(&f, &g) == 0, "connect: %s", err_msg());
		if (!strcmp(c, "guest-get-osinfo"))
			r = agent_get_osinfo(g, SHORT_MS, &os);
		else if (!strcmp(c, "guest-network-get-interfaces"))
			r = agent_network_interfaces(g, SHORT_MS, ifs, &n);
		else if (!strcmp(c, "guest-fsfreeze-freeze"))
			r = agent_fsfreeze_freeze(g, SHORT_MS, &count);
		else if (!strcmp(c, "guest-fsfreeze-status"))
			r = agent_fsfreeze_status(g, SHORT_MS, &b);
		else if (!strcmp(c, "guest-exec-status"))
			r = agent_exec_status(g, SHORT_MS, 1, &st);
		else if (!strcmp(c, "guest-file-read"))
			r = agent_file_read(g, SHORT_MS, 1, 100, &data, &len, &b);
		else if (!strcmp(c, "guest-file-open"))
			r = agent_file_open(g, SHORT_MS, "/x", "r", &h);
		CHECK(r == -EPROTO, "%s %s: got %d (%s)", c, cases[i].text, r, err_msg());
		CHECK(strstr(err_msg(), cases[i].msg) != NULL, "%s: '%s' names '%s'", c, err_msg(), cases[i].msg);
		CHECK(data == NULL, "no data on error");
		qga_close(g);
		fake_stop(&f);
	}
}

/* A VM folder whose agent.sock is served by a fake agent. */
struct fake_vm {
	char dir[64];
	int dirfd;
	struct fake_agent f;
};

static void fake_vm_start(struct fake_vm *v)
{
	int lfd = -1;

	snprintf(v->dir, sizeof(v->dir), "/tmp/hv-test-agent.XXXXXX");
	if (!mkdtemp(v->dir) || (v->dirfd = open(v->dir, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    sock_listen_at(v->dirfd, "agent.sock", true, &lfd) < 0) {
		printf("FAIL cannot set up a fake VM folder\n");
		exit(1);
	}
	fake_start_listen(&v->f, lfd);
}

static void fake_vm_stop(struct fake_vm *v)
{
	char cmd[128];

	fake_stop(&v->f);
	close(v->f.listen);
	close(v->dirfd);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", v->dir);
	(void)!system(cmd);
}

static const char *log_find(const struct fake_agent *f, const char *prefix)
{
	for (int i = 0; i < f->nlog; i++)
		if (!strncmp(f->log[i], prefix, strlen(prefix)))
			return f->log[i];
	return "";
}

static const char *log_with(const struct fake_agent *f, const char *prefix, const char *has)
{
	for (int i = 0; i < f->nlog; i++)
		if (!strncmp(f->log[i], prefix, strlen(prefix)) && strstr(f->log[i], has))
			return f->log[i];
	return "";
}

static int pipe_read(int fd, char *buf, size_t n)
{
	ssize_t k = read(fd, buf, n - 1);
	buf[k > 0 ? k : 0] = 0;
	return (int)k;
}

static void test_exec(void)
{
	struct fake_vm v = { .f = { 0 } };
	char *argv[] = { "ls", "-l", NULL }, *env[] = { "A=b", NULL };
	struct exec_status st;
	int out[2], err[2], in[2];
	char buf[256];
	int r;

	fake_reply_add(&v.f, "guest-exec", "{\"return\": {\"pid\": 42}}\n");
	fake_reply_add(&v.f, "guest-exec-status", "{\"return\": {\"exited\": false}}\n");
	fake_reply_add(&v.f, "guest-exec-status",
		       "{\"return\": {\"exited\": true, \"exitcode\": 3, \"out-data\": \"aGVsbG8K\", \"err-data\": "
		       "\"b29wcwo=\"}}\n");
	fake_vm_start(&v);
	(void)!pipe(out);
	(void)!pipe(err);
	(void)!pipe(in);
	(void)!write(in[1], "input", 5);
	close(in[1]);
	struct exec_request req = {
		.argv = argv, .env = env, .workdir = "/srv", .in = in[0], .out = out[1], .err = err[1]
	};
	r = agent_exec(v.dirfd, &req, -1, &st);
	CHECK(r == 0 && st.code == 3 && !st.signaled, "exit status 3: %d %d %s", r, st.code, err_msg());
	CHECK(pipe_read(out[0], buf, sizeof(buf)) == 6 && !strcmp(buf, "hello\n"), "stdout: '%s'", buf);
	CHECK(pipe_read(err[0], buf, sizeof(buf)) == 5 && !strcmp(buf, "oops\n"), "stderr: '%s'", buf);
	const char *l = log_find(&v.f, "guest-exec {");
	CHECK(strstr(l, "\"path\":\"\\/bin\\/sh\"") && strstr(l, "\"\\/srv\",\"\",\"ls\",\"-l\"]"),
	      "argv through the wrapper: %s", l);
	CHECK(strstr(l, "\"input-data\":\"aW5wdXQ=\"") && strstr(l, "\"A=b\"") && strstr(l, "PATH="),
	      "stdin and env: %s", l);
	CHECK(strstr(log_find(&v.f, "guest-exec-status"), "\"pid\":42") != NULL, "status of pid 42");
	fake_vm_stop(&v);

	/* killed by a signal; then the program that cannot be started */
	struct fake_vm w = { .f = { 0 } };
	fake_reply_add(&w.f, "guest-exec", "{\"return\": {\"pid\": 7}}\n");
	fake_reply_add(&w.f, "guest-exec-status", "{\"return\": {\"exited\": true, \"signal\": 9}}\n");
	fake_reply_add(&w.f, "guest-exec",
		       "{\"error\": {\"class\": \"GenericError\", \"desc\": \"Guest agent command failed, error was "
		       "'Failed to execute child process \\u201c/bin/sh\\u201d (No such file or directory)'\"}}\n");
	fake_vm_start(&w);
	req = (struct exec_request){ .argv = argv, .in = -1, .out = -1, .err = -1 };
	r = agent_exec(w.dirfd, &req, -1, &st);
	CHECK(r == 0 && st.signaled && st.code == 9, "signal 9: %d %d %d", r, st.signaled, st.code);
	r = agent_exec(w.dirfd, &req, -1, &st);
	CHECK(r == 0 && st.code == 127 && strstr(st.message, "No such file"), "not found: %d %d '%s' %s", r, st.code,
	      st.message, err_msg());
	req.tty = true;
	CHECK(agent_exec(w.dirfd, &req, -1, &st) == -ENOTSUP, "no terminal through the agent");
	req.tty = false;
	/* stdin beyond what the agent takes */
	char big[] = "/tmp/hv-test-agent-stdin.XXXXXX";
	int bfd = mkstemp(big);
	(void)!ftruncate(bfd, AGENT_STDIN_MAX + 1);
	unlink(big);
	req.in = bfd;
	r = agent_exec(w.dirfd, &req, -1, &st);
	CHECK(r == -EFBIG && strstr(err_msg(), "hv cp"), "stdin too large: %d %s", r, err_msg());
	close(bfd);
	fake_vm_stop(&w);

	/* an agent port without an agent behind it; no port at all */
	struct fake_vm x = { .f = { .sync = SYNC_SILENT } };
	fake_vm_start(&x);
	req.in = -1;
	uint64_t t0 = proc_now_ms();
	r = agent_exec(x.dirfd, &req, -1, &st);
	CHECK(r == -ETIMEDOUT && strstr(err_msg(), "install qemu-guest-agent"), "silent agent: %d %s", r, err_msg());
	CHECK(proc_now_ms() - t0 < QGA_SYNC_TIMEOUT_MS + 1000, "bounded");
	unlinkat(x.dirfd, "agent.sock", 0);
	r = agent_exec(x.dirfd, &req, -1, &st);
	CHECK(r == -ENOENT && strstr(err_msg(), "no guest agent port"), "no port: %d %s", r, err_msg());
	fake_vm_stop(&x);
	close(out[0]), close(out[1]), close(err[0]), close(err[1]), close(in[0]);
}

/* Ctrl-C on hv exec: kill -s 2 PID runs in the guest */
static void test_exec_signal(void)
{
	struct fake_vm v = { .f = { 0 } };
	char *argv[] = { "sleep", "100", NULL };
	struct exec_request req = { .argv = argv, .in = -1, .out = -1, .err = -1 };
	struct exec_status st;
	sigset_t set, old;
	int sigfd, r;

	fake_reply_add(&v.f, "guest-exec", "{\"return\": {\"pid\": 5}}\n");
	fake_reply_add(&v.f, "guest-exec", "{\"return\": {\"pid\": 6}}\n");
	fake_reply_add(&v.f, "guest-exec-status", "{\"return\": {\"exited\": false}}\n");
	fake_reply_add(&v.f, "guest-exec-status", "{\"return\": {\"exited\": true, \"exitcode\": 0}}\n");
	fake_reply_add(&v.f, "guest-exec-status", "{\"return\": {\"exited\": true, \"signal\": 2}}\n");
	fake_vm_start(&v);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	raise(SIGINT);
	r = agent_exec(v.dirfd, &req, sigfd, &st);
	CHECK(r == 0 && st.signaled && st.code == 2, "ended by the signal: %d %d %d %s", r, st.signaled, st.code,
	      err_msg());
	CHECK(*log_with(&v.f, "guest-exec", "[\"-s\",\"2\",\"--\",\"5\"]"), "kill -s 2 -- 5 ran in the guest");
	close(sigfd);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	fake_vm_stop(&v);
}

#define EXITED(out64) "{\"return\": {\"exited\": true, \"exitcode\": 0, \"out-data\": \"" out64 "\"}}\n"
#define EXITED0	      "{\"return\": {\"exited\": true, \"exitcode\": 0}}\n"

static void test_copy(void)
{
	char host[] = "/tmp/hv-test-agent-copy.XXXXXX", file[128], missing[160];
	struct fake_vm v = { .f = { 0 } };
	struct stat st;
	int r;

	if (!mkdtemp(host))
		return;
	snprintf(file, sizeof(file), "%s/f", host);
	snprintf(missing, sizeof(missing), "%s/no/such", host);
	/* out: "file 640 5", then open/read/close */
	fake_reply_add(&v.f, "guest-exec", "{\"return\": {\"pid\": 1}}\n");
	fake_reply_add(&v.f, "guest-exec-status", EXITED("ZmlsZSA2NDAgNQ==")); /* file 640 5 */
	fake_reply_add(&v.f, "guest-file-open", "{\"return\": 1000}\n");
	fake_reply_add(&v.f, "guest-file-read",
		       "{\"return\": {\"count\": 5, \"buf-b64\": \"aGVsbG8=\", \"eof\": true}}\n");
	fake_reply_add(&v.f, "guest-file-close", "{\"return\": {}}\n");
	/* in: "new", open/write/close, chmod */
	fake_reply_add(&v.f, "guest-exec", "{\"return\": {\"pid\": 2}}\n");
	fake_reply_add(&v.f, "guest-exec-status", EXITED("bmV3")); /* new */
	fake_reply_add(&v.f, "guest-file-open", "{\"return\": 1001}\n");
	fake_reply_add(&v.f, "guest-file-write", "{\"return\": {\"count\": 5, \"eof\": false}}\n");
	fake_reply_add(&v.f, "guest-file-close", "{\"return\": {}}\n");
	fake_reply_add(&v.f, "guest-exec", "{\"return\": {\"pid\": 3}}\n");
	fake_reply_add(&v.f, "guest-exec-status", EXITED0);
	/* errors: missing in the guest */
	fake_reply_add(&v.f, "guest-exec", "{\"return\": {\"pid\": 4}}\n");
	fake_reply_add(&v.f, "guest-exec-status", EXITED("bWlzc2luZw==")); /* missing */
	fake_vm_start(&v);

	r = agent_copy_out(v.dirfd, "/etc/f", host, NULL, NULL);
	CHECK(r == 0, "copy out: %d %s", r, err_msg());
	CHECK(stat(file, &st) == 0 && st.st_size == 5 && (st.st_mode & 0777) == 0640,
	      "host file with the guest's mode");
	chmod(file, 0751);
	r = agent_copy_in(v.dirfd, file, "/root/g", NULL, NULL);
	CHECK(r == 0, "copy in: %d %s", r, err_msg());
	CHECK(strstr(log_find(&v.f, "guest-file-write"), "\"buf-b64\":\"aGVsbG8=\"") != NULL, "data written");
	CHECK(strstr(log_with(&v.f, "guest-exec", "chmod"), "\"\\/root\\/g\",\"751\"]") != NULL,
	      "mode set by chmod: %s", log_with(&v.f, "guest-exec", "chmod"));
	r = agent_copy_out(v.dirfd, "/nope", host, NULL, NULL);
	CHECK(r == -ENOENT && strstr(err_msg(), "/nope does not exist in the guest"), "missing in the guest: %s",
	      err_msg());
	r = agent_copy_in(v.dirfd, missing, "/root", NULL, NULL);
	CHECK(r == -ENOENT && strstr(err_msg(), missing), "missing on the host: %s", err_msg());
	r = agent_copy_out(v.dirfd, "/etc/f", missing, NULL, NULL);
	CHECK(r < 0, "host folder missing: %s", err_msg());
	fake_vm_stop(&v);
	unlink(file);
	rmdir(host);
}

static void test_base64(void)
{
	static const char *const plain[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
	static const char *const coded[] = { "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy" };
	static const char *const bad[] = { "Zg=", "Z===", "Zm9v!A==", "Zg==Zg==", "=Zm9", "Zm 9" };

	for (size_t i = 0; i < ARRAY_SIZE(plain); i++) { /* RFC 4648 section 10 */
		_cleanup_free_ char *e = base64_encode(plain[i], strlen(plain[i]));
		_cleanup_free_ uint8_t *d = NULL;
		size_t n;
		CHECK_STR(e, coded[i], "base64_encode");
		CHECK(base64_decode(coded[i], strlen(coded[i]), &d, &n) == 0 && n == strlen(plain[i]) &&
			  !memcmp(d, plain[i], n),
		      "base64_decode %s", coded[i]);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		uint8_t *d = NULL;
		size_t n;
		CHECK(base64_decode(bad[i], strlen(bad[i]), &d, &n) == -EINVAL && !d, "refuses %s", bad[i]);
	}
}

int main(void)
{
	test_base64();
	test_good_agent();
	test_sync_variants();
	test_broken_replies();
	test_silent_command();
	test_truncated();
	test_wrong_types();
	test_exec();
	test_exec_signal();
	test_copy();
	T_DONE();
}
