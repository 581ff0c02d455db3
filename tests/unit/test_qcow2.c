/* SPDX-License-Identifier: MIT */
/* storage/qcow2: reading what a qcow2 header names, from images qemu-img
 * made and from hostile, truncated or inconsistent headers. */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/resource.h>
#include <unistd.h>

#include "storage/image.h"
#include "storage/qcow2.h"
#include "t.h"
#include "util/err.h"

static char dir[] = "/tmp/hv-qcow2-XXXXXX";

static void put32(unsigned char *p, uint32_t v)
{
	v = htobe32(v);
	memcpy(p, &v, 4);
}
static void put64(unsigned char *p, uint64_t v)
{
	v = htobe64(v);
	memcpy(p, &v, 8);
}

/* A minimal v3 header (104 bytes) with room for extensions after it. */
static void header(unsigned char *h, size_t n)
{
	memset(h, 0, n);
	memcpy(h, "QFI\xfb", 4);
	put32(h + 4, 3);
	put32(h + 20, 16); /* 64 KiB clusters */
	put64(h + 24, 1 << 20);
	put32(h + 96, 4);
	put32(h + 100, 104);
}

static int write_file(const char *name, const void *data, size_t n, char *path, size_t plen)
{
	snprintf(path, plen, "%s/%s", dir, name);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, data, n) != (ssize_t)n)
		return -1;
	return fd;
}

/* Parse bytes; returns the result and leaves the message in err. */
static int parse(const char *name, const unsigned char *h, size_t n, struct qcow2_meta *m)
{
	char path[256];
	int fd = write_file(name, h, n, path, sizeof(path)), r;

	if (fd < 0)
		return -999;
	err_clear();
	r = qcow2_read_meta(fd, path, m);
	close(fd);
	return r;
}

static void test_crafted(void)
{
	unsigned char h[4096];
	struct qcow2_meta m;

	header(h, sizeof(h));
	/* backing file name at 512, backing format extension */
	put64(h + 8, 512);
	put32(h + 16, 11);
	memcpy(h + 512, "/etc/shadow", 11);
	put32(h + 104, 0xe2792aca);
	put32(h + 108, 3);
	memcpy(h + 112, "raw", 3);
	CHECK(parse("ok", h, sizeof(h), &m) == 0, "crafted ok: %s", err_msg());
	CHECK_STR(m.backing, "/etc/shadow", "backing");
	CHECK_STR(m.backing_format, "raw", "backing format");
	CHECK(m.version == 3 && m.size == 1 << 20 && !m.data_file[0], "version, size");

	/* the backing name runs past the end of the file */
	CHECK(parse("trunc-name", h, 515, &m) == -EINVAL && strstr(err_msg(), "truncated"), "%s", err_msg());
	/* a file cut inside the header */
	CHECK(parse("trunc-hdr", h, 60, &m) == -EINVAL && strstr(err_msg(), "truncated qcow2 image"), "%s", err_msg());
	CHECK(parse("trunc-v3", h, 90, &m) == -EINVAL && strstr(err_msg(), "truncated"), "%s", err_msg());
	/* an over-long backing name */
	put32(h + 16, 5000);
	CHECK(parse("long-name", h, sizeof(h), &m) == -EINVAL && strstr(err_msg(), "too long"), "%s", err_msg());
	put32(h + 16, 11);
	/* a NUL inside the name */
	h[515] = '\0';
	CHECK(parse("nul-name", h, sizeof(h), &m) == -EINVAL && strstr(err_msg(), "NUL"), "%s", err_msg());
	h[515] = 'c';
	/* an extension whose length runs past the header */
	put32(h + 108, 0xfffffff0);
	CHECK(parse("ext-len", h, sizeof(h), &m) == -EINVAL && strstr(err_msg(), "runs past"), "%s", err_msg());
	put32(h + 108, 3);
	/* no end marker before the file ends: extensions walk off the data */
	unsigned char e[200];
	header(e, sizeof(e));
	for (size_t off = 104; off + 8 <= sizeof(e); off += 8)
		put32(e + off, 0x12345678);
	CHECK(parse("ext-noend", e, sizeof(e), &m) == -EINVAL, "extensions without an end: %s", err_msg());
	/* bad header length, version, cluster size */
	put32(h + 100, 7);
	CHECK(parse("hlen", h, sizeof(h), &m) == -EINVAL && strstr(err_msg(), "header length"), "%s", err_msg());
	put32(h + 100, 104);
	put32(h + 4, 9);
	CHECK(parse("version", h, sizeof(h), &m) == -EINVAL && strstr(err_msg(), "version"), "%s", err_msg());
	put32(h + 4, 3);
	put32(h + 20, 40);
	CHECK(parse("cluster", h, sizeof(h), &m) == -EINVAL && strstr(err_msg(), "cluster"), "%s", err_msg());
	put32(h + 20, 16);
	/* an external data file: the feature bit without the name is refused */
	put64(h + 72, 1 << 2);
	CHECK(parse("data-noname", h, sizeof(h), &m) == -EINVAL && strstr(err_msg(), "external data"), "%s", err_msg());
	put32(h + 112 + 8, 0x44415441);
	put32(h + 112 + 12, 10);
	memcpy(h + 112 + 16, "/etc/hosts", 10);
	CHECK(parse("data", h, sizeof(h), &m) == 0 && !strcmp(m.data_file, "/etc/hosts") && m.external_data,
	      "data file named: %s", err_msg());
	/* not qcow2 at all */
	CHECK(parse("raw", (const unsigned char *)"hello world", 11, &m) == -EINVAL &&
		  strstr(err_msg(), "is not a qcow2 image"),
	      "%s", err_msg());
}

