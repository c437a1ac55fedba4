/* Stage timing for the takeover and the loader. See agent/timing.h. */
#include "agent/timing.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/log.h"

struct stage {
	const char *name;
	unsigned long long ms;
};

static struct stage stages[CLI_TIMING_MAX_STAGES];
static unsigned n_stages;
static unsigned long long t_start, t_last;
static int started, held;

void cli_timing_hold(int on)
{
	held = on;
}

/* CLOCK_BOOTTIME: monotonic, and zero at the kernel's start, so the
 * loader can count its kernel's boot as its first stage. */
static unsigned long long boot_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_BOOTTIME, &ts))
		return 0;
	return (unsigned long long)ts.tv_sec * 1000ULL +
	       (unsigned long long)ts.tv_nsec / 1000000ULL;
}

void cli_timing_start(int from_boot)
{
	n_stages = 0;
	t_start = from_boot ? 0 : boot_ms();
	t_last = t_start;
	started = 1;
}

void cli_timing_mark(const char *stage)
{
	unsigned long long now;

	if (!started || held)
		return;
	now = boot_ms();
	/* a repeated stage (a retry) adds up under one name */
	for (unsigned i = 0; i < n_stages; i++)
		if (strcmp(stages[i].name, stage) == 0) {
			stages[i].ms += now - t_last;
			t_last = now;
			return;
		}
	if (n_stages < CLI_TIMING_MAX_STAGES) {
		stages[n_stages].name = stage;
		stages[n_stages].ms = now - t_last;
		n_stages++;
	}
	t_last = now;
}

int cli_timing_format(char *buf, unsigned long size, const char *who)
{
	unsigned long used = 0;
	int n;

	if (!started || size == 0)
		return -1;
	n = snprintf(buf, size, "%s: stages:", who);
	for (unsigned i = 0; i < n_stages && n >= 0 && (unsigned long)n < size - used; i++) {
		used += (unsigned long)n;
		n = snprintf(buf + used, size - used, "%s %s %llu.%01llus", i ? "," : "",
			     stages[i].name, stages[i].ms / 1000, stages[i].ms % 1000 / 100);
	}
	if (n >= 0 && (unsigned long)n < size - used) {
		used += (unsigned long)n;
		snprintf(buf + used, size - used, " (total %llu.%01llus)",
			 (t_last - t_start) / 1000, (t_last - t_start) % 1000 / 100);
	}
	return 0;
}

void cli_timing_summary(const char *who)
{
	char line[768];

	if (cli_timing_format(line, sizeof(line), who) == 0)
		br_log(BR_LOG_INFO, "%s", line);
}
