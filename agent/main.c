/* bootrino: replace a cloud server's OS with a run-from-RAM OS.
 * Entry point: dispatch to the subcommand registered with BR_COMMAND(). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/cli.h"
#include "common/err.h"
#include "common/log.h"

extern const struct br_command __start_br_commands[];
extern const struct br_command __stop_br_commands[];

struct entry {
	const struct br_command *cmd;
};

static int by_name(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	return strcmp(x->cmd->name, y->cmd->name);
}

/* Link order is arbitrary: list commands sorted, verbs apart. */
static void list_commands(FILE *f, int verbs)
{
	struct entry sorted[64] = {{NULL}};
	const struct br_command *c;
	size_t n = 0, i;

	/* cppcheck-suppress comparePointers ; both bound one linker section */
	for (c = __start_br_commands; c < __stop_br_commands && n < 64; c++)
		if (!!c->verb == !!verbs)
			sorted[n++].cmd = c;
	qsort(sorted, n, sizeof(struct entry), by_name);
	for (i = 0; i < n; i++)
		fprintf(f, "  %-10s %s\n", sorted[i].cmd->name, sorted[i].cmd->summary);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: bootrino COMMAND [OPTIONS]\n\n"
		   "Replace a cloud server's stock OS with a verified run-from-RAM OS.\n\n"
		   "commands:\n");
	list_commands(f, 0);
	fprintf(f, "\nbootrino.sh verbs (inside a signed bootrino.sh, see docs/bootrino-sh.md):\n");
	list_commands(f, 1);
	fprintf(f, "\n'bootrino COMMAND --help' describes a command.\n"
		   "Exit codes: 0 ok, 2 usage/config error, 3 verification failed,\n"
		   "4 fetch failed, 5 kexec/boot failed, 6 disk error.\n");
}

static const struct br_command *find_command(const char *name)
{
	const struct br_command *c;

	/* cppcheck-suppress comparePointers ; both bound one linker section */
	for (c = __start_br_commands; c < __stop_br_commands; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

int main(int argc, char **argv)
{
	const struct br_command *cmd;
	const char *env = getenv("BOOTRINO_DEBUG");
	const char *base = strrchr(argv[0], '/');

	if (env && *env && strcmp(env, "0") != 0)
		br_log_set_level(BR_LOG_DEBUG);

	/* The loader runs us as /init: behave as `bootrino init`. */
	base = base ? base + 1 : argv[0];
	if (strcmp(base, "init") == 0 && (cmd = find_command("init")) != NULL)
		return cmd->run(argc, argv);

	if (argc < 2) {
		usage(stderr);
		return BR_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		if (argc > 2 && (cmd = find_command(argv[2])) != NULL)
			return cli_help(cmd);
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0)
		argv[1] = "version";
	cmd = find_command(argv[1]);
	if (!cmd) {
		fprintf(stderr, "bootrino: unknown command '%s'\n", argv[1]);
		usage(stderr);
		return BR_EXIT_USAGE;
	}
	optind = 1;
	return cmd->run(argc - 1, argv + 1);
}
