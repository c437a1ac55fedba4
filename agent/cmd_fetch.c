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
#include "agent/fetch_tmp.h"
#include "agent/progress.h"
#include "common/err.h"
#include "common/log.h"
#include "fetch/fetch.h"
#include "fetch/url.h"
#include "verify/minisign.h"
#include "verify/sha256.h"

static int cmd_fetch(int argc, char **argv);

struct fetch_args {
	const char *out, *cacert, *minisig, *method;
	struct cli_pin pin;
	unsigned long long max_size;
	struct cli_list mirrors, headers;
	int insecure, quiet;
	unsigned long retries, timeout, connect_timeout, stall_timeout;
	struct cli_keys keys;
};

static int parse_cacert(void *field, const char *arg)
{
	if (access(arg, R_OK) < 0)
		return br_fail(-errno, "%s: %s", arg, strerror(errno));
	*(const char **)field = arg;
	return 0;
}

#define A struct fetch_args
static const struct cli_option fetch_options[] = {
    CLI_OPT("output", "o", "FILE", CLI_STR, A, out, CLI_REQUIRED,
	    "where to store it (required); - for stdout:\n"
	    "written only once every check passed"),
    CLI_OPT_PARSER("sha256", "", "HEX", cli_opt_sha256, A, pin, 0,
		   "expected SHA-256 (64 hex digits)"),
    CLI_OPT_RANGE("max-size", "", "BYTES", CLI_SIZE, A, max_size, 1, 0, 0,
		  "refuse anything larger (K/M/G suffixes; default 4G)"),
    CLI_OPT_RANGE("mirror", "", "URL", CLI_LIST, A, mirrors, 0, FETCH_MAX_MIRRORS, 0,
		  "another base URL holding the same file (repeatable):\n"
		  "tried in order after URL, with URL's file name"),
    CLI_OPT_PARSER("cacert", "", "FILE", parse_cacert, A, cacert, 0,
		   "trust this CA bundle instead of the system's"),
    CLI_OPT("insecure", "k", NULL, CLI_FLAG, A, insecure, 0,
	    "do not verify TLS certificates (logged on every use)"),
    CLI_OPT_RANGE("retry", "", "N", CLI_UINT, A, retries, 0, 100, 0,
		  "retries of transient failures (default 5)"),
    CLI_OPT_RANGE("timeout", "", "SECONDS", CLI_UINT, A, timeout, 1, 86400, 0,
		  "deadline for the whole download, retries included"),
    CLI_OPT_RANGE("connect-timeout", "", "SECONDS", CLI_UINT, A, connect_timeout, 1, 86400, 0,
		  "per connection (default 15)"),
    CLI_OPT_RANGE("stall-timeout", "", "SECONDS", CLI_UINT, A, stall_timeout, 1, 86400, 0,
		  "give an attempt up below 1 KiB/s this long (default 30)"),
    CLI_OPT("minisig", "x", "URL|FILE", CLI_STR, A, minisig, 0,
	    "minisign signature of the file (needs --pubkey)"),
    CLI_OPT_PARSER("pubkey", "Pp", "KEY", cli_opt_pubkey, A, keys, CLI_REPEAT,
		   "trusted minisign key: RW... or a .pub file (repeatable)"),
    CLI_OPT_RANGE("header", "H", "'NAME: VALUE'", CLI_LIST, A, headers, 0, CLI_LIST_MAX, 0,
		  "add a request header (repeatable)"),
    CLI_OPT("request", "X", "METHOD", CLI_STR, A, method, 0,
	    "e.g. PUT (sent without a body; never resumed)"),
    CLI_OPT("quiet", "qs", NULL, CLI_FLAG, A, quiet, 0, "no progress display"),
};
#undef A

