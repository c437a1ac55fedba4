/* minisign verification with OpenSSL: keyring, Ed25519, BLAKE2b-512.
 *
 * Order of checks (as minisign does it, and so that a hostile file costs
 * nothing): parse the .minisig strictly, match its key ID against the
 * keyring, and only then hash the message and run Ed25519 — first the
 * signature over the message (or its BLAKE2b-512 for "ED"), then the
 * global signature over signature || trusted comment.
 */
#include "verify/minisign.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "verify/base64.h"
#include "verify/rollback.h"

#define CHUNK ((size_t)128 * 1024)
#define BLAKE2B512_LEN 64

struct verify_minisign_ctx {
	struct verify_sig sig;
	struct verify_pubkey key;
	size_t key_index;
	int prehashed;
	EVP_MD_CTX *blake; /* prehashed: running BLAKE2b-512 */
	uint8_t *msg;	   /* legacy: the whole message, up to VERIFY_LEGACY_MAX */
	size_t msglen, msgcap;
	int failed; /* an update failed: final must not succeed */
};

/* --- keyring --------------------------------------------------------------- */

/* Read a small text file whole; more than cap bytes is -BR_EMALFORMED. */
static int read_small(const char *path, const char *what, char *buf, size_t cap, size_t *len)
{
	size_t n = 0;
	int fd, rc = 0;

	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return br_fail(-errno, "%s: %s", path, strerror(errno));
	for (;;) {
		/* read one byte past the cap to tell "exactly cap" from "more" */
		ssize_t r = read(fd, buf + n, cap + 1 - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = br_fail(-errno, "%s: %s", path, strerror(errno));
			break;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > cap) {
			rc = br_fail(-BR_EMALFORMED, "%s: malformed %s: larger than %zu bytes",
				     path, what, cap);
			break;
		}
	}
	close(fd);
	*len = n;
	return rc;
}

static int keyring_insert(struct verify_keyring *kr, const struct verify_pubkey *pk)
{
	char hex[VERIFY_KEYID_HEXLEN + 1];
	size_t i;

	verify_keyid_hex(pk->keyid, hex);
	for (i = 0; i < kr->n; i++) {
		if (memcmp(kr->keys[i].keyid, pk->keyid, VERIFY_KEYID_LEN) != 0)
			continue;
		if (memcmp(kr->keys[i].pk, pk->pk, VERIFY_PK_LEN) == 0)
			return 0;
		/* the key ID picks the key: two keys behind one ID is ambiguous */
		return br_fail(-BR_EMALFORMED, "two different keys with the same key ID %s", hex);
	}
	if (kr->n >= VERIFY_MAX_KEYS)
		return br_fail(-BR_ETOOBIG, "more than %d trusted keys", VERIFY_MAX_KEYS);
	kr->keys[kr->n++] = *pk;
	br_debug("trusted minisign key %s", hex);
	return 0;
}

char *verify_pubkey_line(const struct verify_pubkey *k)
{
	uint8_t raw[sizeof(k->alg) + VERIFY_KEYID_LEN + VERIFY_PK_LEN];
	char *out = malloc(VERIFY_BASE64_LEN(sizeof(raw)) + 1);

	if (!out)
		return NULL;
	memcpy(raw, k->alg, sizeof(k->alg));
	memcpy(raw + sizeof(k->alg), k->keyid, VERIFY_KEYID_LEN);
	memcpy(raw + sizeof(k->alg) + VERIFY_KEYID_LEN, k->pk, VERIFY_PK_LEN);
	verify_base64_encode(raw, sizeof(raw), out);
	return out;
}

int verify_keyring_add(struct verify_keyring *kr, const char *key)
{
	char text[VERIFY_PUBFILE_MAX + 1];
	char keywhy[160];
	struct verify_pubkey pk;
	size_t len;
	int rc;

	if (verify_minisign_parse_pubkey(key, strlen(key), &pk) == 0)
		return keyring_insert(kr, &pk);
	snprintf(keywhy, sizeof(keywhy), "%s", br_errdetail());
	rc = read_small(key, "public key file", text, VERIFY_PUBFILE_MAX, &len);
	if (rc == -ENOENT)
		/* most likely a mistyped key, not a missing file: say both */
		return br_fail(-BR_EMALFORMED, "%.64s: %s, and no such .pub file", key, keywhy);
	if (rc)
		return rc;
	rc = verify_minisign_parse_pubfile(text, len, &pk);
	if (rc) {
		char why[400];

		snprintf(why, sizeof(why), "%s", br_errdetail());
		return br_fail(rc, "%s: %s", key, why);
	}
	return keyring_insert(kr, &pk);
}

/* --- Ed25519 ---------------------------------------------------------------- */

/* 1 if sig is a valid Ed25519 signature of msg by pk, else 0 (an invalid
 * key counts as a failed verification; OpenSSL errors stay queued, so they
 * are cleared for the next caller). */
