/* SPDX-License-Identifier: MIT */
/* hv ip | hv forward | hv net */
#include <arpa/inet.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "manager/netcmd.h"
#include "manager/store.h"
#include "network/net.h"
#include "network/netlink.h"
#include "util/err.h"
#include "util/json.h"
#include "util/jsonfile.h"

static int only_json(int argc, char **argv, const char *cmd, const char *usage, bool *json)
{
	static const struct option opts[] = { { "json", no_argument, NULL, 'j' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	int c;

	*json = false;
	while ((c = cli_getopt(argc, argv, "h", opts, cmd)) != -1) {
		if (c == 'j')
			*json = true;
		else if (c == 'h') {
			puts(usage);
			return -1; /* the caller exits 0 */
		} else
			return EXIT_USAGE;
	}
	return 0;
}

static void addr_text(uint32_t ip, int prefix, char *buf, size_t n)
{
	if (!ip) {
		snprintf(buf, n, "-");
		return;
	}
	ip4_format(ip, buf, n);
	if (prefix)
		snprintf(buf + strlen(buf), n - strlen(buf), "/%d", prefix);
}

int cmd_ip(int argc, char **argv)
{
	struct vm_nic_addr a[NIC_MAX];
	unsigned n;
	bool json, running;
	const char *name;
	int r;

	if ((r = only_json(argc, argv, "ip",
			   "usage: hv ip NAME [--json]\nEach NIC's MAC, mode and IPv4 address, with "
			   "where the address comes from (dhcp-lease, neighbour, guest).",
			   &json)) ||
	    (r = cli_one_name(argc, argv, "ip", &name)))
		return r < 0 ? EXIT_OK : r;
	if (vm_addresses(name, a, &n, &running) < 0)
		return cli_fail("ip");
	_cleanup_json_ struct json_object *arr = json_object_new_array();
	if (!json)
		printf("%-4s %-18s %-18s %-18s %-11s %s\n", "NIC", "MODE", "MAC", "IPV4", "SOURCE", "FORWARDS");
	for (unsigned i = 0; i < n; i++) {
		char mac[32], ip[32], gip[32], fw[NIC_MAX_FORWARDS * 40] = "";
		struct json_object *o = json_object_new_object(), *fwa = json_object_new_array();
		mac_format(a[i].nic.mac, mac, sizeof(mac));
		addr_text(a[i].ip, a[i].prefix, ip, sizeof(ip));
		addr_text(a[i].guest_ip, a[i].guest_prefix, gip, sizeof(gip));
		for (unsigned f = 0; f < a[i].nic.nfwd; f++) {
			char t[40];
			forward_format(&a[i].nic.fwd[f], t, sizeof(t));
			snprintf(fw + strlen(fw), sizeof(fw) - strlen(fw), "%s%s", f ? "," : "", t);
			json_object_array_add(fwa, json_object_new_string(t));
		}
		if (!json) {
			printf("%-4u %-18s %-18s %-18s %-11s %s\n", i, a[i].mode_text, mac, ip,
			       a[i].source ? a[i].source : "-", fw[0] ? fw : "-");
			json_object_put(o);
			json_object_put(fwa);
			continue;
		}
		json_object_object_add(o, "nic", json_object_new_int((int)i));
		json_object_object_add(o, "mode", json_object_new_string(nic_mode_name(a[i].nic.mode)));
		if (a[i].nic.mode != NIC_NAT)
			json_object_object_add(o, a[i].nic.mode == NIC_NETWORK ? "network" : "bridge",
					       json_object_new_string(a[i].nic.target));
		json_object_object_add(o, "mac", json_object_new_string(mac));
		json_object_object_add(o, "ipv4", a[i].ip ? json_object_new_string(strtok(ip, "/")) : NULL);
		json_object_object_add(o, "prefix", a[i].prefix ? json_object_new_int(a[i].prefix) : NULL);
		json_object_object_add(o, "source", a[i].source ? json_object_new_string(a[i].source) : NULL);
		json_object_object_add(o, "guest_ipv4",
				       a[i].guest_ip ? json_object_new_string(strtok(gip, "/")) : NULL);
		json_object_object_add(o, "forwards", fwa);
		json_object_array_add(arr, o);
	}
	if (json)
		json_print(arr);
	else if (!running)
		fprintf(stderr, "hv ip: VM '%s' is not running: no addresses\n", name);
	return 0;
}

int cmd_forward(int argc, char **argv)
{
	struct nic_forward f[NIC_MAX_FORWARDS];
	unsigned n;
	const char *name, *verb;
	bool json;
	int r;

	if ((r = only_json(argc, argv, "forward",
			   "usage: hv forward NAME add|remove [tcp|udp:][HOSTADDR:]HOSTPORT:GUESTPORT\n"
			   "       hv forward NAME list [--json]\n"
			   "Port forwards of the VM's nat NIC; a running VM gets them at once.",
			   &json)))
		return r < 0 ? EXIT_OK : r;
	if (argc - optind < 2)
		return cli_usage_error("forward", "use: hv forward NAME add|remove|list [SPEC]");
	name = argv[optind];
	verb = argv[optind + 1];
	if (!strcmp(verb, "list")) {
		if (argc - optind != 2)
			return cli_usage_error("forward", "list takes no SPEC");
		if (vm_forward_list(name, f, &n) < 0)
			return cli_fail("forward");
		_cleanup_json_ struct json_object *arr = json_object_new_array();
		for (unsigned i = 0; i < n; i++) {
			char t[48];
			forward_format(&f[i], t, sizeof(t));
			if (json)
				json_object_array_add(arr, json_object_new_string(t));
			else
				puts(t);
		}
		if (json)
			json_print(arr);
		return 0;
	}
	if (strcmp(verb, "add") && strcmp(verb, "remove"))
		return cli_usage_error("forward", "unknown action '%s' (use add, remove or list)", verb);
	if (argc - optind != 3)
		return cli_usage_error("forward", "%s needs one SPEC such as tcp:8080:80", verb);
	if (vm_forward_change(name, !strcmp(verb, "add"), argv[optind + 2]) < 0)
		return cli_fail("forward");
	return 0;
}

/* --- hv net --- */

static struct json_object *net_json(const struct netdef *d, bool details)
{
	static struct net_reservation res[NET_MAX_RESERVED];
	struct json_object *o = json_object_new_object();
	struct net_state st;
	char buf[64], br[32];
	uint32_t rl, rh, dl, dh;
	size_t nres = 0;

	net_state(d->name, &st);
	net_bridge_name(d->name, br, sizeof(br));
	json_object_object_add(o, "name", json_object_new_string(d->name));
	json_object_object_add(o, "mode", json_object_new_string(net_mode_name(d->mode)));
	ip4_format(d->subnet, buf, sizeof(buf));
	snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "/%d", d->prefix);
	json_object_object_add(o, "subnet", json_object_new_string(buf));
	ip4_format(net_gateway(d), buf, sizeof(buf));
	json_object_object_add(o, d->mode == NET_INTERNAL ? "dhcp_server" : "host_address",
			       json_object_new_string(buf));
	json_object_object_add(o, "bridge", json_object_new_string(br));
	json_object_object_add(o, "state", json_object_new_string(st.bridge ? "up" : "down"));
	if (!details)
		return o;
	net_ranges(d, &rl, &rh, &dl, &dh);
	ip4_format(dl, buf, sizeof(buf));
	snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "-");
	ip4_format(dh, buf + strlen(buf), sizeof(buf) - strlen(buf));
	json_object_object_add(o, "dhcp_range", json_object_new_string(buf));
	json_object_object_add(o, "dhcp_pid", st.dhcp ? json_object_new_int(st.dhcp_pid) : NULL);
	json_object_object_add(o, "firewall_table", json_object_new_string(st.table ? "present" : "absent"));
	struct json_object *fw = json_object_new_array(), *rs = json_object_new_array();
	for (unsigned i = 0; i < d->nfwd; i++) {
		snprintf(buf, sizeof(buf), "%s:%u:%s:%u", d->fwd[i].proto, d->fwd[i].host_port, d->fwd[i].vm,
			 d->fwd[i].vm_port);
		json_object_array_add(fw, json_object_new_string(buf));
	}
	json_object_object_add(o, "forwards", fw);
	net_reservations(d->name, res, NET_MAX_RESERVED, &nres);
	for (size_t i = 0; i < nres; i++) {
		struct json_object *e = json_object_new_object();
		json_object_object_add(e, "vm", json_object_new_string(res[i].vm));
		mac_format(res[i].mac, buf, sizeof(buf));
		json_object_object_add(e, "mac", json_object_new_string(buf));
		ip4_format(res[i].ip, buf, sizeof(buf));
		json_object_object_add(e, "ip", json_object_new_string(buf));
		json_object_array_add(rs, e);
	}
	json_object_object_add(o, "vms", rs);
	err_clear();
	return o;
}

