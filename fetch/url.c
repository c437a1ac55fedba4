/* RFC 3986 reference resolution (§5.2) for the schemes bootrino fetches. */
#include "fetch/url.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/err.h"

/* A URI split as in RFC 3986 appendix B; *_len are meaningful only when
 * the matching has_* flag is set (path always is). */
struct uri {
	const char *scheme, *auth, *path, *query, *frag;
	size_t scheme_len, auth_len, path_len, query_len, frag_len;
	int has_scheme, has_auth, has_query, has_frag;
};

static int is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Hostile or unencoded bytes never reach curl or a log line. */
static int url_chars_ok(const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c <= 0x20 || c >= 0x7f)
			return 0;
	}
	return 1;
}

static void uri_split(const char *s, struct uri *u)
{
	const char *p = s;

	memset(u, 0, sizeof(*u));
	/* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" */
	if (is_alpha(*p)) {
		const char *q = p + 1;

		while (is_alpha(*q) || is_digit(*q) || *q == '+' || *q == '-' || *q == '.')
			q++;
		if (*q == ':') {
			u->has_scheme = 1;
			u->scheme = p;
			u->scheme_len = (size_t)(q - p);
			p = q + 1;
		}
	}
	if (p[0] == '/' && p[1] == '/') {
		p += 2;
		u->has_auth = 1;
		u->auth = p;
		u->auth_len = strcspn(p, "/?#");
		p += u->auth_len;
	}
	u->path = p;
	u->path_len = strcspn(p, "?#");
	p += u->path_len;
	if (*p == '?') {
		p++;
		u->has_query = 1;
		u->query = p;
		u->query_len = strcspn(p, "#");
		p += u->query_len;
	}
	if (*p == '#') {
		p++;
		u->has_frag = 1;
		u->frag = p;
		u->frag_len = strlen(p);
	}
}

static int scheme_is(const struct uri *u, const char *name)
{
	size_t i, n = strlen(name);

	if (!u->has_scheme || u->scheme_len != n)
		return 0;
	for (i = 0; i < n; i++)
		if (lower(u->scheme[i]) != name[i])
			return 0;
	return 1;
}

static const char *known_scheme(const struct uri *u)
{
	static const char *const names[] = {"http", "https", "file"};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (scheme_is(u, names[i]))
			return names[i];
	return NULL;
}

/* Growing-free output: dst has room for everything we append (sized by
 * the caller from the inputs' lengths). */
struct buf {
	char *p;
	size_t len;
};

