/* The every-boot decision (docs/every-boot.md): with bootrino-state
 * mounted, run the newest signed bootrino.sh within a bounded time and
 * boot the current slot from disk (same plan), a new slot (new plan,
 * fetched into the slot that is not current, on trial when the plan asks
 * for confirmation), or — on any failure — the current slot, with the
 * reason on the console and in log/. Prints the one line the tests grep:
 *   slot: outcome=OUTCOME slot=S timestamp=T reason="..." */
#ifndef BOOTRINO_AGENT_SLOT_BOOT_H
#define BOOTRINO_AGENT_SLOT_BOOT_H

#include <cjson/cJSON.h>

#include "agent/boot_opts.h"

/* a->slots_dir is the mounted state. stage: BOOTRINO_STAGE; use_carried:
 * the first boot after an install (the host's carried script and
 * artifacts seed the first slot); dry_run: everything but kexec
 * execute (the state is written as if the target started: tests).
 * Returns the exit code (no return after a successful kexec). */
int cli_slot_flow(struct cli_boot_args *a, const char *stage, const cJSON *facts, int use_carried,
		  int dry_run);

#endif
