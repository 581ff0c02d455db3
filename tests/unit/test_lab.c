/* SPDX-License-Identifier: MIT */
/* Lab files: the parser (syntax errors with line:column, unknown keys with
 * the nearest known one, types, paths, names), the validator against a
 * private store, and the planner (what hv up would change). */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "lab/lab.h"
#include "manager/vm.h"
#include "network/net.h"
#include "util/err.h"
#include "util/fs.h"
#include "t.h"

static char home[128];

static int parse(const char *text, struct lab *l)
{
	err_clear();
	return lab_parse(text, strlen(text), "/srv/labs/demo/hv-lab.json", l);
}

/* The one-line error of parsing text. */
static const char *parse_error(const char *text)
{
	struct lab l;
	int r = parse(text, &l);

	if (r == 0) {
		lab_free(&l);
		return "(parsed)";
	}
	return err_msg();
}

static void good_file(void)
{
	struct lab l;
	int r =
	    parse("{\"networks\": [{\"name\": \"lan\", \"subnet\": \"10.9.0.0/24\"}],\n"
		  " \"vms\": [{\"name\": \"web\", \"cpus\": 2, \"memory\": \"512M\", \"disks\": [\"2G\", \"d.img\"],\n"
		  "   \"nics\": [\"nat\", \"network=lan,mac=52:54:00:00:00:01\", \"network=other\"],\n"
		  "   \"forwards\": [\"8080:80\"], \"shares\": [\"src:code,ro\", \"/abs\"]},\n"
		  "  {\"name\": \"db\", \"memory\": 300, \"nics\": [], \"image\": \"debian-12\",\n"
		  "   \"ssh_keys\": [\"k.pub\"], \"cloud_init\": \"ud.yaml\", \"user\": \"me\"}]}",
		  &l);

	CHECK(r == 0, "a good file parses: %s", err_msg());
	if (r)
		return;
	CHECK_STR(l.name, "demo", "the default name is the folder's");
	CHECK_STR(l.dir, "/srv/labs/demo", "the lab's folder");
	CHECK(l.nnets == 1 && l.nets[0].mode == NET_INTERNAL, "one network, internal by default");
	CHECK_STR(l.nets[0].full, "demo-lan", "the network's name in the store");
	CHECK_STR(l.nets[0].subnet, "10.9.0.0/24", "its subnet");
	CHECK(l.nvms == 2, "two VMs (%u)", l.nvms);
	CHECK_STR(l.vms[0].full, "demo-web", "the VM's name in the store");
	CHECK(l.vms[0].cpus == 2 && l.vms[0].memory_mib == 512, "cpus and memory from a size");
	CHECK(l.vms[1].memory_mib == 300, "memory from a number of MiB");
	CHECK_STR(l.vms[0].disks[0], "2G", "a disk size stays a size");
	CHECK_STR(l.vms[0].disks[1], "/srv/labs/demo/d.img", "a disk path starts at the lab's folder");
	CHECK_STR(l.vms[0].nics[1], "network=demo-lan,mac=52:54:00:00:00:01", "the lab's network by its full name");
	CHECK_STR(l.vms[0].nics[2], "network=other", "another hv network keeps its name");
	CHECK_STR(l.vms[0].shares[0], "/srv/labs/demo/src:code,ro", "a share's folder from the lab's folder");
	CHECK_STR(l.vms[0].shares[1], "/abs", "an absolute share stays");
	CHECK(!l.vms[0].no_nics && l.vms[1].no_nics, "\"nics\": [] is no NIC");
	CHECK_STR(l.vms[1].ssh_keys[0], "/srv/labs/demo/k.pub", "key files from the lab's folder");
	CHECK_STR(l.vms[1].cloud_init, "/srv/labs/demo/ud.yaml", "user-data from the lab's folder");
	CHECK_STR(l.vms[1].image, "debian-12", "the image");
	lab_free(&l);
}

