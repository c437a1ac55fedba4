#include "agent/cli.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"

int cli_usage_error(const struct br_command *cmd, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "bootrino: %s: usage error: %s\n", cmd->name, msg);
	fprintf(stderr, "%s", cmd->usage);
	return BR_EXIT_USAGE;
}

int cli_help(const struct br_command *cmd)
{
	printf("%s", cmd->usage);
	return 0;
}

int cli_fail(int rc, const char *what)
{
	/* only rc's own detail: one recorded for another code belongs to an
	 * earlier failure */
	br_log(BR_LOG_ERROR, "%s: %s", what, br_errmsg(rc));
	return br_exitcode(rc);
}

int cli_parse_size(const char *s, unsigned long long *out)
{
	unsigned long long v, mul = 1;
	char *end;

	if (!s || !*s || *s == '-')
		return -BR_EUSAGE;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -BR_EUSAGE;
	switch (*end) {
	case '\0':
		break;
	case 'k':
	case 'K':
		mul = 1ULL << 10;
		end++;
		break;
	case 'm':
	case 'M':
		mul = 1ULL << 20;
		end++;
		break;
	case 'g':
	case 'G':
		mul = 1ULL << 30;
		end++;
		break;
	default:
		return -BR_EUSAGE;
	}
	if (*end == 'i' || *end == 'B')
		end += *end == 'i' && end[1] == 'B' ? 2 : 1;
	if (*end != '\0' || (v && mul > ULLONG_MAX / v))
		return -BR_EUSAGE;
	*out = v * mul;
	return 0;
}

int cli_parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v;
	char *end;

	if (!s || !*s || *s == '-')
		return -BR_EUSAGE;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end != '\0' || v > max)
		return -BR_EUSAGE;
	*out = v;
	return 0;
}

int cli_common_option(const struct br_command *cmd, int c)
{
	switch (c) {
	case 'h':
		return cli_help(cmd);
	case 'v':
		br_log_set_level(BR_LOG_DEBUG);
		return CLI_CONTINUE;
	default:
		/* '?' or ':': getopt already named the bad option */
		fprintf(stderr, "%s", cmd->usage);
		return BR_EXIT_USAGE;
	}
}
