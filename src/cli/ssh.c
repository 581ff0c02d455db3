/* SPDX-License-Identifier: MIT */
/* hv ssh NAME [-- COMMAND...]: the system's ssh, pointed at the VM. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "manager/netcmd.h"
#include "manager/osboot.h"
#include "network/addr.h"
#include "manager/status.h"
#include "manager/store.h"
#include "manager/vm.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/proc.h"
#include "util/strv.h"

static const char ssh_usage[] =
    "usage: hv ssh NAME [--user U] [-i KEY] [-- COMMAND...]\n"
    "Runs ssh to the VM as the user cloud-init created, through the loopback port hv forwards to the\n"
    "guest's port 22 (NAT NICs) or to its address.  Host keys are checked against the ones the guest\n"
    "printed on its console at first boot (hv start --wait records them); the exit status is the\n"
    "remote command's.";

/* The address of a VM without a NAT forward: its first known IPv4 address. */
static int guest_address(const char *name, char *host, size_t n)
{
	struct vm_nic_addr addrs[NIC_MAX];
	unsigned count = NIC_MAX;
	bool running;
	int r;

	if ((r = vm_addresses(name, addrs, &count, &running)) < 0)
		return r;
	for (unsigned i = 0; i < count; i++) {
		uint32_t ip = addrs[i].ip ? addrs[i].ip : addrs[i].guest_ip;
		if (ip) {
			ip4_format(ip, host, n);
			return 0;
		}
	}
	return err_set(-EHOSTUNREACH, "VM '%s' has no known address yet (see: hv ip %s)", name, name);
}

/* Where ssh goes for VM @name: its address and port, and the options
 * naming its known_hosts file and host key alias. */
struct ssh_dest {
	char *kh, *alias, *target, *port;
	bool known; /* its host keys were seen on the console */
};

static void ssh_dest_free(struct ssh_dest *t)
{
	free(t->kh);
	free(t->alias);
	free(t->target);
	free(t->port);
}

static int ssh_dest_find(const char *name, const char *user, struct ssh_dest *t)
{
	struct vm_handle h;
	char host[64];
	unsigned port = 22;
	int r;

	if ((r = vm_open(name, &h)) < 0)
		return r;
	r = osboot_ssh_endpoint(h.dirfd, host, sizeof(host), &port);
	if (r == -ENOENT)
		r = guest_address(name, host, sizeof(host));
	t->known = fs_exists_at(h.dirfd, "known_hosts");
	if (r == 0 && (asprintf(&t->kh, "UserKnownHostsFile=%s/known_hosts", h.dir) < 0 ||
		       asprintf(&t->alias, "HostKeyAlias=hv-%s", name) < 0 ||
		       asprintf(&t->target, "%s@%s", user, host) < 0 || asprintf(&t->port, "%u", port) < 0))
		r = -ENOMEM;
	vm_close(&h);
	return r;
}

/* ssh's argv: the options, the keys, the target, then the command
 * (argv[from..], after an optional "--"). */
static int ssh_argv(struct strv *a, const char *ssh, const struct ssh_dest *t, const char *identity,
		    const struct vmdef *d, int argc, char **argv, int from)
{
	int r = strv_add(a, ssh) ?: strv_add(a, "-p") ?: strv_add(a, t->port) ?: strv_add(a, "-o")
		?: strv_add(a, t->kh) ?: strv_add(a, "-o") ?: strv_add(a, t->alias) ?: strv_add(a, "-o")
		?: strv_add(a, t->known ? "StrictHostKeyChecking=yes" : "StrictHostKeyChecking=accept-new")
		?: strv_add(a, "-o") ?: strv_add(a, "LogLevel=ERROR") ?: strv_add(a, "-o")
		?: strv_add(a, "BatchMode=yes");

	if (r == 0 && identity)
		r = strv_add(a, "-i") ?: strv_add(a, identity);
	if (r == 0 && d->ci.identity)
		r = strv_add(a, "-i") ?: strv_add(a, d->ci.identity);
	if (r == 0)
		r = strv_add(a, t->target);
	if (r == 0 && from < argc && !strcmp(argv[from], "--"))
		from++;
	if (r == 0 && from < argc)
		r = strv_add(a, "--");
	for (int i = from; r == 0 && i < argc; i++)
		r = strv_add(a, argv[i]);
	return r;
}

