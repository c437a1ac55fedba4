/* bootrino-state on disk. See agent/slot_store.h. */
#include "agent/slot_store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/err.h"
#include "common/file.h"
#include "common/log.h"

#define PATH_CAP 512

int cli_slot_store_find(const char *below, char *dev, size_t devlen)
{
	char path[PATH_CAP], line[256], found[64] = "";
	struct dirent *d;
	int n = 0;
	DIR *dir = opendir("/sys/class/block");

	if (!dir)
		return br_fail(-ENOENT, "/sys/class/block: %s", strerror(errno));
	while ((d = readdir(dir)) != NULL) {
		FILE *f;
		int match = 0;

		if (d->d_name[0] == '.' || strlen(d->d_name) >= sizeof(found))
			continue;
		/* a partition of `below`: /sys/class/block/<below>/<name> exists */
		if (below) {
			snprintf(path, sizeof(path), "/sys/class/block/%s/%s", below, d->d_name);
			if (access(path, F_OK) != 0)
				continue;
		}
		snprintf(path, sizeof(path), "/sys/class/block/%s/uevent", d->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f))
			if (strcmp(line, "PARTNAME=" CLI_STATE_LABEL "\n") == 0)
				match = 1;
		fclose(f);
		/* the length was checked above */
		if (match && n++ == 0)
			memcpy(found, d->d_name, strlen(d->d_name) + 1);
	}
	closedir(dir);
	if (n == 0)
		return br_fail(-ENOENT, "no partition named %s", CLI_STATE_LABEL);
	if (n > 1)
		return br_fail(-BR_EDISK, "%d partitions are named %s: not guessing which", n,
			       CLI_STATE_LABEL);
	snprintf(dev, devlen, "/dev/%s", found);
	return 0;
}

int cli_slot_store_mount(const char *dev, const char *mnt, int ro)
{
	/* a target may have no /run/bootrino (or no /run) yet */
	(void)mkdir("/run", 0755);
	(void)mkdir("/run/bootrino", 0700);
	(void)mkdir(mnt, 0700);
	if (mount(dev, mnt, "ext4", MS_NOSUID | MS_NODEV | MS_NOEXEC | (ro ? MS_RDONLY : 0),
		  ro ? "noload" : NULL) < 0)
		return br_fail(-BR_EDISK, "mount %s on %s: %s", dev, mnt, strerror(errno));
	return 0;
}

int cli_slot_store_umount(const char *mnt)
{
	sync();
	if (umount(mnt) < 0)
		return br_fail(-BR_EDISK, "umount %s: %s", mnt, strerror(errno));
	return 0;
}

int cli_slot_store_sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return br_fail(-BR_EDISK, "%s: %s", dir, strerror(errno));
	if (fsync(fd) < 0)
		rc = br_fail(-BR_EDISK, "fsync %s: %s", dir, strerror(errno));
	close(fd);
	return rc;
}

int cli_slot_store_put(const char *dir, const char *name, const void *data, size_t len,
		       const char *step)
{
	char dst[PATH_CAP];
	int rc;

	if ((size_t)snprintf(dst, sizeof(dst), "%s/%s", dir, name) >= sizeof(dst))
		return br_fail(-ENAMETOOLONG, "%s/%s: name too long", dir, name);
	rc = br_file_write(dst, data, len, 0600);
	if (rc)
		return br_fail(-BR_EDISK, "%s", br_errmsg(rc));
	if (step && step[0])
		br_log(BR_LOG_INFO, "slot: step %s", step);
	return 0;
}

int cli_slot_store_path(const char *root, int slot, const char *sub, char *out, size_t len)
{
	const char *n = cli_slot_name(slot);

	if (!n)
		return br_fail(-BR_ECONFIG, "no such slot");
	if ((size_t)snprintf(out, len, "%s/%s%s%s", root, n, sub ? "/" : "", sub ? sub : "") >= len)
		return br_fail(-ENAMETOOLONG, "%s: name too long", root);
	return 0;
}

static int read_doc(const char *path, char **buf, size_t *len)
{
	return br_file_read(path, CLI_SLOTS_DOC_MAX, BR_FILE_NOFOLLOW, -BR_ETOOBIG, buf, len);
}

int cli_slot_store_read_state(const char *root, struct cli_slots_state *s)
{
	char path[PATH_CAP], *buf;
	size_t len;
	int rc;

	cli_slots_state_init(s);
	snprintf(path, sizeof(path), "%s/state.json", root);
	if (access(path, F_OK) != 0 && errno == ENOENT)
		return 1;
	rc = read_doc(path, &buf, &len);
	if (rc)
		return rc;
	rc = cli_slots_state_parse(s, buf, len);
	free(buf);
	return rc;
}

int cli_slot_store_write_state(const char *root, const struct cli_slots_state *s)
{
	char *json = cli_slots_state_to_json(s);
	int rc;

	if (!json)
		return -ENOMEM;
	rc = cli_slot_store_put(root, "state.json", json, strlen(json), "state-json-renamed");
	free(json);
	if (!rc)
		br_log(BR_LOG_INFO, "slot: step dir-synced");
	return rc;
}

int cli_slot_store_read_info(const char *root, int slot, struct cli_slot_info *i)
{
	char path[PATH_CAP], *buf;
	size_t len;
	int rc;

	cli_slot_info_init(i);
	rc = cli_slot_store_path(root, slot, "slot.json", path, sizeof(path));
	if (rc)
		return rc;
	if (access(path, F_OK) != 0 && errno == ENOENT)
		return -ENOENT;
	rc = read_doc(path, &buf, &len);
	if (rc)
		return rc;
	rc = cli_slot_info_parse(i, buf, len);
	free(buf);
	return rc;
}

