/* Retry policy helpers (pure; unit-tested). */
#ifndef BOOTRINO_FETCH_RETRY_H
#define BOOTRINO_FETCH_RETRY_H

/* Delay before retry n (1-based): base_ms * 2^(n-1), capped at cap_ms,
 * with "equal jitter": half of it fixed, the other half scaled by r in
 * [0, 1), so clients that failed together do not retry together. */
unsigned fetch_backoff_ms(unsigned base_ms, unsigned cap_ms, unsigned n, double r);

/* 1 for statuses worth retrying: 408, 425, 429 and every 5xx. */
int fetch_status_transient(long status);

/* A uniformly distributed double in [0, 1) from getrandom(). */
double fetch_jitter(void);

#endif
