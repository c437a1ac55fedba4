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
#include "common/log.h"

static int cmd_verb(int argc, char **argv);

#define VERB_FOOTER                                                                                \
	"\nOnly inside a bootrino.sh run by `bootrino boot` (BOOTRINO_PLAN set).\n"                \
	"Relative URLs resolve against the script's URL. An artifact without\n"                    \
	"sha256=HEX is refused (exit 3) unless the run was started with --insecure.\n"             \
	"See docs/bootrino-sh.md.\n"
#define VERB_EXIT "0  ok\n2  a bad argument, or not inside a bootrino.sh\n3  missing sha256 pin\n"
#define VERB(nm) .name = (nm), .verb = 1, .raw_args = 1, .exit_status = VERB_EXIT, .run = cmd_verb

BR_COMMAND(kernel) = {
    VERB("kernel"),
    .summary = "the Linux kernel to boot",
    .synopsis = "URL sha256=HEX [CMDLINE...]",
    .description = "Name the kernel (bzImage) of the plan; CMDLINE words are appended to\n"
		   "the command line, joined with one space (kernel syntax: a value with\n"
		   "spaces is written as param=\"a b\").\n" VERB_FOOTER,
    .example = "bootrino kernel tinylinux/vmlinuz sha256=<64 hex> console=ttyS0\n",
};

BR_COMMAND(initrd) = {
    VERB("initrd"),
    .summary = "add an initramfs (repeatable, in order)",
    .synopsis = "URL sha256=HEX",
    .description =
	"Append an initramfs after `kernel`; several are concatenated in order.\n" VERB_FOOTER,
    .example = "bootrino initrd tinylinux/initrd.img sha256=<64 hex>\n",
};

BR_COMMAND(multiboot) = {
    VERB("multiboot"),
    .summary = "the multiboot kernel (unikernel) to boot",
    .synopsis = "URL sha256=HEX [ARGS...]",
    .description = "Name a multiboot (v1) ELF; ARGS become its command line.\n" VERB_FOOTER,
    .example = "bootrino multiboot unikernel/app.elf sha256=<64 hex> -- --port 80\n",
};

BR_COMMAND(module) = {
    VERB("module"),
    .summary = "add a multiboot module (repeatable)",
    .synopsis = "URL sha256=HEX [ARGS...]",
    .description = "Append a module after `multiboot`, with its own argument string.\n" VERB_FOOTER,
    .example = "bootrino module unikernel/data.tar sha256=<64 hex> data\n",
};

BR_COMMAND(cmdline) = {
    VERB("cmdline"),
    .summary = "append to the target's command line",
    .synopsis = "TEXT...",
    .description = "Append TEXT (words joined with one space) to the command line.\n" VERB_FOOTER,
    .example = "bootrino cmdline quiet loglevel=3\n",
};

BR_COMMAND(file) = {
    VERB("file"),
    .summary = "put a file into the target's overlay",
    .synopsis = "PATH CONTENT\nPATH @URL sha256=HEX",
    .description = "Add PATH (absolute, no '..') to the initramfs overlay with CONTENT (one\n"
		   "argument, up to 64 KiB; quote it), or with the bytes fetched from URL\n"
		   "and pinned by sha256. A literal content starting with '@' is written\n"
		   "'@@...'.\n" VERB_FOOTER,
    .example = "bootrino file /etc/motd \"hello from bootrino\"\n",
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
			"bootrino: error: %s: only inside a bootrino.sh run by `bootrino boot` "
			"(BOOTRINO_PLAN is not set)\n",
			argv[0]);
		return BR_EXIT_USAGE;
	}
	rc = cli_plan_file_apply(plan, argv[0], argc - 1, argv + 1);
	/* the failure is in the plan: the run that started the script
	 * reports it once, with the script's file or URL and line */
	if (rc)
		br_debug("%s: %s", argv[0], br_errdetail());
	return rc ? cli_exitcode(rc, BR_EXIT_USAGE) : 0;
}
