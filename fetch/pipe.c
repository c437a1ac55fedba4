/* The hashing pipe: a bounded ring of buffers between the receiving
 * thread and one hashing/writing worker. */
#include "fetch/pipe.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"

struct fetch_pipe {
	struct fetch_sink sink;
	struct verify_sha256 *sha;
	unsigned char *buf[FETCH_PIPE_SLOTS];
	size_t len[FETCH_PIPE_SLOTS];
	/* Slots [tail, tail + count) are queued or being consumed; the slot
	 * at head = tail + count is the producer's while count < SLOTS. */
	unsigned head, tail, count;
	size_t fill; /* bytes in buf[head], producer-owned */
	int stop;
	/* the sink's first failure, code and detail: the sink runs on the
	 * worker, and the detail must reach the caller's thread with it */
	struct br_err err;
	pthread_mutex_t mu;
	pthread_cond_t queued, freed;
	pthread_t worker;
	int started;
};

static void *worker_main(void *arg)
{
	struct fetch_pipe *p = arg;

	struct br_err failed = {0};

	pthread_mutex_lock(&p->mu);
	for (;;) {
		unsigned idx;
		int rc = 0;

		while (p->count == 0 && !p->stop)
			pthread_cond_wait(&p->queued, &p->mu);
		if (p->count == 0)
			break;
		idx = p->tail;
		pthread_mutex_unlock(&p->mu);

		/* after a sink error only drain: the producer stops at its next write */
		if (!failed.rc) {
			verify_sha256_update(p->sha, p->buf[idx], p->len[idx]);
			if (p->sink.write)
				rc = p->sink.write(p->sink.ctx, p->buf[idx], p->len[idx]);
			br_err_save(&failed, rc);
		}

		pthread_mutex_lock(&p->mu);
		if (rc && !p->err.rc)
			p->err = failed;
		p->tail = (p->tail + 1) % FETCH_PIPE_SLOTS;
		p->count--;
		pthread_cond_signal(&p->freed);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

int fetch_pipe_new(const struct fetch_sink *sink, struct fetch_pipe **out)
{
	struct fetch_pipe *p = calloc(1, sizeof(*p));
	int rc, i;

	if (!p)
		return -ENOMEM;
	p->sink = *sink;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->queued, NULL);
	pthread_cond_init(&p->freed, NULL);
	rc = verify_sha256_new(&p->sha);
	if (rc)
		goto err;
	for (i = 0; i < FETCH_PIPE_SLOTS; i++) {
		p->buf[i] = malloc(FETCH_PIPE_SLOT_SIZE);
		if (!p->buf[i]) {
			rc = -ENOMEM;
			goto err;
		}
	}
	rc = pthread_create(&p->worker, NULL, worker_main, p);
	if (rc) {
		rc = -rc;
		goto err;
	}
	p->started = 1;
	*out = p;
	return 0;
err:
	fetch_pipe_free(p);
	return rc;
}

/* Hand buf[head] to the worker. */
static void publish(struct fetch_pipe *p)
{
	pthread_mutex_lock(&p->mu);
	p->len[p->head] = p->fill;
	p->head = (p->head + 1) % FETCH_PIPE_SLOTS;
	p->count++;
	pthread_cond_signal(&p->queued);
	pthread_mutex_unlock(&p->mu);
	p->fill = 0;
}

int fetch_pipe_write(struct fetch_pipe *p, const void *data, size_t len)
{
	const unsigned char *d = data;

	while (len > 0) {
		size_t n;

		if (p->fill == 0) {
			struct br_err err;

			/* the next slot must be free before we scribble on it */
			pthread_mutex_lock(&p->mu);
			while (p->count == FETCH_PIPE_SLOTS)
				pthread_cond_wait(&p->freed, &p->mu);
			err = p->err;
			pthread_mutex_unlock(&p->mu);
			if (err.rc)
				return br_err_raise(&err);
		}
		n = FETCH_PIPE_SLOT_SIZE - p->fill;
		if (n > len)
			n = len;
		memcpy(p->buf[p->head] + p->fill, d, n);
		p->fill += n;
		d += n;
		len -= n;
		if (p->fill == FETCH_PIPE_SLOT_SIZE)
			publish(p);
	}
	return 0;
}

int fetch_pipe_flush(struct fetch_pipe *p)
{
	struct br_err err;

	if (p->fill > 0)
		publish(p);
	pthread_mutex_lock(&p->mu);
	while (p->count > 0)
		pthread_cond_wait(&p->freed, &p->mu);
	err = p->err;
	pthread_mutex_unlock(&p->mu);
	return br_err_raise(&err);
}

int fetch_pipe_restart(struct fetch_pipe *p)
{
	int rc = fetch_pipe_flush(p);

	if (rc)
		return rc;
	/* the worker is idle and its writes are visible after the mutex */
	verify_sha256_reset(p->sha);
	return p->sink.truncate ? p->sink.truncate(p->sink.ctx) : 0;
}

int fetch_pipe_finish(struct fetch_pipe *p, uint8_t digest[VERIFY_SHA256_LEN])
{
	int rc = fetch_pipe_flush(p);

	if (rc)
		return rc;
	verify_sha256_final(p->sha, digest);
	return 0;
}

void fetch_pipe_free(struct fetch_pipe *p)
{
	int i;

	if (!p)
		return;
	if (p->started) {
		pthread_mutex_lock(&p->mu);
		p->stop = 1;
		pthread_cond_signal(&p->queued);
		pthread_mutex_unlock(&p->mu);
		pthread_join(p->worker, NULL);
	}
	for (i = 0; i < FETCH_PIPE_SLOTS; i++)
		free(p->buf[i]);
	verify_sha256_free(p->sha);
	pthread_cond_destroy(&p->freed);
	pthread_cond_destroy(&p->queued);
	pthread_mutex_destroy(&p->mu);
	free(p);
}
