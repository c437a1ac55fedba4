/* Temp files of `bootrino fetch`: removed when a signal (SIGINT, SIGTERM,
 * SIGHUP, SIGQUIT) interrupts a download, and swept on the next run when
 * a SIGKILL (or a power cut) left them behind. A temp file in use holds a
 * POSIX write lock (fetch/sink.c), which dies with its process: a temp
 * file nobody holds a lock on is stale. See docs/cli.md. */
#ifndef BOOTRINO_AGENT_FETCH_TMP_H
#define BOOTRINO_AGENT_FETCH_TMP_H

#include <stddef.h>

#define CLI_TMP_PREFIXES 3

/* Remove stale temp files in dir whose names start with one of the
 * prefixes (and have a 6-character mkstemp suffix after that); then
 * catch the signals above so that ours are removed too. Returns the
 * number of stale files removed. */
int cli_tmp_guard(const char *dir, const char *const *prefixes, size_t n);

/* Restore the default signal actions. */
void cli_tmp_unguard(void);

/* The name prefixes of fetch's temp files for output path out, in dir:
 * ".BASE.bootrino-" (fetch/), ".BASE.minisig-" and "..BASE.minisig-" (a
 * signed download); CLI_TMP_PREFIXES of them. */
int cli_tmp_names(const char *out, char *dir, size_t dirlen, char prefixes[][300]);

#endif
