#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>

static enum br_loglevel cur_level = BR_LOG_INFO;

void br_log_set_level(enum br_loglevel level)
{
	cur_level = level;
}

enum br_loglevel br_log_get_level(void)
{
	return cur_level;
}

void br_log(enum br_loglevel level, const char *fmt, ...)
{
	static const char *const prefix[] = {"error: ", "warning: ", "", "debug: "};
	va_list ap;

	if (level > cur_level)
		return;
	/* One line per message, written in one call so that lines from the
	 * loader's PID 1 and its children do not interleave mid-line. */
	char line[1024];
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "bootrino: %s%s\n", prefix[level], line);
}
