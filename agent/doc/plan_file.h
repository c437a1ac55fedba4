/* The plan file ($BOOTRINO_PLAN) shared by the parent and the verbs a
 * bootrino.sh runs: read-modify-write under an flock on PLAN.lock, new
 * contents written to a temp file and renamed over (a reader never sees a
 * half-written plan). */
#ifndef BOOTRINO_AGENT_DOC_PLAN_FILE_H
#define BOOTRINO_AGENT_DOC_PLAN_FILE_H

#include "agent/doc/plan.h"

/* Read and parse (strict, capped). */
int cli_plan_file_read(const char *path, struct cli_plan *p);

/* Write atomically (temp file in the same directory, fsync, rename). */
int cli_plan_file_write(const char *path, const struct cli_plan *p);

/* Under the lock: read, apply the verb, write. A verb that fails marks the
 * plan failed (the parent then refuses to boot it, even if the script
 * ignored the verb's exit status). Returns the verb's rc. */
int cli_plan_file_apply(const char *path, const char *verb, int argc, char *const *argv);

#endif
