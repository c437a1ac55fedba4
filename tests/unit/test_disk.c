/* Unit tests: disk/ (layout for 2 GiB .. 16 TiB and 512 / 4096-byte
 * sectors, GPT build and parse, identity matching, finding the root disk
 * and a recorded disk in a fake sysfs, writing an image to a file). */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/err.h"
#include "disk/disk.h"
#include "verify/artifact.h"

#define MiB (1ull << 20)
#define GiB (1ull << 30)
#define TiB (1ull << 40)

static const struct disk_extent img_esp = {1 * MiB, 128 * MiB};
static const struct disk_extent img_state = {129 * MiB, 512 * MiB};

/* --- layout ---------------------------------------------------------------- */

static void check_layout(uint64_t size, uint32_t sector)
{
	struct disk_layout l;
	const struct disk_extent *d;

	assert_int_equal(disk_layout_compute(size, sector, &img_esp, &img_state, &l), 0);
	d = &l.part[DISK_PART_DATA];
	assert_int_equal(l.sectors * sector, size);
	assert_int_equal(l.backup_header, l.sectors - 1);
	assert_int_equal(l.entry_sectors * sector, 128 * 128);
	assert_int_equal(l.first_usable, 2 + l.entry_sectors);
	assert_int_equal(l.last_usable, l.sectors - 2 - l.entry_sectors);
	assert_int_equal(l.part[DISK_PART_ESP].start, img_esp.start);
	assert_int_equal(l.part[DISK_PART_STATE].start, img_state.start);
	assert_int_equal(d->start, 641 * MiB);
	assert_int_equal(d->start % MiB, 0);
	assert_int_equal((d->start + d->size) % MiB, 0);
	/* data ends before the backup GPT, and less than 1 MiB + the backup
	 * area is left unused at the end */
	assert_true((d->start + d->size) / sector - 1 <= l.last_usable);
	assert_true(size - (d->start + d->size) < MiB + (uint64_t)(l.entry_sectors + 1) * sector);
}

static void test_layout_sizes(void **state)
{
	static const uint64_t sizes[] = {2 * GiB,	   2 * GiB + 4096, 10 * GiB,
					 10 * GiB + 12288, 1 * TiB + 8192, 16 * TiB};
	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		check_layout(sizes[i], 512);
		check_layout(sizes[i], 4096);
	}
	/* an odd number of 512-byte sectors is fine with 512 */
	check_layout(3 * GiB + 512, 512);
}

static void test_layout_refuses(void **state)
{
	struct disk_layout l;
	struct disk_extent bad = {1 * MiB + 4096, 128 * MiB};

	(void)state;
	assert_int_equal(disk_layout_compute(2 * GiB - 4096, 512, &img_esp, &img_state, &l),
			 -BR_EDISK);
	assert_int_equal(disk_layout_compute(16 * TiB + 4096, 4096, &img_esp, &img_state, &l),
			 -BR_EDISK);
	assert_int_equal(disk_layout_compute(4 * GiB, 1024, &img_esp, &img_state, &l), -BR_EDISK);
	assert_int_equal(disk_layout_compute(4 * GiB + 512, 4096, &img_esp, &img_state, &l),
			 -BR_EDISK);
	assert_int_equal(disk_layout_compute(4 * GiB, 512, &bad, &img_state, &l), -BR_EDISK);
	assert_int_equal(disk_layout_compute(4 * GiB, 512, &img_state, &img_esp, &l), -BR_EDISK);
	assert_non_null(strstr(br_errdetail(), "overlap"));
}

/* --- GPT ------------------------------------------------------------------- */

