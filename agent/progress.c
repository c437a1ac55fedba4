/* Download progress for every command that fetches (fetch, boot, plan,
 * takeover, init): a bar redrawn on a TTY, else a log line every 5 s. */
#include "agent/progress.h"

#include <stdio.h>
#include <unistd.h>

#include "common/log.h"
#include "fetch/fetch.h"

#define TTY_INTERVAL_S 0.2
#define LOG_INTERVAL_S 5.0
#define BAR_WIDTH 24

/* One transfer at a time in a process: the display state is global so
 * other commands (boot, takeover) can pass cli_fetch_progress as their
 * fetch_opts.progress_cb with a NULL argument. */
static struct {
	int init, tty;
	double last;
	int drew; /* a bar is on screen and needs its newline */
} ps;

static void human(double v, char *out, size_t len)
{
	static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	size_t u = 0;

	while (v >= 1024 && u + 1 < sizeof(unit) / sizeof(unit[0])) {
		v /= 1024;
		u++;
	}
	snprintf(out, len, u ? "%.1f %s" : "%.0f %s", v, unit[u]);
}

/* TTY on stderr: one line redrawn; otherwise a log line every 5 s. */
void cli_fetch_progress(void *arg, const struct fetch_progress *p)
{
	char got[32], tot[32], rate[32], eta[32] = "";
	double r;

	(void)arg;
	if (!ps.init) {
		ps.tty = isatty(STDERR_FILENO);
		ps.init = 1;
	}
	if (p->elapsed_s < ps.last)
		ps.last = 0; /* a new transfer */
	if (!p->done && p->elapsed_s - ps.last < (ps.tty ? TTY_INTERVAL_S : LOG_INTERVAL_S))
		return;
	if (p->done && !ps.drew)
		return; /* short transfers print nothing */
	ps.last = p->elapsed_s;
	r = p->elapsed_s > 0 ? (double)p->bytes / p->elapsed_s : 0;
	human((double)p->bytes, got, sizeof(got));
	human(r, rate, sizeof(rate));
	if (p->total)
		human((double)p->total, tot, sizeof(tot));
	else
		snprintf(tot, sizeof(tot), "?");
	if (p->total && r > 0 && p->total >= p->bytes && !p->done) {
		unsigned s = (unsigned)((double)(p->total - p->bytes) / r);

		snprintf(eta, sizeof(eta), " ETA %u:%02u", s / 60, s % 60);
	}
	if (ps.tty) {
		int pct = p->total ? (int)(100.0 * (double)p->bytes / (double)p->total) : 0;
		char bar[BAR_WIDTH + 1];
		int i, fill = p->total ? pct * BAR_WIDTH / 100 : 0;

		for (i = 0; i < BAR_WIDTH; i++)
			bar[i] = i < fill ? '#' : '.';
		bar[BAR_WIDTH] = '\0';
		if (!p->total)
			fprintf(stderr, "\r\033[K%s  %s/s", got, rate);
		else
			fprintf(stderr, "\r\033[K[%s] %3d%% %s / %s  %s/s%s", bar, pct, got, tot,
				rate, eta);
		if (p->done)
			fputc('\n', stderr);
		ps.drew = !p->done;
	} else {
		br_log(BR_LOG_INFO, "%s: %s / %s at %s/s%s%s", p->url, got, tot, rate, eta,
		       p->done ? " (done)" : "");
		ps.drew = 1;
	}
}

void cli_fetch_progress_end(void)
{
	if (ps.tty && ps.drew)
		fputc('\n', stderr);
	ps.drew = 0;
	ps.last = 0;
}
