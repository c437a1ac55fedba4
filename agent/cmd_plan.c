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

struct plan_args {
	struct cli_boot_args a;
	int json;
};

#define A struct plan_args
static const struct cli_option plan_options[] = {
    CLI_OPT("json", "", NULL, CLI_FLAG, A, json, 0, "print the plan as JSON (default: a summary)"),
    CLI_BOOT_OPTIONS(A, a),
    CLI_BOOT_INSECURE(A, a, "allow artifacts without sha256 (and unsigned URLs)"),
};
#undef A

BR_COMMAND(plan) = {
    .name = "plan",
    .summary = "print the plan a bootrino.sh builds (nothing fetched or booted)",
    .synopsis = "[--json] --script URL|FILE [--pubkey KEY]... [OPTIONS]\n[--json] PLAN.json",
    .description = "Run bootrino.sh as `bootrino boot` would (same environment, verbs on\n"
		   "PATH) and print the plan it builds; artifacts are not fetched. With\n"
		   "--pubkey the script's signature (URL.minisig or FILE.minisig) is\n"
		   "verified first; a URL without --pubkey needs --insecure, a local FILE\n"
		   "may be run unsigned (debugging your own script). An error in the\n"
		   "script names your FILE or URL and the line. With PLAN.json, the plan\n"
		   "file is validated and printed.\n",
    CLI_OPTIONS(plan_options),
    .max_args = 1,
    .exit_status = "0  ok\n2  usage error, or an error in the script\n"
		   "3  verification failed (bad signature, missing pin)\n4  fetch failed\n",
    .example = "bootrino plan --script ./bootrino.sh\n",
    .run = cmd_plan,
};

/* A PLAN.json starts with '{' (after blanks); `plan good.sh` without
 * --script is a usage error, not "malformed JSON near byte 0". */
static int is_plan_json(const char *path)
{
	FILE *f = fopen(path, "re");
	int c = EOF;

	if (!f)
		return 1; /* let the reader say what is wrong with the path */
	do
		c = fgetc(f);
	while (c == ' ' || c == '\t' || c == '\n' || c == '\r');
	fclose(f);
	return c == '{';
}

static int print(const struct cli_plan *p, int json)
{
	if (json) {
		if (cli_plan_print_json(stdout, p))
			return cli_fail(-ENOMEM, NULL);
	} else {
		cli_plan_print_text(stdout, p);
	}
	return fflush(stdout) == 0 ? 0 : BR_EXIT_DISK;
}

static int cmd_plan(int argc, char **argv)
{
	static struct plan_args pa;
	struct cli_run r;
	struct cli_plan p;
	int n, rc, json, ret;

	memset(&pa, 0, sizeof(pa));
	cli_boot_args_init(&pa.a);
	n = cli_parse(&br_command_plan, argc, argv, &pa);
	if (n < 0) {
		rc = cli_parse_exit(n);
		goto out_args;
	}
	json = pa.json;
	rc = cli_boot_args_finish(&br_command_plan, &pa.a, 0);
	if (rc)
		goto out_args;
	if (n < argc) {
		if (pa.a.cfg.script) {
			ret = cli_usage_error(&br_command_plan,
					      "give either --script or one PLAN.json");
			goto out;
		}
		if (!is_plan_json(argv[n])) {
			ret = cli_usage_error(
			    &br_command_plan,
			    "%s: not a PLAN.json; a bootrino.sh goes after --script", argv[n]);
			goto out;
		}
		rc = cli_plan_file_read(argv[n], &p);
		if (!rc)
			ret = print(&p, json);
		else
			ret = cli_fail(rc, argv[n]);
		cli_plan_free(&p);
		goto out;
	}
	if (!pa.a.cfg.script) {
		ret = cli_usage_error(&br_command_plan, "missing --script URL|FILE (or PLAN.json)");
		goto out;
	}
	memset(&r, 0, sizeof(r));
	if (strstr(pa.a.cfg.script, "://"))
		r.script_url = pa.a.cfg.script;
	else
		r.script_file = pa.a.cfg.script;
	if (r.script_url && pa.a.keys.n == 0 && !pa.a.cfg.insecure) {
		ret = cli_usage_error(
		    &br_command_plan,
		    "missing --pubkey KEY (a URL's script is verified; or --insecure)");
		goto out;
	}
	r.keys = &pa.a.keys;
	r.fetch = &pa.a.fetch;
	r.stage = "host";
	/* DMI only: `plan` is a debugging aid and asks no metadata service */
	r.cloud = cloud_detect();
	r.insecure = pa.a.cfg.insecure;
	r.timeout_s = pa.a.cfg.script_timeout;
	rc = cli_run_script(&r, &p);
	if (rc) {
		ret = cli_fail(rc, "plan");
		if (r.exit_code)
			ret = r.exit_code;
	} else {
		if (!p.boot)
			br_log(BR_LOG_WARN, "%s: the script did not call `boot`", pa.a.cfg.script);
		ret = print(&p, json);
	}
	cli_plan_free(&p);
	cli_run_cleanup(&r);
out:
	cli_boot_args_free(&pa.a);
	return ret;
out_args:
	cli_boot_args_free(&pa.a);
	return rc;
}
