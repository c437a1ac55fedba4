/* Unit tests: common/ (error codes, exit-code mapping) and agent/cli. */
/* cmocka.h needs these first */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/cli.h"
#include "common/err.h"
#include "common/file.h"

static void test_exit_codes(void **state)
{
	(void)state;
	assert_int_equal(br_exitcode(0), 0);
	assert_int_equal(br_exitcode(-BR_EUSAGE), 2);
	assert_int_equal(br_exitcode(-BR_ECONFIG), 2);
	assert_int_equal(br_exitcode(-BR_EHASH), 3);
	assert_int_equal(br_exitcode(-BR_ESIG), 3);
	assert_int_equal(br_exitcode(-BR_EKEYID), 3);
	assert_int_equal(br_exitcode(-BR_EFETCH), 4);
	assert_int_equal(br_exitcode(-BR_EHTTP), 4);
	assert_int_equal(br_exitcode(-BR_EKEXEC), 5);
	assert_int_equal(br_exitcode(-BR_EDISK), 6);
	assert_int_equal(br_exitcode(-ENOENT), 1);
}

static void test_fail_detail(void **state)
{
	(void)state;
	br_errclear();
	assert_string_equal(br_errdetail(), "");
	assert_int_equal(br_fail(-BR_EHASH, "x %d", 42), -BR_EHASH);
	assert_string_equal(br_errdetail(), "x 42");
	assert_string_equal(br_strerror(-BR_EHASH), "sha256 mismatch");
	assert_string_equal(br_strerror(-ENOENT), strerror(ENOENT));
}

/* The detail goes with its code: a detail recorded for another code is an
 * earlier failure's, never printed for this one. */
static void test_detail_goes_with_code(void **state)
{
	(void)state;
	br_fail(-BR_EFETCH, "file:///a: No such file or directory");
	assert_string_equal(br_errdetail_of(-BR_EFETCH), "file:///a: No such file or directory");
	assert_string_equal(br_errdetail_of(-ENOSPC), "");
	assert_string_equal(br_errmsg(-ENOSPC), strerror(ENOSPC));
	assert_string_equal(br_errdetail_of(0), "");
	/* the same failure reported under another code keeps its detail */
	assert_int_equal(br_err_recode(-BR_ECONFIG), -BR_ECONFIG);
	assert_string_equal(br_errmsg(-BR_ECONFIG), "file:///a: No such file or directory");
	br_errclear();
	assert_string_equal(br_errmsg(-BR_ECONFIG), "malformed configuration");
}

static void *worker_fails(void *arg)
{
	struct br_err *e = arg;

	br_err_save(e, br_fail(-ENOSPC, "/dev/full: write: %s", strerror(ENOSPC)));
	/* a second failure does not replace the first */
	br_err_save(e, br_fail(-EIO, "later"));
	return NULL;
}

/* A failure on another thread reaches the caller's thread with its
 * detail, replacing the caller's stale one. */
static void test_err_carried_across_threads(void **state)
{
	struct br_err e = {0};
	pthread_t t;

	(void)state;
	br_fail(-BR_EFETCH, "first source: No such file or directory");
	assert_int_equal(pthread_create(&t, NULL, worker_fails, &e), 0);
	pthread_join(t, NULL);
	/* the worker's br_fail() wrote its own thread's detail, not ours */
	assert_string_equal(br_errdetail(), "first source: No such file or directory");
	assert_int_equal(br_err_raise(&e), -ENOSPC);
	assert_string_equal(br_errmsg(-ENOSPC), "/dev/full: write: No space left on device");
	/* an empty carrier changes nothing */
	memset(&e, 0, sizeof(e));
	assert_int_equal(br_err_raise(&e), 0);
	assert_string_equal(br_errmsg(-ENOSPC), "/dev/full: write: No space left on device");
	/* a code saved without a detail of its own carries none */
	br_fail(-BR_EFETCH, "stale");
	assert_int_equal(br_err_save(&e, -ENOMEM), -ENOMEM);
	assert_int_equal(br_err_raise(&e), -ENOMEM);
	assert_string_equal(br_errmsg(-ENOMEM), strerror(ENOMEM));
}

/* The bounded reader: exactly cap is fine, one byte more is the caller's
 * code, never a size taken from fstat. */