static void bad_files(void)
{
	CHECK_STR(parse_error("{\"name\": \"x\",\n  \"vms\": [\n    {\"name\": \"a\" \"cpus\": 1}]}"),
		  "/srv/labs/demo/hv-lab.json:3:18: invalid JSON: object value separator ',' expected",
		  "a syntax error says line and column");
	CHECK(strstr(parse_error("{\"vms\": [{\"name\": \"a\"}"), "hv-lab.json:1:"), "an early end says where: %s",
	      err_msg());
	CHECK_STR(parse_error("{\"vms\": [{\"name\": \"a\", \"memroy\": 1}]}"),
		  "/srv/labs/demo/hv-lab.json: vms[0].memroy: unknown key (did you mean memory?)",
		  "an unknown key with the nearest");
	CHECK_STR(parse_error("{\"netwroks\": []}"),
		  "/srv/labs/demo/hv-lab.json: netwroks: unknown key (did you mean networks?)",
		  "an unknown top-level key");
	CHECK_STR(parse_error("{\"vms\": [{\"name\": \"a\", \"colour\": 1}]}"),
		  "/srv/labs/demo/hv-lab.json: vms[0].colour: unknown key", "no suggestion when nothing is close");
	CHECK(strstr(parse_error("{\"vms\": [{\"name\": \"a\", \"cpus\": 0}]}"), "vms[0].cpus: 0 is not between"),
	      "cpus 0: %s", err_msg());
	CHECK(strstr(parse_error("{\"vms\": [{\"name\": \"a\", \"memory\": \"1K\"}]}"), "vms[0].memory"),
	      "a tiny memory: %s", err_msg());
	CHECK(strstr(parse_error("{\"vms\": [{\"name\": \"a\", \"memory\": null}]}"), "vms[0].memory: expected"),
	      "a null memory: %s", err_msg());
	CHECK(strstr(parse_error("{\"vms\": [{\"cpus\": 1}]}"), "vms[0].name is missing"), "a VM without a name: %s",
	      err_msg());
	CHECK(strstr(parse_error("{\"vms\": [{\"name\": \"a b\"}]}"), "vms[0].name"), "a bad VM name: %s", err_msg());
	CHECK(strstr(parse_error("{\"vms\": [{\"name\": \"a\", \"nics\": [1]}]}"), "vms[0].nics[0]: expected a string"),
	      "a NIC that is no string: %s", err_msg());
	CHECK(strstr(parse_error("{\"networks\": [{\"name\": \"lan\", \"mode\": \"bridge\"}]}"),
		     "networks[0].mode: 'bridge' is not"),
	      "an unknown network mode: %s", err_msg());
	CHECK(
	    strstr(parse_error("{\"networks\": [{\"name\": \"a-long-net\"}]}"), "'demo-a-long-net' is longer than 11"),
	    "a network name that does not fit: %s", err_msg());
	CHECK(strstr(parse_error("{\"name\": \"Big\"}"), "invalid lab name 'Big'"), "a bad lab name: %s", err_msg());
	CHECK(strstr(parse_error("{\"vms\": [{\"name\": \"a\", \"user\": \"me\"}]}"), "need an image"),
	      "cloud-init settings without an image: %s", err_msg());
	CHECK(strstr(parse_error("[]"), "expected a JSON object"), "not an object: %s", err_msg());
	CHECK(strstr(parse_error("null"), "expected a JSON object, got null"), "null: %s", err_msg());

	struct lab l;
	err_clear();
	CHECK(lab_parse("{}", 2, "/srv/My_Labs/hv-lab.json", &l) < 0 && strstr(err_msg(), "add \"name\""),
	      "a folder name that is no lab name asks for one: %s", err_msg());
}

static void edit_distance(void)
{
	CHECK(lab_edit_distance("memroy", "memory") == 2, "a swap is two edits");
	CHECK(lab_edit_distance("", "abc") == 3, "from nothing");
	CHECK(lab_edit_distance("cpu", "cpus") == 1, "one missing letter");
	CHECK(lab_edit_distance("same", "same") == 0, "equal");
}

