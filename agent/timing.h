/* Where a takeover's seconds go: each stage of the host and the loader
 * marks its end, and the last one prints a one-line summary before kexec
 * (docs/performance.md reads these lines; bench/bench_takeover.sh parses
 * them). The time stamps on every line come from common/log.h. */
#ifndef BOOTRINO_AGENT_TIMING_H
#define BOOTRINO_AGENT_TIMING_H

#define CLI_TIMING_MAX_STAGES 16
/* The takeover's start (ms since the Unix epoch, decimal), carried from
 * the host into the loader's overlay. */
#define CLI_TIMING_EPOCH_PATH "/etc/bootrino/takeover-t0"

/* Start timing now; from_boot: count from the kernel's start instead
 * (the loader, whose first stage is the kernel's own boot). */
void cli_timing_start(int from_boot);
/* The stage that just ended (a string literal). */
void cli_timing_mark(const char *stage);
/* Marks in between are ignored (a stage made of other stages' code, such
 * as the host's preflight, which runs the whole boot flow dry). */
void cli_timing_hold(int on);
/* "WHO: stages: a 1.2s, b 0.4s (total 1.6s)" at info level. */
void cli_timing_summary(const char *who);
/* Format the summary into buf (for tests and `status`). */
int cli_timing_format(char *buf, unsigned long size, const char *who);

#endif
