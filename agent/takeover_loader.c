/* takeover's loader stage (the default; docs/design.md, "Boot flow"):
 * fetch the signed loader.json (never older than the last one accepted),
 * run the boot flow as a dry-run preflight (bootrino.sh and every artifact
 * of its plan verified here and kept for the loader, agent/carry.h), fetch
 * + pin the loader's kernel and initrd, and kexec into it with an overlay
 * carrying CLI_CONFIG_PATH, CLI_FACTS_PATH and what the preflight kept. */
#include "agent/takeover_loader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/boot_exec.h"
#include "agent/boot_flow.h"
#include "agent/carry.h"
#include "agent/doc/detail.h"
#include "agent/doc/loader_json.h"
#include "agent/doc/plan_print.h"
#include "agent/facts.h"
#include "agent/fetch_signed.h"
#include "agent/install.h"
#include "agent/kexec_shutdown.h"
#include "agent/state.h"
#include "agent/timing.h"
#include "agent/workdir.h"
#include "common/err.h"
#include "common/file.h"
#include "common/log.h"
#include "fetch/fetch.h"
#include "fetch/url.h"
#include "kexec/kexec.h"
#include "verify/rollback.h"
#include "verify/sha256.h"

#define LOADER_TS "loader-timestamp"

static int read_pem(const char *path, char **out)
{
	size_t len;

	return br_file_read(path, CLI_CONFIG_PEM_MAX, 0, -BR_ECONFIG, out, &len);
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
	c.deadline = in->deadline;
	c.cacert_pem = in->cacert_pem;
	c.site = in->site;
	c.min_timestamp = in->min_timestamp;
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

/* Runs the preflight; on a dry run *plan gets the verified plan as text.
 * Otherwise what it verified is kept below workdir for the loader, and
 * carry_root names it ("" if nothing). */
static int preflight(struct cli_boot_args *a, int dry_run, char **plan, const char *workdir,
		     char *carry_root, size_t carry_root_len)
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
	ret = cli_boot_preflight(a, f, workdir, carry_root, dry_run ? 0 : carry_root_len);
	if (f && fclose(f) && !ret)
		ret = cli_fail(-ENOMEM, "takeover");
	if (ret) {
		free(*plan);
		*plan = NULL;
	}
	return ret;
}

/* What the loader will be told, as it will read it (the CA bundle's
 * contents elided): a dry run shows every setting that crosses over. */
static void print_config(const char *config)
{
	cJSON *j = cJSON_Parse(config), *pem;
	char *text;

	if (!j)
		return;
	pem = cJSON_GetObjectItemCaseSensitive(j, "cacert_pem");
	if (cJSON_IsString(pem))
		cJSON_ReplaceItemInObjectCaseSensitive(j, "cacert_pem",
						       cJSON_CreateString("(CA bundle)"));
	text = cJSON_PrintUnformatted(j);
	printf("overlay   %s %s\n", CLI_CONFIG_PATH, text ? text : "");
	free(text);
	cJSON_Delete(j);
}

