/* Unit tests: kexec/ (formats, overlay cpio, initrd join, errno mapping,
 * system probes, dry-run reports).
 *
 * Nothing here loads or starts a kernel: every kexec_load() call carries
 * KEXEC_DRY_RUN, and BOOTRINO_KEXEC_NO_LOAD is set as a second guard. */
/* cmocka.h needs these first */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "kexec/internal.h"
#include "kexec/kexec.h"

static char tmpdir[64];

/* --- synthetic images ---------------------------------------------------- */
static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

/* setup_sects 1 (1024 setup bytes) + syssize 64 (1024 payload bytes) */
#define BZ_LEN 2048
static void make_bzimage(uint8_t *b, uint16_t version, uint16_t xlf)
{
	memset(b, 0, BZ_LEN);
	b[0x1f1] = 1;
	put32(b + 0x1f4, 64);
	put16(b + 0x1fe, 0xaa55);
	b[0x202] = 'H';
	b[0x203] = 'd';
	b[0x204] = 'r';
	b[0x205] = 'S';
	put16(b + 0x206, version);
	b[0x211] = 1;
	put16(b + 0x236, xlf);
	put32(b + 0x238, 64);
}

#define MB_LEN 12288
static void make_multiboot(uint8_t *b, size_t off, uint32_t flags, int good_sum)
{
	memset(b, 0, MB_LEN);
	b[0] = 0x7f;
	b[1] = 'E';
	b[2] = 'L';
	b[3] = 'F';
	b[4] = b[5] = b[6] = 1; /* ELFCLASS32, little-endian, version 1 */
	put16(b + 16, 2);	/* ET_EXEC */
	put16(b + 18, 3);	/* EM_386 */
	put32(b + 20, 1);
	put32(b + 24, 0x100000);
	put32(b + 28, 52); /* e_phoff */
	put16(b + 40, 52);
	put16(b + 42, 32); /* e_phentsize */
	put16(b + 44, 1);  /* e_phnum */
	put32(b + off, 0x1badb002u);
	put32(b + off + 4, flags);
	put32(b + off + 8, (uint32_t)(0u - 0x1badb002u - flags) + (good_sum ? 0 : 1));
}

