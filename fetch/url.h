/* URL helpers (no libcurl needed by callers). */
#ifndef BOOTRINO_FETCH_URL_H
#define BOOTRINO_FETCH_URL_H

#include <stddef.h>

/* Resolve ref against base as RFC 3986 §5.2 does ("v42/vmlinuz" against
 * "https://h/dir/bootrino.sh" → "https://h/dir/v42/vmlinuz"). Absolute
 * refs are returned as is. Only http, https and file schemes are accepted.
 * 0, -BR_EMALFORMED or -BR_ETOOBIG (outlen too small). */
int fetch_url_resolve(const char *base, const char *ref, char *out, size_t outlen);

#endif
