/* Trusted-comment grammar. See verify/comment.h and docs/verify.md. */
#include "verify/comment.h"

#include <string.h>

#include "common/err.h"

static int is_site_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '-';
}

int verify_tc_site_valid(const char *s)
{
	size_t n;

	for (n = 0; s[n]; n++)
		if (!is_site_char((unsigned char)s[n]))
			return 0;
	return n >= 1 && n <= VERIFY_TC_SITE_MAX;
}

static int parse_ts(const char *p, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0 || n > 20)
		return -1;
	for (i = 0; i < n; i++) {
		unsigned d;

		if (p[i] < '0' || p[i] > '9')
			return -1;
		d = (unsigned)(p[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

static int bad(const char *why, const char *f, size_t n)
{
	return br_fail(-BR_ESIG, "trusted comment: %s: \"%.*s\" (see docs/verify.md)", why,
		       (int)(n > 64 ? 64 : n), f);
}

static int field(const char *f, size_t n, struct verify_tc *out, int *seen_file)
{
	size_t i;

	if (n == 0)
		return bad("empty field", f, n);
	for (i = 0; i < n; i++)
		if ((unsigned char)f[i] < 0x20 || f[i] == 0x7f)
			return bad("control character in a field", f, n);
	if (n == 6 && memcmp(f, "hashed", 6) == 0) {
		if (out->hashed)
			return bad("field given twice", f, n);
		out->hashed = 1;
		return 0;
	}
	if (n > 10 && memcmp(f, "timestamp:", 10) == 0) {
		if (out->has_timestamp)
			return bad("field given twice", f, n);
		if (parse_ts(f + 10, n - 10, &out->timestamp))
			return bad("timestamp is not 1-20 digits in 64 bits", f, n);
		out->has_timestamp = 1;
		return 0;
	}
	if (n > 5 && memcmp(f, "file:", 5) == 0) {
		if (*seen_file)
			return bad("field given twice", f, n);
		if (n - 5 > VERIFY_TC_NAME_MAX || memchr(f + 5, '/', n - 5))
			return bad("file name is longer than 255 bytes or has a /", f, n);
		memcpy(out->file, f + 5, n - 5);
		out->file[n - 5] = '\0';
		*seen_file = 1;
		return 0;
	}
	if (n > 5 && memcmp(f, "site:", 5) == 0) {
		if (out->has_site)
			return bad("field given twice", f, n);
		if (n - 5 > VERIFY_TC_SITE_MAX)
			return bad("site name over 64 bytes", f, n);
		for (i = 5; i < n; i++)
			if (!is_site_char((unsigned char)f[i]))
				return bad("site name is not [A-Za-z0-9._-]", f, n);
		memcpy(out->site, f + 5, n - 5);
		out->site[n - 5] = '\0';
		out->has_site = 1;
		return 0;
	}
	return bad("unknown field", f, n);
}

int verify_tc_parse(const char *comment, size_t len, struct verify_tc *out)
{
	const char *p = comment, *end = comment + len;
	int seen_file = 0, rc;

	memset(out, 0, sizeof(*out));
	for (;;) {
		const char *tab = memchr(p, '\t', (size_t)(end - p));
		size_t n = tab ? (size_t)(tab - p) : (size_t)(end - p);

		rc = field(p, n, out, &seen_file);
		if (rc)
			return rc;
		if (!tab)
			break;
		p = tab + 1;
	}
	if (!seen_file)
		return br_fail(-BR_ESIG, "trusted comment has no file: field: the signature does "
					 "not say what it signs (see docs/verify.md)");
	return 0;
}

int verify_tc_check(const char *comment, const char *name, const char *site)
{
	struct verify_tc tc;
	int rc = verify_tc_parse(comment, strlen(comment), &tc);

	if (rc)
		return rc;
	if (strcmp(tc.file, name) != 0)
		return br_fail(-BR_ESIG,
			       "signature is for file:%s, not for %s: refusing a file signed "
			       "for another purpose",
			       tc.file, name);
	if (site && (!tc.has_site || strcmp(tc.site, site) != 0))
		return br_fail(-BR_ESIG, "signature is for %s%s, not for site:%s",
			       tc.has_site ? "site:" : "no site", tc.has_site ? tc.site : "", site);
	return 0;
}

void verify_tc_url_name(const char *url, char *out, size_t outlen)
{
	size_t end = strcspn(url, "?#"), start = end, n;

	while (start > 0 && url[start - 1] != '/')
		start--;
	n = end - start;
	if (n >= outlen)
		n = outlen - 1;
	memcpy(out, url + start, n);
	out[n] = '\0';
}
