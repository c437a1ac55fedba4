/* The few HTTP response headers fetch/ reads itself (curl handles the
 * rest). Pure parsers over untrusted bytes, fuzzed by
 * tests/fuzz/fuzz_http_header.c. Values are (pointer, length), not
 * NUL-terminated, as curl's header callback hands them over. */
#ifndef BOOTRINO_FETCH_HEADER_H
#define BOOTRINO_FETCH_HEADER_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* "Content-Range: bytes FIRST-LAST/COMPLETE" (COMPLETE may be '*'). */
struct fetch_content_range {
	uint64_t first, last;
	uint64_t complete; /* valid when complete_known */
	int complete_known;
};

/* If line is the header `name` ("Name: value\r\n", name matched without
 * case), point val and vlen at its value with surrounding whitespace and
 * the CRLF trimmed and return 1; otherwise 0. */
int fetch_header_match(const char *line, size_t len, const char *name, const char **val,
		       size_t *vlen);

/* Strict: "bytes" unit, decimal digits without sign, first <= last,
 * last < complete when known; the form a 416 carries
 * (an asterisk for the range) is refused.
 * 0 or -BR_EMALFORMED. */
int fetch_parse_content_range(const char *v, size_t len, struct fetch_content_range *out);

/* Decimal digits only (no sign, no list), no overflow. 0 or -BR_EMALFORMED. */
int fetch_parse_content_length(const char *v, size_t len, uint64_t *out);

/* delta-seconds or an HTTP-date (relative to now; a past date gives 0).
 * Values are clamped to FETCH_RETRY_AFTER_MAX. 0 or -BR_EMALFORMED. */
#define FETCH_RETRY_AFTER_MAX 86400u
int fetch_parse_retry_after(const char *v, size_t len, time_t now, unsigned *secs);

#endif
