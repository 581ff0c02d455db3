/* SPDX-License-Identifier: MIT */
/* The ssh transport (remote/ssh.h) and what a migration between hosts
 * does differently (migration/remote.h): strict ssh:// URLs, the quoted
 * remote command, ssh's own failure as one line, the files that travel in
 * the prepare message, the listening address from SSH_CONNECTION. */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "cli/cli.h"
#include "manager/vmdef.h"
#include "migration/peer.h"
#include "migration/remote.h"
#include "remote/ssh.h"
#include "t.h"
#include "util/err.h"
#include "util/fs.h"

static void good_urls(void)
{
	struct remote_url u;

	CHECK(remote_url_parse("ssh://node2", &u) == 0 && !strcmp(u.host, "node2") && !u.user && !u.port && !u.home,
	      "a bare host: %s", err_msg());
	remote_url_free(&u);
	CHECK(remote_url_parse("ssh://root@10.7.0.2:2222?home=/srv/hv b", &u) == 0 && !strcmp(u.user, "root") &&
		  !strcmp(u.host, "10.7.0.2") && u.port == 2222 && !strcmp(u.home, "/srv/hv b"),
	      "user, port and home: %s", err_msg());
	remote_url_free(&u);
	CHECK(remote_url_parse("ssh://[fd00::2]:22/", &u) == 0 && !strcmp(u.host, "fd00::2") && u.port == 22,
	      "an IPv6 address in brackets, a trailing slash: %s", err_msg());
	remote_url_free(&u);
	CHECK(remote_is_url("ssh://x") && remote_is_url("http://x") && !remote_is_url("/srv/store") &&
		  !remote_is_url("./a://b"),
	      "what names a remote");
}

static void bad_url(const char *s, const char *why)
{
	struct remote_url u;
	int r = remote_url_parse(s, &u);

	CHECK(r == -EINVAL && strstr(err_msg(), why) && strstr(err_msg(), REMOTE_URL_FORM) && !strchr(err_msg(), '\n'),
	      "'%s' is refused in one line naming the form and '%s': %s", s, why, err_msg());
	CHECK(!u.host && !u.user && !u.home, "nothing is left allocated after '%s'", s);
}

static void bad_urls(void)
{
	bad_url("node2", "not an ssh:// URL");
	bad_url("http://node2", "only ssh:// is supported");
	bad_url("ssh://", "the host is missing");
	bad_url("ssh://root@", "the host is missing");
	bad_url("ssh://@node2", "the user is not a user name");
	bad_url("ssh://node2:0", "port must be a number from 1 to 65535");
	bad_url("ssh://node2:65536", "port must be a number from 1 to 65535");
	bad_url("ssh://node2:22x", "port must be a number from 1 to 65535");
	bad_url("ssh://node2:", "port must be a number from 1 to 65535");
	bad_url("ssh://node2/srv/b", "a path is not part of it");
	bad_url("ssh://node2?home=srv", "home= wants an absolute path");
	bad_url("ssh://node2?store=/srv", "the only parameter is home=PATH");
	bad_url("ssh://node2?home=/a&x=1", "one plain path");
	bad_url("ssh://-oProxyCommand=x", "the host is not a host name or address");
	bad_url("ssh://-l@node2", "the user is not a user name");
	bad_url("ssh://a b", "the host is not a host name or address");
	bad_url("ssh://[fd00::2", "closing ]");
	bad_url("ssh://[node2]", "not an IPv6 address");
	bad_url("ssh://[::1]x", "only :PORT may follow");
}

static char *joined(char **v)
{
	size_t n = 1;
	char *s;

	for (size_t i = 0; v[i]; i++)
		n += strlen(v[i]) + 1;
	s = calloc(1, n);
	for (size_t i = 0; v[i]; i++) {
		strcat(s, v[i]);
		if (v[i + 1])
			strcat(s, "|");
	}
	return s;
}