static int net_create_cmd(int argc, char **argv)
{
	static const struct option opts[] = { { "mode", required_argument, NULL, 'm' },
					      { "subnet", required_argument, NULL, 's' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	enum net_mode mode = NET_NATNET;
	const char *subnet = NULL, *name;
	struct netdef d;
	char buf[32];
	int c, r;

	while ((c = cli_getopt(argc, argv, "m:s:h", opts, "net create")) != -1) {
		if (c == 'm') {
			if (net_mode_parse(optarg, &mode) < 0)
				return cli_fail("net create");
		} else if (c == 's') {
			subnet = optarg;
		} else if (c == 'h') {
			puts("usage: hv net create NET [--mode natnet|host-only|internal] [--subnet CIDR]\n"
			     "natnet (default): NAT to the outside, DHCP, DNS, port forwards; host-only: host and VMs, "
			     "no\n"
			     "route out; internal: VMs only.  Without --subnet a free 10.77.N.0/24 is chosen.");
			return 0;
		} else
			return EXIT_USAGE;
	}
	if ((r = cli_one_name(argc, argv, "net create", &name)) != 0)
		return r;
	if (net_create(name, mode, subnet, NULL, &d) < 0)
		return cli_fail("net create");
	ip4_format(d.subnet, buf, sizeof(buf));
	printf("created network %s (%s, %s/%d)\n", name, net_mode_name(mode), buf, d.prefix);
	return 0;
}

static int net_list_cmd(int argc, char **argv)
{
	char **names;
	size_t n;
	bool json;
	int r;

	if ((r = only_json(argc, argv, "net list", "usage: hv net list [--json]", &json)))
		return r < 0 ? EXIT_OK : r;
	if (net_list(&names, &n) < 0)
		return cli_fail("net list");
	_cleanup_json_ struct json_object *arr = json_object_new_array();
	if (!json)
		printf("%-12s %-10s %-18s %-5s\n", "NAME", "MODE", "SUBNET", "STATE");
	for (size_t i = 0; i < n; i++) {
		struct netdef d;
		if (net_load(names[i], &d) < 0) {
			/* listed as damaged: it needs the user */
			fprintf(stderr, "hv net list: %s\n", err_msg());
			if (json) {
				struct json_object *o = json_object_new_object();
				json_object_object_add(o, "name", json_object_new_string(names[i]));
				json_object_object_add(o, "state", json_object_new_string("damaged"));
				json_object_object_add(o, "error", json_object_new_string(err_msg()));
				json_object_array_add(arr, o);
			} else {
				printf("%-12s %-10s %-18s %-5s\n", names[i], "-", "-", "damaged");
			}
			free(names[i]);
			continue;
		}
		struct json_object *o = net_json(&d, false);
		if (json)
			json_object_array_add(arr, o);
		else {
			const char *subnet = "?", *state = "?";
			json_get_str(o, "subnet", "network", &subnet);
			json_get_str(o, "state", "network", &state);
			printf("%-12s %-10s %-18s %-5s\n", d.name, net_mode_name(d.mode), subnet, state);
			json_object_put(o);
		}
		free(names[i]);
	}
	free(names);
	if (json)
		json_print(arr);
	return 0;
}

static int net_info_cmd(int argc, char **argv)
{
	struct netdef d;
	const char *name;
	bool json;
	int r;

	if ((r = only_json(argc, argv, "net info", "usage: hv net info NET [--json]", &json)) ||
	    (r = cli_one_name(argc, argv, "net info", &name)))
		return r < 0 ? EXIT_OK : r;
	if (net_load(name, &d) < 0)
		return cli_fail("net info");
	_cleanup_json_ struct json_object *o = net_json(&d, true);
	if (json) {
		json_print(o);
		return 0;
	}
	json_object_object_foreach(o, key, val)
	{
		struct json_object *arr = NULL;
		if (json_get_array(o, key, "", &arr) == 0) {
			printf("%-15s", key);
			for (size_t i = 0; i < json_object_array_length(arr); i++) {
				struct json_object *e = json_object_array_get_idx(arr, i);
				printf("%s%s", i ? "\n               " : "",
				       json_object_is_type(e, json_type_string)
					   ? json_object_get_string(e)
					   : json_object_to_json_string_ext(e, JSON_C_TO_STRING_PLAIN));
			}
			printf("%s\n", json_object_array_length(arr) ? "" : "-");
		} else {
			printf("%-15s%s\n", key, val ? json_object_get_string(val) : "-");
		}
	}
	return 0;
}

static int net_delete_cmd(int argc, char **argv)
{
	static const struct option opts[] = { { "force", no_argument, NULL, 'f' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	const char *name;
	bool force = false;
	int c, r;

	while ((c = cli_getopt(argc, argv, "fh", opts, "net delete")) != -1) {
		if (c == 'f')
			force = true;
		else if (c == 'h') {
			puts("usage: hv net delete [--force] NET\nRefused while a VM uses the network; --force also "
			     "removes a network whose net.json is damaged.");
			return 0;
		} else
			return EXIT_USAGE;
	}
	if ((r = cli_one_name(argc, argv, "net delete", &name)))
		return r;
	if (vm_net_delete(name, force) < 0)
		return cli_fail("net delete");
	printf("deleted network %s\n", name);
	return 0;
}

static int net_forward_cmd(int argc, char **argv)
{
	struct netdef d;
	bool json;
	int r;

	if ((r = only_json(argc, argv, "net forward",
			   "usage: hv net forward NET add|remove tcp:HOSTPORT:VM:PORT\n"
			   "       hv net forward NET list\nPort forwards of a natnet network to its VMs.",
			   &json)))
		return r < 0 ? EXIT_OK : r;
	if (argc - optind < 2)
		return cli_usage_error("net forward", "use: hv net forward NET add|remove|list [SPEC]");
	const char *name = argv[optind], *verb = argv[optind + 1];
	if (!strcmp(verb, "list")) {
		if (net_load(name, &d) < 0)
			return cli_fail("net forward");
		for (unsigned i = 0; i < d.nfwd; i++)
			printf("%s:%u:%s:%u\n", d.fwd[i].proto, d.fwd[i].host_port, d.fwd[i].vm, d.fwd[i].vm_port);
		return 0;
	}
	if (argc - optind != 3 || (strcmp(verb, "add") && strcmp(verb, "remove")))
		return cli_usage_error("net forward", "use: hv net forward NET add|remove tcp:HOSTPORT:VM:PORT");
	r = !strcmp(verb, "add") ? net_forward_add(name, argv[optind + 2]) : net_forward_remove(name, argv[optind + 2]);
	return r < 0 ? cli_fail("net forward") : 0;
}

int cmd_net(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} sub[] = { { "create", net_create_cmd },
		    { "list", net_list_cmd },
		    { "info", net_info_cmd },
		    { "delete", net_delete_cmd },
		    { "forward", net_forward_cmd } };

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		puts("usage: hv net create|list|info|delete|forward ... (hv net COMMAND --help)");
		return argc < 2 ? EXIT_USAGE : 0;
	}
	for (size_t i = 0; i < sizeof(sub) / sizeof(sub[0]); i++)
		if (!strcmp(argv[1], sub[i].name))
			return sub[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "hv net: unknown command '%s' (use create, list, info, delete or forward)\n", argv[1]);
	return EXIT_USAGE;
}
