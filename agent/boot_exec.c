/* Plan → fetched, verified artifacts → overlay → kexec. */
#include "agent/boot_exec.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "agent/carry.h"
#include "agent/init.h"
#include "agent/timing.h"
#include "common/err.h"
#include "common/file.h"
#include "common/log.h"
#include "verify/artifact.h"
#include "verify/sha256.h"

struct loaded {
	struct verify_artifact *kernel;
	struct verify_artifact *images[CLI_PLAN_MAX_IMAGES];
	size_t n_images;
	char *filebuf[CLI_PLAN_MAX_FILES]; /* fetched `file @URL` contents */
	size_t filelen[CLI_PLAN_MAX_FILES];
	struct kexec_overlay *ov;
};

/* Where a verified copy may already be: dir (a slot's artifacts/ on
 * bootrino-state), or, with dir NULL, what the host carried. */
static int copy_path(const char *dir, const char *hex, char *path, size_t len)
{
	if (!dir)
		return cli_carry_artifact(hex, path, len);
	if ((size_t)snprintf(path, len, "%s/%s", dir, hex) >= len)
		return -ENOENT;
	return access(path, F_OK) == 0 ? 0 : -ENOENT;
}

/* The loader's first run: the copy the host carried; booted from disk: the
 * slot's copy. Either is re-hashed at the trust choke point like any
 * download. Anything but a match means "fetch it" (carried) or a failure
 * (a slot: nothing is fetched for a slot on disk). */
static int open_carried(const char *dir, const char *url, const uint8_t pin[VERIFY_SHA256_LEN],
			struct verify_artifact **out)
{
	char hex[VERIFY_SHA256_LEN * 2 + 1], path[600];
	int rc;

	verify_sha256_hex(pin, hex);
	if (copy_path(dir, hex, path, sizeof(path)))
		return dir ? br_fail(-BR_EDISK, "%s: not in %s", url, dir) : -ENOENT;
	rc = verify_artifact_open(path, pin, out);
	if (rc == 0) {
		/* the artifact holds its sealed copy: free the RAM of this one
		 * (a slot's copy stays: it is the cache) */
		if (!dir)
			unlink(path);
		br_log(BR_LOG_INFO, "%s: using the copy %s (sha256 checked again)", url,
		       dir ? "on bootrino-state" : "the host verified");
		return 0;
	}
	if (dir)
		return rc;
	br_log(BR_LOG_WARN, "%s: the carried copy is no good (%s); fetching it", url,
	       br_errmsg(rc));
	return -ENOENT;
}

/* A slot being filled: keep the verified bytes (the sealed copy, not the
 * download) as STORE/<sha256>, durably. */
static int store_bytes(const struct cli_exec *e, const char *hex, int fd, const void *buf,
		       size_t len)
{
	char tmp[600], dst[600], chunk[1 << 16];
	ssize_t n;
	off_t off = 0;
	int out, rc = 0;

	if (!e->store_dir)
		return 0;
	snprintf(dst, sizeof(dst), "%s/%s", e->store_dir, hex);
	if (access(dst, F_OK) == 0)
		return 0;
	snprintf(tmp, sizeof(tmp), "%s/.%s.part", e->store_dir, hex);
	out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (out < 0)
		return br_fail(-BR_EDISK, "%s: %s", tmp, strerror(errno));
	if (buf) {
		if (write(out, buf, len) != (ssize_t)len)
			rc = br_fail(-BR_EDISK, "%s: %s", tmp, strerror(errno));
	} else {
		while (!rc && (n = pread(fd, chunk, sizeof(chunk), off)) > 0) {
			if (write(out, chunk, (size_t)n) != n)
				rc = br_fail(-BR_EDISK, "%s: %s", tmp, strerror(errno));
			off += n;
		}
	}
	if (!rc && fsync(out) < 0)
		rc = br_fail(-BR_EDISK, "fsync %s: %s", tmp, strerror(errno));
	close(out);
	if (!rc && rename(tmp, dst) < 0)
		rc = br_fail(-BR_EDISK, "%s: %s", dst, strerror(errno));
	if (rc)
		unlink(tmp);
	return rc;
}