static void roundtrip(uint64_t size, uint32_t sector)
{
	static uint8_t head[MiB];
	uint8_t tail[5 * 4096], guid[16], guids[DISK_NPARTS][16], boot[440];
	struct disk_layout l;
	struct disk_extent ext[DISK_NPARTS];
	static struct disk_gpt g;
	size_t tl = ((size_t)(128 * 128 / sector) + 1) * sector;

	memset(guid, 0x11, sizeof(guid));
	memset(guids, 0x22, sizeof(guids));
	memset(boot, 0xeb, sizeof(boot));
	assert_int_equal(disk_layout_compute(size, sector, &img_esp, &img_state, &l), 0);
	assert_int_equal(disk_gpt_build(&l, boot, guid, (const uint8_t(*)[16])guids, head,
					sizeof(head), tail, tl),
			 0);
	assert_memory_equal(head, boot, 440);
	assert_int_equal(head[450], 0xee);
	assert_int_equal(head[510], 0x55);
	assert_int_equal(disk_gpt_parse(head, sizeof(head), sector, &g), 0);
	assert_int_equal(g.n_used, 3);
	assert_int_equal(g.alt_lba, l.sectors - 1);
	assert_int_equal(g.part[0].attrs, 4); /* legacy BIOS bootable */
	assert_string_equal(g.part[2].name, "bootrino-data");
	assert_int_equal(disk_gpt_extents(&g, sector, 1, ext), 0);
	assert_memory_equal(ext, l.part, sizeof(ext));
	/* the backup header names the primary and its own entry array */
	assert_memory_equal(tail + tl - sector, "EFI PART", 8);
	/* a flipped bit in the entries: CRC mismatch */
	head[2 * sector + 200] ^= 1;
	assert_int_equal(disk_gpt_parse(head, sizeof(head), sector, &g), -BR_EMALFORMED);
	assert_non_null(strstr(br_errdetail(), "CRC"));
	/* the same bytes read with the wrong sector size: no header */
	head[2 * sector + 200] ^= 1;
	assert_int_equal(disk_gpt_parse(head, sizeof(head), sector == 512 ? 4096 : 512, &g),
			 -BR_EMALFORMED);
}

static void test_gpt_roundtrip(void **state)
{
	(void)state;
	roundtrip(2 * GiB, 512);
	roundtrip(16 * TiB, 512);
	roundtrip(2 * GiB, 4096);
	roundtrip(16 * TiB, 4096);
}

static void test_crc32(void **state)
{
	(void)state;
	assert_int_equal(disk_crc32("123456789", 9), 0xcbf43926u);
}

/* --- identity -------------------------------------------------------------- */

static void test_identity_match(void **state)
{
	struct disk_identity r, c;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.size = 10 * GiB;
	strcpy(r.ptuuid, "0a1b2c3d-0000-4000-8000-000000000001");
	strcpy(r.serial, "vol0123");
	strcpy(r.name, "vda");
	strcpy(r.by_path, "pci-0000:00:04.0");
	c = r;
	/* names and paths change after kexec: never compared */
	strcpy(c.name, "sda");
	strcpy(c.by_path, "pci-0000:00:05.0");
	assert_true(disk_identity_match(&r, &c));
	c.size += 512;
	assert_false(disk_identity_match(&r, &c));
	c = r;
	c.ptuuid[0] = 'f';
	assert_false(disk_identity_match(&r, &c));
	c = r;
	strcpy(c.serial, "vol0124");
	assert_false(disk_identity_match(&r, &c));
	/* a serial the host saw must still be there */
	c = r;
	c.serial[0] = '\0';
	assert_false(disk_identity_match(&r, &c));
	/* the candidate may have identifiers the record lacks */
	c = r;
	strcpy(c.nguid, "0123");
	assert_true(disk_identity_match(&r, &c));
	strcpy(r.nguid, "0124");
	assert_false(disk_identity_match(&r, &c));
}

/* A fake /sys + /dev: disks with size, serial and a device link; device
 * files holding their partition tables. */
static char root[64];
static const uint8_t gpt_sig[8] = {'E', 'F', 'I', ' ', 'P', 'A', 'R', 'T'};