int cli_slot_store_write_info(const char *root, int slot, const struct cli_slot_info *i)
{
	char dir[PATH_CAP], *json = cli_slot_info_to_json(i);
	int rc;

	if (!json)
		return -ENOMEM;
	rc = cli_slot_store_path(root, slot, NULL, dir, sizeof(dir));
	if (!rc)
		(void)mkdir(dir, 0700);
	if (!rc)
		rc = cli_slot_store_put(dir, "slot.json", json, strlen(json), "");
	free(json);
	return rc;
}

/* The files of one directory (a slot holds one level of subdirectory,
 * artifacts/, emptied first by the caller). */
static int wipe_files(const char *dir)
{
	char path[PATH_CAP + 300];
	struct dirent *d;
	DIR *dp = opendir(dir);
	int rc = 0;

	if (!dp)
		return errno == ENOENT ? 0 : br_fail(-BR_EDISK, "%s: %s", dir, strerror(errno));
	while ((d = readdir(dp)) != NULL && !rc) {
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		if (lstat(path, &st) < 0 || S_ISDIR(st.st_mode))
			continue;
		if (unlink(path) < 0)
			rc = br_fail(-BR_EDISK, "%s: %s", path, strerror(errno));
	}
	closedir(dp);
	return rc;
}

int cli_slot_store_wipe(const char *root, int slot)
{
	char dir[PATH_CAP], path[PATH_CAP + 16];
	int rc = cli_slot_store_path(root, slot, NULL, dir, sizeof(dir));

	if (rc)
		return rc;
	(void)mkdir(dir, 0700);
	snprintf(path, sizeof(path), "%s/slot.json", dir);
	if (unlink(path) == 0)
		rc = cli_slot_store_sync_dir(dir);
	snprintf(path, sizeof(path), "%s/artifacts", dir);
	if (!rc)
		rc = wipe_files(path);
	if (!rc)
		rc = wipe_files(dir);
	if (!rc)
		rc = cli_slot_store_sync_dir(dir);
	return rc;
}

int cli_slot_store_confirmed(const char *root, int slot, const char *token)
{
	char path[PATH_CAP], buf[CLI_SLOTS_TOKEN_LEN + 4];
	ssize_t n;
	int fd;

	if (!token || !token[0] || cli_slot_store_path(root, slot, "confirmed", path, sizeof(path)))
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	return strcmp(buf, token) == 0;
}

void cli_slot_store_log(const char *root, const char *fmt, ...)
{
	char dir[PATH_CAP], path[PATH_CAP + 16], old[PATH_CAP + 16], line[1024];
	struct stat st;
	va_list ap;
	int fd, n;
	time_t now = time(NULL);
	struct tm tm;

	snprintf(dir, sizeof(dir), "%s/log", root);
	(void)mkdir(dir, 0700);
	snprintf(path, sizeof(path), "%s/loader.log", dir);
	snprintf(old, sizeof(old), "%s/loader.log.1", dir);
	gmtime_r(&now, &tm);
	n = (int)strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%SZ ", &tm);
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	/* one line per entry, whatever the reason held */
	for (char *c = line; *c; c++)
		if (*c == '\n' || *c == '\r')
			*c = ' ';
	n = (int)strlen(line);
	line[n++] = '\n';
	if (stat(path, &st) == 0 && (size_t)st.st_size + (size_t)n > CLI_STATE_LOG_MAX) {
		if (rename(path, old) == 0)
			(void)cli_slot_store_sync_dir(dir);
	}
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return;
	if (write(fd, line, (size_t)n) == n)
		(void)fsync(fd);
	close(fd);
}

/* Lines of one file appended to a ring of n. */
static void ring_file(const char *path, char **ring, unsigned n, unsigned *total)
{
	char line[1100];
	FILE *f = fopen(path, "re");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		unsigned k = *total % n;

		line[strcspn(line, "\n")] = '\0';
		free(ring[k]);
		ring[k] = strdup(line);
		(*total)++;
	}
	fclose(f);
}

char **cli_slot_store_tail_lines(const char *root, unsigned n, unsigned *count)
{
	char path[PATH_CAP], **ring, **out;
	unsigned total = 0, first, i;

	*count = 0;
	if (!n)
		return NULL;
	ring = calloc(n, sizeof(*ring));
	out = calloc(n, sizeof(*out));
	if (!ring || !out) {
		free(ring);
		free(out);
		return NULL;
	}
	snprintf(path, sizeof(path), "%s/log/loader.log.1", root);
	ring_file(path, ring, n, &total);
	snprintf(path, sizeof(path), "%s/log/loader.log", root);
	ring_file(path, ring, n, &total);
	first = total > n ? total % n : 0;
	for (i = 0; i < n && i < total; i++)
		out[(*count)++] = ring[(first + i) % n];
	free(ring);
	return out;
}

void cli_slot_store_tail(const char *root, unsigned n, FILE *out)
{
	unsigned count, i;
	char **lines = cli_slot_store_tail_lines(root, n, &count);

	for (i = 0; i < count; i++) {
		fprintf(out, "  %s\n", lines[i]);
		free(lines[i]);
	}
	free(lines);
}
