/* The every-boot decision. See agent/slot_boot.h and docs/every-boot.md. */
#include "agent/slot_boot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agent/boot_exec.h"
#include "agent/boot_script.h"
#include "agent/cli.h"
#include "agent/doc/plan.h"
#include "agent/doc/plan_file.h"
#include "agent/facts.h"
#include "agent/kexec_shutdown.h"
#include "agent/slot_store.h"
#include "agent/timing.h"
#include "common/err.h"
#include "common/file.h"
#include "common/log.h"
#include "kexec/kexec.h"
#include "verify/sha256.h"

#define SELF_MAX (64u << 20) /* the static binary the target gets */
#define BOOT_JSON_PATH "/etc/bootrino/boot.json"
#define SELF_PATH "/usr/bin/bootrino"

struct slot_run {
	struct cli_boot_args *a;
	const char *root;
	const char *stage;
	const cJSON *facts;
	int use_carried, dry_run;
	struct cli_slots_state st;
	struct cli_slot_info cur, tri;
	int have_cur, have_tri;
	enum cli_slots_trial settled;
	char settled_msg[CLI_SLOTS_REASON_MAX];
};

/* The plan's identity: sha256 of its canonical JSON (what it boots, not
 * the script that built it: a re-signed script with the same plan is a
 * cache hit). */
static int plan_sha(const struct cli_plan *p, char hex[65])
{
	uint8_t d[VERIFY_SHA256_LEN];
	struct verify_sha256 *h;
	cJSON *j = cli_plan_to_json(p);
	char *s = j ? cJSON_PrintUnformatted(j) : NULL;
	int rc = s ? verify_sha256_new(&h) : -ENOMEM;

	if (!rc) {
		verify_sha256_update(h, s, strlen(s));
		verify_sha256_final(h, d);
		verify_sha256_free(h);
		verify_sha256_hex(d, hex);
	}
	free(s);
	cJSON_Delete(j);
	return rc;
}

static int new_token(char out[CLI_SLOTS_TOKEN_LEN + 1])
{
	uint8_t b[CLI_SLOTS_TOKEN_LEN / 2];
	size_t i;

	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		return br_fail(-errno, "getrandom: %s", strerror(errno));
	for (i = 0; i < sizeof(b); i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
	return 0;
}

static void partuuid(const char *dev, char *out, size_t len)
{
	char path[256], line[256];
	const char *base = dev ? strrchr(dev, '/') : NULL;
	FILE *f;

	out[0] = '\0';
	if (!base)
		return;
	snprintf(path, sizeof(path), "/sys/class/block/%s/uevent", base + 1);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "PARTUUID=", 9) == 0) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(out, len, "%.70s", line + 9);
		}
	fclose(f);
}

static char *boot_json(const struct slot_run *s, int slot, const struct cli_slot_info *i, int trial)
{
	char uuid[80];
	cJSON *o = cJSON_CreateObject();
	char *out = NULL;

	partuuid(s->a->slots_dev, uuid, sizeof(uuid));
	if (o && cJSON_AddStringToObject(o, "slot", cli_slot_name(slot)) &&
	    cJSON_AddBoolToObject(o, "trial", trial) &&
	    cJSON_AddNumberToObject(o, "confirm", i->confirm) &&
	    cJSON_AddStringToObject(o, "token", i->token) &&
	    cJSON_AddStringToObject(o, "script_url", i->url) &&
	    cJSON_AddNumberToObject(o, "timestamp", (double)i->timestamp) &&
	    cJSON_AddNumberToObject(o, "boot_count", (double)i->boots) &&
	    cJSON_AddStringToObject(o, "state_partuuid", uuid))
		out = cJSON_Print(o);
	cJSON_Delete(o);
	return out;
}

/* Load plan (from the network into store_dir, or from the slot's
 * artifacts) with boot.json and, when the plan asks for confirmation, this
 * binary in the overlay. */