BR_COMMAND(fetch) = {
    .name = "fetch",
    .summary = "download a file, checking its sha256 and/or minisign signature",
    .synopsis = "URL -o FILE [--sha256 HEX] [--minisig URL|FILE --pubkey KEY]... [OPTIONS]",
    .description = "Download URL (http, https or file) to FILE. FILE appears only once the\n"
		   "whole download succeeded and every check passed; an existing FILE is\n"
		   "replaced atomically, never left half-written. The bytes go to a hidden\n"
		   "temp file .FILE.bootrino-XXXXXX next to FILE first: removed on failure\n"
		   "and on SIGINT, SIGTERM, SIGHUP or SIGQUIT; one a SIGKILL left behind is\n"
		   "removed by the next fetch to the same FILE. Prints \"SHA256  FILE\".\n",
    CLI_OPTIONS(fetch_options),
    .min_args = 1,
    .max_args = 1,
    .args_name = "URL",
    .exit_status = "0  ok\n2  usage error (bad option, unusable FILE, key or CA file)\n"
		   "3  sha256 or signature mismatch, or larger than --max-size\n"
		   "4  download failed\n6  FILE could not be written (disk full, I/O error)\n",
    .example = "bootrino fetch https://boot.example.com/tinylinux/vmlinuz -o vmlinuz \\\n"
	       "    --sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\n",
    .run = cmd_fetch,
    .fail_exit = BR_EXIT_FETCH,
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
	{
		/* in use, for the stale sweep (agent/fetch_tmp.h) */
		struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};

		(void)fcntl(fd, F_SETLK, &fl);
	}
	*what = "fetch";
	rc = fetch_to_file(url, tmp, o, res);
	if (rc == 0)
		rc = check_signature(kr, tmp, minisig, o, what);
	if (rc == 0 && rename(tmp, out) < 0)
		rc = br_fail(-errno, "%s: rename: %s", out, strerror(errno));
	if (rc)
		unlink(tmp);
	close(fd);
out_free:
	free(tmp);
out:
	free(copy);
	free(base);
	return rc;
}

/* -o -: a private temp file, copied to stdout once every check passed */
static int copy_to_stdout(const char *path)
{
	char buf[65536];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return br_fail(-errno, "%s: %s", path, strerror(errno));
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n) {
			rc = br_fail(-EIO, "stdout: %s", strerror(errno));
			break;
		}
	if (n < 0)
		rc = br_fail(-errno, "%s: %s", path, strerror(errno));
	close(fd);
	if (!rc && fflush(stdout) != 0)
		rc = br_fail(-EIO, "stdout: %s", strerror(errno));
	return rc;
}

/* Stale temp files first, then catch the signals (agent/fetch_tmp.h). */
static int guard(const char *out, char *stdout_tmp, size_t len)
{
	char dir[4096], pre[CLI_TMP_PREFIXES][300];
	const char *p[CLI_TMP_PREFIXES];
	const char *tmpdir = getenv("TMPDIR");
	int fd;

	if (!stdout_tmp) {
		if (cli_tmp_names(out, dir, sizeof(dir), pre))
			return -ENOMEM;
		p[0] = pre[0];
		p[1] = pre[1];
		p[2] = pre[2];
		cli_tmp_guard(dir, p, 3);
		return 0;
	}
	snprintf(dir, sizeof(dir), "%s", tmpdir && *tmpdir ? tmpdir : "/tmp");
	p[0] = "bootrino-stdout.";
	p[1] = ".bootrino-stdout.";
	p[2] = "..bootrino-stdout.";
	cli_tmp_guard(dir, p, 3);
	if ((size_t)snprintf(stdout_tmp, len, "%s/bootrino-stdout.XXXXXX", dir) >= len)
		return br_fail(-ENAMETOOLONG, "TMPDIR: too long");
	fd = mkostemp(stdout_tmp, O_CLOEXEC);
	if (fd < 0) {
		int e = errno;

		stdout_tmp[0] = '\0';
		return br_fail(-e, "%s: %s", dir, strerror(e));
	}
	close(fd);
	return 0;
}

