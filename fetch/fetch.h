/* fetch/: streaming downloads with inline SHA-256. The only module that
 * includes libcurl.
 *
 * Contract: with a sha256 pin the output appears at its final path only
 * after the digest matched (temp file in the same directory, fsync,
 * rename). Errors: -BR_EHASH (mismatch, permanent), -BR_ETOOBIG,
 * -BR_EHTTP (non-retryable status), -BR_EREDIRECT, -BR_ETLS, -BR_EFETCH
 * (transient, after retries), each with a br_fail() detail naming the URL.
 */
#ifndef BOOTRINO_FETCH_FETCH_H
#define BOOTRINO_FETCH_FETCH_H

#include <stddef.h>
#include <stdint.h>

#define FETCH_MAX_MIRRORS 8

struct fetch_opts {
	const uint8_t *sha256;       /* 32-byte pin, or NULL */
	uint64_t max_size;           /* 0: FETCH_DEFAULT_MAX_SIZE */
	const char *mirrors[FETCH_MAX_MIRRORS]; /* base URLs tried after the URL's own */
	size_t n_mirrors;
	const char *cacert;          /* CA bundle, or NULL for the system's */
	int insecure;                /* skip TLS verification (logged) */
	unsigned retries;            /* transient failures retried this often */
	unsigned connect_timeout_s;
	unsigned stall_timeout_s;    /* abort when below 1 KiB/s this long */
	unsigned deadline_s;         /* whole operation, retries included */
	int progress;                /* 0 off, 1 TTY bar or periodic lines */
};

#define FETCH_DEFAULT_MAX_SIZE (4ULL << 30)

struct fetch_result {
	uint8_t sha256[32];
	uint64_t size;
	unsigned attempts;
	char effective_url[2048];    /* after redirects / mirror choice */
};

void fetch_opts_init(struct fetch_opts *o);

/* Download url to path (see contract above). res may be NULL. */
int fetch_to_file(const char *url, const char *path, const struct fetch_opts *o,
		  struct fetch_result *res);

/* Download into a malloc()ed buffer of at most cap bytes (NUL-terminated
 * one past len, for text). */
int fetch_to_memory(const char *url, size_t cap, const struct fetch_opts *o, char **buf,
		    size_t *len, struct fetch_result *res);

/* "libcurl/7.88.1 OpenSSL/3.0.x zlib/…" */
const char *fetch_library_version(void);

#endif
