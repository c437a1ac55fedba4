/* The install stage: record the root disk on the host, write it from the
 * loader. See agent/install.h and docs/disk.md. */
#include "agent/install.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "agent/carry.h"
#include "agent/cli.h"
#include "agent/doc/config.h"
#include "agent/doc/detail.h"
#include "agent/doc/json.h"
#include "agent/workdir.h"
#include "common/err.h"
#include "common/file.h"
#include "common/log.h"
#include "fetch/fetch.h"
#include "kexec/kexec.h"
#include "verify/artifact.h"

#define IMAGE_MAX (256ull << 20) /* compressed; today's is ~15 MiB */
#define ESP_MNT "/run/bootrino/esp"
#define STATE_MNT "/run/bootrino/state"

static const struct {
	const char *key;
	size_t off;
} id_keys[] = {
    {"name", offsetof(struct disk_identity, name)},
    {"ptuuid", offsetof(struct disk_identity, ptuuid)},
    {"serial", offsetof(struct disk_identity, serial)},
    {"wwid", offsetof(struct disk_identity, wwid)},
    {"eui", offsetof(struct disk_identity, eui)},
    {"nguid", offsetof(struct disk_identity, nguid)},
    {"by_path", offsetof(struct disk_identity, by_path)},
};
#define N_ID_KEYS (sizeof(id_keys) / sizeof(id_keys[0]))

int cli_install_record(const char *image_url, const char *image_sha256, char **json,
		       struct disk_identity *id)
{
	char name[DISK_NAME_MAX];
	cJSON *o, *img, *d;
	int rc;

	*json = NULL;
	rc = disk_root_find(NULL, name, sizeof(name));
	if (!rc)
		rc = disk_identity_read(NULL, name, id);
	if (rc)
		return cli_wrap_detail(rc, "the root disk");
	if (!id->ptuuid[0])
		return br_fail(-BR_EDISK,
			       "the root disk %s has no partition table id to find it "
			       "by after kexec",
			       name);
	o = cJSON_CreateObject();
	img = cJSON_AddObjectToObject(o, "image");
	d = cJSON_AddObjectToObject(o, "disk");
	if (!img || !d || !cJSON_AddStringToObject(img, "url", image_url) ||
	    !cJSON_AddStringToObject(img, "sha256", image_sha256) ||
	    !cJSON_AddNumberToObject(d, "size", (double)id->size) ||
	    !cJSON_AddNumberToObject(d, "sector", id->sector))
		goto nomem;
	for (size_t i = 0; i < N_ID_KEYS; i++) {
		const char *v = (const char *)id + id_keys[i].off;

		if (v[0] && !cJSON_AddStringToObject(d, id_keys[i].key, v))
			goto nomem;
	}
	*json = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return *json ? 0 : -ENOMEM;
nomem:
	cJSON_Delete(o);
	return -ENOMEM;
}

/* The record back, strictly (unknown keys, wrong types: -BR_ECONFIG). */
static int parse_record(const char *text, char *url, size_t ucap, uint8_t pin[VERIFY_SHA256_LEN],
			struct disk_identity *id)
{
	static const char *const top[] = {"image", "disk", NULL};
	static const char *const imgk[] = {"url", "sha256", NULL};
	static const char *const diskk[] = {"name", "size", "sector", "ptuuid",	 "serial",
					    "wwid", "eui",  "nguid",  "by_path", NULL};
	const cJSON *img, *d, *sz;
	const char *s;
	long sector;
	cJSON *root;
	int rc;

	memset(id, 0, sizeof(*id));
	rc = cli_json_parse_object("install", text, strlen(text), 64 << 10, &root);
	if (rc)
		return rc;
	rc = cli_json_check_keys("install", root, top);
	img = cJSON_GetObjectItemCaseSensitive(root, "image");
	d = cJSON_GetObjectItemCaseSensitive(root, "disk");
	if (!rc && (!cJSON_IsObject(img) || !cJSON_IsObject(d)))
		rc = br_fail(-BR_ECONFIG, "install: \"image\" and \"disk\" must be objects");
	if (!rc)
		rc = cli_json_check_keys("install.image", img, imgk);
	if (!rc)
		rc = cli_json_check_keys("install.disk", d, diskk);
	if (!rc)
		rc = cli_json_get_string("install.image", img, "url", 1, FETCH_URL_MAX - 1, 0, &s);
	if (!rc)
		snprintf(url, ucap, "%s", s);
	if (!rc)
		rc = cli_json_get_string("install.image", img, "sha256", 1, 64, 0, &s);
	if (!rc && verify_sha256_parse(s, pin))
		rc = br_fail(-BR_ECONFIG, "install.image: sha256 must be 64 hex digits");
	sz = cJSON_GetObjectItemCaseSensitive(d, "size");
	if (!rc && (!cJSON_IsNumber(sz) || sz->valuedouble < 1 || sz->valuedouble > 1e15))
		rc = br_fail(-BR_ECONFIG, "install.disk: \"size\" must be a byte count");
	if (!rc)
		id->size = (uint64_t)sz->valuedouble;
	if (!rc)
		rc = cli_json_get_int("install.disk", d, "sector", 512, 4096, &sector);
	if (!rc)
		id->sector = (uint32_t)sector;
	for (size_t i = 0; !rc && i < N_ID_KEYS; i++) {
		rc = cli_json_get_string("install.disk", d, id_keys[i].key, 0, DISK_ID_MAX - 1, 0,
					 &s);
		if (!rc && s)
			snprintf((char *)id + id_keys[i].off, DISK_ID_MAX, "%s", s);
	}
	if (!rc && !id->ptuuid[0])
		rc = br_fail(-BR_ECONFIG, "install.disk: no \"ptuuid\"");
	cJSON_Delete(root);
	return rc;
}

