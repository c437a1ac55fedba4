/* kexec/: loading and starting run-from-RAM targets, initramfs overlays.
 * With disk/, the only modules that include libarchive.
 *
 * Trust: every image is a struct verify_artifact (verify/artifact.h); this
 * module loads nothing else.
 */
#ifndef BOOTRINO_KEXEC_KEXEC_H
#define BOOTRINO_KEXEC_KEXEC_H

#include <stddef.h>
#include <stdint.h>

#include "verify/artifact.h"

#define KEXEC_MAX_INITRDS 16  /* initrds (Linux) or modules (multiboot) */

/* --- overlay: a newc cpio appended after the last initrd ------------------ */
struct kexec_overlay; /* opaque */

int kexec_overlay_new(struct kexec_overlay **out);
/* Add a regular file (parent directories are created in the archive).
 * path is absolute inside the target ("/etc/bootrino/facts.json"); paths
 * with ".." components or that are not absolute are refused. */
int kexec_overlay_add(struct kexec_overlay *ov, const char *path, const void *data, size_t len,
		      unsigned mode);
/* Add every file below a host directory, as if it were the target's /. */
int kexec_overlay_add_dir(struct kexec_overlay *ov, const char *dir);
void kexec_overlay_free(struct kexec_overlay *ov);

/* --- images ------------------------------------------------------------------ */
enum kexec_type { KEXEC_LINUX, KEXEC_MULTIBOOT };

struct kexec_image {
	enum kexec_type type;
	const struct verify_artifact *kernel;
	const struct verify_artifact *initrds[KEXEC_MAX_INITRDS]; /* Linux initrds, or multiboot modules */
	const char *module_args[KEXEC_MAX_INITRDS];               /* multiboot module args (may be NULL) */
	size_t n_initrds;
	const char *cmdline;                                      /* may be NULL */
	const struct kexec_overlay *overlay;                      /* may be NULL */
};

enum kexec_flags {
	KEXEC_DRY_RUN = 1 << 0, /* validate formats and sizes only; load nothing */
};

/* What was (or would be) loaded, for the agent to print. */
struct kexec_report {
	char method[32];       /* "kexec_file_load", "kexec-tools", "dry-run" */
	char why[256];         /* why a fallback was used, if one was */
	char kernel_format[64];/* "bzImage (boot protocol 2.15)", "multiboot ELF32" */
	uint64_t total_bytes;  /* kernel + initrds + overlay */
};

/* Validate and load img into the running kernel (or only validate with
 * KEXEC_DRY_RUN). -BR_EFORMAT, -BR_EKEXEC (detail explains: not root,
 * lockdown / Secure Boot, signature rejected, out of memory, …). */
int kexec_load(const struct kexec_image *img, unsigned flags, struct kexec_report *rep);

/* Start the loaded kernel: `systemctl kexec` when systemd is PID 1 (clean
 * shutdown of the old OS), otherwise sync + reboot(LINUX_REBOOT_CMD_KEXEC).
 * Returns only on failure. */
int kexec_execute(void);

/* "libarchive 3.6.2 zlib/… liblzma/… libzstd/…" */
const char *kexec_library_version(void);

#endif
