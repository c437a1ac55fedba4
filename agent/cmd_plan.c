/* `bootrino plan`: the plan a bootrino.sh builds, without fetching any
 * artifact; or a plan file validated and pretty-printed. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "agent/boot_opts.h"
#include "agent/boot_script.h"
#include "agent/doc/plan_file.h"
#include "agent/doc/plan_print.h"
#include "agent/facts.h"
#include "cloudinit/cloudinit.h"
#include "common/err.h"
#include "common/log.h"

static int cmd_plan(int argc, char **argv);

BR_COMMAND(plan) = {
    .name = "plan",
    .summary = "print the plan a bootrino.sh builds (nothing fetched or booted)",
    .usage = "usage: bootrino plan [--json] --script URL|FILE [--pubkey KEY]… [--cacert F]\n"
	     "                     [--insecure] [--config FILE] [--timeout S]\n"
	     "       bootrino plan [--json] PLAN.json\n\n"
	     "Run bootrino.sh as `bootrino boot` would (same environment, verbs on\n"
	     "PATH) and print the plan it builds; artifacts are not fetched. With\n"
	     "--pubkey the script's signature (URL.minisig or FILE.minisig) is\n"
	     "verified first; a URL without --pubkey needs --insecure, a local FILE\n"
	     "may be run unsigned (debugging your own script). With PLAN.json, the\n"
	     "plan file is validated and printed.\n\n"
	     "      --json          print the plan as JSON (default: a summary)\n"
	     "      --script URL|FILE\n"
	     "      --pubkey KEY    trusted minisign key (repeatable)\n"
	     "      --cacert FILE   CA bundle for https\n"
	     "      --insecure      allow artifacts without sha256 (and unsigned URLs)\n"
	     "      --config FILE   settings as JSON (docs/stages.md)\n"
	     "      --timeout S     bound on the script's run time (default 120)\n"
	     "  -v, --verbose\n"
	     "  -h, --help\n\n"
	     "Exit status: 0, 2 usage / script error, 3 verification failed (bad\n"
	     "signature, missing pin), 4 fetch failed.\n",
    .run = cmd_plan,
};

static int print(const struct cli_plan *p, int json)
{
	if (json) {
		if (cli_plan_print_json(stdout, p))
			return cli_fail(-ENOMEM, "plan");
	} else {
		cli_plan_print_text(stdout, p);
	}
	return fflush(stdout) == 0 ? 0 : BR_EXIT_FAIL;
}

static int cmd_plan(int argc, char **argv)
{
	static const struct option opts[] = {
	    CLI_BOOT_OPTIONS,
	    {"json", no_argument, NULL, CLI_OPT_JSON},
	    CLI_COMMON_OPTIONS,
	    {NULL, 0, NULL, 0},
	};
	static struct cli_boot_args a;
	struct cli_run r;
	struct cli_plan p;
	int c, rc, json = 0, ret;

	cli_boot_args_init(&a);
	while ((c = getopt_long(argc, argv, "hv", opts, NULL)) != -1) {
		if (c == CLI_OPT_JSON) {
			json = 1;
			continue;
		}
		rc = cli_boot_option(&br_command_plan, &a, c, optarg);
		if (rc == 0)
			continue;
		if (rc == CLI_CONTINUE)
			rc = cli_common_option(&br_command_plan, c);
		if (rc != CLI_CONTINUE)
			goto out_args;
	}
	rc = cli_boot_args_finish(&br_command_plan, &a);
	if (rc)
		goto out_args;
	if (optind < argc) {
		if (optind + 1 < argc || a.cfg.script) {
			ret = cli_usage_error(&br_command_plan,
					      "give either --script or one PLAN.json");
			goto out;
		}
		rc = cli_plan_file_read(argv[optind], &p);
		if (!rc)
			ret = print(&p, json);
		else
			ret = cli_fail(rc, argv[optind]);
		cli_plan_free(&p);
		goto out;
	}
	if (!a.cfg.script) {
		ret =
		    cli_usage_error(&br_command_plan, "--script URL|FILE or PLAN.json is required");
		goto out;
	}
	memset(&r, 0, sizeof(r));
	if (strstr(a.cfg.script, "://"))
		r.script_url = a.cfg.script;
	else
		r.script_file = a.cfg.script;
	if (r.script_url && a.keys.n == 0 && !a.cfg.insecure) {
		ret = cli_usage_error(&br_command_plan,
				      "--pubkey KEY is required for a URL (or --insecure)");
		goto out;
	}
	r.keys = &a.keys;
	r.fetch = &a.fetch;
	r.stage = "host";
	/* DMI only: `plan` is a debugging aid and asks no metadata service */
	r.cloud = cloud_detect();
	r.site = a.cfg.site;
	r.insecure = a.cfg.insecure;
	r.timeout_s = a.cfg.script_timeout;
	rc = cli_run_script(&r, &p);
	if (rc) {
		ret = cli_fail(rc, "plan");
		if (r.exit_code)
			ret = r.exit_code;
	} else {
		if (!p.boot)
			br_log(BR_LOG_WARN, "%s: the script did not call `boot`", a.cfg.script);
		ret = print(&p, json);
	}
	cli_plan_free(&p);
	cli_run_cleanup(&r);
out:
	cli_boot_args_free(&a);
	return ret;
out_args:
	cli_boot_args_free(&a);
	return rc;
}