static void wfile(const char *rel, const void *data, size_t len)
{
	char p[512], *s;
	int fd;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	for (s = p + strlen(root) + 1; (s = strchr(s, '/')) != NULL; s++) {
		*s = '\0';
		mkdir(p, 0755);
		*s = '/';
	}
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static void wstr(const char *rel, const char *s)
{
	wfile(rel, s, strlen(s));
}

static void fake_disk(const char *name, const char *serial, uint64_t size, uint8_t guid_byte)
{
	char rel[256], v[32];
	uint8_t dev[4096];

	memset(dev, 0, sizeof(dev));
	memcpy(dev + 512, gpt_sig, sizeof(gpt_sig));
	memset(dev + 512 + 56, guid_byte, 16);
	snprintf(rel, sizeof(rel), "sys/devices/pci0000:00/0000:00:0%c.0/block/%s/size",
		 name[2] == 'a' ? '4' : '5', name);
	snprintf(v, sizeof(v), "%llu\n", (unsigned long long)(size / 512));
	wstr(rel, v);
	snprintf(rel, sizeof(rel), "sys/devices/pci0000:00/0000:00:0%c.0/block/%s/serial",
		 name[2] == 'a' ? '4' : '5', name);
	if (serial)
		wstr(rel, serial);
	snprintf(rel, sizeof(rel), "sys/devices/pci0000:00/0000:00:0%c.0/block/%s/device/vendor",
		 name[2] == 'a' ? '4' : '5', name);
	wstr(rel, "0x1af4\n");
	snprintf(rel, sizeof(rel), "dev/%s", name);
	wfile(rel, dev, sizeof(dev));
	{
		char target[512], link[512];

		snprintf(link, sizeof(link), "%s/sys/class", root);
		mkdir(link, 0755);
		snprintf(link, sizeof(link), "%s/sys/class/block", root);
		mkdir(link, 0755);
		snprintf(target, sizeof(target), "../../devices/pci0000:00/0000:00:0%c.0/block/%s",
			 name[2] == 'a' ? '4' : '5', name);
		snprintf(link, sizeof(link), "%s/sys/class/block/%s", root, name);
		assert_int_equal(symlink(target, link), 0);
	}
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static int setup_root(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "/tmp/bootrino-test-disk.XXXXXX");
	return mkdtemp(root) ? 0 : -1;
}

static int teardown_root(void **state)
{
	(void)state;
	return nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void env_of(struct disk_env *e, char *sys, char *dev, size_t cap)
{
	snprintf(sys, cap, "%s/sys", root);
	snprintf(dev, cap, "%s/dev", root);
	e->mountinfo = NULL;
	e->sysfs = sys;
	e->devdir = dev;
}

static void test_find(void **state)
{
	struct disk_identity r, vdb;
	struct disk_env e;
	char sys[128], dev[128], name[DISK_NAME_MAX], desc[512];

	(void)state;
	env_of(&e, sys, dev, sizeof(sys));
	fake_disk("vda", "root-serial\n", 10 * GiB, 0xaa);
	fake_disk("vdb", NULL, 10 * GiB, 0xbb);
	assert_int_equal(disk_identity_read(&e, "vda", &r), 0);
	assert_string_equal(r.serial, "root-serial");
	assert_int_equal(r.size, 10 * GiB);
	assert_int_equal(r.sector, 512);
	assert_string_equal(r.ptuuid, "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa");
	assert_string_equal(r.by_path, "pci-0000:00:04.0");
	disk_identity_format(&r, desc, sizeof(desc));
	assert_non_null(strstr(desc, "serial=root-serial"));
	assert_int_equal(disk_identity_read(&e, "vdb", &vdb), 0);
	assert_string_equal(vdb.serial, "");

	assert_int_equal(disk_find(&e, &r, name, sizeof(name)), 0);
	assert_string_equal(name, "vda");
	/* renamed after kexec (vda → sda: a different driver): still found */
	strcpy(r.name, "sda");
	assert_int_equal(disk_find(&e, &r, name, sizeof(name)), 0);
	assert_string_equal(name, "vda");
	/* no match: -BR_EDISK, one line naming the recorded disk */
	r.size += 512;
	assert_int_equal(disk_find(&e, &r, name, sizeof(name)), -BR_EDISK);
	assert_non_null(strstr(br_errdetail(), "no disk matches"));
	/* two matches (clones without serials): nothing chosen */
	fake_disk("vdc", NULL, 10 * GiB, 0xbb);
	assert_int_equal(disk_find(&e, &vdb, name, sizeof(name)), -BR_EDISK);
	assert_non_null(strstr(br_errdetail(), "2 disks"));
}

/* NVMe: the serial is the controller's (device/serial), the namespace
 * has wwid, eui and nguid; after kexec the same namespace may be
 * nvme1n1. Two namespaces of one controller share the serial: the
 * namespace identifiers tell them apart. */
static void test_find_nvme(void **state)
{
	struct disk_identity r;
	struct disk_env e;
	char sys[128], dev[128], name[DISK_NAME_MAX];
	uint8_t blk[4096];
	static const char *const ns[] = {"nvme1n1", "nvme1n2"};

	(void)state;
	env_of(&e, sys, dev, sizeof(sys));
	memset(blk, 0, sizeof(blk));
	memcpy(blk + 512, gpt_sig, sizeof(gpt_sig));
	for (int i = 0; i < 2; i++) {
		char rel[256], v[64], target[256], link[256];
		const char *base = "sys/devices/pci0000:00/0000:00:06.0/nvme/nvme1";

		snprintf(rel, sizeof(rel), "%s/%s/size", base, ns[i]);
		wstr(rel, "20971520\n");
		snprintf(rel, sizeof(rel), "%s/%s/device/serial", base, ns[i]);
		wstr(rel, "  nvme-ctrl-serial  \n");
		snprintf(rel, sizeof(rel), "%s/%s/wwid", base, ns[i]);
		snprintf(v, sizeof(v), "eui.00000000000000%02x\n", i);
		wstr(rel, v);
		snprintf(rel, sizeof(rel), "%s/%s/eui", base, ns[i]);
		snprintf(v, sizeof(v), "00 00 00 00 00 00 00 %02x\n", i);
		wstr(rel, v);
		snprintf(rel, sizeof(rel), "%s/%s/nguid", base, ns[i]);
		wstr(rel, "00000000-0000-0000-0000-000000000000\n");
		snprintf(rel, sizeof(rel), "dev/%s", ns[i]);
		blk[512 + 56] = 0x11; /* the same table id (cloned) */
		wfile(rel, blk, sizeof(blk));
		snprintf(link, sizeof(link), "%s/sys/class", root);
		mkdir(link, 0755);
		snprintf(link, sizeof(link), "%s/sys/class/block", root);
		mkdir(link, 0755);
		snprintf(target, sizeof(target),
			 "../../devices/pci0000:00/0000:00:06.0/nvme/nvme1/%s", ns[i]);
		snprintf(link, sizeof(link), "%s/sys/class/block/%s", root, ns[i]);
		assert_int_equal(symlink(target, link), 0);
	}
	assert_int_equal(disk_identity_read(&e, "nvme1n2", &r), 0);
	assert_string_equal(r.serial, "nvme-ctrl-serial");
	assert_string_equal(r.wwid, "eui.0000000000000001");
	assert_string_equal(r.eui, "00 00 00 00 00 00 00 01");
	assert_int_equal(r.size, 10 * GiB);
	assert_string_equal(r.by_path, "pci-0000:00:06.0");
	/* recorded as nvme0n2 on the host */
	strcpy(r.name, "nvme0n2");
	assert_int_equal(disk_find(&e, &r, name, sizeof(name)), 0);
	assert_string_equal(name, "nvme1n2");
	/* without the namespace ids, the serial and table id alone match both */
	r.wwid[0] = r.eui[0] = r.nguid[0] = '\0';
	assert_int_equal(disk_find(&e, &r, name, sizeof(name)), -BR_EDISK);
	assert_non_null(strstr(br_errdetail(), "2 disks"));
}

static void test_root_find(void **state)
{
	struct disk_env e;
	char sys[128], dev[128], name[DISK_NAME_MAX], p[512], mi[512];

	(void)state;
	env_of(&e, sys, dev, sizeof(sys));
	fake_disk("vda", NULL, 10 * GiB, 0xaa);
	/* vda1 holds /: the whole disk is its parent in sysfs */
	wstr("sys/devices/pci0000:00/0000:00:04.0/block/vda/vda1/partition", "1\n");
	wstr("sys/devices/pci0000:00/0000:00:04.0/block/vda/vda1/size", "100\n");
	mkdir((snprintf(p, sizeof(p), "%s/sys/dev", root), p), 0755);
	mkdir((snprintf(p, sizeof(p), "%s/sys/dev/block", root), p), 0755);
	snprintf(p, sizeof(p), "%s/sys/dev/block/254:1", root);
	assert_int_equal(symlink("../../devices/pci0000:00/0000:00:04.0/block/vda/vda1", p), 0);
	wstr("mountinfo", "22 1 0:21 / /proc rw - proc proc rw\n"
			  "29 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw\n"
			  "30 29 0:25 / /run rw - tmpfs tmpfs rw\n");
	snprintf(mi, sizeof(mi), "%s/mountinfo", root);
	e.mountinfo = mi;
	assert_int_equal(disk_root_find(&e, name, sizeof(name)), 0);
	assert_string_equal(name, "vda");
	/* the partition's own name is never what we return */
	wstr("mountinfo", "29 1 0:99 / / rw - overlay overlay rw\n");
	assert_int_equal(disk_root_find(&e, name, sizeof(name)), -BR_EDISK);
	wstr("mountinfo", "22 1 0:21 / /proc rw - proc proc rw\n");
	assert_int_equal(disk_root_find(&e, name, sizeof(name)), -BR_EDISK);
	assert_non_null(strstr(br_errdetail(), "nothing mounted on /"));
}

/* --- writing --------------------------------------------------------------- */

/* A small boot-disk image: ESP at 1 MiB (2 MiB), state at 3 MiB (2 MiB),
 * image size 6 MiB; patterned ESP and state with a zero run inside. */
#define IMG_SIZE (6 * MiB)

/* A 512-byte-sector GPT frame for a small test image of size bytes
 * (partitions left to the caller). */
static void small_gpt_layout(struct disk_layout *l, uint64_t size)
{
	memset(l, 0, sizeof(*l));
	l->sector = 512;
	l->sectors = size / 512;
	l->entry_sectors = 32;
	l->first_usable = 34;
	l->backup_header = l->sectors - 1;
	l->backup_entries = l->backup_header - 32;
	l->last_usable = l->backup_entries - 1;
}
static void make_image(const char *path, struct verify_artifact **out, size_t truncate_to)
{
	static uint8_t head[MiB];
	uint8_t tail[33 * 512], guid[16] = {1}, guids[DISK_NPARTS][16] = {{2}, {3}, {4}};
	uint8_t boot[440] = "BOOTCODE";
	struct disk_layout l;
	uint8_t *img = calloc(1, IMG_SIZE), digest[32];
	int fd;

	assert_non_null(img);
	small_gpt_layout(&l, IMG_SIZE);
	l.part[DISK_PART_ESP] = (struct disk_extent){1 * MiB, 2 * MiB};
	l.part[DISK_PART_STATE] = (struct disk_extent){3 * MiB, 2 * MiB};
	l.part[DISK_PART_DATA] = (struct disk_extent){5 * MiB, 512ull * 1024};
	assert_int_equal(disk_gpt_build(&l, boot, guid, (const uint8_t(*)[16])guids, head,
					sizeof(head), tail, sizeof(tail)),
			 0);
	memcpy(img, head, MiB);
	memcpy(img + IMG_SIZE - sizeof(tail), tail, sizeof(tail));
	memset(img + 1 * MiB, 0xe5, MiB); /* ESP: 1 MiB data, then 1 MiB zeros */
	memset(img + 3 * MiB + 4096, 0x5a, 4096);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, img, truncate_to ? truncate_to : IMG_SIZE),
			 (ssize_t)(truncate_to ? truncate_to : IMG_SIZE));
	close(fd);
	free(img);
	assert_int_equal(verify_sha256_file(path, digest), 0);
	assert_int_equal(verify_artifact_open(path, digest, out), 0);
}

