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
#include "verify/minisign.h"

/* the largest cloud limit (GCP, 256 KiB): the user-data's own size check
 * then says whether the bundle fits the chosen cloud */
#define PEM_MAX (256u << 10)
#define PUBFILE_MAX 4096

static int cmd_userdata(int argc, char **argv);

struct userdata_args {
	const char *cloud, *agent_url, *agent_sha256, *script, *format, *cacert, *site, *output;
	struct cli_list pubkeys;
	int direct, no_install;
};

static int parse_pubkey(void *field, const char *arg)
{
	/* checked as every command checks a key: the same line for a bad one */
	static struct verify_keyring kr;
	struct cli_list *l = field;
	int rc = cli_check_pubkey_arg(arg);

	if (!rc && kr.n < VERIFY_MAX_KEYS)
		rc = verify_keyring_add(&kr, arg);
	if (rc)
		return rc;
	if (l->n >= CLOUD_USERDATA_MAX_KEYS)
		return br_fail(-BR_EUSAGE, "at most %d keys", CLOUD_USERDATA_MAX_KEYS);
	l->v[l->n++] = arg;
	return 0;
}

static int parse_format(void *field, const char *arg)
{
	if (strcmp(arg, "script") != 0 && strcmp(arg, "cloud-config") != 0)
		return br_fail(-BR_EUSAGE, "'%.32s': expected script or cloud-config", arg);
	*(const char **)field = arg;
	return 0;
}

static int parse_cloud(void *field, const char *arg)
{
	if (!cloud_userdata_limit(arg))
		return br_fail(-BR_EUSAGE, "'%.32s': expected aws, gcp, digitalocean or generic",
			       arg);
	*(const char **)field = arg;
	return 0;
}

#define A struct userdata_args
static const struct cli_option userdata_options[] = {
    CLI_OPT_PARSER("cloud", "", "NAME", parse_cloud, A, cloud, CLI_REQUIRED,
		   "size limit to respect: aws 16 KiB, gcp 256 KiB,\n"
		   "digitalocean 64 KiB, generic 16 KiB"),
    CLI_OPT("agent-url", "", "URL", CLI_STR, A, agent_url, CLI_REQUIRED,
	    "where the instance downloads the bootrino binary"),
    CLI_OPT("agent-sha256", "", "HEX", CLI_STR, A, agent_sha256, CLI_REQUIRED,
	    "its SHA-256 (64 hex digits)"),
    CLI_OPT("script", "", "URL", CLI_STR, A, script, CLI_REQUIRED, "bootrino.sh"),
    CLI_OPT_PARSER("pubkey", "Pp", "KEY", parse_pubkey, A, pubkeys, CLI_REQUIRED | CLI_REPEAT,
		   "minisign public key: RW... or a .pub file (repeatable)"),
    CLI_OPT("direct", "", NULL, CLI_FLAG, A, direct, 0,
	    "takeover runs bootrino.sh on the instance itself"),
    CLI_OPT("no-install", "", NULL, CLI_FLAG, A, no_install, 0,
	    "takeover --no-install: RAM only, the disk is not written"),
    CLI_OPT_PARSER("format", "", "FORMAT", parse_format, A, format, 0,
		   "script (default) or cloud-config"),
    CLI_OPT("cacert", "", "FILE", CLI_STR, A, cacert, 0,
	    "CA bundle to embed (HTTPS with a private CA);\n"
	    "certificates only: a private key is refused"),
    CLI_OPT("site", "", "NAME", CLI_STR, A, site, 0,
	    "takeover accepts only signatures for site:NAME"),
    CLI_OPT("output", "o", "FILE", CLI_STR, A, output, 0, "write there instead of stdout"),
};
#undef A

BR_COMMAND(userdata) = {
    .name = "userdata",
    .summary = "print paste-ready user-data that installs bootrino on a cloud instance",
    .synopsis = "--cloud NAME --agent-url URL --agent-sha256 HEX --script URL\n"
		"         --pubkey KEY... [--direct] [--no-install] [--format F] [--cacert FILE] "
		"[--site NAME] [-o FILE]",
    .description = "Print user-data for a stock cloud image: it downloads the agent from\n"
		   "--agent-url (curl or wget, each with bounded retries), checks it against\n"
		   "--agent-sha256 and runs `bootrino takeover --script URL --pubkey KEY...`.\n"
		   "It logs to the console and /var/log/bootrino-userdata.log. See\n"
		   "docs/userdata.md for where to paste it on each cloud.\n",
    CLI_OPTIONS(userdata_options),
    .exit_status = "0  ok\n2  a bad argument, or user-data over the cloud's limit\n"
		   "6  -o FILE could not be written (disk full, I/O error)\n",
    .example =
	"bootrino userdata --cloud aws --agent-url https://boot.example.com/bootrino \\\n"
	"    --agent-sha256 \"$(sha256sum site/bootrino | cut -d' ' -f1)\" \\\n"
	"    --script https://boot.example.com/bootrino.sh --pubkey RWQ... -o user-data.sh\n",
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
		return br_fail(-errno, "%s: %s", path, strerror(errno));
	buf = malloc(cap + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while ((n = read(fd, buf + got, cap + 1 - got)) > 0) {
		got += (size_t)n;
		if (got > cap) {
			rc = br_fail(-BR_EUSAGE, "%s: larger than %zu bytes", path, cap);
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
	const struct br_command *cmd = &br_command_userdata;
	struct userdata_args a;
	struct cloud_userdata_opts u = {0};
	char *owned_keys[CLOUD_USERDATA_MAX_KEYS] = {0};
	char *pem = NULL, *out = NULL;
	size_t len = 0, i;
	int n, rc;

	memset(&a, 0, sizeof(a));
	n = cli_parse(cmd, argc, argv, &a);
	if (n < 0)
		return cli_parse_exit(n);
	u.cloud = a.cloud;
	u.agent_url = a.agent_url;
	u.agent_sha256 = a.agent_sha256;
	u.script_url = a.script;
	u.direct = a.direct;
	u.no_install = a.no_install;
	u.site = a.site;
	u.format = a.format && strcmp(a.format, "cloud-config") == 0 ? CLOUD_USERDATA_CLOUD_CONFIG
								     : CLOUD_USERDATA_SCRIPT;
	for (i = 0; i < a.pubkeys.n; i++) {
		/* the user-data carries the key itself: the file is not there */
		owned_keys[i] = key_from_file(a.pubkeys.v[i]);
		u.pubkeys[i] = owned_keys[i] ? owned_keys[i] : a.pubkeys.v[i];
	}
	u.n_pubkeys = a.pubkeys.n;
	if (a.cacert) {
		br_errclear();
		rc = slurp(a.cacert, PEM_MAX, &pem);
		if (rc == 0)
			rc = cli_check_no_private_key(a.cacert, pem);
		if (rc < 0) {
			rc = cli_fail_as(rc, a.cacert, BR_EXIT_USAGE);
			goto out;
		}
		u.cacert_pem = pem;
	}
	br_errclear();
	rc = cloud_userdata_generate(&u, &out, &len);
	if (rc < 0) {
		/* oversize user-data is a configuration problem too (exit 2) */
		cli_fail(rc, NULL);
		rc = BR_EXIT_USAGE;
		goto out;
	}
	br_errclear();
	rc = write_output(a.output, out, len);
	if (rc < 0)
		rc = cli_fail(rc, a.output ? a.output : "stdout");
out:
	for (i = 0; i < CLOUD_USERDATA_MAX_KEYS; i++)
		free(owned_keys[i]);
	free(pem);
	free(out);
	return rc;
}
