/* libFuzzer: the response-header parsers fetch/ runs on bytes a server
 * chose (Content-Range, Content-Length, Retry-After, header matching). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fetch/header.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = {"Content-Range", "Content-Length", "Retry-After",
					    "Location"};
	const char *v;
	struct fetch_content_range cr;
	uint64_t n;
	unsigned secs;
	size_t i, vlen;
	/* the parsers take (pointer, length): a copy without a NUL lets ASan
	 * catch any read past the end */
	char *copy = malloc(size ? size : 1);

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	if (fetch_parse_content_range(copy, size, &cr) == 0) {
		if (cr.first > cr.last || (cr.complete_known && cr.last >= cr.complete))
			abort();
	}
	(void)fetch_parse_content_length(copy, size, &n);
	if (fetch_parse_retry_after(copy, size, 1700000000, &secs) == 0 &&
	    secs > FETCH_RETRY_AFTER_MAX)
		abort();
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!fetch_header_match(copy, size, names[i], &v, &vlen))
			continue;
		if (v < copy || v + vlen > copy + size)
			abort();
		/* as http.c does: parse the matched value */
		if (i == 0 && fetch_parse_content_range(v, vlen, &cr) == 0 && cr.first > cr.last)
			abort();
		if (i == 1)
			(void)fetch_parse_content_length(v, vlen, &n);
		if (i == 2 && fetch_parse_retry_after(v, vlen, 1700000000, &secs) == 0 &&
		    secs > FETCH_RETRY_AFTER_MAX)
			abort();
	}
	free(copy);
	return 0;
}
