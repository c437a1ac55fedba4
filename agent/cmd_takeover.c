/* `bootrino takeover`: the host stage (design §2). Default: fetch the
 * signed loader.json, run the boot flow as a dry-run preflight (bootrino.sh
 * and every artifact of its plan verified here, then deleted; the loader
 * fetches them again), fetch + pin the loader's kernel and initrd, and
 * kexec into it with an overlay carrying /etc/bootrino/config.json and
 * /etc/bootrino/facts.json. --direct: run the boot flow here and kexec the
 * target straight away. Nothing destructive happens before every byte is
 * verified; --dry-run stops right before loading. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/boot_exec.h"
#include "agent/boot_flow.h"
#include "agent/boot_script.h"
#include "agent/detail.h"
#include "agent/facts.h"
#include "agent/install.h"
#include "agent/loader_json.h"
#include "agent/plan_print.h"
#include "common/err.h"
#include "common/log.h"
#include "fetch/url.h"
#include "kexec/kexec.h"
#include "verify/rollback.h"

#define CONFIG_PATH "/etc/bootrino/config.json"
#define LOADER_TS "loader-timestamp"

static int cmd_takeover(int argc, char **argv);

BR_COMMAND(takeover) = {
    .name = "takeover",
    .summary = "host stage: verify the loader (or the target) and kexec into it",
    .usage = "usage: bootrino takeover --script URL --pubkey KEY [--pubkey KEY2]…\n"
	     "                         [--direct] [--no-install] [--dry-run] [--loader URL]\n"
	     "                         [--cacert F]\n"
	     "                         [--insecure] [--config FILE] [--timeout S]\n\n"
	     "Default: fetch LOADER (default <script base>/loader/loader.json) and its\n"
	     ".minisig, verify them with the trusted keys, fetch the loader's kernel and\n"
	     "initrd with their sha256 pins, and kexec into the loader with an overlay\n"
	     "holding /etc/bootrino/config.json (script URL, keys, CA bundle) and\n"
	     "/etc/bootrino/facts.json (network, ssh keys, hostname, instance id).\n"
	     "The loader's `bootrino init` then runs bootrino.sh. Before that, a\n"
	     "preflight here does what `boot --dry-run` does (bootrino.sh, its\n"
	     "signature and every artifact of its plan verified), so a bad script or\n"
	     "pin fails now, with the system untouched.\n\n"
	     "      --script URL    bootrino.sh\n"
	     "      --pubkey KEY    trusted minisign key (repeatable, at least one)\n"
	     "      --direct        run bootrino.sh here and kexec its target (RAM only)\n"
	     "      --no-install    RAM only: the loader writes nothing to any disk (default:\n"
	     "                      it installs loader.json's boot-disk image on the disk\n"
	     "                      holding /, found again by identity; docs/disk.md)\n"
	     "      --dry-run       fetch and verify everything, print the plan, touch nothing\n"
	     "      --loader URL    loader.json to use\n"
	     "      --cacert FILE   CA bundle for https (carried to the loader)\n"
	     "      --insecure      allow bootrino.sh artifacts without sha256 (the loader\n"
	     "                      is always pinned)\n"
	     "      --config FILE   settings as JSON (docs/stages.md)\n"
	     "      --timeout S     bound on bootrino.sh's run time (default 120)\n"
	     "      --state-dir DIR anti-rollback state (default " CLI_HOST_STATE_DIR ")\n"
	     "  -v, --verbose\n"
	     "  -h, --help\n\n"
	     "Exit status: 0 (dry run), 2 usage / config error, 3 verification failed,\n"
	     "4 fetch failed, 5 kexec failed, 6 the root disk cannot be told. On any failure the "
	     "running system is\n"
	     "left as it was.\n",
    .run = cmd_takeover,
};

static int read_pem(const char *path, char **out)
{
	struct stat st;
	ssize_t n;
	size_t got = 0;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return br_fail(-errno, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > (off_t)CLI_CONFIG_PEM_MAX) {
		close(fd);
		return br_fail(-BR_ECONFIG, "%s: not a regular file of at most %u bytes", path,
			       CLI_CONFIG_PEM_MAX);
	}
	*out = malloc((size_t)st.st_size + 1);
	if (!*out) {
		close(fd);
		return -ENOMEM;
	}
	while (got < (size_t)st.st_size) {
		n = read(fd, *out + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = br_fail(-EIO, "%s: short read", path);
			break;
		}
		got += (size_t)n;
	}
	close(fd);
	(*out)[got] = '\0';
	if (rc) {
		free(*out);
		*out = NULL;
	}
	return rc;
}

/* What the loader needs to run bootrino.sh by itself (and, unless
 * --no-install, what to install where). */
