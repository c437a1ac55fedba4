/* Parsers for Content-Range, Content-Length and Retry-After. */
#include "fetch/header.h"

#include <curl/curl.h>
#include <string.h>
#include <strings.h>

#include "common/err.h"

static int is_ows(char c)
{
	return c == ' ' || c == '\t';
}

static void trim(const char **v, size_t *len)
{
	while (*len > 0 && is_ows(**v)) {
		(*v)++;
		(*len)--;
	}
	while (*len > 0 &&
	       (is_ows((*v)[*len - 1]) || (*v)[*len - 1] == '\r' || (*v)[*len - 1] == '\n'))
		(*len)--;
}

int fetch_header_match(const char *line, size_t len, const char *name, const char **val,
		       size_t *vlen)
{
	size_t n = strlen(name);

	if (len < n + 1 || line[n] != ':' || strncasecmp(line, name, n) != 0)
		return 0;
	*val = line + n + 1;
	*vlen = len - n - 1;
	trim(val, vlen);
	return 1;
}

/* Digits at *p (at least one), advancing *p; overflow refused. */
static int parse_u64(const char **p, const char *end, uint64_t *out)
{
	uint64_t v = 0;
	const char *s = *p;

	if (s >= end || *s < '0' || *s > '9')
		return -BR_EMALFORMED;
	for (; s < end && *s >= '0' && *s <= '9'; s++) {
		unsigned d = (unsigned)(*s - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -BR_EMALFORMED;
		v = v * 10 + d;
	}
	*p = s;
	*out = v;
	return 0;
}

int fetch_parse_content_length(const char *v, size_t len, uint64_t *out)
{
	const char *p = v, *end;

	trim(&p, &len);
	end = p + len;
	if (parse_u64(&p, end, out) || p != end)
		return -BR_EMALFORMED;
	return 0;
}

int fetch_parse_content_range(const char *v, size_t len, struct fetch_content_range *out)
{
	const char *p = v, *end;
	struct fetch_content_range cr;

	memset(&cr, 0, sizeof(cr));
	trim(&p, &len);
	end = p + len;
	if (len < 6 || strncasecmp(p, "bytes", 5) != 0 || !is_ows(p[5]))
		return -BR_EMALFORMED;
	p += 5;
	while (p < end && is_ows(*p))
		p++;
	if (parse_u64(&p, end, &cr.first) || p >= end || *p++ != '-' ||
	    parse_u64(&p, end, &cr.last) || p >= end || *p++ != '/')
		return -BR_EMALFORMED;
	if (p < end && *p == '*') {
		p++;
	} else {
		if (parse_u64(&p, end, &cr.complete))
			return -BR_EMALFORMED;
		cr.complete_known = 1;
	}
	if (p != end || cr.first > cr.last || (cr.complete_known && cr.last >= cr.complete))
		return -BR_EMALFORMED;
	*out = cr;
	return 0;
}

int fetch_parse_retry_after(const char *v, size_t len, time_t now, unsigned *secs)
{
	const char *p = v, *end;
	uint64_t n;
	char date[64];
	time_t t;

	trim(&p, &len);
	end = p + len;
	if (len == 0)
		return -BR_EMALFORMED;
	if (*p >= '0' && *p <= '9') {
		/* delta-seconds: huge values are clamped, not refused */
		const char *q = p;

		while (q < end && *q >= '0' && *q <= '9')
			q++;
		if (q != end)
			return -BR_EMALFORMED;
		if ((size_t)(end - p) > 9 || parse_u64(&p, end, &n) || n > FETCH_RETRY_AFTER_MAX)
			n = FETCH_RETRY_AFTER_MAX;
		*secs = (unsigned)n;
		return 0;
	}
	/* HTTP-date: "Sun, 06 Nov 1994 08:49:37 GMT" (29 bytes) and the
	 * obsolete forms; curl_getdate() knows all three. */
	if (len >= sizeof(date))
		return -BR_EMALFORMED;
	memcpy(date, p, len);
	date[len] = '\0';
	t = curl_getdate(date, NULL);
	if (t == -1)
		return -BR_EMALFORMED;
	if (t <= now)
		*secs = 0;
	else if ((uint64_t)(t - now) > FETCH_RETRY_AFTER_MAX)
		*secs = FETCH_RETRY_AFTER_MAX;
	else
		*secs = (unsigned)(t - now);
	return 0;
}
