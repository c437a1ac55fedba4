/* Which disk: the one under `/`, its identity, and finding it again after
 * kexec. See disk/disk.h. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "disk/disk.h"

static const char *env_sysfs(const struct disk_env *e)
{
	return e && e->sysfs ? e->sysfs : "/sys";
}

static const char *env_devdir(const struct disk_env *e)
{
	return e && e->devdir ? e->devdir : "/dev";
}

/* A small sysfs attribute, trimmed of surrounding whitespace; "" when the
 * file is missing (not an error: most disks lack most identifiers). */
static void read_attr(const char *path, char *out, size_t cap)
{
	char buf[512];
	size_t s = 0, e;
	ssize_t n;
	int fd;

	out[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	e = (size_t)n;
	while (s < e && isspace((unsigned char)buf[s]))
		s++;
	while (e > s && isspace((unsigned char)buf[e - 1]))
		e--;
	/* identifiers are printable ASCII; anything else is not comparable */
	for (size_t i = s; i < e; i++)
		if (!isprint((unsigned char)buf[i]))
			return;
	if (e - s >= cap)
		e = s + cap - 1;
	memcpy(out, buf + s, e - s);
	out[e - s] = '\0';
}

int disk_root_find(const struct disk_env *env, char *name, size_t cap)
{
	const char *mi = env && env->mountinfo ? env->mountinfo : "/proc/self/mountinfo";
	char line[4096], path[PATH_MAX], link[PATH_MAX], dev[32] = "";
	const char *base;
	unsigned maj, min;
	FILE *f;
	ssize_t n;
	int hops;

	f = fopen(mi, "re");
	if (!f)
		return br_fail(-errno, "%s: %s", mi, strerror(errno));
	/* the last mount on / wins: it is the one the system sees */
	while (fgets(line, sizeof(line), f)) {
		char mnt[PATH_MAX];

		if (sscanf(line, "%*u %*u %u:%u %*s %4095s", &maj, &min, mnt) == 3 &&
		    strcmp(mnt, "/") == 0)
			snprintf(dev, sizeof(dev), "%u:%u", maj, min);
	}
	fclose(f);
	if (!dev[0])
		return br_fail(-BR_EDISK, "%s: nothing mounted on /", mi);
	snprintf(path, sizeof(path), "%s/dev/block/%s", env_sysfs(env), dev);
	for (hops = 0; hops < 8; hops++) {
		char slaves[PATH_MAX + 16], part[PATH_MAX + 16], slave[256] = "";
		struct dirent *d;
		DIR *dir;
		int nslaves = 0;

		n = readlink(path, link, sizeof(link) - 1);
		if (n < 0)
			return br_fail(-BR_EDISK,
				       "/ is on device %s, which is not a block device "
				       "in %s/dev/block (%s)",
				       dev, env_sysfs(env), strerror(errno));
		link[n] = '\0';
		base = strrchr(link, '/');
		base = base ? base + 1 : link;
		snprintf(part, sizeof(part), "%s/partition", path);
		if (access(part, F_OK) == 0) {
			/* a partition: its parent directory is the whole disk */
			char *slash;

			slash = strrchr(link, '/');
			if (!slash)
				break;
			*slash = '\0';
			base = strrchr(link, '/');
			base = base ? base + 1 : link;
			if (snprintf(name, cap, "%s", base) >= (int)cap)
				return br_fail(-BR_EDISK, "%s: name too long", base);
			return 0;
		}
		/* device-mapper (LVM, crypt): follow a single slave down */
		snprintf(slaves, sizeof(slaves), "%s/slaves", path);
		dir = opendir(slaves);
		if (!dir) {
			if (snprintf(name, cap, "%s", base) >= (int)cap)
				return br_fail(-BR_EDISK, "%s: name too long", base);
			return 0;
		}
		while ((d = readdir(dir)) != NULL) {
			if (d->d_name[0] == '.')
				continue;
			nslaves++;
			snprintf(slave, sizeof(slave), "%s", d->d_name);
		}
		closedir(dir);
		if (nslaves == 0) {
			if (snprintf(name, cap, "%s", base) >= (int)cap)
				return br_fail(-BR_EDISK, "%s: name too long", base);
			return 0;
		}
		if (nslaves > 1)
			return br_fail(-BR_EDISK,
				       "/ is on %s, which spans %d devices: not one disk", base,
				       nslaves);
		if (snprintf(path, sizeof(path), "%s/class/block/%s", env_sysfs(env), slave) >=
		    (int)sizeof(path))
			break;
	}
	return br_fail(-BR_EDISK, "/ (device %s): cannot find its whole disk in sysfs", dev);
}

static void hexguid(const uint8_t *g, char *out, size_t cap)
{
	/* the first three fields are little-endian on disk */
	snprintf(out, cap, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 g[3], g[2], g[1], g[0], g[5], g[4], g[7], g[6], g[8], g[9], g[10], g[11], g[12],
		 g[13], g[14], g[15]);
}

int disk_ptuuid_read(int fd, uint32_t sector, char *out, size_t cap)
{
	uint8_t buf[8192];
	ssize_t n;

	out[0] = '\0';
	if (sector != 512 && sector != 4096)
		return br_fail(-BR_EDISK, "sector size %u: not 512 or 4096", sector);
	n = pread(fd, buf, (size_t)sector * 2, 0);
	if (n < 0)
		return br_fail(-errno, "read: %s", strerror(errno));
	if ((size_t)n < (size_t)sector * 2)
		return 0;
	if (memcmp(buf + sector, "EFI PART", 8) == 0) {
		hexguid(buf + sector + 56, out, cap);
		return 0;
	}
	if (buf[510] == 0x55 && buf[511] == 0xaa) {
		uint32_t sig = (uint32_t)buf[440] | (uint32_t)buf[441] << 8 |
			       (uint32_t)buf[442] << 16 | (uint32_t)buf[443] << 24;
		if (sig)
			snprintf(out, cap, "0x%08x", sig);
	}
	return 0;
}

/* "pci-0000:00:04.0" from the device's place in the sysfs tree: the last
 * PCI function on the path (what udev's by-path starts with). */
static void by_path(const char *sysdisk, char *out, size_t cap)
{
	char real[PATH_MAX], *seg, *save = NULL;
	const char *pci = NULL;

	out[0] = '\0';
	if (!realpath(sysdisk, real))
		return;
	for (seg = strtok_r(real, "/", &save); seg; seg = strtok_r(NULL, "/", &save)) {
		unsigned a, b, c, d;
		char tail;

		if (sscanf(seg, "%4x:%2x:%2x.%1x%c", &a, &b, &c, &d, &tail) == 4)
			pci = seg;
	}
	if (pci)
		snprintf(out, cap, "pci-%s", pci);
}

int disk_identity_read(const struct disk_env *env, const char *name, struct disk_identity *id)
{
	char base[PATH_MAX], p[PATH_MAX + 64], v[DISK_ID_MAX];
	unsigned long long sectors;
	int fd, rc;

	memset(id, 0, sizeof(*id));
	if (!name[0] || strchr(name, '/') || strlen(name) >= sizeof(id->name))
		return br_fail(-BR_EDISK, "'%s': not a disk name", name);
	snprintf(id->name, sizeof(id->name), "%s", name);
	snprintf(base, sizeof(base), "%s/class/block/%s", env_sysfs(env), name);
	snprintf(p, sizeof(p), "%s/size", base);
	read_attr(p, v, sizeof(v));
	if (!v[0] || sscanf(v, "%llu", &sectors) != 1)
		return br_fail(-BR_EDISK, "%s: no size in sysfs", name);
	id->size = (uint64_t)sectors * 512; /* sysfs counts 512-byte units */
	snprintf(p, sizeof(p), "%s/queue/logical_block_size", base);
	read_attr(p, v, sizeof(v));
	id->sector = v[0] ? (uint32_t)strtoul(v, NULL, 10) : 512;
	/* virtio-blk: block/serial; nvme, scsi: device/serial; nvme
	 * namespaces carry wwid, eui and nguid themselves */
	snprintf(p, sizeof(p), "%s/serial", base);
	read_attr(p, id->serial, sizeof(id->serial));
	if (!id->serial[0]) {
		snprintf(p, sizeof(p), "%s/device/serial", base);
		read_attr(p, id->serial, sizeof(id->serial));
	}
	snprintf(p, sizeof(p), "%s/wwid", base);
	read_attr(p, id->wwid, sizeof(id->wwid));
	if (!id->wwid[0]) {
		snprintf(p, sizeof(p), "%s/device/wwid", base);
		read_attr(p, id->wwid, sizeof(id->wwid));
	}
	snprintf(p, sizeof(p), "%s/eui", base);
	read_attr(p, id->eui, sizeof(id->eui));
	snprintf(p, sizeof(p), "%s/nguid", base);
	read_attr(p, id->nguid, sizeof(id->nguid));
	snprintf(p, sizeof(p), "%s/device", base);
	by_path(p, id->by_path, sizeof(id->by_path));

	snprintf(p, sizeof(p), "%s/%s", env_devdir(env), name);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return br_fail(-BR_EDISK, "%s: %s", p, strerror(errno));
	rc = disk_ptuuid_read(fd, id->sector, id->ptuuid, sizeof(id->ptuuid));
	close(fd);
	if (rc) {
		char why[256];

		snprintf(why, sizeof(why), "%s", br_errdetail());
		return br_fail(rc, "%s: partition table: %s", p, why);
	}
	return 0;
}

static int same(const char *rec, const char *cand)
{
	return !rec[0] || strcmp(rec, cand) == 0;
}

int disk_identity_match(const struct disk_identity *r, const struct disk_identity *c)
{
	return r->size == c->size && strcmp(r->ptuuid, c->ptuuid) == 0 &&
	       same(r->serial, c->serial) && same(r->wwid, c->wwid) && same(r->eui, c->eui) &&
	       same(r->nguid, c->nguid);
}

/* Whole disks worth looking at: a device behind them (not loop, ram, zram,
 * dm: those have no "device" link) and not a partition. */
static int is_candidate(const struct disk_env *env, const char *name)
{
	char p[PATH_MAX];

	if (name[0] == '.')
		return 0;
	snprintf(p, sizeof(p), "%s/class/block/%s/partition", env_sysfs(env), name);
	if (access(p, F_OK) == 0)
		return 0;
	snprintf(p, sizeof(p), "%s/class/block/%s/device", env_sysfs(env), name);
	return access(p, F_OK) == 0;
}

int disk_find(const struct disk_env *env, const struct disk_identity *rec, char *name, size_t cap)
{
	char p[PATH_MAX], desc[512], first[DISK_NAME_MAX] = "", second[DISK_NAME_MAX] = "";
	struct disk_identity id;
	struct dirent *d;
	DIR *dir;
	int n = 0;

	snprintf(p, sizeof(p), "%s/class/block", env_sysfs(env));
	dir = opendir(p);
	if (!dir)
		return br_fail(-BR_EDISK, "%s: %s", p, strerror(errno));
	while ((d = readdir(dir)) != NULL) {
		if (!is_candidate(env, d->d_name))
			continue;
		br_errclear();
		if (disk_identity_read(env, d->d_name, &id))
			continue; /* unreadable: cannot be the recorded disk */
		if (!disk_identity_match(rec, &id))
			continue;
		if (n == 0)
			snprintf(first, sizeof(first), "%s", id.name);
		else if (n == 1)
			snprintf(second, sizeof(second), "%s", id.name);
		n++;
	}
	closedir(dir);
	br_errclear();
	disk_identity_format(rec, desc, sizeof(desc));
	if (n == 0)
		return br_fail(-BR_EDISK, "no disk matches the recorded root disk %s", desc);
	if (n > 1)
		return br_fail(-BR_EDISK,
			       "%d disks (%s, %s%s) match the recorded root disk %s: "
			       "not writing to any",
			       n, first, second, n > 2 ? ", …" : "", desc);
	if (snprintf(name, cap, "%s", first) >= (int)cap)
		return br_fail(-BR_EDISK, "%s: name too long", first);
	return 0;
}

void disk_identity_format(const struct disk_identity *id, char *out, size_t cap)
{
	snprintf(out, cap, "%s(size=%llu sector=%u ptuuid=%s%s%s%s%s%s%s%s%s%s%s)", id->name,
		 (unsigned long long)id->size, id->sector, id->ptuuid[0] ? id->ptuuid : "none",
		 id->serial[0] ? " serial=" : "", id->serial, id->wwid[0] ? " wwid=" : "", id->wwid,
		 id->eui[0] ? " eui=" : "", id->eui, id->nguid[0] ? " nguid=" : "", id->nguid,
		 id->by_path[0] ? " by-path=" : "", id->by_path);
}

int disk_partition_path(const struct disk_env *env, const char *name, unsigned partno,
			unsigned timeout_ms, char *out, size_t cap)
{
	char p[PATH_MAX], v[32];
	struct dirent *d;
	unsigned waited = 0;
	DIR *dir;

	for (;;) {
		snprintf(p, sizeof(p), "%s/class/block/%s", env_sysfs(env), name);
		dir = opendir(p);
		if (!dir)
			return br_fail(-BR_EDISK, "%s: %s", p, strerror(errno));
		out[0] = '\0';
		while ((d = readdir(dir)) != NULL) {
			char pp[PATH_MAX + 300];

			if (strncmp(d->d_name, name, strlen(name)) != 0)
				continue;
			snprintf(pp, sizeof(pp), "%s/%s/partition", p, d->d_name);
			read_attr(pp, v, sizeof(v));
			if (v[0] && strtoul(v, NULL, 10) == partno) {
				snprintf(out, cap, "%s/%s", env_devdir(env), d->d_name);
				break;
			}
		}
		closedir(dir);
		if (out[0] && access(out, F_OK) == 0)
			return 0;
		if (waited >= timeout_ms)
			return br_fail(-BR_EDISK, "%s: partition %u did not appear%s%s", name,
				       partno, out[0] ? " as " : "", out);
		usleep(100 * 1000);
		waited += 100;
	}
}
