/* SPDX-License-Identifier: MIT */
/* hv ui: serve the web console until Ctrl-C. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "web/server.h"

static const char usage[] = "usage: hv ui [--listen ADDR:PORT] [--tls CERT,KEY | --insecure] [--url-file FILE]\n"
			    "Serves the web console (VMs, their consoles and displays) until Ctrl-C.\n"
			    "Listens on 127.0.0.1:8006 by default and prints the URL with a fresh access token.\n"
			    "A non-loopback address needs --tls CERT,KEY (PEM files) or --insecure.\n"
			    "--url-file writes the URL (with its token) to FILE, mode 0600, for scripts.";

static int write_url_file(const char *path, const char *url)
{
	FILE *f;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return err_errno(-e, "cannot write %s", path);
	}
	fprintf(f, "%s\n", url);
	return fclose(f) == 0 ? 0 : err_errno(-errno, "cannot write %s", path);
}

static int parse_tls(const char *arg, char **cert, char **key)
{
	const char *comma = strchr(arg, ',');

	if (!comma || comma == arg || !comma[1])
		return -EINVAL;
	*cert = strndup(arg, (size_t)(comma - arg));
	*key = strdup(comma + 1);
	return *cert && *key ? 0 : -ENOMEM;
}

int cmd_ui(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' }, { "tls", required_argument, NULL, 't' },
		{ "insecure", no_argument, NULL, 'I' },	    { "url-file", required_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },	    { NULL, 0, NULL, 0 }
	};
	_cleanup_free_ char *cert = NULL, *key = NULL, *webdir = NULL, *url = NULL;
	const char *listen = "127.0.0.1:8006", *url_file = NULL;
	struct ui_opts o = { 0 };
	struct ui_server *s;
	sigset_t set;
	int c, r, sig;

	while ((c = cli_getopt(argc, argv, "h", opts, "ui")) != -1) {
		if (c == 'l')
			listen = optarg;
		else if (c == 't') {
			if (parse_tls(optarg, &cert, &key) < 0)
				return cli_usage_error("ui", "--tls needs CERT,KEY (two PEM files), got '%s'", optarg);
		} else if (c == 'I')
			o.insecure = true;
		else if (c == 'u')
			url_file = optarg;
		else if (c == 'h') {
			puts(usage);
			return 0;
		} else
			return EXIT_USAGE;
	}
	if (optind < argc)
		return cli_usage_error("ui", "unexpected argument '%s'", argv[optind]);
	if (ui_listen_parse(listen, &o.listen) < 0)
		return cli_usage_error("ui", "%s", err_msg());
	if (ui_listen_check(&o.listen, cert != NULL, o.insecure) < 0)
		return cli_fail("ui");
	if ((r = ui_web_dir(&webdir)) < 0)
		return cli_fail_code("ui", r);
	o.tls_cert = cert;
	o.tls_key = key;
	o.webdir = webdir;
	/* the signals that end the server are taken by sigwait below, in
	 * this thread only: the server's threads are started with them
	 * blocked, so none of them is interrupted */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((r = ui_server_start(&o, &s)) < 0)
		return cli_fail_code("ui", r);
	bool v6 = strchr(o.listen.host, ':') != NULL;
	if (asprintf(&url, "%s://%s%s%s:%u/?token=%s", cert ? "https" : "http", v6 ? "[" : "",
		     strcmp(o.listen.host, "0.0.0.0") && strcmp(o.listen.host, "::") ? o.listen.host : "127.0.0.1",
		     v6 ? "]" : "", ui_server_port(s), ui_server_token(s)) < 0) {
		ui_server_stop(s);
		return cli_fail_code("ui", -ENOMEM);
	}
	if (url_file && (r = write_url_file(url_file, url)) < 0) {
		ui_server_stop(s);
		return cli_fail_code("ui", r);
	}
	printf("hv ui: serving the web console at\n    %s\n(Ctrl-C stops it)\n", url);
	fflush(stdout);
	sigwait(&set, &sig);
	ui_server_stop(s);
	return 0;
}
