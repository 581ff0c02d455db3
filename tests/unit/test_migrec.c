/* SPDX-License-Identifier: MIT */
/* migrate.json, the record the source monitor acts on when hv migrate
 * dies: round trip, and damaged records named rather than believed; and
 * the JSON-lines link between the two ends of a migration. */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "manager/migrec.h"
#include "migration/peer.h"
#include "t.h"
#include "util/err.h"
#include "util/fs.h"

static void put(int fd, const char *text)
{
	fs_write_atomic(fd, "migrate.json", text, strlen(text), 0600);
}

static void record(void)
{
	char dir[] = "/tmp/test_migrec.XXXXXX";
	struct migrec in = { .was_running = true, .phase = MIGREC_SWITCHOVER }, out;
	int fd, r;

	mkdtemp(dir);
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	CHECK(migrec_load(fd, &out) == -ENOENT, "no record: -ENOENT");
	proc_identify(getpid(), &in.hv);
	snprintf(in.dest, sizeof(in.dest), "/srv/hv2");
	CHECK(migrec_save(fd, &in) == 0, "save");
	r = migrec_load(fd, &out);
	CHECK(r == 0 && out.hv.pid == getpid() && out.hv.start == in.hv.start &&
		  !strcmp(out.hv.boot_id, in.hv.boot_id) && out.was_running && out.phase == MIGREC_SWITCHOVER &&
		  !strcmp(out.dest, "/srv/hv2") && proc_id_alive(&out.hv),
	      "round trip");
	put(fd, "{\"pid\": \"1\", \"start\": 1, \"boot_id\": \"x\", \"was_running\": true, \"phase\": \"copying\"}");
	r = migrec_load(fd, &out);
	CHECK(r == -EINVAL && strstr(err_msg(), "pid"), "a pid of the wrong type is named: %s", err_msg());
	put(fd, "{\"pid\": 1, \"start\": 1, \"boot_id\": \"x\", \"was_running\": null, \"phase\": \"copying\"}");
	r = migrec_load(fd, &out);
	CHECK(r == -EINVAL && strstr(err_msg(), "was_running"), "a null is named: %s", err_msg());
	put(fd, "{\"pid\": 1, \"start\": 1, \"boot_id\": \"x\", \"was_running\": true, \"phase\": \"later\"}");
	r = migrec_load(fd, &out);
	CHECK(r == -EINVAL && strstr(err_msg(), "later"), "an unknown phase is named: %s", err_msg());
	migrec_remove(fd);
	CHECK(migrec_load(fd, &out) == -ENOENT, "removed");
	close(fd);
	rmdir(dir);
}

static void link_lines(void)
{
	int a[2], b[2], r;
	struct peer src, dst;
	struct json_object *o = NULL, *msg = json_object_new_object();
	const char *op;

	pipe(a);
	pipe(b);
	peer_init_fds(&src, b[0], a[1], "the destination");
	peer_init_fds(&dst, a[0], b[1], "the source");
	json_object_object_add(msg, "port", json_object_new_int(4242));
	CHECK(peer_send(&dst, "ready", msg) == 0, "send");
	r = peer_expect(&src, 1000, "ready", &o);
	CHECK(r == 0 && json_object_get_int(json_object_object_get(o, "port")) == 4242, "an object with its op");
	json_object_put(o);
	err_set(-EEXIST, "a VM named 'x' already exists at the destination");
	peer_send_error(&dst);
	r = peer_expect(&src, 1000, "ready", &o);
	CHECK(r == -EIO && !strcmp(err_msg(), "a VM named 'x' already exists at the destination"),
	      "the other side's error comes through as its message: %s", err_msg());
	CHECK(peer_send(&dst, "ok", NULL) == 0 && peer_expect(&src, 1000, "ready", &o) == -EPROTO,
	      "an unexpected op is refused: %s", err_msg());
	write(b[1], "{\"port\": 1}\n[1]\n", 16);
	CHECK(peer_recv(&src, 1000, &o, &op) == -EPROTO, "a message without op: %s", err_msg());
	CHECK(peer_recv(&src, 1000, &o, &op) < 0, "a message that is not an object: %s", err_msg());
	CHECK(peer_recv(&src, 50, &o, &op) == -ETIMEDOUT, "silence times out");
	close(b[1]);
	dst.out = -1;
	CHECK(peer_recv(&src, 1000, &o, &op) == -ECONNRESET, "the end of the stream: %s", err_msg());
	close(a[0]);
	dst.in = -1;
	CHECK(peer_send(&src, "commit", NULL) == -EPIPE, "writing to a side that is gone is an error, not SIGPIPE");
	peer_close(&src, 0);
	peer_close(&dst, 0);
}

int main(void)
{
	record();
	link_lines();
	T_DONE();
}
