/* The fetch loop: sources (URL + mirrors), retries with backoff, resume
 * bookkeeping, and the final digest check before anything is committed. */
#include "fetch/fetch.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/err.h"
#include "common/log.h"
#include "fetch/retry.h"
#include "fetch/sink.h"
#include "fetch/url.h"
#include "fetch/xfer.h"
#include "verify/sha256.h"

#define PROGRESS_INTERVAL_S 0.1

struct source {
	char url[FETCH_URL_MAX];
	int is_file;
	int tried;
	int dropped;
};

void fetch_opts_init(struct fetch_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->max_size = FETCH_DEFAULT_MAX_SIZE;
	o->retries = FETCH_DEFAULT_RETRIES;
	o->connect_timeout_s = FETCH_DEFAULT_CONNECT_TIMEOUT_S;
	o->stall_timeout_s = FETCH_DEFAULT_STALL_TIMEOUT_S;
	o->backoff_ms = FETCH_DEFAULT_BACKOFF_MS;
}

double fetch_clock(void)
{
	return fetch_now();
}

double fetch_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void fetch_xfer_progress(struct fetch_xfer *x, int done)
{
	struct fetch_progress p;
	double now;

	if (!x->o->progress_cb)
		return;
	now = fetch_now();
	if (!done && now - x->last_progress < PROGRESS_INTERVAL_S)
		return;
	x->last_progress = now;
	p.url = x->url;
	p.bytes = x->have;
	p.total = x->total;
	p.elapsed_s = now - x->t0;
	p.attempt = x->attempt;
	p.done = done;
	x->o->progress_cb(x->o->progress_arg, &p);
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int build_sources(const char *url, const struct fetch_opts *o, struct source *src, size_t *n)
{
	char scheme[8], rel[FETCH_URL_MAX], why[256];
	size_t i;
	int rc;

	rc = fetch_url_resolve(url, url, src[0].url, sizeof(src[0].url));
	if (rc) {
		snprintf(why, sizeof(why), "%s", br_errdetail());
		return br_fail(rc, "%.200s: %s", url, why);
	}
	*n = 1;
	if (o->n_mirrors > FETCH_MAX_MIRRORS)
		return br_fail(-BR_EUSAGE, "more than %d mirrors", FETCH_MAX_MIRRORS);
	if (o->n_mirrors) {
		if (o->mirror_path)
			snprintf(rel, sizeof(rel), "%s", o->mirror_path);
		else if ((rc = fetch_url_basename(src[0].url, rel, sizeof(rel))) != 0)
			return rc;
	}
	for (i = 0; i < o->n_mirrors; i++) {
		rc = fetch_url_mirror(o->mirrors[i], rel, src[*n].url, sizeof(src[*n].url));
		if (rc) {
			snprintf(why, sizeof(why), "%s", br_errdetail());
			return br_fail(rc, "mirror %.200s: %s", o->mirrors[i], why);
		}
		(*n)++;
	}
	for (i = 0; i < *n; i++) {
		rc = fetch_url_scheme(src[i].url, scheme, sizeof(scheme));
		if (rc)
			return rc;
		src[i].is_file = strcmp(scheme, "file") == 0;
	}
	return 0;
}

/* The next source still in the running after cur, round-robin; -1 if
 * none is left. */
static int next_source(const struct source *src, size_t n, size_t cur)
{
	size_t i;

	for (i = 1; i <= n; i++) {
		size_t k = (cur + i) % n;

		if (!src[k].dropped)
			return (int)k;
	}
	return -1;
}

/* How long to wait before the next attempt; -1: do not (it would pass
 * the deadline, or Retry-After asks for more than we wait). */
static long retry_delay_ms(const struct fetch_xfer *x, const struct fetch_outcome *out,
			   unsigned nretry)
{
	const struct fetch_opts *o = x->o;
	double delay =
	    fetch_backoff_ms(o->backoff_ms, FETCH_BACKOFF_MAX_MS, nretry, fetch_jitter()) / 1000.0;

	if (out->has_retry_after) {
		if (x->deadline == 0 && out->retry_after_s > FETCH_RETRY_AFTER_CAP_S)
			return -1;
		if (out->retry_after_s > delay)
			delay = out->retry_after_s;
	}
	if (x->deadline > 0 && fetch_now() + delay >= x->deadline)
		return -1;
	return (long)(delay * 1000);
}

/* One attempt at src (file.c or http.c); the curl handle is made on the
 * first http attempt and kept for the next (connection reuse). Returns 0
 * with *out filled in, or an error setting up the attempt. */
static int attempt(struct fetch_xfer *x, const struct source *s, CURL **h,
		   struct fetch_outcome *out)
{
	int rc;

	if (s->is_file) {
		fetch_file_attempt(x, out);
		return 0;
	}
	if (!*h) {
		rc = fetch_http_init();
		if (rc)
			return rc;
		*h = curl_easy_init();
		if (!*h)
			return -ENOMEM;
	}
	x->res->insecure |= x->o->insecure;
	fetch_http_attempt(x, *h, out);
	return 0;
}

/* After a transient failure (FETCH_RETRY): the source of the next attempt,
 * after the backoff wait, or -1 to give up. Keep the bytes and the source
 * when we can resume; with nothing yet, move on to the next source. A
 * source not tried yet costs no retry and no wait. */
static int retry_source(const struct fetch_xfer *x, const struct fetch_outcome *out,
			const struct source *src, size_t n, int cur, unsigned *nretry)
{
	int next = x->have > 0 ? cur : next_source(src, n, (size_t)cur);
	long delay;

	if (next < 0)
		next = cur;
	if (next != cur && !src[next].tried)
		return next;
	if (++*nretry > x->o->retries) {
		br_debug("giving up after %u retries", x->o->retries);
		return -1;
	}
	delay = retry_delay_ms(x, out, *nretry);
	if (delay < 0) {
		br_debug("no retry: it would pass the deadline");
		return -1;
	}
	br_debug("retry %u/%u in %ld ms", *nretry, x->o->retries, delay);
	if (delay > 0)
		sleep_ms((unsigned)delay);
	return next;
}

/* Every byte received: the digest of what the sink holds, checked against
 * the pin before the caller commits anything. */
static int finish(struct fetch_xfer *x)
{
	uint8_t digest[VERIFY_SHA256_LEN];
	int rc;

	rc = fetch_pipe_finish(x->pipe, digest);
	if (rc)
		return rc;
	memcpy(x->res->sha256, digest, sizeof(digest));
	x->res->size = x->have;
	if (x->o->sha256 && !verify_digest_equal(digest, x->o->sha256, VERIFY_SHA256_LEN)) {
		char want[VERIFY_SHA256_HEXLEN + 1], got[VERIFY_SHA256_HEXLEN + 1];

		verify_sha256_hex(x->o->sha256, want);
		verify_sha256_hex(digest, got);
		return br_fail(-BR_EHASH, "%s: sha256 mismatch: expected %s, got %s", x->url, want,
			       got);
	}
	x->total = x->have;
	fetch_xfer_progress(x, 1);
	return 0;
}

static int run(const char *url, const struct fetch_sink *sink, const struct fetch_opts *o,
	       uint64_t max, struct fetch_result *res)
{
	struct fetch_xfer x;
	struct fetch_outcome out;
	struct source *src;
	size_t n = 0;
	int cur = 0, prev = -1, rc;
	unsigned nretry = 0;
	CURL *h = NULL;

	memset(res, 0, sizeof(*res));
	memset(&x, 0, sizeof(x));
	src = calloc(1 + FETCH_MAX_MIRRORS, sizeof(*src));
	if (!src)
		return -ENOMEM;
	rc = build_sources(url, o, src, &n);
	if (rc)
		goto out_src;
	rc = fetch_pipe_new(sink, &x.pipe);
	if (rc)
		goto out_src;
	x.o = o;
	x.res = res;
	x.max = max;
	x.space_fd = sink->space_fd;
	x.t0 = fetch_now();
	x.deadline = o->deadline_s ? x.t0 + o->deadline_s : 0;
	if (o->deadline_at > 0 && (x.deadline == 0 || o->deadline_at < x.deadline))
		x.deadline = o->deadline_at;
	if (x.deadline > 0 && x.deadline <= x.t0) {
		rc = br_fail(-BR_EFETCH, "%s: the stage's deadline has passed", url);
		goto out_pipe;
	}

	for (;;) {
		struct source *s = &src[cur];

		if (cur != prev && x.have > 0) {
			/* never splice bytes from two servers */
			rc = fetch_pipe_restart(x.pipe);
			if (rc)
				goto out_pipe;
			x.have = 0;
			res->restarts++;
		}
		if (cur != prev || x.have == 0)
			x.size_seen = 0;
		prev = cur;
		s->tried = 1;
		x.url = s->url;
		x.total = 0;
		x.attempt = ++res->attempts;
		rc = attempt(&x, s, &h, &out);
		if (rc)
			goto out_pipe;
		if (out.verdict == FETCH_DONE)
			break;
		rc = out.rc;
		br_debug("attempt %u failed: %s", x.attempt, br_errmsg(rc));
		if (out.verdict == FETCH_FATAL)
			goto out_pipe;
		if (out.restart && x.have > 0) {
			int rrc = fetch_pipe_restart(x.pipe);

			if (rrc) {
				rc = rrc;
				goto out_pipe;
			}
			x.have = 0;
			res->restarts++;
		}
		if (out.verdict == FETCH_NEXT_SOURCE) {
			s->dropped = 1;
			cur = next_source(src, n, (size_t)cur);
			if (cur < 0)
				goto out_pipe;
			br_debug("%s: trying the next source %s", s->url, src[cur].url);
			continue;
		}
		cur = retry_source(&x, &out, src, n, cur, &nretry);
		if (cur < 0)
			goto out_pipe;
	}

	rc = finish(&x);
out_pipe:
	if (h)
		curl_easy_cleanup(h);
	fetch_pipe_free(x.pipe);
out_src:
	free(src);
	return rc;
}

int fetch_to_file(const char *url, const char *path, const struct fetch_opts *o,
		  struct fetch_result *res)
{
	struct fetch_file_sink fs;
	struct fetch_sink sink;
	struct fetch_result local;
	int rc;

	if (!url || !path || !o)
		return -EINVAL;
	if (!res)
		res = &local;
	rc = fetch_file_sink_open(path, &fs, &sink);
	if (rc)
		return rc;
	sink.space_fd = fs.device ? -1 : fs.fd;
	rc = run(url, &sink, o, o->max_size ? o->max_size : FETCH_DEFAULT_MAX_SIZE, res);
	if (rc == 0)
		rc = fetch_file_sink_commit(&fs);
	fetch_file_sink_close(&fs);
	return rc;
}

int fetch_to_memory(const char *url, size_t cap, const struct fetch_opts *o, char **buf,
		    size_t *len, struct fetch_result *res)
{
	struct fetch_mem_sink ms;
	struct fetch_sink sink;
	struct fetch_result local;
	uint64_t max = o && o->max_size ? o->max_size : FETCH_DEFAULT_MAX_SIZE;
	int rc;

	if (!url || !o || !buf || !len)
		return -EINVAL;
	if (!res)
		res = &local;
	if (cap < max)
		max = cap;
	if (max > SIZE_MAX / 2)
		max = SIZE_MAX / 2;
	fetch_mem_sink_init(&ms, (size_t)max, &sink);
	sink.space_fd = -1;
	rc = run(url, &sink, o, max, res);
	if (rc == 0 && !ms.buf) {
		ms.buf = calloc(1, 1); /* an empty body is still a string */
		if (!ms.buf)
			rc = -ENOMEM;
	}
	if (rc) {
		fetch_mem_sink_free(&ms);
		return rc;
	}
	*buf = ms.buf;
	*len = ms.len;
	return 0;
}
