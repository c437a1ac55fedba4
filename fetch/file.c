/* file:// sources: read a local file through the same pipe (hash, size
 * limit, temp file) as a download. Done here rather than by libcurl so
 * the static build can keep curl to http/https. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "fetch/url.h"
#include "fetch/xfer.h"

#define FILE_CHUNK (256u << 10)

static void set_outcome(struct fetch_outcome *out, int rc, enum fetch_verdict v)
{
	out->rc = rc;
	out->verdict = v;
}

void fetch_file_attempt(struct fetch_xfer *x, struct fetch_outcome *out)
{
	char path[PATH_MAX];
	unsigned char *buf = NULL;
	struct stat st;
	int fd = -1, rc;

	memset(out, 0, sizeof(*out));
	snprintf(x->res->effective_url, sizeof(x->res->effective_url), "%s", x->url);
	rc = fetch_url_file_path(x->url, path, sizeof(path));
	if (rc) {
		set_outcome(out, rc, FETCH_NEXT_SOURCE);
		return;
	}
	if (x->have > 0) {
		/* a local file is read in one go; never mix two reads */
		rc = fetch_pipe_restart(x->pipe);
		if (rc)
			goto fatal;
		x->have = 0;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 || fstat(fd, &st) < 0) {
		set_outcome(out, br_fail(-BR_EFETCH, "%s: %s", x->url, strerror(errno)),
			    FETCH_NEXT_SOURCE);
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		set_outcome(out, br_fail(-BR_EFETCH, "%s: is a directory", x->url),
			    FETCH_NEXT_SOURCE);
		goto out;
	}
	if (S_ISREG(st.st_mode)) {
		if ((uint64_t)st.st_size > x->max) {
			set_outcome(out,
				    br_fail(-BR_ETOOBIG,
					    "%s: size %" PRIu64 " exceeds the limit of %" PRIu64
					    " bytes",
					    x->url, (uint64_t)st.st_size, x->max),
				    FETCH_FATAL);
			goto out;
		}
		x->total = (uint64_t)st.st_size;
	}
	buf = malloc(FILE_CHUNK);
	if (!buf) {
		rc = -ENOMEM;
		goto fatal;
	}
	for (;;) {
		ssize_t n = read(fd, buf, FILE_CHUNK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			set_outcome(out,
				    br_fail(-BR_EFETCH, "%s: read: %s", x->url, strerror(errno)),
				    FETCH_NEXT_SOURCE);
			goto out;
		}
		if (n == 0)
			break;
		/* counted: a device or a growing file has no trustworthy size */
		if ((uint64_t)n > x->max - x->have) {
			set_outcome(
			    out,
			    br_fail(-BR_ETOOBIG, "%s: more than %" PRIu64 " bytes", x->url, x->max),
			    FETCH_FATAL);
			goto out;
		}
		rc = fetch_pipe_write(x->pipe, buf, (size_t)n);
		if (rc)
			goto fatal;
		x->have += (uint64_t)n;
		fetch_xfer_progress(x, 0);
	}
	set_outcome(out, 0, FETCH_DONE);
	goto out;
fatal:
	set_outcome(out, rc, FETCH_FATAL);
out:
	free(buf);
	if (fd >= 0)
		close(fd);
}
