/* SHA-256 through OpenSSL's EVP interface, streaming. */
#ifndef BOOTRINO_VERIFY_SHA256_H
#define BOOTRINO_VERIFY_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define VERIFY_SHA256_LEN 32
#define VERIFY_SHA256_HEXLEN 64

struct verify_sha256; /* opaque: keeps OpenSSL types inside verify/ */

/* Returns 0 or -ENOMEM. */
int verify_sha256_new(struct verify_sha256 **out);
void verify_sha256_update(struct verify_sha256 *ctx, const void *data, size_t len);
/* Finish and write the digest; the context may then be reset or freed. */
void verify_sha256_final(struct verify_sha256 *ctx, uint8_t digest[VERIFY_SHA256_LEN]);
/* Start over (e.g. a download restarting from byte 0). */
void verify_sha256_reset(struct verify_sha256 *ctx);
void verify_sha256_free(struct verify_sha256 *ctx);

/* Parse 64 hex digits (either case) into a digest; -BR_EMALFORMED if not. */
int verify_sha256_parse(const char *hex, uint8_t digest[VERIFY_SHA256_LEN]);
/* Lower-case hex, NUL-terminated: out must hold VERIFY_SHA256_HEXLEN + 1. */
void verify_sha256_hex(const uint8_t digest[VERIFY_SHA256_LEN], char *out);
/* Digest of a whole file, streamed. */
int verify_sha256_file(const char *path, uint8_t digest[VERIFY_SHA256_LEN]);
/* Constant-time compare; 1 if equal. */
int verify_digest_equal(const uint8_t *a, const uint8_t *b, size_t len);

#endif
