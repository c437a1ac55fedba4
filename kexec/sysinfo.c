/* What the running system says about kexec: lockdown, systemd, memory.
 * Every function takes a root directory so tests can hand in a fake
 * /proc, /sys and /run. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kexec/internal.h"

/* Read a small text file below root into buf (NUL-terminated). */
static int read_small(const char *root, const char *path, char *buf, size_t len)
{
	char full[4096];
	ssize_t n;
	int fd, rc = 0;

	snprintf(full, sizeof(full), "%s%s", root ? root : "", path);
	fd = open(full, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0)
		rc = -errno;
	else
		buf[n] = '\0';
	close(fd);
	return rc;
}

/* Is securityfs mounted where the lockdown file would be? */
static int securityfs_mounted(const char *root)
{
	char full[4096], *line = NULL;
	size_t cap = 0;
	int found = 0;
	FILE *f;

	snprintf(full, sizeof(full), "%s/proc/self/mounts", root ? root : "");
	f = fopen(full, "re");
	if (!f)
		return 0;
	while (!found && getline(&line, &cap, f) > 0)
		found = strncmp(line, "securityfs /sys/kernel/security ", 32) == 0;
	free(line);
	fclose(f);
	return found;
}

/* Without securityfs mounted (a bare initramfs), the boot command line
 * still tells whether lockdown was asked for. Secure Boot can also turn it
 * on without a parameter: then this says "unknown". */
static int lockdown_from_cmdline(const char *root, char *mode, size_t len)
{
	static const char *const modes[] = {"confidentiality", "integrity"};
	char cmdline[4096];
	size_t i;

	if (read_small(root, "/proc/cmdline", cmdline, sizeof(cmdline)) == 0) {
		for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
			char param[64];
			const char *p;

			snprintf(param, sizeof(param), "lockdown=%s", modes[i]);
			p = strstr(cmdline, param);
			if (p && (p == cmdline || p[-1] == ' ')) {
				if (mode && len)
					snprintf(mode, len, "%s", modes[i]);
				return 1;
			}
		}
	}
	/* securityfs mounted and no lockdown file: no lockdown LSM at all */
	return securityfs_mounted(root) ? 0 : -ENOENT;
}

int kexec_sys_lockdown(const char *root, char *mode, size_t len)
{
	char buf[256];
	const char *open_br, *close_br;
	int rc;

	/* "none integrity [confidentiality]": the bracketed word is active */
	rc = read_small(root, "/sys/kernel/security/lockdown", buf, sizeof(buf));
	if (rc == -ENOENT)
		return lockdown_from_cmdline(root, mode, len);
	if (rc)
		return rc;
	open_br = strchr(buf, '[');
	close_br = open_br ? strchr(open_br, ']') : NULL;
	if (!close_br)
		return -EINVAL;
	if (mode && len)
		snprintf(mode, len, "%.*s", (int)(close_br - open_br - 1), open_br + 1);
	return strncmp(open_br + 1, "none]", 5) != 0;
}

int kexec_sys_systemd_pid1(const char *root)
{
	char full[4096], comm[64];
	struct stat st;

	snprintf(full, sizeof(full), "%s/run/systemd/system", root ? root : "");
	if (stat(full, &st) < 0 || !S_ISDIR(st.st_mode))
		return 0;
	if (read_small(root, "/proc/1/comm", comm, sizeof(comm)))
		return 0;
	return strcmp(comm, "systemd\n") == 0 || strcmp(comm, "systemd") == 0;
}

int kexec_sys_mem_available(const char *root, uint64_t *bytes)
{
	char buf[8192];
	const char *p;
	unsigned long long kib;
	int rc;

	rc = read_small(root, "/proc/meminfo", buf, sizeof(buf));
	if (rc)
		return rc;
	p = strstr(buf, "MemAvailable:");
	if (!p || sscanf(p, "MemAvailable: %llu kB", &kib) != 1)
		return -EINVAL;
	*bytes = (uint64_t)kib * 1024;
	return 0;
}

int kexec_sys_read_long(const char *root, const char *path, long *out)
{
	char buf[64], *end;
	long v;
	int rc;

	rc = read_small(root, path, buf, sizeof(buf));
	if (rc)
		return rc;
	errno = 0;
	v = strtol(buf, &end, 10);
	if (errno || end == buf)
		return -EINVAL;
	*out = v;
	return 0;
}
