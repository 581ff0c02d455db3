/* SPDX-License-Identifier: MIT */
/* The pre-checks of hv migrate (src/migration/checks.c): QEMU version and
 * machine, CPU, memory and store, cache modes, networks and snapshots;
 * the facts' round trip through JSON and damaged facts named; whose a
 * listening port is. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "migration/checks.h"
#include "network/addr.h"
#include "network/net.h"
#include "t.h"
#include "util/err.h"
#include "util/fs.h"

static struct mig_facts host(void)
{
	struct mig_facts f = { .microvm = true, .mem_available = 4ULL << 30, .store_writable = true };

	snprintf(f.boot_id, sizeof(f.boot_id), "b1");
	snprintf(f.qemu_version, sizeof(f.qemu_version), "7.2.22");
	snprintf(f.q35, sizeof(f.q35), "pc-q35-7.2");
	snprintf(f.cpu_model, sizeof(f.cpu_model), "AMD EPYC 7B13");
	snprintf(f.cpu_flags, sizeof(f.cpu_flags), "0123456789abcdef");
	return f;
}

static void qemu(void)
{
	struct mig_facts s = host(), d = host();
	unsigned maj, min;

	CHECK(migcheck_qemu_version("7.2.22", &maj, &min) == 0 && maj == 7 && min == 2, "7.2.22 parses");
	CHECK(migcheck_qemu_version("8.0", &maj, &min) == 0 && maj == 8 && min == 0, "8.0 parses");
	CHECK(migcheck_qemu_version("x", &maj, &min) == -EINVAL, "garbage is refused");
	CHECK(migcheck_qemu(&s, &d, MACHINE_MICROVM) == 0, "the same QEMU: fine");
	snprintf(d.qemu_version, sizeof(d.qemu_version), "7.2.9");
	CHECK(migcheck_qemu(&s, &d, MACHINE_Q35) == 0, "another 7.2 stable release: fine");
	snprintf(d.qemu_version, sizeof(d.qemu_version), "8.2.1");
	snprintf(d.q35, sizeof(d.q35), "pc-q35-8.2");
	CHECK(migcheck_qemu(&s, &d, MACHINE_MICROVM) == -EPROTO && strstr(err_msg(), "8.2.1") &&
		  strstr(err_msg(), "same QEMU 7.2"),
	      "another QEMU family is named: %s", err_msg());
	d = host();
	d.microvm = false;
	CHECK(migcheck_qemu(&s, &d, MACHINE_MICROVM) == -EPROTO && strstr(err_msg(), "microvm"), "no microvm: %s",
	      err_msg());
	CHECK(migcheck_qemu(&s, &d, MACHINE_Q35) == 0, "a q35 VM does not need microvm");
	snprintf(d.q35, sizeof(d.q35), "pc-q35-7.1");
	CHECK(migcheck_qemu(&s, &d, MACHINE_Q35) == -EPROTO && strstr(err_msg(), "pc-q35-7.1"),
	      "another q35 is named: %s", err_msg());
}

static void cpu(void)
{
	struct mig_facts s = host(), d = host();

	CHECK(migcheck_cpu(&s, &d, ACCEL_TCG, ACCEL_AUTO) == 0, "TCG to TCG");
	d.kvm = true;
	CHECK(migcheck_cpu(&s, &d, ACCEL_TCG, ACCEL_AUTO) == -EPROTO && strstr(err_msg(), "KVM"),
	      "TCG to a host where hv would take KVM: %s", err_msg());
	CHECK(migcheck_cpu(&s, &d, ACCEL_TCG, ACCEL_TCG) == 0, "a VM pinned to TCG runs TCG there too");
	s.kvm = true;
	CHECK(migcheck_cpu(&s, &d, ACCEL_KVM, ACCEL_AUTO) == 0, "KVM between identical hosts");
	CHECK(migcheck_cpu(&s, &d, ACCEL_KVM, ACCEL_KVM) == 0, "(pinned to KVM)");
	snprintf(d.cpu_flags, sizeof(d.cpu_flags), "fedcba9876543210");
	CHECK(migcheck_cpu(&s, &d, ACCEL_KVM, ACCEL_AUTO) == -EPROTO && strstr(err_msg(), "flags"), "other flags: %s",
	      err_msg());
	d = host();
	d.kvm = true;
	snprintf(d.cpu_model, sizeof(d.cpu_model), "Intel Xeon");
	CHECK(migcheck_cpu(&s, &d, ACCEL_KVM, ACCEL_AUTO) == -EPROTO && strstr(err_msg(), "Intel Xeon"),
	      "another CPU: %s", err_msg());
	d.kvm = false;
	CHECK(migcheck_cpu(&s, &d, ACCEL_KVM, ACCEL_AUTO) == -EPROTO && strstr(err_msg(), "no KVM"),
	      "KVM to no KVM: %s", err_msg());
}

static void room(void)
{
	struct mig_facts d = host();

	CHECK(migcheck_room(&d, 256) == 0, "4 GiB take 256 MiB");
	d.mem_available = 200ULL << 20;
	CHECK(migcheck_room(&d, 256) == -ENOMEM && strstr(err_msg(), "200 MiB") && strstr(err_msg(), "256 MiB"),
	      "too little memory is named: %s", err_msg());
	d = host();
	d.store_writable = false;
	CHECK(migcheck_room(&d, 256) == -EROFS, "a read-only store: %s", err_msg());
}

static void cache(void)
{
	CHECK(migcheck_cache("disk0", "writeback", MIG_STORAGE_SAME_HOST) == 0, "one host: writeback is fine");
	CHECK(migcheck_cache("disk0", "unsafe", MIG_STORAGE_SAME_HOST) == 0, "one host: unsafe too");
	CHECK(migcheck_cache("disk0", "none", MIG_STORAGE_SHARED) == 0, "shared: none");
	CHECK(migcheck_cache("disk0", "directsync", MIG_STORAGE_SHARED) == 0, "shared: directsync");
	CHECK(migcheck_cache("disk0", "writeback", MIG_STORAGE_SHARED) == -EPROTO && strstr(err_msg(), "disk0") &&
		  strstr(err_msg(), "--copy-storage"),
	      "shared between hosts with writeback: %s", err_msg());
	CHECK(migcheck_cache("disk0", "writeback", MIG_STORAGE_COPIED) == 0, "copied: writeback");
	CHECK(migcheck_cache("disk0", "unsafe", MIG_STORAGE_COPIED) == -EPROTO && strstr(err_msg(), "unsafe"),
	      "copied with unsafe: %s", err_msg());
}

static void networks(void)
{
	struct netdef w = { .name = "n1", .mode = NET_NATNET, .subnet = htonl(0x0a4d0500), .prefix = 24 }, h = w;

	CHECK(migcheck_network(&w, &h) == 0, "the same network");
	CHECK(migcheck_network(&w, NULL) == -ENOENT && strstr(err_msg(), "hv net create n1 --mode natnet --subnet "
									 "10.77.5.0/24"),
	      "a missing network names the fix: %s", err_msg());
	h.mode = NET_INTERNAL;
	CHECK(migcheck_network(&w, &h) == -EPROTO && strstr(err_msg(), "internal"), "another mode: %s", err_msg());
	h = w;
	h.subnet = htonl(0x0a4d0600);
	CHECK(migcheck_network(&w, &h) == -EPROTO && strstr(err_msg(), "10.77.6.0/24"), "another subnet: %s",
	      err_msg());
	h = w;
	h.prefix = 16;
	h.subnet = htonl(0x0a4d0000);
	CHECK(migcheck_network(&w, &h) == -EPROTO, "another prefix");
}

static void snapshots(void)
{
	CHECK(migcheck_snapshots("m1", "", 0, true) == 0, "none");
	CHECK(migcheck_snapshots("m1", "s1, s2", 2, false) == 0, "offline: they move with the disks");
	CHECK(migcheck_snapshots("m1", "s1, s2", 2, true) == -ENOTSUP && strstr(err_msg(), "s1, s2") &&
		  strstr(err_msg(), "--offline") && strstr(err_msg(), "hv snapshot delete m1"),
	      "live: named, with the fixes: %s", err_msg());
}

static void facts_json(void)
{
	struct mig_facts s = host(), d;
	struct json_object *o = mig_facts_to_json(&s);

	CHECK(o && mig_facts_from_json(o, &d) == 0 && !memcmp(&s, &d, sizeof(s)), "round trip");
	json_object_object_add(o, "mem_available", json_object_new_string("lots"));
	CHECK(mig_facts_from_json(o, &d) == -EINVAL && strstr(err_msg(), "mem_available"), "a wrong type: %s",
	      err_msg());
	json_object_object_add(o, "mem_available", json_object_new_int(1));
	json_object_object_add(o, "kvm", NULL);
	CHECK(mig_facts_from_json(o, &d) == -EINVAL && strstr(err_msg(), "kvm"), "a null: %s", err_msg());
	json_object_put(o);
	CHECK(mig_facts_gather(&s) == 0 && s.qemu_version[0] && s.boot_id[0] && s.mem_available > 0,
	      "this host's facts: QEMU %s, %llu MiB available: %s", s.qemu_version,
	      (unsigned long long)(s.mem_available >> 20), err_msg());
}

static void ports(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	uint16_t port;

	CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 && listen(fd, 1) == 0 &&
		  getsockname(fd, (struct sockaddr *)&a, &alen) == 0,
	      "listen");
	port = ntohs(a.sin_port);
	CHECK(mig_port_held_by("tcp", port, getpid()) == 1, "our listening port is ours");
	CHECK(mig_port_held_by("tcp", port, getppid()) == 0, "not our parent's");
	close(fd);
	CHECK(mig_port_held_by("tcp", port, getpid()) == 0, "closed: nobody's");
}

/* The destination keeps the VM's address: net_reserve_at. */
static void reserve_at(void)
{
	char home[] = "/tmp/test_migcheck.XXXXXX";
	const uint8_t mac[6] = { 0x52, 0x54, 0, 1, 2, 3 }, mac2[6] = { 0x52, 0x54, 0, 1, 2, 4 };
	uint32_t want, ip = 0;
	size_t n = 0;
	struct net_reservation res[4];

	mkdtemp(home);
	setenv("HV_HOME", home, 1);
	CHECK(net_create("tmigchk", NET_NATNET, "10.99.93.0/24", NULL, NULL) == 0, "a network: %s", err_msg());
	ip4_parse("10.99.93.7", &want);
	CHECK(net_reserve_at("tmigchk", "m1", mac, want, &ip) == 0 && ip == want, "the address asked for: %s",
	      err_msg());
	CHECK(net_reserve_at("tmigchk", "m2", mac2, want, &ip) == -EADDRINUSE && strstr(err_msg(), "'m1'"),
	      "another VM's address is refused, naming it: %s", err_msg());
	ip4_parse("10.99.93.200", &want);
	CHECK(net_reserve_at("tmigchk", "m2", mac2, want, &ip) == -ERANGE, "outside the reserved range: %s", err_msg());
	ip4_parse("10.99.93.9", &want);
	CHECK(net_reserve_at("tmigchk", "m1", mac, want, &ip) == 0 && ip == want, "another address for m1");
	CHECK(net_reservations("tmigchk", res, 4, &n) == 0 && n == 1 && res[0].ip == want,
	      "replaces its old one (%zu reservations)", n);
	CHECK(net_reserve("tmigchk", "m2", mac2, &ip) == 0 && ip != want, "any free one still works");
	net_destroy("tmigchk");
	err_clear();
	fs_rm_rf_at(AT_FDCWD, home);
}

int main(void)
{
	qemu();
	cpu();
	room();
	cache();
	networks();
	snapshots();
	facts_json();
	ports();
	reserve_at();
	T_DONE();
}