static int ed25519_verify(const uint8_t pk[VERIFY_PK_LEN], const uint8_t sig[VERIFY_SIG_LEN],
			  const uint8_t *msg, size_t len)
{
	EVP_PKEY *pkey;
	EVP_MD_CTX *md;
	int ok = 0;

	pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pk, VERIFY_PK_LEN);
	if (!pkey)
		goto out;
	md = EVP_MD_CTX_new();
	if (!md)
		goto out_pkey;
	/* md = NULL: Ed25519 is "pure", it hashes with SHA-512 internally */
	if (EVP_DigestVerifyInit(md, NULL, NULL, NULL, pkey) == 1)
		ok = EVP_DigestVerify(md, sig, VERIFY_SIG_LEN, msg, len) == 1;
	EVP_MD_CTX_free(md);
out_pkey:
	EVP_PKEY_free(pkey);
out:
	if (!ok)
		ERR_clear_error();
	return ok;
}

/* --- incremental verification ----------------------------------------------- */

int verify_minisign_begin(const struct verify_keyring *kr, const char *sig, size_t siglen,
			  struct verify_minisign_ctx **out)
{
	struct verify_minisign_ctx *ctx;
	size_t i;
	int rc;

	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return -ENOMEM;
	rc = verify_minisign_parse_sig(sig, siglen, &ctx->sig);
	if (rc)
		goto err;
	for (i = 0; i < kr->n; i++)
		if (memcmp(kr->keys[i].keyid, ctx->sig.keyid, VERIFY_KEYID_LEN) == 0)
			break;
	if (i == kr->n) {
		char hex[VERIFY_KEYID_HEXLEN + 1];

		verify_keyid_hex(ctx->sig.keyid, hex);
		rc = -BR_EKEYID;
		br_fail(
		    rc,
		    "unknown key ID %s: signed by a key that is not among the %zu trusted key(s)",
		    hex, kr->n);
		goto err;
	}
	ctx->key = kr->keys[i];
	ctx->key_index = i;
	ctx->prehashed = memcmp(ctx->sig.alg, "ED", 2) == 0;
	if (ctx->prehashed) {
		ctx->blake = EVP_MD_CTX_new();
		if (!ctx->blake || EVP_DigestInit_ex(ctx->blake, EVP_blake2b512(), NULL) != 1) {
			rc = -ENOMEM;
			br_fail(rc, "BLAKE2b-512 unavailable in OpenSSL");
			goto err;
		}
	}
	*out = ctx;
	return 0;
err:
	verify_minisign_free(ctx);
	return rc;
}

static int legacy_too_big(void)
{
	return br_fail(-BR_ETOOBIG,
		       "legacy (non-prehashed) signature: message larger than %zu MiB; "
		       "sign it prehashed (minisign's default)",
		       VERIFY_LEGACY_MAX >> 20);
}

static int legacy_append(struct verify_minisign_ctx *ctx, const void *data, size_t len)
{
	if (len > VERIFY_LEGACY_MAX - ctx->msglen)
		return legacy_too_big();
	if (ctx->msglen + len > ctx->msgcap) {
		size_t cap = ctx->msgcap ? ctx->msgcap : CHUNK;
		uint8_t *p;

		while (cap < ctx->msglen + len)
			cap *= 2;
		if (cap > VERIFY_LEGACY_MAX)
			cap = VERIFY_LEGACY_MAX;
		p = realloc(ctx->msg, cap);
		if (!p)
			return -ENOMEM;
		ctx->msg = p;
		ctx->msgcap = cap;
	}
	memcpy(ctx->msg + ctx->msglen, data, len);
	ctx->msglen += len;
	return 0;
}

int verify_minisign_update(struct verify_minisign_ctx *ctx, const void *data, size_t len)
{
	int rc = 0;

	if (ctx->failed)
		return -BR_EMALFORMED;
	if (len == 0)
		return 0;
	if (ctx->prehashed) {
		if (EVP_DigestUpdate(ctx->blake, data, len) != 1)
			rc = -ENOMEM;
	} else {
		rc = legacy_append(ctx, data, len);
	}
	if (rc)
		ctx->failed = 1;
	return rc;
}

