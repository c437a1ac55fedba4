/* verify/: SHA-256, minisign signatures, the trust choke point.
 * The only module that includes OpenSSL. */
#ifndef BOOTRINO_VERIFY_VERIFY_H
#define BOOTRINO_VERIFY_VERIFY_H

#include "verify/artifact.h"
#include "verify/minisign.h"
#include "verify/rollback.h"
#include "verify/sha256.h"

/* "OpenSSL 3.0.x …" */
const char *verify_library_version(void);

#endif
