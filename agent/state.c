/* Anti-rollback state: small decimal files (the newest accepted signature
 * timestamp, the boot count) in the stage's state directory. */
#include "agent/state.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/file.h"

int cli_state_read_u64(const char *dir, const char *name, uint64_t *out)
{
	char path[512], buf[32], *end;
	ssize_t n;
	int fd;

	*out = 0;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : br_fail(-errno, "%s: %s", path, strerror(errno));
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return br_fail(-BR_ECONFIG, "%s: empty or unreadable", path);
	buf[n] = '\0';
	errno = 0;
	*out = strtoull(buf, &end, 10);
	if (errno || end == buf || (*end && *end != '\n'))
		return br_fail(-BR_ECONFIG, "%s: not a number", path);
	return 0;
}

/* mkdir -p: the loader has no /var/lib to start with */
static int mkdir_p(const char *dir)
{
	char buf[512], *c;

	if (snprintf(buf, sizeof(buf), "%s", dir) >= (int)sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (c = buf + 1; *c; c++) {
		if (*c != '/')
			continue;
		*c = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -1;
		*c = '/';
	}
	return mkdir(buf, 0700) < 0 && errno != EEXIST ? -1 : 0;
}

int cli_state_write_u64(const char *dir, const char *name, uint64_t v)
{
	char path[512], buf[32];
	int len;

	if (mkdir_p(dir) < 0)
		return br_fail(-errno, "%s: %s", dir, strerror(errno));
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	len = snprintf(buf, sizeof(buf), "%" PRIu64 "\n", v);
	return br_file_write(path, buf, (size_t)len, 0600);
}
