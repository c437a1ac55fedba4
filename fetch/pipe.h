/* Internal to fetch/: the hashing pipe. The receiving thread (curl's
 * write callback) copies bytes into a small ring of buffers; one worker
 * thread hashes them and hands them to the sink, so receiving and hashing
 * overlap on two cores as `curl | openssl dgst` does, with memory fixed
 * at FETCH_PIPE_SLOTS * FETCH_PIPE_SLOT_SIZE whatever the artifact size.
 * One producer thread only. */
#ifndef BOOTRINO_FETCH_PIPE_H
#define BOOTRINO_FETCH_PIPE_H

#include <stddef.h>
#include <stdint.h>

#include "verify/sha256.h"

#define FETCH_PIPE_SLOTS 4
#define FETCH_PIPE_SLOT_SIZE (256u << 10)

/* Where verified-later bytes go. write() must take all len bytes or fail;
 * truncate() discards everything written (a restart from byte 0). */
struct fetch_sink {
	int (*write)(void *ctx, const void *data, size_t len);
	int (*truncate)(void *ctx);
	void *ctx;
	int space_fd; /* a file on the disk being filled (free-space check), or -1 */
};

struct fetch_pipe; /* opaque */

/* 0, -ENOMEM or -errno (thread creation). */
int fetch_pipe_new(const struct fetch_sink *sink, struct fetch_pipe **out);
/* Queue bytes; blocks while the ring is full. Returns a sink error seen
 * so far (then nothing more is written), its detail made the calling
 * thread's. */
int fetch_pipe_write(struct fetch_pipe *p, const void *data, size_t len);
/* Wait until every queued byte is hashed and written; the sink's error
 * (with its detail, as fetch_pipe_write). */
int fetch_pipe_flush(struct fetch_pipe *p);
/* Throw everything away: flush, reset the digest, truncate the sink. */
int fetch_pipe_restart(struct fetch_pipe *p);
/* Flush and produce the digest of every byte since the last restart. */
int fetch_pipe_finish(struct fetch_pipe *p, uint8_t digest[VERIFY_SHA256_LEN]);
/* Stop the worker and free (NULL is fine). */
void fetch_pipe_free(struct fetch_pipe *p);

#endif
