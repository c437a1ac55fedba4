/* `bootrino disk`: the root disk's identity (what takeover records), and
 * `bootrino disk --write IMAGE --sha256 HEX TARGET`: the loader's writer
 * on a device or file of your choosing (bench/bench_disk.sh, preparing a
 * disk image offline). See docs/disk.md. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agent/cli.h"
#include "common/err.h"
#include "common/log.h"
#include "disk/disk.h"
#include "verify/artifact.h"

static int cmd_disk(int argc, char **argv);

struct disk_args {
	const char *image, *sha256;
};

#define A struct disk_args
static const struct cli_option disk_options[] = {
    CLI_OPT("write", "", "IMAGE", CLI_STR, A, image, 0,
	    "the boot-disk image to write (zstd or raw)"),
    CLI_OPT("sha256", "", "HEX", CLI_STR, A, sha256, 0, "its pin (required with --write)"),
};
#undef A

BR_COMMAND(disk) = {
    .name = "disk",
    .summary = "show the root disk's identity, or write a boot-disk image",
    .synopsis = "[--write IMAGE --sha256 HEX TARGET]",
    .description = "Without --write: print the disk holding / (found through mountinfo and\n"
		   "sysfs) and its identity, as takeover records it for the loader.\n"
		   "With --write: verify IMAGE (a boot-disk image, zstd or raw) against HEX\n"
		   "and write it to TARGET (a block device or a file of the disk's size)\n"
		   "as the loader does: zero runs not sent, the first MiB last, read back\n"
		   "and hashed. An existing bootrino layout on TARGET is updated in place.\n",
    CLI_OPTIONS(disk_options),
    .max_args = 1,
    .exit_status = "0  ok\n2  usage error\n3  the image does not verify\n6  disk error\n",
    .example = "bootrino disk --write bootdisk.img.zst --sha256 HEX disk.img\n",
    .run = cmd_disk,
    .fail_exit = BR_EXIT_DISK,
};

static int show_root(void)
{
	struct disk_identity id;
	char name[DISK_NAME_MAX], desc[512];
	int rc;

	rc = disk_root_find(NULL, name, sizeof(name));
	if (!rc)
		rc = disk_identity_read(NULL, name, &id);
	if (rc)
		return cli_fail(rc, "disk");
	disk_identity_format(&id, desc, sizeof(desc));
	printf("root disk %s\n", desc);
	return fflush(stdout) == 0 ? 0 : BR_EXIT_DISK;
}

static int write_image(const char *image, const char *hex, const char *target)
{
	uint8_t pin[VERIFY_SHA256_LEN];
	struct verify_artifact *a = NULL;
	struct disk_write_report rep;
	struct disk_write_opts o = {0};
	int fd, rc;

	if (verify_sha256_parse(hex, pin))
		return cli_usage_error(&br_command_disk, "--sha256: 64 hex digits");
	rc = verify_artifact_open(image, pin, &a);
	if (rc)
		return cli_fail(rc, "disk");
	fd = open(target, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		verify_artifact_close(a);
		return cli_fail(br_fail(-BR_EDISK, "%s: %s", target, strerror(errno)), "disk");
	}
	rc = disk_write_image(a, fd, target, &o, &rep);
	close(fd);
	verify_artifact_close(a);
	if (rc)
		return cli_fail(rc, "disk");
	printf("%s %s: image %llu bytes, %llu written, %llu zeroed, %llu verified; "
	       "bootrino-data %llu bytes at %llu\n",
	       rep.updated ? "updated" : "installed", target, (unsigned long long)rep.image_bytes,
	       (unsigned long long)rep.written, (unsigned long long)rep.zeroed,
	       (unsigned long long)rep.verified,
	       (unsigned long long)rep.layout.part[DISK_PART_DATA].size,
	       (unsigned long long)rep.layout.part[DISK_PART_DATA].start);
	return fflush(stdout) == 0 ? 0 : BR_EXIT_DISK;
}

static int cmd_disk(int argc, char **argv)
{
	struct disk_args a;
	int n;

	memset(&a, 0, sizeof(a));
	n = cli_parse(&br_command_disk, argc, argv, &a);
	if (n < 0)
		return cli_parse_exit(n);
	if (!a.image) {
		if (n < argc || a.sha256)
			return cli_usage_error(&br_command_disk,
					       "TARGET and --sha256 go with --write");
		return show_root();
	}
	if (!a.sha256)
		return cli_usage_error(&br_command_disk, "--write needs --sha256 HEX");
	if (n + 1 != argc)
		return cli_usage_error(&br_command_disk, "--write needs one TARGET");
	return write_image(a.image, a.sha256, argv[n]);
}
