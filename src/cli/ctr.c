/* SPDX-License-Identifier: MIT */
/*
 * hv ctr COMMAND ... and hv-runc COMMAND ...: runc's command line, so
 * that container engines (podman via conmon, containerd) drive hv as
 * their OCI runtime.  Global options come before the command:
 * --root DIR, --log FILE, --log-format text|json, --systemd-cgroup
 * (refused: hv manages cgroupfs paths), --debug.
 */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "oci/caps.h"
#include "oci/container.h"
#include "oci/spec.h"
#include "oci/state.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/jsonfile.h"
#include "util/size.h"

static char root_opt[4096];
static const char *log_file, *log_format = "text";

/* Errors go to stderr and, for engines, to --log in their format. */
static int ctr_fail(const char *cmd)
{
	fprintf(stderr, "hv-runc%s%s: %s\n", cmd ? " " : "", cmd ? cmd : "", err_msg());
	if (log_file) {
		FILE *f = fopen(log_file, "ae");
		if (f) {
			char when[64];
			time_t t = time(NULL);
			struct tm tm;
			strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
			if (!strcmp(log_format, "json")) {
				struct json_object *o = json_object_new_object();
				char msg[1200];
				snprintf(msg, sizeof(msg), "%s%s%s", cmd ? cmd : "", cmd ? ": " : "", err_msg());
				json_object_object_add(o, "level", json_object_new_string("error"));
				json_object_object_add(o, "msg", json_object_new_string(msg));
				json_object_object_add(o, "time", json_object_new_string(when));
				fprintf(f, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
				json_object_put(o);
			} else {
				fprintf(f, "time=\"%s\" level=error msg=\"%s%s%s\"\n", when, cmd ? cmd : "",
					cmd ? ": " : "", err_msg());
			}
			fclose(f);
		}
	}
	return EXIT_FAIL;
}

static int one_id(int argc, char **argv, const char *cmd, const char **id)
{
	if (optind >= argc)
		return cli_usage_error(cmd, "missing the container id");
	*id = argv[optind];
	if (optind + 1 < argc)
		return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind + 1]);
	return 0;
}

static int create_or_run(int argc, char **argv, bool run)
{
	static const struct option opts[] = {
		{ "bundle", required_argument, NULL, 'b' },   { "console-socket", required_argument, NULL, 'c' },
		{ "pid-file", required_argument, NULL, 'p' }, { "no-pivot", no_argument, NULL, 'P' },
		{ "no-new-keyring", no_argument, NULL, 'K' }, { "preserve-fds", required_argument, NULL, 'F' },
		{ "detach", no_argument, NULL, 'd' },	      { "keep", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },	      { NULL, 0, NULL, 0 }
	};
	const char *cmd = run ? "run" : "create";
	struct ctr_opts o = { .root = root_opt, .bundle = "." };
	int c, r;

	while ((c = cli_getopt(argc, argv, "b:dh", opts, cmd)) != -1) {
		switch (c) {
		case 'b':
			o.bundle = optarg;
			break;
		case 'c':
			o.console_socket = optarg;
			break;
		case 'p':
			o.pid_file = optarg;
			break;
		case 'P':
			o.no_pivot = true;
			break;
		case 'K':
		case 'k':
			break;
		case 'F':
			o.preserve_fds = atoi(optarg);
			break;
		case 'd':
			o.detach = true;
			break;
		case 'h':
			printf(
			    "usage: hv-runc %s [--bundle DIR] [--pid-file F] [--console-socket S] [--no-pivot]%s ID\n",
			    cmd, run ? " [--detach]" : "");
			return 0;
		default:
			return EXIT_USAGE;
		}
	}
	if ((r = one_id(argc, argv, cmd, &o.id)) != 0)
		return r;
	if (!run)
		return ctr_create(&o, NULL) < 0 ? ctr_fail(cmd) : 0;
	r = ctr_run(&o);
	return r < 0 ? ctr_fail(cmd) : r;
}

