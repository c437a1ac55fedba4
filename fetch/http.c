/* One HTTP(S) attempt through libcurl: headers decide whether the body is
 * wanted (and whether a resume is acceptable), the body streams into the
 * hashing pipe, counted against the size limit. */
#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/statvfs.h>
#include <time.h>

#include "common/err.h"
#include "common/log.h"
#include "fetch/header.h"
#include "fetch/retry.h"
#include "fetch/url.h"
#include "fetch/xfer.h"

/* Fewer, larger write callbacks (curl's maximum receive buffer). */
#define HTTP_BUFFER_SIZE (512L << 10)
#define STALL_BYTES_PER_S 1024L

struct http_state {
	struct fetch_xfer *x;
	CURL *h;
	uint64_t start; /* bytes held when the attempt began (Range start) */
	int in_body;	/* a 200/206 was accepted: body bytes are ours */
	int aborted;	/* we stopped curl; out already says why */
	struct fetch_outcome *out;
	/* headers of the response being read */
	int has_cl, cr_state; /* cr_state: 0 none, 1 parsed, -1 malformed */
	uint64_t cl;
	struct fetch_content_range cr;
	int has_ra, has_location;
	char location[FETCH_URL_MAX]; /* the Location header, "" if too long */
	unsigned ra;
	/* offset one past the last byte the accepted response declared
	 * (Content-Length / Content-Range), 0 when it declared none */
	uint64_t body_end;
};

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static CURLcode init_code;