static int load_plan(struct slot_run *s, const struct cli_plan *p, int slot,
		     const struct cli_slot_info *info, int trial, int from_disk,
		     const char *workdir)
{
	char dir[600], *bj, *self = NULL;
	struct cli_exec e;
	size_t selflen = 0;
	int rc;

	rc = cli_slot_store_path(s->root, slot, "artifacts", dir, sizeof(dir));
	if (rc)
		return rc;
	bj = boot_json(s, slot, info, trial);
	if (!bj)
		return -ENOMEM;
	if (p->confirm) {
		rc = br_file_read("/proc/self/exe", SELF_MAX, 0, -BR_ETOOBIG, &self, &selflen);
		if (rc) {
			/* the target may still confirm by hand (docs/every-boot.md) */
			br_log(BR_LOG_WARN, "slot: %s is not put into the target: %s", SELF_PATH,
			       br_errmsg(rc));
			self = NULL;
		}
	}
	memset(&e, 0, sizeof(e));
	e.plan = p;
	e.workdir = workdir;
	e.fetch = &s->a->fetch;
	e.facts = s->facts;
	e.dry_run = s->dry_run;
	e.use_carried = s->use_carried;
	if (from_disk)
		e.artifact_dir = dir;
	else
		e.store_dir = dir;
	e.extra[e.n_extra++] = (struct cli_overlay_entry){BOOT_JSON_PATH, bj, strlen(bj), 0644};
	if (self)
		e.extra[e.n_extra++] = (struct cli_overlay_entry){SELF_PATH, self, selflen, 0755};
	rc = cli_exec_plan(&e);
	free(bj);
	free(self);
	return rc;
}

static int slot_plan(const char *root, int slot, struct cli_plan *p)
{
	char path[600];
	int rc = cli_slot_store_path(root, slot, "plan.json", path, sizeof(path));

	if (rc) {
		cli_plan_init(p);
		return rc;
	}
	return cli_plan_file_read(path, p);
}

/* The last step: state.json names what boots, the log and the console say
 * why, then kexec. */
static int finish(struct slot_run *s, const char *outcome, int slot, unsigned long long ts,
		  const char *reason)
{
	char stages[768];
	int rc;

	s->st.last.slot = slot;
	snprintf(s->st.last.outcome, sizeof(s->st.last.outcome), "%s", outcome);
	snprintf(s->st.last.reason, sizeof(s->st.last.reason), "%s", reason);
	s->st.last.at = (unsigned long long)time(NULL);
	rc = cli_slot_store_write_state(s->root, &s->st);
	if (rc)
		br_log(BR_LOG_ERROR, "slot: state.json not written: %s", br_errmsg(rc));
	cli_slot_store_log(s->root, "outcome=%s slot=%s timestamp=%llu reason=\"%s\"", outcome,
			   cli_slot_name(slot) ? cli_slot_name(slot) : "-", ts, reason);
	br_log(BR_LOG_INFO, "slot: outcome=%s slot=%s timestamp=%llu reason=\"%s\"", outcome,
	       cli_slot_name(slot) ? cli_slot_name(slot) : "-", ts, reason);
	/* where this boot's seconds went, for `bootrino status` too */
	if (cli_timing_format(stages, sizeof(stages), s->stage) == 0)
		cli_slot_store_log(s->root, "%s", stages);
	if (s->a->slots_dev) {
		rc = cli_slot_store_umount(s->root);
		if (rc)
			br_log(BR_LOG_WARN, "slot: %s", br_errmsg(rc));
	}
	if (s->dry_run)
		return 0;
	cli_timing_summary(s->stage);
	br_log(BR_LOG_INFO, "starting the target");
	rc = kexec_execute_how(cli_kexec_shutdown());
	return rc ? cli_fail(rc, "kexec") : 0;
}

/* Boot a slot already on disk: its plan.json, its artifacts re-hashed.
 * rc < 0: the slot does not load (nothing was started); else finish()'s
 * exit code. */