/* Host: keep what was verified for the loader, while it fits the budget. */
static void carry(struct cli_exec *e, const char *url, const char *pinhex, const char *path,
		  const void *buf, size_t len)
{
	uint8_t pin[VERIFY_SHA256_LEN];
	char hex[VERIFY_SHA256_LEN * 2 + 1];
	int rc;

	if (!e->carry_root || !pinhex[0] || verify_sha256_parse(pinhex, pin))
		return;
	verify_sha256_hex(pin, hex);
	rc = path ? cli_carry_add_file(e->carry_root, hex, path, &e->carry_budget)
		  : cli_carry_add_buf(e->carry_root, hex, buf, len, &e->carry_budget);
	if (rc == 1) {
		e->carry_skipped++;
		br_log(BR_LOG_INFO, "%s: too big to hand to the loader in RAM; it fetches it again",
		       url);
	} else if (rc) {
		e->carry_skipped++;
		br_log(BR_LOG_WARN, "%s: not handed to the loader: %s", url, br_errmsg(rc));
	}
}

/* Fetch url (pinned unless the plan is --insecure) to path and open it at
 * the trust choke point: what kexec loads is the bytes that were hashed. */
static int fetch_artifact(struct cli_exec *e, const struct cli_plan_artifact *a, const char *path,
			  struct verify_artifact **out)
{
	uint8_t pin[VERIFY_SHA256_LEN];
	struct fetch_opts o = *e->fetch;
	int rc;

	if (a->sha256[0]) {
		rc = verify_sha256_parse(a->sha256, pin);
		if (rc)
			return br_fail(-BR_ECONFIG, "%s: bad pin", a->url);
		o.sha256 = pin;
		if (e->artifact_dir)
			return open_carried(e->artifact_dir, a->url, pin, out);
		if (e->use_carried && open_carried(NULL, a->url, pin, out) == 0)
			return store_bytes(e, a->sha256, verify_artifact_fd(*out), NULL, 0);
		/* size=N: not one byte more (fewer fails the pin) */
		if (a->size)
			o.max_size = a->size;
	} else if (e->artifact_dir || e->store_dir) {
		return br_fail(-BR_ECONFIG, "%s: a slot keeps pinned artifacts only", a->url);
	} else {
		/* cli_plan_check_bootable() allowed this: --insecure */
		br_log(BR_LOG_WARN, "%s: no sha256 pin, loading it anyway (--insecure)", a->url);
		o.sha256 = NULL;
	}
	if (e->store_dir)
		br_log(BR_LOG_INFO, "slot: step fetch-artifact");
	br_log(BR_LOG_INFO, "fetching %s", a->url);
	rc = fetch_to_file(a->url, path, &o, NULL);
	if (rc)
		return rc;
	rc = a->sha256[0] ? verify_artifact_open(path, pin, out)
			  : verify_artifact_open_unpinned(path, out);
	/* the host's preflight keeps the verified file for the loader (a
	 * link: it outlives the unlink below) */
	if (!rc)
		carry(e, a->url, a->sha256, path, NULL, 0);
	if (!rc && a->sha256[0])
		rc = store_bytes(e, a->sha256, verify_artifact_fd(*out), NULL, 0);
	/* the artifact now holds its own sealed copy: the file is not needed,
	 * and in the loader (/tmp is RAM) it would cost its size twice */
	unlink(path);
	return rc;
}

/* A carried `file PATH @URL` body: read into memory (capped), then hashed
 * there, so the overlay gets the very bytes that matched the pin. */