static void command_line(void)
{
	struct remote_url u;
	struct remote_spawn_opts o = { .batch = true };
	char *args[] = { "exec", "vm1", "--", "sh", "-c", "echo 'hi' $HOME", NULL };
	char **argv = NULL, *q = remote_shell_quote("it's");
	char *j;

	CHECK_STR(q, "'it'\\''s'", "a quote in a word");
	free(q);
	unsetenv("HV_REMOTE_HV");
	unsetenv("HV_SSH_CONFIG");
	remote_url_parse("ssh://root@node2:2222?home=/srv/it's", &u);
	CHECK(remote_ssh_argv(&u, &o, "/proc/1/fd/9", args, &argv) == 0, "the ssh command line: %s", err_msg());
	j = joined(argv);
	CHECK_STR(j,
		  "ssh|-E|/proc/1/fd/9|-o|LogLevel=ERROR|-o|BatchMode=yes|-T|-p|2222|-l|root|--|node2|HV_HOME='/srv/"
		  "it'\\''s' 'hv' "
		  "'exec' 'vm1' '--' 'sh' '-c' 'echo '\\''hi'\\'' $HOME'",
		  "ssh's arguments, the remote command quoted for its shell");
	free(j);
	remote_argv_free(argv);
	remote_url_free(&u);
	setenv("HV_REMOTE_HV", "/opt/hv/build/hv", 1);
	setenv("HV_SSH_CONFIG", "/tmp/cfg", 1);
	o.batch = false;
	o.tty = true;
	remote_url_parse("ssh://node2", &u);
	CHECK(remote_ssh_argv(&u, &o, NULL, (char *[]){ "list", NULL }, &argv) == 0, "again: %s", err_msg());
	j = joined(argv);
	CHECK_STR(j, "ssh|-F|/tmp/cfg|-o|LogLevel=ERROR|-t|--|node2|'/opt/hv/build/hv' 'list'",
		  "HV_REMOTE_HV names the remote hv, HV_SSH_CONFIG the config; -t; no HV_HOME without ?home=");
	free(j);
	remote_argv_free(argv);
	remote_url_free(&u);
	unsetenv("HV_REMOTE_HV");
	unsetenv("HV_SSH_CONFIG");
}

static void ssh_failure(void)
{
	struct remote_proc rp = { .log = memfd_create("t", 0), .host = "node2" };
	const char *log = "Warning: Permanently added 'x' to the list of known hosts.\r\n"
			  "ssh: connect to host node2 port 2222: No route to host\r\n";

	write(rp.log, log, strlen(log));
	CHECK(remote_check_exit(&rp, 0) == 0 && remote_check_exit(&rp, 1 << 8) == 0,
	      "the remote command's own exit codes are not ssh's failure");
	CHECK(remote_check_exit(&rp, 255 << 8) == -EHOSTUNREACH &&
		  !strcmp(err_msg(),
			  "cannot reach node2 over ssh: ssh: connect to host node2 port 2222: No route to host"),
	      "exit 255: one line with ssh's last message: %s", err_msg());
	close(rp.log);
}

/* A real ssh to a closed port: the peer's end names the cause. */
static void ssh_unreachable(void)
{
	struct remote_url u;
	struct peer p;
	struct json_object *o = NULL;
	int s = socket(AF_INET, SOCK_STREAM, 0), r;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	char url[64];

	/* a port nobody listens on: bound, never listening */
	bind(s, (struct sockaddr *)&a, sizeof(a));
	getsockname(s, (struct sockaddr *)&a, &alen);
	snprintf(url, sizeof(url), "ssh://127.0.0.1:%d", ntohs(a.sin_port));
	remote_url_parse(url, &u);
	r = peer_spawn_ssh(&u, "vm1", &p);
	CHECK(r == 0, "ssh starts: %s", err_msg());
	if (r == 0) {
		r = peer_expect(&p, 20000, "ready", &o);
		CHECK(r == -EHOSTUNREACH && strstr(err_msg(), "cannot reach 127.0.0.1 over ssh: ") &&
			  strstr(err_msg(), "Connection refused"),
		      "the destination unreachable: %s", err_msg());
		peer_close(&p, 1000);
	}
	remote_url_free(&u);
	close(s);
}

static void tty(void)
{
	char *console[] = { "console", "vm1" }, *exec_t[] = { "exec", "-it", "vm1", "--", "top" },
	     *exec_plain[] = { "exec", "vm1", "--", "ls", "-t" }, *list[] = { "list" };

	CHECK(cli_connect_wants_tty(2, console, true) && !cli_connect_wants_tty(2, console, false),
	      "console wants a terminal when ours is one");
	CHECK(cli_connect_wants_tty(5, exec_t, true), "exec -it does");
	CHECK(!cli_connect_wants_tty(5, exec_plain, true), "exec without -t does not (the command's -t is its own)");
	CHECK(!cli_connect_wants_tty(1, list, true), "list does not");
}