int cmd_ssh(int argc, char **argv)
{
	static const struct option opts[] = { { "user", required_argument, NULL, 'l' },
					      { "identity", required_argument, NULL, 'i' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	_cleanup_strv_ struct strv a = { 0 };
	_cleanup_free_ char *ssh = NULL;
	const char *user = NULL, *identity = NULL, *name;
	struct ssh_dest t = { 0 };
	struct vmdef d;
	struct vm_status st;
	int c, r;

	while ((c = cli_getopt(argc, argv, "+l:i:h", opts, "ssh")) != -1) {
		if (c == 'l')
			user = optarg;
		else if (c == 'i')
			identity = optarg;
		else if (c == 'h') {
			puts(ssh_usage);
			return 0;
		} else
			return EXIT_USAGE;
	}
	if (optind >= argc)
		return cli_usage_error("ssh", "name the VM: hv ssh NAME [-- COMMAND...]");
	name = argv[optind++];
	if ((r = vm_inspect(name, &d, &st)) < 0)
		return cli_fail_code("ssh", r);
	if (!vm_state_active(st.state)) {
		fprintf(stderr, "hv ssh: VM '%s' is %s: start it first (hv start %s --wait)\n", name,
			vm_state_name(st.state), name);
		r = EXIT_FAIL;
		goto out;
	}
	if ((r = ssh_dest_find(name, user ? user : d.ci.enabled ? d.ci.user : "root", &t)) < 0) {
		r = cli_fail_code("ssh", r);
		goto out;
	}
	if (proc_find_exe("ssh", &ssh) < 0) {
		fprintf(stderr, "hv ssh: ssh not found; install it with: apt-get install openssh-client\n");
		r = EXIT_FAIL;
		goto out;
	}
	if (!t.known)
		fprintf(stderr, "hv ssh: the guest's host keys were not seen on its console yet; accepting the key "
				"it offers now\n");
	if ((r = ssh_argv(&a, ssh, &t, identity, &d, argc, argv, optind)) < 0) {
		r = cli_fail_code("ssh", r);
		goto out;
	}
	vmdef_free(&d);
	ssh_dest_free(&t);
	fflush(NULL);
	execv(ssh, a.v);
	fprintf(stderr, "hv ssh: cannot run %s: %s\n", ssh, strerror(errno));
	return EXIT_FAIL;
out:
	ssh_dest_free(&t);
	vmdef_free(&d);
	return r;
}

int cmd_vnc(int argc, char **argv)
{
	struct vmdef d;
	struct vm_status st;
	struct vm_handle h;
	const char *name;
	int r;

	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		puts("usage: hv vnc NAME\nPrints where a VNC viewer connects to the VM's display (created with "
		     "--graphics vnc):\nunix:PATH for the socket in the VM's folder, or ADDRESS:PORT.");
		return 0;
	}
	optind = 1;
	if ((r = cli_one_name(argc, argv, "vnc", &name)) != 0)
		return r;
	if ((r = vm_inspect(name, &d, &st)) < 0)
		return cli_fail_code("vnc", r);
	if (!d.display.vnc) {
		vmdef_free(&d);
		fprintf(stderr, "hv vnc: VM '%s' has no display; give it one with: hv set %s --graphics vnc\n", name,
			name);
		return EXIT_FAIL;
	}
	if (d.display.host[0]) {
		printf("%s:%u\n", d.display.host, d.display.port);
	} else if ((r = vm_open(name, &h)) == 0) {
		printf("unix:%s/%s\n", h.dir, OSBOOT_VNC_SOCKET);
		vm_close(&h);
	}
	if (!vm_state_active(st.state))
		fprintf(stderr, "hv vnc: VM '%s' is %s: the display appears when it runs\n", name,
			vm_state_name(st.state));
	vmdef_free(&d);
	return r < 0 ? cli_fail_code("vnc", r) : 0;
}
