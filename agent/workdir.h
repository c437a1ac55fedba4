/* A private (0700) work directory under $TMPDIR or /tmp (agent/workdir.c). */
#ifndef BOOTRINO_AGENT_WORKDIR_H
#define BOOTRINO_AGENT_WORKDIR_H

#include <stddef.h>

/* dir gets the new directory's path ("" on failure). */
int cli_workdir_new(char *dir, size_t len);
/* Remove it and everything in it; dir becomes "". No-op on "". */
void cli_workdir_remove(char *dir);

#endif
