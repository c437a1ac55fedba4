/* Image formats, judged from the first bytes of a file: the Linux x86 boot
 * protocol's setup header (Documentation/arch/x86/boot.rst), multiboot v1
 * headers as kexec-tools' multiboot-x86 loader checks them, and the
 * archive formats the kernel's initramfs unpacker understands. Pure
 * functions on buffers, so the unit tests and the fuzzer can feed them. */
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "kexec/internal.h"

/* setup header offsets */
#define BZ_SETUP_SECTS 0x1f1
#define BZ_SYSSIZE 0x1f4
#define BZ_BOOT_FLAG 0x1fe
#define BZ_HEADER 0x202
#define BZ_VERSION 0x206
#define BZ_LOADFLAGS 0x211
#define BZ_XLOADFLAGS 0x236
#define BZ_CMDLINE_SIZE 0x238
#define BZ_MIN_LEN 0x240 /* through cmdline_size */

#define BZ_LOADED_HIGH 0x01
#define XLF_KERNEL_64 0x01
#define XLF_CAN_BE_LOADED_ABOVE_4G 0x02
#define XLF_EFI_HANDOVER_64 0x08

#define BZ_MIN_VERSION 0x0206	    /* cmdline_size exists from 2.06 */
#define BZ_FILE_LOAD_VERSION 0x020c /* kexec_file_load's bzImage64 loader */

#define MB_MAGIC 0x1badb002u
#define MB_SEARCH 8192
#define MB_AOUT_KLUDGE 0x00010000u
#define MB_UNSUPPORTED 0x0000fff8u /* required-feature bits nobody defined */

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void set_why(char *why, size_t len, const char *what, const uint8_t *buf, size_t n)
{
	const char *guess = kexec_probe_guess(buf, n);

	if (guess)
		snprintf(why, len, "%s (looks like %s)", what, guess);
	else
		snprintf(why, len, "%s", what);
}

int kexec_probe_bzimage(const uint8_t *buf, size_t len, uint64_t file_size,
			struct kexec_bzimage *out)
{
	unsigned setup_sects;

	memset(out, 0, sizeof(*out));
	if (len < BZ_MIN_LEN || memcmp(buf + BZ_HEADER, "HdrS", 4) != 0) {
		set_why(out->why, sizeof(out->why), "not a bzImage: no \"HdrS\" magic at 0x202",
			buf, len);
		return -BR_EFORMAT;
	}
	if (le16(buf + BZ_BOOT_FLAG) != 0xaa55) {
		snprintf(out->why, sizeof(out->why), "not a bzImage: no boot flag 0xAA55 at 0x1fe");
		return -BR_EFORMAT;
	}
	out->version = le16(buf + BZ_VERSION);
	if (out->version < BZ_MIN_VERSION) {
		snprintf(out->why, sizeof(out->why),
			 "boot protocol %u.%02u is too old (2.06 or later needed)",
			 (unsigned)out->version >> 8, (unsigned)out->version & 0xff);
		return -BR_EFORMAT;
	}
	out->loadflags = buf[BZ_LOADFLAGS];
	if (!(out->loadflags & BZ_LOADED_HIGH)) {
		snprintf(out->why, sizeof(out->why),
			 "a zImage, not a bzImage (LOADED_HIGH not set)");
		return -BR_EFORMAT;
	}
	/* 0 means 4 for compatibility with ancient kernels */
	setup_sects = buf[BZ_SETUP_SECTS] ? buf[BZ_SETUP_SECTS] : 4;
	out->setup_bytes = ((uint64_t)setup_sects + 1) * 512;
	out->payload_bytes = (uint64_t)le32(buf + BZ_SYSSIZE) * 16;
	/* A signed kernel is longer than this (the signature is appended);
	 * a shorter one was cut off in transit or on disk. */
	if (file_size < out->setup_bytes + out->payload_bytes) {
		unsigned long long want = out->setup_bytes + out->payload_bytes;

		snprintf(out->why, sizeof(out->why),
			 "truncated: %llu bytes, but its header says %llu",
			 (unsigned long long)file_size, want);
		return -BR_EFORMAT;
	}
	out->cmdline_size = le32(buf + BZ_CMDLINE_SIZE);
	if (out->version >= BZ_FILE_LOAD_VERSION)
		out->xloadflags = le16(buf + BZ_XLOADFLAGS);

