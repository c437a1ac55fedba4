/* Declared options: parsing, help, one-line messages (see agent/cli.h). */
#include "agent/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "verify/sha256.h"

#define CLI_MAX_OPTIONS 48
#define HELP_COLUMN 28

/* Options every command has; -V prints the version (curl), as does
 * --version. */
static const struct cli_option common_options[] = {
    {.name = "help", .letters = "h", .help = "print this help and exit"},
    {.name = "verbose", .letters = "v", .help = "debug output on stderr"},
    {.name = "version", .letters = "V", .help = "print bootrino's version and exit"},
};
enum { COMMON_HELP, COMMON_VERBOSE, COMMON_VERSION, N_COMMON };

static const struct br_command *current;
static unsigned char seen[CLI_MAX_OPTIONS];

void cli_set_command(const struct br_command *cmd)
{
	current = cmd;
}

const struct br_command *cli_command(void)
{
	return current;
}

int cli_usage_error(const struct br_command *cmd, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "bootrino: error: %s: %s\nTry 'bootrino %s --help'.\n", cmd->name, msg,
		cmd->name);
	return BR_EXIT_USAGE;
}

/* "-o, --output FILE" into buf */
static void option_label(const struct cli_option *o, char *buf, size_t len)
{
	size_t n = 0;
	const char *l;

	buf[0] = '\0';
	for (l = o->letters ? o->letters : ""; *l && n < len; l++)
		n += (size_t)snprintf(buf + n, len - n, "-%c, ", *l);
	if (n < len)
		snprintf(buf + n, len - n, "--%s%s%s", o->name, o->arg ? " " : "",
			 o->arg ? o->arg : "");
}

static void print_option(FILE *f, const struct cli_option *o)
{
	char label[96];
	const char *h = o->help, *nl;
	int pad;

	if (o->flags & CLI_HIDDEN)
		return;
	option_label(o, label, sizeof(label));
	/* a label without letters lines up with the long names of the others */
	pad = fprintf(f, "  %s%s", o->letters && *o->letters ? "" : "    ", label);
	if (pad >= HELP_COLUMN - 1) {
		fputc('\n', f);
		pad = 0;
	}
	for (;;) {
		nl = strchr(h, '\n');
		fprintf(f, "%*s%.*s\n", HELP_COLUMN - pad, "", nl ? (int)(nl - h) : (int)strlen(h),
			h);
		if (!nl)
			break;
		h = nl + 1;
		pad = 0;
	}
}

/* Text with an indent at the start of every line. */
static void print_indented(FILE *f, const char *indent, const char *text)
{
	const char *nl;

	while (*text) {
		nl = strchr(text, '\n');
		fprintf(f, "%s%.*s\n", indent, nl ? (int)(nl - text) : (int)strlen(text), text);
		if (!nl)
			break;
		text = nl + 1;
	}
}

static void print_usage_line(FILE *f, const struct br_command *cmd)
{
	const char *s = cmd->synopsis ? cmd->synopsis : "[OPTIONS]", *nl;
	const char *lead = "usage:";

	for (;;) {
		nl = strchr(s, '\n');
		fprintf(f, "%s bootrino %s %.*s\n", lead, cmd->name,
			nl ? (int)(nl - s) : (int)strlen(s), s);
		if (!nl || !nl[1])
			break;
		s = nl + 1;
		lead = "      ";
	}
}

void cli_print_help(FILE *f, const struct br_command *cmd)
{
	size_t i;

	print_usage_line(f, cmd);
	if (cmd->description) {
		fputc('\n', f);
		fputs(cmd->description, f);
	}
	fprintf(f, "\noptions:\n");
	for (i = 0; i < cmd->n_options; i++)
		print_option(f, &cmd->options[i]);
	if (!cmd->raw_args) {
		for (i = 0; i < N_COMMON; i++)
			print_option(f, &common_options[i]);
	} else {
		print_option(f, &common_options[COMMON_HELP]);
	}
	fprintf(f, "\nexit status:\n");
	print_indented(f, "  ", cmd->exit_status ? cmd->exit_status : "0  ok\n2  usage error\n");
	if (cmd->example) {
		fprintf(f, "\nexample:\n");
		print_indented(f, "  ", cmd->example);
	}
}

int cli_help(const struct br_command *cmd)
{
	cli_print_help(stdout, cmd);
	return fflush(stdout) == 0 ? 0 : BR_EXIT_USAGE;
}

void cli_print_markdown(FILE *f, const struct br_command *cmd)
{
	fprintf(f, "### bootrino %s\n\n%s.\n\n```\n", cmd->name, cmd->summary);
	cli_print_help(f, cmd);
	fprintf(f, "```\n\n");
}

