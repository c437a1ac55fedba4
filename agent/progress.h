/* Download progress (agent/progress.c): pass cli_fetch_progress as
 * fetch_opts.progress_cb with a NULL argument; call cli_fetch_progress_end()
 * after each transfer, success or not. */
#ifndef BOOTRINO_AGENT_PROGRESS_H
#define BOOTRINO_AGENT_PROGRESS_H

struct fetch_progress;
void cli_fetch_progress(void *arg, const struct fetch_progress *p);
void cli_fetch_progress_end(void);

#endif
