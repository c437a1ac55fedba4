/* `bootrino status`: what bootrino-state says (docs/every-boot.md): the
 * current and the trial slot, their script timestamps and artifacts, the
 * boot counts, the last boot's outcome and the end of the log. Reads the
 * state from a directory (a target that mounted it), the partition named
 * bootrino-state (the loader's shell), or a disk image offline. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "agent/cli.h"
#include "agent/slot_store.h"
#include "common/err.h"
#include "common/log.h"
#include "disk/disk.h"

#define TAIL_LINES 10

/* An offline image whose ext4 journal holds writes not replayed yet (the
 * machine stopped mid-write: docs/every-boot.md, "Power cuts"): a
 * read-only mount without replay shows stale or broken metadata (EBADMSG
 * on state.json), and replaying would write to what the operator asked to
 * read. Say so instead. */
#define EXT4_SB_OFFSET 1024
#define EXT4_SB_MAGIC 0xEF53
#define EXT4_INCOMPAT_RECOVER 0x4

static int journal_pending(const char *dev)
{
	uint8_t sb[1024];
	uint32_t incompat;
	int fd = open(dev, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return br_fail(-BR_EDISK, "%s: %s", dev, strerror(errno));
	n = pread(fd, sb, sizeof(sb), EXT4_SB_OFFSET);
	close(fd);
	if (n != (ssize_t)sizeof(sb))
		return br_fail(-BR_EDISK, "%s: cannot read the ext4 superblock", dev);
	if ((uint16_t)(sb[0x38] | sb[0x39] << 8) != EXT4_SB_MAGIC)
		return br_fail(-BR_EDISK, "%s is not an ext4 file system", CLI_STATE_LABEL);
	incompat = (uint32_t)sb[0x60] | (uint32_t)sb[0x61] << 8 | (uint32_t)sb[0x62] << 16 |
		   (uint32_t)sb[0x63] << 24;
	if (incompat & EXT4_INCOMPAT_RECOVER)
		return br_fail(-BR_EDISK,
			       "%s: its journal holds writes not replayed yet (the machine "
			       "stopped while writing); the loader replays it at its next boot; "
			       "to read it now, replay it on a copy (e2fsck -fy COPY)",
			       CLI_STATE_LABEL);
	return 0;
}

static int cmd_status(int argc, char **argv);

struct status_args {
	int json;
	const char *disk;
	const char *state;
};

#define A struct status_args
static const struct cli_option status_options[] = {
    CLI_OPT("json", "", NULL, CLI_FLAG, A, json, 0, "print JSON"),
    CLI_OPT("disk", "", "FILE|DEV", CLI_STR, A, disk, 0,
	    "read bootrino-state of this disk image or device (read only)"),
    CLI_OPT("state", "", "DIR", CLI_STR, A, state, 0, "read bootrino-state mounted at DIR"),
};
#undef A

BR_COMMAND(status) = {
    .name = "status",
    .summary = "show the slots on bootrino-state: current, trial, last boot, log",
    .synopsis = "[--json] [--disk FILE|DEV | --state DIR]",
    .description = "Print the current and the trial slot (script URL, signature timestamp, plan\n"
		   "and artifact sha256s, boot counts), the last boot's outcome and reason, and\n"
		   "the last lines of log/loader.log. Without --disk or --state, the partition\n"
		   "named bootrino-state is mounted read-only for the time of the command.\n",
    CLI_OPTIONS(status_options),
    .max_args = 0,
    .exit_status = "0  ok\n2  usage error, or state.json unreadable\n"
		   "6  no bootrino-state found, or it cannot be mounted\n",
    .example = "bootrino status --disk disk.qcow2.raw --json\n",
    .run = cmd_status,
    .fail_exit = BR_EXIT_DISK,
};

/* bootrino-state inside an image file or a whole-disk device: its extent
 * from the GPT (disk/), then a read-only loop device over just those bytes
 * (no partition scan: it also works where the kernel makes no partition
 * devices for loops, as in containers). */
static int state_extent(const char *file, uint64_t *off, uint64_t *size)
{
	static struct disk_gpt g;
	static uint8_t buf[1 << 20];
	static const uint32_t sectors[] = {512, 4096};
	ssize_t n;
	int fd, rc = -BR_EDISK;

	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return br_fail(-BR_EDISK, "%s: %s", file, strerror(errno));
	n = pread(fd, buf, sizeof(buf), 0);
	close(fd);
	for (size_t s = 0; n > 0 && s < 2; s++) {
		if (disk_gpt_parse(buf, (size_t)n, sectors[s], &g))
			continue;
		for (size_t i = 0; i < DISK_GPT_ENTRIES; i++)
			if (strcmp(g.part[i].name, CLI_STATE_LABEL) == 0 && g.part[i].last_lba) {
				*off = g.part[i].first_lba * sectors[s];
				*size = (g.part[i].last_lba - g.part[i].first_lba + 1) * sectors[s];
				return 0;
			}
	}
	return br_fail(rc, "%s: no GPT partition named %s", file, CLI_STATE_LABEL);
}

/* *lfd stays open until the mount holds the device: with AUTOCLEAR the
 * last close of an unmounted loop detaches it. */
static int loop_attach(const char *file, char *dev, size_t len, int *lfdp)
{
	struct loop_config cfg;
	uint64_t off = 0, size = 0;
	int ctl, fd = -1, lfd = -1, n, rc;

	rc = state_extent(file, &off, &size);
	if (rc)
		return rc;
	ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	if (ctl < 0)
		return br_fail(-BR_EDISK, "/dev/loop-control: %s", strerror(errno));
	n = ioctl(ctl, LOOP_CTL_GET_FREE);
	close(ctl);
	if (n < 0)
		return br_fail(-BR_EDISK, "no free loop device: %s", strerror(errno));
	snprintf(dev, len, "/dev/loop%d", n);
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return br_fail(-BR_EDISK, "%s: %s", file, strerror(errno));
	lfd = open(dev, O_RDONLY | O_CLOEXEC);
	if (lfd < 0) {
		rc = br_fail(-BR_EDISK, "%s: %s", dev, strerror(errno));
		goto out;
	}
	/* LOOP_CONFIGURE: fd, offset and size in one step (with LOOP_SET_FD
	 * then LOOP_SET_STATUS64 a mount right after still saw size 0) */
	memset(&cfg, 0, sizeof(cfg));
	cfg.fd = (unsigned)fd;
	cfg.info.lo_offset = off;
	cfg.info.lo_sizelimit = size;
	cfg.info.lo_flags = LO_FLAGS_READ_ONLY | LO_FLAGS_AUTOCLEAR;
	if (ioctl(lfd, LOOP_CONFIGURE, &cfg) < 0)
		rc = br_fail(-BR_EDISK, "%s: LOOP_CONFIGURE: %s", dev, strerror(errno));
out:
	if (rc && lfd >= 0)
		close(lfd);
	else
		*lfdp = lfd;
	close(fd);
	return rc;
}

static void loop_detach(int lfd)
{
	if (lfd < 0)
		return;
	ioctl(lfd, LOOP_CLR_FD, 0);
	close(lfd);
}

static cJSON *slot_to_json(const char *root, int slot)
{
	struct cli_slot_info info;
	char dir[600];
	struct dirent *d;
	cJSON *o, *arts;
	DIR *dp;

	if (slot == CLI_SLOT_NONE || cli_slot_store_read_info(root, slot, &info))
		return cJSON_CreateNull();
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "slot", cli_slot_name(slot));
	cJSON_AddStringToObject(o, "url", info.url);
	cJSON_AddNumberToObject(o, "timestamp", (double)info.timestamp);
	cJSON_AddStringToObject(o, "plan_sha256", info.plan_sha256);
	cJSON_AddNumberToObject(o, "confirm", info.confirm);
	cJSON_AddNumberToObject(o, "boots", (double)info.boots);
	cJSON_AddBoolToObject(o, "confirmed",
			      cli_slot_store_confirmed(root, slot, info.token) != 0);
	arts = cJSON_AddArrayToObject(o, "artifacts");
	cli_slot_store_path(root, slot, "artifacts", dir, sizeof(dir));
	dp = opendir(dir);
	while (dp && (d = readdir(dp)) != NULL)
		if (strlen(d->d_name) == 64)
			cJSON_AddItemToArray(arts, cJSON_CreateString(d->d_name));
	if (dp)
		closedir(dp);
	return o;
}

