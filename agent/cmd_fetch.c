/* `bootrino fetch URL -o FILE …`: download with inline sha256, limits,
 * retries, mirrors and an optional minisign signature (progress display:
 * agent/progress.c). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/cli.h"
#include "agent/progress.h"
#include "common/err.h"
#include "common/log.h"
#include "fetch/fetch.h"
#include "fetch/url.h"
#include "verify/minisign.h"
#include "verify/sha256.h"

static int cmd_fetch(int argc, char **argv);

BR_COMMAND(fetch) = {
    .name = "fetch",
    .summary = "download a file, checking its sha256 and/or minisign signature",
    .usage = "usage: bootrino fetch URL -o FILE [--sha256 HEX] [--max-size BYTES]\n"
	     "       [--mirror URL]… [--cacert FILE] [--insecure] [--retries N]\n"
	     "       [--timeout SECONDS] [--minisig URL|FILE --pubkey KEY…]\n\n"
	     "Download URL (http, https or file) to FILE. FILE appears only once the\n"
	     "whole download succeeded and every check passed; an existing FILE is\n"
	     "replaced atomically, never left half-written.\n\n"
	     "  -o, --output FILE        where to store it (required)\n"
	     "  -s, --sha256 HEX         expected SHA-256 (64 hex digits)\n"
	     "  -m, --max-size BYTES     refuse anything larger (K/M/G suffixes; default 4G)\n"
	     "      --mirror URL         another base URL holding the same file (repeatable):\n"
	     "                           tried in order after URL, with URL's file name\n"
	     "      --cacert FILE        trust this CA bundle instead of the system's\n"
	     "      --insecure           do not verify TLS certificates (logged on every use)\n"
	     "  -r, --retries N          retries of transient failures (default 5)\n"
	     "  -t, --timeout SECONDS    deadline for the whole download, retries included\n"
	     "      --connect-timeout S  per connection (default 15)\n"
	     "      --stall-timeout S    give an attempt up below 1 KiB/s for S s (default 30)\n"
	     "      --minisig URL|FILE   minisign signature of the file (needs --pubkey)\n"
	     "  -k, --pubkey KEY         trusted minisign key: RW… or a .pub file (repeatable)\n"
	     "  -H, --header 'N: V'      add a request header (repeatable)\n"
	     "  -X, --request METHOD     e.g. PUT (sent without a body; never resumed)\n"
	     "  -q, --quiet              no progress display\n"
	     "  -v, --verbose            debug output\n"
	     "  -h, --help               this text\n\n"
	     "Prints \"SHA256  FILE\" on success. Exit status: 0 ok, 2 usage error,\n"
	     "3 sha256/signature mismatch or too large, 4 download failed.\n",
    .run = cmd_fetch,
};

enum {
	OPT_MIRROR = 0x100,
	OPT_CACERT,
	OPT_INSECURE,
	OPT_CONNECT_TIMEOUT,
	OPT_STALL_TIMEOUT,
	OPT_MINISIG,
};

/* A --minisig argument is a URL when it has a scheme we fetch. */
static int is_url(const char *s)
{
	char scheme[8];
	int rc;

	rc = fetch_url_scheme(s, scheme, sizeof(scheme));
	return rc == 0;
}

/* Verify the downloaded bytes (tmp) against the signature. */
static int check_signature(const struct verify_keyring *kr, const char *tmp, const char *minisig,
			   const struct fetch_opts *base, const char **what)
{
	struct verify_sigresult res;
	struct fetch_opts so = *base;
	char *sig = NULL;
	size_t siglen = 0;
	int fd, rc;

	*what = minisig;
	if (!is_url(minisig))
		return verify_minisign_file(kr, tmp, minisig, &res);
	so.sha256 = NULL;
	so.n_mirrors = 0;
	so.progress_cb = NULL;
	if (so.insecure)
		br_log(BR_LOG_WARN, "%s: TLS certificate verification is off (--insecure)",
		       minisig);
	rc = fetch_to_memory(minisig, VERIFY_SIGFILE_MAX, &so, &sig, &siglen, NULL);
	if (rc) {
		*what = "fetch";
		return rc;
	}
	fd = open(tmp, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = br_fail(-errno, "%s: %s", tmp, strerror(errno));
	} else {
		rc = verify_minisign_fd(kr, fd, sig, siglen, &res);
		close(fd);
	}
	free(sig);
	return rc;
}