static void global_init(void)
{
	init_code = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int fetch_http_init(void)
{
	pthread_once(&init_once, global_init);
	return init_code == CURLE_OK ? 0 : br_fail(-ENOMEM, "curl_global_init failed");
}

static void set_outcome(struct fetch_outcome *out, int rc, enum fetch_verdict v)
{
	out->rc = rc;
	out->verdict = v;
}

/* Stop curl from a callback with a verdict already recorded. */
static size_t abort_with(struct http_state *s, int rc, enum fetch_verdict v)
{
	set_outcome(s->out, rc, v);
	s->aborted = 1;
	return 0;
}

static size_t status_failure(struct http_state *s, long status)
{
	const char *url = s->x->url;

	if (fetch_status_transient(status)) {
		if (s->has_ra) {
			s->out->has_retry_after = 1;
			s->out->retry_after_s = s->ra;
		}
		return abort_with(s, br_fail(-BR_EFETCH, "%s: HTTP %ld", url, status), FETCH_RETRY);
	}
	return abort_with(s, br_fail(-BR_EHTTP, "%s: HTTP %ld", url, status), FETCH_NEXT_SOURCE);
}

/* "scheme://host:port" of an absolute http(s) URL, lower-case, with the
 * default port made explicit; "" when it cannot be told. */
static void origin_of(const char *url, char *out, size_t outlen)
{
	const char *a = strstr(url, "://"), *end;
	int https = strncasecmp(url, "https://", 8) == 0;
	size_t n, i;

	out[0] = '\0';
	if (!a || (!https && strncasecmp(url, "http://", 7) != 0))
		return;
	a += 3;
	end = a + strcspn(a, "/?#");
	if (memchr(a, '@', (size_t)(end - a)))
		a = (const char *)memchr(a, '@', (size_t)(end - a)) + 1;
	n = (size_t)snprintf(out, outlen, "%s://%.*s", https ? "https" : "http", (int)(end - a), a);
	if (n >= outlen) {
		out[0] = '\0';
		return;
	}
	for (i = 0; out[i]; i++)
		if (out[i] >= 'A' && out[i] <= 'Z')
			out[i] = (char)(out[i] - 'A' + 'a');
	/* no port, or an IPv6 literal without one: add the default */
	if (!strchr(out + (https ? 8 : 7), ':') || out[n - 1] == ']')
		snprintf(out + n, outlen - n, ":%s", https ? "443" : "80");
}

/* A 3xx with a Location: may curl follow it? Refused (-BR_EREDIRECT)
 * when the caller wants no redirects at all, or when it sends headers of
 * its own and the target is another origin. */
static int redirect_allowed(struct http_state *s, long status)
{
	const struct fetch_opts *o = s->x->o;
	char here[FETCH_URL_MAX], there[FETCH_URL_MAX], a[FETCH_URL_MAX], b[FETCH_URL_MAX];
	char *eff = NULL;

	if (o->no_redirects) {
		abort_with(s,
			   br_fail(-BR_EREDIRECT,
				   "%s: HTTP %ld redirect refused (this request never "
				   "follows redirects)",
				   s->x->url, status),
			   FETCH_NEXT_SOURCE);
		return 0;
	}
	if (!o->headers || !o->headers[0])
		return 1;
	if (curl_easy_getinfo(s->h, CURLINFO_EFFECTIVE_URL, &eff) != CURLE_OK || !eff)
		eff = (char *)s->x->url;
	snprintf(here, sizeof(here), "%s", eff);
	if (!s->location[0] || fetch_url_resolve(here, s->location, there, sizeof(there)))
		there[0] = '\0';
	origin_of(s->x->url, a, sizeof(a));
	origin_of(there, b, sizeof(b));
	if (a[0] && strcmp(a, b) == 0)
		return 1;
	abort_with(s,
		   br_fail(-BR_EREDIRECT,
			   "%s: redirect to another host (%.200s) refused: the "
			   "request carries headers of its own",
			   s->x->url, there[0] ? there : "?"),
		   FETCH_NEXT_SOURCE);
	return 0;
}

/* A 206: does its range continue the bytes we hold, within the limit, of
 * the same file? 1: yes, *total set; 0: the transfer was aborted with a
 * verdict. */
static int partial_ok(struct http_state *s, uint64_t *total)
{
	struct fetch_xfer *x = s->x;

	if (s->start == 0)
		return (int)abort_with(
		    s, br_fail(-BR_EFETCH, "%s: 206 to a request without Range", x->url),
		    FETCH_RETRY);
	if (s->cr_state != 1 || s->cr.first != x->have ||
	    (s->has_cl && s->cl != s->cr.last - s->cr.first + 1)) {
		s->out->restart = 1;
		return (int)abort_with(s,
				       br_fail(-BR_EFETCH,
					       "%s: 206 whose Content-Range does not start at "
					       "byte %" PRIu64,
					       x->url, x->have),
				       FETCH_RETRY);
	}
	if (s->cr.last >= x->max) /* also keeps last + 1 from wrapping */
		return (int)abort_with(s,
				       br_fail(-BR_ETOOBIG,
					       "%s: range ends past the limit of %" PRIu64 " bytes",
					       x->url, x->max),
				       FETCH_FATAL);
	if (s->cr.complete_known)
		*total = s->cr.complete;
	else
		*total = s->cr.last + 1; /* size unknown: at least this */
	if (x->size_seen && s->cr.complete_known && *total != x->size_seen) {
		/* the file changed on the server between attempts */
		s->out->restart = 1;
		return (int)abort_with(s,
				       br_fail(-BR_EFETCH,
					       "%s: resumed file is %" PRIu64
					       " bytes, it was %" PRIu64 ": changed on the server",
					       x->url, *total, x->size_seen),
				       FETCH_RETRY);
	}
	x->res->resumes++;
	br_debug("%s: resuming at byte %" PRIu64, x->url, x->have);
	return 1;
}

/* End of a response's headers: is its body the artifact (or its rest)? */
static size_t headers_done(struct http_state *s, size_t len)
{
	struct fetch_xfer *x = s->x;
	long status = 0;
	uint64_t total = 0;
	int rc;

	curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &status);
	if (status < 200)
		return len; /* interim (100 Continue…) */
	if (status >= 300 && status < 400 && s->has_location)
		return redirect_allowed(s, status) ? len : 0;
	if (status == 416 && s->start > 0) {
		/* we asked from byte N and the server has no byte N: what we
		 * hold does not match its file (or is all of it, but curl saw
		 * an error): start over from 0 */
		s->out->restart = 1;
		return abort_with(s,
				  br_fail(-BR_EFETCH, "%s: HTTP 416 to a resume from byte %" PRIu64,
					  x->url, x->have),
				  FETCH_RETRY);
	}
	if (status != 200 && status != 206)
		return status_failure(s, status);

	if (status == 206) {
		if (!partial_ok(s, &total))
			return 0;
	} else {
		if (x->have > 0) {
			/* the server ignored Range: start over cleanly */
			br_debug("%s: got 200 to a Range request: restarting from byte 0", x->url);
			rc = fetch_pipe_restart(x->pipe);
			if (rc)
				return abort_with(s, rc, FETCH_FATAL);
			x->have = 0;
			x->res->restarts++;
		}
		if (s->has_cl)
			total = s->cl;
	}
	if (total > x->max)
		return abort_with(s,
				  br_fail(-BR_ETOOBIG,
					  "%s: size %" PRIu64 " exceeds the limit of %" PRIu64
					  " bytes",
					  x->url, total, x->max),
				  FETCH_FATAL);
	if (total > x->have && x->space_fd >= 0) {
		/* the server said how much is coming: refuse now rather than
		 * fill the disk (the stock OS's /tmp) and fail at the end */
		struct statvfs vfs;

		if (fstatvfs(x->space_fd, &vfs) == 0 &&
		    (uint64_t)vfs.f_bavail * vfs.f_frsize < total - x->have)
			return abort_with(s,
					  br_fail(-BR_EDISK,
						  "%s: %" PRIu64 " bytes to come, %" PRIu64
						  " bytes free on the disk it goes to",
						  x->url, total - x->have,
						  (uint64_t)vfs.f_bavail * vfs.f_frsize),
					  FETCH_FATAL);
	}
	x->total = total;
	/* A 206 may cover less than the rest of the file ("bytes N-M/T",
	 * M < T-1): accept only its range now, resume for the remainder. */
	s->body_end = status == 206 ? s->cr.last + 1 : total;
	if (status == 200 || s->cr.complete_known)
		x->size_seen = total;
	s->in_body = 1;
	return len;
}