static void print_slot(const char *role, const cJSON *o)
{
	const cJSON *a, *arts;

	if (!cJSON_IsObject(o)) {
		printf("%-9s -\n", role);
		return;
	}
	printf("%-9s %s  timestamp=%.0f boots=%.0f confirm=%.0f%s plan=%s\n", role,
	       cJSON_GetObjectItem(o, "slot")->valuestring,
	       cJSON_GetObjectItem(o, "timestamp")->valuedouble,
	       cJSON_GetObjectItem(o, "boots")->valuedouble,
	       cJSON_GetObjectItem(o, "confirm")->valuedouble,
	       cJSON_IsTrue(cJSON_GetObjectItem(o, "confirmed")) ? " (confirmed)" : "",
	       cJSON_GetObjectItem(o, "plan_sha256")->valuestring);
	printf("          url %s\n", cJSON_GetObjectItem(o, "url")->valuestring);
	arts = cJSON_GetObjectItem(o, "artifacts");
	cJSON_ArrayForEach(a, arts)
	{
		printf("          artifact %s\n", a->valuestring);
	}
}

static int show(const char *root, int json)
{
	struct cli_slots_state s;
	unsigned n, i;
	char **lines;
	cJSON *o, *last, *log;
	char *text;
	int rc;

	rc = cli_slot_store_read_state(root, &s);
	if (rc < 0)
		return cli_fail_as(rc, "status", BR_EXIT_USAGE);
	o = cJSON_CreateObject();
	cJSON_AddItemToObject(o, "current", slot_to_json(root, s.current));
	cJSON_AddItemToObject(o, "trial", slot_to_json(root, s.trial));
	cJSON_AddNumberToObject(o, "trial_boots", s.trial_boots);
	cJSON_AddNumberToObject(o, "max_timestamp", (double)s.max_timestamp);
	last = cJSON_AddObjectToObject(o, "last");
	if (s.last.outcome[0]) {
		const char *sn = cli_slot_name(s.last.slot);

		cJSON_AddItemToObject(last, "slot",
				      sn ? cJSON_CreateString(sn) : cJSON_CreateNull());
		cJSON_AddStringToObject(last, "outcome", s.last.outcome);
		cJSON_AddStringToObject(last, "reason", s.last.reason);
		cJSON_AddNumberToObject(last, "at", (double)s.last.at);
	}
	log = cJSON_AddArrayToObject(o, "log");
	lines = cli_slot_store_tail_lines(root, TAIL_LINES, &n);
	for (i = 0; i < n; i++) {
		cJSON_AddItemToArray(log, cJSON_CreateString(lines[i]));
		free(lines[i]);
	}
	free(lines);
	if (json) {
		text = cJSON_Print(o);
		if (text)
			puts(text);
		free(text);
	} else {
		print_slot("current", cJSON_GetObjectItem(o, "current"));
		print_slot("trial", cJSON_GetObjectItem(o, "trial"));
		if (s.trial != CLI_SLOT_NONE)
			printf("trial     booted %u time(s) unconfirmed\n", s.trial_boots);
		printf("anti-rollback  max_timestamp=%llu\n", s.max_timestamp);
		if (s.last.outcome[0])
			printf("last boot outcome=%s slot=%s at=%llu reason=\"%s\"\n",
			       s.last.outcome,
			       cli_slot_name(s.last.slot) ? cli_slot_name(s.last.slot) : "-",
			       s.last.at, s.last.reason);
		else
			printf("last boot -\n");
		printf("log\n");
		cJSON_ArrayForEach(last, log)
		{
			printf("  %s\n", last->valuestring);
		}
	}
	cJSON_Delete(o);
	return fflush(stdout) == 0 ? 0 : BR_EXIT_DISK;
}

