/* script → plan → verified artifacts → kexec. See agent/boot_flow.h. */
#include "agent/boot_flow.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "agent/boot_exec.h"
#include "agent/boot_script.h"
#include "agent/carry.h"
#include "agent/doc/plan_print.h"
#include "agent/facts.h"
#include "agent/kexec_shutdown.h"
#include "agent/slot_boot.h"
#include "agent/state.h"
#include "agent/timing.h"
#include "common/err.h"
#include "common/log.h"
#include "kexec/kexec.h"

static void print_report(FILE *out, const struct cli_exec *e, int json)
{
	if (json) {
		cli_plan_print_json(out, e->plan);
		return;
	}
	cli_plan_print_text(out, e->plan);
	fprintf(
	    out, "kexec     %s: %s, %llu bytes%s%s\n", e->report.method[0] ? e->report.method : "-",
	    e->report.kernel_format[0] ? e->report.kernel_format : "?",
	    (unsigned long long)e->report.total_bytes, e->report.why[0] ? "; " : "", e->report.why);
}

/* How one run of the flow behaves: `boot`, `takeover --direct` and init
 * run it for real (or dry); takeover's default path runs it as a
 * preflight, always dry, reporting to its own stream. */
struct flow_how {
	const char *what;	  /* first word of the failure line */
	const char *script_stage; /* BOOTRINO_STAGE */
	const char *facts_stage;  /* where the facts come from */
	const char *state_dir;	  /* anti-rollback state, NULL: none */
	int dry_run;
	int json;
	FILE *report;		   /* dry run: where the plan goes, NULL: nowhere */
	int use_carried;	   /* the loader: what the host handed over first */
	const char *carry_workdir; /* the preflight: keep what was verified */
	char *carry_root;	   /* out: where, "" if nothing */
	size_t carry_root_len;
	/* the run being checked happens elsewhere (the loader): refuse what
	 * only works here, such as file:// URLs of the host's disk */
	int for_loader;
};

/* A URL the loader can fetch too: not a file of the host's disk. */
static int loader_can_fetch(const char *url)
{
	if (url && strncasecmp(url, "file:", 5) == 0)
		return br_fail(-BR_ECONFIG,
			       "%s: a file:// URL names the host's disk, which the loader does "
			       "not have: serve it over http(s)",
			       url);
	return 0;
}

static int plan_for_loader(const struct cli_plan *p)
{
	size_t i;
	int rc = loader_can_fetch(p->kernel.url);

	for (i = 0; !rc && i < p->n_images; i++)
		rc = loader_can_fetch(p->images[i].url);
	for (i = 0; !rc && i < p->n_files; i++)
		rc = loader_can_fetch(p->files[i].url);
	return rc;
}

