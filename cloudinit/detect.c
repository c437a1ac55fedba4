/* Cloud detection from DMI: no network, nothing to time out, and the
 * strings below are what each cloud's firmware has set for years. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cloudinit/cloudinit.h"
#include "common/log.h"

#define DMI_DIR "sys/class/dmi/id"
#define DMI_VALUE_MAX 128

/* Read root/sys/class/dmi/id/name, trimmed; "" when absent. */
static void dmi_read(const char *root, const char *name, char *out, size_t outlen)
{
	char path[512];
	ssize_t n;
	int fd;

	out[0] = '\0';
	if ((size_t)snprintf(path, sizeof(path), "%s/%s/%s", root, DMI_DIR, name) >= sizeof(path))
		return;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, out, outlen - 1);
	close(fd);
	if (n < 0)
		n = 0;
	out[n] = '\0';
	while (n > 0 && isspace((unsigned char)out[n - 1]))
		out[--n] = '\0';
}

static int has(const char *haystack, const char *needle)
{
	return strcasestr(haystack, needle) != NULL;
}

const char *cloud_detect_at(const char *root)
{
	char sys_vendor[DMI_VALUE_MAX], product[DMI_VALUE_MAX], bios_vendor[DMI_VALUE_MAX];
	char bios_version[DMI_VALUE_MAX], asset[DMI_VALUE_MAX], board_vendor[DMI_VALUE_MAX];
	const char *cloud = CLOUD_UNKNOWN;

	if (!root || !*root)
		root = "/";
	dmi_read(root, "sys_vendor", sys_vendor, sizeof(sys_vendor));
	dmi_read(root, "product_name", product, sizeof(product));
	dmi_read(root, "bios_vendor", bios_vendor, sizeof(bios_vendor));
	dmi_read(root, "bios_version", bios_version, sizeof(bios_version));
	dmi_read(root, "chassis_asset_tag", asset, sizeof(asset));
	dmi_read(root, "board_vendor", board_vendor, sizeof(board_vendor));

	/* Nitro instances say "Amazon EC2" in several fields; the older Xen
	 * ones only give themselves away by an "amazon" BIOS version. */
	if (has(sys_vendor, "Amazon EC2") || has(board_vendor, "Amazon EC2") ||
	    has(asset, "Amazon EC2") || has(bios_vendor, "Amazon EC2") ||
	    (has(sys_vendor, "Xen") && has(bios_version, "amazon")))
		cloud = CLOUD_AWS;
	else if (has(product, "Google Compute Engine") || !strcasecmp(sys_vendor, "Google") ||
		 !strcasecmp(bios_vendor, "Google"))
		cloud = CLOUD_GCP;
	else if (has(sys_vendor, "DigitalOcean") || has(bios_vendor, "DigitalOcean") ||
		 has(board_vendor, "DigitalOcean"))
		cloud = CLOUD_DIGITALOCEAN;
	br_debug("cloud: DMI sys_vendor='%s' product='%s' bios='%s/%s' asset='%s' board='%s' -> %s",
		 sys_vendor, product, bios_vendor, bios_version, asset, board_vendor, cloud);
	return cloud;
}

const char *cloud_detect(void)
{
	return cloud_detect_at("/");
}

const char *cloud_name_canonical(const char *name)
{
	static const char *const names[] = {CLOUD_AWS, CLOUD_GCP, CLOUD_DIGITALOCEAN,
					    CLOUD_UNKNOWN};
	size_t i;

	if (!name)
		return NULL;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(name, names[i]))
			return names[i];
	return NULL;
}