static void test_write_image(void **state)
{
	char img[256], dsk[256];
	struct verify_artifact *a;
	struct disk_write_report rep;
	struct disk_write_opts o = {.no_rereadpt = 1};
	static uint8_t buf[MiB];
	static struct disk_gpt g;
	struct disk_extent ext[DISK_NPARTS];
	uint64_t data;
	int fd;

	(void)state;
	snprintf(img, sizeof(img), "%s/boot.img", root);
	snprintf(dsk, sizeof(dsk), "%s/disk", root);
	make_image(img, &a, 0);
	fd = open(dsk, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)(3 * GiB)), 0);
	/* old contents where the ESP's zero run goes: must read back as zeros */
	memset(buf, 0x77, MiB);
	assert_int_equal(pwrite(fd, buf, MiB, 2 * MiB), (ssize_t)MiB);
	assert_int_equal(disk_write_image(a, fd, "disk", &o, &rep), 0);
	assert_int_equal(rep.updated, 0);
	assert_int_equal(rep.image_bytes, IMG_SIZE);
	assert_true(rep.zeroed >= MiB);
	assert_string_equal(rep.step, "done");
	assert_int_equal(pread(fd, buf, MiB, 0), (ssize_t)MiB);
	assert_memory_equal(buf, "BOOTCODE", 8);
	assert_int_equal(disk_gpt_parse(buf, MiB, 512, &g), 0);
	assert_int_equal(g.alt_lba, 3 * GiB / 512 - 1);
	assert_int_equal(disk_gpt_extents(&g, 512, 1, ext), 0);
	assert_int_equal(ext[DISK_PART_DATA].start, 5 * MiB);
	assert_int_equal(ext[DISK_PART_DATA].start + ext[DISK_PART_DATA].size, 3 * GiB - MiB);
	assert_int_equal(pread(fd, buf, MiB, 2 * MiB), (ssize_t)MiB);
	assert_int_equal(buf[0], 0);
	assert_int_equal(buf[MiB - 1], 0);
	assert_int_equal(pread(fd, buf, 8192, 3 * MiB), 8192);
	assert_int_equal(buf[4096], 0x5a);

	/* the target writes to bootrino-data; a later install keeps it */
	data = ext[DISK_PART_DATA].start;
	assert_int_equal(pwrite(fd, "boots=7", 7, (off_t)data), 7);
	assert_int_equal(disk_write_image(a, fd, "disk", &o, &rep), 0);
	assert_int_equal(rep.updated, 1);
	assert_int_equal(pread(fd, buf, 7, (off_t)data), 7);
	assert_memory_equal(buf, "boots=7", 7);
	assert_int_equal(pread(fd, buf, MiB, 0), (ssize_t)MiB);
	assert_int_equal(disk_gpt_parse(buf, MiB, 512, &g), 0);
	verify_artifact_close(a);
	close(fd);
}

