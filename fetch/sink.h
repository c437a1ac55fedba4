/* Internal to fetch/: where downloaded bytes go — a temp file that becomes
 * the final file only on commit, or a capped memory buffer. */
#ifndef BOOTRINO_FETCH_SINK_H
#define BOOTRINO_FETCH_SINK_H

#include <stddef.h>

#include "fetch/pipe.h"

struct fetch_file_sink {
	int fd;
	char *tmp;	  /* DIR/.NAME.bootrino-XXXXXX */
	const char *path; /* final path */
	int device;	  /* path is a character device (/dev/null): written
			     straight through, no temp file, no rename */
	int dirty;	  /* device: bytes written that cannot be taken back */
};

/* Create the temp file next to path (O_EXCL, 0600). 0 or -errno with a
 * detail naming path. */
int fetch_file_sink_open(const char *path, struct fetch_file_sink *s, struct fetch_sink *out);
/* fsync, give it the final mode, rename over path, fsync the directory. */
int fetch_file_sink_commit(struct fetch_file_sink *s);
/* Close and remove the temp file (after a commit: only close). */
void fetch_file_sink_close(struct fetch_file_sink *s);

struct fetch_mem_sink {
	char *buf;
	size_t len, alloc, limit;
};

void fetch_mem_sink_init(struct fetch_mem_sink *m, size_t limit, struct fetch_sink *out);
void fetch_mem_sink_free(struct fetch_mem_sink *m);

#endif
