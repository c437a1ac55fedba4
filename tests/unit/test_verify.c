/* Unit tests: verify/ (sha256, artifacts; minisign to come). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "common/err.h"
#include "verify/verify.h"

static void test_sha256_abc(void **state)
{
	struct verify_sha256 *ctx;
	uint8_t d[VERIFY_SHA256_LEN];
	char hex[VERIFY_SHA256_HEXLEN + 1];

	(void)state;
	assert_int_equal(verify_sha256_new(&ctx), 0);
	verify_sha256_update(ctx, "abc", 3);
	verify_sha256_final(ctx, d);
	verify_sha256_hex(d, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	verify_sha256_free(ctx);
}

static void test_sha256_parse(void **state)
{
	uint8_t d[VERIFY_SHA256_LEN];
	char hex[VERIFY_SHA256_HEXLEN + 1];

	(void)state;
	assert_int_equal(verify_sha256_parse("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD", d), 0);
	verify_sha256_hex(d, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(verify_sha256_parse("ba78", d), -BR_EMALFORMED);
	assert_int_equal(verify_sha256_parse("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015adff", d), -BR_EMALFORMED);
	assert_int_equal(verify_sha256_parse("ga7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", d), -BR_EMALFORMED);
}

static void test_artifact(void **state)
{
	char path[] = "/tmp/bootrino-art-XXXXXX";
	struct verify_artifact *a = NULL;
	uint8_t d[VERIFY_SHA256_LEN];
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "abc", 3), 3);
	close(fd);
	verify_sha256_parse("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", d);
	assert_int_equal(verify_artifact_open(path, d, &a), 0);
	assert_true(verify_artifact_fd(a) >= 0);
	assert_true(verify_artifact_pinned(a));
	assert_int_equal(verify_artifact_size(a), 3);
	/* a change after verification is refused */
	fd = open(path, O_WRONLY | O_APPEND);
	assert_int_equal(write(fd, "d", 1), 1);
	close(fd);
	assert_int_equal(verify_artifact_fd(a), -BR_EHASH);
	verify_artifact_close(a);
	/* wrong pin */
	d[0] ^= 1;
	assert_int_equal(verify_artifact_open(path, d, &a), -BR_EHASH);
	assert_non_null(strstr(br_errdetail(), "sha256 mismatch"));
	assert_int_equal(verify_artifact_open(path, NULL, &a), -BR_EINSECURE);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha256_abc),
		cmocka_unit_test(test_sha256_parse),
		cmocka_unit_test(test_artifact),
	};
	return cmocka_run_group_tests_name("verify", tests, NULL, NULL);
}
