/* The boot flow behind `bootrino boot`, `takeover --direct` and the
 * loader's init: script → plan → verified artifacts → kexec. */
#ifndef BOOTRINO_AGENT_BOOT_FLOW_H
#define BOOTRINO_AGENT_BOOT_FLOW_H

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

#endif
