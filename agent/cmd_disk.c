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

BR_COMMAND(disk) = {
    .name = "disk",
    .summary = "show the root disk's identity, or write a boot-disk image",
    .usage = "usage: bootrino disk\n"
	     "       bootrino disk --write IMAGE --sha256 HEX TARGET\n\n"
	     "Without --write: print the disk holding / (found through mountinfo and\n"
	     "sysfs) and its identity, as takeover records it for the loader.\n"
	     "With --write: verify IMAGE (a boot-disk image, zstd or raw) against HEX\n"
	     "and write it to TARGET (a block device or a file of the disk's size)\n"
	     "as the loader does: zero runs not sent, the first MiB last, read back\n"
	     "and hashed. An existing bootrino layout on TARGET is updated in place.\n\n"
	     "      --write IMAGE   the image to write\n"
	     "      --sha256 HEX    its pin (required)\n"
	     "  -v, --verbose\n"
	     "  -h, --help\n\n"
	     "Exit status: 0, 2 usage, 3 the image does not verify, 6 disk error.\n",
    .run = cmd_disk,
};

enum { OPT_WRITE = 0x100, OPT_SHA256 };

static int show_root(void)
{
	struct disk_identity id;
	char name[DISK_NAME_MAX], desc[512];
	int rc;

	br_errclear();
	rc = disk_root_find(NULL, name, sizeof(name));
	if (!rc)
		rc = disk_identity_read(NULL, name, &id);
	if (rc)
		return cli_fail(rc, "disk");
	disk_identity_format(&id, desc, sizeof(desc));
	printf("root disk %s\n", desc);
	return fflush(stdout) == 0 ? 0 : BR_EXIT_FAIL;
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
	br_errclear();
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
	return fflush(stdout) == 0 ? 0 : BR_EXIT_FAIL;
}

static int cmd_disk(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"write", required_argument, NULL, OPT_WRITE},
	    {"sha256", required_argument, NULL, OPT_SHA256},
	    CLI_COMMON_OPTIONS,
	    {NULL, 0, NULL, 0},
	};
	const char *image = NULL, *hex = NULL;
	int c, rc;

	while ((c = getopt_long(argc, argv, "hv", opts, NULL)) != -1) {
		switch (c) {
		case OPT_WRITE:
			image = optarg;
			break;
		case OPT_SHA256:
			hex = optarg;
			break;
		default:
			rc = cli_common_option(&br_command_disk, c);
			if (rc != CLI_CONTINUE)
				return rc;
		}
	}
	if (!image) {
		if (optind < argc || hex)
			return cli_usage_error(&br_command_disk,
					       "TARGET and --sha256 go with --write");
		return show_root();
	}
	if (!hex)
		return cli_usage_error(&br_command_disk, "--write needs --sha256 HEX");
	if (optind + 1 != argc)
		return cli_usage_error(&br_command_disk, "--write needs one TARGET");
	return write_image(image, hex, argv[optind]);
}
