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
#include "agent/doc/plan_file.h"
#include "common/err.h"

static int cmd_boot(int argc, char **argv);

BR_COMMAND(boot) = {
    .name = "boot",
    .summary = "run the signed bootrino.sh and kexec the target it names",
    .usage = "usage: bootrino boot --script URL --pubkey KEY [--pubkey KEY2]… [--cacert F]\n"
	     "                     [--insecure] [--dry-run] [--json] [--config FILE]\n"
	     "                     [--timeout S] [--state-dir DIR] [--stage host|loader]\n"
	     "       bootrino boot   (as a verb, inside bootrino.sh)\n\n"
	     "Fetch bootrino.sh and bootrino.sh.minisig, verify the signature against\n"
	     "the trusted keys (and that its timestamp is not older than the last one\n"
	     "accepted), run it with /bin/sh, then fetch every artifact of its plan\n"
	     "with its sha256 pin, build the overlay (/etc/bootrino/facts.json and the\n"
	     "`file` entries) and kexec the target. Nothing runs or loads unverified.\n\n"
	     "      --script URL    bootrino.sh\n"
	     "      --pubkey KEY    trusted minisign key (repeatable, at least one)\n"
	     "      --cacert FILE   CA bundle for https\n"
	     "      --insecure      allow artifacts without sha256 (never unsigned scripts)\n"
	     "      --dry-run       fetch and verify everything, validate the images,\n"
	     "                      print the plan; load nothing\n"
	     "      --json          with --dry-run: print the plan as JSON\n"
	     "      --config FILE   settings as JSON (docs/stages.md)\n"
	     "      --timeout S     bound on the script's run time (default 120)\n"
	     "      --deadline S    all downloads of this stage together (default 3600)\n"
	     "      --site NAME     signatures must carry site:NAME (docs/verify.md)\n"
	     "      --state-dir DIR anti-rollback state (host default " CLI_HOST_STATE_DIR ")\n"
	     "      --stage S       BOOTRINO_STAGE for the script (default host)\n"
	     "  -v, --verbose\n"
	     "  -h, --help\n\n"
	     "Exit status: 0 (dry run), 2 usage / config / script error, 3 verification\n"
	     "failed (signature, rollback, sha256, missing pin or signature), 4 fetch\n"
	     "failed, 5 kexec failed.\n",
    .run = cmd_boot,
};

/* `boot` as a verb: seal the plan. */
static int boot_verb(const char *plan, int argc, char **argv)
{
	int rc;

	if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0))
		return cli_help(&br_command_boot);
	rc = cli_plan_file_apply(plan, "boot", argc - 1, argv + 1);
	return rc ? cli_fail(rc, "bootrino.sh") : 0;
}

static int cmd_boot(int argc, char **argv)
{
	static const struct option opts[] = {
	    CLI_BOOT_OPTIONS,
	    {"dry-run", no_argument, NULL, CLI_OPT_DRY_RUN},
	    {"json", no_argument, NULL, CLI_OPT_JSON},
	    {"stage", required_argument, NULL, 's'},
	    CLI_COMMON_OPTIONS,
	    {NULL, 0, NULL, 0},
	};
	static struct cli_boot_args a;
	const char *plan_env = getenv("BOOTRINO_PLAN");
	const char *stage = "host";
	struct cli_flow flow;
	int c, ret, dry_run = 0, json = 0;

	if (plan_env && *plan_env)
		return boot_verb(plan_env, argc, argv);
	cli_boot_args_init(&a);
	while ((c = getopt_long(argc, argv, "hv", opts, NULL)) != -1) {
		if (c == CLI_OPT_DRY_RUN || c == CLI_OPT_JSON) {
			*(c == CLI_OPT_JSON ? &json : &dry_run) = 1;
			continue;
		}
		if (c == 's') {
			if (strcmp(optarg, "host") != 0 && strcmp(optarg, "loader") != 0) {
				ret = cli_usage_error(&br_command_boot, "--stage: host or loader");
				goto out_args;
			}
			stage = strcmp(optarg, "host") == 0 ? "host" : "loader";
			continue;
		}
		ret = cli_boot_option(&br_command_boot, &a, c, optarg);
		if (ret == 0)
			continue;
		if (ret == CLI_CONTINUE)
			ret = cli_common_option(&br_command_boot, c);
		if (ret != CLI_CONTINUE)
			goto out_args;
	}
	if (optind < argc) {
		ret = cli_usage_error(&br_command_boot, "unexpected argument '%s'", argv[optind]);
		goto out_args;
	}
	ret = cli_boot_args_finish(&br_command_boot, &a);
	if (ret)
		goto out_args;
	if (!a.cfg.script) {
		ret = cli_usage_error(&br_command_boot, "--script URL is required");
		goto out_args;
	}
	if (a.keys.n == 0) {
		ret = cli_usage_error(&br_command_boot, "at least one --pubkey is required");
		goto out_args;
	}
	flow.stage = stage;
	flow.dry_run = dry_run;
	flow.json = json;
	ret = cli_boot_flow(&a, &flow);
out_args:
	cli_boot_args_free(&a);
	return ret;
}
