// SPDX-License-Identifier: MIT
/*
 * ISO 9660 (ECMA-119, 4th edition) with the Joliet extension (Microsoft's
 * "Joliet CD-ROM Recording Specification", 1995): a supplementary volume
 * descriptor whose directory tree names files in UCS-2 big-endian.
 *
 * Layout of the volume (sectors of 2048 bytes):
 *   0-15  system area (zero)
 *   16    primary volume descriptor (ECMA-119 8.4)
 *   17    supplementary volume descriptor, Joliet level 3 (8.5)
 *   18    volume descriptor set terminator (8.3)
 *   19,20 primary path table, type L then type M (9.4)
 *   21,22 Joliet path table, type L then type M
 *   23..  primary root directory, then the Joliet root directory (9.1)
 *   ..    file data, each file starting on a sector
 * Every numeric field that ECMA-119 records "both-byte orders" (7.2.3,
 * 7.3.3) is written little-endian then big-endian.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest/iso9660.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"

#define SECTOR_PVD	 16
#define SECTOR_SVD	 17
#define SECTOR_TERM	 18
#define SECTOR_PT	 19 /* four path-table sectors: primary L, M, Joliet L, M */
#define SECTOR_ROOT	 23
#define PATH_TABLE_SIZE	 10 /* the root's record: 8 bytes + 1-byte identifier + 1 pad */
#define DIR_RECORD_FIXED 33 /* a directory record without its identifier (9.1) */
#define SIZE_MAX_BYTES	 (256u << 20)

/* One file's two identifiers and where its data lives. */
struct entry {
	const struct iso9660_file *f;
	char iso[40]; /* primary identifier: "NAME.EXT;1" in d-characters */
	uint32_t extent;
};

static void put16_le(uint8_t *p, uint16_t v)
{
	p[0] = v & 0xff;
	p[1] = v >> 8;
}
static void put16_be(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}
static void put32_le(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (v >> (8 * i)) & 0xff;
}
static void put32_be(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (v >> (8 * (3 - i))) & 0xff;
}
/* 7.2.3 and 7.3.3: both-byte orders */
static void put16_both(uint8_t *p, uint16_t v)
{
	put16_le(p, v);
	put16_be(p + 2, v);
}
static void put32_both(uint8_t *p, uint32_t v)
{
	put32_le(p, v);
	put32_be(p + 4, v);
}

/* a-/d-character fields are padded with spaces (7.4) */
static void put_text(uint8_t *p, size_t field, const char *s)
{
	size_t n = strlen(s);

	memset(p, ' ', field);
	memcpy(p, s, n < field ? n : field);
}
/* Joliet fields hold UCS-2 big-endian, padded with UCS-2 spaces. */
static void put_ucs2(uint8_t *p, size_t field, const char *s)
{
	for (size_t i = 0; i + 1 < field; i += 2) {
		p[i] = 0;
		p[i + 1] = *s ? (uint8_t)*s++ : ' ';
	}
	if (field % 2)
		p[field - 1] = 0;
}

/* 8.4.26.1: "YYYYMMDDHHMMSScc" and an offset from GMT in 15-minute units */
static void put_date17(uint8_t *p, const struct tm *t)
{
	char s[80]; /* wide enough for any int, so the compiler sees no truncation */

	snprintf(s, sizeof(s), "%04d%02d%02d%02d%02d%02d00", t->tm_year + 1900, t->tm_mon + 1, t->tm_mday, t->tm_hour,
		 t->tm_min, t->tm_sec);
	memcpy(p, s, 16);
	p[16] = 0;
}
/* 9.1.5: years since 1900, month, day, hour, minute, second, GMT offset */
static void put_date7(uint8_t *p, const struct tm *t)
{
	p[0] = (uint8_t)t->tm_year;
	p[1] = (uint8_t)(t->tm_mon + 1);
	p[2] = (uint8_t)t->tm_mday;
	p[3] = (uint8_t)t->tm_hour;
	p[4] = (uint8_t)t->tm_min;
	p[5] = (uint8_t)t->tm_sec;
	p[6] = 0;
}