/* A truncated image (published broken, pinned as is): nothing at all is
 * written (the whole stream is read before the first write). */
static void test_write_truncated(void **state)
{
	char img[256], dsk[256];
	struct verify_artifact *a;
	struct disk_write_report rep;
	struct disk_write_opts o = {.no_rereadpt = 1};
	static uint8_t buf[MiB];
	int fd;

	(void)state;
	snprintf(img, sizeof(img), "%s/short.img", root);
	snprintf(dsk, sizeof(dsk), "%s/disk2", root);
	make_image(img, &a, 3 * MiB + 512);
	fd = open(dsk, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)(3 * GiB)), 0);
	memset(buf, 0x77, 4096);
	assert_int_equal(pwrite(fd, buf, 4096, 0), 4096);
	assert_int_equal(pwrite(fd, buf, 4096, (off_t)(1 * MiB)), 4096);
	assert_int_equal(disk_write_image(a, fd, "disk2", &o, &rep), -BR_EMALFORMED);
	assert_non_null(strstr(br_errdetail(), "ends at byte"));
	assert_string_equal(rep.step, "validate");
	assert_int_equal(rep.written + rep.zeroed, 0);
	assert_int_equal(pread(fd, buf, 4096, 0), 4096);
	assert_int_equal(buf[0], 0x77);
	assert_int_equal(buf[4095], 0x77);
	/* the ESP's place, which comes before the cut in the stream */
	assert_int_equal(pread(fd, buf, 4096, (off_t)(1 * MiB)), 4096);
	assert_int_equal(buf[0], 0x77);
	verify_artifact_close(a);
	close(fd);
}