static size_t header_cb(char *buf, size_t size, size_t n, void *arg)
{
	struct http_state *s = arg;
	size_t len = size * n;
	const char *v;
	size_t vlen;

	if (len >= 5 && memcmp(buf, "HTTP/", 5) == 0) {
		/* a new response (after a redirect or an interim one) */
		s->has_cl = 0;
		s->cr_state = 0;
		s->has_ra = 0;
		s->has_location = 0;
		s->in_body = 0;
		return len;
	}
	if (len <= 2 && (buf[0] == '\r' || buf[0] == '\n'))
		return headers_done(s, len);
	if (fetch_header_match(buf, len, "Content-Length", &v, &vlen))
		s->has_cl = fetch_parse_content_length(v, vlen, &s->cl) == 0;
	else if (fetch_header_match(buf, len, "Content-Range", &v, &vlen))
		s->cr_state = fetch_parse_content_range(v, vlen, &s->cr) == 0 ? 1 : -1;
	else if (fetch_header_match(buf, len, "Location", &v, &vlen)) {
		s->has_location = vlen > 0;
		if (vlen < sizeof(s->location)) {
			memcpy(s->location, v, vlen);
			s->location[vlen] = '\0';
		} else {
			s->location[0] = '\0';
		}
	} else if (fetch_header_match(buf, len, "Retry-After", &v, &vlen))
		s->has_ra = fetch_parse_retry_after(v, vlen, time(NULL), &s->ra) == 0;
	return len;
}

static size_t write_cb(char *buf, size_t size, size_t n, void *arg)
{
	struct http_state *s = arg;
	struct fetch_xfer *x = s->x;
	size_t len = size * n;
	int rc;

	if (!s->in_body)
		return len; /* the body of a response we do not want */
	if (len > x->max - x->have)
		return abort_with(
		    s, br_fail(-BR_ETOOBIG, "%s: more than %" PRIu64 " bytes", x->url, x->max),
		    FETCH_FATAL);
	if (s->body_end && len > s->body_end - x->have) {
		/* more than the headers declared: they lied, so the bytes we
		 * hold cannot be trusted to be the start of that file either */
		s->out->restart = 1;
		return abort_with(s,
				  br_fail(-BR_EFETCH,
					  "%s: body goes past the %" PRIu64 " bytes declared",
					  x->url, s->body_end),
				  FETCH_RETRY);
	}
	rc = fetch_pipe_write(x->pipe, buf, len);
	if (rc)
		return abort_with(s, rc, FETCH_FATAL);
	x->have += len;
	return len;
}