	/* The conditions of the kernel's bzImage64_probe(): anything else
	 * it answers with ENOEXEC, so kexec-tools is used straight away. */
	if (out->version < BZ_FILE_LOAD_VERSION)
		snprintf(out->why, sizeof(out->why),
			 "boot protocol %u.%02u is older than 2.12, which kexec_file_load needs",
			 (unsigned)out->version >> 8, (unsigned)out->version & 0xff);
	else if (!(out->xloadflags & XLF_KERNEL_64))
		snprintf(out->why, sizeof(out->why), "not a 64-bit kernel (XLF_KERNEL_64 not set)");
	else if (!(out->xloadflags & XLF_CAN_BE_LOADED_ABOVE_4G))
		snprintf(
		    out->why, sizeof(out->why),
		    "kernel cannot be loaded above 4 GiB (XLF_CAN_BE_LOADED_ABOVE_4G not set)");
	else
		out->file_load_ok = 1;
	return 0;
}

static int check_aout(const uint8_t *h, uint32_t off, uint64_t file_size,
		      struct kexec_multiboot *out)
{
	uint32_t header_addr = le32(h + 12), load_addr = le32(h + 16);
	uint32_t load_end_addr = le32(h + 20), bss_end_addr = le32(h + 24);
	uint32_t entry_addr = le32(h + 28);
	const char *bad = NULL;

	/* kexec-tools' multiboot_x86_probe() checks, in its order */
	if (file_size < off)
		bad = "file shorter than the header offset";
	else if (load_addr & 0xfff)
		bad = "load address not 4 KiB aligned";
	else if (load_addr > header_addr)
		bad = "load address above the header address";
	else if (load_end_addr < load_addr)
		bad = "load end address below the load address";
	else if (bss_end_addr < load_end_addr)
		bad = "bss end address below the load end address";
	else if ((uint64_t)(load_end_addr - header_addr) > file_size - off)
		bad = "file shorter than its a.out kludge load range (truncated?)";
	else if (entry_addr < load_addr || entry_addr >= load_end_addr)
		bad = "entry point outside the loaded range";
	if (bad) {
		snprintf(out->why, sizeof(out->why), "multiboot header at 0x%x: %s", off, bad);
		return -BR_EFORMAT;
	}
	return 0;
}

static int check_elf32(const uint8_t *buf, size_t len, uint64_t file_size,
		       struct kexec_multiboot *out)
{
	uint32_t phoff;
	uint16_t type, machine, phentsize, phnum;

	if (len < 52 || memcmp(buf, "\177ELF", 4) != 0) {
		set_why(out->why, sizeof(out->why),
			"multiboot header without the a.out kludge, and not an ELF file", buf, len);
		return -BR_EFORMAT;
	}
	if (buf[4] != 1) {
		snprintf(
		    out->why, sizeof(out->why),
		    "a multiboot ELF64 without the a.out kludge: kexec-tools loads ELF32 only");
		return -BR_EFORMAT;
	}
	type = le16(buf + 16);
	machine = le16(buf + 18);
	phoff = le32(buf + 28);
	phentsize = le16(buf + 42);
	phnum = le16(buf + 44);
	if (buf[5] != 1 || (machine != 3 && machine != 6)) {
		snprintf(out->why, sizeof(out->why), "not a little-endian i386 ELF (e_machine %u)",
			 machine);
		return -BR_EFORMAT;
	}
	if (type != 2) {
		snprintf(out->why, sizeof(out->why), "ELF type %u is not an executable", type);
		return -BR_EFORMAT;
	}
	if (phnum == 0 || phentsize < 32 ||
	    (uint64_t)phoff + (uint64_t)phnum * phentsize > file_size) {
		snprintf(out->why, sizeof(out->why),
			 "ELF program headers missing or past the end of the file");
		return -BR_EFORMAT;
	}
	return 0;
}

