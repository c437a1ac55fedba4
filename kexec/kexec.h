/* kexec/: loading and starting run-from-RAM targets, initramfs overlays.
 * With disk/, the only modules that include libarchive.
 *
 * Trust: every image is a struct verify_artifact (verify/artifact.h); this
 * module loads nothing else. The overlay is built here from bytes the
 * caller hands over (facts, `file` entries of a signed bootrino.sh).
 *
 * docs/kexec.md describes the two load paths, the fallback rules and the
 * meaning of every error.
 */
#ifndef BOOTRINO_KEXEC_KEXEC_H
#define BOOTRINO_KEXEC_KEXEC_H

#include <stddef.h>
#include <stdint.h>

#include "verify/artifact.h"

#define KEXEC_MAX_INITRDS 16 /* initrds (Linux) or modules (multiboot) */

/* --- overlay: a newc cpio appended after the last initrd ------------------ */
struct kexec_overlay; /* opaque */

int kexec_overlay_new(struct kexec_overlay **out);
/* Add a regular file (parent directories are created in the archive, 0755
 * root:root). path is absolute inside the target ("/etc/bootrino/facts.json");
 * paths with "." or ".." components, or that are not absolute, are refused
 * with -BR_ECONFIG. Adding the same path again replaces its content. */
int kexec_overlay_add(struct kexec_overlay *ov, const char *path, const void *data, size_t len,
		      unsigned mode);
/* Add every file, directory and symlink below a host directory, as if it
 * were the target's /. Device nodes, FIFOs and sockets are refused. */
int kexec_overlay_add_dir(struct kexec_overlay *ov, const char *dir);
/* Number of archive entries (files, directories, symlinks) so far. */
size_t kexec_overlay_count(const struct kexec_overlay *ov);
/* Write the archive (deterministic: sorted, mtime 0, uid/gid 0) into a new
 * sealed memfd, positioned at 0. *size_out gets its size (padded to 4). */
int kexec_overlay_memfd(const struct kexec_overlay *ov, int *fd_out, uint64_t *size_out);
void kexec_overlay_free(struct kexec_overlay *ov);

/* --- images ------------------------------------------------------------------ */
enum kexec_type { KEXEC_LINUX, KEXEC_MULTIBOOT };

struct kexec_image {
	enum kexec_type type;
	const struct verify_artifact *kernel;
	const struct verify_artifact
	    *initrds[KEXEC_MAX_INITRDS];	    /* Linux initrds, or multiboot modules */
	const char *module_args[KEXEC_MAX_INITRDS]; /* multiboot module args (may be NULL) */
	size_t n_initrds;
	const char *cmdline;		     /* may be NULL */
	const struct kexec_overlay *overlay; /* may be NULL */
};

enum kexec_flags {
	KEXEC_DRY_RUN = 1 << 0, /* validate formats and sizes only; load nothing */
	/* Accept artifacts opened without a sha256 pin: only for files the
	 * operator named on the command line, or a run started with
	 * --insecure. Without it every artifact must be pinned. */
	KEXEC_ALLOW_UNPINNED = 1 << 1,
};

/* What was (or would be) loaded, for the agent to print. */
struct kexec_report {
	char method[32];	/* "kexec_file_load" or "kexec-tools" (planned one in a dry run) */
	char why[256];		/* why kexec-tools is (or would be) used, if it is */
	char kernel_format[64]; /* "bzImage (boot protocol 2.15)", "multiboot ELF32" */
	uint64_t total_bytes;	/* kernel + initrds + overlay */
	/* details (all filled by kexec_load, dry run or not) */
	int dry_run; /* 1: nothing was loaded */
	uint64_t kernel_bytes;
	uint64_t initrd_bytes[KEXEC_MAX_INITRDS];  /* per initrd / module */
	char initrd_format[KEXEC_MAX_INITRDS][32]; /* "gzip", "cpio (newc)", "unknown" */
	size_t n_initrds;
	uint64_t overlay_bytes; /* 0 without overlay */
	size_t overlay_entries;
	uint64_t mem_available; /* MemAvailable; 0 if unknown */
	char tools_path[256];	/* kexec-tools binary, "" if none found */
	char warning[256];	/* "" or one line worth showing */
};

/* Validate and load img into the running kernel (or only validate with
 * KEXEC_DRY_RUN). -BR_EFORMAT, -BR_EKEXEC (detail explains: not root,
 * lockdown / Secure Boot, signature rejected, out of memory, …).
 * Loading is refused (-BR_EKEXEC) while the environment variable
 * BOOTRINO_KEXEC_NO_LOAD is set: a safety net for test suites running on
 * a development host as root. */
int kexec_load(const struct kexec_image *img, unsigned flags, struct kexec_report *rep);

/* How the running system is left for the loaded kernel, when systemd is
 * PID 1 (anywhere else there is nothing to stop: always sync + reboot).
 *   ORDERLY    `systemctl kexec`: every unit stopped in order (the stock
 *              OS shuts down as for a reboot: slowest)
 *   FORCE      `systemctl kexec --force`: no unit is stopped one by one;
 *              systemd-shutdown kills every process, unmounts or remounts
 *              read-only, syncs and kexecs (filesystems stay clean)
 *   IMMEDIATE  sync + reboot(LINUX_REBOOT_CMD_KEXEC) from here: nothing
 *              is unmounted (the page cache is synced, a journal replay
 *              may follow on the next mount)
 * docs/performance.md has the measured cost of each. */
enum kexec_shutdown { KEXEC_SHUTDOWN_ORDERLY, KEXEC_SHUTDOWN_FORCE, KEXEC_SHUTDOWN_IMMEDIATE };

/* Start the loaded kernel, leaving the system as `how` says. Returns only
 * on failure (also refused under BOOTRINO_KEXEC_NO_LOAD). */
int kexec_execute_how(enum kexec_shutdown how);
/* kexec_execute_how(KEXEC_SHUTDOWN_ORDERLY) */
int kexec_execute(void);

/* "libarchive 3.6.2 zlib/… liblzma/… libzstd/…" */
const char *kexec_library_version(void);

#endif
