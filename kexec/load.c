/* kexec_load(): validate the images, then load them with kexec_file_load
 * or, when the kernel cannot take them that way, through kexec-tools.
 * Validation runs first and alone in a dry run, so `--dry-run` says what
 * a real load would find wrong without touching the running kernel. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "kexec/internal.h"

static int read_head(const struct verify_artifact *a, uint8_t *buf, size_t len, size_t *got)
{
	int fd = verify_artifact_fd(a);
	ssize_t n;

	if (fd < 0)
		return fd;
	do
		n = pread(fd, buf, len, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return br_fail(-errno, "%s: %s", verify_artifact_path(a), strerror(errno));
	*got = (size_t)n;
	return 0;
}

static int check_linux(const struct kexec_image *img, const uint8_t *head, size_t n,
		       struct kexec_bzimage *bz, struct kexec_report *rep)
{
	const char *path = verify_artifact_path(img->kernel);
	uint64_t size = verify_artifact_size(img->kernel);
	struct kexec_multiboot mb;
	size_t cl;

	if (kexec_probe_bzimage(head, n, size, bz)) {
		if (kexec_probe_multiboot(head, n, size, &mb) == 0)
			return br_fail(-BR_EFORMAT,
				       "%s: a multiboot kernel, not a Linux bzImage "
				       "(load it as multiboot)",
				       path);
		return br_fail(-BR_EFORMAT, "%s: %s", path, bz->why);
	}
	cl = img->cmdline ? strlen(img->cmdline) : 0;
	if (bz->cmdline_size && cl > bz->cmdline_size)
		return br_fail(-BR_EFORMAT,
			       "%s: command line is %zu bytes, this kernel takes at most %u", path,
			       cl, bz->cmdline_size);
	snprintf(rep->kernel_format, sizeof(rep->kernel_format),
		 "bzImage (boot protocol %u.%02u%s%s)", (unsigned)bz->version >> 8,
		 (unsigned)bz->version & 0xff, bz->xloadflags & 0x01 ? ", 64-bit" : "",
		 bz->xloadflags & 0x08 ? ", EFI" : "");
	return 0;
}

static int check_multiboot(const struct kexec_image *img, const uint8_t *head, size_t n,
			   struct kexec_report *rep)
{
	const char *path = verify_artifact_path(img->kernel);
	uint64_t size = verify_artifact_size(img->kernel);
	struct kexec_multiboot mb;
	struct kexec_bzimage bz;

	if (kexec_probe_multiboot(head, n, size, &mb)) {
		if (kexec_probe_bzimage(head, n, size, &bz) == 0)
			return br_fail(-BR_EFORMAT,
				       "%s: a Linux bzImage, not a multiboot kernel "
				       "(load it without --multiboot)",
				       path);
		return br_fail(-BR_EFORMAT, "%s: %s", path, mb.why);
	}
	snprintf(rep->kernel_format, sizeof(rep->kernel_format), "multiboot %s (header at 0x%x)",
		 mb.aout_kludge ? "a.out kludge" : "ELF32", mb.offset);
	return 0;
}

static void add_warning(struct kexec_report *rep, const char *msg)
{
	size_t used = strlen(rep->warning);

	if (!used)
		snprintf(rep->warning, sizeof(rep->warning), "%s", msg);
	else if (used + 3 < sizeof(rep->warning))
		snprintf(rep->warning + used, sizeof(rep->warning) - used, "; %s", msg);
	br_debug("kexec: warning: %s", msg);
}

static int check_initrds(const struct kexec_image *img, struct kexec_report *rep)
{
	uint8_t head[512];
	size_t i, n = 0;
	int rc;

	for (i = 0; i < img->n_initrds; i++) {
		const struct verify_artifact *a = img->initrds[i];
		const char *fmt;
		char msg[256];

		rep->initrd_bytes[i] = verify_artifact_size(a);
		if (img->type == KEXEC_MULTIBOOT) {
			snprintf(rep->initrd_format[i], sizeof(rep->initrd_format[i]), "module");
			continue;
		}
		rc = read_head(a, head, sizeof(head), &n);
		if (rc)
			return rc;
		fmt = kexec_probe_initrd(head, n);
		snprintf(rep->initrd_format[i], sizeof(rep->initrd_format[i]), "%s",
			 fmt ? fmt : "unknown");
		if (!fmt) {
			snprintf(msg, sizeof(msg),
				 "%.160s: not cpio, gzip, xz, zstd, lz4, bzip2, lzma or lzo: "
				 "the kernel may not unpack it",
				 verify_artifact_path(a));
			add_warning(rep, msg);
		}
	}
	rep->n_initrds = img->n_initrds;
	return 0;
}

static void fmt_mib(uint64_t bytes, char *out, size_t len)
{
	snprintf(out, len, "%.1f MiB", (double)bytes / (1024.0 * 1024.0));
}

static int check_sizes(const struct kexec_image *img, struct kexec_report *rep)
{
	const char *path = verify_artifact_path(img->kernel);
	uint64_t initrds = 0, avail;
	size_t i;

	rep->kernel_bytes = verify_artifact_size(img->kernel);
	if (rep->kernel_bytes == 0)
		return br_fail(-BR_EFORMAT, "%s: empty file", path);
	for (i = 0; i < img->n_initrds; i++)
		initrds += (rep->initrd_bytes[i] + 3) & ~(uint64_t)3;
	rep->total_bytes = rep->kernel_bytes + initrds + rep->overlay_bytes;
	/* the kernel reads each kexec file into one buffer of at most INT_MAX */
	if (rep->kernel_bytes > INT_MAX)
		return kexec_map_errno(EFBIG, path, NULL, 1);
	if (img->type == KEXEC_LINUX && initrds + rep->overlay_bytes > INT_MAX)
		return br_fail(-BR_EKEXEC,
			       "%s: initrds and overlay together are too large for kexec "
			       "(2 GiB at most)",
			       path);
	if (kexec_sys_mem_available(NULL, &avail) == 0) {
		rep->mem_available = avail;
		/* The kernel keeps a copy of every segment until the reboot,
		 * read through a second buffer: count each byte twice. */
		if (rep->total_bytes > avail / 2) {
			char need[32], have[32];

			fmt_mib(rep->total_bytes * 2, need, sizeof(need));
			fmt_mib(avail, have, sizeof(have));
			return br_fail(-BR_EKEXEC,
				       "%s: out of memory: loading needs about %s "
				       "(twice the images), MemAvailable is %s",
				       path, need, have);
		}
	}
	return 0;
}

