/* The initramfs overlay: a newc cpio (the only cpio flavour the kernel
 * unpacks) written with libarchive and appended after the last initrd, so
 * files land in the target's rootfs on top of its own initramfs.
 *
 * The archive is deterministic (sorted names, mtime 0, uid/gid 0,
 * sequential inode numbers, nlink 1 for files so the kernel never links
 * two files together), so the same inputs give the same bytes. */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/file.h"
#include "common/log.h"
#include "kexec/internal.h"

#define OVERLAY_MAX_BYTES (1ULL << 30) /* content held in RAM until kexec */
#define OVERLAY_MAX_ENTRIES 65536
#define OVERLAY_MAX_DEPTH 32
#define OVERLAY_PATH_MAX 4096

enum ov_type { OV_FILE, OV_DIR, OV_SYMLINK };

struct ov_entry {
	char *path; /* normalised, without the leading '/' */
	enum ov_type type;
	unsigned mode;
	void *data; /* file content or symlink target */
	size_t len;
};

struct kexec_overlay {
	struct ov_entry *v;
	size_t n, cap;
	uint64_t bytes;
};

int kexec_overlay_new(struct kexec_overlay **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

void kexec_overlay_free(struct kexec_overlay *ov)
{
	size_t i;

	if (!ov)
		return;
	for (i = 0; i < ov->n; i++) {
		free(ov->v[i].path);
		free(ov->v[i].data);
	}
	free(ov->v);
	free(ov);
}

size_t kexec_overlay_count(const struct kexec_overlay *ov)
{
	return ov ? ov->n : 0;
}

/* "/etc//bootrino/x" -> "etc/bootrino/x"; refuses relative paths, "." and
 * ".." (an overlay entry must never name anything outside the target's
 * rootfs, nor depend on how the unpacker resolves dots). */
static int normalise(const char *path, char *out, size_t len)
{
	const char *p = path;
	size_t o = 0;

	if (!path || path[0] != '/')
		return br_fail(-BR_ECONFIG, "overlay: %s: not an absolute path",
			       path ? path : "(null)");
	while (*p) {
		const char *start;
		size_t clen;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		start = p;
		while (*p && *p != '/')
			p++;
		clen = (size_t)(p - start);
		if ((clen == 1 && start[0] == '.') ||
		    (clen == 2 && start[0] == '.' && start[1] == '.'))
			return br_fail(-BR_ECONFIG, "overlay: %s: \".\" and \"..\" are not allowed",
				       path);
		if (clen > 255 || o + clen + 2 > len)
			return br_fail(-BR_ECONFIG, "overlay: %s: path too long", path);
		if (o)
			out[o++] = '/';
		memcpy(out + o, start, clen);
		o += clen;
	}
	if (!o)
		return br_fail(-BR_ECONFIG, "overlay: %s: names no file", path);
	out[o] = '\0';
	return 0;
}

static struct ov_entry *find(struct kexec_overlay *ov, const char *path)
{
	size_t i;

	for (i = 0; i < ov->n; i++)
		if (strcmp(ov->v[i].path, path) == 0)
			return &ov->v[i];
	return NULL;
}

static int append(struct kexec_overlay *ov, const char *path, enum ov_type type, unsigned mode,
		  struct ov_entry **out)
{
	struct ov_entry *e;

	if (ov->n >= OVERLAY_MAX_ENTRIES)
		return br_fail(-BR_ECONFIG, "overlay: more than %d entries", OVERLAY_MAX_ENTRIES);
	if (ov->n == ov->cap) {
		size_t cap = ov->cap ? ov->cap * 2 : 16;
		struct ov_entry *v = realloc(ov->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		ov->v = v;
		ov->cap = cap;
	}
	e = &ov->v[ov->n];
	memset(e, 0, sizeof(*e));
	e->path = strdup(path);
	if (!e->path)
		return -ENOMEM;
	e->type = type;
	e->mode = mode & 07777;
	ov->n++;
	*out = e;
	return 0;
}

/* Directories the target expects to be world-writable keep that mode when
 * they are only implied (the unpacker applies the mode of every directory
 * entry to the existing directory). */
static unsigned implied_dir_mode(const char *path)
{
	return strcmp(path, "tmp") == 0 || strcmp(path, "var/tmp") == 0 ? 01777 : 0755;
}

/* Make sure every parent of norm is a directory entry. */
static int add_parents(struct kexec_overlay *ov, const char *norm, const char *orig)
{
	char parent[OVERLAY_PATH_MAX];
	const char *slash = norm;
	struct ov_entry *e;
	int rc;

	while ((slash = strchr(slash, '/'))) {
		size_t plen = (size_t)(slash - norm);

		memcpy(parent, norm, plen);
		parent[plen] = '\0';
		slash++;
		e = find(ov, parent);
		if (e && e->type != OV_DIR)
			return br_fail(-BR_ECONFIG, "overlay: %s: /%s is not a directory", orig,
				       parent);
		if (!e) {
			rc = append(ov, parent, OV_DIR, implied_dir_mode(parent), &e);
			if (rc)
				return rc;
		}
	}
	return 0;
}

/* Add or replace an entry; takes ownership of data (malloc'ed or NULL). */
static int add_entry(struct kexec_overlay *ov, const char *path, enum ov_type type, unsigned mode,
		     void *data, size_t len)
{
	char norm[OVERLAY_PATH_MAX];
	struct ov_entry *e;
	int rc;

	rc = normalise(path, norm, sizeof(norm));
	if (rc)
		goto err;
	if (ov->bytes + len > OVERLAY_MAX_BYTES) {
		rc = br_fail(-BR_ECONFIG, "overlay: %s: overlay larger than %llu MiB", path,
			     OVERLAY_MAX_BYTES >> 20);
		goto err;
	}
	rc = add_parents(ov, norm, path);
	if (rc)
		goto err;
	e = find(ov, norm);
	if (e && (e->type == OV_DIR) != (type == OV_DIR)) {
		rc = br_fail(-BR_ECONFIG, "overlay: %s: both a directory and a file", path);
		goto err;
	}
	if (!e) {
		rc = append(ov, norm, type, mode, &e);
		if (rc || !e) {
			rc = rc ? rc : -ENOMEM;
			goto err;
		}
	}
	/* the same path again: the later content wins */
	ov->bytes -= e->len;
	free(e->data);
	e->type = type;
	e->mode = mode & 07777;
	e->data = data;
	e->len = len;
	ov->bytes += len;
	return 0;
err:
	free(data);
	return rc;
}

int kexec_overlay_add(struct kexec_overlay *ov, const char *path, const void *data, size_t len,
		      unsigned mode)
{
	void *copy = NULL;

	if (len) {
		if (len > OVERLAY_MAX_BYTES)
			return br_fail(-BR_ECONFIG, "overlay: %s: larger than %llu MiB", path,
				       OVERLAY_MAX_BYTES >> 20);
		copy = malloc(len);
		if (!copy)
			return -ENOMEM;
		memcpy(copy, data, len);
	}
	return add_entry(ov, path, OV_FILE, mode, copy, len);
}

static int add_host_file(struct kexec_overlay *ov, int dfd, const char *name, const char *inside,
			 const char *host)
{
	char *data, why[BR_ERR_DETAIL_MAX];
	struct stat st;
	size_t len;
	int fd, rc;

	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return br_fail(-BR_ECONFIG, "overlay: %s: %s", host, strerror(errno));
	if (fstat(fd, &st) < 0) {
		rc = br_fail(-BR_ECONFIG, "overlay: %s: %s", host, strerror(errno));
		goto out;
	}
	/* the cap is what is left of the overlay's budget */
	rc = br_file_read_fd(fd, host, OVERLAY_MAX_BYTES - ov->bytes, 0, -BR_ECONFIG, &data, &len);
	if (rc) {
		snprintf(why, sizeof(why), "%s", br_errmsg(rc));
		rc = br_fail(-BR_ECONFIG, "overlay: %s", why);
		goto out;
	}
	rc = add_entry(ov, inside, OV_FILE, st.st_mode, data, len);
out:
	close(fd);
	return rc;
}

static int add_host_symlink(struct kexec_overlay *ov, int dfd, const char *name, const char *inside,
			    const char *host)
{
	char target[OVERLAY_PATH_MAX];
	char *copy;
	ssize_t n;

	n = readlinkat(dfd, name, target, sizeof(target));
	if (n < 0 || (size_t)n >= sizeof(target))
		return br_fail(-BR_ECONFIG, "overlay: %s: unreadable symlink", host);
	copy = strndup(target, (size_t)n);
	if (!copy)
		return -ENOMEM;
	return add_entry(ov, inside, OV_SYMLINK, 0777, copy, (size_t)n);
}

/* Recursion is bounded by OVERLAY_MAX_DEPTH. */
// NOLINTNEXTLINE(misc-no-recursion)
static int walk(struct kexec_overlay *ov, int dfd, const char *inside, const char *host, int depth)
{
	struct dirent *de;
	DIR *d;
	int rc = 0;

	if (depth > OVERLAY_MAX_DEPTH)
		return br_fail(-BR_ECONFIG, "overlay: %s: nested too deep", host);
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return br_fail(-BR_ECONFIG, "overlay: %s: %s", host, strerror(errno));
	}
	while (!rc && (de = readdir(d))) {
		char sub_inside[OVERLAY_PATH_MAX], sub_host[OVERLAY_PATH_MAX];
		struct stat st;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if ((size_t)snprintf(sub_inside, sizeof(sub_inside), "%s/%s", inside, de->d_name) >=
			sizeof(sub_inside) ||
		    (size_t)snprintf(sub_host, sizeof(sub_host), "%s/%s", host, de->d_name) >=
			sizeof(sub_host)) {
			rc =
			    br_fail(-BR_ECONFIG, "overlay: %s/%s: path too long", host, de->d_name);
			break;
		}
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			rc = br_fail(-BR_ECONFIG, "overlay: %s: %s", sub_host, strerror(errno));
		} else if (S_ISREG(st.st_mode)) {
			rc = add_host_file(ov, dirfd(d), de->d_name, sub_inside, sub_host);
		} else if (S_ISLNK(st.st_mode)) {
			rc = add_host_symlink(ov, dirfd(d), de->d_name, sub_inside, sub_host);
		} else if (S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd(d), de->d_name,
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			if (sub < 0) {
				rc = br_fail(-BR_ECONFIG, "overlay: %s: %s", sub_host,
					     strerror(errno));
				break;
			}
			rc = add_entry(ov, sub_inside, OV_DIR, st.st_mode, NULL, 0);
			if (rc)
				close(sub);
			else
				rc = walk(ov, sub, sub_inside, sub_host, depth + 1);
		} else {
			rc = br_fail(-BR_ECONFIG,
				     "overlay: %s: not a regular file, directory or symlink",
				     sub_host);
		}
	}
	closedir(d);
	return rc;
}

