/* User-data generation: a POSIX sh script (or a #cloud-config carrying it)
 * that fetches the agent, checks its sha256 and runs `bootrino takeover`.
 *
 * Everything that goes into the script is validated first and then
 * single-quoted, so no input can become shell syntax; the script itself
 * refuses to run an agent whose sha256 does not match the pin. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cloudinit/cloudinit.h"
#include "common/err.h"
#include "fetch/url.h"
#include "verify/minisign.h"

#define URL_MAX 2047
/* the largest cloud limit (GCP): Debian's whole CA bundle (~220 KiB)
 * fits where the cloud takes it; the size check says where it does not */
#define CACERT_MAX (256u << 10)
#define CA_HEREDOC "BOOTRINO_CA_EOF"

/* Paths on the instance. Not /run: initramfs-tools mounts it noexec on
 * Debian and Ubuntu, and /tmp is noexec on hardened images. */
#define UD_DIR "/var/lib/bootrino"
#define UD_LOG "/var/log/bootrino-userdata.log"
#define UD_SCRIPT_PATH "/run/bootrino-userdata.sh"

struct sbuf {
	char *p;
	size_t len, cap;
	int err;
};

/* Make room for n more bytes and the NUL; 0 or the sticky error. */
static int sb_reserve(struct sbuf *b, int n)
{
	size_t need;

	if (b->err)
		return b->err;
	if (n < 0) {
		b->err = -EINVAL;
		return b->err;
	}
	need = b->len + (size_t)n + 1;
	if (need > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *np;

		while (cap < need)
			cap *= 2;
		np = realloc(b->p, cap);
		if (!np) {
			b->err = -ENOMEM;
			return b->err;
		}
		b->p = np;
		b->cap = cap;
	}
	return 0;
}

__attribute__((format(printf, 2, 3))) static void sb_add(struct sbuf *b, const char *fmt, ...)
{
	char *piece = NULL;
	va_list ap;
	int n;

	if (b->err)
		return;
	va_start(ap, fmt);
	n = vasprintf(&piece, fmt, ap);
	va_end(ap);
	if (n < 0 || !piece) {
		b->err = -ENOMEM;
		return;
	}
	if (sb_reserve(b, n) == 0) {
		memcpy(b->p + b->len, piece, (size_t)n + 1);
		b->len += (size_t)n;
	}
	free(piece);
}

/* 'text' for sh: a single quote becomes '\'' (close, escaped, reopen). */
static void sb_shquote(struct sbuf *b, const char *s)
{
	sb_add(b, "'");
	for (; *s; s++) {
		if (*s == '\'')
			sb_add(b, "'\\''");
		else
			sb_add(b, "%c", *s);
	}
	sb_add(b, "'");
}

size_t cloud_userdata_limit(const char *cloud)
{
	if (!cloud)
		return 0;
	if (!strcmp(cloud, "aws"))
		return 16u << 10; /* EC2: 16 KiB of raw user-data */
	if (!strcmp(cloud, "gcp"))
		return 256u << 10; /* GCE: one metadata value */
	if (!strcmp(cloud, "digitalocean"))
		return 64u << 10;
	if (!strcmp(cloud, "generic"))
		return 16u << 10; /* the smallest of the three: pastes anywhere */
	return 0;
}