/* Exit code classes (docs/design.md, "Contracts"): see agent/cli.h. */
int cli_exitcode(int rc, int fallback)
{
	int code = rc < 0 ? -rc : rc;

	if (code >= BR_EBASE) {
		int x = br_exitcode(rc);

		return x == BR_EXIT_FAIL ? fallback : x;
	}
	switch (code) {
	case 0:
		return BR_EXIT_OK;
	case ENOENT:
	case EACCES:
	case EPERM:
	case EISDIR:
	case ENOTDIR:
	case ENAMETOOLONG:
	case ELOOP:
	case EROFS:
	case EXDEV:
	case EEXIST:
		return BR_EXIT_USAGE;
	case ENOSPC:
	case EDQUOT:
	case EIO:
	case EFBIG:
		return BR_EXIT_DISK;
	default:
		return fallback;
	}
}

int cli_fail_as(int rc, const char *what, int fallback)
{
	/* only rc's own detail: one recorded for another code belongs to an
	 * earlier failure */
	const char *d = br_errmsg(rc), *cmd = current ? current->name : NULL;
	char line[1024], stamp[32], *p;
	size_t n;

	if (what) {
		n = strlen(what);
		/* say the name once: the detail usually starts with it */
		if ((cmd && strcmp(what, cmd) == 0) ||
		    (strncmp(d, what, n) == 0 && (d[n] == ':' || d[n] == '\0')))
			what = NULL;
	}
	snprintf(line, sizeof(line), "%sbootrino: error: %s%s%s%s%s",
		 br_log_stamp(stamp, sizeof(stamp)), cmd ? cmd : "", cmd ? ": " : "",
		 what ? what : "", what ? ": " : "", d);
	/* one line, whatever the detail holds */
	for (p = line; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	fprintf(stderr, "%s\n", line);
	return cli_exitcode(rc, fallback);
}

int cli_fail(int rc, const char *what)
{
	return cli_fail_as(rc, what,
			   current && current->fail_exit ? current->fail_exit : BR_EXIT_USAGE);
}

int cli_parse_size(const char *s, unsigned long long *out)
{
	unsigned long long v, mul = 1;
	char *end;

	if (!s || !*s || *s == '-')
		return -BR_EUSAGE;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -BR_EUSAGE;
	switch (*end) {
	case '\0':
		break;
	case 'k':
	case 'K':
		mul = 1ULL << 10;
		end++;
		break;
	case 'm':
	case 'M':
		mul = 1ULL << 20;
		end++;
		break;
	case 'g':
	case 'G':
		mul = 1ULL << 30;
		end++;
		break;
	default:
		return -BR_EUSAGE;
	}
	if (*end == 'i' || *end == 'B')
		end += *end == 'i' && end[1] == 'B' ? 2 : 1;
	if (*end != '\0' || (v && mul > ULLONG_MAX / v))
		return -BR_EUSAGE;
	*out = v * mul;
	return 0;
}

int cli_parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v;
	char *end;

	if (!s || !*s || *s == '-')
		return -BR_EUSAGE;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end != '\0' || v > max)
		return -BR_EUSAGE;
	*out = v;
	return 0;
}

/* The option table entry of a getopt value. */
static const struct cli_option *lookup(const struct br_command *cmd, int val, int *idx)
{
	*idx = val - 0x100;
	if (*idx >= 0 && (size_t)*idx < cmd->n_options)
		return &cmd->options[*idx];
	if (*idx >= 0x100 && *idx < 0x100 + N_COMMON)
		return &common_options[*idx - 0x100];
	return NULL;
}

/* argv[optind-1] without "=value", for messages */
static void bad_word(char *buf, size_t len, char **argv, int optind_after)
{
	const char *w = optind_after > 0 ? argv[optind_after - 1] : "";
	size_t n = strcspn(w, "=");

	snprintf(buf, len, "%.*s", (int)(n < 64 ? n : 64), w);
}