/* dir/name ← data, durably (br_file_write: temp, fsync, rename, fsync of
 * the directory); a failure is the disk's */
static int put_file(const char *dir, const char *name, const void *data, size_t len)
{
	char dst[512];
	int rc;

	if ((size_t)snprintf(dst, sizeof(dst), "%s/%s", dir, name) >= sizeof(dst))
		return br_fail(-BR_EDISK, "%s/%s: name too long", dir, name);
	rc = br_file_write(dst, data, len, 0600);
	return rc ? br_fail(-BR_EDISK, "%s", br_errmsg(rc)) : 0;
}

/* Mount partition partno of disk, put one file in subdir, unmount. opts:
 * vfat's defaults name the kernel's default iocharset (Debian: "ascii",
 * nls_ascii, which the loader does not ship): ask for the ones it does
 * (images/loader/build.sh: nls_cp437, nls_iso8859-1). */
static int put_on_partition(const char *disk, unsigned partno, const char *fstype, const char *opts,
			    const char *mnt, const char *subdir, const char *name, const void *data,
			    size_t len)
{
	char dev[128], dir[256];
	int rc;

	rc = disk_partition_path(NULL, disk, partno, 5000, dev, sizeof(dev));
	if (rc)
		return rc;
	(void)mkdir("/run/bootrino", 0700);
	(void)mkdir(mnt, 0700);
	if (mount(dev, mnt, fstype, MS_NOSUID | MS_NODEV | MS_NOEXEC, opts) < 0)
		return br_fail(-BR_EDISK, "mount %s (%s%s%s) on %s: %s", dev, fstype,
			       opts ? ", " : "", opts ? opts : "", mnt, strerror(errno));
	snprintf(dir, sizeof(dir), "%s/%s", mnt, subdir);
	(void)mkdir(dir, 0700);
	rc = put_file(dir, name, data, len);
	if (umount(mnt) < 0 && !rc)
		rc = br_fail(-BR_EDISK, "umount %s: %s", mnt, strerror(errno));
	return rc;
}

/* The machine's config (what takeover carried, minus the install
 * record) where the loader booted from disk finds it: a cpio on the ESP
 * the boot loaders hand over as a second initrd, and config.json on
 * bootrino-state (for issue 9's loader). */
