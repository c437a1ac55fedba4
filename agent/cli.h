/* Subcommand registry and declared options.
 *
 * Each agent/cmd_*.c registers itself with BR_COMMAND(); the entries land
 * in one linker section (as iPXE's __table_entry does), so adding a
 * command touches no shared file. agent objects are linked directly, not
 * through an archive, so every registration is kept.
 *
 * A command declares its options once, in a table of struct cli_option
 * (as iPXE's OPTION_DESC / parse_options do): long name, short letters,
 * argument name, value parser, help text. cli_parse() parses argv from
 * it, and cli_help() prints the help from it, with the same layout for
 * every command (usage, description, options, exit status, example).
 * docs/cli.md is `bootrino help --markdown`, generated from the same
 * tables. Messages: every error is one line "bootrino: error: CMD: …"
 * (warnings "bootrino: warning: …", as common/log.c prints them); a usage
 * error adds "Try 'bootrino CMD --help'.", as curl does.
 */
#ifndef BOOTRINO_AGENT_CLI_H
#define BOOTRINO_AGENT_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "verify/minisign.h"

/* How an option's value is parsed and stored at its offset in the
 * command's option struct. */
enum cli_type {
	CLI_FLAG,   /* int, set to 1 */
	CLI_STR,    /* const char * */
	CLI_UINT,   /* unsigned long in [min, max] */
	CLI_SIZE,   /* unsigned long long, K/M/G suffixes, in [min, max] */
	CLI_LIST,   /* struct cli_list, at most max entries */
	CLI_PARSER, /* parse(field, arg): 0 or -BR_E* with a br_fail() detail */
};

#define CLI_LIST_MAX 16
struct cli_list {
	const char *v[CLI_LIST_MAX + 1]; /* NULL-terminated */
	size_t n;
};

/* flags */
#define CLI_REQUIRED 0x1u /* cli_parse() names it when it is missing */
#define CLI_REPEAT 0x2u	  /* may be given more than once */
#define CLI_HIDDEN 0x4u	  /* not in --help or docs (tests only) */

struct cli_option {
	const char *name;    /* long name, without "--" */
	const char *letters; /* short letters ("" for none): the first is shown first */
	const char *arg;     /* argument name for the help, NULL for a flag */
	enum cli_type type;
	size_t offset; /* of the field in the command's option struct */
	unsigned long long min, max;
	int (*parse)(void *field, const char *arg);
	unsigned flags;
	const char *help; /* '\n' starts a continuation line */
};

/* Table entries, in the command's file:
 *   CLI_OPT("output", "o", "FILE", CLI_STR, struct fetch_args, out, 0, "…") */
#define CLI_OPT(nm, let, ar, ty, st, field, fl, hl)                                                \
	{                                                                                          \
		.name = (nm), .letters = (let), .arg = (ar), .type = (ty),                         \
		.offset = offsetof(st, field), .flags = (fl), .help = (hl)                         \
	}
#define CLI_OPT_RANGE(nm, let, ar, ty, st, field, lo, hi, fl, hl)                                  \
	{                                                                                          \
		.name = (nm), .letters = (let), .arg = (ar), .type = (ty),                         \
		.offset = offsetof(st, field), .min = (lo), .max = (hi), .flags = (fl),            \
		.help = (hl)                                                                       \
	}
#define CLI_OPT_PARSER(nm, let, ar, fn, st, field, fl, hl)                                         \
	{                                                                                          \
		.name = (nm), .letters = (let), .arg = (ar), .type = CLI_PARSER,                   \
		.offset = offsetof(st, field), .parse = (fn), .flags = (fl), .help = (hl)          \
	}