static int check_label(const char *label)
{
	size_t n = label ? strlen(label) : 0;

	if (n == 0 || n > ISO9660_LABEL_MAX)
		return err_set(-EINVAL, "ISO 9660 volume label must have 1 to %d characters", ISO9660_LABEL_MAX);
	for (const char *p = label; *p; p++)
		if (!(*p >= 'A' && *p <= 'Z') && !(*p >= 'a' && *p <= 'z') && !(*p >= '0' && *p <= '9') && *p != '_')
			return err_set(-EINVAL, "ISO 9660 volume label '%s': use only letters, digits and '_'", label);
	return 0;
}

static int check_name(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n > ISO9660_NAME_MAX)
		return err_set(-EINVAL, "ISO 9660 file name must have 1 to %d characters", ISO9660_NAME_MAX);
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return err_set(-EINVAL, "'%s' is not a valid ISO 9660 file name", name);
	for (const char *p = name; *p; p++)
		if (!(*p >= 'A' && *p <= 'Z') && !(*p >= 'a' && *p <= 'z') && !(*p >= '0' && *p <= '9') &&
		    !strchr("._-", *p))
			return err_set(-EINVAL, "ISO 9660 file name '%s': use only letters, digits, '.', '_' and '-'",
				       name);
	return 0;
}

static char d_char(char c)
{
	if (c >= 'a' && c <= 'z')
		return (char)(c - 'a' + 'A');
	if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return c;
	return '_';
}

/* The primary tree's identifier (7.5.1, interchange level 2): upper-case
 * d-characters, the last '.' separating the extension, at most 30
 * characters besides the '.', then ";1". */
static void iso_name(const char *name, char out[40])
{
	const char *dot = strrchr(name, '.');
	size_t base = dot ? (size_t)(dot - name) : strlen(name);
	size_t ext = dot ? strlen(dot + 1) : 0, o = 0;

	if (ext > 30)
		ext = 30;
	if (base + ext > 30)
		base = 30 - ext;
	for (size_t i = 0; i < base; i++)
		out[o++] = d_char(name[i]);
	out[o++] = '.';
	for (size_t i = 0; i < ext; i++)
		out[o++] = d_char(dot[1 + i]);
	memcpy(out + o, ";1", 3);
}

/* 9.3: records are ordered by name, then extension, the shorter padded
 * with spaces. */
static int iso_name_cmp(const char *a, const char *b)
{
	size_t al = strcspn(a, "."), bl = strcspn(b, ".");

	for (size_t i = 0; i < al || i < bl; i++) {
		int ca = i < al ? (unsigned char)a[i] : ' ', cb = i < bl ? (unsigned char)b[i] : ' ';
		if (ca != cb)
			return ca - cb;
	}
	a += al + 1;
	b += bl + 1;
	al = strcspn(a, ";");
	bl = strcspn(b, ";");
	for (size_t i = 0; i < al || i < bl; i++) {
		int ca = i < al ? (unsigned char)a[i] : ' ', cb = i < bl ? (unsigned char)b[i] : ' ';
		if (ca != cb)
			return ca - cb;
	}
	return 0;
}

static int cmp_primary(const void *a, const void *b)
{
	return iso_name_cmp(((const struct entry *)a)->iso, ((const struct entry *)b)->iso);
}
static int cmp_joliet(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->f->name, ((const struct entry *)b)->f->name);
}

static size_t record_len(size_t id_len)
{
	return DIR_RECORD_FIXED + id_len + (id_len % 2 == 0); /* 9.1.12: pad to an even length */
}

/* Sectors a directory needs: records never cross a sector (6.8.1.1). */
static uint32_t dir_sectors(const struct entry *e, size_t n, bool joliet)
{
	size_t used = 2 * record_len(1), sectors = 1;

	for (size_t i = 0; i < n; i++) {
		size_t r = record_len(joliet ? 2 * strlen(e[i].f->name) : strlen(e[i].iso));
		if (used + r > ISO9660_SECTOR) {
			sectors++;
			used = 0;
		}
		used += r;
	}
	return (uint32_t)sectors;
}

