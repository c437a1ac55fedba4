#include "verify/artifact.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"

#define ARTIFACT_MAGIC 0x62727661u /* "brva": catches a forged or freed struct */
#define ARTIFACT_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

struct verify_artifact {
	uint32_t magic;
	int fd;
	int pinned;
	int sealed; /* fd is a sealed memfd holding the hashed bytes */
	struct stat st;
	uint8_t digest[VERIFY_SHA256_LEN];
	char *path;
};

static int same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

static int write_all(int fd, const unsigned char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Hash fd; when copy >= 0, write every byte hashed to it as well (the
 * sealed memfd that kexec/ then loads: the bytes hashed, not a re-read). */
static int hash_fd(int fd, int copy, uint8_t digest[VERIFY_SHA256_LEN])
{
	struct verify_sha256 *ctx = NULL;
	unsigned char *buf;
	off_t off = 0;
	int rc;

	buf = malloc(1 << 17);
	if (!buf)
		return -ENOMEM;
	rc = verify_sha256_new(&ctx);
	if (rc)
		goto out_buf;
	for (;;) {
		/* pread: the fd's offset stays where the consumer expects it */
		ssize_t n = pread(fd, buf, 1 << 17, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			goto out_ctx;
		}
		if (n == 0)
			break;
		verify_sha256_update(ctx, buf, (size_t)n);
		if (copy >= 0) {
			rc = write_all(copy, buf, (size_t)n);
			if (rc)
				goto out_ctx;
		}
		off += n;
	}
	verify_sha256_final(ctx, digest);
out_ctx:
	verify_sha256_free(ctx);
out_buf:
	free(buf);
	return rc;
}

static int artifact_open(const char *path, const uint8_t *pin, struct verify_artifact **out)
{
	struct verify_artifact *a;
	struct stat after;
	int rc, mfd = -1;

	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->path = strdup(path);
	if (!a->path) {
		rc = -ENOMEM;
		goto err_path;
	}
	a->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (a->fd < 0) {
		rc = br_fail(-errno, "%s: %s", path, strerror(errno));
		goto err_open;
	}
	if (fstat(a->fd, &a->st) < 0) {
		rc = -errno;
		goto err_stat;
	}
	if (!S_ISREG(a->st.st_mode)) {
		rc = br_fail(-BR_EMALFORMED, "%s: not a regular file", path);
		goto err_stat;
	}
	/* The bytes are copied into a memfd while they are hashed, and the
	 * memfd is sealed: what kexec/ loads is what was hashed, whatever
	 * happens to the file afterwards (same size, mtime put back: the
	 * identity check alone would not see it). Costs the artifact's size
	 * in RAM (shmem) while it is open; see docs/kexec.md. */
	mfd = memfd_create("bootrino-artifact", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (mfd < 0)
		br_debug("%s: memfd_create: %s: loading from the file", path, strerror(errno));
	rc = hash_fd(a->fd, mfd, a->digest);
	if (rc) {
		br_fail(rc, "%s: read failed: %s", path, strerror(-rc));
		goto err_mfd;
	}
	if (fstat(a->fd, &after) < 0 || !same_file(&a->st, &after)) {
		rc = br_fail(-BR_EHASH, "%s: file changed while it was hashed", path);
		goto err_mfd;
	}
	if (mfd >= 0) {
		if (fcntl(mfd, F_ADD_SEALS, ARTIFACT_SEALS) < 0 || fstat(mfd, &after) < 0 ||
		    after.st_size != a->st.st_size) {
			rc = br_fail(-BR_EHASH, "%s: cannot seal its copy: %s", path,
				     strerror(errno));
			goto err_mfd;
		}
		/* hand out a read-only descriptor of the copy: nobody writes
		 * through it by mistake (a refused write would still touch
		 * the mtime) */
		{
			char self[32];
			int ro;

			snprintf(self, sizeof(self), "/proc/self/fd/%d", mfd);
			ro = open(self, O_RDONLY | O_CLOEXEC);
			if (ro >= 0) {
				close(mfd);
				mfd = ro;
			}
		}
		if (fstat(mfd, &after) < 0) {
			rc = br_fail(-errno, "%s: %s", path, strerror(errno));
			goto err_mfd;
		}
		close(a->fd);
		a->fd = mfd;
		a->st = after;
		a->sealed = 1;
		mfd = -1;
	}
	if (pin && !verify_digest_equal(pin, a->digest, VERIFY_SHA256_LEN)) {
		char want[VERIFY_SHA256_HEXLEN + 1], got[VERIFY_SHA256_HEXLEN + 1];

		verify_sha256_hex(pin, want);
		verify_sha256_hex(a->digest, got);
		rc =
		    br_fail(-BR_EHASH, "%s: sha256 mismatch: expected %s, got %s", path, want, got);
		goto err_mfd;
	}
	a->pinned = pin != NULL;
	a->magic = ARTIFACT_MAGIC;
	*out = a;
	return 0;

err_mfd:
	if (mfd >= 0)
		close(mfd);
err_stat:
	close(a->fd);
err_open:
	free(a->path);
err_path:
	free(a);
	return rc;
}

int verify_artifact_open(const char *path, const uint8_t digest[VERIFY_SHA256_LEN],
			 struct verify_artifact **out)
{
	if (!digest)
		return br_fail(-BR_EINSECURE, "%s: no sha256 pin", path);
	return artifact_open(path, digest, out);
}

int verify_artifact_open_unpinned(const char *path, struct verify_artifact **out)
{
	return artifact_open(path, NULL, out);
}

int verify_artifact_fd(const struct verify_artifact *a)
{
	struct stat now;

	if (!a || a->magic != ARTIFACT_MAGIC)
		return br_fail(-BR_EHASH, "artifact was not verified");
	if (a->sealed) {
		/* the seals are the guarantee: no write, no resize, ever */
		if ((fcntl(a->fd, F_GET_SEALS) & ARTIFACT_SEALS) != ARTIFACT_SEALS ||
		    fstat(a->fd, &now) < 0 || now.st_size != a->st.st_size)
			return br_fail(-BR_EHASH, "%s: its sealed copy is not sealed", a->path);
		return a->fd;
	}
	if (fstat(a->fd, &now) < 0 || !same_file(&a->st, &now))
		return br_fail(-BR_EHASH, "%s: changed after verification", a->path);
	return a->fd;
}

const char *verify_artifact_path(const struct verify_artifact *a)
{
	return a->path;
}

uint64_t verify_artifact_size(const struct verify_artifact *a)
{
	return (uint64_t)a->st.st_size;
}

const uint8_t *verify_artifact_digest(const struct verify_artifact *a)
{
	return a->digest;
}

int verify_artifact_pinned(const struct verify_artifact *a)
{
	return a->pinned;
}

void verify_artifact_close(struct verify_artifact *a)
{
	if (!a)
		return;
	a->magic = 0;
	close(a->fd);
	free(a->path);
	free(a);
}
