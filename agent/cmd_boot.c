/* `bootrino boot`: fetch bootrino.sh + .minisig, verify, run it, fetch and
 * verify its plan, kexec the target (docs/design.md, "Boot flow").
 *
 * Inside a bootrino.sh ($BOOTRINO_PLAN set) `boot` is the verb: it only
 * seals the plan. The parent acts after the script exits 0, so nothing
 * runs half-way and the trust context (keys, pins, work dir) never leaves
 * the process that verified the script. See docs/bootrino-sh.md. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/boot_flow.h"
#include "agent/cli.h"
#include "agent/doc/plan_file.h"
#include "agent/timing.h"
#include "common/err.h"
#include "common/log.h"

static int cmd_boot(int argc, char **argv);

struct boot_args {
	struct cli_boot_args a;
	int dry_run, json;
	const char *stage;
};

static int parse_stage(void *field, const char *arg)
{
	if (strcmp(arg, "host") != 0 && strcmp(arg, "loader") != 0)
		return br_fail(-BR_EUSAGE, "'%.32s': expected host or loader", arg);
	*(const char **)field = strcmp(arg, "host") == 0 ? "host" : "loader";
	return 0;
}

#define A struct boot_args
static const struct cli_option boot_options[] = {
    CLI_BOOT_OPTIONS(A, a),
    CLI_BOOT_INSECURE(A, a, "allow artifacts without sha256 (never unsigned scripts)"),
    CLI_OPT("dry-run", "n", NULL, CLI_FLAG, A, dry_run, 0,
	    "fetch and verify everything, validate the images,\nprint the plan; load nothing"),
    CLI_OPT("json", "", NULL, CLI_FLAG, A, json, 0, "with --dry-run: print the plan as JSON"),
    CLI_BOOT_STATE_DIR(A, a),
    CLI_BOOT_SLOT_OPTIONS(A, a),
    CLI_OPT_PARSER("stage", "", "host|loader", parse_stage, A, stage, 0,
		   "BOOTRINO_STAGE for the script (default host)"),
};
#undef A

BR_COMMAND(boot) = {
    .name = "boot",
    .summary = "run the signed bootrino.sh and kexec the target it names",
    .synopsis = "--script URL --pubkey KEY... [--dry-run [--json]] [OPTIONS]\n"
		"(as a verb, inside bootrino.sh: no arguments)",
    .description = "Fetch bootrino.sh and bootrino.sh.minisig, verify the signature against\n"
		   "the trusted keys (and that its timestamp is not older than the last one\n"
		   "accepted), run it with /bin/sh, then fetch every artifact of its plan\n"
		   "with its sha256 pin, build the overlay (/etc/bootrino/facts.json and the\n"
		   "`file` entries) and kexec the target. Nothing runs or loads unverified.\n",
    CLI_OPTIONS(boot_options),
    .exit_status = "0  ok (dry run; a started kernel never returns)\n"
		   "2  usage, configuration or script error\n"
		   "3  verification failed (signature, rollback, sha256, missing pin)\n"
		   "4  fetch failed\n5  kexec failed\n6  disk error\n",
    .example = "bootrino boot --dry-run --script https://boot.example.com/bootrino.sh \\\n"
	       "    --pubkey RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3\n",
    .run = cmd_boot,
    .fail_exit = BR_EXIT_BOOT,
};

/* `boot` as a verb: seal the plan. */
static int boot_verb(const char *plan, int argc, char **argv)
{
	int rc;

	if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0))
		return cli_help(&br_command_boot);
	rc = cli_plan_file_apply(plan, "boot", argc - 1, argv + 1);
	/* recorded in the plan: the parent reports it with file and line */
	if (rc)
		br_debug("boot: %s", br_errdetail());
	return rc ? cli_exitcode(rc, BR_EXIT_USAGE) : 0;
}

static int cmd_boot(int argc, char **argv)
{
	static struct boot_args b;
	const char *plan_env = getenv("BOOTRINO_PLAN");
	struct cli_flow flow;
	int n, ret;

	if (plan_env && *plan_env)
		return boot_verb(plan_env, argc, argv);
	cli_timing_start(0);
	memset(&b, 0, sizeof(b));
	cli_boot_args_init(&b.a);
	b.stage = "host";
	n = cli_parse(&br_command_boot, argc, argv, &b);
	if (n < 0) {
		ret = cli_parse_exit(n);
		goto out_args;
	}
	ret = cli_boot_args_finish(&br_command_boot, &b.a, 1);
	if (ret)
		goto out_args;
	flow.stage = b.stage;
	flow.dry_run = b.dry_run;
	flow.json = b.json;
	ret = cli_boot_flow(&b.a, &flow);
out_args:
	cli_boot_args_free(&b.a);
	return ret;
}