static int xferinfo_cb(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	struct http_state *s = arg;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	fetch_xfer_progress(s->x, 0);
	return 0;
}

static int is_tls_failure(CURLcode c)
{
	switch (c) {
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_CRL_BADFILE:
		return 1;
	default:
		return 0;
	}
}

static void classify(struct http_state *s, CURLcode c, const char *errbuf)
{
	const char *url = s->x->url;
	const char *why = errbuf[0] ? errbuf : curl_easy_strerror(c);

	if (c == CURLE_TOO_MANY_REDIRECTS) {
		set_outcome(
		    s->out,
		    br_fail(-BR_EREDIRECT, "%s: more than %d redirects", url, FETCH_MAX_REDIRECTS),
		    FETCH_NEXT_SOURCE);
	} else if (c == CURLE_UNSUPPORTED_PROTOCOL) {
		/* the URL itself was checked to be http(s): a redirect did this */
		set_outcome(s->out,
			    br_fail(-BR_EREDIRECT,
				    "%s: redirect to a scheme other than http/https "
				    "refused (%s)",
				    url, why),
			    FETCH_NEXT_SOURCE);
	} else if (is_tls_failure(c)) {
		set_outcome(s->out, br_fail(-BR_ETLS, "%s: TLS verification failed: %s", url, why),
			    FETCH_NEXT_SOURCE);
	} else if (c == CURLE_URL_MALFORMAT) {
		set_outcome(s->out, br_fail(-BR_EMALFORMED, "%s: %s", url, why), FETCH_NEXT_SOURCE);
	} else if (c == CURLE_OUT_OF_MEMORY) {
		/* curl also says this of response headers over its 100 KiB cap:
		 * a server doing that will do it again, so no retry */
		set_outcome(s->out,
			    br_fail(-BR_EFETCH, "%s: %s (response headers too large?)", url, why),
			    FETCH_NEXT_SOURCE);
	} else {
		/* connection refused/reset, timeouts (stall, deadline), short
		 * bodies, TLS handshake hiccups, oversized headers… */
		set_outcome(s->out, br_fail(-BR_EFETCH, "%s: %s", url, why), FETCH_RETRY);
	}
}

/* "Name: value" lines for curl; CR/LF would smuggle in a header or a
 * second request. */
static int build_headers(const struct fetch_opts *o, const char *url, struct curl_slist **out)
{
	struct curl_slist *l = NULL, *n;
	size_t i;

	*out = NULL;
	for (i = 0; o->headers && o->headers[i]; i++) {
		const char *h = o->headers[i];

		if (strpbrk(h, "\r\n") || !strchr(h, ':') || h[0] == ':') {
			curl_slist_free_all(l);
			return br_fail(-BR_EUSAGE, "%s: bad request header", url);
		}
		n = curl_slist_append(l, h);
		if (!n) {
			curl_slist_free_all(l);
			return -ENOMEM;
		}
		l = n;
	}
	*out = l;
	return 0;
}

static int setup(struct http_state *s, char *errbuf, struct curl_slist *hdrs)
{
	const struct fetch_opts *o = s->x->o;
	CURL *h = s->h;
	char range[32];
	long timeout_ms = 0;
	CURLcode c = CURLE_OK;

	if (s->x->deadline > 0) {
		double left = s->x->deadline - fetch_now();

		timeout_ms = left < 0.001 ? 1 : (long)(left * 1000);
	}
	if (s->start > 0)
		snprintf(range, sizeof(range), "%" PRIu64 "-", s->start);

#define SET(opt, val)                                                                              \
	do {                                                                                       \
		if (c == CURLE_OK)                                                                 \
			c = curl_easy_setopt(h, opt, val);                                         \
	} while (0)
	SET(CURLOPT_URL, s->x->url);
	SET(CURLOPT_ERRORBUFFER, errbuf);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_USERAGENT, "bootrino");