static int boot_from_disk(struct slot_run *s, int slot, struct cli_slot_info *info,
			  const char *outcome, const char *reason, const char *workdir)
{
	struct cli_plan p;
	int trial = slot == s->st.trial, rc;

	rc = slot_plan(s->root, slot, &p);
	info->boots++;
	if (!rc)
		rc = load_plan(s, &p, slot, info, trial, 1, workdir);
	cli_plan_free(&p);
	if (rc) {
		info->boots--;
		return rc;
	}
	rc = cli_slot_store_write_info(s->root, slot, info);
	if (rc)
		br_log(BR_LOG_WARN, "slot: %s", br_errmsg(rc));
	if (trial)
		s->st.trial_boots++;
	return finish(s, outcome, slot, info->timestamp, reason);
}

/* The newest could not be used: the current slot, or nothing. */
static int fallback(struct slot_run *s, const char *why, int code, const char *workdir)
{
	char reason[CLI_SLOTS_REASON_MAX];
	int rc;

	if (s->settled == CLI_TRIAL_ABANDONED)
		snprintf(reason, sizeof(reason), "%.150s; %.140s", s->settled_msg, why);
	else
		snprintf(reason, sizeof(reason), "%s", why);
	if (!s->have_cur) {
		br_log(BR_LOG_ERROR, "slot: no slot on disk to fall back to: %s", why);
		cli_slot_store_log(s->root, "no slot to fall back to: %s", why);
		return code ? code : BR_EXIT_BOOT;
	}
	br_log(BR_LOG_WARN, "slot: booting slot %s from disk: %s", cli_slot_name(s->st.current),
	       reason);
	rc = boot_from_disk(s, s->st.current, &s->cur,
			    s->settled == CLI_TRIAL_ABANDONED ? "abandoned" : "fallback", reason,
			    workdir);
	if (rc >= 0)
		return rc; /* started (no return), a dry run, or kexec's exit code */
	br_log(BR_LOG_ERROR, "slot: the current slot %s does not boot either: %s",
	       cli_slot_name(s->st.current), br_errmsg(rc));
	cli_slot_store_log(s->root, "current slot %s failed: %s", cli_slot_name(s->st.current),
			   br_errmsg(rc));
	return cli_exitcode(rc, BR_EXIT_BOOT);
}