static int read_carried(const char *dir, const char *url, const uint8_t pin[VERIFY_SHA256_LEN],
			char **buf, size_t *len)
{
	char hex[VERIFY_SHA256_LEN * 2 + 1], path[600];
	uint8_t got[VERIFY_SHA256_LEN];
	struct verify_sha256 *h = NULL;
	int ok = 0;

	verify_sha256_hex(pin, hex);
	if (copy_path(dir, hex, path, sizeof(path)) ||
	    br_file_read(path, CLI_FILE_URL_MAX, BR_FILE_NOFOLLOW, -ENOENT, buf, len))
		return -ENOENT;
	if (verify_sha256_new(&h) == 0) {
		verify_sha256_update(h, *buf, *len);
		verify_sha256_final(h, got);
		verify_sha256_free(h);
		ok = verify_digest_equal(got, pin, VERIFY_SHA256_LEN);
	}
	if (!ok) {
		free(*buf);
		*buf = NULL;
		return -ENOENT;
	}
	br_log(BR_LOG_INFO, "%s: using the copy %s (sha256 checked again)", url,
	       dir ? "on bootrino-state" : "the host verified");
	return 0;
}

static int fetch_file_entry(struct cli_exec *e, const struct cli_plan_file *f, char **buf,
			    size_t *len)
{
	uint8_t pin[VERIFY_SHA256_LEN];
	struct fetch_opts o = *e->fetch;
	struct fetch_result res;
	int rc;

	o.sha256 = NULL;
	if (f->sha256[0]) {
		if (verify_sha256_parse(f->sha256, pin))
			return br_fail(-BR_ECONFIG, "%s: bad pin", f->url);
		o.sha256 = pin;
	}
	if (e->artifact_dir) {
		if (o.sha256 && read_carried(e->artifact_dir, f->url, pin, buf, len) == 0)
			return 0;
		return br_fail(-BR_EHASH, "%s: the copy in %s is missing or does not match", f->url,
			       e->artifact_dir);
	}
	if (o.sha256 && e->use_carried && read_carried(NULL, f->url, pin, buf, len) == 0)
		return store_bytes(e, f->sha256, -1, *buf, *len);
	rc = fetch_to_memory(f->url, CLI_FILE_URL_MAX, &o, buf, len, &res);
	if (rc)
		return rc;
	/* fetch/ checked the pin inline; the overlay holds these very bytes */
	if (o.sha256 && !verify_digest_equal(res.sha256, pin, VERIFY_SHA256_LEN)) {
		free(*buf);
		*buf = NULL;
		return br_fail(-BR_EHASH, "%s: sha256 mismatch", f->url);
	}
	carry(e, f->url, f->sha256, NULL, *buf, *len);
	if (o.sha256)
		return store_bytes(e, f->sha256, -1, *buf, *len);
	return 0;
}

static int add_network(const cJSON *facts, struct kexec_overlay *ov)
{
	static char text[CLI_INIT_MAX_SETTINGS * CLI_INIT_CMD_MAX + 1024];
	size_t len = cli_net_text(facts, text, sizeof(text));

	return len ? kexec_overlay_add(ov, CLI_NET_SETTINGS_PATH, text, len, 0644) : 0;
}

static int build_overlay(const struct cli_exec *e, const struct loaded *l, struct kexec_overlay *ov)
{
	const struct cli_plan *p = e->plan;
	char *facts;
	size_t i;
	int rc = 0;

	if (e->facts) {
		facts = cJSON_Print(e->facts);
		if (!facts)
			return -ENOMEM;
		rc = kexec_overlay_add(ov, CLI_PLAN_FACTS_PATH, facts, strlen(facts), 0644);
		free(facts);
		if (rc)
			return rc;
		/* the same network as plain lines, for targets without a JSON parser */
		rc = add_network(e->facts, ov);
		if (rc)
			return rc;
	}
	if (e->overlay_dir)
		rc = kexec_overlay_add_dir(ov, e->overlay_dir);
	for (i = 0; i < e->n_extra && !rc; i++)
		rc = kexec_overlay_add(ov, e->extra[i].path, e->extra[i].data, e->extra[i].len,
				       e->extra[i].mode);
	for (i = 0; i < p->n_files && !rc; i++) {
		const struct cli_plan_file *f = &p->files[i];

		if (f->url)
			rc = kexec_overlay_add(ov, f->path, l->filebuf[i], l->filelen[i], 0644);
		else
			rc = kexec_overlay_add(ov, f->path, f->content, f->len, 0644);
	}
	return rc;
}