static size_t put_record(uint8_t *p, uint32_t extent, uint32_t len, bool dir, const uint8_t *id, size_t id_len,
			 const struct tm *t)
{
	size_t r = record_len(id_len);

	p[0] = (uint8_t)r;
	p[1] = 0; /* no extended attribute record */
	put32_both(p + 2, extent);
	put32_both(p + 10, len);
	put_date7(p + 18, t);
	p[25] = dir ? 0x02 : 0x00;
	put16_both(p + 28, 1); /* volume sequence number */
	p[32] = (uint8_t)id_len;
	memcpy(p + 33, id, id_len);
	return r;
}

/* Directory records of the root: ".", "..", then the files in order. */
static void put_root(uint8_t *p, uint32_t extent, uint32_t sectors, struct entry *e, size_t n, bool joliet,
		     const struct tm *t)
{
	const uint8_t self = 0, parent = 1;
	uint32_t len = sectors * ISO9660_SECTOR;
	size_t used = 0, sector = 0;
	uint8_t id[2 * ISO9660_NAME_MAX];

	used += put_record(p, extent, len, true, &self, 1, t);
	used += put_record(p + used, extent, len, true, &parent, 1, t);
	qsort(e, n, sizeof(*e), joliet ? cmp_joliet : cmp_primary);
	for (size_t i = 0; i < n; i++) {
		size_t id_len;
		if (joliet) {
			id_len = 2 * strlen(e[i].f->name);
			put_ucs2(id, id_len, e[i].f->name);
		} else {
			id_len = strlen(e[i].iso);
			memcpy(id, e[i].iso, id_len);
		}
		if (used + record_len(id_len) > ISO9660_SECTOR) {
			sector++;
			used = 0;
		}
		used += put_record(p + sector * ISO9660_SECTOR + used, e[i].extent, (uint32_t)e[i].f->len, false, id,
				   id_len, t);
	}
}

/* 9.4: one record, the root's, in the L (little-endian) and M tables */
static void put_path_tables(uint8_t *l, uint8_t *m, uint32_t root)
{
	l[0] = m[0] = 1;
	put32_le(l + 2, root);
	put32_be(m + 2, root);
	put16_le(l + 6, 1);
	put16_be(m + 6, 1);
}

/* 8.4 (primary) and 8.5 (supplementary) share a layout; Joliet writes
 * its identifiers in UCS-2 and announces itself by escape sequences. */
static void put_descriptor(uint8_t *p, bool joliet, const char *label, uint32_t volume_sectors, uint32_t pt_l,
			   uint32_t root, uint32_t root_sectors, const struct tm *t)
{
	const uint8_t self = 0;
	void (*text)(uint8_t *, size_t, const char *) = joliet ? put_ucs2 : put_text;
	char upper[ISO9660_LABEL_MAX + 1];

	p[0] = joliet ? 2 : 1;
	memcpy(p + 1, "CD001", 5);
	p[6] = 1;
	text(p + 8, 32, "LINUX");	    /* system identifier */
	text(p + 40, 32, label);	    /* volume identifier */
	put32_both(p + 80, volume_sectors); /* volume space size */
	if (joliet)			    /* Joliet level 3 (UCS-2 level 3) */
		memcpy(p + 88, "%/E", 3);
	put16_both(p + 120, 1);		     /* volume set size */
	put16_both(p + 124, 1);		     /* volume sequence number */
	put16_both(p + 128, ISO9660_SECTOR); /* logical block size */
	put32_both(p + 132, PATH_TABLE_SIZE);
	put32_le(p + 140, pt_l);     /* type L path table */
	put32_be(p + 148, pt_l + 1); /* type M path table */
	put_record(p + 156, root, root_sectors * ISO9660_SECTOR, true, &self, 1, t);
	snprintf(upper, sizeof(upper), "%s", label);
	for (char *c = upper; *c; c++)
		*c = d_char(*c);
	text(p + 190, 128, upper);		 /* volume set identifier */
	text(p + 318, 128, "");			 /* publisher */
	text(p + 446, 128, "");			 /* data preparer */
	text(p + 574, 128, "HV");		 /* application */
	text(p + 702, 37, "");			 /* copyright file */
	text(p + 739, 37, "");			 /* abstract file */
	text(p + 776, 37, "");			 /* bibliographic file */
	put_date17(p + 813, t);			 /* creation */
	put_date17(p + 830, t);			 /* modification */
	memcpy(p + 847, "0000000000000000", 16); /* expiration: none (8.4.26.1) */
	memcpy(p + 864, "0000000000000000", 16); /* effective: at once */
	p[881] = 1;				 /* file structure version */
}