/* Write the newest plan into the slot that is not current, then boot it. */
static int boot_new(struct slot_run *s, struct cli_run *r, const struct cli_plan *p,
		    const char *sha, int refetch)
{
	/* never the slot state.json calls current, even a damaged one */
	int target = s->st.current != CLI_SLOT_NONE ? cli_slot_other(s->st.current) : CLI_SLOT_A;
	int first = s->st.current == CLI_SLOT_NONE, rc = 0;
	char dir[600], adir[600], reason[CLI_SLOTS_REASON_MAX], *json;
	struct cli_slot_info info;
	cJSON *pj;

	/* never overwrite what state.json names as on trial */
	if (s->st.trial == target) {
		s->st.trial = CLI_SLOT_NONE;
		s->st.trial_boots = 0;
		s->have_tri = 0;
		rc = cli_slot_store_write_state(s->root, &s->st);
	}
	if (!rc)
		rc = cli_slot_store_wipe(s->root, target);
	if (!rc)
		rc = cli_slot_store_path(s->root, target, NULL, dir, sizeof(dir));
	if (!rc)
		rc = cli_slot_store_path(s->root, target, "artifacts", adir, sizeof(adir));
	if (!rc && mkdir(adir, 0700) < 0 && errno != EEXIST)
		rc = br_fail(-BR_EDISK, "%s: %s", adir, strerror(errno));
	if (!rc && r->text)
		rc = cli_slot_store_put(dir, "bootrino.sh", r->text, r->text_len, "");
	if (!rc && r->sigtext)
		rc = cli_slot_store_put(dir, "bootrino.sh.minisig", r->sigtext, r->sigtext_len, "");
	pj = cli_plan_to_json(p);
	json = pj ? cJSON_Print(pj) : NULL;
	cJSON_Delete(pj);
	if (!rc)
		rc = json ? cli_slot_store_put(dir, "plan.json", json, strlen(json), "") : -ENOMEM;
	free(json);
	json = s->facts ? cJSON_Print(s->facts) : NULL;
	if (!rc && json)
		rc = cli_slot_store_put(dir, "facts.json", json, strlen(json), "");
	free(json);
	cli_slot_info_init(&info);
	snprintf(info.url, sizeof(info.url), "%s", r->url);
	info.timestamp = r->sig.has_timestamp ? r->sig.timestamp : 0;
	snprintf(info.plan_sha256, sizeof(info.plan_sha256), "%s", sha);
	info.confirm = p->confirm;
	info.boots = 1;
	if (!rc && p->confirm && !first && !refetch)
		rc = new_token(info.token);
	if (!rc)
		rc = load_plan(s, p, target, &info, info.token[0] != 0, 0, r->workdir);
	if (!rc) {
		rc = cli_slot_store_sync_dir(adir);
		if (!rc)
			br_log(BR_LOG_INFO, "slot: step artifacts-synced");
	}
	if (!rc) {
		rc = cli_slot_store_write_info(s->root, target, &info);
		if (!rc)
			br_log(BR_LOG_INFO, "slot: step slot-json-written");
	}
	if (rc) {
		int code = cli_exitcode(rc, BR_EXIT_BOOT);

		snprintf(reason, sizeof(reason), "new plan from %.100s not usable: %.170s", r->url,
			 br_errmsg(rc));
		(void)cli_slot_store_wipe(s->root, target);
		return fallback(s, reason, code, r->workdir);
	}
	if (first) {
		s->st.current = target;
		return finish(s, "first", target, info.timestamp,
			      "first boot from disk: slot seeded");
	}
	if (!p->confirm || refetch) {
		/* no dead-man switch: good once loaded; or the plan of the
		 * current slot, fetched again: it was good already */
		s->st.current = target;
		s->have_cur = 1;
		s->cur = info;
		return finish(s, "new", target, info.timestamp, "new plan: current once loaded");
	}
	s->st.trial = target;
	s->st.trial_boots = 1;
	snprintf(reason, sizeof(reason), "new plan on trial: boot 1 of %u, the target must confirm",
		 p->confirm);
	return finish(s, "new", target, info.timestamp, reason);
}

static void settle(struct slot_run *s)
{
	int trial = s->st.trial, confirmed;
	unsigned boots = s->st.trial_boots;

	if (trial == CLI_SLOT_NONE)
		return;
	if (!s->have_tri) {
		/* named but never completed (a power cut while it was written) */
		s->st.trial = CLI_SLOT_NONE;
		s->st.trial_boots = 0;
		return;
	}
	confirmed = cli_slot_store_confirmed(s->root, trial, s->tri.token);
	s->settled = cli_slots_settle_trial(&s->st, confirmed, s->tri.plan_sha256, s->tri.confirm);
	if (s->settled == CLI_TRIAL_PROMOTED) {
		snprintf(s->settled_msg, sizeof(s->settled_msg),
			 "slot %s confirmed by the target: now current", cli_slot_name(trial));
		s->cur = s->tri;
		s->have_cur = 1;
		s->have_tri = 0;
	} else if (s->settled == CLI_TRIAL_ABANDONED) {
		snprintf(s->settled_msg, sizeof(s->settled_msg),
			 "slot %s abandoned after %u unconfirmed boots: booting the previous slot "
			 "%s",
			 cli_slot_name(trial), boots,
			 cli_slot_name(s->st.current) ? cli_slot_name(s->st.current) : "-");
		s->have_tri = 0;
	} else {
		return;
	}
	br_log(s->settled == CLI_TRIAL_ABANDONED ? BR_LOG_WARN : BR_LOG_INFO, "slot: %s",
	       s->settled_msg);
	cli_slot_store_log(s->root, "%s", s->settled_msg);
}

