/* Logging. Only agent/ logs above debug; mechanism modules call
 * br_debug() (printed with -v / BOOTRINO_DEBUG=1) and otherwise report
 * through return codes and br_fail(). */
#ifndef BOOTRINO_COMMON_LOG_H
#define BOOTRINO_COMMON_LOG_H

enum br_loglevel { BR_LOG_ERROR, BR_LOG_WARN, BR_LOG_INFO, BR_LOG_DEBUG };

void br_log_set_level(enum br_loglevel level);
enum br_loglevel br_log_get_level(void);
void br_log(enum br_loglevel level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define br_debug(...) br_log(BR_LOG_DEBUG, __VA_ARGS__)

#endif
