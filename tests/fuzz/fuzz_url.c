/* libFuzzer: fetch_url_resolve() and the other URL helpers on hostile
 * input. Input: BASE NUL REF (no NUL: REF against the RFC 3986 base).
 * Invariants checked: no crash/overflow, results NUL-terminated within
 * the buffer, and a resolved URL resolves to itself (dot segments gone,
 * nothing reinterpreted on re-parsing). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fetch/url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = malloc(size + 1), out[512], again[512], tmp[512];
	const char *base = "http://a/b/c/d;p?q", *ref;
	char *nul;

	if (!in)
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';
	nul = memchr(in, '\0', size);
	if (nul) {
		base = in;
		ref = nul + 1;
	} else {
		ref = in;
	}
	if (fetch_url_resolve(base, ref, out, sizeof(out)) == 0) {
		if (strlen(out) >= sizeof(out))
			abort();
		if (fetch_url_resolve(out, out, again, sizeof(again)) != 0 ||
		    strcmp(out, again) != 0)
			abort();
		(void)fetch_url_basename(out, tmp, sizeof(tmp));
		(void)fetch_url_file_path(out, tmp, sizeof(tmp));
		(void)fetch_url_scheme(out, tmp, sizeof(tmp));
	}
	(void)fetch_url_mirror(base, ref, out, sizeof(out));
	(void)fetch_url_file_path(ref, tmp, 16);
	(void)fetch_url_basename(ref, tmp, 8);
	free(in);
	return 0;
}
