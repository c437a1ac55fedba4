/* Backoff and which HTTP statuses are transient. */
#include "fetch/retry.h"

#include <stdint.h>
#include <sys/random.h>

unsigned fetch_backoff_ms(unsigned base_ms, unsigned cap_ms, unsigned n, double r)
{
	uint64_t d = base_ms;
	unsigned i;

	for (i = 1; i < n && d < cap_ms; i++)
		d *= 2;
	if (d > cap_ms)
		d = cap_ms;
	if (r < 0 || r >= 1)
		r = 0;
	{
		uint64_t fixed = d / 2, spread = d - fixed;

		return (unsigned)(fixed + (uint64_t)((double)spread * r));
	}
}

int fetch_status_transient(long status)
{
	return status == 408 || status == 425 || status == 429 || (status >= 500 && status <= 599);
}

double fetch_jitter(void)
{
	uint32_t v = 0;

	/* jitter only spreads retries out; a failed getrandom() just means none */
	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != (ssize_t)sizeof(v))
		return 0.5;
	return (double)v / 4294967296.0;
}