static int store(const struct br_command *cmd, const struct cli_option *o, void *opts,
		 const char *arg)
{
	void *field = (char *)opts + o->offset;
	unsigned long long v;
	unsigned long u;
	struct cli_list *l;
	int rc;

	switch (o->type) {
	case CLI_FLAG:
		*(int *)field = 1;
		return 0;
	case CLI_STR:
		*(const char **)field = arg;
		return 0;
	case CLI_UINT:
		if (cli_parse_uint(arg, (unsigned long)o->max, &u) || u < o->min)
			return cli_usage_error(cmd,
					       "--%s: '%s': expected a number from %llu to %llu",
					       o->name, arg, o->min, o->max);
		*(unsigned long *)field = u;
		return 0;
	case CLI_SIZE:
		if (cli_parse_size(arg, &v) || v < o->min || (o->max && v > o->max))
			return cli_usage_error(
			    cmd, "--%s: '%s': expected a size like 512K, 64M or 4G", o->name, arg);
		*(unsigned long long *)field = v;
		return 0;
	case CLI_LIST:
		l = field;
		if (l->n >= (o->max ? o->max : CLI_LIST_MAX) || l->n >= CLI_LIST_MAX)
			return cli_usage_error(cmd, "at most %llu --%s",
					       o->max ? o->max : CLI_LIST_MAX, o->name);
		l->v[l->n++] = arg;
		l->v[l->n] = NULL;
		return 0;
	case CLI_PARSER:
		br_errclear();
		rc = o->parse(field, arg);
		if (rc == 0)
			return 0;
		if (rc == -BR_EUSAGE) {
			const char *d = br_errdetail_of(rc)[0] ? br_errdetail_of(rc) : "bad value";
			size_t n = strlen(o->name);

			if (strncmp(d, "--", 2) == 0 && strncmp(d + 2, o->name, n) == 0)
				return cli_usage_error(cmd, "%s", d);
			return cli_usage_error(cmd, "--%s: %s", o->name, d);
		}
		/* a value that names something unusable (a key, a file): the
		 * one line of cli_fail, a configuration error */
		{
			char what[72];

			snprintf(what, sizeof(what), "--%s", o->name);
			cli_fail(rc, what);
		}
		return BR_EXIT_USAGE;
	}
	return BR_EXIT_USAGE;
}

/* The i-th option of cmd's table followed by the common ones, and the
 * getopt value that stands for it. */
static const struct cli_option *nth(const struct br_command *cmd, size_t i)
{
	return i < cmd->n_options ? &cmd->options[i] : &common_options[i - cmd->n_options];
}

static int val_of(const struct br_command *cmd, size_t i)
{
	return i < cmd->n_options ? 0x100 + (int)i : 0x200 + (int)(i - cmd->n_options);
}

/* getopt_long's tables from the declared ones. */
static void getopt_tables(const struct br_command *cmd, struct option *lo, char *shortopts)
{
	const struct cli_option *o;
	const char *l;
	size_t i, s = 1;

	shortopts[0] = ':'; /* ':' for a missing value, '?' for an unknown option */
	for (i = 0; i < cmd->n_options + N_COMMON; i++) {
		o = nth(cmd, i);
		lo[i].name = o->name;
		lo[i].has_arg = o->arg ? required_argument : no_argument;
		lo[i].flag = NULL;
		lo[i].val = val_of(cmd, i);
		for (l = o->letters ? o->letters : ""; *l; l++) {
			shortopts[s++] = *l;
			if (o->arg)
				shortopts[s++] = ':';
		}
	}
	memset(&lo[i], 0, sizeof(lo[i]));
	shortopts[s] = '\0';
}

/* What getopt_long refused ('?' or ':'), in one line. */
static int getopt_error(const struct br_command *cmd, int c, char **argv)
{
	char word[80];

	if (optopt && optopt < 0x100)
		snprintf(word, sizeof(word), "-%c", optopt);
	else
		bad_word(word, sizeof(word), argv, optind);
	if (c == ':')
		return cli_usage_error(cmd, "option '%s' needs a value", word);
	if (!(optopt && optopt < 0x100) && strchr(argv[optind - 1], '='))
		return cli_usage_error(cmd, "option '%s' takes no value", word);
	return cli_usage_error(cmd, "unknown option '%s'", word);
}

/* -h, -v, -V: CLI_PARSE_ON to go on, else the exit code. */
#define CLI_PARSE_ON (-1)
static int common_option(const struct br_command *cmd, int which)
{
	switch (which) {
	case COMMON_HELP:
		return cli_help(cmd);
	case COMMON_VERBOSE:
		br_log_set_level(BR_LOG_DEBUG);
		return CLI_PARSE_ON;
	default:
		cli_print_version(stdout);
		return fflush(stdout) == 0 ? 0 : BR_EXIT_USAGE;
	}
}

/* After the options: the number of arguments, then the required options
 * in table order (the first missing one is named). */
static int check_complete(const struct br_command *cmd, int argc, char **argv)
{
	const struct cli_option *o;
	size_t i, nargs = (size_t)(argc - optind);

	if (nargs < cmd->min_args)
		return cli_usage_error(cmd, "missing %s",
				       cmd->args_name ? cmd->args_name : "argument");
	if (nargs > cmd->max_args)
		return cli_usage_error(cmd, "unexpected argument '%s'",
				       argv[optind + (int)cmd->max_args]);
	for (i = 0; i < cmd->n_options; i++) {
		o = &cmd->options[i];
		if ((o->flags & CLI_REQUIRED) && !seen[i])
			return cli_usage_error(cmd, "missing --%s%s%s", o->name, o->arg ? " " : "",
					       o->arg ? o->arg : "");
	}
	return 0;
}

