/* SPDX-License-Identifier: MIT */
/* guest/iso9660: volumes read back by independent readers (genisoimage's
 * isoinfo, xorriso, libblkid), byte for byte, in both name trees. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest/iso9660.h"
#include "t.h"
#include "t_run.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"

static char dir[] = "/tmp/hv-iso9660-XXXXXX";

static const char meta[] = "instance-id: \"0b0c\"\nlocal-hostname: \"web\"\n";
static const char user[] = "#cloud-config\nusers: []\n";
static const char net[] = "version: 2\n";

static void test_seed(void)
{
	static char big[5000 + 2 * ISO9660_SECTOR];
	struct iso9660_file files[] = {
		{ "user-data", user, sizeof(user) - 1 },    { "meta-data", meta, sizeof(meta) - 1 },
		{ "network-config", net, sizeof(net) - 1 }, { "empty", "", 0 },
		{ "big.file.bin", big, sizeof(big) },	    { "Mixed_Case.TXT", "x", 1 },
	};
	_cleanup_free_ char *iso = NULL, *d = NULL, *l = NULL, *x = NULL, *blk = NULL, *xl = NULL;
	struct stat st;

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 7 + i / 2048);
	if (asprintf(&iso, "%s/seed.iso", dir) < 0)
		abort();
	err_clear();
	CHECK(iso9660_write_at(AT_FDCWD, iso, 0644, "cidata", files, ARRAY_SIZE(files)) == 0, "write: %s", err_msg());
	CHECK(stat(iso, &st) == 0 && st.st_size % ISO9660_SECTOR == 0 && (st.st_mode & 0777) == 0644,
	      "size %lld mode %o", (long long)st.st_size, st.st_mode & 0777);

	d = t_run("isoinfo -d -i %s", iso);
	CHECK(d && strstr(d, "Volume id: cidata\n"), "isoinfo -d: %s", d ? d : "(failed)");
	CHECK(d && strstr(d, "Joliet with UCS level 3 found"), "no Joliet: %s", d ? d : "");
	CHECK(d && strstr(d, "Logical block size is: 2048\n"), "block size");
	CHECK(d && strstr(d, "Volume size is: ") && atoll(strstr(d, "Volume size is: ") + 16) * 2048 == st.st_size,
	      "volume size field disagrees with the file size");

	l = t_run("isoinfo -J -l -i %s", iso);
	CHECK(l && strstr(l, " meta-data") && strstr(l, " user-data") && strstr(l, " network-config") &&
		  strstr(l, " Mixed_Case.TXT") && strstr(l, " big.file.bin"),
	      "isoinfo -J -l: %s", l ? l : "(failed)");
	/* the primary tree, as a reader without Joliet sees it */
	xl = t_run("isoinfo -l -i %s", iso);
	CHECK(xl && strstr(xl, " META_DATA.;1") && strstr(xl, " NETWORK_CONFIG.;1") && strstr(xl, " BIG_FILE.BIN;1"),
	      "isoinfo -l: %s", xl ? xl : "(failed)");

	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		_cleanup_free_ char *out = NULL;
		if (asprintf(&out, "%s/out", dir) < 0)
			abort();
		free(x);
		x = t_run("isoinfo -J -x /%s -i %s > %s && echo ok", files[i].name, iso, out);
		CHECK(x && t_file_is(out, files[i].data, files[i].len), "isoinfo -J -x /%s differs", files[i].name);
	}
	free(x);
	x = t_run("isoinfo -x '/USER_DATA.;1' -i %s > %s/out && echo ok", iso, dir);
	{
		_cleanup_free_ char *out = NULL;
		if (asprintf(&out, "%s/out", dir) < 0)
			abort();
		CHECK(x && t_file_is(out, user, sizeof(user) - 1), "primary tree USER_DATA.;1 differs");
	}

	/* xorriso (libisofs) reads the Joliet tree too and extracts it */
	free(x);
	x = t_run("xorriso -indev %s -ls / 2>&1", iso);
	CHECK(x && strstr(x, "'meta-data'") && strstr(x, "'network-config'") && strstr(x, "'empty'"), "xorriso -ls: %s",
	      x ? x : "(failed)");
	CHECK(x && !strstr(x, "WARNING") && !strstr(x, "FAILURE"), "xorriso complains: %s", x ? x : "");
	free(x);
	x = t_run("xorriso -osirrox on -indev %s -extract / %s/x 2>&1", iso, dir);
	CHECK(x != NULL, "xorriso -extract failed");
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		_cleanup_free_ char *out = NULL;
		if (asprintf(&out, "%s/x/%s", dir, files[i].name) < 0)
			abort();
		CHECK(t_file_is(out, files[i].data, files[i].len), "xorriso extracted %s differs", files[i].name);
	}

	/* what cloud-init's ds-identify and blkid in the guest look for */
	blk = t_run("blkid -p -o value -s LABEL -s TYPE %s", iso);
	CHECK(blk && !strcmp(blk, "cidata\niso9660\n"), "blkid: '%s'", blk ? blk : "(failed)");
}