static int validate(const char *text)
{
	struct lab l;
	int r;

	err_clear();
	if ((r = lab_parse(text, strlen(text), "/tmp/demo/hv-lab.json", &l)) < 0)
		return r;
	r = lab_validate(&l);
	lab_free(&l);
	return r;
}

static void validator(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0), r;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);

	CHECK(validate("{\"vms\": [{\"name\": \"a\"}, {\"name\": \"a\"}]}") < 0 &&
		  !strcmp(err_msg(), "vms[1].name: two VMs are named 'a'"),
	      "a duplicate VM: %s", err_msg());
	CHECK(validate("{\"networks\": [{\"name\": \"n\"}, {\"name\": \"n\"}]}") < 0 &&
		  strstr(err_msg(), "two networks are named 'n'"),
	      "a duplicate network: %s", err_msg());
	CHECK(validate("{\"vms\": [{\"name\": \"a\", \"nics\": [\"network=nope\"]}]}") < 0 &&
		  strstr(err_msg(), "vms[0].nics[0]: no network named 'nope'"),
	      "an unknown network: %s", err_msg());
	CHECK(validate("{\"vms\": [{\"name\": \"a\", \"image\": \"nope\"}]}") < 0 &&
		  strstr(err_msg(), "vms[0].image: no image named 'nope'"),
	      "an unknown image: %s", err_msg());
	CHECK(validate("{\"vms\": [{\"name\": \"a\", \"disks\": [\"/nonexistent.img\"]}]}") < 0 &&
		  strstr(err_msg(), "vms[0].disks[0]"),
	      "a missing disk image: %s", err_msg());
	CHECK(validate("{\"vms\": [{\"name\": \"a\", \"shares\": [\"/nonexistent\"]}]}") < 0 &&
		  strstr(err_msg(), "vms[0].shares[0]"),
	      "a missing share: %s", err_msg());
	CHECK(validate("{\"vms\": [{\"name\": \"a\", \"nics\": [], \"forwards\": [\"8080:80\"]}]}") < 0 &&
		  strstr(err_msg(), "forwards need a nat NIC"),
	      "a forward without a nat NIC: %s", err_msg());
	CHECK(validate("{\"vms\": [{\"name\": \"a\", \"forwards\": [\"18001:80\"]}, {\"name\": \"b\", \"forwards\": "
		       "[\"18001:22\"]}]}") < 0 &&
		  strstr(err_msg(), "vms[1].forwards[0]: host port 18001 is forwarded twice"),
	      "one host port twice: %s", err_msg());
	CHECK(validate("{\"networks\": [{\"name\": \"a\", \"subnet\": \"10.98.0.0/16\"}, {\"name\": \"b\", \"subnet\": "
		       "\"10.98.4.0/24\"}]}") < 0 &&
		  strstr(err_msg(), "networks[1].subnet: 10.98.4.0/24 overlaps network 'a'"),
	      "two overlapping subnets: %s", err_msg());
	/* a port in use on the host */
	CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 && listen(fd, 1) == 0 &&
		  getsockname(fd, (struct sockaddr *)&sa, &len) == 0,
	      "a listening socket");
	char text[256];
	snprintf(text, sizeof(text), "{\"vms\": [{\"name\": \"a\", \"forwards\": [\"tcp:%u:80\"]}]}",
		 ntohs(sa.sin_port));
	CHECK(validate(text) < 0 && strstr(err_msg(), "is already in use"), "a forward port in use: %s", err_msg());
	close(fd);
	/* names somebody else owns */
	struct vm_create_opts o = { .name = "demo-mine", .cpus = 1, .memory_mib = 128, .machine = MACHINE_MICROVM };
	CHECK((r = vm_create(&o)) == 0, "a VM outside the lab: %s", r ? err_msg() : "");
	CHECK(validate("{\"vms\": [{\"name\": \"mine\"}]}") < 0 &&
		  strstr(err_msg(), "a VM named 'demo-mine' exists and is not part of lab 'demo'"),
	      "a VM of the same name outside the lab: %s", err_msg());
	CHECK(net_create("demo-n", NET_INTERNAL, "10.97.0.0/24", "other", NULL) == 0, "a network of another lab: %s",
	      err_msg());
	CHECK(validate("{\"networks\": [{\"name\": \"n\"}]}") < 0 &&
		  strstr(err_msg(), "a network named 'demo-n' exists and is not part of lab 'demo'"),
	      "a network of another lab: %s", err_msg());
	CHECK(validate("{\"vms\": [{\"name\": \"a\", \"nics\": [\"network=demo-n\"]}]}") == 0,
	      "an existing hv network by its name: %s", err_msg());
	vm_delete("demo-mine", true, false, false, NULL);
	net_destroy("demo-n");
}

