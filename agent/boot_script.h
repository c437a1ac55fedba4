/* Getting a plan out of a bootrino.sh: fetch the script and its minisign
 * signature into memory (capped), verify them against the trusted keys
 * and the anti-rollback timestamp, write the verified bytes into a
 * private work directory and run them with /bin/sh, bounded in time, with
 * the environment of docs/design.md, "Contracts". Shared by `boot`, `plan` and `takeover
 * --direct`. */
#ifndef BOOTRINO_AGENT_BOOT_SCRIPT_H
#define BOOTRINO_AGENT_BOOT_SCRIPT_H

#include <stddef.h>
#include <stdint.h>

#include "agent/doc/plan.h"
#include "fetch/fetch.h"
#include "verify/minisign.h"

#define CLI_SCRIPT_MAX (1u << 20)
#define CLI_SCRIPT_TIMEOUT_S 120

struct cli_run {
	/* in */
	const char *script_url;		   /* URL, or NULL with script_file */
	const char *script_file;	   /* local file (plan --script FILE) */
	const struct verify_keyring *keys; /* NULL or empty: unsigned (plan only) */
	const struct fetch_opts *fetch;
	const char *stage;	 /* "host" or "loader" */
	const char *cloud;	 /* BOOTRINO_CLOUD */
	const char *instance_id; /* BOOTRINO_INSTANCE_ID */
	unsigned long boot_count;
	const char *state_dir;	/* anti-rollback state, NULL: none */
	uint64_t min_timestamp; /* refuse signatures older than this (0: none) */
	const char *site;	/* the signature must carry site:SITE (NULL: any) */
	int insecure;
	long timeout_s; /* 0: CLI_SCRIPT_TIMEOUT_S */
	/* out */
	char workdir[256];	    /* private 0700 directory, "" if none */
	char url[CLI_PLAN_URL_MAX]; /* the script's absolute URL */
	int signed_ok;
	struct verify_sigresult sig;
	int exit_code; /* set with -BR_ECONFIG when the script failed */
};

/* Make the work dir, fetch + verify + run. On success *plan holds the
 * plan the script built (free with cli_plan_free). rc as usual; when the
 * script (or one of its verbs) failed, r->exit_code holds the exit code
 * to report. The work dir is left for the artifacts; cli_run_cleanup()
 * removes it. */
int cli_run_script(struct cli_run *r, struct cli_plan *plan);
void cli_run_cleanup(struct cli_run *r);

#endif