/* -o FILE must be something a download can replace: a directory, or a
 * path in a directory that does not exist, is a bad argument (exit 2),
 * said before any byte is fetched rather than after the transfer. */
static int check_output(const char *out)
{
	char *copy = strdup(out);
	struct stat st;
	int rc = 0;

	if (!copy)
		return -ENOMEM;
	if (!*out || out[strlen(out) - 1] == '/')
		rc = br_fail(-BR_EUSAGE, "'%s': not a file name", out);
	else if (stat(out, &st) == 0 && S_ISDIR(st.st_mode))
		rc = br_fail(-BR_EUSAGE, "%s: is a directory, not a file name", out);
	else if (stat(dirname(copy), &st) < 0)
		rc = br_fail(-BR_EUSAGE, "%s: directory %s: %s", out, copy, strerror(errno));
	else if (!S_ISDIR(st.st_mode))
		rc = br_fail(-BR_EUSAGE, "%s: %s is not a directory", out, copy);
	free(copy);
	return rc;
}

/* With a signature to check, the download lands on a private name next
 * to FILE first and becomes FILE only once the signature verified. */
static int fetch_signed(const char *url, const char *out, const struct fetch_opts *o,
			const struct verify_keyring *kr, const char *minisig,
			struct fetch_result *res, const char **what)
{
	char *tmp = NULL, *copy = strdup(out), *base = strdup(out);
	int fd, rc;

	if (!copy || !base ||
	    asprintf(&tmp, "%s/.%s.minisig-XXXXXX", dirname(copy), basename(base)) < 0) {
		tmp = NULL;
		rc = -ENOMEM;
		goto out;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		rc = br_fail(-errno, "%s: %s", out, strerror(errno));
		*what = "fetch";
		goto out_free;
	}
	close(fd);
	*what = "fetch";
	rc = fetch_to_file(url, tmp, o, res);
	if (rc == 0)
		rc = check_signature(kr, tmp, minisig, o, what);
	if (rc == 0 && rename(tmp, out) < 0)
		rc = br_fail(-errno, "%s: rename: %s", out, strerror(errno));
	if (rc)
		unlink(tmp);
out_free:
	free(tmp);
out:
	free(copy);
	free(base);
	return rc;
}