static int put_config(const char *disk, const struct cli_config *cfg)
{
	struct cli_config c = *cfg;
	struct kexec_overlay *ov = NULL;
	uint64_t size = 0;
	char *json, *cpio = NULL;
	int fd = -1, rc;

	c.install = NULL;
	json = cli_config_to_json(&c);
	if (!json)
		return -ENOMEM;
	rc = kexec_overlay_new(&ov);
	if (!rc)
		rc = kexec_overlay_add(ov, "/etc/bootrino/config.json", json, strlen(json), 0600);
	if (!rc)
		rc = kexec_overlay_memfd(ov, &fd, &size);
	if (!rc) {
		cpio = malloc(size ? size : 1);
		if (!cpio || pread(fd, cpio, size, 0) != (ssize_t)size)
			rc = br_fail(-EIO, "config cpio: %s", strerror(errno));
	}
	if (!rc)
		rc = put_on_partition(disk, 1, "vfat", "codepage=437,iocharset=iso8859-1", ESP_MNT,
				      "bootrino", "config.cpio", cpio, size);
	if (!rc)
		rc = put_on_partition(disk, 2, "ext4", NULL, STATE_MNT, ".", "config.json", json,
				      strlen(json));
	if (fd >= 0)
		close(fd);
	kexec_overlay_free(ov);
	free(cpio);
	free(json);
	return rc;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The image the host fetched and verified before the kexec
 * (agent/takeover_loader.c), re-hashed here at the trust choke point like
 * a download; unlinked either way (the artifact keeps its sealed copy, a
 * bad one is fetched instead). 0, or -ENOENT: fetch it. */
static int open_carried(const uint8_t pin[VERIFY_SHA256_LEN], struct verify_artifact **img)
{
	char hex[VERIFY_SHA256_LEN * 2 + 1], path[400];
	int rc;

	verify_sha256_hex(pin, hex);
	if (cli_carry_artifact(hex, path, sizeof(path)))
		return -ENOENT;
	rc = verify_artifact_open(path, pin, img);
	unlink(path);
	if (rc) {
		br_log(BR_LOG_WARN,
		       "install: the boot-disk image the host handed over is no good "
		       "(%s); fetching it",
		       br_errmsg(rc));
		br_errclear();
		return -ENOENT;
	}
	br_log(BR_LOG_INFO, "install: using the boot-disk image the host verified (sha256 "
			    "checked again)");
	return 0;
}

#define FROM_RAM "; nothing more is written, the target boots from RAM"

int cli_install_run(struct cli_boot_args *a)
{
	char url[FETCH_URL_MAX], name[DISK_NAME_MAX], desc[512], dev[128], workdir[256] = "";
	char path[300];
	uint8_t pin[VERIFY_SHA256_LEN];
	struct disk_identity rec;
	struct disk_write_report rep;
	struct disk_write_opts wo = {0};
	struct verify_artifact *img = NULL;
	struct fetch_opts fo = a->fetch;
	double t0 = now_s();
	int fd = -1, rc;

	br_errclear();
	rc = parse_record(a->cfg.install, url, sizeof(url), pin, &rec);
	if (rc)
		goto fail;
	/* found again by identity: names change across kexec */
	rc = disk_find(NULL, &rec, name, sizeof(name));
	if (rc)
		goto fail;
	snprintf(dev, sizeof(dev), "/dev/%s", name);
	disk_identity_format(&rec, desc, sizeof(desc));
	br_log(BR_LOG_INFO, "install: the root disk %s is %s now", desc, dev);
	/* nothing is written before the image is verified: fetch/ renames it
	 * into place only after its digest matched, and verify_artifact_open
	 * (the trust choke point) hashes it again from the fd we will read */
	rc = cli_workdir_new(workdir, sizeof(workdir));
	if (rc)
		goto fail;
	if (open_carried(pin, &img) != 0) {
		snprintf(path, sizeof(path), "%s/bootdisk.img.zst", workdir);
		fo.sha256 = pin;
		fo.max_size = IMAGE_MAX;
		br_log(BR_LOG_INFO, "install: fetching %s", url);
		rc = fetch_to_file(url, path, &fo, NULL);
		if (!rc)
			rc = verify_artifact_open(path, pin, &img);
		if (rc)
			goto fail;
	}
	fd = open(dev, O_RDWR | O_EXCL | O_CLOEXEC);
	if (fd < 0) {
		rc = br_fail(-BR_EDISK, "%s: %s", dev, strerror(errno));
		goto fail;
	}
	br_log(BR_LOG_INFO, "install: writing %s", dev);
	rc = disk_write_image(img, fd, dev, &wo, &rep);
	close(fd);
	fd = -1;
	if (rc) {
		char why[512];

		snprintf(why, sizeof(why), "%s", br_errdetail());
		rc = br_fail(rc, "%s (step %s)", why, rep.step);
		goto fail;
	}
	/* the image itself is no longer needed: free the RAM before the target */
	verify_artifact_close(img);
	img = NULL;
	cli_workdir_remove(workdir);
	rc = put_config(name, &a->cfg);
	if (rc)
		goto fail;
	br_log(BR_LOG_INFO,
	       "install: %s %s in %.1f s: %llu MiB written, %llu MiB zeroed, %llu MiB "
	       "verified; bootrino-data %llu MiB%s",
	       rep.updated ? "updated" : "installed bootrino on", dev, now_s() - t0,
	       (unsigned long long)(rep.written >> 20), (unsigned long long)(rep.zeroed >> 20),
	       (unsigned long long)(rep.verified >> 20),
	       (unsigned long long)(rep.layout.part[DISK_PART_DATA].size >> 20),
	       rep.updated ? " (kept)" : " (new)");
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	verify_artifact_close(img);
	cli_workdir_remove(workdir);
	{
		/* an errno from the disk (EIO, ENOSPC…) is a disk failure */
		int code = cli_exitcode(rc, BR_EXIT_DISK);

		br_log(BR_LOG_ERROR, "install: %s" FROM_RAM " (exit %d)",
		       br_errdetail()[0] ? br_errdetail() : br_strerror(rc), code);
		return code;
	}
}
