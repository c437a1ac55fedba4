/* Anti-rollback: signature timestamps never go backwards (docs/design.md, "Trust").
 *
 * The timestamp comes from the trusted comment of a minisign signature
 * ("timestamp:N", which `minisign -S` writes by default), so it is covered
 * by the global signature and cannot be edited without the key.
 */
#ifndef BOOTRINO_VERIFY_ROLLBACK_H
#define BOOTRINO_VERIFY_ROLLBACK_H

#include <stdint.h>

#include "verify/minisign.h"

/* Find "timestamp:N" in a trusted comment: at its start or right after a
 * tab or space, N decimal (1 to 20 digits, fits in 64 bits), ended by the
 * end of the comment, a tab or a space. The first such field counts.
 * Returns 1 and sets *ts, or 0 if there is none. */
int verify_trusted_timestamp(const char *comment, uint64_t *ts);

/* Policy, given the newest timestamp accepted so far (0 = none yet):
 *  - a timestamp older than last_seen is refused (-BR_EROLLBACK);
 *  - an equal one is accepted (the same signed file fetched again);
 *  - a signature WITHOUT a timestamp is accepted only while last_seen is
 *    0: once a timestamped signature was seen, an untimestamped one could
 *    be an old file replayed, so it is refused (-BR_EROLLBACK).
 * Pure: the caller keeps last_seen and stores res->timestamp on success. */
int verify_check_rollback(uint64_t last_seen, const struct verify_sigresult *res);

#endif