/* state.json, the slots it names, the trial settled. */
static void load_state(struct slot_run *s)
{
	int rc;

	/* `boot --slots DIR` may name a new directory (the partition's root
	 * always exists) */
	(void)mkdir(s->root, 0700);
	rc = cli_slot_store_read_state(s->root, &s->st);

	if (rc < 0) {
		/* not trusted, not fatal: the slots are rebuilt; the carried
		 * timestamp still guards against rollback */
		br_log(BR_LOG_ERROR, "slot: %s: starting the slots over", br_errmsg(rc));
		cli_slot_store_log(s->root, "state.json unusable (%s): starting over",
				   br_errmsg(rc));
		cli_slots_state_init(&s->st);
	}
	/* anti-rollback from the first install on: what the host accepted */
	if (s->st.max_timestamp < s->a->cfg.min_timestamp)
		s->st.max_timestamp = s->a->cfg.min_timestamp < CLI_SLOTS_TS_MAX
					  ? s->a->cfg.min_timestamp
					  : CLI_SLOTS_TS_MAX;
	s->have_cur = s->st.current != CLI_SLOT_NONE &&
		      cli_slot_store_read_info(s->root, s->st.current, &s->cur) == 0;
	s->have_tri = s->st.trial != CLI_SLOT_NONE &&
		      cli_slot_store_read_info(s->root, s->st.trial, &s->tri) == 0;
	settle(s);
}

/* The newest bootrino.sh: fetched within script_deadline, verified
 * against max_timestamp (unless allow_rollback), run. rc as usual. */
static int run_newest(struct slot_run *s, struct fetch_opts *fo, struct cli_run *r,
		      struct cli_plan *p)
{
	const struct cli_boot_args *a = s->a;
	double until;
	int rc;

	memset(r, 0, sizeof(*r));
	r->script_url = a->cfg.script;
	r->keys = &a->keys;
	/* the newest bootrino.sh gets a bounded time; then the disk boots */
	until = fetch_clock() + (double)(a->cfg.script_deadline ? a->cfg.script_deadline
								: CLI_SCRIPT_DEADLINE_DEFAULT_S);
	if (!fo->deadline_at || fo->deadline_at > until)
		fo->deadline_at = until;
	r->fetch = fo;
	r->stage = s->stage;
	r->cloud = cli_facts_str(s->facts, "cloud");
	r->instance_id = cli_facts_str(s->facts, "instance_id");
	r->boot_count = (unsigned long)(s->have_cur ? s->cur.boots : 0);
	r->min_timestamp = a->cfg.allow_rollback ? 0 : s->st.max_timestamp;
	r->site = a->cfg.site;
	r->insecure = a->cfg.insecure;
	r->timeout_s = a->cfg.script_timeout;
	r->use_carried = s->use_carried;
	r->keep_signed = 1;
	rc = cli_run_script(r, p);
	cli_timing_mark("script");
	if (!rc && !p->boot)
		rc = br_fail(-BR_ECONFIG, "%s: the script ended without `boot`: nothing to boot",
			     r->url);
	if (!rc && !r->signed_ok)
		rc = br_fail(-BR_ESIG, "%s: not signed: a slot holds signed scripts only", r->url);
	/* state.json keeps timestamps exactly only below 10^15 */
	if (!rc && r->sig.has_timestamp && r->sig.timestamp > CLI_SLOTS_TS_MAX)
		rc = br_fail(-BR_ESIG, "%s: signature timestamp %llu out of range", r->url,
			     (unsigned long long)r->sig.timestamp);
	return rc;
}

/* The accepted timestamp becomes the floor; an older one only with
 * allow_rollback, and said. */
static void accept_timestamp(struct slot_run *s, const struct cli_run *r)
{
	unsigned long long ts = r->sig.has_timestamp ? r->sig.timestamp : 0;

	if (ts < s->st.max_timestamp) {
		br_log(BR_LOG_WARN,
		       "slot: allow-rollback: accepting %s signed at %llu, older than the newest "
		       "accepted %llu",
		       r->url, ts, s->st.max_timestamp);
		cli_slot_store_log(
		    s->root,
		    "allow-rollback: accepted %s signed at %llu (newest accepted was "
		    "%llu)",
		    r->url, ts, s->st.max_timestamp);
	}
	s->st.max_timestamp = ts;
}