int cli_parse(const struct br_command *cmd, int argc, char **argv, void *opts)
{
	struct option lo[CLI_MAX_OPTIONS + N_COMMON + 1];
	char shortopts[3 * (CLI_MAX_OPTIONS + N_COMMON) + 2];
	const struct cli_option *o;
	size_t i;
	int c, idx, rc;

	if (cmd->n_options > CLI_MAX_OPTIONS)
		return -(BR_EXIT_USAGE + 1);
	memset(seen, 0, sizeof(seen));
	getopt_tables(cmd, lo, shortopts);
	opterr = 0;
	optind = 0; /* full reset: main may have parsed before */
	while ((c = getopt_long(argc, argv, shortopts, lo, NULL)) != -1) {
		if (c == '?' || c == ':')
			return -(getopt_error(cmd, c, argv) + 1);
		if (c < 0x100) {
			/* a short letter: its option */
			for (i = 0; i < cmd->n_options + N_COMMON; i++)
				if (nth(cmd, i)->letters && strchr(nth(cmd, i)->letters, c))
					break;
			c = val_of(cmd, i);
		}
		o = lookup(cmd, c, &idx);
		if (!o)
			return -(cli_usage_error(cmd, "internal: option %d", c) + 1);
		if (c >= 0x200) {
			rc = common_option(cmd, c - 0x200);
			if (rc != CLI_PARSE_ON)
				return -(rc + 1);
			continue;
		}
		if (seen[idx] && !(o->flags & CLI_REPEAT) && o->type != CLI_LIST)
			return -(cli_usage_error(cmd, "--%s given twice", o->name) + 1);
		seen[idx] = 1;
		rc = store(cmd, o, opts, optarg);
		if (rc)
			return -(rc + 1);
	}
	rc = check_complete(cmd, argc, argv);
	return rc ? -(rc + 1) : optind;
}

/* --- values that name something ------------------------------------------- */

int cli_check_pubkey_arg(const char *arg)
{
	char buf[512];
	ssize_t n;
	int fd;

	/* minisign's secret key: "untrusted comment: minisign encrypted
	 * secret key" and a 212-character base64 line ("EdSc" or "Ed\0\0"
	 * first: RWRTY0… or RWQAAE…); a public key line is 56 characters */
	if (strlen(arg) > 100 && strncmp(arg, "RW", 2) == 0 &&
	    strspn(arg, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") ==
		strlen(arg))
		return br_fail(-BR_EUSAGE,
			       "%.12s…: that is a minisign secret key; give the "
			       "public key (minisign -G prints it, RW… 56 characters)",
			       arg);
	if (strncmp(arg, "RW", 2) == 0 && strlen(arg) == 56)
		return 0; /* looks like a key: verify/ parses it */
	fd = open(arg, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT && (strchr(arg, '/') || strchr(arg, '.')))
			return br_fail(-BR_EUSAGE, "%s: no such file", arg);
		return 0; /* verify/ says what is wrong with the key text */
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	if (strstr(buf, "secret key"))
		return br_fail(-BR_EUSAGE,
			       "%s: that is a minisign secret key; give the public key "
			       "(the .pub file next to it)",
			       arg);
	return 0;
}

int cli_check_no_private_key(const char *what, const char *text)
{
	const char *p = text;

	/* "-----BEGIN PRIVATE KEY-----", "…RSA PRIVATE KEY-----",
	 * "…ENCRYPTED PRIVATE KEY-----", "…OPENSSH PRIVATE KEY-----", … */
	while ((p = strstr(p, "-----BEGIN ")) != NULL) {
		const char *end = strstr(p + 11, "-----");
		const char *k = strstr(p + 11, "PRIVATE KEY");

		if (end && k && k < end)
			return br_fail(-BR_EUSAGE,
				       "%s: holds a private key (%.*s); a CA bundle needs only "
				       "certificates, and bootrino copies it where others can read "
				       "it (user-data, the loader's config): refusing it",
				       what, (int)(end - p - 11), p + 11);
		p += 11;
	}
	return 0;
}

int cli_opt_pubkey(void *field, const char *arg)
{
	struct cli_keys *k = field;
	int rc = cli_check_pubkey_arg(arg);

	if (!rc)
		rc = verify_keyring_add(&k->kr, arg);
	if (!rc)
		k->n++;
	return rc;
}

int cli_opt_sha256(void *field, const char *arg)
{
	struct cli_pin *p = field;

	if (verify_sha256_parse(arg, p->digest))
		return br_fail(-BR_EUSAGE, "'%.80s': expected 64 hex digits", arg);
	p->set = 1;
	return 0;
}