static void test_file_read(void **state)
{
	char dir[] = "/tmp/bootrino-test-file.XXXXXX", path[96], link[96], *buf;
	size_t len;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/f", dir);
	snprintf(link, sizeof(link), "%s/l", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("0123456789", f);
	fclose(f);
	assert_int_equal(symlink(path, link), 0);

	assert_int_equal(br_file_read(path, 10, 0, -BR_ECONFIG, &buf, &len), 0);
	assert_int_equal(len, 10);
	assert_string_equal(buf, "0123456789");
	free(buf);
	assert_int_equal(br_file_read(path, 9, 0, -BR_ECONFIG, &buf, &len), -BR_ECONFIG);
	assert_null(buf);
	assert_int_equal(len, 0);
	assert_non_null(strstr(br_errmsg(-BR_ECONFIG), "larger than 9 bytes"));
	assert_int_equal(br_file_read(path, 0, 0, -BR_ETOOBIG, &buf, &len), -BR_ETOOBIG);
	/* not a regular file: the caller's code, unless it allows any */
	assert_int_equal(br_file_read(dir, 100, 0, -BR_ETOOBIG, &buf, &len), -BR_ETOOBIG);
	assert_non_null(strstr(br_errmsg(-BR_ETOOBIG), "not a regular file"));
	assert_int_equal(br_file_read("/dev/null", 100, BR_FILE_ANY, -BR_ETOOBIG, &buf, &len), 0);
	assert_int_equal(len, 0);
	assert_string_equal(buf, "");
	free(buf);
	/* /proc says size 0: what counts is what read() returns */
	assert_int_equal(br_file_read("/proc/self/status", 1 << 16, 0, -BR_ETOOBIG, &buf, &len), 0);
	assert_true(len > 0);
	assert_non_null(strstr(buf, "Pid:"));
	free(buf);
	/* system errors are -errno and name the file */
	assert_int_equal(br_file_read("/nonexistent/x", 100, 0, -BR_ETOOBIG, &buf, &len), -ENOENT);
	assert_string_equal(br_errmsg(-ENOENT), "/nonexistent/x: No such file or directory");
	assert_int_equal(br_file_read(link, 100, BR_FILE_NOFOLLOW, -BR_ETOOBIG, &buf, &len),
			 -ELOOP);
	assert_int_equal(br_file_read(link, 100, 0, -BR_ETOOBIG, &buf, &len), 0);
	free(buf);
	unlink(link);
	unlink(path);
	assert_int_equal(rmdir(dir), 0);
}

/* Atomic replace: the new bytes and mode, nothing left behind, a failure
 * names the file. */
static void test_file_write(void **state)
{
	char dir[] = "/tmp/bootrino-test-fwrite.XXXXXX", path[96], *buf;
	struct stat st;
	size_t len;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/f", dir);
	assert_int_equal(br_file_write(path, "old\n", 4, 0600), 0);
	assert_int_equal(br_file_write(path, "new!\n", 5, 0400), 0);
	assert_int_equal(br_file_read(path, 100, 0, -BR_ETOOBIG, &buf, &len), 0);
	assert_string_equal(buf, "new!\n");
	free(buf);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0400);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0); /* fails if a temporary file was left */
	assert_int_equal(br_file_write(path, "x", 1, 0600), -ENOENT);
	assert_non_null(strstr(br_errmsg(-ENOENT), dir));
}

static void test_parse_size(void **state)
{
	unsigned long long v;

	(void)state;
	assert_int_equal(cli_parse_size("123", &v), 0);
	assert_int_equal(v, 123);
	assert_int_equal(cli_parse_size("4K", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(cli_parse_size("16MiB", &v), 0);
	assert_int_equal(v, 16ULL << 20);
	assert_int_equal(cli_parse_size("2G", &v), 0);
	assert_int_equal(v, 2ULL << 30);
	assert_int_equal(cli_parse_size("", &v), -BR_EUSAGE);
	assert_int_equal(cli_parse_size("-1", &v), -BR_EUSAGE);
	assert_int_equal(cli_parse_size("12X", &v), -BR_EUSAGE);
	assert_int_equal(cli_parse_size("99999999999999999999", &v), -BR_EUSAGE);
	assert_int_equal(cli_parse_size("99999999999G", &v), -BR_EUSAGE);
}

static void test_parse_uint(void **state)
{
	unsigned long v;

	(void)state;
	assert_int_equal(cli_parse_uint("7", 10, &v), 0);
	assert_int_equal(v, 7);
	assert_int_equal(cli_parse_uint("11", 10, &v), -BR_EUSAGE);
	assert_int_equal(cli_parse_uint("1a", 10, &v), -BR_EUSAGE);
	assert_int_equal(cli_parse_uint("-1", 10, &v), -BR_EUSAGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_exit_codes),
	    cmocka_unit_test(test_fail_detail),
	    cmocka_unit_test(test_detail_goes_with_code),
	    cmocka_unit_test(test_err_carried_across_threads),
	    cmocka_unit_test(test_file_read),
	    cmocka_unit_test(test_file_write),
	    cmocka_unit_test(test_parse_size),
	    cmocka_unit_test(test_parse_uint),
	};
	return cmocka_run_group_tests_name("common", tests, NULL, NULL);
}
