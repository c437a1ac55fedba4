/* bootrino: replace a cloud server's OS with a run-from-RAM OS.
 * Entry point: dispatch to the subcommand registered with BR_COMMAND(). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/cli.h"
#include "agent/doc/plan_file.h"
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

/* Link order is arbitrary: commands sorted, verbs apart. */
static size_t sorted_commands(struct entry *sorted, size_t max, int verbs)
{
	const struct br_command *c;
	size_t n = 0;

	/* cppcheck-suppress comparePointers ; both bound one linker section */
	for (c = __start_br_commands; c < __stop_br_commands && n < max; c++)
		if (!!c->verb == !!verbs)
			sorted[n++].cmd = c;
	qsort(sorted, n, sizeof(struct entry), by_name);
	return n;
}

static void list_commands(FILE *f, int verbs)
{
	struct entry sorted[64] = {{NULL}};
	size_t n = sorted_commands(sorted, 64, verbs), i;

	for (i = 0; i < n; i++)
		fprintf(f, "  %-10s %s\n", sorted[i].cmd->name, sorted[i].cmd->summary);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: bootrino COMMAND [OPTIONS]\n"
		   "       bootrino help [COMMAND]\n\n"
		   "Replace a cloud server's stock OS with a verified run-from-RAM OS.\n\n"
		   "commands:\n");
	list_commands(f, 0);
	fprintf(f, "\nbootrino.sh verbs (inside a signed bootrino.sh, see docs/bootrino-sh.md):\n");
	list_commands(f, 1);
	fprintf(f, "\noptions (before COMMAND):\n"
		   "  -h, --help     this text ('bootrino COMMAND --help' describes a command)\n"
		   "  -v, --verbose  debug output (alone: the version, as minisign -v)\n"
		   "  -V, --version  print the version\n"
		   "\nexit status:\n"
		   "  0  ok\n  2  usage or configuration error\n  3  verification failed\n"
		   "  4  fetch failed\n  5  kexec/boot failed\n  6  disk error\n"
		   "\nexample:\n"
		   "  bootrino fetch https://boot.example.com/bootrino.sh -o bootrino.sh \\\n"
		   "      --minisig https://boot.example.com/bootrino.sh.minisig -P RWQ…\n"
		   "\nSee docs/cli.md.\n");
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