static int simple(int argc, char **argv, const char *cmd, int (*fn)(const char *root, const char *id))
{
	static const struct option opts[] = { { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	const char *id;
	int c, r;

	while ((c = cli_getopt(argc, argv, "h", opts, cmd)) != -1) {
		if (c == 'h') {
			printf("usage: hv-runc %s ID\n", cmd);
			return 0;
		}
		return EXIT_USAGE;
	}
	if ((r = one_id(argc, argv, cmd, &id)) != 0)
		return r;
	return fn(root_opt, id) < 0 ? ctr_fail(cmd) : 0;
}

static int do_pause(const char *root, const char *id)
{
	return ctr_pause(root, id, true);
}

static int do_resume(const char *root, const char *id)
{
	return ctr_pause(root, id, false);
}

static int do_state(const char *root, const char *id)
{
	struct ctr_state st;
	int r = ctr_state_load(root, id, &st);

	if (r < 0)
		return r;
	struct json_object *o = ctr_state_json(root, &st);
	json_print(o);
	json_object_put(o);
	return 0;
}

static int cmd_kill_ctr(int argc, char **argv)
{
	static const struct option opts[] = { { "all", no_argument, NULL, 'a' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	bool all = false;
	int c, sig = 15;

	while ((c = cli_getopt(argc, argv, "ah", opts, "kill")) != -1) {
		if (c == 'a')
			all = true;
		else if (c == 'h') {
			puts("usage: hv-runc kill [--all] ID [SIGNAL]");
			return 0;
		} else
			return EXIT_USAGE;
	}
	if (optind >= argc)
		return cli_usage_error("kill", "missing the container id");
	if (argc - optind > 2)
		return cli_usage_error("kill", "unexpected argument '%s'", argv[optind + 2]);
	if (argc - optind == 2 && ctr_signal_parse(argv[optind + 1], &sig) < 0)
		return ctr_fail("kill");
	return ctr_kill(root_opt, argv[optind], sig, all) < 0 ? ctr_fail("kill") : 0;
}

static int cmd_delete_ctr(int argc, char **argv)
{
	static const struct option opts[] = { { "force", no_argument, NULL, 'f' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	bool force = false;
	const char *id;
	int c, r;

	while ((c = cli_getopt(argc, argv, "fh", opts, "delete")) != -1) {
		if (c == 'f')
			force = true;
		else if (c == 'h') {
			puts("usage: hv-runc delete [--force] ID");
			return 0;
		} else
			return EXIT_USAGE;
	}
	if ((r = one_id(argc, argv, "delete", &id)) != 0)
		return r;
	return ctr_delete(root_opt, id, force) < 0 ? ctr_fail("delete") : 0;
}

static int cmd_exec_ctr(int argc, char **argv)
{
	static const struct option opts[] = { { "console-socket", required_argument, NULL, 'c' },
					      { "cwd", required_argument, NULL, 'w' },
					      { "env", required_argument, NULL, 'e' },
					      { "tty", no_argument, NULL, 't' },
					      { "user", required_argument, NULL, 'u' },
					      { "process", required_argument, NULL, 'p' },
					      { "detach", no_argument, NULL, 'd' },
					      { "pid-file", required_argument, NULL, 'P' },
					      { "preserve-fds", required_argument, NULL, 'F' },
					      { "no-new-privs", no_argument, NULL, 'N' },
					      { "cap", required_argument, NULL, 'C' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	struct ctr_exec_opts o = { .root = root_opt };
	char *env[64] = { 0 };
	int c, r, nenv = 0;

	/* options end at the id: what follows is the command */
	while ((c = cli_getopt(argc, argv, "+c:w:e:tu:p:dh", opts, "exec")) != -1) {
		switch (c) {
		case 'c':
			o.console_socket = optarg;
			break;
		case 'w':
			o.cwd = optarg;
			break;
		case 'e':
			if (nenv == 63)
				return cli_usage_error("exec", "too many --env");
			env[nenv++] = optarg;
			break;
		case 't':
			o.tty = true;
			break;
		case 'u':
			o.user = optarg;
			break;
		case 'p':
			o.process_file = optarg;
			break;
		case 'd':
			o.detach = true;
			break;
		case 'P':
			o.pid_file = optarg;
			break;
		case 'F':
			o.preserve_fds = atoi(optarg);
			break;
		case 'N':
		case 'C':
			break;
		case 'h':
			puts("usage: hv-runc exec [--process F | [-t] [-e K=V] [-u UID[:GID]] [--cwd D]] [--detach] "
			     "[--pid-file F] [--console-socket S] ID [COMMAND ARGS...]");
			return 0;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return cli_usage_error("exec", "missing the container id");
	o.id = argv[optind];
	o.args = argv + optind + 1;
	o.env = env;
	r = ctr_exec(&o);
	return r < 0 ? ctr_fail("exec") : r;
}

static int cmd_ps_ctr(int argc, char **argv)
{
	static const struct option opts[] = { { "format", required_argument, NULL, 'f' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	const char *format = "table";
	pid_t *pids;
	size_t n;
	int c;

	while ((c = cli_getopt(argc, argv, "+f:h", opts, "ps")) != -1) {
		if (c == 'f')
			format = optarg;
		else if (c == 'h') {
			puts("usage: hv-runc ps [--format table|json] ID");
			return 0;
		} else
			return EXIT_USAGE;
	}
	if (optind >= argc)
		return cli_usage_error("ps", "missing the container id");
	if (ctr_pids(root_opt, argv[optind], &pids, &n) < 0)
		return ctr_fail("ps");
	if (!strcmp(format, "json")) {
		printf("[");
		for (size_t i = 0; i < n; i++)
			printf("%s%d", i ? "," : "", (int)pids[i]);
		printf("]\n");
	} else {
		printf("PID\n");
		for (size_t i = 0; i < n; i++)
			printf("%d\n", (int)pids[i]);
	}
	free(pids);
	return 0;
}

static int cmd_list_ctr(int argc, char **argv)
{
	static const struct option opts[] = { { "format", required_argument, NULL, 'f' },
					      { "quiet", no_argument, NULL, 'q' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	const char *format = "table";
	bool quiet = false;
	char **ids;
	size_t n;
	int c;

	while ((c = cli_getopt(argc, argv, "f:qh", opts, "list")) != -1) {
		if (c == 'f')
			format = optarg;
		else if (c == 'q')
			quiet = true;
		else if (c == 'h') {
			puts("usage: hv-runc list [--format table|json] [--quiet]");
			return 0;
		} else
			return EXIT_USAGE;
	}
	if (ctr_list(root_opt, &ids, &n) < 0)
		return ctr_fail("list");
	struct json_object *arr = json_object_new_array();
	if (!quiet && strcmp(format, "json"))
		printf("%-20s %-8s %-10s %-40s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED");
	for (size_t i = 0; i < n; i++) {
		struct ctr_state st;
		if (ctr_state_load(root_opt, ids[i], &st) == 0) {
			struct json_object *o = ctr_state_json(root_opt, &st);
			int64_t pid = 0;
			const char *status = "?";
			if (!o)
				continue;
			if (!strcmp(format, "json"))
				json_object_array_add(arr, o);
			else {
				json_get_int64(o, "pid", "state", &pid);
				json_get_str(o, "status", "state", &status);
				if (quiet)
					puts(st.id);
				else
					printf("%-20s %-8lld %-10s %-40s %s\n", st.id, (long long)pid, status,
					       st.bundle, st.created);
				json_object_put(o);
			}
		}
		free(ids[i]);
	}
	free(ids);
	if (!strcmp(format, "json"))
		json_print(arr);
	json_object_put(arr);
	err_clear();
	return 0;
}

static int cmd_spec_ctr(int argc, char **argv)
{
	static const struct option opts[] = { { "bundle", required_argument, NULL, 'b' },
					      { "rootless", no_argument, NULL, 'r' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	const char *bundle = ".";
	_cleanup_close_ int dfd = -1;
	int c;

	while ((c = cli_getopt(argc, argv, "b:h", opts, "spec")) != -1) {
		if (c == 'b')
			bundle = optarg;
		else if (c == 'r') {
			fprintf(stderr, "hv-runc spec: --rootless is not supported yet\n");
			return EXIT_FAIL;
		} else if (c == 'h') {
			puts("usage: hv-runc spec [--bundle DIR]: writes DIR/config.json (a shell in DIR/rootfs)");
			return 0;
		} else
			return EXIT_USAGE;
	}
	if ((dfd = open(bundle, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		err_errno(-errno, "bundle %s", bundle);
		return ctr_fail("spec");
	}
	if (fs_exists_at(dfd, "config.json")) {
		fprintf(stderr, "hv-runc spec: %s/config.json already exists\n", bundle);
		return EXIT_FAIL;
	}
	struct json_object *o = oci_spec_default();
	const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY);
	int r = fs_write_atomic(dfd, "config.json", text, strlen(text), 0644);
	json_object_put(o);
	return r < 0 ? ctr_fail("spec") : 0;
}

/* section.key = value, making the section when needed */
static void put(struct json_object *res, const char *section, const char *key, struct json_object *v)
{
	struct json_object *sec = NULL;

	if (json_get_object(res, section, "", &sec) < 0) {
		sec = json_object_new_object();
		json_object_object_add(res, section, sec);
	}
	json_object_object_add(sec, key, v);
}

/* One limit option of hv-runc update, put into the resources @res:
 * 0, or an exit status. */
static int update_option(int c, const char *arg, struct json_object *res)
{
	uint64_t v;
	char *end;
	long long n;

	switch (c) {
	case 'm':
	case 'M':
	case 's':
		if (size_parse(arg, 1, &v) < 0)
			return cli_usage_error("update", "--%s: %s",
					       c == 'm'	  ? "memory"
					       : c == 'M' ? "memory-reservation"
							  : "memory-swap",
					       err_msg());
		put(res, "memory",
		    c == 'm'   ? "limit"
		    : c == 'M' ? "reservation"
			       : "swap",
		    json_object_new_int64((int64_t)v));
		return 0;
	case 'p':
	case 'S':
	case 'q':
	case 'P':
	case 'b':
		errno = 0;
		n = strtoll(arg, &end, 10);
		if (errno || end == arg || *end)
			return cli_usage_error("update", "'%s' is not a number", arg);
		if (c == 'p')
			put(res, "pids", "limit", json_object_new_int64(n));
		else if (c == 'b')
			put(res, "blockIO", "weight", json_object_new_int64(n));
		else
			put(res, "cpu", c == 'S' ? "shares" : c == 'q' ? "quota" : "period", json_object_new_int64(n));
		return 0;
	case 'c':
	case 'e':
		put(res, "cpu", c == 'c' ? "cpus" : "mems", json_object_new_string(arg));
		return 0;
	default:
		return EXIT_USAGE;
	}
}

/* --resources FILE (or - for the standard input): linux.resources JSON,
 * under the options already in *res (they win); -1 with the reason
 * recorded, or 0 with *res replaced. */
static int update_merge_file(const char *file, struct json_object **res)
{
	_cleanup_free_ char *text = NULL;
	struct json_object *from = NULL;
	size_t len = 0;
	int r;

	/* "-" is fd 0 itself: a minimal /dev (a VM's devtmpfs) has no
	 * /dev/stdin link, and opening one would fail there */
	if (!strcmp(file, "-"))
		r = fs_read_fd(STDIN_FILENO, "the standard input", 16 << 20, &text, &len);
	else if ((r = fs_read_all(AT_FDCWD, file, 16 << 20, &text, &len)) < 0 && err_code() != r)
		err_errno(r, "cannot read %s", file); /* a failed open records nothing */
	if (r < 0)
		return -1;
	if (json_parse_object(text, len, "JSON", &from) < 0) {
		err_set(-EINVAL, "--resources %s: not a JSON object (%s)", file, err_msg());
		return -1;
	}
	/* the options win over the file */
	json_object_object_foreach(*res, key, val)
	{
		struct json_object *sec = NULL;
		if (json_get_object(from, key, "", &sec) < 0) {
			json_object_object_add(from, key, json_object_get(val));
			continue;
		}
		json_object_object_foreach(val, k2, v2) json_object_object_add(sec, k2, json_object_get(v2));
	}
	json_object_put(*res);
	*res = from;
	return 0;
}

static int cmd_update_ctr(int argc, char **argv)
{
	static const struct option opts[] = { { "resources", required_argument, NULL, 'r' },
					      { "memory", required_argument, NULL, 'm' },
					      { "memory-reservation", required_argument, NULL, 'M' },
					      { "memory-swap", required_argument, NULL, 's' },
					      { "pids-limit", required_argument, NULL, 'p' },
					      { "cpu-shares", required_argument, NULL, 'S' },
					      { "cpu-quota", required_argument, NULL, 'q' },
					      { "cpu-period", required_argument, NULL, 'P' },
					      { "cpuset-cpus", required_argument, NULL, 'c' },
					      { "cpuset-mems", required_argument, NULL, 'e' },
					      { "blkio-weight", required_argument, NULL, 'b' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	_cleanup_json_ struct json_object *res = NULL;
	const char *id, *file = NULL;
	int c, r;

	if (!(res = json_object_new_object()))
		return cli_usage_error("update", "out of memory");
	while ((c = cli_getopt(argc, argv, "r:h", opts, "update")) != -1) {
		if (c == 'r') {
			file = optarg;
			continue;
		}
		if (c == 'h') {
			puts("usage: hv-runc update [--resources FILE|-] [--memory N] [--memory-reservation N] "
			     "[--memory-swap N]\n"
			     "       [--pids-limit N] [--cpu-shares N] [--cpu-quota N] [--cpu-period N] [--cpuset-cpus "
			     "S]\n"
			     "       [--cpuset-mems S] [--blkio-weight N] ID\n"
			     "--resources: linux.resources JSON (devices are not changed); the other options override "
			     "it");
			return 0;
		}
		if ((r = update_option(c, optarg, res)) != 0)
			return r;
	}
	if ((r = one_id(argc, argv, "update", &id)) != 0)
		return r;
	if (file && update_merge_file(file, &res) < 0)
		return ctr_fail("update");
	return ctr_update(root_opt, id, res) < 0 ? ctr_fail("update") : 0;
}

static int cmd_features_ctr(int argc, char **argv)
{
	static const char features[] =
	    "{\"ociVersionMin\":\"1.0.0\",\"ociVersionMax\":\"1.1.0\","
	    "\"hooks\":[\"prestart\",\"createRuntime\",\"createContainer\",\"startContainer\",\"poststart\","
	    "\"poststop\"],"
	    "\"mountOptions\":[\"ro\",\"rw\",\"nosuid\",\"suid\",\"nodev\",\"dev\",\"noexec\",\"exec\",\"sync\","
	    "\"async\",\"dirsync\",\"remount\",\"mand\",\"nomand\",\"atime\",\"noatime\",\"diratime\",\"nodiratime\","
	    "\"relatime\",\"norelatime\",\"strictatime\",\"nostrictatime\",\"bind\",\"rbind\",\"private\","
	    "\"rprivate\",\"shared\",\"rshared\",\"slave\",\"rslave\",\"unbindable\",\"runbindable\"],"
	    "\"linux\":{\"namespaces\":[\"cgroup\",\"ipc\",\"mount\",\"network\",\"pid\",\"user\",\"uts\"],"
	    "\"cgroup\":{\"v1\":true,\"v2\":true,\"systemd\":false,\"systemdUser\":false},"
	    "\"seccomp\":{\"enabled\":true,\"actions\":[\"SCMP_ACT_ALLOW\",\"SCMP_ACT_ERRNO\",\"SCMP_ACT_KILL\","
	    "\"SCMP_ACT_KILL_PROCESS\",\"SCMP_ACT_KILL_THREAD\",\"SCMP_ACT_LOG\",\"SCMP_ACT_TRACE\",\"SCMP_ACT_TRAP\"],"
	    "\"operators\":[\"SCMP_CMP_EQ\",\"SCMP_CMP_GE\",\"SCMP_CMP_GT\",\"SCMP_CMP_LE\",\"SCMP_CMP_LT\","
	    "\"SCMP_CMP_MASKED_EQ\",\"SCMP_CMP_NE\"]},\"apparmor\":{\"enabled\":true},\"selinux\":{\"enabled\":true}}"
	    ","
	    "\"annotations\":{\"org.hv.runtime\":\"hv-runc\"}}";
	struct json_object *o = json_tokener_parse(features), *caps = json_object_new_array();

	(void)argc;
	(void)argv;
	for (int i = 0; i <= caps_last(); i++)
		json_object_array_add(caps, json_object_new_string(caps_name(i)));
	json_object_object_add(json_object_object_get(o, "linux"), "capabilities", caps);
	json_print(o);
	json_object_put(o);
	return 0;
}

static int do_start(const char *root, const char *id)
{
	return ctr_start(root, id);
}

/* One of hv-runc's global options: 0 or an exit status; *done when it
 * was all there is to do (--help, --version). */
static int ctr_global_option(int c, const char *arg, const char **root, bool *done)
{
	switch (c) {
	case 'r':
		*root = arg;
		return 0;
	case 'l':
		log_file = arg;
		return 0;
	case 'f':
		if (strcmp(arg, "text") && strcmp(arg, "json"))
			return cli_usage_error("ctr", "--log-format must be text or json");
		log_format = arg;
		return 0;
	case 's':
		err_set(-ENOTSUP, "--systemd-cgroup is not supported: hv manages cgroupfs paths (use the cgroupfs "
				  "cgroup manager, e.g. podman --cgroup-manager cgroupfs)");
		return ctr_fail(NULL);
	case 'd':
	case 'R':
	case 'C':
		return 0;
	case 'v':
		puts("hv-runc version 0.1\nspec: 1.0.2");
		*done = true;
		return 0;
	case 'h':
		puts("usage: hv-runc [--root DIR] [--log FILE] [--log-format text|json] COMMAND\n"
		     "commands: create start run state kill delete exec ps list pause resume update spec features");
		*done = true;
		return 0;
	default:
		return EXIT_USAGE;
	}
}

/* The subcommands that take the usual one container id. */
static const struct {
	const char *name;
	int (*fn)(const char *root, const char *id);
} simple_cmds[] = { { "start", do_start }, { "state", do_state }, { "pause", do_pause }, { "resume", do_resume } };

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} sub_cmds[] = { { "kill", cmd_kill_ctr }, { "delete", cmd_delete_ctr },     { "exec", cmd_exec_ctr },
		 { "ps", cmd_ps_ctr },	   { "list", cmd_list_ctr },	     { "ls", cmd_list_ctr },
		 { "spec", cmd_spec_ctr }, { "features", cmd_features_ctr }, { "update", cmd_update_ctr } };

static int ctr_dispatch(int subc, char **sub)
{
	const char *name = sub[0];

	optind = 1;
	if (!strcmp(name, "create") || !strcmp(name, "run"))
		return create_or_run(subc, sub, !strcmp(name, "run"));
	for (size_t i = 0; i < sizeof(simple_cmds) / sizeof(simple_cmds[0]); i++)
		if (!strcmp(name, simple_cmds[i].name))
			return simple(subc, sub, simple_cmds[i].name, simple_cmds[i].fn);
	for (size_t i = 0; i < sizeof(sub_cmds) / sizeof(sub_cmds[0]); i++)
		if (!strcmp(name, sub_cmds[i].name))
			return sub_cmds[i].fn(subc, sub);
	fprintf(stderr, "hv-runc: unknown command '%s'\n", name);
	return EXIT_USAGE;
}

int cmd_ctr(int argc, char **argv)
{
	static const struct option opts[] = { { "root", required_argument, NULL, 'r' },
					      { "log", required_argument, NULL, 'l' },
					      { "log-format", required_argument, NULL, 'f' },
					      { "systemd-cgroup", no_argument, NULL, 's' },
					      { "debug", no_argument, NULL, 'd' },
					      { "rootless", required_argument, NULL, 'R' },
					      { "criu", required_argument, NULL, 'C' },
					      { "version", no_argument, NULL, 'v' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	const char *root = NULL;
	bool done = false;
	int c, r;

	if (!strcmp(cli_prog, "hv"))
		cli_prog = "hv ctr";
	while ((c = cli_getopt(argc, argv, "+h", opts, "ctr")) != -1)
		if ((r = ctr_global_option(c, optarg, &root, &done)) != 0 || done)
			return r;
	if (ctr_root(root, root_opt, sizeof(root_opt)) < 0)
		return ctr_fail("ctr");
	if (optind >= argc)
		return cli_usage_error("ctr", "missing a command (create, start, run, state, kill, delete, exec, ...)");
	return ctr_dispatch(argc - optind, argv + optind);
}
