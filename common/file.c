/* The bounded file reader. See common/file.h. */
#include "common/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"

int br_file_read_fd(int fd, const char *name, size_t cap, unsigned flags, int rc_bad, char **buf,
		    size_t *len)
{
	struct stat st;
	size_t got = 0, alloc;
	char *b, *nb;
	ssize_t n;

	*buf = NULL;
	*len = 0;
	if (fstat(fd, &st) < 0)
		return br_fail(-errno, "%s: %s", name, strerror(errno));
	if (!(flags & BR_FILE_ANY) && !S_ISREG(st.st_mode))
		return br_fail(rc_bad, "%s: not a regular file", name);
	if (cap > ((size_t)-1) / 2)
		return br_fail(-EINVAL, "%s: cap too large", name);
	/* the size is a hint for the first allocation, never a bound */
	alloc = S_ISREG(st.st_mode) && st.st_size > 0 && (size_t)st.st_size <= cap
		    ? (size_t)st.st_size + 2
		    : (cap < 4096 ? cap + 2 : 4096);
	b = malloc(alloc);
	if (!b)
		return -ENOMEM;
	for (;;) {
		if (got + 1 == alloc) {
			/* room for one byte past the cap and the NUL */
			size_t want = alloc * 2 < cap + 2 ? alloc * 2 : cap + 2;

			nb = realloc(b, want);
			if (!nb) {
				free(b);
				return -ENOMEM;
			}
			b = nb;
			alloc = want;
		}
		n = read(fd, b + got, alloc - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			free(b);
			return br_fail(-e, "%s: %s", name, strerror(e));
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got > cap) {
			free(b);
			return br_fail(rc_bad, "%s: larger than %zu bytes", name, cap);
		}
	}
	b[got] = '\0';
	*buf = b;
	*len = got;
	return 0;
}

int br_file_read(const char *path, size_t cap, unsigned flags, int rc_bad, char **buf, size_t *len)
{
	int fd, rc;

	*buf = NULL;
	*len = 0;
	fd = open(path,
		  O_RDONLY | O_CLOEXEC | O_NOCTTY | (flags & BR_FILE_NOFOLLOW ? O_NOFOLLOW : 0));
	if (fd < 0)
		return br_fail(-errno, "%s: %s", path, strerror(errno));
	rc = br_file_read_fd(fd, path, cap, flags, rc_bad, buf, len);
	close(fd);
	return rc;
}

/* fsync the directory holding path: what makes a rename durable */
static int sync_parent(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int fd, rc = 0;

	if (!slash)
		dir = strdup(".");
	else if (slash == path)
		dir = strdup("/");
	else
		dir = strndup(path, (size_t)(slash - path));
	if (!dir)
		return -ENOMEM;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0)
		rc = br_fail(-errno, "%s: %s", dir, strerror(errno));
	if (fd >= 0)
		close(fd);
	free(dir);
	return rc;
}

int br_file_write(const char *path, const void *data, size_t len, unsigned mode)
{
	const char *p = data;
	char *tmp;
	ssize_t n;
	int fd, rc = 0;

	if (asprintf(&tmp, "%s.tmp.XXXXXX", path) < 0)
		return -ENOMEM;
	fd = mkostemp(tmp, O_CLOEXEC); /* O_EXCL, 0600: nobody else's file */
	if (fd < 0) {
		rc = br_fail(-errno, "%s: %s", tmp, strerror(errno));
		free(tmp);
		return rc;
	}
	while (len && !rc) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
		} else {
			p += n;
			len -= (size_t)n;
		}
	}
	/* mkostemp made it 0600; FAT (the ESP) refuses a chmod it cannot
	 * represent, so change the mode only when asked for another */
	if (!rc && mode != 0600 && fchmod(fd, (mode_t)mode) < 0)
		rc = -errno;
	if (!rc && fsync(fd) < 0)
		rc = -errno;
	if (close(fd) < 0 && !rc)
		rc = -errno;
	if (!rc && rename(tmp, path) < 0)
		rc = -errno;
	if (rc) {
		unlink(tmp);
		rc = br_fail(rc, "%s: %s", path, strerror(-rc));
	}
	free(tmp);
	return rc ? rc : sync_parent(path);
}