static int loader_config(const struct cli_config *in, char *install, char **json)
{
	struct cli_config c;
	size_t i;
	int rc = 0;

	cli_config_init(&c);
	c.script = in->script;
	for (i = 0; i < in->n_pubkeys; i++)
		c.pubkeys[i] = in->pubkeys[i];
	c.n_pubkeys = in->n_pubkeys;
	c.mode = CLI_MODE_LOADER;
	c.insecure = in->insecure;
	c.script_timeout = in->script_timeout;
	c.cacert_pem = in->cacert_pem;
	c.install = install;
	if (in->cacert)
		rc = read_pem(in->cacert, &c.cacert_pem);
	if (!rc) {
		*json = cli_config_to_json(&c);
		if (!*json)
			rc = -ENOMEM;
	}
	if (c.cacert_pem != in->cacert_pem)
		free(c.cacert_pem);
	return rc;
}

/* Runs the preflight; on a dry run *plan gets the verified plan as text. */
static int preflight(struct cli_boot_args *a, int dry_run, char **plan)
{
	size_t len = 0;
	FILE *f = NULL;
	int ret;

	*plan = NULL;
	if (dry_run) {
		f = open_memstream(plan, &len);
		if (!f)
			return cli_fail(-errno, "takeover");
	}
	br_log(BR_LOG_INFO, "preflight: verifying %s and its plan", a->cfg.script);
	ret = cli_boot_preflight(a, f);
	if (f && fclose(f) && !ret)
		ret = cli_fail(-ENOMEM, "takeover");
	if (ret) {
		free(*plan);
		*plan = NULL;
	}
	return ret;
}

/* The preflight's plan, indented under the script it came from. */
static void print_target(const char *script, const char *plan)
{
	const char *line, *nl;

	printf("target    %s: signature and every artifact verified here; "
	       "the loader fetches them again\n",
	       script);
	for (line = plan; line && *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl) {
			printf("  %s\n", line);
			break;
		}
		printf("  %.*s\n", (int)(nl - line), line);
	}
}

/* The root disk's identity and the boot-disk image loader.json names:
 * the "install" record the loader acts on (agent/install.h). */
static int record_install(const char *url, const char *doc, size_t len, char **install, char *desc,
			  size_t cap)
{
	char img[CLI_PLAN_URL_MAX], sha[CLI_PLAN_HEX_LEN + 1];
	struct disk_identity id;
	int rc;

	rc = cli_loader_json_bootdisk(fetch_url_resolve, url, doc, len, img, sizeof(img), sha,
				      sizeof(sha));
	if (rc == -ENOENT) {
		char why[512];

		snprintf(why, sizeof(why), "%s", br_errdetail());
		return br_fail(-BR_ECONFIG, "%s (publish one, or use --no-install)", why);
	}
	if (!rc)
		rc = cli_install_record(img, sha, install, &id);
	if (!rc) {
		disk_identity_format(&id, desc, cap);
		br_log(BR_LOG_INFO, "install: the loader will write %s to /dev/%s", img, id.name);
	}
	return rc;
}

