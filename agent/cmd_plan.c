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

/* `plan PLAN.json`: validate and print a plan file. */
static int plan_file(const char *path, int json)
{
	struct cli_plan p;
	int rc, ret;

	if (!is_plan_json(path))
		return cli_usage_error(&br_command_plan,
				       "%s: not a PLAN.json; a bootrino.sh goes after --script",
				       path);
	rc = cli_plan_file_read(path, &p);
	ret = rc ? cli_fail(rc, path) : print(&p, json);
	cli_plan_free(&p);
	return ret;
}

/* `plan --script URL|FILE`: run it as `boot` would, print its plan. */
static int plan_script(struct cli_boot_args *a, int json)
{
	struct cli_run r;
	struct cli_plan p;
	int rc, ret;

	memset(&r, 0, sizeof(r));
	if (strstr(a->cfg.script, "://"))
		r.script_url = a->cfg.script;
	else
		r.script_file = a->cfg.script;
	if (r.script_url && a->keys.n == 0 && !a->cfg.insecure)
		return cli_usage_error(
		    &br_command_plan,
		    "missing --pubkey KEY (a URL's script is verified; or --insecure)");
	r.keys = &a->keys;
	r.fetch = &a->fetch;
	r.stage = "host";
	/* DMI only: `plan` is a debugging aid and asks no metadata service */
	r.cloud = cloud_detect();
	r.site = a->cfg.site;
	r.insecure = a->cfg.insecure;
	r.timeout_s = a->cfg.script_timeout;
	rc = cli_run_script(&r, &p);
	if (rc) {
		ret = cli_fail(rc, "plan");
		if (r.exit_code)
			ret = r.exit_code;
	} else {
		if (!p.boot)
			br_log(BR_LOG_WARN, "%s: the script did not call `boot`", a->cfg.script);
		ret = print(&p, json);
	}
	cli_plan_free(&p);
	cli_run_cleanup(&r);
	return ret;
}

static int cmd_plan(int argc, char **argv)
{
	static struct plan_args pa;
	int n, ret;

	memset(&pa, 0, sizeof(pa));
	cli_boot_args_init(&pa.a);
	n = cli_parse(&br_command_plan, argc, argv, &pa);
	if (n < 0) {
		ret = cli_parse_exit(n); /* 0 after --help */
		goto out;
	}
	ret = cli_boot_args_finish(&br_command_plan, &pa.a, 0);
	if (ret)
		goto out;
	if (n < argc && pa.a.cfg.script)
		ret = cli_usage_error(&br_command_plan, "give either --script or one PLAN.json");
	else if (n < argc)
		ret = plan_file(argv[n], pa.json);
	else if (!pa.a.cfg.script)
		ret = cli_usage_error(&br_command_plan, "missing --script URL|FILE (or PLAN.json)");
	else
		ret = plan_script(&pa.a, pa.json);
out:
	cli_boot_args_free(&pa.a);
	return ret;
}