static int cmd_fetch(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"output", required_argument, NULL, 'o'},
	    {"sha256", required_argument, NULL, 's'},
	    {"max-size", required_argument, NULL, 'm'},
	    {"mirror", required_argument, NULL, OPT_MIRROR},
	    {"cacert", required_argument, NULL, OPT_CACERT},
	    {"insecure", no_argument, NULL, OPT_INSECURE},
	    {"retries", required_argument, NULL, 'r'},
	    {"timeout", required_argument, NULL, 't'},
	    {"connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT},
	    {"stall-timeout", required_argument, NULL, OPT_STALL_TIMEOUT},
	    {"minisig", required_argument, NULL, OPT_MINISIG},
	    {"pubkey", required_argument, NULL, 'k'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"header", required_argument, NULL, 'H'},
	    {"request", required_argument, NULL, 'X'},
	    CLI_COMMON_OPTIONS,
	    {NULL, 0, NULL, 0},
	};
	static struct verify_keyring kr;
	static const char *headers[17];
	size_t nheaders = 0;
	const struct br_command *cmd = &br_command_fetch;
	struct fetch_opts o;
	struct fetch_result res;
	uint8_t pin[VERIFY_SHA256_LEN];
	char hex[VERIFY_SHA256_HEXLEN + 1];
	const char *out = NULL, *url, *minisig = NULL, *what = "fetch";
	unsigned long long size;
	unsigned long v;
	int c, rc, quiet = 0, nkeys = 0;

	memset(&kr, 0, sizeof(kr));
	memset(&res, 0, sizeof(res));
	fetch_opts_init(&o);
	while ((c = getopt_long(argc, argv, "hvo:s:m:r:t:k:qH:X:", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 's':
			if (verify_sha256_parse(optarg, pin))
				return cli_usage_error(cmd, "--sha256 needs 64 hex digits");
			o.sha256 = pin;
			break;
		case 'm':
			if (cli_parse_size(optarg, &size) || size == 0)
				return cli_usage_error(cmd, "bad --max-size '%s'", optarg);
			o.max_size = size;
			break;
		case OPT_MIRROR:
			if (o.n_mirrors == FETCH_MAX_MIRRORS)
				return cli_usage_error(cmd, "at most %d --mirror",
						       FETCH_MAX_MIRRORS);
			o.mirrors[o.n_mirrors++] = optarg;
			break;
		case OPT_CACERT:
			if (access(optarg, R_OK) < 0)
				return cli_usage_error(cmd, "--cacert %s: %s", optarg,
						       strerror(errno));
			o.cacert = optarg;
			break;
		case OPT_INSECURE:
			o.insecure = 1;
			break;
		case 'r':
			if (cli_parse_uint(optarg, 100, &v))
				return cli_usage_error(cmd, "bad --retries '%s' (0-100)", optarg);
			o.retries = (unsigned)v;
			break;
		case 't':
		case OPT_CONNECT_TIMEOUT:
		case OPT_STALL_TIMEOUT:
			if (cli_parse_uint(optarg, 86400, &v) || v == 0)
				return cli_usage_error(cmd, "bad timeout '%s' (1-86400 s)", optarg);
			if (c == 't')
				o.deadline_s = (unsigned)v;
			else if (c == OPT_CONNECT_TIMEOUT)
				o.connect_timeout_s = (unsigned)v;
			else
				o.stall_timeout_s = (unsigned)v;
			break;
		case OPT_MINISIG:
			minisig = optarg;
			break;
		case 'k':
			nkeys++;
			br_errclear();
			rc = verify_keyring_add(&kr, optarg);
			if (rc) {
				cli_fail(rc, "--pubkey");
				return BR_EXIT_USAGE;
			}
			break;
		case 'q':
			quiet = 1;
			break;
		case 'H':
			if (nheaders + 1 == sizeof(headers) / sizeof(headers[0]))
				return cli_usage_error(cmd, "too many --header");
			headers[nheaders++] = optarg;
			o.headers = headers;
			break;
		case 'X':
			o.method = optarg;
			break;
		default:
			rc = cli_common_option(cmd, c);
			if (rc != CLI_CONTINUE)
				return rc;
		}
	}
	if (optind >= argc)
		return cli_usage_error(cmd, "missing URL");
	if (optind + 1 < argc)
		return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind + 1]);
	if (!out)
		return cli_usage_error(cmd, "missing -o FILE");
	if (minisig && nkeys == 0)
		return cli_usage_error(cmd, "--minisig needs at least one --pubkey");
	if (!minisig && nkeys > 0)
		return cli_usage_error(cmd, "--pubkey without --minisig");
	url = argv[optind];
	rc = check_output(out);
	if (rc)
		return cli_fail(rc, "-o");
	{
		/* a URL we would refuse is a usage error, not a verdict */
		char check[FETCH_URL_MAX];
		size_t i;

		if ((rc = fetch_url_resolve(url, url, check, sizeof(check))))
			return cli_usage_error(cmd, "%s", br_errmsg(rc));
		for (i = 0; i < o.n_mirrors; i++)
			if ((rc = fetch_url_mirror(o.mirrors[i], "x", check, sizeof(check))))
				return cli_usage_error(cmd, "--mirror %s: %s", o.mirrors[i],
						       br_errmsg(rc));
	}
	if (!quiet) {
		o.progress = 1;
		o.progress_cb = cli_fetch_progress;
	}
	if (o.insecure)
		br_log(BR_LOG_WARN, "%s: TLS certificate verification is off (--insecure)", url);

	if (minisig)
		rc = fetch_signed(url, out, &o, &kr, minisig, &res, &what);
	else
		rc = fetch_to_file(url, out, &o, &res);
	cli_fetch_progress_end();
	if (rc) {
		rc = cli_fail(rc, what);
		/* a signature that does not verify is a verdict, like `verify` */
		return strcmp(what, "fetch") != 0 ? BR_EXIT_VERIFY : rc;
	}
	br_debug("%s: %llu bytes in %u attempt(s), %u resume(s), %u restart(s) from %s", out,
		 (unsigned long long)res.size, res.attempts, res.resumes, res.restarts,
		 res.effective_url);
	verify_sha256_hex(res.sha256, hex);
	printf("%s  %s\n", hex, out);
	return fflush(stdout) == 0 ? 0 : BR_EXIT_FAIL;
}
