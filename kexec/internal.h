/* Shared between the files of kexec/ and its unit tests; not for other
 * modules (they use kexec/kexec.h). */
#ifndef BOOTRINO_KEXEC_INTERNAL_H
#define BOOTRINO_KEXEC_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "kexec/kexec.h"

/* How much of the kernel is read for probing: multiboot headers live in
 * the first 8 KiB, the bzImage setup header well inside it. */
#define KEXEC_PROBE_LEN 8192

/* --- format.c: image formats, from the first bytes of a file ---------------- */
struct kexec_bzimage {
	uint16_t version; /* boot protocol, 0x020f = 2.15 */
	uint8_t loadflags;
	uint16_t xloadflags;
	uint32_t cmdline_size;	/* longest command line the kernel takes */
	uint64_t setup_bytes;	/* real-mode part: (setup_sects + 1) * 512 */
	uint64_t payload_bytes; /* protected-mode part: syssize * 16 */
	int file_load_ok;	/* kexec_file_load's x86-64 loader will take it */
	char why[128];		/* why it is refused, or why not file_load_ok */
};
/* 0, or -BR_EFORMAT with out->why. len: bytes at buf; file_size: the
 * whole file (catches a truncated kernel). */
int kexec_probe_bzimage(const uint8_t *buf, size_t len, uint64_t file_size,
			struct kexec_bzimage *out);

struct kexec_multiboot {
	uint32_t offset; /* of the header in the file */
	uint32_t flags;
	int aout_kludge; /* load addresses come from the header, not ELF */
	char why[128];
};
int kexec_probe_multiboot(const uint8_t *buf, size_t len, uint64_t file_size,
			  struct kexec_multiboot *out);

/* "cpio (newc)", "gzip", "xz", "zstd", "lz4", "bzip2", "lzma", "lzo" or
 * NULL when the first bytes match no format the kernel unpacks. */
const char *kexec_probe_initrd(const uint8_t *buf, size_t len);

/* One word for an image that is not what the caller asked for ("ELF64",
 * "PE/COFF", "gzip"…), or NULL. Used to make -BR_EFORMAT details useful. */
const char *kexec_probe_guess(const uint8_t *buf, size_t len);

/* --- sysinfo.c: what the running system says. root: "" (or NULL) for the
 * real one, a directory holding proc/, sys/, run/ in tests. ----------- */
/* 1 and the mode ("integrity", "confidentiality") if lockdown is active,
 * 0 if not (or no LSM), <0 if unknown. */
int kexec_sys_lockdown(const char *root, char *mode, size_t len);
/* 1 if systemd is PID 1: /run/systemd/system exists and /proc/1/comm
 * says "systemd". */
int kexec_sys_systemd_pid1(const char *root);
/* MemAvailable from /proc/meminfo, in bytes. */
int kexec_sys_mem_available(const char *root, uint64_t *bytes);
/* The integer in a /proc/sys file, or -errno. */
int kexec_sys_read_long(const char *root, const char *path, long *out);

/* --- errmap.c: errno of a kexec syscall -> -BR_EKEXEC / -BR_EFORMAT --------- */
/* 1 if kexec_file_load's errno means "try kexec_load through kexec-tools". */
int kexec_errno_falls_back(int err);
/* Record one detail line for err (naming what) and return -BR_EKEXEC or
 * -BR_EFORMAT. is_root: geteuid() == 0 (EPERM means "not root" otherwise). */
int kexec_map_errno(int err, const char *what, const char *root, int is_root);
/* The errno whose strerror() text appears in a line kexec-tools printed,
 * or 0. */
int kexec_errno_from_text(const char *line);

/* --- overlay.c ------------------------------------------------------------ */
/* Write the overlay's cpio at fd's current offset (no padding). */
int kexec_overlay_write(const struct kexec_overlay *ov, int fd);
/* The same, then pad fd to 4 bytes; *size: fd's size after it. */
int kexec_overlay_append(const struct kexec_overlay *ov, int fd, uint64_t *size);

/* --- initrd.c: initrds + overlay joined into one sealed memfd --------------- */
/* Every piece is padded to 4 bytes with zeros (the kernel's initramfs
 * unpacker wants each cpio to start 4-aligned). On success *fd_out is a
 * read-only fd of the joined bytes. */
int kexec_initrd_join(const struct verify_artifact *const *initrds, size_t n,
		      const struct kexec_overlay *ov, int *fd_out, uint64_t *size_out);
/* memfd_create + seal; a read-only reopen so the kernel's
 * deny_write_access() does not see a writer (ETXTBSY). */
int kexec_memfd_new(const char *name, int *fd_out);
int kexec_memfd_seal(int *fd);
/* Append len bytes of src_fd (from offset 0) to dst_fd. */
int kexec_copy_fd(int dst_fd, int src_fd, uint64_t len);
int kexec_pad4(int fd, uint64_t *size);

/* --- file_load.c --------------------------------------------------------- */
/* kexec_file_load(2); returns 0 or -errno. */
int kexec_file_load_fds(int kernel_fd, int initrd_fd, const char *cmdline);

/* --- tools.c: the kexec-tools binary ---------------------------------------- */
/* First executable of: next to /proc/self/exe, /sbin/kexec, /usr/sbin/kexec
 * (never $PATH), owned by root or us and not group/other-writable, nor its
 * directory. 0 or -ENOENT. */
int kexec_tools_find(char *out, size_t len);
/* The line of kexec-tools' output (modified in place) that explains a
 * failure, into line_out; *err: the errno it names, or 0. */
void kexec_tools_reason(char *out, char *line_out, size_t len, int *err);
/* Run `kexec -l -c …` for img. initrd_fd: the joined initrd (Linux) or
 * -1; overlay_fd: the overlay as an extra module (multiboot) or -1. */
int kexec_tools_load(const char *bin, const struct kexec_image *img, int initrd_fd, int overlay_fd);

#endif