int kexec_overlay_add_dir(struct kexec_overlay *ov, const char *dir)
{
	int dfd;

	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return br_fail(-BR_ECONFIG, "overlay: %s: %s", dir, strerror(errno));
	br_debug("overlay: adding %s as /", dir);
	/* inside paths start with "" so that children come out as "/name" */
	return walk(ov, dfd, "", dir, 0);
}

static int by_path(const void *a, const void *b)
{
	const struct ov_entry *x = a, *y = b;

	return strcmp(x->path, y->path);
}

static int write_entry(struct archive *a, struct archive_entry *ae, const struct ov_entry *e,
		       unsigned ino)
{
	archive_entry_clear(ae);
	archive_entry_copy_pathname(ae, e->path);
	archive_entry_set_uid(ae, 0);
	archive_entry_set_gid(ae, 0);
	archive_entry_set_mtime(ae, 0, 0);
	archive_entry_set_ino(ae, ino);
	archive_entry_set_perm(ae, e->mode);
	switch (e->type) {
	case OV_DIR:
		archive_entry_set_filetype(ae, AE_IFDIR);
		archive_entry_set_nlink(ae, 2);
		archive_entry_set_size(ae, 0);
		break;
	case OV_SYMLINK:
		archive_entry_set_filetype(ae, AE_IFLNK);
		archive_entry_set_nlink(ae, 1);
		/* the writer stores the target as the body; it still wants a size */
		archive_entry_set_size(ae, 0);
		archive_entry_copy_symlink(ae, e->data);
		break;
	case OV_FILE:
		archive_entry_set_filetype(ae, AE_IFREG);
		archive_entry_set_nlink(ae, 1);
		archive_entry_set_size(ae, (la_int64_t)e->len);
		break;
	}
	if (archive_write_header(a, ae) < ARCHIVE_WARN)
		return -EIO;
	if (e->type == OV_FILE && e->len &&
	    archive_write_data(a, e->data, e->len) != (la_ssize_t)e->len)
		return -EIO;
	return 0;
}

