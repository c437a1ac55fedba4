#include "verify/rollback.h"

#include <inttypes.h>
#include <string.h>

#include "common/err.h"

#define TS_KEY "timestamp:"

static int parse_u64(const char *p, uint64_t *out)
{
	uint64_t v = 0;
	size_t n = 0;

	for (; p[n] >= '0' && p[n] <= '9'; n++) {
		unsigned d = (unsigned)(p[n] - '0');

		if (v > (UINT64_MAX - d) / 10)
			return 0;
		v = v * 10 + d;
	}
	if (n == 0 || n > 20 || (p[n] != '\0' && p[n] != '\t' && p[n] != ' '))
		return 0;
	*out = v;
	return 1;
}

int verify_trusted_timestamp(const char *comment, uint64_t *ts)
{
	const char *p = comment;

	while ((p = strstr(p, TS_KEY)) != NULL) {
		/* a field boundary, so that "nottimestamp:5" does not count */
		if (p == comment || p[-1] == '\t' || p[-1] == ' ')
			return parse_u64(p + strlen(TS_KEY), ts);
		p += strlen(TS_KEY);
	}
	return 0;
}

int verify_check_rollback(uint64_t last_seen, const struct verify_sigresult *res)
{
	if (!res->has_timestamp) {
		if (last_seen == 0)
			return 0;
		return br_fail(-BR_EROLLBACK,
			       "signature has no timestamp in its trusted comment, but one from "
			       "timestamp %" PRIu64 " was already accepted",
			       last_seen);
	}
	if (res->timestamp < last_seen)
		return br_fail(-BR_EROLLBACK,
			       "signature timestamp %" PRIu64 " is older than %" PRIu64
			       ", already accepted",
			       res->timestamp, last_seen);
	return 0;
}