struct br_command {
	const char *name;
	const char *summary;  /* one line for `bootrino --help` */
	const char *synopsis; /* after "usage: bootrino NAME " ('\n' for another form) */
	const char *description;
	const struct cli_option *options;
	size_t n_options;
	size_t min_args, max_args;	   /* positional arguments */
	const char *args_name;		   /* e.g. "URL", for "missing URL" */
	const char *exit_status;	   /* lines "N  meaning\n" */
	const char *example;		   /* lines of shell */
	int (*run)(int argc, char **argv); /* argv[0] is the command name */
	int verb;			   /* a bootrino.sh verb (listed apart in --help) */
	int raw_args;			   /* no option parsing (verbs: args may start with '-') */
	int fail_exit;			   /* exit code of a failure without a class (0: 2) */
};

#define CLI_OPTIONS(tbl) .options = (tbl), .n_options = sizeof(tbl) / sizeof((tbl)[0])

#define BR_COMMAND(ident)                                                                          \
	static const struct br_command br_command_##ident                                          \
	    __attribute__((used, section("br_commands"), aligned(sizeof(void *))))

/* The command being run (set by main), for the message prefix. */
void cli_set_command(const struct br_command *cmd);
const struct br_command *cli_command(void);

/* Parse argv against cmd's table into opts (zeroed by the caller, or
 * preset with defaults). Handles --help, --verbose, --version, unknown
 * options, missing values, repeats, required options and the number of
 * positional arguments. Returns the index of the first positional
 * argument in argv (>= 1), or -(exit code + 1): -1 means "exit 0" (help
 * was printed), -3 "exit 2" (the usage error was printed). Use
 *   n = cli_parse(...); if (n < 0) return cli_parse_exit(n); */
int cli_parse(const struct br_command *cmd, int argc, char **argv, void *opts);
static inline int cli_parse_exit(int n)
{
	return -n - 1;
}

/* "bootrino VERSION" and the libraries (agent/cmd_version.c). */
void cli_print_version(FILE *f);

/* "bootrino: error: CMD: MESSAGE" and "Try 'bootrino CMD --help'." on stderr;
 * returns 2 (BR_EXIT_USAGE) for `return cli_usage_error(...)`. */
int cli_usage_error(const struct br_command *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Print the command's help to f; cli_help() prints it to stdout, returns 0. */
void cli_print_help(FILE *f, const struct br_command *cmd);
int cli_help(const struct br_command *cmd);
/* The same as Markdown, for docs/cli.md. */
void cli_print_markdown(FILE *f, const struct br_command *cmd);

/* Report a failed operation in one line "bootrino: error: CMD: [WHAT: ]DETAIL"
 * (WHAT is left out when the detail already starts with it) and map rc to
 * an exit code: the class of a -BR_E* code; for an errno, a path the
 * user named that cannot be used (ENOENT, EACCES, EISDIR, …) is 2, a
 * write that failed for lack of space or an I/O error is 6, anything
 * else the command's own failure class (fallback). Never 1. */
int cli_fail(int rc, const char *what);
int cli_fail_as(int rc, const char *what, int fallback);

/* Just the exit code cli_fail would pick. */
int cli_exitcode(int rc, int fallback);

/* Parse a decimal size with an optional K/M/G suffix (powers of 1024).
 * Returns 0 or -BR_EUSAGE. */
int cli_parse_size(const char *s, unsigned long long *out);

/* Parse a non-negative decimal integer no larger than max. */
int cli_parse_uint(const char *s, unsigned long max, unsigned long *out);

/* Value parsers shared by several commands' tables. */
struct cli_keys {
	struct verify_keyring kr;
	int n;
};
struct cli_pin {
	uint8_t digest[32];
	int set;
};
int cli_opt_pubkey(void *field, const char *arg); /* struct cli_keys */
int cli_opt_sha256(void *field, const char *arg); /* struct cli_pin */

/* A --pubkey value before it reaches verify/: a path that does not exist
 * and is not a key ("no such file"), a minisign *secret* key ("that is a
 * secret key"). 0 or -BR_EUSAGE with a br_fail() detail. */
int cli_check_pubkey_arg(const char *arg);

/* Refuse PEM text holding a private key (a --cacert that would end up
 * in user-data or the loader's config): 0 or -BR_EUSAGE with a detail. */
int cli_check_no_private_key(const char *what, const char *text);

#endif
