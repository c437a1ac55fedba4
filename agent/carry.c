/* The host → loader handover. See agent/carry.h. */
#include "agent/carry.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/file.h"
#include "common/log.h"

#define URL_MAX 4096

/* mkdir -p below an existing base */
static int mkdirs(char *path)
{
	for (char *c = path + 1; *c; c++) {
		if (*c != '/')
			continue;
		*c = '\0';
		if (mkdir(path, 0700) < 0 && errno != EEXIST) {
			int e = errno;

			*c = '/';
			return br_fail(-e, "%s: %s", path, strerror(e));
		}
		*c = '/';
	}
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return br_fail(-errno, "%s: %s", path, strerror(errno));
	return 0;
}

int cli_carry_begin(const char *workdir, const char *url, const char *script, size_t len,
		    const char *sig, size_t siglen, char *root, size_t rootlen)
{
	char dir[512], path[600];
	int rc;

	if ((size_t)snprintf(root, rootlen, "%s/carry", workdir) >= rootlen ||
	    (size_t)snprintf(dir, sizeof(dir), "%s%s/sha256", root, CLI_CARRY_DIR) >= sizeof(dir))
		return br_fail(-ENAMETOOLONG, "%s: work directory name too long", workdir);
	rc = mkdirs(dir);
	if (rc)
		return rc;
	snprintf(path, sizeof(path), "%s%s/url", root, CLI_CARRY_DIR);
	rc = br_file_write(path, url, strlen(url), 0600);
	if (!rc) {
		snprintf(path, sizeof(path), "%s%s/bootrino.sh", root, CLI_CARRY_DIR);
		rc = br_file_write(path, script, len, 0600);
	}
	if (!rc) {
		snprintf(path, sizeof(path), "%s%s/bootrino.sh.minisig", root, CLI_CARRY_DIR);
		rc = br_file_write(path, sig, siglen, 0600);
	}
	return rc;
}

static int valid_hex(const char *hex)
{
	size_t i;

	for (i = 0; hex[i]; i++)
		if (!((hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f')))
			return 0;
	return i == 64;
}

static int carry_path(const char *root, const char *hex, char *path, size_t len)
{
	if (!valid_hex(hex))
		return br_fail(-BR_ECONFIG, "carry: not a sha256: %.70s", hex);
	if ((size_t)snprintf(path, len, "%s%s/sha256/%s", root, CLI_CARRY_DIR, hex) >= len)
		return br_fail(-ENAMETOOLONG, "carry: path too long");
	return 0;
}

int cli_carry_add_file(const char *root, const char *hex, const char *path,
		       unsigned long long *budget)
{
	char dst[600];
	struct stat st;
	int rc = carry_path(root, hex, dst, sizeof(dst));

	if (rc)
		return rc;
	if (access(dst, F_OK) == 0)
		return 0; /* the same bytes, named twice in the plan */
	if (stat(path, &st) < 0)
		return br_fail(-errno, "%s: %s", path, strerror(errno));
	if ((unsigned long long)st.st_size > *budget)
		return 1;
	/* the work directory's files: same filesystem, no copy */
	if (link(path, dst) < 0)
		return br_fail(-errno, "%s: %s", dst, strerror(errno));
	*budget -= (unsigned long long)st.st_size;
	return 0;
}

int cli_carry_add_buf(const char *root, const char *hex, const void *buf, size_t len,
		      unsigned long long *budget)
{
	char dst[600];
	int rc = carry_path(root, hex, dst, sizeof(dst));

	if (rc)
		return rc;
	if (access(dst, F_OK) == 0)
		return 0;
	if (len > *budget)
		return 1;
	rc = br_file_write(dst, buf, len, 0600);
	if (!rc)
		*budget -= len;
	return rc;
}

unsigned long long cli_carry_used(const char *root)
{
	char dir[600], path[900];
	unsigned long long sum = 0;
	struct dirent *d;
	struct stat st;
	DIR *dp;

	if ((size_t)snprintf(dir, sizeof(dir), "%s%s/sha256", root, CLI_CARRY_DIR) >= sizeof(dir))
		return 0;
	dp = opendir(dir);
	if (!dp)
		return 0;
	while ((d = readdir(dp)) != NULL) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		if (lstat(path, &st) == 0 && S_ISREG(st.st_mode))
			sum += (unsigned long long)st.st_size;
	}
	closedir(dp);
	return sum;
}

unsigned long long cli_carry_budget(void)
{
	unsigned long long kb = 0, avail;
	char line[128];
	FILE *f = fopen("/proc/meminfo", "re");

	if (f) {
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
				break;
		fclose(f);
	}
	avail = kb * 1024 / CLI_CARRY_MEM_SHARE;
	return avail < CLI_CARRY_MAX_BYTES ? avail : CLI_CARRY_MAX_BYTES;
}

int cli_carry_script(const char *url, char *spath, size_t spathlen, char *sigpath,
		     size_t sigpathlen)
{
	char carried[URL_MAX];
	ssize_t n;
	int fd;

	fd = open(CLI_CARRY_DIR "/url", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -ENOENT;
	n = read(fd, carried, sizeof(carried) - 1);
	close(fd);
	if (n <= 0)
		return -ENOENT;
	carried[n] = '\0';
	/* a script for another URL (the command line changed it) is not ours */
	if (strcmp(carried, url) != 0) {
		br_log(BR_LOG_INFO, "carried script is for %s, not %s: fetching", carried, url);
		return -ENOENT;
	}
	snprintf(spath, spathlen, "%s/bootrino.sh", CLI_CARRY_DIR);
	snprintf(sigpath, sigpathlen, "%s/bootrino.sh.minisig", CLI_CARRY_DIR);
	return access(spath, F_OK) == 0 ? 0 : -ENOENT;
}

void cli_carry_consume(void)
{
	unlink(CLI_CARRY_DIR "/url");
	unlink(CLI_CARRY_DIR "/bootrino.sh");
	unlink(CLI_CARRY_DIR "/bootrino.sh.minisig");
}

int cli_carry_script_present(void)
{
	return access(CLI_CARRY_DIR "/bootrino.sh", F_OK) == 0;
}

int cli_carry_artifact(const char *hex, char *path, size_t pathlen)
{
	if (!valid_hex(hex))
		return -ENOENT;
	snprintf(path, pathlen, "%s/sha256/%s", CLI_CARRY_DIR, hex);
	return access(path, F_OK) == 0 ? 0 : -ENOENT;
}