static void put(struct buf *b, const char *s, size_t n)
{
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

/* RFC 3986 §5.2.4, on in[0..n) into out (which holds n + 1 bytes). The
 * input buffer is consumed in place through a cursor; the output only
 * shrinks by whole segments. */
static void remove_dot_segments(const char *in, size_t n, struct buf *out)
{
	const char *p = in, *end = in + n;

	while (p < end) {
		size_t left = (size_t)(end - p);

		if (left >= 3 && memcmp(p, "../", 3) == 0) {
			p += 3; /* A */
		} else if ((left >= 2 && memcmp(p, "./", 2) == 0) ||
			   (left >= 3 && memcmp(p, "/./", 3) == 0)) {
			p += 2; /* A: drop "./"; B: "/./" → "/" */
		} else if (left == 2 && memcmp(p, "/.", 2) == 0) {
			/* B: "/." at the end → "/" */
			put(out, "/", 1);
			p = end;
		} else if ((left >= 4 && memcmp(p, "/../", 4) == 0) ||
			   (left == 3 && memcmp(p, "/..", 3) == 0)) {
			/* C: drop the last output segment, then "/" */
			while (out->len > 0 && out->p[out->len - 1] != '/')
				out->len--;
			if (out->len > 0)
				out->len--;
			out->p[out->len] = '\0';
			if (left == 3) {
				put(out, "/", 1);
				p = end;
			} else {
				p += 3;
			}
		} else if ((left == 1 && p[0] == '.') || (left == 2 && memcmp(p, "..", 2) == 0)) {
			p = end; /* D */
		} else {
			/* E: move the first segment (with its leading '/') */
			const char *q = p + (*p == '/' ? 1 : 0);

			while (q < end && *q != '/')
				q++;
			put(out, p, (size_t)(q - p));
			p = q;
		}
	}
}

static int emit(const char *scheme, const struct uri *auth_from, const char *path, size_t path_len,
		const struct uri *query_from, const struct uri *frag_from, char *out, size_t outlen)
{
	size_t need = strlen(scheme) + 1 + path_len + 1;

	if (auth_from->has_auth)
		need += 2 + auth_from->auth_len;
	if (query_from->has_query)
		need += 1 + query_from->query_len;
	if (frag_from->has_frag)
		need += 1 + frag_from->frag_len;
	if (need > outlen)
		return br_fail(-BR_ETOOBIG, "URL longer than %zu bytes", outlen);

	struct buf b = {out, 0};

	out[0] = '\0';
	put(&b, scheme, strlen(scheme));
	put(&b, ":", 1);
	if (auth_from->has_auth) {
		put(&b, "//", 2);
		put(&b, auth_from->auth, auth_from->auth_len);
	}
	put(&b, path, path_len);
	if (query_from->has_query) {
		put(&b, "?", 1);
		put(&b, query_from->query, query_from->query_len);
	}
	if (frag_from->has_frag) {
		put(&b, "#", 1);
		put(&b, frag_from->frag, frag_from->frag_len);
	}
	return 0;
}

int fetch_url_resolve(const char *base, const char *ref, char *out, size_t outlen)
{
	struct uri b, r;
	const struct uri *auth, *query;
	const char *scheme;
	char *merged = NULL, *path = NULL;
	struct buf pb;
	size_t cap;
	int rc;

	if (!base || !ref || !out || outlen == 0)
		return -BR_EMALFORMED;
	if (!url_chars_ok(base) || !url_chars_ok(ref))
		return br_fail(-BR_EMALFORMED, "URL holds a space, control or non-ASCII byte");
	uri_split(base, &b);
	uri_split(ref, &r);
	if (!known_scheme(&b))
		return br_fail(-BR_EMALFORMED, "base URL '%.200s' is not http, https or file",
			       base);
	cap = strlen(base) + strlen(ref) + 2;
	merged = malloc(cap);
	path = malloc(cap);
	if (!merged || !path) {
		rc = -ENOMEM;
		goto out;
	}
	pb.p = path;
	pb.len = 0;
	path[0] = '\0';

	if (r.has_scheme) {
		scheme = known_scheme(&r);
		if (!scheme) {
			rc = br_fail(-BR_EMALFORMED,
				     "URL '%.200s': scheme is not http, https or file", ref);
			goto out;
		}
		auth = &r;
		query = &r;
		remove_dot_segments(r.path, r.path_len, &pb);
	} else {
		scheme = known_scheme(&b);
		query = &r;
		if (r.has_auth) {
			auth = &r;
			remove_dot_segments(r.path, r.path_len, &pb);
		} else {
			auth = &b;
			if (r.path_len == 0) {
				/* the base as is, but normalised: a resolved URL
				 * never carries dot segments */
				remove_dot_segments(b.path, b.path_len, &pb);
				if (!r.has_query)
					query = &b;
			} else if (r.path[0] == '/') {
				remove_dot_segments(r.path, r.path_len, &pb);
			} else {
				/* §5.2.3 merge */
				struct buf mb = {merged, 0};
				size_t keep = b.path_len;

				merged[0] = '\0';
				if (b.has_auth && b.path_len == 0) {
					put(&mb, "/", 1);
				} else {
					while (keep > 0 && b.path[keep - 1] != '/')
						keep--;
					put(&mb, b.path, keep);
				}
				put(&mb, r.path, r.path_len);
				remove_dot_segments(merged, mb.len, &pb);
			}
		}
	}
	if (strcmp(scheme, "file") != 0 && (!auth->has_auth || auth->auth_len == 0)) {
		rc = br_fail(-BR_EMALFORMED, "URL '%.200s': %s needs a host", ref, scheme);
		goto out;
	}
	if (!auth->has_auth && pb.len >= 2 && path[0] == '/' && path[1] == '/') {
		/* "file:" + "//x" would read back with x as the host */
		rc = br_fail(-BR_EMALFORMED, "URL '%.200s': path starts with //", ref);
		goto out;
	}
	rc = emit(scheme, auth, path, pb.len, query, &r, out, outlen);
out:
	free(path);
	free(merged);
	return rc;
}

int fetch_url_mirror(const char *mirror, const char *rel, char *out, size_t outlen)
{
	struct uri m;
	size_t n;
	char *dir;
	int rc;

	if (!mirror || !rel)
		return -BR_EMALFORMED;
	uri_split(mirror, &m);
	n = strlen(mirror);
	dir = malloc(n + 2);
	if (!dir)
		return -ENOMEM;
	/* Insert the '/' at the end of the path, before any query/fragment
	 * (which the resolution then drops or replaces anyway). */
	{
		size_t at = (size_t)(m.path - mirror) + m.path_len;

		memcpy(dir, mirror, at);
		n = at;
		if (m.path_len == 0 || m.path[m.path_len - 1] != '/')
			dir[n++] = '/';
		dir[n] = '\0';
	}
	rc = fetch_url_resolve(dir, rel, out, outlen);
	free(dir);
	return rc;
}

int fetch_url_basename(const char *url, char *out, size_t outlen)
{
	struct uri u;
	size_t i;

	if (!url)
		return -BR_EMALFORMED;
	uri_split(url, &u);
	i = u.path_len;
	while (i > 0 && u.path[i - 1] != '/')
		i--;
	if (i == u.path_len)
		return br_fail(-BR_EMALFORMED, "URL '%.200s' names no file", url);
	if (u.path_len - i + 1 > outlen)
		return -BR_ETOOBIG;
	memcpy(out, u.path + i, u.path_len - i);
	out[u.path_len - i] = '\0';
	return 0;
}

int fetch_url_scheme(const char *url, char *out, size_t outlen)
{
	struct uri u;
	const char *s;

	if (!url)
		return -BR_EMALFORMED;
	uri_split(url, &u);
	s = known_scheme(&u);
	if (!s)
		return br_fail(-BR_EMALFORMED, "'%.200s': not an http, https or file URL", url);
	if (strlen(s) + 1 > outlen)
		return -BR_ETOOBIG;
	memcpy(out, s, strlen(s) + 1);
	return 0;
}

static int hexval(char c)
{
	if (is_digit(c))
		return c - '0';
	c = lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int fetch_url_file_path(const char *url, char *out, size_t outlen)
{
	struct uri u;
	size_t i, o = 0;

	if (!url)
		return -BR_EMALFORMED;
	uri_split(url, &u);
	if (!scheme_is(&u, "file"))
		return br_fail(-BR_EMALFORMED, "'%.200s': not a file:// URL", url);
	if (u.has_auth && u.auth_len != 0 &&
	    !(u.auth_len == 9 && strncasecmp(u.auth, "localhost", 9) == 0))
		return br_fail(-BR_EMALFORMED, "'%.200s': file URL names a remote host", url);
	if (u.path_len == 0 || u.path[0] != '/')
		return br_fail(-BR_EMALFORMED, "'%.200s': file URL needs an absolute path", url);
	for (i = 0; i < u.path_len; i++) {
		char c = u.path[i];

		if (c == '%') {
			int hi = i + 1 < u.path_len ? hexval(u.path[i + 1]) : -1;
			int lo = hi >= 0 && i + 2 < u.path_len ? hexval(u.path[i + 2]) : -1;

			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				return br_fail(-BR_EMALFORMED, "'%.200s': bad %% escape", url);
			c = (char)(hi << 4 | lo);
			i += 2;
		}
		if (o + 1 >= outlen)
			return -BR_ETOOBIG;
		out[o++] = c;
	}
	out[o] = '\0';
	return 0;
}
