/* fetch/: streaming downloads with inline SHA-256. The only module that
 * includes libcurl. See docs/fetch.md for the behaviour in full.
 *
 * Contract: the output appears at its final path only after the transfer
 * completed and, with a sha256 pin, after the digest matched: the bytes go
 * to a temp file in the same directory (O_EXCL, mode 0600), which is
 * fsync()ed and rename()d over the final path; on any failure the temp
 * file is removed and an existing file at the final path is left alone.
 * Errors, each with a br_fail() detail "URL: why":
 *   -BR_EHASH     digest mismatch ("URL: sha256 mismatch: expected X, got Y")
 *   -BR_ETOOBIG   over max_size (Content-Length or counted bytes)
 *   -BR_EHTTP     a status not worth retrying (4xx other than 408/425/429)
 *   -BR_EREDIRECT too many redirects (> FETCH_MAX_REDIRECTS) or to a scheme
 *                 other than http/https
 *   -BR_ETLS      TLS peer/host verification failed
 *   -BR_EFETCH    transient failures, retries exhausted or deadline passed
 *   -BR_EMALFORMED a URL fetch/ refuses
 *
 * Sources and mirrors: the URL itself is tried first, then each mirror in
 * order. The URL tried under mirror M is fetch_url_mirror(M, rel) (url.h):
 * rel resolved against M taken as a directory, where rel is
 * opts.mirror_path when set (e.g. "v42/vmlinuz" for an artifact named
 * relative to a script) and otherwise the last path segment of the URL
 * ("https://a/x/vmlinuz" with mirror "https://m/pub" → "https://m/pub/vmlinuz").
 * A source that answers with a permanent failure for it (HTTP 4xx, TLS
 * verification, redirect refused, connection refused after its retries)
 * is dropped and the next one tried; a digest mismatch or an oversize
 * stops everything (the pin says which bytes are wanted).
 *
 * Retries: transient failures (connection errors, resets mid-body,
 * timeouts, 5xx, 408, 425, 429) are retried up to opts.retries times in
 * all, with exponential backoff and jitter; Retry-After is honoured when
 * it fits in the deadline. An interrupted body resumes from the bytes we
 * have with "Range: bytes=N-" from the same source; only a 206 whose
 * Content-Range starts at N is accepted, a 200 restarts from byte 0
 * (digest reset), any other 206 or a 416 makes the next attempt start
 * from 0.
 */
#ifndef BOOTRINO_FETCH_FETCH_H
#define BOOTRINO_FETCH_FETCH_H

#include <stddef.h>
#include <stdint.h>

#define FETCH_MAX_MIRRORS 8
#define FETCH_MAX_REDIRECTS 5
#define FETCH_URL_MAX 2048

/* What the progress callback sees. Called on the calling thread about
 * every 100 ms while bytes flow, once with done=1 at the end of a
 * successful transfer; the caller decides what and how often to print. */
struct fetch_progress {
	const char *url;  /* the URL of the current source */
	uint64_t bytes;	  /* bytes of the artifact we hold (resumes included) */
	uint64_t total;	  /* expected size, 0 if unknown */
	double elapsed_s; /* since the fetch started, retries included */
	unsigned attempt; /* 1 for the first request */
	int done;
};

typedef void (*fetch_progress_fn)(void *arg, const struct fetch_progress *p);

struct fetch_opts {
	const uint8_t *sha256;			/* 32-byte pin, or NULL */
	uint64_t max_size;			/* 0: FETCH_DEFAULT_MAX_SIZE */
	const char *mirrors[FETCH_MAX_MIRRORS]; /* base URLs tried after the URL's own */
	size_t n_mirrors;
	const char *mirror_path; /* rel under each mirror; NULL: the URL's last segment */
	const char *cacert;	 /* CA bundle, or NULL for the system's */
	int insecure;		 /* skip TLS verification (the agent logs it) */
	unsigned retries;	 /* transient failures retried this often */
	unsigned connect_timeout_s;
	unsigned stall_timeout_s; /* abort an attempt below 1 KiB/s this long */
	unsigned deadline_s;	  /* whole operation, retries included; 0: none */
	/* an absolute deadline on fetch_clock() (a stage's: every fetch of
	 * the stage together); 0: none. The earlier of the two counts. */
	double deadline_at;
	unsigned backoff_ms; /* first retry delay (doubles, capped, jittered) */
	int progress;	     /* hint for the caller's printer; fetch/ only
				calls progress_cb */
	fetch_progress_fn progress_cb;
	void *progress_arg;
	/* Request tweaks for metadata services (AWS IMDSv2 wants a PUT with
	 * a header): NULL-terminated "Name: value" lines (no CR/LF), and a
	 * method other than GET, sent without a body. A non-GET request is
	 * never resumed with Range: a retry starts from byte 0. */
	const char *const *headers;
	const char *method;
	/* Redirects (docs/fetch.md): with custom headers, a redirect to
	 * another origin (scheme, host, port) is refused (-BR_EREDIRECT)
	 * rather than followed, so a header (a metadata token, an
	 * Authorization) never reaches a host it was not meant for; with
	 * no_redirects, every redirect is refused (metadata services). */
	int no_redirects;
};
#define FETCH_HAVE_REQUEST_HEADERS 1

#define FETCH_DEFAULT_MAX_SIZE (4ULL << 30)
#define FETCH_DEFAULT_RETRIES 5
#define FETCH_DEFAULT_CONNECT_TIMEOUT_S 15
#define FETCH_DEFAULT_STALL_TIMEOUT_S 30
#define FETCH_DEFAULT_BACKOFF_MS 500
#define FETCH_BACKOFF_MAX_MS 30000
/* Without a deadline, a Retry-After longer than this is not waited for. */
#define FETCH_RETRY_AFTER_CAP_S 300

struct fetch_result {
	uint8_t sha256[32];
	uint64_t size;
	unsigned attempts;		   /* requests made, all sources */
	unsigned resumes;		   /* attempts that continued with Range */
	unsigned restarts;		   /* times the bytes were thrown away (no/odd 206) */
	int insecure;			   /* TLS verification was off for this transfer */
	char effective_url[FETCH_URL_MAX]; /* after redirects / mirror choice */
};

/* Defaults: no pin, FETCH_DEFAULT_* limits, no deadline, system CAs. */
void fetch_opts_init(struct fetch_opts *o);

/* Download url to path (see contract above). res may be NULL. */
int fetch_to_file(const char *url, const char *path, const struct fetch_opts *o,
		  struct fetch_result *res);

/* Download into a malloc()ed buffer of at most cap bytes (NUL-terminated
 * one past len, for text). The limit is min(cap, max_size); *buf is set
 * only on success (free() it). */
int fetch_to_memory(const char *url, size_t cap, const struct fetch_opts *o, char **buf,
		    size_t *len, struct fetch_result *res);

/* Monotonic seconds, the clock of deadline_at. */
double fetch_clock(void);

/* "libcurl/7.88.1 OpenSSL/3.0.x zlib/…" */
const char *fetch_library_version(void);

#endif
