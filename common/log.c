#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static enum br_loglevel cur_level = BR_LOG_INFO;
/* Wall-clock epoch (ms) the time stamps count from; 0: none. Wall clock,
 * not monotonic, because it must survive kexec: the next kernel starts
 * CLOCK_MONOTONIC at zero but sets CLOCK_REALTIME from the RTC (whole
 * seconds, so a stamp after a kexec may be off by up to a second). */
static unsigned long long epoch_ms;
static int epoch_read;

void br_log_set_level(enum br_loglevel level)
{
	cur_level = level;
}

enum br_loglevel br_log_get_level(void)
{
	return cur_level;
}

unsigned long long br_log_now_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts))
		return 0;
	return (unsigned long long)ts.tv_sec * 1000ULL +
	       (unsigned long long)ts.tv_nsec / 1000000ULL;
}

void br_log_set_epoch(unsigned long long ms)
{
	char v[32];

	epoch_ms = ms;
	epoch_read = 1;
	/* bootrino.sh's verbs and other children stamp their lines too */
	snprintf(v, sizeof(v), "%llu", ms);
	if (ms)
		setenv(BR_LOG_EPOCH_ENV, v, 1);
	else
		unsetenv(BR_LOG_EPOCH_ENV);
}

unsigned long long br_log_epoch(void)
{
	const char *v;
	char *end;

	if (!epoch_read) {
		epoch_read = 1;
		v = getenv(BR_LOG_EPOCH_ENV);
		if (v && *v) {
			epoch_ms = strtoull(v, &end, 10);
			if (*end)
				epoch_ms = 0;
		}
	}
	return epoch_ms;
}

const char *br_log_stamp(char *buf, size_t len)
{
	unsigned long long t0 = br_log_epoch(), now, dt = 0;

	if (!len)
		return "";
	buf[0] = '\0';
	if (t0) {
		now = br_log_now_ms();
		if (now > t0)
			dt = now - t0;
		snprintf(buf, len, "[+%llu.%01llus] ", dt / 1000, dt % 1000 / 100);
	}
	return buf;
}

void br_log(enum br_loglevel level, const char *fmt, ...)
{
	static const char *const prefix[] = {"error: ", "warning: ", "", "debug: "};
	char stamp[32];
	va_list ap;

	if (level > cur_level)
		return;
	br_log_stamp(stamp, sizeof(stamp));
	/* One line per message, written in one call so that lines from the
	 * loader's PID 1 and its children do not interleave mid-line. */
	char line[1024];
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%sbootrino: %s%s\n", stamp, prefix[level], line);
}