/* Which path a load takes, before trying it. */
static void plan(const struct kexec_image *img, const struct kexec_bzimage *bz,
		 struct kexec_report *rep)
{
	if (img->type == KEXEC_MULTIBOOT) {
		snprintf(rep->method, sizeof(rep->method), "kexec-tools");
		snprintf(rep->why, sizeof(rep->why),
			 "multiboot: kexec_file_load has no multiboot loader");
	} else if (!bz->file_load_ok) {
		snprintf(rep->method, sizeof(rep->method), "kexec-tools");
		snprintf(rep->why, sizeof(rep->why), "%s", bz->why);
	} else {
		snprintf(rep->method, sizeof(rep->method), "kexec_file_load");
	}
	if (kexec_tools_find(rep->tools_path, sizeof(rep->tools_path)))
		rep->tools_path[0] = '\0';
}

static void dry_run_warnings(struct kexec_report *rep)
{
	char mode[32], msg[128];

	if (geteuid() != 0)
		add_warning(rep, "not root: a real load would be refused");
	if (kexec_sys_lockdown(NULL, mode, sizeof(mode)) == 1) {
		snprintf(msg, sizeof(msg),
			 "kernel lockdown (%s) is active: only signed kernels can be loaded", mode);
		add_warning(rep, msg);
	}
}

static int no_tools(const char *path, const struct kexec_report *rep)
{
	return br_fail(-BR_EKEXEC,
		       "%s: kexec-tools needed (%s) but no kexec binary found next to bootrino, "
		       "or in /sbin, /usr/sbin (owned by root, not group/other-writable; $PATH is "
		       "never searched)",
		       path, rep->why);
}

static int load_linux(const struct kexec_image *img, const struct kexec_bzimage *bz,
		      struct kexec_report *rep)
{
	const char *path = verify_artifact_path(img->kernel);
	int initrd_fd = -1, joined = -1, kfd, rc;
	uint64_t joined_size = 0;

