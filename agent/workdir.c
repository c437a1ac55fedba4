/* A private work directory per run: downloads, bootrino.sh, plan.json. */
#include "agent/workdir.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/err.h"

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

void cli_workdir_remove(char *dir)
{
	if (!dir[0])
		return;
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	dir[0] = '\0';
}

int cli_workdir_new(char *dir, size_t len)
{
	const char *tmp = getenv("TMPDIR");

	/* mkdtemp: mode 0700, a fresh name nobody else can have prepared */
	snprintf(dir, len, "%s/bootrino.XXXXXX", tmp && *tmp && strlen(tmp) < 200 ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		int e = errno;

		dir[0] = '\0';
		return br_fail(-e, "work directory: %s", strerror(e));
	}
	return 0;
}