/* 4096-byte sectors: the GPT goes at byte 4096, not 512 */
static void test_write_4k(void **state)
{
	char img[256], dsk[256];
	struct verify_artifact *a;
	struct disk_write_report rep;
	struct disk_write_opts o = {.no_rereadpt = 1, .sector = 4096};
	static uint8_t buf[MiB];
	static struct disk_gpt g;
	int fd;

	(void)state;
	snprintf(img, sizeof(img), "%s/boot4k.img", root);
	snprintf(dsk, sizeof(dsk), "%s/disk4k", root);
	make_image(img, &a, 0);
	fd = open(dsk, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)(4 * GiB)), 0);
	assert_int_equal(disk_write_image(a, fd, "disk4k", &o, &rep), 0);
	assert_int_equal(pread(fd, buf, MiB, 0), (ssize_t)MiB);
	assert_int_equal(disk_gpt_parse(buf, MiB, 4096, &g), 0);
	assert_int_equal(g.alt_lba, 4 * GiB / 4096 - 1);
	assert_int_equal(g.first_usable, 6);
	verify_artifact_close(a);
	close(fd);
}

/* Longer data runs than one write (4 MiB chunks), zero blocks between
 * them, a region that ends inside a chunk: every byte of the ESP and the
 * state reads back as the image has it, and every data byte written was
 * read back. With and without O_DIRECT (the path for a file system that
 * refuses it: written out and dropped from the cache before the read).
 * esp_mib 70: more data than the writer may hold (48 MiB at most) before
 * the image is known whole, so the check's own stream opens the gate;
 * cut (bytes): the image published truncated there. */
