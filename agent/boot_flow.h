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
 * only). The downloads are deleted before it returns. The plan goes to
 * report (NULL: nowhere). Returns the process exit code (0: all
 * verified); prints one "takeover: …" line on failure. */
int cli_boot_preflight(struct cli_boot_args *a, FILE *report);

#endif