int kexec_probe_multiboot(const uint8_t *buf, size_t len, uint64_t file_size,
			  struct kexec_multiboot *out)
{
	size_t n = len < MB_SEARCH ? len : MB_SEARCH;
	long bad_sum = -1;
	size_t off;

	memset(out, 0, sizeof(*out));
	for (off = 0; n >= 12 && off <= n - 12; off += 4) {
		const uint8_t *h = buf + off;
		uint32_t flags;

		if (le32(h) != MB_MAGIC)
			continue;
		flags = le32(h + 4);
		if ((uint32_t)(MB_MAGIC + flags + le32(h + 8)) != 0) {
			if (bad_sum < 0)
				bad_sum = (long)off;
			continue;
		}
		out->offset = (uint32_t)off;
		out->flags = flags;
		if (flags & MB_UNSUPPORTED) {
			snprintf(
			    out->why, sizeof(out->why),
			    "multiboot header requires features nobody implements (flags 0x%08x)",
			    flags);
			return -BR_EFORMAT;
		}
		if (flags & MB_AOUT_KLUDGE) {
			if (n < off + 32) {
				snprintf(out->why, sizeof(out->why),
					 "multiboot header at 0x%zx cut short", off);
				return -BR_EFORMAT;
			}
			out->aout_kludge = 1;
			return check_aout(h, out->offset, file_size, out);
		}
		return check_elf32(buf, len, file_size, out);
	}
	if (bad_sum >= 0) {
		snprintf(out->why, sizeof(out->why), "multiboot header at 0x%lx has a bad checksum",
			 (unsigned long)bad_sum);
		return -BR_EFORMAT;
	}
	set_why(out->why, sizeof(out->why),
		"not a multiboot image: no header (magic 0x1BADB002) in the first 8 KiB", buf, len);
	return -BR_EFORMAT;
}

struct magic {
	const char *bytes;
	size_t len;
	const char *name;
};

/* What usr/initramfs and lib/decompress.c accept (cpio: newc only). */
static const struct magic initrd_magics[] = {
    {"070701", 6, "cpio (newc)"},
    {"070702", 6, "cpio (newc+crc)"},
    {"\x1f\x8b", 2, "gzip"},
    {"\x1f\x9e", 2, "gzip"},
    {"\xfd"
     "7zXZ\0",
     6, "xz"},
    {"\x28\xb5\x2f\xfd", 4, "zstd"},
    {"\x02\x21\x4c\x18", 4, "lz4"},
    {"BZh", 3, "bzip2"},
    {"\x5d\x00\x00", 3, "lzma"},
    {"\x89LZO", 4, "lzo"},
};

const char *kexec_probe_initrd(const uint8_t *buf, size_t len)
{
	size_t i;

	/* the unpacker skips zero padding between and before archives */
	while (len && !*buf) {
		buf++;
		len--;
	}
	for (i = 0; i < sizeof(initrd_magics) / sizeof(initrd_magics[0]); i++)
		if (len >= initrd_magics[i].len &&
		    memcmp(buf, initrd_magics[i].bytes, initrd_magics[i].len) == 0)
			return initrd_magics[i].name;
	return NULL;
}

const char *kexec_probe_guess(const uint8_t *buf, size_t len)
{
	const char *archive;

	if (len >= 5 && memcmp(buf, "\177ELF", 4) == 0)
		return buf[4] == 2 ? "an ELF64 file" : "an ELF32 file";
	if (len >= 2 && buf[0] == 'M' && buf[1] == 'Z')
		return "a PE/COFF file";
	if (len >= 2 && buf[0] == '#' && buf[1] == '!')
		return "a script";
	archive = kexec_probe_initrd(buf, len);
	if (archive && len && buf[0])
		return archive; /* "gzip": a kernel that was compressed again, or an initrd */
	return NULL;
}