int iso9660_build(const char *label, const struct iso9660_file *files, size_t n, time_t mtime, void **out,
		  size_t *out_len)
{
	_cleanup_free_ struct entry *e = NULL;
	_cleanup_free_ uint8_t *img = NULL;
	uint32_t root_p, root_j, sectors_p, sectors_j, next;
	uint64_t total;
	struct tm t;
	int r;

	if ((r = check_label(label)) < 0)
		return r;
	if (n > ISO9660_FILES_MAX)
		return err_set(-EINVAL, "too many files for one ISO 9660 directory (at most %d)", ISO9660_FILES_MAX);
	if (!gmtime_r(&mtime, &t) || t.tm_year < 0 || t.tm_year > 255)
		return err_set(-EINVAL, "ISO 9660 dates cover the years 1900 to 2155");
	e = calloc(n ? n : 1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if ((r = check_name(files[i].name)) < 0)
			return r;
		if (files[i].len > UINT32_MAX || (files[i].len && !files[i].data))
			return err_set(-EFBIG, "ISO 9660 file '%s' is too large", files[i].name);
		e[i].f = &files[i];
		iso_name(files[i].name, e[i].iso);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(e[j].iso, e[i].iso))
				return err_set(-EEXIST, "files '%s' and '%s' have the same ISO 9660 name %s",
					       e[j].f->name, e[i].f->name, e[i].iso);
	}

	sectors_p = dir_sectors(e, n, false);
	sectors_j = dir_sectors(e, n, true);
	root_p = SECTOR_ROOT;
	root_j = root_p + sectors_p;
	next = root_j + sectors_j;
	total = next;
	for (size_t i = 0; i < n; i++) {
		uint64_t s = (e[i].f->len + ISO9660_SECTOR - 1) / ISO9660_SECTOR;
		/* an empty file has no extent; point it at the terminator, as
		 * mkisofs-style writers point it somewhere harmless */
		e[i].extent = s ? (uint32_t)total : SECTOR_TERM;
		total += s;
		if (total * ISO9660_SECTOR > SIZE_MAX_BYTES)
			return err_set(-EFBIG, "an ISO 9660 seed is limited to %u MiB", SIZE_MAX_BYTES >> 20);
	}

	img = calloc(total, ISO9660_SECTOR);
	if (!img)
		return -ENOMEM;
	put_descriptor(img + SECTOR_PVD * ISO9660_SECTOR, false, label, (uint32_t)total, SECTOR_PT, root_p, sectors_p,
		       &t);
	put_descriptor(img + SECTOR_SVD * ISO9660_SECTOR, true, label, (uint32_t)total, SECTOR_PT + 2, root_j,
		       sectors_j, &t);
	img[SECTOR_TERM * ISO9660_SECTOR] = 255; /* 8.3: set terminator */
	memcpy(img + SECTOR_TERM * ISO9660_SECTOR + 1, "CD001\1", 6);
	for (int i = 0; i < 4; i += 2)
		put_path_tables(img + (SECTOR_PT + i) * ISO9660_SECTOR, img + (SECTOR_PT + i + 1) * ISO9660_SECTOR,
				i ? root_j : root_p);
	for (size_t i = 0; i < n; i++)
		if (e[i].f->len)
			memcpy(img + (size_t)e[i].extent * ISO9660_SECTOR, e[i].f->data, e[i].f->len);
	put_root(img + (size_t)root_p * ISO9660_SECTOR, root_p, sectors_p, e, n, false, &t);
	put_root(img + (size_t)root_j * ISO9660_SECTOR, root_j, sectors_j, e, n, true, &t);

	*out = TAKE_PTR(img);
	*out_len = total * ISO9660_SECTOR;
	return 0;
}

int iso9660_write_at(int dirfd, const char *name, mode_t mode, const char *label, const struct iso9660_file *files,
		     size_t n)
{
	_cleanup_free_ void *img = NULL;
	size_t len;
	int r;

	if ((r = iso9660_build(label, files, n, time(NULL), &img, &len)) < 0)
		return r;
	return fs_write_atomic(dirfd, name, img, len, mode);
}