static void write_file(const char *name, const void *data, size_t len, char *path, size_t plen)
{
	FILE *f;

	snprintf(path, plen, "%s/%s", tmpdir, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static struct verify_artifact *artifact(const char *name, const void *data, size_t len)
{
	struct verify_artifact *a = NULL;
	char path[256];

	write_file(name, data, len, path, sizeof(path));
	assert_int_equal(verify_artifact_open_unpinned(path, &a), 0);
	return a;
}

/* --- bzImage -------------------------------------------------------------- */
static void test_bzimage_good(void **state)
{
	uint8_t b[BZ_LEN];
	struct kexec_bzimage bz;

	(void)state;
	make_bzimage(b, 0x020f, 0x03);
	assert_int_equal(kexec_probe_bzimage(b, sizeof(b), sizeof(b), &bz), 0);
	assert_int_equal(bz.version, 0x020f);
	assert_int_equal(bz.setup_bytes, 1024);
	assert_int_equal(bz.payload_bytes, 1024);
	assert_int_equal(bz.cmdline_size, 64);
	assert_true(bz.file_load_ok);
	/* a signed kernel is longer than its header says: still fine */
	assert_int_equal(kexec_probe_bzimage(b, sizeof(b), sizeof(b) + 1500, &bz), 0);
}

static void test_bzimage_bad(void **state)
{
	uint8_t b[BZ_LEN];
	struct kexec_bzimage bz;

	(void)state;
	make_bzimage(b, 0x020f, 0x03);
	b[0x202] = 'X';
	assert_int_equal(kexec_probe_bzimage(b, sizeof(b), sizeof(b), &bz), -BR_EFORMAT);
	assert_non_null(strstr(bz.why, "HdrS"));

	make_bzimage(b, 0x0205, 0);
	assert_int_equal(kexec_probe_bzimage(b, sizeof(b), sizeof(b), &bz), -BR_EFORMAT);
	assert_non_null(strstr(bz.why, "2.05 is too old"));

	make_bzimage(b, 0x020f, 0x03);
	assert_int_equal(kexec_probe_bzimage(b, sizeof(b), 2047, &bz), -BR_EFORMAT);
	assert_non_null(strstr(bz.why, "truncated"));
	/* too short to hold the setup header at all */
	assert_int_equal(kexec_probe_bzimage(b, 0x220, 0x220, &bz), -BR_EFORMAT);

	make_bzimage(b, 0x020f, 0x03);
	put16(b + 0x1fe, 0);
	assert_int_equal(kexec_probe_bzimage(b, sizeof(b), sizeof(b), &bz), -BR_EFORMAT);

	make_bzimage(b, 0x020f, 0x03);
	b[0x211] = 0;
	assert_int_equal(kexec_probe_bzimage(b, sizeof(b), sizeof(b), &bz), -BR_EFORMAT);
	assert_non_null(strstr(bz.why, "zImage"));

	/* an ELF file is named as such */
	{
		static uint8_t elf[MB_LEN];

		make_multiboot(elf, 0x1000, 0x3, 1); /* an ELF… */
		elf[4] = 2;			     /* …64 */
		assert_int_equal(kexec_probe_bzimage(elf, sizeof(elf), sizeof(elf), &bz),
				 -BR_EFORMAT);
	}
	assert_non_null(strstr(bz.why, "ELF64"));
}

static void test_bzimage_file_load_ok(void **state)
{
	uint8_t b[BZ_LEN];
	struct kexec_bzimage bz;

	(void)state;
	make_bzimage(b, 0x020a, 0x03); /* 2.10: no xloadflags yet */
	assert_int_equal(kexec_probe_bzimage(b, sizeof(b), sizeof(b), &bz), 0);
	assert_false(bz.file_load_ok);
	assert_non_null(strstr(bz.why, "older than 2.12"));

	make_bzimage(b, 0x020f, 0x02);
	assert_int_equal(kexec_probe_bzimage(b, sizeof(b), sizeof(b), &bz), 0);
	assert_false(bz.file_load_ok);
	assert_non_null(strstr(bz.why, "XLF_KERNEL_64"));

	make_bzimage(b, 0x020f, 0x01);
	assert_int_equal(kexec_probe_bzimage(b, sizeof(b), sizeof(b), &bz), 0);
	assert_false(bz.file_load_ok);
	assert_non_null(strstr(bz.why, "ABOVE_4G"));
}

/* --- multiboot ------------------------------------------------------------ */
static void test_multiboot(void **state)
{
	static uint8_t b[MB_LEN];
	struct kexec_multiboot mb;

	(void)state;
	make_multiboot(b, 0x1000, 0x3, 1);
	assert_int_equal(kexec_probe_multiboot(b, sizeof(b), sizeof(b), &mb), 0);
	assert_int_equal(mb.offset, 0x1000);
	assert_false(mb.aout_kludge);

	make_multiboot(b, 0x1000, 0x3, 0);
	assert_int_equal(kexec_probe_multiboot(b, sizeof(b), sizeof(b), &mb), -BR_EFORMAT);
	assert_non_null(strstr(mb.why, "bad checksum"));

	/* the last slot inside 8 KiB is found; the first beyond it is not */
	make_multiboot(b, 8192 - 12, 0x3, 1);
	assert_int_equal(kexec_probe_multiboot(b, sizeof(b), sizeof(b), &mb), 0);
	make_multiboot(b, 8192, 0x3, 1);
	assert_int_equal(kexec_probe_multiboot(b, sizeof(b), sizeof(b), &mb), -BR_EFORMAT);
	assert_non_null(strstr(mb.why, "first 8 KiB"));

	/* unaligned headers do not count */
	make_multiboot(b, 0x1002, 0x3, 1);
	assert_int_equal(kexec_probe_multiboot(b, sizeof(b), sizeof(b), &mb), -BR_EFORMAT);

	make_multiboot(b, 0x1000, 0x3 | 0x8, 1);
	assert_int_equal(kexec_probe_multiboot(b, sizeof(b), sizeof(b), &mb), -BR_EFORMAT);

	/* ELF64 only with the a.out kludge */
	make_multiboot(b, 0x1000, 0x3, 1);
	b[4] = 2;
	assert_int_equal(kexec_probe_multiboot(b, sizeof(b), sizeof(b), &mb), -BR_EFORMAT);
	assert_non_null(strstr(mb.why, "ELF64"));

	/* a.out kludge: addresses from the header */
	make_multiboot(b, 0x1000, 0x10003, 1);
	b[0] = 0;		     /* not ELF */
	put32(b + 0x100c, 0x101000); /* header_addr */
	put32(b + 0x1010, 0x100000); /* load_addr */
	put32(b + 0x1014, 0x102000); /* load_end_addr */
	put32(b + 0x1018, 0x103000); /* bss_end_addr */
	put32(b + 0x101c, 0x101020); /* entry_addr */
	assert_int_equal(kexec_probe_multiboot(b, sizeof(b), sizeof(b), &mb), 0);
	assert_true(mb.aout_kludge);
	put32(b + 0x101c, 0x200000); /* entry outside */
	assert_int_equal(kexec_probe_multiboot(b, sizeof(b), sizeof(b), &mb), -BR_EFORMAT);
	assert_non_null(strstr(mb.why, "entry"));

	assert_int_equal(kexec_probe_multiboot(b, 8, 8, &mb), -BR_EFORMAT);
}

static void test_initrd_magic(void **state)
{
	(void)state;
	assert_string_equal(kexec_probe_initrd((const uint8_t *)"070701000", 9), "cpio (newc)");
	assert_string_equal(kexec_probe_initrd((const uint8_t *)"\x1f\x8b\x08", 3), "gzip");
	assert_string_equal(kexec_probe_initrd((const uint8_t *)"\xfd"
								"7zXZ\0\0",
					       7),
			    "xz");
	assert_string_equal(kexec_probe_initrd((const uint8_t *)"\x28\xb5\x2f\xfd", 4), "zstd");
	assert_string_equal(kexec_probe_initrd((const uint8_t *)"\x02\x21\x4c\x18", 4), "lz4");
	assert_string_equal(kexec_probe_initrd((const uint8_t *)"BZh9", 4), "bzip2");
	assert_string_equal(kexec_probe_initrd((const uint8_t *)"\0\0\0\0"
								"070701",
					       10),
			    "cpio (newc)");
	assert_null(kexec_probe_initrd((const uint8_t *)"070707", 6)); /* odc: not unpacked */
	assert_null(kexec_probe_initrd((const uint8_t *)"hello", 5));
	assert_null(kexec_probe_initrd((const uint8_t *)"", 0));
}

/* --- overlay -------------------------------------------------------------- */
struct entry {
	char path[256];
	unsigned mode;
	int type;
	char data[256];
	size_t len;
	char link[256];
};

/* Read a newc archive from fd at off into entries; returns the count. */
static int read_cpio(int fd, off_t off, struct entry *out, int max)
{
	struct archive *a = archive_read_new();
	struct archive_entry *ae;
	static char buf[1 << 16];
	ssize_t n;
	int count = 0;

	n = pread(fd, buf, sizeof(buf), off);
	assert_true(n > 0);
	archive_read_support_format_cpio(a);
	archive_read_support_filter_none(a);
	assert_int_equal(archive_read_open_memory(a, buf, (size_t)n), ARCHIVE_OK);
	while (archive_read_next_header(a, &ae) == ARCHIVE_OK && count < max) {
		struct entry *e = &out[count++];

		assert_int_equal(archive_format(a), ARCHIVE_FORMAT_CPIO_SVR4_NOCRC);
		snprintf(e->path, sizeof(e->path), "%s", archive_entry_pathname(ae));
		e->mode = archive_entry_perm(ae);
		e->type = (int)archive_entry_filetype(ae);
		assert_int_equal(archive_entry_uid(ae), 0);
		assert_int_equal(archive_entry_gid(ae), 0);
		assert_int_equal(archive_entry_mtime(ae), 0);
		if (e->type == AE_IFLNK)
			snprintf(e->link, sizeof(e->link), "%s", archive_entry_symlink(ae));
		e->len = (size_t)archive_read_data(a, e->data, sizeof(e->data) - 1);
		e->data[e->len] = '\0';
	}
	archive_read_free(a);
	return count;
}

static void test_overlay_content(void **state)
{
	struct kexec_overlay *ov;
	struct entry e[16];
	uint64_t size;
	int fd, n;

	(void)state;
	assert_int_equal(kexec_overlay_new(&ov), 0);
	assert_int_equal(kexec_overlay_add(ov, "/etc/bootrino/facts.json", "{\"a\":1}", 7, 0644),
			 0);
	assert_int_equal(kexec_overlay_add(ov, "/usr/bin/hello", "#!/bin/sh\n", 10, 0755), 0);
	assert_int_equal(kexec_overlay_add(ov, "//etc//motd", "hi\n", 3, 0600), 0);
	assert_int_equal(kexec_overlay_add(ov, "/tmp/x", "", 0, 0644), 0);
	/* last one wins */
	assert_int_equal(kexec_overlay_add(ov, "/etc/motd", "hello\n", 6, 0644), 0);
	assert_int_equal(kexec_overlay_count(ov), 9);
	assert_int_equal(kexec_overlay_memfd(ov, &fd, &size), 0);
	assert_int_equal(size % 4, 0);
	assert_int_equal(lseek(fd, 0, SEEK_END), (off_t)size);
	/* sealed and read-only */
	assert_int_equal(write(fd, "x", 1), -1);

	n = read_cpio(fd, 0, e, 16);
	assert_int_equal(n, 9);
	/* sorted, parents first, implied parents 0755 (tmp 1777) */
	assert_string_equal(e[0].path, "etc");
	assert_int_equal(e[0].type, AE_IFDIR);
	assert_int_equal(e[0].mode, 0755);
	assert_string_equal(e[1].path, "etc/bootrino");
	assert_string_equal(e[2].path, "etc/bootrino/facts.json");
	assert_int_equal(e[2].type, AE_IFREG);
	assert_int_equal(e[2].mode, 0644);
	assert_string_equal(e[2].data, "{\"a\":1}");
	assert_string_equal(e[3].path, "etc/motd");
	assert_string_equal(e[3].data, "hello\n");
	assert_string_equal(e[4].path, "tmp");
	assert_int_equal(e[4].mode, 01777);
	assert_string_equal(e[5].path, "tmp/x");
	assert_int_equal(e[5].len, 0);
	assert_string_equal(e[6].path, "usr");
	assert_string_equal(e[7].path, "usr/bin");
	assert_string_equal(e[8].path, "usr/bin/hello");
	assert_int_equal(e[8].mode, 0755);
	close(fd);
	kexec_overlay_free(ov);
}

static void test_overlay_refuses(void **state)
{
	struct kexec_overlay *ov;

	(void)state;
	assert_int_equal(kexec_overlay_new(&ov), 0);
	assert_int_equal(kexec_overlay_add(ov, "../x", "x", 1, 0644), -BR_ECONFIG);
	assert_int_equal(kexec_overlay_add(ov, "relative", "x", 1, 0644), -BR_ECONFIG);
	assert_int_equal(kexec_overlay_add(ov, "/a/../../b", "x", 1, 0644), -BR_ECONFIG);
	assert_int_equal(kexec_overlay_add(ov, "/a/./b", "x", 1, 0644), -BR_ECONFIG);
	assert_int_equal(kexec_overlay_add(ov, "/..", "x", 1, 0644), -BR_ECONFIG);
	assert_int_equal(kexec_overlay_add(ov, "/", "x", 1, 0644), -BR_ECONFIG);
	assert_int_equal(kexec_overlay_add(ov, "", "x", 1, 0644), -BR_ECONFIG);
	assert_non_null(strstr(br_errdetail(), "not an absolute path"));
	assert_int_equal(kexec_overlay_count(ov), 0);
	/* a file cannot also be a directory */
	assert_int_equal(kexec_overlay_add(ov, "/etc/f", "x", 1, 0644), 0);
	assert_int_equal(kexec_overlay_add(ov, "/etc/f/g", "x", 1, 0644), -BR_ECONFIG);
	assert_int_equal(kexec_overlay_add(ov, "/etc", "x", 1, 0644), -BR_ECONFIG);
	/* names that only look like dots are fine */
	assert_int_equal(kexec_overlay_add(ov, "/etc/..x", "x", 1, 0644), 0);
	assert_int_equal(kexec_overlay_add(ov, "/etc/.hidden", "x", 1, 0644), 0);
	kexec_overlay_free(ov);
}

static void test_overlay_dir_deterministic(void **state)
{
	struct kexec_overlay *a, *b;
	char dir[256], path[512];
	struct entry e[16];
	uint64_t sa, sb;
	char ba[4096], bb[4096];
	int fa, fb, n;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/ovdir", tmpdir);
	assert_int_equal(mkdir(dir, 0755), 0);
	snprintf(path, sizeof(path), "%s/etc", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/etc/hostname", dir);
	{
		FILE *f = fopen(path, "w");

		assert_non_null(f);
		fputs("target\n", f);
		fclose(f);
	}
	assert_int_equal(chmod(path, 0640), 0);
	snprintf(path, sizeof(path), "%s/etc/link", dir);
	assert_int_equal(symlink("hostname", path), 0);

	assert_int_equal(kexec_overlay_new(&a), 0);
	assert_int_equal(kexec_overlay_add_dir(a, dir), 0);
	assert_int_equal(kexec_overlay_new(&b), 0);
	assert_int_equal(kexec_overlay_add_dir(b, dir), 0);
	assert_int_equal(kexec_overlay_memfd(a, &fa, &sa), 0);
	assert_int_equal(kexec_overlay_memfd(b, &fb, &sb), 0);
	assert_int_equal(sa, sb);
	assert_true(sa < sizeof(ba));
	assert_int_equal(pread(fa, ba, sa, 0), (ssize_t)sa);
	assert_int_equal(pread(fb, bb, sb, 0), (ssize_t)sb);
	assert_memory_equal(ba, bb, sa);

	n = read_cpio(fa, 0, e, 16);
	assert_int_equal(n, 3);
	assert_string_equal(e[0].path, "etc");
	assert_int_equal(e[0].mode, 0700); /* a real directory keeps its mode */
	assert_string_equal(e[1].path, "etc/hostname");
	assert_int_equal(e[1].mode, 0640);
	assert_string_equal(e[1].data, "target\n");
	assert_string_equal(e[2].path, "etc/link");
	assert_int_equal(e[2].type, AE_IFLNK);
	assert_string_equal(e[2].link, "hostname");
	close(fa);
	close(fb);
	kexec_overlay_free(a);
	kexec_overlay_free(b);

	assert_int_equal(kexec_overlay_new(&a), 0);
	snprintf(path, sizeof(path), "%s/missing", tmpdir);
	assert_int_equal(kexec_overlay_add_dir(a, path), -BR_ECONFIG);
	kexec_overlay_free(a);
}

/* --- initrd join ---------------------------------------------------------- */
static void test_initrd_join(void **state)
{
	const struct verify_artifact *list[2];
	struct verify_artifact *i1, *i2;
	struct kexec_overlay *ov;
	struct entry e[8];
	uint8_t buf[64];
	uint64_t size;
	int fd, seals;

	(void)state;
	i1 = artifact("i1", "070701abcde", 11);	      /* 11 bytes: 1 byte of padding */
	i2 = artifact("i2", "\x1f\x8b\x08\x00zz", 6); /* 6: 2 bytes of padding */
	list[0] = i1;
	list[1] = i2;
	assert_int_equal(kexec_overlay_new(&ov), 0);
	assert_int_equal(kexec_overlay_add(ov, "/etc/bootrino/facts.json", "{}", 2, 0644), 0);

	assert_int_equal(kexec_initrd_join(list, 2, ov, &fd, &size), 0);
	assert_int_equal(size % 4, 0);
	assert_int_equal(lseek(fd, 0, SEEK_END), (off_t)size);
	assert_int_equal(pread(fd, buf, 20, 0), 20);
	assert_memory_equal(buf, "070701abcde\0", 12);
	assert_memory_equal(buf + 12, "\x1f\x8b\x08\x00zz\0\0", 8);
	/* the overlay starts 4-aligned right after */
	assert_int_equal(read_cpio(fd, 20, e, 8), 3);
	assert_string_equal(e[2].path, "etc/bootrino/facts.json");
	assert_string_equal(e[2].data, "{}");
	seals = fcntl(fd, F_GET_SEALS);
	assert_true(seals & F_SEAL_WRITE);
	assert_true(seals & F_SEAL_GROW);
	assert_true(seals & F_SEAL_SHRINK);
	assert_int_equal(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDONLY);
	close(fd);

	/* without overlay: just the initrds */
	assert_int_equal(kexec_initrd_join(list, 2, NULL, &fd, &size), 0);
	assert_int_equal(size, 20);
	close(fd);
	kexec_overlay_free(ov);
	verify_artifact_close(i1);
	verify_artifact_close(i2);
}

static void test_initrd_join_changed(void **state)
{
	const struct verify_artifact *list[1];
	struct verify_artifact *i1;
	char path[256];
	uint64_t size;
	int fd;

	(void)state;
	i1 = artifact("changed", "070701", 6);
	list[0] = i1;
	/* the file changes after verification: the join takes the bytes that
	 * were hashed (verify/ keeps them in a sealed memfd), not the file's */
	write_file("changed", "0707010", 7, path, sizeof(path));
	assert_int_equal(kexec_initrd_join(list, 1, NULL, &fd, &size), 0);
	assert_int_equal(size, 8); /* 6, padded to 4 */
	{
		char got[7] = "";

		assert_int_equal(pread(fd, got, 6, 0), 6);
		assert_memory_equal(got, "070701", 6);
	}
	close(fd);
	verify_artifact_close(i1);
}

/* --- errno mapping and system probes ------------------------------------- */
static void make_root_file(const char *root, const char *rel, const char *content)
{
	char path[512], *slash;
	FILE *f;

	snprintf(path, sizeof(path), "%s%s", root, rel);
	for (slash = strchr(path + strlen(tmpdir) + 1, '/'); slash;
	     slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(path, 0755);
		*slash = '/';
	}
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
}

static void test_errno_fallback(void **state)
{
	(void)state;
	assert_true(kexec_errno_falls_back(ENOSYS));
	assert_true(kexec_errno_falls_back(ENOEXEC));
	assert_true(kexec_errno_falls_back(EOPNOTSUPP));
	assert_true(kexec_errno_falls_back(EINVAL));
	assert_false(kexec_errno_falls_back(EPERM));
	assert_false(kexec_errno_falls_back(EKEYREJECTED));
	assert_false(kexec_errno_falls_back(EBADMSG));
	assert_false(kexec_errno_falls_back(ENODATA));
	assert_false(kexec_errno_falls_back(ENOMEM));
	assert_false(kexec_errno_falls_back(EFBIG));
	assert_false(kexec_errno_falls_back(EBUSY));
}

static void test_errno_map(void **state)
{
	char root[256], locked[256];

	(void)state;
	snprintf(root, sizeof(root), "%s/root-open", tmpdir);
	make_root_file(root, "/sys/kernel/security/lockdown", "[none] integrity confidentiality\n");
	snprintf(locked, sizeof(locked), "%s/root-locked", tmpdir);
	make_root_file(locked, "/sys/kernel/security/lockdown",
		       "none [integrity] confidentiality\n");

	assert_int_equal(kexec_map_errno(EPERM, "vmlinuz", root, 0), -BR_EKEXEC);
	assert_non_null(strstr(br_errdetail(), "vmlinuz: not permitted: kexec needs root"));
	assert_int_equal(kexec_map_errno(EPERM, "vmlinuz", locked, 1), -BR_EKEXEC);
	assert_non_null(strstr(br_errdetail(), "lockdown (integrity"));
	assert_non_null(strstr(br_errdetail(), "signed"));
	assert_non_null(strstr(br_errdetail(), "kexec_load (kexec-tools) is blocked too"));
	assert_int_equal(kexec_map_errno(EPERM, "vmlinuz", root, 1), -BR_EKEXEC);
	assert_non_null(strstr(br_errdetail(), "not permitted by the running kernel"));
	/* lockdown unknown (no securityfs): the detail names the possibility */
	{
		char bare[256];

		snprintf(bare, sizeof(bare), "%s/root-bare", tmpdir);
		make_root_file(bare, "/proc/cmdline", "console=ttyS0\n");
		assert_int_equal(kexec_map_errno(EPERM, "vmlinuz", bare, 1), -BR_EKEXEC);
		assert_non_null(
		    strstr(br_errdetail(), "kernel lockdown (Secure Boot?) or a security"));
		make_root_file(bare, "/proc/cmdline", "lockdown=confidentiality\n");
		assert_int_equal(kexec_map_errno(EPERM, "vmlinuz", bare, 1), -BR_EKEXEC);
		assert_non_null(
		    strstr(br_errdetail(), "refused by kernel lockdown (confidentiality"));
	}
	make_root_file(root, "/proc/sys/kernel/kexec_load_disabled", "1\n");
	assert_int_equal(kexec_map_errno(EPERM, "vmlinuz", root, 1), -BR_EKEXEC);
	assert_non_null(strstr(br_errdetail(), "kexec_load_disabled"));

	assert_int_equal(kexec_map_errno(EKEYREJECTED, "k", root, 1), -BR_EKEXEC);
	assert_non_null(strstr(br_errdetail(), "signature rejected"));
	assert_int_equal(kexec_map_errno(EBADMSG, "k", root, 1), -BR_EKEXEC);
	assert_non_null(strstr(br_errdetail(), "signature rejected"));
	assert_int_equal(kexec_map_errno(ENODATA, "k", root, 1), -BR_EKEXEC);
	assert_non_null(strstr(br_errdetail(), "not signed"));
	assert_int_equal(kexec_map_errno(ENOEXEC, "k", root, 1), -BR_EFORMAT);
	assert_non_null(strstr(br_errdetail(), "wrong format"));
	assert_int_equal(kexec_map_errno(ENOMEM, "k", root, 1), -BR_EKEXEC);
	assert_non_null(strstr(br_errdetail(), "out of memory"));
	assert_int_equal(kexec_map_errno(EFBIG, "k", root, 1), -BR_EKEXEC);
	assert_non_null(strstr(br_errdetail(), "too large"));
	assert_int_equal(kexec_map_errno(EBUSY, "k", root, 1), -BR_EKEXEC);
	assert_int_equal(kexec_map_errno(ENOSYS, "k", root, 1), -BR_EKEXEC);
	assert_non_null(strstr(br_errdetail(), "no kexec support"));
	assert_int_equal(br_exitcode(kexec_map_errno(EIO, "k", root, 1)), BR_EXIT_BOOT);

	assert_int_equal(kexec_errno_from_text("kexec_load failed: Operation not permitted"),
			 EPERM);
	assert_int_equal(kexec_errno_from_text("Cannot allocate memory"), ENOMEM);
	assert_int_equal(kexec_errno_from_text("Cannot determine the file type of x"), 0);
}

static void test_tools_reason(void **state)
{
	/* what kexec-tools 2.0.25 prints when kexec_load(2) fails */
	char out1[] = "kexec_load failed: Operation not permitted\n"
		      "entry       = 0x100020 flags = 0x60000\n"
		      "nr_segments = 4\n"
		      "segment[3].memsz = 0x5000\n";
	char out2[] = "Cannot determine the file type of /proc/self/fd/5\n\n";
	char out3[] = "some\nchatter\n";
	char out4[] = "";
	char line[128];
	int err;

	(void)state;
	kexec_tools_reason(out1, line, sizeof(line), &err);
	assert_int_equal(err, EPERM);
	assert_string_equal(line, "kexec_load failed: Operation not permitted");
	kexec_tools_reason(out2, line, sizeof(line), &err);
	assert_int_equal(err, 0);
	assert_string_equal(line, "Cannot determine the file type of /proc/self/fd/5");
	kexec_tools_reason(out3, line, sizeof(line), &err);
	assert_string_equal(line, "chatter");
	kexec_tools_reason(out4, line, sizeof(line), &err);
	assert_string_equal(line, "no message");
}

static void test_sysinfo(void **state)
{
	char root[256], mode[32];
	uint64_t bytes;
	long v;

	(void)state;
	snprintf(root, sizeof(root), "%s/root-sys", tmpdir);
	assert_int_equal(mkdir(root, 0755), 0);
	/* nothing there: lockdown unknown, no systemd */
	assert_true(kexec_sys_lockdown(root, mode, sizeof(mode)) < 0);
	/* without securityfs, the command line still says it */
	make_root_file(root, "/proc/cmdline", "console=ttyS0 xlockdown=integrity\n");
	assert_true(kexec_sys_lockdown(root, mode, sizeof(mode)) < 0);
	make_root_file(root, "/proc/cmdline", "console=ttyS0 lockdown=integrity quiet\n");
	assert_int_equal(kexec_sys_lockdown(root, mode, sizeof(mode)), 1);
	assert_string_equal(mode, "integrity");
	/* securityfs mounted but no lockdown file: no lockdown LSM */
	make_root_file(root, "/proc/cmdline", "console=ttyS0\n");
	make_root_file(
	    root, "/proc/self/mounts",
	    "proc /proc proc rw 0 0\nsecurityfs /sys/kernel/security securityfs rw 0 0\n");
	assert_int_equal(kexec_sys_lockdown(root, mode, sizeof(mode)), 0);
	assert_int_equal(kexec_sys_systemd_pid1(root), 0);
	assert_true(kexec_sys_mem_available(root, &bytes) < 0);

	make_root_file(root, "/proc/1/comm", "systemd\n");
	assert_int_equal(kexec_sys_systemd_pid1(root), 0); /* no /run/systemd/system */
	make_root_file(root, "/run/systemd/system/.keep", "");
	assert_int_equal(kexec_sys_systemd_pid1(root), 1);
	make_root_file(root, "/proc/1/comm", "init\n");
	assert_int_equal(kexec_sys_systemd_pid1(root), 0);

	make_root_file(root, "/sys/kernel/security/lockdown", "none integrity [confidentiality]\n");
	assert_int_equal(kexec_sys_lockdown(root, mode, sizeof(mode)), 1);
	assert_string_equal(mode, "confidentiality");
	make_root_file(root, "/sys/kernel/security/lockdown", "[none] integrity confidentiality\n");
	assert_int_equal(kexec_sys_lockdown(root, mode, sizeof(mode)), 0);

	make_root_file(
	    root, "/proc/meminfo",
	    "MemTotal:        2000000 kB\nMemFree:  1000 kB\nMemAvailable:    1500000 kB\n");
	assert_int_equal(kexec_sys_mem_available(root, &bytes), 0);
	assert_int_equal(bytes, 1500000ULL * 1024);
	make_root_file(root, "/proc/sys/kernel/kexec_load_disabled", "0\n");
	assert_int_equal(kexec_sys_read_long(root, "/proc/sys/kernel/kexec_load_disabled", &v), 0);
	assert_int_equal(v, 0);
}

/* --- dry runs --------------------------------------------------------------- */
#define DRY_UNPINNED (KEXEC_DRY_RUN | KEXEC_ALLOW_UNPINNED)

/* Without KEXEC_ALLOW_UNPINNED, only pinned artifacts get through. */
static void test_refuses_unpinned(void **state)
{
	uint8_t b[BZ_LEN];
	uint8_t pin[VERIFY_SHA256_LEN];
	struct verify_artifact *k, *pinned, *i1;
	struct kexec_image img;
	struct kexec_report rep;

	(void)state;
	make_bzimage(b, 0x020f, 0x03);
	k = artifact("bz-unpinned", b, sizeof(b));
	memset(&img, 0, sizeof(img));
	img.type = KEXEC_LINUX;
	img.kernel = k;
	assert_int_equal(kexec_load(&img, KEXEC_DRY_RUN, &rep), -BR_EINSECURE);
	assert_non_null(strstr(br_errdetail(), "not pinned by sha256"));

	memcpy(pin, verify_artifact_digest(k), sizeof(pin));
	assert_int_equal(verify_artifact_open(verify_artifact_path(k), pin, &pinned), 0);
	img.kernel = pinned;
	assert_int_equal(kexec_load(&img, KEXEC_DRY_RUN, &rep), 0);
	/* a pinned kernel with an unpinned initrd is refused too */
	i1 = artifact("initrd-unpinned.gz",
		      "\x1f\x8b\x08\x00"
		      "abcdef",
		      10);
	img.initrds[0] = i1;
	img.n_initrds = 1;
	assert_int_equal(kexec_load(&img, KEXEC_DRY_RUN, &rep), -BR_EINSECURE);
	assert_int_equal(kexec_load(&img, DRY_UNPINNED, &rep), 0);
	verify_artifact_close(i1);
	verify_artifact_close(pinned);
	verify_artifact_close(k);
}

static void test_dry_run_linux(void **state)
{
	uint8_t b[BZ_LEN];
	struct verify_artifact *k, *i1, *i2;
	struct kexec_overlay *ov;
	struct kexec_image img;
	struct kexec_report rep;

	(void)state;
	make_bzimage(b, 0x020f, 0x03);
	k = artifact("bz", b, sizeof(b));
	i1 = artifact("initrd.gz",
		      "\x1f\x8b\x08\x00"
		      "abcdef",
		      10);
	i2 = artifact("weird", "hello!", 6);
	assert_int_equal(kexec_overlay_new(&ov), 0);
	assert_int_equal(kexec_overlay_add(ov, "/etc/x", "x", 1, 0644), 0);

	memset(&img, 0, sizeof(img));
	img.type = KEXEC_LINUX;
	img.kernel = k;
	img.initrds[0] = i1;
	img.initrds[1] = i2;
	img.n_initrds = 2;
	img.cmdline = "console=ttyS0";
	img.overlay = ov;
	assert_int_equal(kexec_load(&img, DRY_UNPINNED, &rep), 0);
	assert_true(rep.dry_run);
	assert_string_equal(rep.method, "kexec_file_load");
	assert_string_equal(rep.kernel_format, "bzImage (boot protocol 2.15, 64-bit)");
	assert_int_equal(rep.kernel_bytes, BZ_LEN);
	assert_int_equal(rep.n_initrds, 2);
	assert_string_equal(rep.initrd_format[0], "gzip");
	assert_string_equal(rep.initrd_format[1], "unknown");
	assert_non_null(strstr(rep.warning, "weird"));
	assert_int_equal(rep.overlay_entries, 2);
	assert_true(rep.overlay_bytes > 0 && rep.overlay_bytes % 4 == 0);
	assert_int_equal(rep.total_bytes, BZ_LEN + 12 + 8 + rep.overlay_bytes);

	/* a command line longer than the kernel takes (64 here) */
	img.cmdline = "0123456789012345678901234567890123456789012345678901234567890123456789";
	assert_int_equal(kexec_load(&img, DRY_UNPINNED, &rep), -BR_EFORMAT);
	assert_non_null(strstr(br_errdetail(), "command line is 70 bytes"));

	/* an old kernel goes to kexec-tools straight away */
	img.cmdline = NULL;
	verify_artifact_close(k);
	make_bzimage(b, 0x020a, 0);
	k = artifact("bz-old", b, sizeof(b));
	img.kernel = k;
	if (kexec_load(&img, DRY_UNPINNED, &rep) == 0) {
		assert_string_equal(rep.method, "kexec-tools");
		assert_non_null(strstr(rep.why, "older than 2.12"));
	} else {
		assert_non_null(strstr(br_errdetail(), "no kexec binary found"));
	}

	/* a corrupt kernel */
	verify_artifact_close(k);
	memset(b, 0x5a, sizeof(b));
	k = artifact("corrupt", b, sizeof(b));
	img.kernel = k;
	assert_int_equal(kexec_load(&img, DRY_UNPINNED, &rep), -BR_EFORMAT);
	assert_non_null(strstr(br_errdetail(), "corrupt: not a bzImage"));

	kexec_overlay_free(ov);
	verify_artifact_close(k);
	verify_artifact_close(i1);
	verify_artifact_close(i2);
}

static void test_dry_run_multiboot(void **state)
{
	static uint8_t b[MB_LEN];
	struct verify_artifact *k, *m;
	struct kexec_image img;
	struct kexec_report rep;
	int rc;

	(void)state;
	make_multiboot(b, 0x1000, 0x3, 1);
	k = artifact("mb.elf", b, sizeof(b));
	m = artifact("mod", "module bytes", 12);
	memset(&img, 0, sizeof(img));
	img.type = KEXEC_MULTIBOOT;
	img.kernel = k;
	img.initrds[0] = m;
	img.module_args[0] = "arg1 arg2";
	img.n_initrds = 1;
	rc = kexec_load(&img, DRY_UNPINNED, &rep);
	assert_string_equal(rep.kernel_format, "multiboot ELF32 (header at 0x1000)");
	assert_string_equal(rep.method, "kexec-tools");
	assert_string_equal(rep.initrd_format[0], "module");
	assert_int_equal(rep.total_bytes, MB_LEN + 12);
	/* dry-run fails only when kexec-tools is nowhere to be found */
	assert_int_equal(rc, rep.tools_path[0] ? 0 : -BR_EKEXEC);

	/* a bzImage given as multiboot is named as such */
	verify_artifact_close(k);
	make_bzimage(b, 0x020f, 0x03);
	k = artifact("bz-as-mb", b, BZ_LEN);
	img.kernel = k;
	assert_int_equal(kexec_load(&img, DRY_UNPINNED, &rep), -BR_EFORMAT);
	assert_non_null(strstr(br_errdetail(), "a Linux bzImage, not a multiboot kernel"));
	verify_artifact_close(k);
	verify_artifact_close(m);
}

static int setup(void **state)
{
	(void)state;
	/* guard: nothing in this binary may load a kernel */
	setenv("BOOTRINO_KEXEC_NO_LOAD", "1", 1);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_kexec.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int teardown(void **state)
{
	(void)state;
	return nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bzimage_good),
	    cmocka_unit_test(test_bzimage_bad),
	    cmocka_unit_test(test_bzimage_file_load_ok),
	    cmocka_unit_test(test_multiboot),
	    cmocka_unit_test(test_initrd_magic),
	    cmocka_unit_test(test_overlay_content),
	    cmocka_unit_test(test_overlay_refuses),
	    cmocka_unit_test(test_overlay_dir_deterministic),
	    cmocka_unit_test(test_initrd_join),
	    cmocka_unit_test(test_initrd_join_changed),
	    cmocka_unit_test(test_errno_fallback),
	    cmocka_unit_test(test_errno_map),
	    cmocka_unit_test(test_tools_reason),
	    cmocka_unit_test(test_sysinfo),
	    cmocka_unit_test(test_refuses_unpinned),
	    cmocka_unit_test(test_dry_run_linux),
	    cmocka_unit_test(test_dry_run_multiboot),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
