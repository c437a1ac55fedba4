/* `bootrino userdata`: paste-ready user-data for a cloud (the generation
 * itself is cloudinit/userdata.c). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/cli.h"
#include "cloudinit/cloudinit.h"
#include "common/err.h"

#define PEM_MAX (128u << 10)
#define PUBFILE_MAX 4096

static int cmd_userdata(int argc, char **argv);

BR_COMMAND(userdata) = {
    .name = "userdata",
    .summary = "print paste-ready user-data that installs bootrino on a cloud instance",
    .usage = "usage: bootrino userdata --cloud aws|gcp|digitalocean|generic\n"
	     "                         --agent-url URL --agent-sha256 HEX\n"
	     "                         --script URL --pubkey KEY [--pubkey KEY2]...\n"
	     "                         [--direct] [--no-install] [--format script|cloud-config]\n"
	     "                         [--cacert FILE] [--site NAME] [-o FILE]\n\n"
	     "Print user-data for a stock cloud image: it downloads the agent from\n"
	     "--agent-url (curl or wget, with retries), checks it against\n"
	     "--agent-sha256 and runs `bootrino takeover --script URL --pubkey KEY…`.\n"
	     "It logs to the console and /var/log/bootrino-userdata.log.\n\n"
	     "  --cloud NAME      size limit to respect: aws 16 KiB, gcp 256 KiB,\n"
	     "                    digitalocean 64 KiB, generic 16 KiB\n"
	     "  --pubkey KEY      minisign public key (base64 line or .pub file)\n"
	     "  --direct          takeover runs bootrino.sh on the instance itself\n"
	     "  --no-install      takeover --no-install: RAM only, the disk is not written\n"
	     "  --format F        script (default) or cloud-config\n"
	     "  --cacert FILE     CA bundle to embed (HTTPS with a private CA)\n"
	     "  --site NAME       takeover accepts only signatures for site:NAME\n"
	     "  -o, --output FILE write there instead of stdout\n\n"
	     "Exit status: 0, or 2 for a bad argument or user-data over the limit.\n"
	     "See docs/userdata.md for where to paste it on each cloud.\n",
    .run = cmd_userdata,
};

/* Read a small text file whole (NUL-terminated). */
static int slurp(const char *path, size_t cap, char **out)
{
	char *buf;
	size_t got = 0;
	ssize_t n;
	int fd, rc = 0;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return br_fail(-errno, "%s", strerror(errno));
	buf = malloc(cap + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while ((n = read(fd, buf + got, cap + 1 - got)) > 0) {
		got += (size_t)n;
		if (got > cap) {
			rc = br_fail(-BR_EUSAGE, "larger than %zu bytes", cap);
			break;
		}
	}
	if (n < 0)
		rc = br_fail(-errno, "%s", strerror(errno));
	close(fd);
	if (rc < 0) {
		free(buf);
		return rc;
	}
	buf[got] = '\0';
	*out = buf;
	return 0;
}

/* A .pub file given to --pubkey: its key line (the user-data carries the
 * key itself, the file is not on the instance). NULL if not a file. */
static char *key_from_file(const char *path)
{
	char *text, *line, *save = NULL, *key = NULL;

	if (access(path, R_OK) != 0 || slurp(path, PUBFILE_MAX, &text) < 0)
		return NULL;
	for (line = strtok_r(text, "\r\n", &save); line; line = strtok_r(NULL, "\r\n", &save))
		if (strncmp(line, "untrusted comment:", 18) != 0 && *line)
			key = line;
	key = key ? strdup(key) : NULL;
	free(text);
	return key;
}

static int write_output(const char *path, const char *data, size_t len)
{
	char tmp[4096];
	FILE *f;
	int fd;

	if (!path) {
		if (fwrite(data, 1, len, stdout) != len || fflush(stdout) != 0)
			return br_fail(-EIO, "stdout: write failed");
		return 0;
	}
	/* whole file or nothing: temp file, then rename */
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= sizeof(tmp))
		return br_fail(-ENAMETOOLONG, "path too long");
	fd = mkstemp(tmp);
	if (fd < 0)
		return br_fail(-errno, "%s", strerror(errno));
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		unlink(tmp);
		return br_fail(-errno, "%s", strerror(errno));
	}
	if (fwrite(data, 1, len, f) != len || fflush(f) != 0 || fsync(fileno(f)) != 0) {
		fclose(f);
		unlink(tmp);
		return br_fail(-EIO, "write failed");
	}
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		unlink(tmp);
		return br_fail(-errno, "%s", strerror(errno));
	}
	return 0;
}

