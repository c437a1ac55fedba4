/* The trusted-comment grammar: what a signature says it signs.
 *
 * A minisign signature covers its trusted comment, but minisign itself
 * gives the comment no meaning: any file signed by a trusted key would
 * verify as bootrino.sh. bootrino binds a signature to its purpose by
 * reading the comment as tab-separated fields (docs/verify.md):
 *
 *   comment = field *( TAB field )
 *   field   = "timestamp:" 1*20DIGIT      ; at most once
 *           / "file:" NAME                ; exactly once, = the name asked for
 *           / "site:" SITE                ; at most once, = the pinned site
 *           / "hashed"                    ; minisign 0.11's marker, at most once
 *   NAME    = 1*255 bytes, no control character, no "/"
 *   SITE    = 1*64 ( ALPHA / DIGIT / "." / "_" / "-" )
 *
 * Anything else (an unknown field, an empty field, a field twice, a space
 * as separator) is refused: -BR_ESIG, exit 3.
 */
#ifndef BOOTRINO_VERIFY_COMMENT_H
#define BOOTRINO_VERIFY_COMMENT_H

#include <stddef.h>
#include <stdint.h>

#define VERIFY_TC_NAME_MAX 255
#define VERIFY_TC_SITE_MAX 64

struct verify_tc {
	int has_timestamp;
	uint64_t timestamp;
	char file[VERIFY_TC_NAME_MAX + 1];
	int has_site;
	char site[VERIFY_TC_SITE_MAX + 1];
	int hashed;
};

/* Parse a trusted comment by the grammar above. Pure (fuzzed).
 * 0, or -BR_ESIG with a detail naming the offending field. */
int verify_tc_parse(const char *comment, size_t len, struct verify_tc *out);

/* 1 if s is a valid SITE (a deployment name a config may pin). */
int verify_tc_site_valid(const char *s);

/* The binding check: the comment parses, its file: is `name` and, when
 * `site` is not NULL, its site: is `site`. -BR_ESIG with a detail. */
int verify_tc_check(const char *comment, const char *name, const char *site);

/* The name a URL asks for: the last segment of its path, without query
 * or fragment ("https://h/d/bootrino.sh?x" -> "bootrino.sh"). Copies at
 * most outlen-1 bytes; "" when the path ends in "/". */
void verify_tc_url_name(const char *url, char *out, size_t outlen);

#endif