static void write_big(int no_direct, uint64_t esp_mib, size_t cut)
{
	static uint8_t head[MiB], got[MiB];
	uint8_t tail[33 * 512], guid[16] = {1}, guids[DISK_NPARTS][16] = {{2}, {3}, {4}};
	uint8_t boot[440] = "BOOTCODE", digest[32];
	struct disk_layout l;
	struct disk_write_report rep;
	struct disk_write_opts o = {.no_rereadpt = 1, .no_direct = no_direct};
	struct verify_artifact *a;
	const uint64_t size = (esp_mib + 9) * MiB, state = (1 + esp_mib) * MiB;
	uint8_t *img = calloc(1, size);
	char ip[256], dp[256];
	int fd;

	assert_non_null(img);
	small_gpt_layout(&l, size);
	l.part[DISK_PART_ESP] = (struct disk_extent){1 * MiB, esp_mib * MiB};
	l.part[DISK_PART_STATE] = (struct disk_extent){state, 6 * MiB};
	l.part[DISK_PART_DATA] = (struct disk_extent){state + 6 * MiB, 512ull * 1024};
	assert_int_equal(disk_gpt_build(&l, boot, guid, (const uint8_t(*)[16])guids, head,
					sizeof(head), tail, sizeof(tail)),
			 0);
	memcpy(img, head, MiB);
	memcpy(img + size - sizeof(tail), tail, sizeof(tail));
	/* data in every MiB of the partitions but 7, 11 and the state's
	 * second; the last byte of each 512 differs, so a block written at
	 * the wrong place does not read back the same */
	for (uint64_t b = 1; b < state / MiB + 6; b++)
		if (b != 7 && b != 11 && b != state / MiB + 1)
			for (uint64_t i = 0; i < MiB; i += 512)
				img[b * MiB + i + 511] = (uint8_t)(b * 31 + i / 512 + 1);
	snprintf(ip, sizeof(ip), "%s/big%d.img", root, no_direct);
	snprintf(dp, sizeof(dp), "%s/bigdisk%d", root, no_direct);
	fd = open(ip, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, img, cut ? cut : size), (ssize_t)(cut ? cut : size));
	close(fd);
	assert_int_equal(verify_sha256_file(ip, digest), 0);
	assert_int_equal(verify_artifact_open(ip, digest, &a), 0);
	fd = open(dp, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)(3 * GiB)), 0);
	/* old bytes under the zero blocks, and at the ESP's start */
	memset(got, 0x77, MiB);
	assert_int_equal(pwrite(fd, got, MiB, 1 * MiB), (ssize_t)MiB);
	assert_int_equal(pwrite(fd, got, MiB, 11 * MiB), (ssize_t)MiB);
	assert_int_equal(pwrite(fd, got, MiB, (off_t)state + MiB), (ssize_t)MiB);
	if (cut) {
		assert_int_equal(disk_write_image(a, fd, "bigdisk", &o, &rep), -BR_EMALFORMED);
		assert_string_equal(rep.step, "validate");
		assert_int_equal(rep.written + rep.zeroed, 0);
		assert_int_equal(pread(fd, got, MiB, 1 * MiB), (ssize_t)MiB);
		assert_int_equal(got[0], 0x77);
		assert_int_equal(got[MiB - 1], 0x77);
		goto out;
	}
	assert_int_equal(disk_write_image(a, fd, "bigdisk", &o, &rep), 0);
	assert_string_equal(rep.step, "done");
	assert_int_equal(rep.zeroed, 3 * MiB + MiB); /* + bootrino-data's first MiB */
	assert_int_equal(rep.written, (esp_mib + 3) * MiB + MiB + sizeof(tail));
	assert_int_equal(rep.verified, rep.written);
	for (uint64_t b = 1; b < state / MiB + 6; b++) {
		assert_int_equal(pread(fd, got, MiB, (off_t)(b * MiB)), (ssize_t)MiB);
		assert_memory_equal(got, img + b * MiB, MiB);
	}