static int cmd_userdata(int argc, char **argv)
{
	enum {
		OPT_CLOUD = 256,
		OPT_AGENT_URL,
		OPT_AGENT_SHA,
		OPT_SCRIPT,
		OPT_PUBKEY,
		OPT_DIRECT,
		OPT_FORMAT,
		OPT_CACERT,
		OPT_SITE,
		OPT_NO_INSTALL
	};
	static const struct option opts[] = {
	    {"cloud", required_argument, NULL, OPT_CLOUD},
	    {"agent-url", required_argument, NULL, OPT_AGENT_URL},
	    {"agent-sha256", required_argument, NULL, OPT_AGENT_SHA},
	    {"script", required_argument, NULL, OPT_SCRIPT},
	    {"pubkey", required_argument, NULL, OPT_PUBKEY},
	    {"direct", no_argument, NULL, OPT_DIRECT},
	    {"no-install", no_argument, NULL, OPT_NO_INSTALL},
	    {"format", required_argument, NULL, OPT_FORMAT},
	    {"cacert", required_argument, NULL, OPT_CACERT},
	    {"site", required_argument, NULL, OPT_SITE},
	    {"output", required_argument, NULL, 'o'},
	    CLI_COMMON_OPTIONS,
	    {NULL, 0, NULL, 0},
	};
	const struct br_command *cmd = &br_command_userdata;
	struct cloud_userdata_opts u = {0};
	char *owned_keys[CLOUD_USERDATA_MAX_KEYS] = {0};
	const char *cacert = NULL, *output = NULL;
	char *pem = NULL, *out = NULL;
	size_t len = 0, i;
	int c, rc;

	u.format = CLOUD_USERDATA_SCRIPT;
	while ((c = getopt_long(argc, argv, "+hvo:", opts, NULL)) != -1) {
		switch (c) {
		case OPT_CLOUD:
			u.cloud = optarg;
			break;
		case OPT_AGENT_URL:
			u.agent_url = optarg;
			break;
		case OPT_AGENT_SHA:
			u.agent_sha256 = optarg;
			break;
		case OPT_SCRIPT:
			u.script_url = optarg;
			break;
		case OPT_DIRECT:
			u.direct = 1;
			break;
		case OPT_SITE:
			u.site = optarg;
			break;
		case OPT_NO_INSTALL:
			u.no_install = 1;
			break;
		case OPT_CACERT:
			cacert = optarg;
			break;
		case 'o':
			output = optarg;
			break;
		case OPT_PUBKEY:
			if (u.n_pubkeys == CLOUD_USERDATA_MAX_KEYS) {
				rc = cli_usage_error(cmd, "at most %d --pubkey",
						     CLOUD_USERDATA_MAX_KEYS);
				goto out;
			}
			owned_keys[u.n_pubkeys] = key_from_file(optarg);
			u.pubkeys[u.n_pubkeys] =
			    owned_keys[u.n_pubkeys] ? owned_keys[u.n_pubkeys] : optarg;
			u.n_pubkeys++;
			break;
		case OPT_FORMAT:
			if (!strcmp(optarg, "script")) {
				u.format = CLOUD_USERDATA_SCRIPT;
			} else if (!strcmp(optarg, "cloud-config")) {
				u.format = CLOUD_USERDATA_CLOUD_CONFIG;
			} else {
				rc = cli_usage_error(
				    cmd, "--format: '%s': expected script or cloud-config", optarg);
				goto out;
			}
			break;
		default:
			rc = cli_common_option(cmd, c);
			if (rc != CLI_CONTINUE)
				goto out;
		}
	}
	if (optind != argc) {
		rc = cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
		goto out;
	}
	if (!u.cloud || !u.agent_url || !u.agent_sha256 || !u.script_url || !u.n_pubkeys) {
		rc = cli_usage_error(cmd, "--cloud, --agent-url, --agent-sha256, --script and "
					  "--pubkey are required");
		goto out;
	}
	if (cacert) {
		rc = slurp(cacert, PEM_MAX, &pem);
		if (rc < 0) {
			cli_fail(rc, cacert);
			rc = BR_EXIT_USAGE;
			goto out;
		}
		u.cacert_pem = pem;
	}
	rc = cloud_userdata_generate(&u, &out, &len);
	if (rc < 0) {
		/* oversize user-data is a configuration problem too (exit 2) */
		cli_fail(rc, "userdata");
		rc = BR_EXIT_USAGE;
		goto out;
	}
	rc = write_output(output, out, len);
	if (rc < 0)
		rc = cli_fail(rc, output ? output : "stdout");
out:
	for (i = 0; i < CLOUD_USERDATA_MAX_KEYS; i++)
		free(owned_keys[i]);
	free(pem);
	free(out);
	return rc;
}
