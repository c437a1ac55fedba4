/* File and memory sinks. */
#include "fetch/sink.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"

static int file_write(void *ctx, const void *data, size_t len)
{
	struct fetch_file_sink *s = ctx;
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(s->fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return br_fail(-errno, "%s: write: %s", s->device ? s->path : s->tmp,
				       strerror(errno));
		p += n;
		len -= (size_t)n;
		s->dirty = 1;
	}
	return 0;
}

static int file_truncate(void *ctx)
{
	struct fetch_file_sink *s = ctx;

	if (s->device) {
		/* A character device cannot take bytes back: starting over
		 * would write the start of the file a second time after them. */
		if (!s->dirty)
			return 0;
		return br_fail(-ESPIPE, "%s: cannot restart a download already written to a device",
			       s->path);
	}

	if (ftruncate(s->fd, 0) < 0 || lseek(s->fd, 0, SEEK_SET) < 0)
		return br_fail(-errno, "%s: truncate: %s", s->tmp, strerror(errno));
	return 0;
}

/* dirname()/basename() may modify their argument: work on copies. */
static int split_path(const char *path, char **dir, char **base)
{
	char *a = strdup(path), *b = strdup(path);
	int rc = -ENOMEM;

	if (!a || !b)
		goto out;
	*dir = strdup(dirname(a));
	*base = strdup(basename(b));
	if (!*dir || !*base) {
		free(*dir);
		free(*base);
		goto out;
	}
	rc = 0;
out:
	free(a);
	free(b);
	return rc;
}

int fetch_file_sink_open(const char *path, struct fetch_file_sink *s, struct fetch_sink *out)
{
	char *dir = NULL, *base = NULL;
	struct stat st;
	int rc;

	s->fd = -1;
	s->tmp = NULL;
	s->path = path;
	s->device = 0;
	s->dirty = 0;
	out->write = file_write;
	out->truncate = file_truncate;
	out->ctx = s;
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		/* /dev/null and the like: nothing to replace atomically, and a
		 * rename over them would be a disaster. Other kinds refused. */
		if (!S_ISCHR(st.st_mode))
			return br_fail(-EINVAL, "%s: exists and is not a regular file", path);
		s->fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
		if (s->fd < 0)
			return br_fail(-errno, "%s: %s", path, strerror(errno));
		s->device = 1;
		return 0;
	}
	rc = split_path(path, &dir, &base);
	if (rc)
		return rc;
	if (strcmp(base, "/") == 0 || strcmp(base, ".") == 0 || strcmp(base, "..") == 0) {
		rc = br_fail(-EISDIR, "%s: not a file name", path);
		goto out;
	}
	/* Hidden and in the same directory, so rename() is atomic and a
	 * crash leaves only an obviously temporary name behind. */
	if (asprintf(&s->tmp, "%s/.%s.bootrino-XXXXXX", dir, base) < 0) {
		s->tmp = NULL;
		rc = -ENOMEM;
		goto out;
	}
	s->fd = mkostemp(s->tmp, O_CLOEXEC); /* O_CREAT|O_EXCL, 0600 */
	if (s->fd < 0) {
		rc = br_fail(-errno, "%s: cannot create a temp file in %s: %s", path, dir,
			     strerror(errno));
		free(s->tmp);
		s->tmp = NULL;
		goto out;
	}
	rc = 0;
out:
	free(dir);
	free(base);
	return rc;
}

int fetch_file_sink_commit(struct fetch_file_sink *s)
{
	char *dir = NULL, *base = NULL;
	mode_t mask;
	int dfd, rc;

	if (s->device)
		return 0;
	if (fsync(s->fd) < 0)
		return br_fail(-errno, "%s: fsync: %s", s->tmp, strerror(errno));
	/* What a plain `curl -o` would create: 0666 less the umask. */
	mask = umask(022);
	umask(mask);
	if (fchmod(s->fd, 0666 & ~mask) < 0)
		return br_fail(-errno, "%s: chmod: %s", s->tmp, strerror(errno));
	if (rename(s->tmp, s->path) < 0)
		return br_fail(-errno, "%s: rename: %s", s->path, strerror(errno));
	free(s->tmp);
	s->tmp = NULL;
	/* the rename itself must survive a power cut too */
	rc = split_path(s->path, &dir, &base);
	if (rc)
		return rc;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		if (fsync(dfd) < 0)
			br_debug("fsync %s: %s", dir, strerror(errno));
		close(dfd);
	}
	free(dir);
	free(base);
	return 0;
}

void fetch_file_sink_close(struct fetch_file_sink *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	if (s->tmp) {
		if (unlink(s->tmp) < 0)
			br_debug("unlink %s: %s", s->tmp, strerror(errno));
		free(s->tmp);
		s->tmp = NULL;
	}
}

static int mem_write(void *ctx, const void *data, size_t len)
{
	struct fetch_mem_sink *m = ctx;

	if (len > m->limit - m->len)
		return -BR_ETOOBIG; /* the caller counts first; belt and braces */
	if (m->len + len + 1 > m->alloc) {
		size_t n = m->alloc ? m->alloc : 4096;
		char *p;

		while (n < m->len + len + 1)
			n = n > m->limit / 2 ? m->limit + 1 : n * 2;
		p = realloc(m->buf, n);
		if (!p)
			return -ENOMEM;
		m->buf = p;
		m->alloc = n;
	}
	memcpy(m->buf + m->len, data, len);
	m->len += len;
	m->buf[m->len] = '\0';
	return 0;
}

static int mem_truncate(void *ctx)
{
	struct fetch_mem_sink *m = ctx;

	m->len = 0;
	if (m->buf)
		m->buf[0] = '\0';
	return 0;
}

void fetch_mem_sink_init(struct fetch_mem_sink *m, size_t limit, struct fetch_sink *out)
{
	memset(m, 0, sizeof(*m));
	m->limit = limit;
	out->write = mem_write;
	out->truncate = mem_truncate;
	out->ctx = m;
}

void fetch_mem_sink_free(struct fetch_mem_sink *m)
{
	free(m->buf);
	m->buf = NULL;
	m->len = m->alloc = 0;
}