/* A directory larger than a sector: records never cross a sector. */
static void test_many_files(void)
{
	struct iso9660_file files[120];
	char names[120][ISO9660_NAME_MAX + 1], data[120][24];
	_cleanup_free_ char *iso = NULL, *x = NULL;
	int bad = 0;

	for (int i = 0; i < 120; i++) {
		snprintf(names[i], sizeof(names[i]), "file-%03d-with-a-rather-long-name-to-fill-sectors", i);
		snprintf(data[i], sizeof(data[i]), "content %d\n", i);
		files[i] = (struct iso9660_file){ names[i], data[i], strlen(data[i]) };
	}
	if (asprintf(&iso, "%s/many.iso", dir) < 0)
		abort();
	err_clear();
	CHECK(iso9660_write_at(AT_FDCWD, iso, 0644, "MANY", files, 120) == 0, "write: %s", err_msg());
	x = t_run("xorriso -osirrox on -indev %s -extract / %s/many 2>&1", iso, dir);
	CHECK(x != NULL, "xorriso -extract of a multi-sector directory failed");
	for (int i = 0; i < 120; i++) {
		_cleanup_free_ char *out = NULL;
		if (asprintf(&out, "%s/many/%s", dir, names[i]) < 0)
			abort();
		bad += !t_file_is(out, data[i], strlen(data[i]));
	}
	CHECK(bad == 0, "%d of 120 files differ", bad);
	free(x);
	x = t_run("isoinfo -l -i %s | grep -c ';1'", iso);
	CHECK(x && atoi(x) == 120, "primary tree lists %s files", x ? x : "?");
}

static void test_refused(void)
{
	struct iso9660_file f = { "ok", "x", 1 };
	char longname[ISO9660_NAME_MAX + 2];
	void *img = NULL;
	size_t len;
	const char *bad_names[] = { "", ".", "..", "a/b", "sp ace", "caf\xc3\xa9", "semi;1", "nl\n" };

	for (size_t i = 0; i < ARRAY_SIZE(bad_names); i++) {
		f.name = bad_names[i];
		err_clear();
		CHECK(iso9660_build("cidata", &f, 1, 0, &img, &len) == -EINVAL && strstr(err_msg(), "file name"),
		      "name '%s' accepted (%s)", bad_names[i], err_msg());
	}
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = 0;
	f.name = longname;
	CHECK(iso9660_build("cidata", &f, 1, 0, &img, &len) == -EINVAL, "65-character name accepted");
	longname[ISO9660_NAME_MAX] = 0;
	CHECK(iso9660_build("cidata", &f, 1, 0, &img, &len) == 0, "64-character name refused: %s", err_msg());
	free(img);
	img = NULL;

	f.name = "ok";
	CHECK(iso9660_build("", &f, 1, 0, &img, &len) == -EINVAL, "empty label accepted");
	CHECK(iso9660_build("a-label", &f, 1, 0, &img, &len) == -EINVAL, "label with '-' accepted");
	CHECK(iso9660_build("seventeen_chars_x", &f, 1, 0, &img, &len) == -EINVAL, "17-character label accepted");

	struct iso9660_file twins[] = { { "a-b", "1", 1 }, { "a_b", "2", 1 } };
	err_clear();
	CHECK(iso9660_build("cidata", twins, 2, 0, &img, &len) == -EEXIST && strstr(err_msg(), "A_B.;1"),
	      "same primary name not refused: %s", err_msg());
	CHECK(img == NULL, "output set on failure");
}

/* The same input and date give the same bytes (seeds can be compared). */
static void test_reproducible(void)
{
	struct iso9660_file f[] = { { "meta-data", meta, sizeof(meta) - 1 }, { "user-data", user, sizeof(user) - 1 } };
	void *a = NULL, *b = NULL;
	size_t al = 0, bl = 0;

	CHECK(iso9660_build("cidata", f, 2, 1700000000, &a, &al) == 0, "build a");
	CHECK(iso9660_build("cidata", f, 2, 1700000000, &b, &bl) == 0, "build b");
	CHECK(a && b && al == bl && !memcmp(a, b, al), "two builds differ");
	/* the PVD's creation date is the given time, in UTC */
	CHECK(a && al > 16 * 2048 + 830 && !memcmp((char *)a + 16 * 2048 + 813, "2023111422132000", 16),
	      "creation date");
	free(a);
	free(b);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	test_seed();
	test_many_files();
	test_refused();
	test_reproducible();
	fs_rm_rf_at(AT_FDCWD, dir);
	T_DONE();
}
