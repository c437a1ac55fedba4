/* Internal to fetch/: one download in progress, shared by the sources
 * (http.c for http/https, file.c for file://) and the retry loop in
 * fetch.c. An attempt reports what happened in a struct fetch_outcome;
 * fetch.c alone decides what comes next. */
#ifndef BOOTRINO_FETCH_XFER_H
#define BOOTRINO_FETCH_XFER_H

#include <curl/curl.h>
#include <stdint.h>

#include "fetch/fetch.h"
#include "fetch/pipe.h"

struct fetch_xfer {
	const struct fetch_opts *o;
	struct fetch_pipe *pipe;
	int space_fd; /* the sink's, -1: memory (fetch_sink.space_fd) */
	struct fetch_result *res;
	const char *url; /* the current source */
	uint64_t max;	 /* size limit */
	uint64_t have;	 /* bytes handed to the pipe since the last restart */
	uint64_t total;	 /* expected size when known, else 0 */
	/* The size an earlier response from this source declared for the
	 * bytes we hold (0: unknown): a resume that reports another size is
	 * of another file, and must not be spliced onto ours. */
	uint64_t size_seen;
	double t0, deadline; /* monotonic seconds; deadline 0: none */
	double last_progress;
	unsigned attempt;
};

enum fetch_verdict {
	FETCH_DONE,	   /* every byte received */
	FETCH_RETRY,	   /* transient: worth another attempt */
	FETCH_NEXT_SOURCE, /* permanent for this source: try the next mirror */
	FETCH_FATAL,	   /* stop (oversize, local I/O error) */
};

struct fetch_outcome {
	int rc; /* 0, or -BR_E* / -errno with a br_fail() detail */
	enum fetch_verdict verdict;
	int restart; /* the bytes we hold are useless: start from 0 */
	int has_retry_after;
	unsigned retry_after_s;
};

double fetch_now(void);
/* Report progress to the caller's callback (throttled unless done). */
void fetch_xfer_progress(struct fetch_xfer *x, int done);

/* http.c */
int fetch_http_init(void); /* curl_global_init once */
void fetch_http_attempt(struct fetch_xfer *x, CURL *h, struct fetch_outcome *out);

/* file.c */
void fetch_file_attempt(struct fetch_xfer *x, struct fetch_outcome *out);

#endif