static void files(void)
{
	char src[] = "/tmp/hv-t-remote-a.XXXXXX", dst[] = "/tmp/hv-t-remote-b.XXXXXX";
	struct json_object *msg = json_object_new_object(), *files = NULL, *bad;
	int a, b;
	char *data = NULL;
	size_t len = 0;

	mkdtemp(src);
	mkdtemp(dst);
	a = open(src, O_RDONLY | O_DIRECTORY);
	b = open(dst, O_RDONLY | O_DIRECTORY);
	fs_write_atomic(a, "uefi-vars.fd", "\0\1\2vars", 7, 0600);
	fs_write_atomic(a, "console.log", "stays", 5, 0600);
	CHECK(migrate_files_pack(a, msg) == 0, "pack: %s", err_msg());
	files = json_object_object_get(msg, "files");
	CHECK(files && json_object_array_length(files) == 1, "only the files that travel");
	CHECK(migrate_files_unpack(files, b) == 0 && fs_read_all(b, "uefi-vars.fd", 100, &data, &len) == 0 &&
		  len == 7 && !memcmp(data, "\0\1\2vars", 7),
	      "they arrive byte for byte: %s", err_msg());
	free(data);
	bad = json_tokener_parse("[{\"name\": \"../../etc/passwd\", \"data\": \"eA==\"}]");
	CHECK(migrate_files_unpack(bad, b) == -EPROTO, "any other name is refused: %s", err_msg());
	json_object_put(bad);
	bad = json_tokener_parse("[{\"name\": \"known_hosts\", \"data\": 5}]");
	CHECK(migrate_files_unpack(bad, b) < 0, "wrong types are an error: %s", err_msg());
	json_object_put(bad);
	json_object_put(msg);
	fs_rm_rf_at(AT_FDCWD, src);
	fs_rm_rf_at(AT_FDCWD, dst);
	close(a);
	close(b);
}

static void disks(void)
{
	struct vmdef d;

	vmdef_init(&d);
	snprintf(d.name, sizeof(d.name), "vm1");
	d.ndisks = 1;
	snprintf(d.disks[0].path, sizeof(d.disks[0].path), "disk0.qcow2");
	d.disks[0].owned = true;
	CHECK(migrate_disks_shared(&d, "node2") == -EXDEV && strstr(err_msg(), "--copy-storage") &&
		  strstr(err_msg(), "shared storage"),
	      "a disk in the store is refused over ssh, with the fix: %s", err_msg());
	CHECK(migrate_disks_reachable(&d) == -EXDEV, "the destination refuses it too");
	d.disks[0].owned = false;
	snprintf(d.disks[0].path, sizeof(d.disks[0].path), "/nonexistent/disk.qcow2");
	CHECK(migrate_disks_shared(&d, "node2") == 0, "a disk outside the store passes at the source");
	CHECK(migrate_disks_reachable(&d) == -ENOENT && strstr(err_msg(), "not on shared storage here"),
	      "the destination says when it cannot open it: %s", err_msg());
	snprintf(d.disks[0].path, sizeof(d.disks[0].path), "/dev/null");
	CHECK(migrate_disks_reachable(&d) == 0, "one it can open passes: %s", err_msg());
	vmdef_free(&d);
}

static void listen_addr(void)
{
	char host[64];
	int l = -1, port = 0, c = -1;

	unsetenv("SSH_CONNECTION");
	CHECK(migrate_listen(false, &l, host, sizeof(host), &port) == 0 && !strcmp(host, "127.0.0.1") && port > 0,
	      "a local destination listens on the loopback: %s", err_msg());
	close(l);
	CHECK(migrate_listen(true, &l, host, sizeof(host), &port) == -ENOENT, "over ssh without SSH_CONNECTION: %s",
	      err_msg());
	setenv("SSH_CONNECTION", "10.9.9.1 53422 127.0.0.1 2222", 1);
	CHECK(migrate_listen(true, &l, host, sizeof(host), &port) == 0 && !strcmp(host, "127.0.0.1"),
	      "over ssh: the server's address from SSH_CONNECTION: %s", err_msg());
	CHECK(migrate_connect(host, port, &c) == 0, "the source connects there: %s", err_msg());
	close(c);
	close(l);
	setenv("SSH_CONNECTION", "10.9.9.1 53422 not-an-address 2222", 1);
	CHECK(migrate_listen(true, &l, host, sizeof(host), &port) == -EINVAL, "a bad address: %s", err_msg());
	unsetenv("SSH_CONNECTION");
}

int main(void)
{
	good_urls();
	bad_urls();
	command_line();
	ssh_failure();
	ssh_unreachable();
	tty();
	files();
	disks();
	listen_addr();
	T_DONE();
}