static int cmd_status(int argc, char **argv)
{
	const struct br_command *cmd = &br_command_status;
	struct status_args a;
	char loopname[64] = "", dev[128], mnt[] = "/tmp/bootrino-status.XXXXXX";
	int n, rc, ret, lfd = -1;

	memset(&a, 0, sizeof(a));
	n = cli_parse(cmd, argc, argv, &a);
	if (n < 0)
		return cli_parse_exit(n);
	if (a.disk && a.state)
		return cli_usage_error(cmd, "give --disk or --state, not both");
	if (a.state)
		return show(a.state, a.json);
	if (a.disk) {
		rc = loop_attach(a.disk, loopname, sizeof(loopname), &lfd);
		if (!rc)
			snprintf(dev, sizeof(dev), "%s", loopname);
	} else {
		rc = cli_slot_store_find(NULL, dev, sizeof(dev));
		if (rc == -ENOENT)
			rc = br_fail(-BR_EDISK, "no partition named %s on this machine",
				     CLI_STATE_LABEL);
	}
	if (!rc && a.disk)
		rc = journal_pending(dev);
	if (!rc && !mkdtemp(mnt))
		rc = br_fail(-BR_EDISK, "%s: %s", mnt, strerror(errno));
	if (rc) {
		loop_detach(lfd);
		return cli_fail_as(rc, "status", BR_EXIT_DISK);
	}
	rc = cli_slot_store_mount(dev, mnt, 1);
	if (rc) {
		rmdir(mnt);
		loop_detach(lfd);
		return cli_fail(rc, "status");
	}
	/* mounted: the mount holds the loop, AUTOCLEAR frees it at umount */
	if (lfd >= 0)
		close(lfd);
	ret = show(mnt, a.json);
	umount(mnt);
	rmdir(mnt);
	return ret;
}