/* image_adopt on what a guest can write into a raw disk. */
static void test_adopt(void)
{
	unsigned char h[1024];
	char path[256], fmt[8];
	int fd;

	header(h, sizeof(h));
	put64(h + 8, 512);
	put32(h + 16, 11);
	memcpy(h + 512, "/etc/shadow", 11);
	put32(h + 104, 0xe2792aca);
	put32(h + 108, 3);
	memcpy(h + 112, "raw", 3);
	fd = write_file("evil.img", h, sizeof(h), path, sizeof(path));
	close(fd);
	CHECK(image_adopt(path, NULL, fmt, sizeof(fmt)) == -EPERM && strstr(err_msg(), "/etc/shadow") &&
		  strstr(err_msg(), "format=qcow2"),
	      "a guessed qcow2 naming a backing file is refused: %s", err_msg());
	CHECK(image_adopt(path, "raw", fmt, sizeof(fmt)) == 0 && !strcmp(fmt, "raw"), "stated raw stays raw");
	CHECK(image_adopt(path, "vmdk", fmt, sizeof(fmt)) == -EINVAL, "unknown stated format");
	CHECK(image_verify(path, "raw", NULL) == 0, "a recorded raw disk passes whatever its bytes");
	CHECK(image_verify(path, "qcow2", "") == -EPERM && strstr(err_msg(), "/etc/shadow"),
	      "an hv-made disk whose backing changed is refused: %s", err_msg());
	CHECK(image_verify(path, "qcow2", "/etc/shadow") == 0, "the recorded backing passes");
	/* no backing format recorded: QEMU would guess it */
	put32(h + 104, 0);
	fd = write_file("nofmt.img", h, sizeof(h), path, sizeof(path));
	close(fd);
	CHECK(image_adopt(path, "qcow2", fmt, sizeof(fmt)) == -EINVAL && strstr(err_msg(), "without its format"), "%s",
	      err_msg());
	/* a plain raw file and a stated qcow2 that is not one */
	fd = write_file("plain.img", "data", 4, path, sizeof(path));
	close(fd);
	CHECK(image_adopt(path, NULL, fmt, sizeof(fmt)) == 0 && !strcmp(fmt, "raw"), "raw guessed");
	CHECK(image_adopt(path, "qcow2", fmt, sizeof(fmt)) == -EINVAL && strstr(err_msg(), "not a qcow2"), "%s",
	      err_msg());
	CHECK(image_adopt("/dev/null", NULL, fmt, sizeof(fmt)) == -EINVAL, "a character device is refused");
}

/* Images qemu-img made, read back. */
static void test_qemu_img(void)
{
	char base[256], ovl[256], fmt[8];
	struct qcow2_meta m;
	int fd, r;

	snprintf(base, sizeof(base), "%s/base.qcow2", dir);
	snprintf(ovl, sizeof(ovl), "%s/ovl.qcow2", dir);
	const char *a1[] = { "create", "-q", "-f", "qcow2", base, "1M", NULL };
	const char *a2[] = { "create", "-q", "-f", "qcow2", "-b", base, "-F", "qcow2", ovl, NULL };
	r = qemu_img(a1, NULL);
	CHECK(r == 0, "qemu-img create: %s", err_msg());
	r = qemu_img(a2, NULL);
	CHECK(r == 0, "qemu-img create overlay: %s", err_msg());
	fd = open(ovl, O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0 && qcow2_read_meta(fd, ovl, &m) == 0, "overlay parsed: %s", err_msg());
	CHECK_STR(m.backing, base, "overlay backing");
	CHECK_STR(m.backing_format, "qcow2", "overlay backing format");
	close(fd);
	CHECK(image_adopt(base, NULL, fmt, sizeof(fmt)) == 0 && !strcmp(fmt, "qcow2"), "a self-contained qcow2");
	CHECK(image_adopt(ovl, NULL, fmt, sizeof(fmt)) == -EPERM, "a guessed overlay is refused");
	CHECK(image_adopt(ovl, "qcow2", fmt, sizeof(fmt)) == 0, "a stated overlay is the user's");
	CHECK(image_backing_format(ovl, fmt, sizeof(fmt)) == 0 && !strcmp(fmt, "qcow2"), "backing format");
}

static int count_fds(void)
{
	int n = 0;
	for (int fd = 0; fd < 1024; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			n++;
	return n;
}

/* qemu_img leaked its pipes when the second pipe2() or the open of
 * /dev/null failed: run out of descriptors right there. */
static void test_fd_leak(void)
{
	struct rlimit old, lim;
	const char *args[] = { "--version", NULL };
	int before = count_fds(), r;

	getrlimit(RLIMIT_NOFILE, &old);
	for (int room = 1; room <= 4; room++) {
		/* the limit below which exactly `room` descriptors are free */
		int limit = 0, free_slots = 0;
		while (free_slots < room || fcntl(limit, F_GETFD) >= 0) {
			if (fcntl(limit, F_GETFD) < 0)
				free_slots++;
			if (free_slots == room && fcntl(limit, F_GETFD) < 0) {
				limit++;
				break;
			}
			limit++;
		}
		lim = old;
		lim.rlim_cur = (rlim_t)limit;
		setrlimit(RLIMIT_NOFILE, &lim);
		err_clear();
		r = qemu_img(args, NULL);
		setrlimit(RLIMIT_NOFILE, &old);
		CHECK(r < 0 || room >= 4, "with room for %d fds qemu-img cannot start", room);
		CHECK(count_fds() == before, "room %d: no fd leaked (%d open, %d before): %s", room, count_fds(),
		      before, err_msg());
	}
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	test_crafted();
	test_adopt();
	test_qemu_img();
	test_fd_leak();
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		printf("could not remove %s\n", dir);
	T_DONE();
}
