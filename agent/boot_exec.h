/* Executing a plan: fetch every artifact with its pin into the work dir,
 * open each through verify_artifact_open() (the only thing kexec/
 * accepts), build the overlay (facts.json, the plan's `file` entries,
 * extra entries such as takeover's config.json) and load it with kexec —
 * or only validate it (dry run). Shared by `boot` and `takeover`. */
#ifndef BOOTRINO_AGENT_BOOT_EXEC_H
#define BOOTRINO_AGENT_BOOT_EXEC_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "agent/doc/plan.h"
#include "fetch/fetch.h"
#include "kexec/kexec.h"

#define CLI_FILE_URL_MAX (16u << 20) /* a `file PATH @URL` entry */
#define CLI_EXTRA_MAX 4

struct cli_overlay_entry {
	const char *path;
	const char *data;
	size_t len;
	unsigned mode;
};

struct cli_exec {
	const struct cli_plan *plan;
	const char *workdir;
	const struct fetch_opts *fetch;
	const cJSON *facts; /* → /etc/bootrino/facts.json, may be NULL */
	struct cli_overlay_entry extra[CLI_EXTRA_MAX];
	size_t n_extra;
	int dry_run;
	/* The host → loader handover (agent/carry.h): the host collects the
	 * verified artifacts under carry_root (a dry run; NULL: no); the
	 * loader looks for carried copies first (use_carried) and re-hashes
	 * them; overlay_dir is added to the overlay as the target's /. */
	const char *carry_root;
	unsigned long long carry_budget;
	unsigned carry_skipped; /* out: artifacts left for the loader to fetch */
	int use_carried;
	const char *overlay_dir;
	/* Slots on bootrino-state (docs/every-boot.md): artifact_dir is a
	 * slot's artifacts/ the plan boots from (re-hashed, never fetched);
	 * store_dir is the slot being filled: every verified artifact is kept
	 * there as <sha256>, fsynced. */
	const char *artifact_dir;
	const char *store_dir;
	struct kexec_report report; /* out */
};

/* Fetch, verify, build, load (or validate). 0 or rc with a detail; on
 * success (not dry run) the target is loaded and kexec_execute() starts it. */
int cli_exec_plan(struct cli_exec *e);

#endif
