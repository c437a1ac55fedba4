/* bootrino-state on disk (docs/every-boot.md): finding and mounting the
 * partition, state.json and slot.json read and replaced durably (temporary
 * file, fsync, rename, fsync of the directory), a slot's files, and the
 * bounded log. Every durable step prints "slot: step NAME" at info level,
 * so that the power-cut test can cut right there. */
#ifndef BOOTRINO_AGENT_SLOT_STORE_H
#define BOOTRINO_AGENT_SLOT_STORE_H

#include <stddef.h>
#include <stdio.h>

#include "agent/doc/slots.h"

#define CLI_STATE_LABEL "bootrino-state"
#define CLI_STATE_MNT "/run/bootrino/state"
#define CLI_STATE_LOG_MAX (256u << 10) /* log/loader.log, then .1 */

/* Where the partition named bootrino-state is: dev gets "/dev/NAME".
 * below: only partitions of that whole disk (NULL: any). -ENOENT none,
 * -BR_EDISK several. */
int cli_slot_store_find(const char *below, char *dev, size_t devlen);
/* Mount dev (ext4) on mnt (made if missing); ro: read only, no journal
 * replay (status on an image). */
int cli_slot_store_mount(const char *dev, const char *mnt, int ro);
int cli_slot_store_umount(const char *mnt);

/* path/name ← data, durably; step: the name printed after the rename
 * ("" none). */
int cli_slot_store_put(const char *dir, const char *name, const void *data, size_t len,
		       const char *step);
/* fsync a directory. */
int cli_slot_store_sync_dir(const char *dir);

/* state.json: 1 (and an initialised s) when there is none yet. */
int cli_slot_store_read_state(const char *root, struct cli_slots_state *s);
int cli_slot_store_write_state(const char *root, const struct cli_slots_state *s);
/* SLOT/slot.json; -ENOENT when the slot is empty. */
int cli_slot_store_read_info(const char *root, int slot, struct cli_slot_info *i);
int cli_slot_store_write_info(const char *root, int slot, const struct cli_slot_info *i);
/* Empty a slot (slot.json first: a half-emptied slot is an empty one). */
int cli_slot_store_wipe(const char *root, int slot);
/* 1 when SLOT/confirmed holds token. */
int cli_slot_store_confirmed(const char *root, int slot, const char *token);
/* ROOT/SLOT[/sub] into out. */
int cli_slot_store_path(const char *root, int slot, const char *sub, char *out, size_t len);

/* One line into log/loader.log (rotated to loader.log.1 past
 * CLI_STATE_LOG_MAX), fsynced. Failures are ignored: the log never
 * stops a boot. */
void cli_slot_store_log(const char *root, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The last n lines of the log (across the rotation) to out. */
void cli_slot_store_tail(const char *root, unsigned n, FILE *out);
/* The same as a malloc()ed array of n strings (*count set). */
char **cli_slot_store_tail_lines(const char *root, unsigned n, unsigned *count);

#endif
