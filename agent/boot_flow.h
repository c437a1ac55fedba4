/* The boot flow behind `bootrino boot`, `takeover --direct` and the
 * loader's init: script → plan → verified artifacts → kexec. */
#ifndef BOOTRINO_AGENT_BOOT_FLOW_H
#define BOOTRINO_AGENT_BOOT_FLOW_H

#include <stdio.h>

#include "agent/boot_opts.h"

#define CLI_HOST_STATE_DIR "/var/lib/bootrino"

struct cli_flow {
	const char *stage; /* "host" or "loader" */
	int dry_run;
	int json; /* dry run: print the plan as JSON */
};

/* Runs the flow with the merged settings in a (cli_boot_args_finish()
 * done). Returns the process exit code; prints one line on failure. With
 * a successful kexec it does not return. */
int cli_boot_flow(struct cli_boot_args *a, const struct cli_flow *f);

/* takeover's preflight on the host before it kexecs into the loader: the
 * flow as `boot --dry-run` runs it (script + signature + anti-rollback,
 * plan, every artifact fetched with its pin and opened through
 * verify_artifact_open(), overlay, kexec dry run), with
 * BOOTRINO_STAGE=loader, the host's facts and the host's state dir (read
 * only). The plan goes to report (NULL: nowhere). With carry_workdir,
 * what was verified (the signed script, every pinned artifact that fits
 * the RAM budget) is kept below it for the loader (agent/carry.h) and
 * carry_root gets the directory to add to the loader's overlay ("" when
 * nothing is carried); the rest of the downloads is deleted before it
 * returns. Returns the process exit code (0: all verified); prints one
 * "takeover: …" line on failure. */
int cli_boot_preflight(struct cli_boot_args *a, FILE *report, const char *carry_workdir,
		       char *carry_root, size_t carry_root_len);

#endif
