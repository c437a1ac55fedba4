/* minisign-compatible signature verification (Ed25519 via OpenSSL).
 *
 * Fixed-layout structs as in OpenBSD signify: a key is 2+8+32 bytes, a
 * signature 2+8+64; the text formats are parsed strictly with size caps.
 */
#ifndef BOOTRINO_VERIFY_MINISIGN_H
#define BOOTRINO_VERIFY_MINISIGN_H

#include <stddef.h>
#include <stdint.h>

#define VERIFY_KEYID_LEN 8
#define VERIFY_MAX_KEYS 8
#define VERIFY_COMMENT_MAX 1024  /* trusted/untrusted comment cap */
#define VERIFY_SIGFILE_MAX 4096  /* a .minisig larger than this is malformed */

struct verify_pubkey {
	uint8_t alg[2];                 /* "Ed" */
	uint8_t keyid[VERIFY_KEYID_LEN];
	uint8_t pk[32];
};

struct verify_keyring {
	size_t n;
	struct verify_pubkey keys[VERIFY_MAX_KEYS];
};

struct verify_sigresult {
	uint8_t keyid[VERIFY_KEYID_LEN]; /* the key that signed */
	int prehashed;                   /* "ED" (BLAKE2b-512) vs legacy "Ed" */
	char trusted_comment[VERIFY_COMMENT_MAX + 1];
	int has_timestamp;               /* trusted comment has "timestamp:N" */
	uint64_t timestamp;
};

/* Add a key: the base64 line minisign prints ("RWQ…"), or the path of a
 * .pub file. -BR_EMALFORMED, or -BR_ETOOBIG past VERIFY_MAX_KEYS. */
int verify_keyring_add(struct verify_keyring *kr, const char *key);

/* Verify msg against the text of a .minisig. 0, or -BR_EMALFORMED /
 * -BR_EKEYID / -BR_ESIG with a detail line. */
int verify_minisign_buf(const struct verify_keyring *kr, const void *msg, size_t msglen,
			const char *sig, size_t siglen, struct verify_sigresult *res);

/* Same, streaming the file (no whole-file buffer for prehashed sigs). */
int verify_minisign_file(const struct verify_keyring *kr, const char *path,
			 const char *sigpath, struct verify_sigresult *res);

#endif
