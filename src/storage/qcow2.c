/* SPDX-License-Identifier: MIT */
/* The parts of a qcow2 header that name other files (see qcow2.h). */
#include "storage/qcow2.h"

#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/err.h"

#define QCOW2_MAGIC	   "QFI\xfb"
#define EXT_END		   0x00000000u
#define EXT_BACKING_FORMAT 0xe2792acau
#define EXT_DATA_FILE	   0x44415441u
#define INCOMPAT_DATA_FILE (1ull << 2)
#define HEADER_V2_LENGTH   72
#define HEADER_MAX_READ	   65536 /* extensions live in the first cluster; 64 KiB covers the default */

static uint32_t be32(const unsigned char *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return be32toh(v);
}

static uint64_t be64(const unsigned char *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return be64toh(v);
}

int qcow2_is(int fd)
{
	unsigned char magic[4];

	return pread(fd, magic, 4, 0) == 4 && !memcmp(magic, QCOW2_MAGIC, 4);
}

/* Copy a name of len bytes at off in the file, refusing NULs and
 * over-long names (QEMU refuses them too). */
static int read_name(int fd, uint64_t off, uint32_t len, char *out, size_t n, const char *path, const char *what)
{
	if (len > QCOW2_NAME_MAX || len >= n)
		return err_set(-EINVAL, "%s: qcow2 %s name is too long (%u bytes)", path, what, len);
	if (off > (uint64_t)INT64_MAX - len || pread(fd, out, len, (off_t)off) != (ssize_t)len)
		return err_set(-EINVAL, "%s: truncated qcow2 image (the %s name lies past its end)", path, what);
	if (memchr(out, '\0', len))
		return err_set(-EINVAL, "%s: qcow2 %s name contains a NUL byte", path, what);
	out[len] = '\0';
	return 0;
}

static int read_extensions(const unsigned char *h, size_t have, size_t pos, struct qcow2_meta *m, const char *path)
{
	for (;;) {
		if (pos + 8 > have)
			return err_set(-EINVAL, "%s: truncated qcow2 header extensions", path);
		uint32_t type = be32(h + pos), len = be32(h + pos + 4);
		pos += 8;
		if (type == EXT_END)
			return 0;
		if (len > have - pos)
			return err_set(-EINVAL, "%s: qcow2 header extension 0x%08x runs past the header", path, type);
		if (type == EXT_BACKING_FORMAT || type == EXT_DATA_FILE) {
			char *dst = type == EXT_BACKING_FORMAT ? m->backing_format : m->data_file;
			size_t room = type == EXT_BACKING_FORMAT ? sizeof(m->backing_format) : sizeof(m->data_file);
			if (len >= room || memchr(h + pos, '\0', len))
				return err_set(-EINVAL, "%s: bad qcow2 %s extension", path,
					       type == EXT_BACKING_FORMAT ? "backing format" : "data file");
			memcpy(dst, h + pos, len);
			dst[len] = '\0';
		}
		pos += (len + 7u) & ~7u; /* data is padded to 8 bytes */
	}
}

int qcow2_read_meta(int fd, const char *path, struct qcow2_meta *m)
{
	unsigned char h[HEADER_MAX_READ];
	ssize_t got;
	size_t hlen;
	uint64_t boff, incompat = 0;
	uint32_t bsize, cluster_bits;
	int r;

	memset(m, 0, sizeof(*m));
	got = pread(fd, h, sizeof(h), 0);
	if (got < 0)
		return err_errno(-errno, "cannot read %s", path);
	if (got < 4 || memcmp(h, QCOW2_MAGIC, 4))
		return err_set(-EINVAL, "%s is not a qcow2 image", path);
	if (got < HEADER_V2_LENGTH)
		return err_set(-EINVAL, "%s: truncated qcow2 image (%zd bytes)", path, got);
	m->version = be32(h + 4);
	boff = be64(h + 8);
	bsize = be32(h + 16);
	cluster_bits = be32(h + 20);
	m->size = be64(h + 24);
	m->encrypted = be32(h + 32) != 0;
	if (m->version != 2 && m->version != 3)
		return err_set(-EINVAL, "%s: unsupported qcow2 version %u", path, m->version);
	if (cluster_bits < 9 || cluster_bits > 21)
		return err_set(-EINVAL, "%s: invalid qcow2 cluster size (2^%u)", path, cluster_bits);
	hlen = HEADER_V2_LENGTH;
	if (m->version == 3) {
		if (got < 104)
			return err_set(-EINVAL, "%s: truncated qcow2 image (%zd bytes)", path, got);
		incompat = be64(h + 72);
		hlen = be32(h + 100);
		if (hlen < 104 || hlen % 8 || hlen > (size_t)got)
			return err_set(-EINVAL, "%s: invalid qcow2 header length %zu", path, hlen);
	}
	m->external_data = (incompat & INCOMPAT_DATA_FILE) != 0;
	/* extensions end before the first cluster ends (and before the backing name when that is in it) */
	size_t have = (size_t)got < ((size_t)1 << cluster_bits) ? (size_t)got : ((size_t)1 << cluster_bits);
	if (boff && boff < have && boff > hlen)
		have = (size_t)boff;
	if ((r = read_extensions(h, have, hlen, m, path)) < 0)
		return r;
	if (boff && bsize && (r = read_name(fd, boff, bsize, m->backing, sizeof(m->backing), path, "backing file")) < 0)
		return r;
	if (m->external_data && !m->data_file[0])
		return err_set(-EINVAL, "%s: qcow2 image needs an external data file but names none", path);
	return 0;
}