/* Write the archive at fd's current offset. */
int kexec_overlay_write(const struct kexec_overlay *ov, int fd)
{
	struct ov_entry *sorted; /* shallow copies: ov stays as the caller built it */
	struct archive_entry *ae = NULL;
	struct archive *a;
	size_t i;
	int rc = 0;

	sorted = calloc(ov->n ? ov->n : 1, sizeof(*sorted));
	if (!sorted)
		return -ENOMEM;
	if (ov->n)
		memcpy(sorted, ov->v, ov->n * sizeof(*sorted));
	/* a parent's name is a prefix of its children's: it sorts first */
	qsort(sorted, ov->n, sizeof(*sorted), by_path);

	a = archive_write_new();
	ae = archive_entry_new();
	if (!a || !ae) {
		rc = -ENOMEM;
		goto out;
	}
	if (archive_write_set_format_cpio_newc(a) != ARCHIVE_OK ||
	    archive_write_add_filter_none(a) != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(a, 65536) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
	    archive_write_open_fd(a, fd) != ARCHIVE_OK) {
		rc = -EIO;
		goto out_err;
	}
	for (i = 0; i < ov->n && !rc; i++)
		rc = write_entry(a, ae, &sorted[i], (unsigned)i + 1);
	if (rc)
		goto out_err;
	if (archive_write_close(a) != ARCHIVE_OK) {
		rc = -EIO;
		goto out_err;
	}
	goto out;
out_err:
	br_fail(rc, "overlay: writing the cpio failed: %s",
		archive_error_string(a) ? archive_error_string(a) : strerror(-rc));
out:
	archive_entry_free(ae);
	archive_write_free(a);
	free(sorted);
	return rc;
}

int kexec_overlay_append(const struct kexec_overlay *ov, int fd, uint64_t *size)
{
	struct stat st;
	int rc;

	rc = kexec_overlay_write(ov, fd);
	if (rc)
		return rc;
	if (fstat(fd, &st) < 0)
		return -errno;
	*size = (uint64_t)st.st_size;
	return kexec_pad4(fd, size);
}

int kexec_overlay_memfd(const struct kexec_overlay *ov, int *fd_out, uint64_t *size_out)
{
	/* an initrd of no pieces but the overlay: the same sealed memfd */
	return kexec_initrd_join(NULL, 0, ov, fd_out, size_out);
}