static int flow_run(struct cli_boot_args *a, const struct flow_how *h)
{
	const char *state_dir = h->state_dir;
	struct cli_exec e;
	struct cli_plan p;
	struct cli_run r;
	cJSON *facts = NULL;
	uint64_t count = 0;
	int rc, ret;

	if (state_dir && cli_state_read_u64(state_dir, "boot-count", &count))
		count = 0;

	rc = cli_facts_get(h->facts_stage, &facts);
	if (rc) {
		/* facts are for the target's convenience; the boot goes on */
		br_log(BR_LOG_WARN, "facts: %s", br_errmsg(rc));
		facts = NULL;
	}
	/* bootrino-state mounted: the every-boot decision between the newest
	 * bootrino.sh and the slots (docs/every-boot.md) */
	if (a->slots_dir && !h->carry_workdir) {
		ret = cli_slot_flow(a, h->script_stage, facts, h->use_carried, h->dry_run);
		cJSON_Delete(facts);
		return ret;
	}
	if (h->for_loader) {
		rc = loader_can_fetch(a->cfg.script);
		if (rc) {
			ret = cli_fail(rc, h->what);
			cJSON_Delete(facts);
			return ret;
		}
	}
	memset(&r, 0, sizeof(r));
	r.script_url = a->cfg.script;
	r.keys = &a->keys;
	r.fetch = &a->fetch;
	r.stage = h->script_stage;
	r.cloud = cli_facts_str(facts, "cloud");
	r.instance_id = cli_facts_str(facts, "instance_id");
	r.boot_count = (unsigned long)count;
	r.state_dir = state_dir;
	r.min_timestamp = a->cfg.min_timestamp;
	r.site = a->cfg.site;
	r.insecure = a->cfg.insecure;
	r.timeout_s = a->cfg.script_timeout;
	r.use_carried = h->use_carried;
	r.keep_signed = h->carry_workdir != NULL;
	rc = cli_run_script(&r, &p);
	cli_timing_mark("script");
	if (rc) {
		ret = cli_fail(rc, h->what);
		if (r.exit_code)
			ret = r.exit_code;
		goto out;
	}
	if (!p.boot) {
		ret = cli_fail(br_fail(-BR_ECONFIG,
				       "%s: the script ended without `boot`: "
				       "nothing to boot",
				       r.url),
			       h->what);
		goto out;
	}
	if (h->for_loader && (rc = plan_for_loader(&p)) != 0) {
		ret = cli_fail(rc, h->what);
		goto out;
	}
	memset(&e, 0, sizeof(e));
	e.plan = &p;
	e.workdir = r.workdir;
	e.fetch = &a->fetch;
	e.facts = facts;
	e.dry_run = h->dry_run;
	e.use_carried = h->use_carried;
	if (h->carry_workdir && r.text) {
		rc = cli_carry_begin(h->carry_workdir, r.url, r.text, r.text_len, r.sigtext,
				     r.sigtext_len, h->carry_root, h->carry_root_len);
		if (rc == 0) {
			e.carry_root = h->carry_root;
			e.carry_budget = cli_carry_budget();
		} else {
			/* the loader then fetches as it would on a later boot */
			br_log(BR_LOG_WARN, "not handing bootrino.sh to the loader: %s",
			       br_errmsg(rc));
			h->carry_root[0] = '\0';
		}
	}
	rc = cli_exec_plan(&e);
	if (rc) {
		ret = cli_fail(rc, h->what);
		goto out;
	}
	a->accepted_timestamp = r.sig.has_timestamp ? r.sig.timestamp : 0;
	if (h->dry_run) {
		ret = 0;
		if (h->report) {
			print_report(h->report, &e, h->json);
			ret = fflush(h->report) == 0 ? 0 : BR_EXIT_DISK;
		}
		goto out;
	}
	/* loaded: from now on this signature is the oldest we accept */
	if (state_dir) {
		if (r.sig.has_timestamp &&
		    (rc = cli_state_write_u64(state_dir, "last-timestamp", r.sig.timestamp)))
			br_log(BR_LOG_WARN, "%s", br_errmsg(rc));
		if ((rc = cli_state_write_u64(state_dir, "boot-count", count + 1)))
			br_log(BR_LOG_WARN, "%s", br_errmsg(rc));
	}
	if (a->slots_why)
		br_log(BR_LOG_INFO, "slot: outcome=none slot=- timestamp=%llu reason=\"%s\"",
		       r.sig.has_timestamp ? (unsigned long long)r.sig.timestamp : 0ULL,
		       a->slots_why);
	cli_timing_summary(h->script_stage);
	br_log(BR_LOG_INFO, "starting the target (%s)", e.report.method);
	rc = kexec_execute_how(cli_kexec_shutdown());
	/* `systemctl kexec` returns once systemd took the job */
	ret = rc ? cli_fail(rc, "kexec") : 0;
out:
	cli_plan_free(&p);
	cli_run_cleanup(&r);
	cJSON_Delete(facts);
	return ret;
}

int cli_boot_flow(struct cli_boot_args *a, const struct cli_flow *f)
{
	struct flow_how h;

	memset(&h, 0, sizeof(h));
	h.what = "boot";
	h.use_carried = strcmp(f->stage, "loader") == 0;
	h.script_stage = f->stage;
	h.facts_stage = f->stage;
	/* the loader's state partition is not there yet: no anti-rollback
	 * state in the loader unless --state-dir names one */
	h.state_dir = a->state_dir_set		      ? a->state_dir
		      : strcmp(f->stage, "host") == 0 ? CLI_HOST_STATE_DIR
						      : NULL;
	h.dry_run = f->dry_run;
	h.json = f->json;
	h.report = stdout;
	return flow_run(a, &h);
}

int cli_boot_preflight(struct cli_boot_args *a, FILE *report, const char *carry_workdir,
		       char *carry_root, size_t carry_root_len)
{
	struct flow_how h;

	memset(&h, 0, sizeof(h));
	if (carry_root_len)
		carry_root[0] = '\0';
	h.carry_workdir = carry_root_len ? carry_workdir : NULL;
	h.carry_root = carry_root;
	h.carry_root_len = carry_root_len;
	h.what = "takeover";
	/* the run being checked is the loader's */
	h.script_stage = "loader";
	/* the loader carries the host's facts */
	h.facts_stage = "host";
	/* the loader has no anti-rollback state yet; the host has */
	h.state_dir = a->state_dir_set ? a->state_dir : CLI_HOST_STATE_DIR;
	h.dry_run = 1;
	h.report = report;
	h.for_loader = 1;
	return flow_run(a, &h);
}