static int via_loader(struct cli_boot_args *a, int dry_run, int install)
{
	char url[CLI_PLAN_URL_MAX], workdir[256] = "", *doc = NULL, *config = NULL;
	char *inst = NULL, disk_desc[512] = "";
	char *target = NULL;
	struct verify_sigresult sig;
	struct cli_exec e;
	struct cli_plan p;
	const char *state_dir = a->state_dir_set ? a->state_dir : CLI_HOST_STATE_DIR;
	cJSON *facts = NULL;
	uint64_t last = 0;
	size_t len;
	int rc, ret;

	cli_plan_init(&p);
	if (a->cfg.loader)
		snprintf(url, sizeof(url), "%s", a->cfg.loader);
	else if (fetch_url_resolve(a->cfg.script, "loader/loader.json", url, sizeof(url)))
		return cli_fail(
		    br_fail(-BR_ECONFIG, "%s: cannot derive the loader URL", a->cfg.script),
		    "takeover");
	br_errclear();
	rc = cli_fetch_signed(url, CLI_LOADER_JSON_MAX, &a->fetch, &a->keys, &doc, &len, &sig);
	/* loader.json's signatures never go backwards either: an old loader
	 * replayed could carry old bugs */
	if (!rc && state_dir) {
		rc = cli_state_read_u64(state_dir, LOADER_TS, &last);
		if (!rc)
			rc = verify_check_rollback(last, &sig);
		if (rc)
			rc = cli_wrap_detail(rc, url);
	}
	if (!rc)
		rc = cli_loader_json_parse(&p, fetch_url_resolve, url, doc, len);
	if (!rc)
		rc = cli_workdir_new(workdir, sizeof(workdir));
	if (rc) {
		ret = cli_fail(rc, "takeover");
		goto out;
	}
	/* design §2: the loader would only fetch bootrino.sh after the stock OS
	 * is gone, so verify now, on the host, everything it will use */
	ret = preflight(a, dry_run, &target);
	if (ret)
		goto out;
	br_errclear();
	if (install)
		rc = record_install(url, doc, len, &inst, disk_desc, sizeof(disk_desc));
	if (!rc)
		rc = loader_config(&a->cfg, inst, &config);
	if (rc) {
		ret = cli_fail(rc, "takeover");
		goto out;
	}
	br_errclear();
	rc = cli_facts_get("host", &facts);
	if (rc) {
		br_log(BR_LOG_WARN, "facts: %s", br_errdetail());
		facts = NULL;
	}
	memset(&e, 0, sizeof(e));
	e.plan = &p;
	e.workdir = workdir;
	e.fetch = &a->fetch;
	e.facts = facts;
	e.extra[0].path = CONFIG_PATH;
	e.extra[0].data = config;
	e.extra[0].len = strlen(config);
	e.extra[0].mode = 0600;
	e.n_extra = 1;
	e.dry_run = dry_run;
	br_errclear();
	rc = cli_exec_plan(&e);
	if (rc) {
		ret = cli_fail(rc, "takeover");
		goto out;
	}
	if (dry_run) {
		printf("loader    %s\n", url);
		cli_plan_print_text(stdout, &p);
		printf("overlay   %s (script %s, %zu key%s)\n", CONFIG_PATH, a->cfg.script,
		       a->cfg.n_pubkeys, a->cfg.n_pubkeys == 1 ? "" : "s");
		printf("overlay   %s\n", CLI_FACTS_PATH);
		if (install)
			printf("install   %s: the loader writes the boot-disk image here; "
			       "nothing is written now\n",
			       disk_desc);
		else
			printf("install   none (--no-install: RAM only, no disk is written)\n");
		printf("kexec     %s: %s, %llu bytes\n", e.report.method, e.report.kernel_format,
		       (unsigned long long)e.report.total_bytes);
		print_target(a->cfg.script, target);
		ret = fflush(stdout) == 0 ? 0 : BR_EXIT_FAIL;
		goto out;
	}
	if (state_dir && sig.has_timestamp &&
	    cli_state_write_u64(state_dir, LOADER_TS, sig.timestamp))
		br_log(BR_LOG_WARN, "%s", br_errdetail());
	br_log(BR_LOG_INFO, "starting the loader (%s)", e.report.method);
	br_errclear();
	rc = kexec_execute();
	ret = rc ? cli_fail(rc, "kexec") : 0;
out:
	cJSON_Delete(facts);
	cli_workdir_remove(workdir);
	free(target);
	free(inst);
	free(config);
	free(doc);
	cli_plan_free(&p);
	return ret;
}

static int cmd_takeover(int argc, char **argv)
{
	static const struct option opts[] = {
	    CLI_BOOT_OPTIONS,
	    {"dry-run", no_argument, NULL, CLI_OPT_DRY_RUN},
	    {"direct", no_argument, NULL, CLI_OPT_DIRECT},
	    {"ram-only", no_argument, NULL, CLI_OPT_DIRECT},
	    {"no-install", no_argument, NULL, CLI_OPT_NO_INSTALL},
	    {"loader", required_argument, NULL, CLI_OPT_LOADER},
	    CLI_COMMON_OPTIONS,
	    {NULL, 0, NULL, 0},
	};
	static struct cli_boot_args a;
	struct cli_flow flow;
	int c, ret, dry_run = 0, install = 1;

	cli_boot_args_init(&a);
	while ((c = getopt_long(argc, argv, "hv", opts, NULL)) != -1) {
		switch (c) {
		case CLI_OPT_DRY_RUN:
			dry_run = 1;
			continue;
		case CLI_OPT_DIRECT:
			a.cli.mode = CLI_MODE_DIRECT;
			continue;
		case CLI_OPT_NO_INSTALL:
			install = 0;
			continue;
		case CLI_OPT_LOADER:
			if (cli_config_set_str(&a.cli.loader, optarg)) {
				ret = BR_EXIT_FAIL;
				goto out;
			}
			continue;
		default:
			break;
		}
		ret = cli_boot_option(&br_command_takeover, &a, c, optarg);
		if (ret == 0)
			continue;
		if (ret == CLI_CONTINUE)
			ret = cli_common_option(&br_command_takeover, c);
		if (ret != CLI_CONTINUE)
			goto out;
	}
	if (optind < argc) {
		ret =
		    cli_usage_error(&br_command_takeover, "unexpected argument '%s'", argv[optind]);
		goto out;
	}
	ret = cli_boot_args_finish(&br_command_takeover, &a);
	if (ret)
		goto out;
	if (!a.cfg.script) {
		ret = cli_usage_error(&br_command_takeover, "--script URL is required");
		goto out;
	}
	if (a.keys.n == 0) {
		ret = cli_usage_error(&br_command_takeover, "at least one --pubkey is required");
		goto out;
	}
	if (a.cfg.mode == CLI_MODE_DIRECT) {
		flow.stage = "host";
		flow.dry_run = dry_run;
		flow.json = 0;
		ret = cli_boot_flow(&a, &flow);
	} else {
		ret = via_loader(&a, dry_run, install);
	}
out:
	cli_boot_args_free(&a);
	return ret;
}