/* The preflight's plan, indented under the script it came from. */
static void print_target(const char *script, const char *plan)
{
	const char *line, *nl;

	printf("target    %s: signature and every artifact verified here; "
	       "the loader gets them from here and checks them again\n",
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

/* loader.json: where it is, fetched with its signature, never older than
 * the last one accepted, parsed into a plan. url gets its URL. */
static int loader_plan(const struct cli_boot_args *a, const char *state_dir, char *url,
		       size_t urllen, struct cli_plan *p, struct verify_sigresult *sig, char **docp,
		       size_t *lenp)
{
	char *doc = NULL;
	uint64_t last = 0;
	size_t len;
	int rc;

	if (a->cfg.loader)
		snprintf(url, urllen, "%s", a->cfg.loader);
	else if (fetch_url_resolve(a->cfg.script, "loader/loader.json", url, urllen))
		return br_fail(-BR_ECONFIG, "%s: cannot derive the loader URL", a->cfg.script);
	rc = cli_fetch_signed(url, CLI_LOADER_JSON_MAX, &a->fetch, &a->keys, a->cfg.site, &doc,
			      &len, sig);
	/* loader.json's signatures never go backwards either: an old loader
	 * replayed could carry old bugs */
	if (!rc && state_dir) {
		rc = cli_state_read_u64(state_dir, LOADER_TS, &last);
		if (!rc)
			rc = verify_check_rollback(last, sig);
		if (rc)
			rc = cli_wrap_detail(rc, url);
	}
	if (!rc)
		rc = cli_loader_json_parse(p, fetch_url_resolve, url, doc, len);
	if (!rc) {
		*docp = doc;
		*lenp = len;
	} else {
		free(doc);
	}
	return rc;
}

/* The root disk's identity and the boot-disk image loader.json names:
 * the "install" record the loader acts on (agent/install.h). */
static int record_install(const char *url, const char *doc, size_t len, char **install, char *desc,
			  size_t cap, char img[CLI_PLAN_URL_MAX], char sha[CLI_PLAN_HEX_LEN + 1])
{
	struct disk_identity id;
	int rc;

	rc = cli_loader_json_bootdisk(fetch_url_resolve, url, doc, len, img, CLI_PLAN_URL_MAX, sha,
				      CLI_PLAN_HEX_LEN + 1);
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

/* The boot-disk image, fetched and verified here while the web server is
 * known to answer, goes to the loader with the rest of the preflight
 * (agent/carry.h), so that a server gone after the kexec does not leave
 * the disk unwritten. Never more than what is left of the carry budget
 * (a small instance keeps its RAM): the fetch stops at that size, and
 * then, or on any failure, the loader fetches the image as before. */
static void carry_bootdisk(const struct cli_boot_args *a, const char *workdir,
			   const char *carry_root, const char *img, const char *sha)
{
	unsigned long long budget = cli_carry_budget(), used = cli_carry_used(carry_root);
	uint8_t pin[VERIFY_SHA256_LEN];
	struct fetch_opts fo = a->fetch;
	char path[300];
	int rc;

	budget = budget > used ? budget - used : 0;
	if (verify_sha256_parse(sha, pin) || budget == 0) {
		br_log(BR_LOG_INFO, "install: no RAM left to hand %s to the loader; it fetches it",
		       img);
		return;
	}
	snprintf(path, sizeof(path), "%s/bootdisk.img.zst", workdir);
	fo.sha256 = pin;
	fo.max_size = budget;
	/* fetch/ renames the file into place only when its sha256 matched */
	rc = fetch_to_file(img, path, &fo, NULL);
	if (rc == -BR_ETOOBIG) {
		br_log(BR_LOG_INFO,
		       "install: %s is larger than the %llu MiB this machine may hand to the "
		       "loader in RAM; the loader fetches it",
		       img, budget >> 20);
		return;
	}
	if (!rc)
		rc = cli_carry_add_file(carry_root, sha, path, &budget);
	if (rc == 0)
		br_log(BR_LOG_INFO, "install: %s verified here, handed to the loader", img);
	else if (rc == 1)
		br_log(BR_LOG_INFO, "install: %s does not fit in RAM here; the loader fetches it",
		       img);
	else
		br_log(BR_LOG_WARN, "install: %s not handed to the loader (%s); it fetches it", img,
		       br_errmsg(rc));
	unlink(path); /* linked into the carry directory, or not wanted */
	br_errclear();
}

/* --dry-run: what would be loaded, and the target the loader would boot. */
static int print_dry_run(const struct cli_boot_args *a, const char *url, const struct cli_plan *p,
			 const struct kexec_report *r, const char *config, const char *target,
			 const char *disk)
{
	printf("loader    %s\n", url);
	cli_plan_print_text(stdout, p);
	print_config(config);
	printf("overlay   %s\n", CLI_FACTS_PATH);
	if (disk)
		printf("install   %s: the loader writes the boot-disk image here; "
		       "nothing is written now\n",
		       disk);
	else
		printf("install   none (--no-install: RAM only, no disk is written)\n");
	printf("kexec     %s: %s, %llu bytes\n", r->method, r->kernel_format,
	       (unsigned long long)r->total_bytes);
	print_target(a->cfg.script, target);
	return fflush(stdout) == 0 ? 0 : BR_EXIT_DISK;
}

int cli_takeover_loader(struct cli_boot_args *a, int dry_run, int install)
{
	char url[CLI_PLAN_URL_MAX], workdir[256] = "", *config = NULL, *target = NULL;
	char epoch[32], carry_root[300] = "";
	char *doc = NULL, *inst = NULL, disk_desc[512] = "";
	char img[CLI_PLAN_URL_MAX] = "", img_sha[CLI_PLAN_HEX_LEN + 1] = "";
	size_t doclen = 0;
	struct verify_sigresult sig = {0};
	struct cli_exec e;
	struct cli_plan p;
	const char *state_dir = a->state_dir_set ? a->state_dir : CLI_HOST_STATE_DIR;
	cJSON *facts = NULL;
	int rc, ret;

	cli_plan_init(&p);
	rc = loader_plan(a, state_dir, url, sizeof(url), &p, &sig, &doc, &doclen);
	if (!rc)
		rc = cli_workdir_new(workdir, sizeof(workdir));
	if (rc) {
		ret = cli_fail(rc, "takeover");
		goto out;
	}
	cli_timing_mark("loader.json");
	/* docs/design.md, "Boot flow": the loader would only fetch bootrino.sh
	 * after the stock OS is gone, so verify now, on the host, everything it
	 * will use */
	cli_timing_hold(1);
	ret = preflight(a, dry_run, &target, workdir, carry_root, sizeof(carry_root));
	cli_timing_hold(0);
	if (ret)
		goto out;
	/* the loader must not accept a bootrino.sh older than the one the
	 * preflight just accepted (it has no state dir of its own) */
	if (a->accepted_timestamp > a->cfg.min_timestamp)
		a->cfg.min_timestamp = a->accepted_timestamp;
	br_errclear();
	if (install)
		rc = record_install(url, doc, doclen, &inst, disk_desc, sizeof(disk_desc), img,
				    img_sha);
	if (!rc)
		rc = loader_config(&a->cfg, inst, &config);
	if (rc) {
		ret = cli_fail(rc, "takeover");
		goto out;
	}
	if (install && !dry_run && carry_root[0])
		carry_bootdisk(a, workdir, carry_root, img, img_sha);
	cli_timing_mark("preflight");
	rc = cli_facts_get("host", &facts);
	if (rc) {
		br_log(BR_LOG_WARN, "facts: %s", br_errmsg(rc));
		facts = NULL;
	}
	memset(&e, 0, sizeof(e));
	e.plan = &p;
	e.workdir = workdir;
	e.fetch = &a->fetch;
	e.facts = facts;
	e.extra[0].path = CLI_CONFIG_PATH;
	e.extra[0].data = config;
	e.extra[0].len = strlen(config);
	e.extra[0].mode = 0600;
	/* the loader's time stamps go on counting from our start */
	snprintf(epoch, sizeof(epoch), "%llu\n", br_log_epoch());
	e.extra[1].path = CLI_TIMING_EPOCH_PATH;
	e.extra[1].data = epoch;
	e.extra[1].len = strlen(epoch);
	e.extra[1].mode = 0644;
	e.n_extra = 2;
	/* the loader's first run re-hashes these instead of fetching them */
	e.overlay_dir = carry_root[0] ? carry_root : NULL;
	e.dry_run = dry_run;
	rc = cli_exec_plan(&e);
	if (rc) {
		ret = cli_fail(rc, "takeover");
		goto out;
	}
	if (dry_run) {
		ret = print_dry_run(a, url, &p, &e.report, config, target,
				    install ? disk_desc : NULL);
		goto out;
	}
	if (state_dir && sig.has_timestamp &&
	    (rc = cli_state_write_u64(state_dir, LOADER_TS, sig.timestamp)))
		br_log(BR_LOG_WARN, "%s", br_errmsg(rc));
	cli_timing_summary("takeover");
	br_log(BR_LOG_INFO, "starting the loader (%s)", e.report.method);
	rc = kexec_execute_how(cli_kexec_shutdown());
	ret = rc ? cli_fail(rc, "kexec") : 0;
out:
	cJSON_Delete(facts);
	cli_workdir_remove(workdir);
	free(target);
	free(config);
	free(inst);
	free(doc);
	cli_plan_free(&p);
	return ret;
}