#if LIBCURL_VERSION_NUM >= 0x075500
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
	SET(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
	SET(CURLOPT_REDIR_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	SET(CURLOPT_FOLLOWLOCATION, 1L);
	SET(CURLOPT_MAXREDIRS, (long)FETCH_MAX_REDIRECTS);
	SET(CURLOPT_CONNECTTIMEOUT, (long)o->connect_timeout_s);
	SET(CURLOPT_LOW_SPEED_LIMIT, STALL_BYTES_PER_S);
	SET(CURLOPT_LOW_SPEED_TIME, (long)o->stall_timeout_s);
	SET(CURLOPT_TIMEOUT_MS, timeout_ms);
	SET(CURLOPT_TCP_KEEPALIVE, 1L);
	SET(CURLOPT_BUFFERSIZE, HTTP_BUFFER_SIZE);
	SET(CURLOPT_RANGE, s->start > 0 ? range : NULL);
	SET(CURLOPT_HTTPHEADER, hdrs);
	SET(CURLOPT_CUSTOMREQUEST, o->method);
	SET(CURLOPT_SSL_VERIFYPEER, o->insecure ? 0L : 1L);
	SET(CURLOPT_SSL_VERIFYHOST, o->insecure ? 0L : 2L);
	if (o->cacert)
		SET(CURLOPT_CAINFO, o->cacert);
	SET(CURLOPT_HEADERFUNCTION, header_cb);
	SET(CURLOPT_HEADERDATA, s);
	SET(CURLOPT_WRITEFUNCTION, write_cb);
	SET(CURLOPT_WRITEDATA, s);
	SET(CURLOPT_XFERINFOFUNCTION, xferinfo_cb);
	SET(CURLOPT_XFERINFODATA, s);
	SET(CURLOPT_NOPROGRESS, 0L);
#undef SET
	if (c != CURLE_OK)
		return br_fail(-BR_EFETCH, "%s: curl setup: %s", s->x->url, curl_easy_strerror(c));
	return 0;
}

void fetch_http_attempt(struct fetch_xfer *x, CURL *h, struct fetch_outcome *out)
{
	struct http_state s;
	struct curl_slist *hdrs = NULL;
	char errbuf[CURL_ERROR_SIZE];
	char *eff = NULL;
	CURLcode c;
	int rc;

	memset(&s, 0, sizeof(s));
	memset(out, 0, sizeof(*out));
	errbuf[0] = '\0';
	s.x = x;
	s.h = h;
	s.out = out;
	if (x->o->method && x->have > 0) {
		/* Range is for GET: start over */
		rc = fetch_pipe_restart(x->pipe);
		if (rc) {
			set_outcome(out, rc, FETCH_FATAL);
			return;
		}
		x->have = 0;
		x->res->restarts++;
	}
	s.start = x->have;
	curl_easy_reset(h);
	rc = build_headers(x->o, x->url, &hdrs);
	if (!rc)
		rc = setup(&s, errbuf, hdrs);
	if (rc) {
		curl_slist_free_all(hdrs);
		set_outcome(out, rc, FETCH_FATAL);
		return;
	}
	br_debug("%s %s%s (attempt %u)", x->o->method ? x->o->method : "GET", x->url,
		 s.start ? " with Range" : "", x->attempt);
	c = curl_easy_perform(h);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hdrs);
	if (curl_easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &eff) == CURLE_OK && eff)
		snprintf(x->res->effective_url, sizeof(x->res->effective_url), "%s", eff);
	if (s.aborted)
		return; /* a callback recorded the outcome */
	if (c != CURLE_OK) {
		classify(&s, c, errbuf);
		return;
	}
	if (!s.in_body) {
		/* e.g. a 3xx without Location: no body was accepted */
		long status = 0;

		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
		status_failure(&s, status);
		return;
	}
	if (s.body_end && x->have < s.body_end) {
		/* curl only holds the body to Content-Length: a 206 whose
		 * Content-Range stops short of it would otherwise end a
		 * download early, and without a pin nobody would notice */
		set_outcome(out,
			    br_fail(-BR_EFETCH, "%s: body ended at byte %" PRIu64 " of %" PRIu64,
				    x->url, x->have, s.body_end),
			    FETCH_RETRY);
		return;
	}
	if (x->total && x->have < x->total) {
		/* a partial 206: the rest comes with the next Range request */
		set_outcome(out,
			    br_fail(-BR_EFETCH,
				    "%s: partial content, %" PRIu64 " of %" PRIu64 " bytes", x->url,
				    x->have, x->total),
			    FETCH_RETRY);
		return;
	}
	set_outcome(out, 0, FETCH_DONE);
}
