/* Logging. Only agent/ logs above debug; mechanism modules call
 * br_debug() (printed with -v / BOOTRINO_DEBUG=1) and otherwise report
 * through return codes and br_fail(). */
#ifndef BOOTRINO_COMMON_LOG_H
#define BOOTRINO_COMMON_LOG_H

#include <stddef.h>

enum br_loglevel { BR_LOG_ERROR, BR_LOG_WARN, BR_LOG_INFO, BR_LOG_DEBUG };

void br_log_set_level(enum br_loglevel level);
enum br_loglevel br_log_get_level(void);
void br_log(enum br_loglevel level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Time stamps: once an epoch is set (the takeover's start, carried across
 * kexec into the loader), every line starts with "[+S.ds] " (the time since then), as the
 * kernel's console lines start with theirs. The
 * epoch is passed to child processes in BR_LOG_EPOCH_ENV (ms since the
 * Unix epoch); br_log_epoch() picks it up from there. */
#define BR_LOG_EPOCH_ENV "BOOTRINO_T0"
void br_log_set_epoch(unsigned long long ms);
unsigned long long br_log_epoch(void);
unsigned long long br_log_now_ms(void);
/* "[+S.ds] " (the time since the epoch) in buf, or "" without an epoch:
 * every line on the console starts with it, error lines too. */
const char *br_log_stamp(char *buf, size_t len);

#define br_debug(...) br_log(BR_LOG_DEBUG, __VA_ARGS__)

#endif