/* The verified plan against the slots. */
static int decide(struct slot_run *s, struct cli_run *r, const struct cli_plan *p, const char *sha)
{
	char why[CLI_SLOTS_REASON_MAX];
	int ret;

	if (s->have_cur && strcmp(sha, s->cur.plan_sha256) == 0) {
		/* same plan: nothing but the script and its signature was fetched */
		if (s->settled == CLI_TRIAL_ABANDONED)
			return fallback(s, "the current plan is still published", 0, r->workdir);
		ret = boot_from_disk(
		    s, s->st.current, &s->cur, "cached",
		    s->settled == CLI_TRIAL_PROMOTED ? s->settled_msg : "same plan", r->workdir);
		if (ret >= 0)
			return ret;
		/* the slot on disk is damaged: the same plan anew, other slot */
		br_log(BR_LOG_WARN, "slot: current slot %s does not boot (%s): fetching again",
		       cli_slot_name(s->st.current), br_errmsg(ret));
		cli_slot_store_log(s->root, "current slot %s does not boot: %s",
				   cli_slot_name(s->st.current), br_errmsg(ret));
		s->have_cur = 0;
		return boot_new(s, r, p, sha, 1);
	}
	if (s->have_tri && strcmp(sha, s->tri.plan_sha256) == 0) {
		snprintf(why, sizeof(why), "on trial: boot %u of %u, the target must confirm",
			 s->st.trial_boots + 1, s->tri.confirm);
		ret = boot_from_disk(s, s->st.trial, &s->tri, "new", why, r->workdir);
		if (ret >= 0)
			return ret;
		snprintf(why, sizeof(why), "trial slot %s does not boot: %s",
			 cli_slot_name(s->st.trial), br_errmsg(ret));
		return fallback(s, why, cli_exitcode(ret, BR_EXIT_BOOT), r->workdir);
	}
	if (s->st.abandoned[0] && strcmp(sha, s->st.abandoned) == 0) {
		snprintf(why, sizeof(why),
			 "%.200s: this plan was abandoned (never confirmed); publish a new version",
			 r->url);
		return fallback(s, why, BR_EXIT_BOOT, r->workdir);
	}
	return boot_new(s, r, p, sha, 0);
}

int cli_slot_flow(struct cli_boot_args *a, const char *stage, const cJSON *facts, int use_carried,
		  int dry_run)
{
	static struct slot_run s;
	struct fetch_opts fo = a->fetch;
	struct cli_plan p;
	struct cli_run r;
	char sha[65], why[CLI_SLOTS_REASON_MAX];
	int rc, ret;

	memset(&s, 0, sizeof(s));
	s.a = a;
	s.root = a->slots_dir;
	s.stage = stage;
	s.facts = facts;
	s.use_carried = use_carried;
	s.dry_run = dry_run;
	load_state(&s);
	rc = run_newest(&s, &fo, &r, &p);
	if (rc) {
		int code = r.exit_code ? r.exit_code : cli_exitcode(rc, BR_EXIT_BOOT);

		/* the class first, the detail after: "fetch failed (exit 4):
		 * URL: Couldn't connect to server" */
		snprintf(why, sizeof(why), "%s (exit %d): %s",
			 code == BR_EXIT_FETCH	  ? "fetch failed"
			 : code == BR_EXIT_VERIFY ? "not verified"
			 : code == BR_EXIT_USAGE  ? "script failed"
						  : "failed",
			 code, br_errmsg(rc));
		ret = fallback(&s, why, code, r.workdir);
	} else {
		accept_timestamp(&s, &r);
		rc = plan_sha(&p, sha);
		ret = rc ? cli_fail(rc, "slot") : decide(&s, &r, &p, sha);
	}
	cli_plan_free(&p);
	cli_run_cleanup(&r);
	return ret;
}