int verify_minisign_final(struct verify_minisign_ctx *ctx, struct verify_sigresult *res)
{
	char hex[VERIFY_KEYID_HEXLEN + 1];
	uint8_t digest[BLAKE2B512_LEN];
	uint8_t *global;
	const uint8_t *msg;
	size_t msglen;
	int ok;

	memset(res, 0, sizeof(*res));
	if (ctx->failed)
		return br_fail(-BR_EMALFORMED, "verification aborted by an earlier error");
	verify_keyid_hex(ctx->key.keyid, hex);
	if (ctx->prehashed) {
		unsigned int n = sizeof(digest);

		if (EVP_DigestFinal_ex(ctx->blake, digest, &n) != 1 || n != sizeof(digest))
			return br_fail(-ENOMEM, "BLAKE2b-512 failed");
		msg = digest;
		msglen = sizeof(digest);
	} else {
		msg = ctx->msg;
		msglen = ctx->msglen;
	}
	if (!ed25519_verify(ctx->key.pk, ctx->sig.sig, msg, msglen))
		return br_fail(-BR_ESIG,
			       "bad signature: the file does not match its %s signature "
			       "by key %s",
			       ctx->prehashed ? "prehashed" : "legacy", hex);

	/* The trusted comment is only trustworthy once the global signature
	 * binds it to this very signature. */
	global = malloc(VERIFY_SIG_LEN + ctx->sig.trusted_comment_len);
	if (!global)
		return -ENOMEM;
	memcpy(global, ctx->sig.sig, VERIFY_SIG_LEN);
	memcpy(global + VERIFY_SIG_LEN, ctx->sig.trusted_comment, ctx->sig.trusted_comment_len);
	ok = ed25519_verify(ctx->key.pk, ctx->sig.global_sig, global,
			    VERIFY_SIG_LEN + ctx->sig.trusted_comment_len);
	free(global);
	if (!ok)
		return br_fail(-BR_ESIG,
			       "bad signature: trusted comment tampered (global signature "
			       "by key %s does not verify)",
			       hex);

	memcpy(res->keyid, ctx->key.keyid, VERIFY_KEYID_LEN);
	res->key_index = ctx->key_index;
	res->prehashed = ctx->prehashed;
	memcpy(res->trusted_comment, ctx->sig.trusted_comment, ctx->sig.trusted_comment_len + 1);
	res->has_timestamp = verify_trusted_timestamp(res->trusted_comment, &res->timestamp);
	br_debug("good %s signature by key %s; trusted comment: %s",
		 ctx->prehashed ? "prehashed" : "legacy", hex, res->trusted_comment);
	return 0;
}

void verify_minisign_free(struct verify_minisign_ctx *ctx)
{
	if (!ctx)
		return;
	EVP_MD_CTX_free(ctx->blake);
	free(ctx->msg);
	free(ctx);
}

/* --- whole buffers, fds, files ------------------------------------------------ */

int verify_minisign_buf(const struct verify_keyring *kr, const void *msg, size_t msglen,
			const char *sig, size_t siglen, struct verify_sigresult *res)
{
	struct verify_minisign_ctx *ctx = NULL;
	int rc;

	memset(res, 0, sizeof(*res));
	rc = verify_minisign_begin(kr, sig, siglen, &ctx);
	if (rc)
		return rc;
	rc = verify_minisign_update(ctx, msg, msglen);
	if (!rc)
		rc = verify_minisign_final(ctx, res);
	verify_minisign_free(ctx);
	return rc;
}

int verify_minisign_fd(const struct verify_keyring *kr, int fd, const char *sig, size_t siglen,
		       struct verify_sigresult *res)
{
	struct verify_minisign_ctx *ctx = NULL;
	struct stat st;
	uint8_t *buf;
	int rc;

	memset(res, 0, sizeof(*res));
	rc = verify_minisign_begin(kr, sig, siglen, &ctx);
	if (rc)
		return rc;
	/* Refuse an oversized legacy message before reading any of it. */
	if (!ctx->prehashed && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_size > (off_t)VERIFY_LEGACY_MAX) {
		rc = legacy_too_big();
		goto out_ctx;
	}
	buf = malloc(CHUNK);
	if (!buf) {
		rc = -ENOMEM;
		goto out_ctx;
	}
	for (;;) {
		ssize_t n = read(fd, buf, CHUNK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = br_fail(-errno, "read failed: %s", strerror(errno));
			goto out_buf;
		}
		if (n == 0)
			break;
		rc = verify_minisign_update(ctx, buf, (size_t)n);
		if (rc)
			goto out_buf;
	}
	rc = verify_minisign_final(ctx, res);
out_buf:
	free(buf);
out_ctx:
	verify_minisign_free(ctx);
	return rc;
}

int verify_minisign_file(const struct verify_keyring *kr, const char *path, const char *sigpath,
			 struct verify_sigresult *res)
{
	char sig[VERIFY_SIGFILE_MAX + 1];
	size_t siglen = 0;
	int fd, rc;

	memset(res, 0, sizeof(*res));
	rc = read_small(sigpath, "signature file", sig, VERIFY_SIGFILE_MAX, &siglen);
	if (rc)
		return rc;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return br_fail(-errno, "%s: %s", path, strerror(errno));
	rc = verify_minisign_fd(kr, fd, sig, siglen, res);
	close(fd);
	if (rc == -BR_EMALFORMED) {
		/* a malformed .minisig: name it, the file itself is fine */
		char why[400];

		snprintf(why, sizeof(why), "%s", br_errdetail());
		br_fail(rc, "%s: %s", sigpath, why);
	}
	return rc;
}
