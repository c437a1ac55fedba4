/* URL helpers (no libcurl needed by callers). Pure functions: no I/O. */
#ifndef BOOTRINO_FETCH_URL_H
#define BOOTRINO_FETCH_URL_H

#include <stddef.h>

/* Resolve ref against base as RFC 3986 §5.2 does ("v42/vmlinuz" against
 * "https://h/dir/bootrino.sh" → "https://h/dir/v42/vmlinuz"): dot segments
 * removed, query and fragment handled as §5.2.2 says (the fragment is
 * kept; curl never sends it). Absolute refs are returned with their dot
 * segments removed. The base must be absolute (its fragment is ignored).
 *
 * Accepted: only http, https and file schemes (compared case-insensitively,
 * written lower-case); http(s) results must name a host. Refused (bytes
 * must be percent-encoded): controls, space, DEL, non-ASCII. Consequences
 * for the RFC §5.4 examples: "g:h" is refused (scheme g), and so is the
 * strict result "http:g" (http without a host) — the backward-compatible
 * reading of §5.2.2 is not used.
 * 0, -BR_EMALFORMED or -BR_ETOOBIG (outlen too small). */
int fetch_url_resolve(const char *base, const char *ref, char *out, size_t outlen);

/* The mirror rule (see fetch.h): rel resolved against mirror as a
 * directory, i.e. with a '/' appended to mirror's path when it does not
 * end with one ("https://m/pub" + "v42/vmlinuz" → "https://m/pub/v42/vmlinuz").
 * Same return values as fetch_url_resolve(). */
int fetch_url_mirror(const char *mirror, const char *rel, char *out, size_t outlen);

/* The last path segment of url (no query, no fragment), as the relative
 * reference mirrors default to. -BR_EMALFORMED when the path ends in '/'. */
int fetch_url_basename(const char *url, char *out, size_t outlen);

/* Scheme of an absolute URL, lower-cased: "http", "https" or "file";
 * -BR_EMALFORMED for anything else. out must hold 6 bytes. */
int fetch_url_scheme(const char *url, char *out, size_t outlen);

/* Local path of a file:// URL ("file:///a%20b" → "/a b"): the host must
 * be empty or "localhost"; query and fragment are dropped; %00 and
 * malformed escapes are refused (-BR_EMALFORMED). */
int fetch_url_file_path(const char *url, char *out, size_t outlen);

#endif