/* The parsed options as fetch/ takes them. */
static void to_fetch_opts(const struct fetch_args *a, struct fetch_opts *o)
{
	size_t i;

	if (a->pin.set)
		o->sha256 = a->pin.digest;
	if (a->max_size)
		o->max_size = a->max_size;
	for (i = 0; i < a->mirrors.n; i++)
		o->mirrors[i] = a->mirrors.v[i];
	o->n_mirrors = a->mirrors.n;
	o->cacert = a->cacert;
	o->insecure = a->insecure;
	o->retries = (unsigned)a->retries;
	if (a->timeout)
		o->deadline_s = (unsigned)a->timeout;
	if (a->connect_timeout)
		o->connect_timeout_s = (unsigned)a->connect_timeout;
	if (a->stall_timeout)
		o->stall_timeout_s = (unsigned)a->stall_timeout;
	if (a->headers.n)
		o->headers = a->headers.v;
	o->method = a->method;
	if (!a->quiet) {
		o->progress = 1;
		o->progress_cb = cli_fetch_progress;
	}
}

/* What can be refused before any byte is fetched: the option pairs,
 * FILE, and a URL or mirror fetch/ would refuse (a usage error, not a
 * verdict). 0 or the exit code. */
static int check_args(const struct fetch_args *a, const char *url, const struct fetch_opts *o)
{
	const struct br_command *cmd = &br_command_fetch;
	char check[FETCH_URL_MAX];
	size_t i;
	int rc;

	if (a->minisig && a->keys.n == 0)
		return cli_usage_error(cmd, "--minisig needs at least one --pubkey");
	if (!a->minisig && a->keys.n > 0)
		return cli_usage_error(cmd, "--pubkey needs --minisig");
	if (strcmp(a->out, "-") != 0 && (rc = check_output(a->out)))
		return cli_fail(rc, "--output");
	if ((rc = fetch_url_resolve(url, url, check, sizeof(check))))
		return cli_usage_error(cmd, "%s", br_errmsg(rc));
	for (i = 0; i < o->n_mirrors; i++)
		if ((rc = fetch_url_mirror(o->mirrors[i], "x", check, sizeof(check))))
			return cli_usage_error(cmd, "--mirror %s: %s", o->mirrors[i],
					       br_errmsg(rc));
	return 0;
}

static int cmd_fetch(int argc, char **argv)
{
	static struct fetch_args a;
	struct fetch_opts o;
	struct fetch_result res;
	char hex[VERIFY_SHA256_HEXLEN + 1], stdout_tmp[4096] = "";
	const char *url, *what = "fetch", *out;
	int n, rc, to_stdout;

	memset(&a, 0, sizeof(a));
	memset(&res, 0, sizeof(res));
	fetch_opts_init(&o);
	a.retries = o.retries;
	n = cli_parse(&br_command_fetch, argc, argv, &a);
	if (n < 0)
		return cli_parse_exit(n);
	url = argv[n];
	to_fetch_opts(&a, &o);
	rc = check_args(&a, url, &o);
	if (rc)
		return rc;
	if (o.insecure)
		br_log(BR_LOG_WARN, "%s: TLS certificate verification is off (--insecure)", url);
	to_stdout = strcmp(a.out, "-") == 0;
	rc = guard(a.out, to_stdout ? stdout_tmp : NULL, sizeof(stdout_tmp));
	if (rc)
		return cli_fail(rc, "--output");
	out = to_stdout ? stdout_tmp : a.out;
	if (a.minisig)
		rc = fetch_signed(url, out, &o, &a.keys.kr, a.minisig, &res, &what);
	else
		rc = fetch_to_file(url, out, &o, &res);
	cli_fetch_progress_end();
	if (!rc && to_stdout)
		rc = copy_to_stdout(stdout_tmp);
	if (stdout_tmp[0])
		unlink(stdout_tmp);
	cli_tmp_unguard();
	if (rc) {
		n = cli_fail(rc, NULL);
		/* a signature that does not verify is a verdict, like `verify` */
		return strcmp(what, "fetch") != 0 ? BR_EXIT_VERIFY : n;
	}
	br_debug("%s: %llu bytes in %u attempt(s), %u resume(s), %u restart(s) from %s", a.out,
		 (unsigned long long)res.size, res.attempts, res.resumes, res.restarts,
		 res.effective_url);
	if (to_stdout)
		return 0;
	verify_sha256_hex(res.sha256, hex);
	printf("%s  %s\n", hex, a.out);
	return fflush(stdout) == 0 ? 0 : BR_EXIT_DISK;
}
