/* Kernel modules for the loader: the images recipe writes the list, in
 * load order with dependencies first, so no modules.dep walk is needed
 * here (contract with images/: docs/stages.md). */
#include "agent/init.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"

#ifndef MODULE_INIT_COMPRESSED_FILE
#define MODULE_INIT_COMPRESSED_FILE 4 /* Linux 6.4+: the kernel decompresses */
#endif

int cli_init_module_line(char *line, const char **path)
{
	char *end;

	line[strcspn(line, "#\r\n")] = '\0';
	while (*line == ' ' || *line == '\t')
		line++;
	end = line + strlen(line);
	while (end > line && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	if (!*line)
		return 0;
	if (line[0] == '/' || strstr(line, "..") || strchr(line, ' '))
		return br_fail(-BR_ECONFIG, "%.64s: module paths are relative, without '..'", line);
	*path = line;
	return 1;
}

static int load_one(int dirfd, const char *path)
{
	const char *ext = strrchr(path, '.');
	int fd, flags = 0, rc = 0;

	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ext && (strcmp(ext, ".xz") == 0 || strcmp(ext, ".zst") == 0 || strcmp(ext, ".gz") == 0))
		flags = MODULE_INIT_COMPRESSED_FILE;
	if (syscall(SYS_finit_module, fd, "", flags) < 0 && errno != EEXIST)
		rc = -errno;
	close(fd);
	return rc;
}

int cli_init_modules(const char *dir)
{
	char list[512], line[512];
	struct utsname u;
	const char *path = NULL;
	int dirfd, loaded = 0, rc;
	FILE *f;

	if (!dir) {
		if (uname(&u) < 0)
			return 0;
		snprintf(list, sizeof(list), "/lib/modules/%s", u.release);
		dir = list;
	}
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		br_log(BR_LOG_WARN, "init: %s: %s (no modules loaded)", dir, strerror(errno));
		return 0;
	}
	rc = openat(dirfd, CLI_INIT_MODULES_LIST, O_RDONLY | O_CLOEXEC);
	f = rc >= 0 ? fdopen(rc, "r") : NULL;
	if (!f) {
		br_log(BR_LOG_WARN, "init: %s/%s: %s (no modules loaded)", dir,
		       CLI_INIT_MODULES_LIST, strerror(errno));
		if (rc >= 0)
			close(rc);
		close(dirfd);
		return 0;
	}
	while (fgets(line, sizeof(line), f)) {
		rc = cli_init_module_line(line, &path);
		if (rc < 0)
			br_log(BR_LOG_WARN, "init: %s", br_errmsg(rc));
		if (rc <= 0 || !path)
			continue;
		rc = load_one(dirfd, path);
		if (rc)
			br_log(BR_LOG_WARN, "init: module %s: %s", path, strerror(-rc));
		else
			loaded++;
	}
	fclose(f);
	close(dirfd);
	return loaded;
}
