/* Subcommand registry.
 *
 * Each agent/cmd_*.c registers itself with BR_COMMAND(); the entries land
 * in one linker section (as iPXE's __table_entry does), so adding a
 * command touches no shared file. agent objects are linked directly, not
 * through an archive, so every registration is kept.
 */
#ifndef BOOTRINO_AGENT_CLI_H
#define BOOTRINO_AGENT_CLI_H

#include <getopt.h>
#include <stdio.h>

struct br_command {
	const char *name;
	const char *summary;		   /* one line for `bootrino --help` */
	const char *usage;		   /* full text for `bootrino NAME --help` */
	int (*run)(int argc, char **argv); /* argv[0] is the command name */
	int verb;			   /* a bootrino.sh verb (listed apart in --help) */
};

#define BR_COMMAND(ident)                                                                          \
	static const struct br_command br_command_##ident                                          \
	    __attribute__((used, section("br_commands"), aligned(sizeof(void *))))

/* Print "bootrino: NAME: usage error: …" and the command's usage to stderr;
 * returns BR_EXIT_USAGE for `return cli_usage_error(...)`. */
int cli_usage_error(const struct br_command *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Print the command's usage to stdout (for --help) and return 0. */
int cli_help(const struct br_command *cmd);

/* Report a failed operation in one line ("bootrino: error: WHAT: DETAIL")
 * and map rc to the exit code of docs/design.md, "Contracts". */
int cli_fail(int rc, const char *what);

/* Parse a decimal size with an optional K/M/G suffix (powers of 1024).
 * Returns 0 or -BR_EUSAGE. */
int cli_parse_size(const char *s, unsigned long long *out);

/* Parse a non-negative decimal integer no larger than max. */
int cli_parse_uint(const char *s, unsigned long max, unsigned long *out);

/* Long options shared by every command, to splice into getopt tables. */
#define CLI_COMMON_OPTIONS                                                                         \
	{"help", no_argument, NULL, 'h'},                                                          \
	{                                                                                          \
		"verbose", no_argument, NULL, 'v'                                                  \
	}

#define CLI_CONTINUE (-1)

/* Call from the default: branch of a getopt loop (optstring should hold
 * "hv" and start with '+' or ':'). Handles -h (usage, exit 0), -v (debug
 * logging, CLI_CONTINUE) and unknown options or missing arguments (exit
 * 2). Returns CLI_CONTINUE or the exit code to return immediately. */
int cli_common_option(const struct br_command *cmd, int c);

#endif
