/* Several initrds and the overlay joined into one: kexec takes a single
 * initrd, and the kernel's unpacker walks concatenated archives
 * (compressed or not) as long as each starts 4-byte aligned. The bytes
 * live in a sealed memfd, so nothing is written to disk and nobody can
 * change them between the copy and the load. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "kexec/internal.h"

int kexec_memfd_new(const char *name, int *fd_out)
{
	int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (fd < 0) {
		int err = errno;

		br_fail(-err, "memfd_create: %s", strerror(err));
		return -err;
	}
	*fd_out = fd;
	return 0;
}

int kexec_memfd_seal(int *fd)
{
	char proc[64];
	int ro;

	if (fcntl(*fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
		return br_fail(-errno, "sealing the joined initrd: %s", strerror(errno));
	/* The kernel reads kexec files with deny_write_access(): our own
	 * O_RDWR memfd descriptor would count as a writer (ETXTBSY). Reopen
	 * read-only and drop the writable one; without /proc keep it. */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", *fd);
	ro = open(proc, O_RDONLY | O_CLOEXEC);
	if (ro < 0) {
		br_debug("kexec: cannot reopen memfd read-only (%s); keeping it", strerror(errno));
		return lseek(*fd, 0, SEEK_SET) < 0 ? -errno : 0;
	}
	close(*fd);
	*fd = ro;
	return 0;
}

#define COPY_CHUNK (1 << 17)

static int copy_rw(int dst_fd, int src_fd, uint64_t off, uint64_t len)
{
	char *buf = malloc(COPY_CHUNK);
	int rc = 0;

	if (!buf)
		return -ENOMEM;
	while (len && !rc) {
		size_t chunk = len < COPY_CHUNK ? (size_t)len : COPY_CHUNK;
		ssize_t n = pread(src_fd, buf, chunk, (off_t)off);
		ssize_t w;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? -errno : -EIO; /* EIO: shorter than verified */
			break;
		}
		for (w = 0; w < n && !rc;) {
			ssize_t k = write(dst_fd, buf + w, (size_t)(n - w));

			if (k < 0 && errno != EINTR)
				rc = -errno;
			else if (k > 0)
				w += k;
		}
		off += (uint64_t)n;
		len -= (uint64_t)n;
	}
	free(buf);
	return rc;
}

int kexec_copy_fd(int dst_fd, int src_fd, uint64_t len)
{
	off_t off = 0;

	/* sendfile with an offset pointer leaves src_fd's offset alone */
	while ((uint64_t)off < len) {
		uint64_t left = len - (uint64_t)off;
		ssize_t n =
		    sendfile(dst_fd, src_fd, &off, left < (1u << 30) ? (size_t)left : 1u << 30);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EINVAL || errno == ENOSYS) && off == 0)
			return copy_rw(dst_fd, src_fd, 0, len);
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
	}
	return 0;
}

int kexec_pad4(int fd, uint64_t *size)
{
	static const char zeros[4];
	size_t pad = (4 - (*size & 3)) & 3;

	if (pad && write(fd, zeros, pad) != (ssize_t)pad)
		return -EIO;
	*size += pad;
	return 0;
}

int kexec_initrd_join(const struct verify_artifact *const *initrds, size_t n,
		      const struct kexec_overlay *ov, int *fd_out, uint64_t *size_out)
{
	uint64_t size = 0;
	size_t i;
	int fd = -1, rc;

	rc = kexec_memfd_new("bootrino-initrd", &fd);
	if (rc)
		return rc;
	for (i = 0; i < n; i++) {
		uint64_t len = verify_artifact_size(initrds[i]);
		int afd = verify_artifact_fd(initrds[i]);

		if (afd < 0) {
			rc = afd;
			goto err;
		}
		rc = kexec_copy_fd(fd, afd, len);
		if (rc) {
			br_fail(rc, "%s: copying into the joined initrd: %s",
				verify_artifact_path(initrds[i]), strerror(-rc));
			goto err;
		}
		size += len;
		rc = kexec_pad4(fd, &size);
		if (rc)
			goto err;
	}
	if (ov) {
		rc = kexec_overlay_append(ov, fd, &size);
		if (rc)
			goto err;
	}
	/* what was copied is what was verified: identity still holds */
	for (i = 0; i < n; i++) {
		int afd = verify_artifact_fd(initrds[i]);

		if (afd < 0) {
			rc = afd;
			goto err;
		}
	}
	rc = kexec_memfd_seal(&fd);
	if (rc)
		goto err;
	*fd_out = fd;
	*size_out = size;
	return 0;
err:
	close(fd);
	return rc;
}
