/* The bootrino.sh verbs (docs/design.md, "Contracts"): `bootrino kernel|initrd|multiboot|
 * module|cmdline|file …` as a signed bootrino.sh calls them. Each appends
 * to the plan file named by $BOOTRINO_PLAN; the parent that ran the script
 * fetches, verifies and boots the plan after the script exits 0. (`boot`
 * lives in cmd_boot.c: outside a script it is the top-level command.) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/cli.h"
#include "agent/doc/plan_file.h"
#include "common/err.h"

static int cmd_verb(int argc, char **argv);

#define VERB_FOOTER                                                                                \
	"\nOnly inside a bootrino.sh run by `bootrino boot` (BOOTRINO_PLAN set).\n"                \
	"Relative URLs resolve against the script's URL. An artifact without\n"                    \
	"sha256=HEX is refused (exit 3) unless the run was started with --insecure.\n"             \
	"See docs/bootrino-sh.md.\n"

BR_COMMAND(kernel) = {
    .name = "kernel",
    .summary = "the Linux kernel to boot",
    .verb = 1,
    .usage = "usage: bootrino kernel URL sha256=HEX [CMDLINE…]\n\n"
	     "Name the kernel (bzImage) of the plan; CMDLINE words are appended to\n"
	     "the command line, joined with one space (kernel syntax: a value with\n"
	     "spaces is written as param=\"a b\").\n" VERB_FOOTER,
    .run = cmd_verb,
};

BR_COMMAND(initrd) = {
    .name = "initrd",
    .summary = "add an initramfs (repeatable, in order)",
    .verb = 1,
    .usage = "usage: bootrino initrd URL sha256=HEX\n\n"
	     "Append an initramfs after `kernel`; several are concatenated in order.\n" VERB_FOOTER,
    .run = cmd_verb,
};

BR_COMMAND(multiboot) = {
    .name = "multiboot",
    .summary = "the multiboot kernel (unikernel) to boot",
    .verb = 1,
    .usage = "usage: bootrino multiboot URL sha256=HEX [ARGS…]\n\n"
	     "Name a multiboot (v1) ELF; ARGS become its command line.\n" VERB_FOOTER,
    .run = cmd_verb,
};

BR_COMMAND(module) = {
    .name = "module",
    .summary = "add a multiboot module (repeatable)",
    .verb = 1,
    .usage = "usage: bootrino module URL sha256=HEX [ARGS…]\n\n"
	     "Append a module after `multiboot`, with its own argument string.\n" VERB_FOOTER,
    .run = cmd_verb,
};

BR_COMMAND(cmdline) = {
    .name = "cmdline",
    .summary = "append to the target's command line",
    .verb = 1,
    .usage = "usage: bootrino cmdline TEXT…\n\n"
	     "Append TEXT (words joined with one space) to the command line.\n" VERB_FOOTER,
    .run = cmd_verb,
};

BR_COMMAND(file) = {
    .name = "file",
    .summary = "put a file into the target's overlay",
    .verb = 1,
    .usage = "usage: bootrino file PATH CONTENT\n"
	     "       bootrino file PATH @URL sha256=HEX\n\n"
	     "Add PATH (absolute, no '..') to the initramfs overlay with CONTENT (one\n"
	     "argument, up to 64 KiB; quote it), or with the bytes fetched from URL\n"
	     "and pinned by sha256. A literal content starting with '@' is written\n"
	     "'@@…'.\n" VERB_FOOTER,
    .run = cmd_verb,
};

static int cmd_verb(int argc, char **argv)
{
	const char *plan = getenv("BOOTRINO_PLAN");
	static const struct br_command *const verbs[] = {
	    &br_command_kernel, &br_command_initrd,  &br_command_multiboot,
	    &br_command_module, &br_command_cmdline, &br_command_file,
	};
	const struct br_command *self = NULL;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strcmp(verbs[i]->name, argv[0]) == 0)
			self = verbs[i];
	/* no getopt: CMDLINE words and file contents may start with '-' */
	if (self && argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0))
		return cli_help(self);
	if (!plan || !*plan) {
		fprintf(stderr,
			"bootrino: %s: only inside a bootrino.sh run by `bootrino boot` "
			"(BOOTRINO_PLAN is not set)\n",
			argv[0]);
		return BR_EXIT_USAGE;
	}
	rc = cli_plan_file_apply(plan, argv[0], argc - 1, argv + 1);
	if (rc)
		return cli_fail(rc, "bootrino.sh");
	return 0;
}