out:
	verify_artifact_close(a);
	close(fd);
	unlink(ip);
	unlink(dp);
	free(img);
}

static void test_write_chunks(void **state)
{
	(void)state;
	write_big(0, 11, 0);
}

static void test_write_no_direct(void **state)
{
	(void)state;
	write_big(1, 11, 0);
}

/* more data than the writer holds: the check's stream opens the gate */
static void test_write_held(void **state)
{
	(void)state;
	write_big(0, 70, 0);
}

/* the same, truncated past what the writer holds: nothing written */
static void test_write_held_truncated(void **state)
{
	(void)state;
	write_big(0, 70, 60 * MiB + 512);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_layout_sizes),
	    cmocka_unit_test(test_layout_refuses),
	    cmocka_unit_test(test_gpt_roundtrip),
	    cmocka_unit_test(test_crc32),
	    cmocka_unit_test(test_identity_match),
	    cmocka_unit_test_setup_teardown(test_find, setup_root, teardown_root),
	    cmocka_unit_test_setup_teardown(test_find_nvme, setup_root, teardown_root),
	    cmocka_unit_test_setup_teardown(test_root_find, setup_root, teardown_root),
	    cmocka_unit_test_setup_teardown(test_write_image, setup_root, teardown_root),
	    cmocka_unit_test_setup_teardown(test_write_truncated, setup_root, teardown_root),
	    cmocka_unit_test_setup_teardown(test_write_4k, setup_root, teardown_root),
	    cmocka_unit_test_setup_teardown(test_write_chunks, setup_root, teardown_root),
	    cmocka_unit_test_setup_teardown(test_write_no_direct, setup_root, teardown_root),
	    cmocka_unit_test_setup_teardown(test_write_held, setup_root, teardown_root),
	    cmocka_unit_test_setup_teardown(test_write_held_truncated, setup_root, teardown_root),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