static void planner(void)
{
	const char *text = "{\"networks\": [{\"name\": \"lan\"}], \"vms\": [{\"name\": \"web\", \"memory\": \"128M\", "
			   "\"nics\": [\"nat\", \"network=lan\"], \"forwards\": [\"18002:80\"]}]}";
	struct lab l;
	struct lab_plan *p = calloc(1, sizeof(*p));
	int r;

	CHECK(lab_parse(text, strlen(text), "/tmp/demo/hv-lab.json", &l) == 0, "parse: %s", err_msg());
	CHECK(lab_validate(&l) == 0, "validate: %s", err_msg());
	CHECK(lab_plan(&l, false, p) == 0 && p->n == 3, "a new lab: three changes (%u)", p->n);
	CHECK_STR(p->v[0].text, "create network lan (internal)", "the network first");
	CHECK_STR(p->v[1].text, "create vm web", "then the VM");
	CHECK_STR(p->v[2].text, "start vm web", "and its start");
	/* what apply does for the first two steps, without a start */
	p->n = 2;
	CHECK((r = lab_apply(&l, p, NULL, NULL)) == 0, "apply: %s", r ? err_msg() : "");
	struct vmdef d;
	struct vm_status st;
	CHECK(vm_inspect("demo-web", &d, &st) == 0 && !strcmp(d.lab, "demo") && d.memory_mib == 128 && d.nnics == 2 &&
		  d.nics[0].nfwd == 1,
	      "the VM as the file says, labelled: %s", err_msg());
	vmdef_free(&d);
	struct netdef nd;
	CHECK(net_load("demo-lan", &nd) == 0 && !strcmp(nd.lab, "demo"), "the network labelled");
	CHECK(lab_plan(&l, false, p) == 0 && p->n == 1 && !strcmp(p->v[0].text, "start vm web"),
	      "a stopped VM is only started (%u: %s)", p->n, p->n ? p->v[0].text : "");
	lab_free(&l);
	/* a changed memory and forward of a stopped VM: set, no --recreate */
	text = "{\"networks\": [{\"name\": \"lan\"}], \"vms\": [{\"name\": \"web\", \"memory\": \"192M\", \"cpus\": 2, "
	       "\"nics\": [\"nat\", \"network=lan\"], \"forwards\": [\"18003:80\"]}]}";
	CHECK(lab_parse(text, strlen(text), "/tmp/demo/hv-lab.json", &l) == 0, "parse: %s", err_msg());
	CHECK(lab_plan(&l, false, p) == 0 && p->n == 2, "a change and a start (%u)", p->n);
	CHECK_STR(p->v[0].text, "set web cpus 1 -> 2, memory 128M -> 192M, forwards tcp:18002:80 -> tcp:18003:80",
		  "what changes, old -> new");
	p->n = 1;
	CHECK((r = lab_apply(&l, p, NULL, NULL)) == 0, "apply the change: %s", r ? err_msg() : "");
	CHECK(vm_inspect("demo-web", &d, &st) == 0 && d.memory_mib == 192 && d.cpus == 2 && d.nics[0].nfwd == 1 &&
		  d.nics[0].fwd[0].host_port == 18003,
	      "the VM changed");
	vmdef_free(&d);
	CHECK(lab_plan(&l, false, p) == 0 && p->n == 1, "then only the start is left (%u)", p->n);
	lab_free(&l);
	/* forwards listed in another order than they were added: no change */
	text = "{\"networks\": [{\"name\": \"lan\"}], \"vms\": [{\"name\": \"web\", \"memory\": \"192M\", "
	       "\"cpus\": 2, \"nics\": [\"nat\", \"network=lan\"], \"forwards\": [\"18004:81\", \"18003:80\"]}]}";
	CHECK(lab_parse(text, strlen(text), "/tmp/demo/hv-lab.json", &l) == 0, "parse: %s", err_msg());
	CHECK(lab_plan(&l, false, p) == 0 && p->n == 2, "a new forward (%u)", p->n);
	CHECK_STR(p->v[0].text, "set web forwards tcp:18003:80 -> tcp:18004:81,tcp:18003:80", "one forward more");
	p->n = 1;
	CHECK((r = lab_apply(&l, p, NULL, NULL)) == 0, "apply: %s", r ? err_msg() : "");
	CHECK(lab_plan(&l, false, p) == 0 && p->n == 1 && !strcmp(p->v[0].text, "start vm web"),
	      "then no change, whatever the order (%s)", p->v[0].text);
	lab_free(&l);
	/* a new image needs --recreate */
	text = "{\"networks\": [{\"name\": \"lan\"}], \"vms\": [{\"name\": \"web\", \"memory\": \"192M\", \"cpus\": 2, "
	       "\"nics\": [\"nat\", \"network=lan\"], \"forwards\": [\"18003:80\"], \"disks\": [\"1G\"]}]}";
	CHECK(lab_parse(text, strlen(text), "/tmp/demo/hv-lab.json", &l) == 0, "parse: %s", err_msg());
	CHECK(lab_plan(&l, false, p) < 0 && strstr(err_msg(), "vm web: disks 0 -> 1 needs the VM made anew: hv up "
							      "--recreate"),
	      "a new disk is refused without --recreate: %s", err_msg());
	CHECK(lab_plan(&l, true, p) == 0 && p->n == 2 && !strcmp(p->v[0].text, "recreate vm web (disks 0 -> 1)"),
	      "... and planned with it (%s)", p->n ? p->v[0].text : "");
	lab_free(&l);
	/* hv down --delete: what carries the label, nothing else */
	struct vm_create_opts o = { .name = "outsider", .cpus = 1, .memory_mib = 128, .machine = MACHINE_MICROVM };
	CHECK(vm_create(&o) == 0, "a VM outside the lab");
	CHECK((r = lab_down("demo", true, 5, NULL, NULL)) == 0, "down --delete: %s", r ? err_msg() : "");
	CHECK(!fs_exists_at(AT_FDCWD, "/nonexistent") && vm_inspect("demo-web", &d, &st) < 0, "the lab's VM is gone");
	CHECK(net_load("demo-lan", &nd) < 0, "the lab's network is gone");
	CHECK(vm_inspect("outsider", &d, &st) == 0, "the other VM stays");
	vmdef_free(&d);
	vm_delete("outsider", true, false, false, NULL);
	free(p);
}

int main(void)
{
	snprintf(home, sizeof(home), "/tmp/hv-unit-lab-%d", (int)getpid());
	mkdir(home, 0700);
	setenv("HV_HOME", home, 1);
	good_file();
	bad_files();
	edit_distance();
	validator();
	planner();
	fs_rm_rf_at(AT_FDCWD, home);
	T_DONE();
}
