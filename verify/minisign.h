/* minisign-compatible signature verification (Ed25519 via OpenSSL).
 *
 * Fixed-layout structs as in OpenBSD signify: a key is 2+8+32 bytes, a
 * signature 2+8+64; the text formats are parsed strictly with size caps.
 * See docs/verify.md for the formats accepted and the error meanings.
 */
#ifndef BOOTRINO_VERIFY_MINISIGN_H
#define BOOTRINO_VERIFY_MINISIGN_H

#include <stddef.h>
#include <stdint.h>

#define VERIFY_KEYID_LEN 8
#define VERIFY_KEYID_HEXLEN 16 /* as minisign prints it: upper-case, little-endian */
#define VERIFY_PK_LEN 32       /* Ed25519 public key */
#define VERIFY_SIG_LEN 64      /* Ed25519 signature */
#define VERIFY_MAX_KEYS 8
#define VERIFY_COMMENT_MAX 1024 /* trusted/untrusted comment cap (text after the prefix) */
#define VERIFY_SIGFILE_MAX 4096 /* a .minisig larger than this is malformed */
#define VERIFY_PUBFILE_MAX 4096 /* a .pub larger than this is malformed */
/* Legacy "Ed" signatures sign the message itself, and Ed25519 hashes its
 * input twice (R = H(prefix || M), then H(R || A || M)), so the whole
 * message must be in memory. Beyond this cap, sign prehashed (minisign's
 * default since 0.10). */
#define VERIFY_LEGACY_MAX ((size_t)64 << 20)

struct verify_pubkey {
	uint8_t alg[2]; /* "Ed" */
	uint8_t keyid[VERIFY_KEYID_LEN];
	uint8_t pk[VERIFY_PK_LEN];
};

struct verify_keyring {
	size_t n;
	struct verify_pubkey keys[VERIFY_MAX_KEYS];
};

/* A parsed .minisig (what the four lines say; nothing verified yet). */
struct verify_sig {
	uint8_t alg[2]; /* "ED" prehashed, "Ed" legacy */
	uint8_t keyid[VERIFY_KEYID_LEN];
	uint8_t sig[VERIFY_SIG_LEN];	    /* over BLAKE2b-512(msg) or msg */
	uint8_t global_sig[VERIFY_SIG_LEN]; /* over sig || trusted comment */
	size_t trusted_comment_len;
	char trusted_comment[VERIFY_COMMENT_MAX + 1];
};

struct verify_sigresult {
	uint8_t keyid[VERIFY_KEYID_LEN]; /* the key that signed */
	size_t key_index;		 /* its position in the keyring */
	int prehashed;			 /* "ED" (BLAKE2b-512) vs legacy "Ed" */
	char trusted_comment[VERIFY_COMMENT_MAX + 1];
	int has_timestamp; /* trusted comment has "timestamp:N" */
	uint64_t timestamp;
};

/* Add a key: the base64 line minisign prints ("RWQ…"), or the path of a
 * .pub file. A string that decodes as a key is a key; anything else is
 * opened as a file. Adding a key already present is a no-op.
 * -BR_EMALFORMED, or -BR_ETOOBIG past VERIFY_MAX_KEYS. */
int verify_keyring_add(struct verify_keyring *kr, const char *key);

/* The base64 key line minisign prints for k ("RWQ…"), malloc()ed; NULL
 * on ENOMEM. What a configuration carries instead of a .pub path. */
char *verify_pubkey_line(const struct verify_pubkey *k);

/* Verify msg against the text of a .minisig. 0, or -BR_EMALFORMED /
 * -BR_EKEYID / -BR_ESIG / -BR_ETOOBIG with a detail line. */
int verify_minisign_buf(const struct verify_keyring *kr, const void *msg, size_t msglen,
			const char *sig, size_t siglen, struct verify_sigresult *res);

/* Same, streaming the file (no whole-file buffer for prehashed sigs). */
int verify_minisign_file(const struct verify_keyring *kr, const char *path, const char *sigpath,
			 struct verify_sigresult *res);

/* Same, reading an open fd from its current offset to EOF: lets a caller
 * verify exactly the bytes it will then use (no reopen by name). */
int verify_minisign_fd(const struct verify_keyring *kr, int fd, const char *sig, size_t siglen,
		       struct verify_sigresult *res);

/* Incremental verification, for callers that see the bytes go by (e.g. a
 * download): begin parses the signature and checks its key ID against the
 * keyring before any byte of the message is hashed. */
struct verify_minisign_ctx; /* opaque */
int verify_minisign_begin(const struct verify_keyring *kr, const char *sig, size_t siglen,
			  struct verify_minisign_ctx **out);
int verify_minisign_update(struct verify_minisign_ctx *ctx, const void *data, size_t len);
int verify_minisign_final(struct verify_minisign_ctx *ctx, struct verify_sigresult *res);
void verify_minisign_free(struct verify_minisign_ctx *ctx);

/* --- parsers (pure, no I/O; exposed for the fuzz targets and tests) --- */

/* The base64 key line, exactly (no whitespace, no newline). */
int verify_minisign_parse_pubkey(const char *b64, size_t len, struct verify_pubkey *out);
/* The text of a .pub file: "untrusted comment: …" line, key line. */
int verify_minisign_parse_pubfile(const char *text, size_t len, struct verify_pubkey *out);
/* The text of a .minisig file (four lines). */
int verify_minisign_parse_sig(const char *text, size_t len, struct verify_sig *out);

/* Key ID as minisign prints it ("2BAA857122A3E1AD"); out holds 17 bytes. */
void verify_keyid_hex(const uint8_t keyid[VERIFY_KEYID_LEN], char *out);

#endif
