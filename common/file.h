/* Small files read or written whole. One bounded reader for the files
 * bootrino reads whole (configs,
 * plans, keys, signatures, facts, scripts): libc only, no size trusted
 * from fstat (a file may grow while we read it; /proc lies), one byte read
 * past the cap to tell "exactly cap" from "more". Each caller keeps its
 * own cap and its own error code for a file it refuses. */
#ifndef BOOTRINO_COMMON_FILE_H
#define BOOTRINO_COMMON_FILE_H

#include <stddef.h>

#define BR_FILE_ANY 1u	    /* also a pipe or a device (a key on /dev/fd/N) */
#define BR_FILE_NOFOLLOW 2u /* refuse a symlink as the last component */

/* Read the whole of path into a fresh NUL-terminated buffer (*len leaves
 * the NUL out; free(*buf)). Returns 0; rc_bad with the detail "PATH: not
 * a regular file" or "PATH: larger than CAP bytes"; or -errno with the
 * detail "PATH: strerror" when open or read fails. *buf is NULL on
 * failure. */
int br_file_read(const char *path, size_t cap, unsigned flags, int rc_bad, char **buf, size_t *len);

/* The same for a descriptor the caller opened (openat); name is what the
 * detail calls it. fd stays open. */
int br_file_read_fd(int fd, const char *name, size_t cap, unsigned flags, int rc_bad, char **buf,
		    size_t *len);

/* Replace path with len bytes of data, atomically and durably: a
 * temporary file in the same directory (PATH.tmp.XXXXXX), written whole,
 * given mode (0600 is left as mkostemp made it: FAT has no modes to
 * set), fsync()ed, renamed over path, then the directory fsync()ed
 * (without that the rename itself may not survive a power cut); a crash
 * leaves the old file or the new one, never half of it. Returns 0 or
 * -errno with the detail "PATH: strerror"; the temporary file is gone on
 * failure. */
int br_file_write(const char *path, const void *data, size_t len, unsigned mode);

#endif
