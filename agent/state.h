/* Anti-rollback state (agent/state.c): one decimal number a file in the
 * stage's state directory (CLI_HOST_STATE_DIR on the host). */
#ifndef BOOTRINO_AGENT_STATE_H
#define BOOTRINO_AGENT_STATE_H

#include <stdint.h>

/* *out = the number in DIR/NAME, 0 when the file does not exist. */
int cli_state_read_u64(const char *dir, const char *name, uint64_t *out);
/* Write DIR/NAME atomically (temporary file, fsync, rename); creates DIR. */
int cli_state_write_u64(const char *dir, const char *name, uint64_t v);

#endif
