/* The trust choke point.
 *
 * A `struct verify_artifact` is the only way to hand a file to kexec/ or
 * disk/: those modules take nothing else. The only constructors live in
 * verify/artifact.c: they copy the bytes into a memfd while hashing them
 * and seal it (no write, grow or shrink, ever), and the artifact keeps a
 * read-only fd of that copy — what is loaded is what was hashed, whatever
 * happens to the file afterwards. Costs the artifact's size in RAM while
 * it is open (docs/architecture.md). Where memfd_create is missing, the
 * file's own fd is kept and its identity (device, inode, size, mtime) is
 * checked again on every use.
 */
#ifndef BOOTRINO_VERIFY_ARTIFACT_H
#define BOOTRINO_VERIFY_ARTIFACT_H

#include <stdint.h>

#include "verify/sha256.h"

struct verify_artifact; /* opaque */

/* Open path, hash it and compare against the pinned digest.
 * -BR_EHASH (detail names path, expected and actual) on mismatch. */
int verify_artifact_open(const char *path, const uint8_t digest[VERIFY_SHA256_LEN],
			 struct verify_artifact **out);

/* Open a file the operator named on the command line without a pin (e.g.
 * `bootrino kexec --kernel ./vmlinuz`): the digest is computed and kept
 * for the log, and verify_artifact_pinned() says 0. Callers on the boot
 * path never use this. */
int verify_artifact_open_unpinned(const char *path, struct verify_artifact **out);

/* Read-only fd of the verified bytes (the sealed copy), or -BR_EHASH if
 * they could have changed. The artifact keeps ownership of the fd. */
int verify_artifact_fd(const struct verify_artifact *a);
const char *verify_artifact_path(const struct verify_artifact *a);
uint64_t verify_artifact_size(const struct verify_artifact *a);
const uint8_t *verify_artifact_digest(const struct verify_artifact *a);
int verify_artifact_pinned(const struct verify_artifact *a);
void verify_artifact_close(struct verify_artifact *a);

#endif