static int check_url(const char *field, const char *url)
{
	char scheme[8];
	const char *p, *host;
	size_t len;

	if (!url || !*url)
		return br_fail(-BR_EUSAGE, "%s: missing", field);
	len = strlen(url);
	if (len > URL_MAX)
		return br_fail(-BR_EUSAGE, "%s: longer than %d bytes", field, URL_MAX);
	for (p = url; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return br_fail(-BR_EUSAGE,
				       "%s: '%s': spaces, control and non-ASCII bytes must be "
				       "percent-encoded",
				       field, url);
	if (fetch_url_scheme(url, scheme, sizeof(scheme)) < 0 ||
	    (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0))
		return br_fail(-BR_EUSAGE, "%s: '%s': not an http(s) URL", field, url);
	host = strstr(url, "://");
	if (!host || !host[3] || host[3] == '/' || host[3] == '?' || host[3] == '#')
		return br_fail(-BR_EUSAGE, "%s: '%s': no host", field, url);
	return 0;
}

static int check_sha256(const char *hex)
{
	size_t i;

	if (!hex || !*hex)
		return br_fail(-BR_EUSAGE, "--agent-sha256: missing");
	for (i = 0; hex[i]; i++)
		if (!isxdigit((unsigned char)hex[i]))
			break;
	if (i != 64 || hex[i])
		return br_fail(-BR_EUSAGE, "--agent-sha256: '%s': not 64 hex digits", hex);
	return 0;
}

static int check_pubkey(const char *key)
{
	struct verify_pubkey pk;

	/* The key travels in the user-data, so it must be the base64 line
	 * itself: a path would name a file that is not on the instance. */
	if (!key || !*key)
		return br_fail(-BR_EUSAGE, "--pubkey: empty");
	if (strlen(key) > 128 || verify_minisign_parse_pubkey(key, strlen(key), &pk) < 0)
		return br_fail(-BR_EUSAGE,
			       "--pubkey: '%.64s': not a minisign public key (the base64 line "
			       "\"RW…\" of the .pub file)",
			       key);
	return 0;
}

static int check_cacert(const char *pem)
{
	const char *p, *line;

	if (!pem)
		return 0;
	if (strlen(pem) > CACERT_MAX)
		return br_fail(-BR_EUSAGE, "--cacert: larger than %u bytes", CACERT_MAX);
	if (!strstr(pem, "-----BEGIN CERTIFICATE-----"))
		return br_fail(-BR_EUSAGE, "--cacert: no PEM certificate");
	/* user-data is readable by anyone with metadata or console access */
	if (strstr(pem, "PRIVATE KEY-----"))
		return br_fail(-BR_EUSAGE, "--cacert: holds a private key; refusing to embed it");
	for (p = pem; *p; p++) {
		/* A lone CR is a line break to YAML (and to some shells' view
		 * of a here-document): in a cloud-config it would end the
		 * literal block and the rest of the bundle would be YAML, e.g.
		 * a bootcmd. CR is accepted only as part of CRLF (and dropped
		 * when the bundle is written). */
		if (*p == '\r' && p[1] != '\n')
			return br_fail(-BR_EUSAGE, "--cacert: a CR that is not part of CRLF: not a "
						   "PEM text file");
		if ((*p < 0x20 || *p >= 0x7f) && *p != '\n' && *p != '\r')
			return br_fail(-BR_EUSAGE, "--cacert: not a PEM text file");
	}
	/* The bundle is written with a here-document: its terminator must
	 * not occur as a line of the bundle. */
	for (line = pem; line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
		if (!strncmp(line, CA_HEREDOC, strlen(CA_HEREDOC)))
			return br_fail(-BR_EUSAGE, "--cacert: not a PEM text file");
	return 0;
}

int cloud_userdata_validate(const struct cloud_userdata_opts *o)
{
	size_t i;
	int rc;

	if (!o->cloud || !cloud_userdata_limit(o->cloud))
		return br_fail(-BR_EUSAGE,
			       "--cloud: '%s': expected aws, gcp, digitalocean or generic",
			       o->cloud ? o->cloud : "");
	if ((rc = check_url("--agent-url", o->agent_url)) < 0 ||
	    (rc = check_sha256(o->agent_sha256)) < 0 ||
	    (rc = check_url("--script", o->script_url)) < 0)
		return rc;
	if (o->n_pubkeys == 0)
		return br_fail(-BR_EUSAGE, "--pubkey: at least one key is needed");
	if (o->n_pubkeys > CLOUD_USERDATA_MAX_KEYS)
		return br_fail(-BR_EUSAGE, "--pubkey: at most %d keys", CLOUD_USERDATA_MAX_KEYS);
	for (i = 0; i < o->n_pubkeys; i++)
		if ((rc = check_pubkey(o->pubkeys[i])) < 0)
			return rc;
	if (o->format != CLOUD_USERDATA_SCRIPT && o->format != CLOUD_USERDATA_CLOUD_CONFIG)
		return br_fail(-BR_EUSAGE, "--format: expected script or cloud-config");
	if (o->site && (!o->site[0] || strlen(o->site) > 64 ||
			strspn(o->site, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					"0123456789._-") != strlen(o->site)))
		return br_fail(-BR_EUSAGE, "--site: 1 to 64 of [A-Za-z0-9._-]");
	return check_cacert(o->cacert_pem);
}

static void emit_script(struct sbuf *b, const struct cloud_userdata_opts *o)
{
	char sha[65];
	size_t i;

	for (i = 0; i < 64; i++)
		sha[i] = (char)tolower((unsigned char)o->agent_sha256[i]);
	sha[64] = '\0';

	sb_add(b,
	       "#!/bin/sh\n"
	       "# bootrino user-data for %s, made by `bootrino userdata`.\n"
	       "# Fetches the bootrino agent, checks its sha256 and runs `bootrino takeover`,\n"
	       "# which replaces this OS only after verifying everything it will boot.\n"
	       "# Log: console and " UD_LOG ".\n",
	       o->cloud);
	sb_add(b, "AGENT_URL=");
	sb_shquote(b, o->agent_url);
	sb_add(b, "\nAGENT_SHA256=%s\nSCRIPT_URL=", sha);
	sb_shquote(b, o->script_url);
	sb_add(b, "\nDIR=" UD_DIR "\nLOG=" UD_LOG "\n");
	sb_add(b, "%s", o->cacert_pem ? "CACERT=$DIR/ca.pem\n" : "CACERT=\n");
	sb_add(b, "\n"
		  "umask 077\n"
		  "log() {\n"
		  "\tprintf 'bootrino-userdata: %%s\\n' \"$*\"\n"
		  "\tprintf '%%s bootrino-userdata: %%s\\n' \"$(date -u "
		  "+%%Y-%%m-%%dT%%H:%%M:%%SZ)\" \"$*\" >> \"$LOG\" 2> /dev/null\n"
		  "}\n"
		  "fail() {\n"
		  "\tlog \"FAILED: $2; the running system is left as it was\"\n"
		  "\texit \"$1\"\n"
		  "}\n"
		  "mkdir -p \"$DIR\" && chmod 700 \"$DIR\" || fail 1 \"cannot create $DIR\"\n");
	if (o->cacert_pem) {
		const char *c, *crlf;

		/* CRLF written as LF: the user-data holds no CR at all */
		sb_add(b, "cat > \"$CACERT\" << '" CA_HEREDOC "'\n");
		for (c = o->cacert_pem; (crlf = strstr(c, "\r\n")) != NULL; c = crlf + 1)
			sb_add(b, "%.*s", (int)(crlf - c), c);
		sb_add(b, "%s%s" CA_HEREDOC "\n", c,
		       o->cacert_pem[0] && o->cacert_pem[strlen(o->cacert_pem) - 1] == '\n' ? ""
											    : "\n");
	}
	/* curl and wget both ship with the stock images; each attempt is
	 * bounded, and the loop retries whatever failed (curl's own
	 * --retry-all-errors is too new for older images). */
	sb_add(b,
	       "\n"
	       "download() {\n"
	       "\tif command -v curl > /dev/null 2>&1; then\n"
	       "\t\tcurl -fsSL --proto '=http,https' --connect-timeout 10 --max-time 600 \\\n"
	       "\t\t\t--retry 3 --retry-delay 2 ${CACERT:+--cacert \"$CACERT\"} -o \"$2\" \"$1\"\n"
	       "\telif command -v wget > /dev/null 2>&1; then\n"
	       "\t\twget -q -T 10 -t 4 --waitretry=2 ${CACERT:+--ca-certificate=\"$CACERT\"} \\\n"
	       "\t\t\t-O \"$2\" \"$1\"\n"
	       "\telse\n"
	       "\t\tfail 4 \"neither curl nor wget is installed\"\n"
	       "\tfi\n"
	       "}\n"
	       "\n"
	       "log \"fetching the agent from $AGENT_URL\"\n"
	       "rm -f \"$DIR/bootrino.part\"\n"
	       "n=0 delay=1\n"
	       "until download \"$AGENT_URL\" \"$DIR/bootrino.part\"; do\n"
	       "\tn=$((n + 1))\n"
	       "\t[ \"$n\" -lt 6 ] || fail 4 \"cannot download $AGENT_URL\"\n"
	       "\tlog \"download failed, retrying in ${delay}s\"\n"
	       "\tsleep \"$delay\"\n"
	       "\tdelay=$((delay * 2))\n"
	       "done\n"
	       "if ! echo \"$AGENT_SHA256  $DIR/bootrino.part\" | sha256sum -c - > /dev/null 2>&1; "
	       "then\n"
	       "\tgot=$(sha256sum \"$DIR/bootrino.part\" | cut -d' ' -f1)\n"
	       "\trm -f \"$DIR/bootrino.part\"\n"
	       "\tfail 3 \"$AGENT_URL: sha256 mismatch: expected $AGENT_SHA256, got $got; not "
	       "running it\"\n"
	       "fi\n"
	       "chmod 700 \"$DIR/bootrino.part\" && mv -f \"$DIR/bootrino.part\" \"$DIR/bootrino\" "
	       "||\n"
	       "\tfail 1 \"cannot install the agent in $DIR\"\n"
	       "log \"agent sha256 OK ($AGENT_SHA256)\"\n"
	       "\n"
	       "set -- takeover --script \"$SCRIPT_URL\"");
	for (i = 0; i < o->n_pubkeys; i++) {
		size_t j;

		for (j = 0; j < i && strcmp(o->pubkeys[j], o->pubkeys[i]) != 0; j++)
			;
		if (j < i)
			continue; /* the same key twice */
		sb_add(b, " \\\n\t--pubkey ");
		sb_shquote(b, o->pubkeys[i]);
	}
	if (o->direct)
		sb_add(b, " \\\n\t--direct");
	if (o->no_install)
		sb_add(b, " \\\n\t--no-install");
	if (o->site) {
		sb_add(b, " \\\n\t--site ");
		sb_shquote(b, o->site);
	}
	if (o->cacert_pem)
		sb_add(b, " \\\n\t--cacert \"$CACERT\"");
	sb_add(
	    b,
	    "\n"
	    "rm -f \"$DIR/takeover.rc\"\n"
	    "log \"running: bootrino $*\"\n"
	    "# takeover kexecs on success; its output goes to the console and the log.\n"
	    "{ \"$DIR/bootrino\" \"$@\" 2>&1; echo $? > \"$DIR/takeover.rc\"; } | tee -a \"$LOG\"\n"
	    "rc=$(cat \"$DIR/takeover.rc\" 2> /dev/null || echo 1)\n"
	    "[ \"$rc\" = 0 ] || fail \"$rc\" \"bootrino takeover exited with status $rc\"\n"
	    "log \"bootrino takeover returned\"\n");
}

static void emit_cloud_config(struct sbuf *b, const char *script)
{
	const char *line, *nl;

	/* The script goes in a literal block: every line indented, nothing
	 * to escape. */
	sb_add(b, "#cloud-config\n"
		  "# bootrino user-data, made by `bootrino userdata --format cloud-config`.\n"
		  "write_files:\n"
		  "  - path: " UD_SCRIPT_PATH "\n"
		  "    owner: root:root\n"
		  "    permissions: '0700'\n"
		  "    content: |\n");
	for (line = script; *line; line = nl + 1) {
		size_t n;

		nl = strchr(line, '\n');
		n = nl ? (size_t)(nl - line) : strlen(line);
		if (n)
			sb_add(b, "      %.*s\n", (int)n, line);
		else
			sb_add(b, "\n");
		if (!nl)
			break;
	}
	sb_add(b, "runcmd:\n  - [ sh, " UD_SCRIPT_PATH " ]\n");
}

int cloud_userdata_generate(const struct cloud_userdata_opts *o, char **out, size_t *len)
{
	struct sbuf script = {0}, cc = {0}, *res = &script;
	size_t limit;
	int rc;

	*out = NULL;
	if ((rc = cloud_userdata_validate(o)) < 0)
		return rc;
	emit_script(&script, o);
	if (!script.err && o->format == CLOUD_USERDATA_CLOUD_CONFIG) {
		emit_cloud_config(&cc, script.p);
		res = &cc;
	}
	if (script.err || cc.err) {
		rc = br_fail(script.err ? script.err : cc.err, "user-data: out of memory");
		goto out;
	}
	limit = cloud_userdata_limit(o->cloud);
	if (res->len > limit) {
		rc = br_fail(-BR_ETOOBIG, "user-data: %zu bytes, over the %zu-byte limit of %s",
			     res->len, limit, o->cloud);
		goto out;
	}
	*out = res->p;
	if (len)
		*len = res->len;
	res->p = NULL;
	rc = 0;
out:
	free(script.p);
	free(cc.p);
	return rc;
}