	if (img->n_initrds == 1 && !img->overlay) {
		initrd_fd = verify_artifact_fd(img->initrds[0]);
		if (initrd_fd < 0)
			return initrd_fd;
	} else if (img->n_initrds || img->overlay) {
		rc = kexec_initrd_join(img->initrds, img->n_initrds, img->overlay, &joined,
				       &joined_size);
		if (rc)
			return rc;
		initrd_fd = joined;
		br_debug("kexec: joined %zu initrd(s)%s into %llu bytes", img->n_initrds,
			 img->overlay ? " and the overlay" : "", (unsigned long long)joined_size);
	}
	if (bz->file_load_ok) {
		kfd = verify_artifact_fd(img->kernel);
		if (kfd < 0) {
			rc = kfd;
			goto out;
		}
		rc = kexec_file_load_fds(kfd, initrd_fd, img->cmdline);
		if (rc == 0) {
			br_debug("kexec: loaded %s with kexec_file_load", path);
			goto out;
		}
		if (!kexec_errno_falls_back(-rc)) {
			rc = kexec_map_errno(-rc, path, NULL, geteuid() == 0);
			goto out;
		}
		snprintf(rep->method, sizeof(rep->method), "kexec-tools");
		snprintf(rep->why, sizeof(rep->why), "kexec_file_load failed: %s", strerror(-rc));
		br_debug("kexec: %s: %s; falling back to kexec_load", path, rep->why);
	}
	if (!rep->tools_path[0]) {
		rc = no_tools(path, rep);
		goto out;
	}
	rc = kexec_tools_load(rep->tools_path, img, initrd_fd, -1);
out:
	if (joined >= 0)
		close(joined);
	return rc;
}

/* The trust choke point's last gate: a boot path that lost a pin on the
 * way (a plan entry without sha256) is refused here even if every other
 * check was skipped. */
static int check_pinned(const struct kexec_image *img, unsigned flags)
{
	size_t i;

	if (flags & KEXEC_ALLOW_UNPINNED)
		return 0;
	if (!verify_artifact_pinned(img->kernel))
		return br_fail(-BR_EINSECURE, "%s: not pinned by sha256; refusing to load it",
			       verify_artifact_path(img->kernel));
	for (i = 0; i < img->n_initrds; i++)
		if (!img->initrds[i] || !verify_artifact_pinned(img->initrds[i]))
			return br_fail(
			    -BR_EINSECURE, "%s: not pinned by sha256; refusing to load it",
			    img->initrds[i] ? verify_artifact_path(img->initrds[i]) : "initrd");
	return 0;
}

static int validate(const struct kexec_image *img, unsigned flags, struct kexec_report *rep,
		    struct kexec_bzimage *bz)
{
	uint8_t head[KEXEC_PROBE_LEN];
	size_t n = 0;
	int rc;

	if (!img || !img->kernel || img->n_initrds > KEXEC_MAX_INITRDS)
		return br_fail(-EINVAL, "kexec: no kernel, or more than %d initrds",
			       KEXEC_MAX_INITRDS);
	rc = check_pinned(img, flags);
	if (rc)
		return rc;
	rc = read_head(img->kernel, head, sizeof(head), &n);
	if (rc)
		return rc;
	memset(bz, 0, sizeof(*bz));
	rc = img->type == KEXEC_MULTIBOOT ? check_multiboot(img, head, n, rep)
					  : check_linux(img, head, n, bz, rep);
	if (rc)
		return rc;
	return check_initrds(img, rep);
}

int kexec_load(const struct kexec_image *img, unsigned flags, struct kexec_report *rep)
{
	struct kexec_report local;
	struct kexec_bzimage bz;
	const char *path;
	int ovfd = -1, rc;

	memset(&bz, 0, sizeof(bz));
	if (!rep)
		rep = &local;
	memset(rep, 0, sizeof(*rep));
	rep->dry_run = (flags & KEXEC_DRY_RUN) != 0;
	rc = validate(img, flags, rep, &bz);
	if (rc)
		return rc;
	path = verify_artifact_path(img->kernel);
	if (img->overlay) {
		rc = kexec_overlay_memfd(img->overlay, &ovfd, &rep->overlay_bytes);
		if (rc)
			return rc;
		rep->overlay_entries = kexec_overlay_count(img->overlay);
	}
	rc = check_sizes(img, rep);
	if (rc)
		goto out;
	plan(img, &bz, rep);
	if (rep->dry_run) {
		dry_run_warnings(rep);
		if (strcmp(rep->method, "kexec-tools") == 0 && !rep->tools_path[0])
			rc = no_tools(path, rep);
		goto out;
	}
	/* last line of defence for test suites on a development host */
	if (getenv("BOOTRINO_KEXEC_NO_LOAD")) {
		rc = br_fail(-BR_EKEXEC, "%s: not loaded: BOOTRINO_KEXEC_NO_LOAD is set", path);
		goto out;
	}
	if (img->type == KEXEC_LINUX) {
		rc = load_linux(img, &bz, rep);
	} else if (!rep->tools_path[0]) {
		rc = no_tools(path, rep);
	} else {
		rc = kexec_tools_load(rep->tools_path, img, -1, ovfd);
	}
	if (rc == 0)
		br_debug("kexec: %s loaded (%s%s%s)", path, rep->method, rep->why[0] ? ": " : "",
			 rep->why);
out:
	if (ovfd >= 0)
		close(ovfd);
	return rc;
}
