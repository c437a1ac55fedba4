/* Strict base64 (RFC 4648 standard alphabet, padded), as minisign writes
 * it: no whitespace, no line breaks, canonical padding and zero pad bits,
 * so every byte string has exactly one accepted encoding. */
#ifndef BOOTRINO_VERIFY_BASE64_H
#define BOOTRINO_VERIFY_BASE64_H

#include <stddef.h>
#include <stdint.h>

/* Encoded length of n bytes. */
#define VERIFY_BASE64_LEN(n) ((((size_t)(n) + 2) / 3) * 4)

/* Decode exactly want bytes from in[0..inlen) into out. Anything else (a
 * different length, a bad character, misplaced or missing '=', non-zero
 * pad bits) is -BR_EMALFORMED. Does not record a detail: callers know
 * what the field was. */
int verify_base64_decode(const char *in, size_t inlen, uint8_t *out, size_t want);

/* Encode n bytes into out (VERIFY_BASE64_LEN(n) + 1 bytes, NUL-ended). */
void verify_base64_encode(const uint8_t *in, size_t n, char *out);

#endif
