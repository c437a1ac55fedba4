#include "verify/sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/err.h"

struct verify_sha256 {
	EVP_MD_CTX *md;
};

int verify_sha256_new(struct verify_sha256 **out)
{
	struct verify_sha256 *ctx = calloc(1, sizeof(*ctx));

	if (!ctx)
		return -ENOMEM;
	ctx->md = EVP_MD_CTX_new();
	if (!ctx->md || EVP_DigestInit_ex(ctx->md, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(ctx->md);
		free(ctx);
		return -ENOMEM;
	}
	*out = ctx;
	return 0;
}

void verify_sha256_update(struct verify_sha256 *ctx, const void *data, size_t len)
{
	EVP_DigestUpdate(ctx->md, data, len);
}

void verify_sha256_final(struct verify_sha256 *ctx, uint8_t digest[VERIFY_SHA256_LEN])
{
	unsigned int n = VERIFY_SHA256_LEN;

	EVP_DigestFinal_ex(ctx->md, digest, &n);
	EVP_DigestInit_ex(ctx->md, EVP_sha256(), NULL);
}

void verify_sha256_reset(struct verify_sha256 *ctx)
{
	EVP_DigestInit_ex(ctx->md, EVP_sha256(), NULL);
}

void verify_sha256_free(struct verify_sha256 *ctx)
{
	if (!ctx)
		return;
	EVP_MD_CTX_free(ctx->md);
	free(ctx);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int verify_sha256_parse(const char *hex, uint8_t digest[VERIFY_SHA256_LEN])
{
	size_t i;

	if (!hex)
		return -BR_EMALFORMED;
	for (i = 0; i < VERIFY_SHA256_LEN; i++) {
		int hi = hexval(hex[2 * i]);
		int lo = hi < 0 ? -1 : hexval(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return br_fail(-BR_EMALFORMED, "sha256 must be 64 hex digits");
		digest[i] = (uint8_t)(hi << 4 | lo);
	}
	if (hex[VERIFY_SHA256_HEXLEN] != '\0')
		return br_fail(-BR_EMALFORMED, "sha256 must be 64 hex digits");
	return 0;
}

void verify_sha256_hex(const uint8_t digest[VERIFY_SHA256_LEN], char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < VERIFY_SHA256_LEN; i++) {
		out[2 * i] = digits[digest[i] >> 4];
		out[2 * i + 1] = digits[digest[i] & 15];
	}
	out[VERIFY_SHA256_HEXLEN] = '\0';
}

int verify_sha256_file(const char *path, uint8_t digest[VERIFY_SHA256_LEN])
{
	struct verify_sha256 *ctx = NULL;
	unsigned char *buf = NULL;
	int fd = -1;
	int rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		goto err_open;
	}
	buf = malloc(1 << 17);
	if (!buf) {
		rc = -ENOMEM;
		goto err_buf;
	}
	rc = verify_sha256_new(&ctx);
	if (rc)
		goto err_ctx;
	for (;;) {
		ssize_t n = read(fd, buf, 1 << 17);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			goto err_read;
		}
		if (n == 0)
			break;
		verify_sha256_update(ctx, buf, (size_t)n);
	}
	verify_sha256_final(ctx, digest);
	rc = 0;
err_read:
	verify_sha256_free(ctx);
err_ctx:
	free(buf);
err_buf:
	close(fd);
err_open:
	return rc;
}

int verify_digest_equal(const uint8_t *a, const uint8_t *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) == 0;
}