/* Edit distance up to 3 (for "did you mean"); larger is 4. */
static unsigned distance(const char *a, const char *b)
{
	unsigned d[16][16], i, j, la = (unsigned)strlen(a), lb = (unsigned)strlen(b);

	if (la > 15 || lb > 15)
		return 4;
	for (i = 0; i <= la; i++)
		d[i][0] = i;
	for (j = 0; j <= lb; j++)
		d[0][j] = j;
	for (i = 1; i <= la; i++)
		for (j = 1; j <= lb; j++) {
			unsigned sub = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			unsigned del = d[i - 1][j] + 1, ins = d[i][j - 1] + 1;

			d[i][j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
		}
	return d[la][lb];
}

static const char *closest(const char *name, int verbs)
{
	const struct br_command *c, *best = NULL;
	unsigned bd = 3, dd;

	/* cppcheck-suppress comparePointers ; both bound one linker section */
	for (c = __start_br_commands; c < __stop_br_commands; c++) {
		if (verbs && !c->verb && strcmp(c->name, "boot") != 0)
			continue;
		dd = distance(name, c->name);
		if (dd < bd) {
			bd = dd;
			best = c;
		}
	}
	return best ? best->name : NULL;
}

/* `bootrino kernal` inside a bootrino.sh: record it in the plan (so the
 * run fails and names the script's line) and say so in one line. */
static int unknown_verb(const char *plan, const char *name, int argc, char **argv)
{
	const char *script = getenv("BOOTRINO_SCRIPT_URL");
	const char *near = closest(name, 1);

	char verb[96];

	/* the plan's error names the verb, and the parent finds its line */
	snprintf(verb, sizeof(verb), "%.32s%s%s%s", name, near ? " (did you mean '" : "",
		 near ? near : "", near ? "'?)" : "");
	br_errclear();
	if (cli_plan_file_apply(plan, verb, argc, argv) == -BR_EUSAGE)
		return BR_EXIT_USAGE; /* recorded: reported once, by the parent */
	fprintf(stderr, "bootrino: error: %s: unknown verb '%.32s'\n",
		script && *script ? script : "bootrino.sh", name);
	return BR_EXIT_USAGE;
}

static int markdown(void)
{
	struct entry sorted[64] = {{NULL}};
	size_t n, i;
	int verbs;

	for (verbs = 0; verbs < 2; verbs++) {
		n = sorted_commands(sorted, 64, verbs);
		printf("## %s\n\n", verbs ? "bootrino.sh verbs" : "Commands");
		for (i = 0; i < n; i++)
			cli_print_markdown(stdout, sorted[i].cmd);
	}
	return fflush(stdout) == 0 ? 0 : BR_EXIT_USAGE;
}

/* Every declared option, one a line: "CMD --NAME LETTERS FLAGS" (letters
 * and flags "-" when none): what tests/integration/test_cli.sh checks
 * docs/cli.md and the short letters against. */
static int options(void)
{
	struct entry sorted[64] = {{NULL}};
	const struct cli_option *o;
	size_t n, i, j;

	n = sorted_commands(sorted, 64, 0);
	for (i = 0; i < n; i++)
		for (j = 0; j < sorted[i].cmd->n_options; j++) {
			o = &sorted[i].cmd->options[j];
			printf("%s --%s %s %s%s%s\n", sorted[i].cmd->name, o->name,
			       o->letters && *o->letters ? o->letters : "-",
			       o->flags & CLI_REQUIRED ? "required" : "",
			       o->flags & CLI_HIDDEN ? "hidden" : "",
			       o->flags & (CLI_REQUIRED | CLI_HIDDEN) ? "" : "-");
		}
	return fflush(stdout) == 0 ? 0 : BR_EXIT_USAGE;
}

static int help(int argc, char **argv)
{
	const struct br_command *cmd;

	if (argc < 3) {
		usage(stdout);
		return fflush(stdout) == 0 ? 0 : BR_EXIT_USAGE;
	}
	if (strcmp(argv[2], "--markdown") == 0)
		return markdown();
	if (strcmp(argv[2], "--options") == 0)
		return options();
	cmd = find_command(argv[2]);
	if (!cmd) {
		fprintf(stderr,
			"bootrino: error: help: unknown command '%.64s'\nTry 'bootrino --help'.\n",
			argv[2]);
		return BR_EXIT_USAGE;
	}
	return cli_help(cmd);
}

int main(int argc, char **argv)
{
	const struct br_command *cmd;
	const char *env = getenv("BOOTRINO_DEBUG");
	const char *plan = getenv("BOOTRINO_PLAN");
	const char *base = strrchr(argv[0], '/'), *near;

	if (env && *env && strcmp(env, "0") != 0)
		br_log_set_level(BR_LOG_DEBUG);

	/* The loader runs us as /init: behave as `bootrino init`. */
	base = base ? base + 1 : argv[0];
	if (strcmp(base, "init") == 0 && (cmd = find_command("init")) != NULL) {
		cli_set_command(cmd);
		return cmd->run(argc, argv);
	}

	/* -v alone is the version (minisign); before a command, verbose (curl) */
	if (argc == 2 && strcmp(argv[1], "-v") == 0)
		argv[1] = "version";
	while (argc > 2 && (strcmp(argv[1], "-v") == 0 || strcmp(argv[1], "--verbose") == 0)) {
		br_log_set_level(BR_LOG_DEBUG);
		argv[1] = argv[0];
		argc--;
		argv++;
	}
	if (argc < 2) {
		fprintf(stderr, "bootrino: error: missing COMMAND\nTry 'bootrino --help'.\n");
		return BR_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0)
		return help(argc, argv);
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0)
		argv[1] = "version";
	cmd = find_command(argv[1]);
	if (!cmd) {
		if (plan && *plan)
			return unknown_verb(plan, argv[1], argc - 2, argv + 2);
		if (argv[1][0] == '-')
			fprintf(
			    stderr,
			    "bootrino: error: unknown option '%.64s' (options go after COMMAND)\n",
			    argv[1]);
		else if ((near = closest(argv[1], 0)) != NULL)
			fprintf(stderr,
				"bootrino: error: unknown command '%.64s' (did you mean '%s'?)\n",
				argv[1], near);
		else
			fprintf(stderr, "bootrino: error: unknown command '%.64s'\n", argv[1]);
		fprintf(stderr, "Try 'bootrino --help'.\n");
		return BR_EXIT_USAGE;
	}
	cli_set_command(cmd);
	return cmd->run(argc - 1, argv + 1);
}
