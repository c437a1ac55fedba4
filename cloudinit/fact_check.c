/* Each fact checked by what it is. Facts come from cloud-init's instance
 * data and the metadata service: unsigned input that ends up in the
 * target's files, in bootrino.sh's environment (BOOTRINO_INSTANCE_ID) and,
 * through a script, on a kernel command line. "No control characters" is
 * not enough: `i-1 init=/bin/sh` has none. So every fact gets the narrow
 * character set of what it is. */
#include <string.h>

#include "cloudinit/cloudinit.h"

static int in_set(const char *s, size_t min, size_t max, const char *extra, int upper)
{
	size_t n;

	for (n = 0; s[n]; n++) {
		unsigned char c = (unsigned char)s[n];

		if (n >= max)
			return 0;
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    (upper && c >= 'A' && c <= 'Z') || (c && strchr(extra, c)))
			continue;
		return 0;
	}
	return n >= min;
}

static int all_digits(const char *s, size_t max)
{
	size_t n;

	for (n = 0; s[n]; n++)
		if (s[n] < '0' || s[n] > '9' || n >= max)
			return 0;
	return n > 0;
}

/* AWS i-<8 or 17 hex>; GCP and DigitalOcean: decimal ids; elsewhere
 * (NoCloud, a lab): letters, digits, '.', '_', '-'. */
static int instance_id_valid(const char *cloud, const char *s)
{
	if (cloud && strcmp(cloud, "aws") == 0) {
		size_t n;

		/* the prefix first: s + 2 is past the end of "" and "i" */
		if (strncmp(s, "i-", 2) != 0)
			return 0;
		n = strlen(s + 2);
		return (n == 8 || n == 17) && in_set(s + 2, n, n, "", 0) &&
		       strspn(s + 2, "0123456789abcdef") == n;
	}
	if (cloud && (strcmp(cloud, "gcp") == 0 || strcmp(cloud, "digitalocean") == 0))
		return all_digits(s, 20);
	return in_set(s, 1, 128, "._-", 1);
}

/* RFC 1123 host name: labels of [A-Za-z0-9-], 1..63 bytes, not starting or
 * ending with '-', joined by '.', 253 bytes in all. */
static int hostname_valid(const char *s)
{
	size_t n = strlen(s), label = 0, i;

	if (n == 0 || n > 253)
		return 0;
	for (i = 0; i <= n; i++) {
		char c = s[i];

		if (c == '.' || c == '\0') {
			if (label == 0 || label > 63 || s[i - 1] == '-')
				return 0;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-'))
			return 0;
		if (label == 0 && c == '-')
			return 0;
		label++;
	}
	return 1;
}

static const char *const key_types[] = {
    "ssh-ed25519",
    "ssh-rsa",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "ssh-dss",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
    NULL,
};

/* An authorized_keys line: [options ]TYPE BASE64[ comment], sshd(8). The
 * options (from="…", no-pty, …) are the host owner's and kept; what must
 * hold is that there is a key of a known type with a base64 blob, and no
 * control character anywhere (a newline would add a second line). */
static int ssh_key_valid(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > CLOUD_FACT_KEY_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	for (i = 0; i < n; i++) {
		size_t k;

		if (i > 0 && s[i - 1] != ' ')
			continue;
		for (k = 0; key_types[k]; k++) {
			size_t t = strlen(key_types[k]), b;

			if (strncmp(s + i, key_types[k], t) != 0 || s[i + t] != ' ')
				continue;
			b = strspn(s + i + t + 1,
				   "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				   "0123456789+/=");
			if (b >= 4 && (s[i + t + 1 + b] == '\0' || s[i + t + 1 + b] == ' '))
				return 1;
		}
	}
	return 0;
}

int cloud_fact_valid(enum cloud_fact kind, const char *cloud, const char *s)
{
	if (!s)
		return 0;
	switch (kind) {
	case CLOUD_FACT_INSTANCE_ID:
		return instance_id_valid(cloud, s);
	case CLOUD_FACT_HOSTNAME:
		return hostname_valid(s);
	case CLOUD_FACT_REGION:
		/* eu-west-1, us-central1, nyc3; zones eu-west-1b, us-central1-a */
		return in_set(s, 1, 64, "-", 0);
	case CLOUD_FACT_SSH_KEY:
		return ssh_key_valid(s);
	}
	return 0;
}