/* With size= on the pins the disk space a plan needs is known before the
 * first byte: refuse now rather than fill the disk half-way (fetch/ also
 * checks each download against its Content-Length). */
static int check_space(const struct cli_exec *e)
{
	const struct cli_plan *p = e->plan;
	unsigned long long need = p->kernel.size, avail;
	struct statvfs vfs;
	size_t i;

	for (i = 0; i < p->n_images; i++)
		need += p->images[i].size;
	if (!need || statvfs(e->workdir, &vfs) < 0)
		return 0;
	avail = (unsigned long long)vfs.f_bavail * vfs.f_frsize;
	if (avail < need)
		return br_fail(-BR_EDISK,
			       "%s: the plan's artifacts need %llu bytes (size=), %llu are free",
			       e->workdir, need, avail);
	return 0;
}

int cli_exec_plan(struct cli_exec *e)
{
	const struct cli_plan *p = e->plan;
	struct kexec_image img;
	struct loaded l;
	char path[400];
	size_t i;
	int rc;

	memset(&l, 0, sizeof(l));
	memset(&e->report, 0, sizeof(e->report));
	rc = cli_plan_check_bootable(p);
	if (rc)
		return rc;
	rc = check_space(e);
	if (rc)
		return rc;
	snprintf(path, sizeof(path), "%s/kernel", e->workdir);
	rc = fetch_artifact(e, &p->kernel, path, &l.kernel);
	if (rc)
		goto out;
	for (i = 0; i < p->n_images; i++) {
		snprintf(path, sizeof(path), "%s/%s%zu", e->workdir,
			 p->kind == CLI_PLAN_LINUX ? "initrd" : "module", i);
		rc = fetch_artifact(e, &p->images[i], path, &l.images[i]);
		if (rc)
			goto out;
		l.n_images++;
	}
	for (i = 0; i < p->n_files; i++) {
		if (!p->files[i].url)
			continue;
		rc = fetch_file_entry(e, &p->files[i], &l.filebuf[i], &l.filelen[i]);
		if (rc)
			goto out;
	}
	cli_timing_mark("artifacts");
	rc = kexec_overlay_new(&l.ov);
	if (rc)
		goto out;
	rc = build_overlay(e, &l, l.ov);
	if (rc)
		goto out;
	memset(&img, 0, sizeof(img));
	img.type = p->kind == CLI_PLAN_LINUX ? KEXEC_LINUX : KEXEC_MULTIBOOT;
	img.kernel = l.kernel;
	for (i = 0; i < l.n_images; i++) {
		img.initrds[i] = l.images[i];
		img.module_args[i] = p->images[i].args;
	}
	img.n_initrds = l.n_images;
	img.cmdline = p->cmdline;
	img.overlay = l.ov;
	/* unpinned artifacts only exist in a plan the parent ran --insecure */
	rc = kexec_load(&img,
			(e->dry_run ? KEXEC_DRY_RUN : 0) | (p->insecure ? KEXEC_ALLOW_UNPINNED : 0),
			&e->report);
	if (!rc)
		cli_timing_mark("kexec load");
	if (!rc && (e->store_dir || e->artifact_dir))
		br_log(BR_LOG_INFO, "slot: step kexec-load");
out:
	for (i = 0; i < CLI_PLAN_MAX_FILES; i++)
		free(l.filebuf[i]);
	if (l.ov)
		kexec_overlay_free(l.ov);
	for (i = 0; i < l.n_images; i++)
		verify_artifact_close(l.images[i]);
	if (l.kernel)
		verify_artifact_close(l.kernel);
	return rc;
}
