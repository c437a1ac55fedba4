/* Unit tests: fetch/ (URL resolution, header parsers, retry policy,
 * option defaults, the hashing pipe, file:// downloads). */
/* cmocka.h needs these first */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "fetch/fetch.h"
#include "fetch/header.h"
#include "fetch/pipe.h"
#include "fetch/retry.h"
#include "fetch/sink.h"
#include "fetch/url.h"
#include "verify/sha256.h"

struct vec {
	const char *ref, *want; /* want NULL: refused */
};

static void check_vectors(const char *base, const struct vec *v, size_t n)
{
	char out[256];
	size_t i;

	for (i = 0; i < n; i++) {
		int rc = fetch_url_resolve(base, v[i].ref, out, sizeof(out));

		if (!v[i].want) {
			if (rc != -BR_EMALFORMED)
				fail_msg("'%s': expected refusal, got rc %d '%s'", v[i].ref, rc,
					 out);
			continue;
		}
		if (rc != 0)
			fail_msg("'%s': rc %d (%s)", v[i].ref, rc, br_errdetail());
		if (strcmp(out, v[i].want) != 0)
			fail_msg("'%s': got '%s', want '%s'", v[i].ref, out, v[i].want);
	}
}

/* RFC 3986 §5.4.1 */
static void test_rfc3986_normal(void **state)
{
	static const struct vec v[] = {
	    {"g:h", NULL}, /* scheme g: refused (only http/https/file) */
	    {"g", "http://a/b/c/g"},
	    {"./g", "http://a/b/c/g"},
	    {"g/", "http://a/b/c/g/"},
	    {"/g", "http://a/g"},
	    {"//g", "http://g"},
	    {"?y", "http://a/b/c/d;p?y"},
	    {"g?y", "http://a/b/c/g?y"},
	    {"#s", "http://a/b/c/d;p?q#s"},
	    {"g#s", "http://a/b/c/g#s"},
	    {"g?y#s", "http://a/b/c/g?y#s"},
	    {";x", "http://a/b/c/;x"},
	    {"g;x", "http://a/b/c/g;x"},
	    {"g;x?y#s", "http://a/b/c/g;x?y#s"},
	    {"", "http://a/b/c/d;p?q"},
	    {".", "http://a/b/c/"},
	    {"./", "http://a/b/c/"},
	    {"..", "http://a/b/"},
	    {"../", "http://a/b/"},
	    {"../g", "http://a/b/g"},
	    {"../..", "http://a/"},
	    {"../../", "http://a/"},
	    {"../../g", "http://a/g"},
	};

	(void)state;
	check_vectors("http://a/b/c/d;p?q", v, sizeof(v) / sizeof(v[0]));
}

/* RFC 3986 §5.4.2 */
static void test_rfc3986_abnormal(void **state)
{
	static const struct vec v[] = {
	    {"../../../g", "http://a/g"},
	    {"../../../../g", "http://a/g"},
	    {"/./g", "http://a/g"},
	    {"/../g", "http://a/g"},
	    {"g.", "http://a/b/c/g."},
	    {".g", "http://a/b/c/.g"},
	    {"g..", "http://a/b/c/g.."},
	    {"..g", "http://a/b/c/..g"},
	    {"./../g", "http://a/b/g"},
	    {"./g/.", "http://a/b/c/g/"},
	    {"g/./h", "http://a/b/c/g/h"},
	    {"g/../h", "http://a/b/c/h"},
	    {"g;x=1/./y", "http://a/b/c/g;x=1/y"},
	    {"g;x=1/../y", "http://a/b/c/y"},
	    {"g?y/./x", "http://a/b/c/g?y/./x"},
	    {"g?y/../x", "http://a/b/c/g?y/../x"},
	    {"g#s/./x", "http://a/b/c/g#s/./x"},
	    {"g#s/../x", "http://a/b/c/g#s/../x"},
	    /* strict result "http:g" has no host: refused (no loophole) */
	    {"http:g", NULL},
	};

	(void)state;
	check_vectors("http://a/b/c/d;p?q", v, sizeof(v) / sizeof(v[0]));
}

static void test_resolve_bootrino(void **state)
{
	static const struct vec https[] = {
	    {"v42/vmlinuz", "https://h/dir/v42/vmlinuz"},
	    {"../loader/loader.json", "https://h/loader/loader.json"},
	    {"HTTPS://Other:8443/x", "https://Other:8443/x"},
	    {"file:///etc/passwd", "file:///etc/passwd"},
	    {"ftp://h/x", NULL},
	    {"javascript:alert(1)", NULL},
	    {"a b", NULL},
	    {"a\nb", NULL},
	    {"caf\xc3\xa9", NULL},
	    {"http://", NULL},
	};
	static const struct vec file[] = {
	    {"v42/vmlinuz", "file:///srv/site/v42/vmlinuz"},
	    {"/abs", "file:///abs"},
	    {"../../../../x", "file:///x"},
	};
	char out[32];

	(void)state;
	check_vectors("https://h/dir/bootrino.sh", https, sizeof(https) / sizeof(https[0]));
	check_vectors("file:///srv/site/bootrino.sh", file, sizeof(file) / sizeof(file[0]));
	/* the base must be absolute and of a scheme we fetch */
	assert_int_equal(fetch_url_resolve("dir/x", "y", out, sizeof(out)), -BR_EMALFORMED);
	assert_int_equal(fetch_url_resolve("ftp://h/x", "y", out, sizeof(out)), -BR_EMALFORMED);
	/* too small an output buffer */
	assert_int_equal(
	    fetch_url_resolve("https://h/dir/", "a-rather-long-file-name.tar.gz", out, sizeof(out)),
	    -BR_ETOOBIG);
	assert_int_equal(fetch_url_resolve("http://h/", "x", out, 11), 0);
	assert_string_equal(out, "http://h/x");
	assert_int_equal(fetch_url_resolve("http://h/", "xy", out, 11), -BR_ETOOBIG);
}

static void test_mirror_rule(void **state)
{
	char out[128];

	(void)state;
	assert_int_equal(fetch_url_mirror("https://m/pub", "v42/vmlinuz", out, sizeof(out)), 0);
	assert_string_equal(out, "https://m/pub/v42/vmlinuz");
	assert_int_equal(fetch_url_mirror("https://m/pub/", "vmlinuz", out, sizeof(out)), 0);
	assert_string_equal(out, "https://m/pub/vmlinuz");
	assert_int_equal(fetch_url_mirror("https://m", "vmlinuz", out, sizeof(out)), 0);
	assert_string_equal(out, "https://m/vmlinuz");
	assert_int_equal(fetch_url_mirror("https://m/pub?x=1", "a", out, sizeof(out)), 0);
	assert_string_equal(out, "https://m/pub/a");
	assert_int_equal(fetch_url_basename("https://a/x/vmlinuz?x=1#f", out, sizeof(out)), 0);
	assert_string_equal(out, "vmlinuz");
	assert_int_equal(fetch_url_basename("https://a/x/", out, sizeof(out)), -BR_EMALFORMED);
	assert_int_equal(fetch_url_scheme("HTTP://a/", out, sizeof(out)), 0);
	assert_string_equal(out, "http");
	assert_int_equal(fetch_url_scheme("gopher://a/", out, sizeof(out)), -BR_EMALFORMED);
}

static void test_file_path(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(fetch_url_file_path("file:///a%20b/c?q#f", out, sizeof(out)), 0);
	assert_string_equal(out, "/a b/c");
	assert_int_equal(fetch_url_file_path("file://localhost/x", out, sizeof(out)), 0);
	assert_string_equal(out, "/x");
	assert_int_equal(fetch_url_file_path("file://evil/x", out, sizeof(out)), -BR_EMALFORMED);
	assert_int_equal(fetch_url_file_path("file:///a%00b", out, sizeof(out)), -BR_EMALFORMED);
	assert_int_equal(fetch_url_file_path("file:///a%2", out, sizeof(out)), -BR_EMALFORMED);
	assert_int_equal(fetch_url_file_path("file:///a%zz", out, sizeof(out)), -BR_EMALFORMED);
	assert_int_equal(fetch_url_file_path("http://h/x", out, sizeof(out)), -BR_EMALFORMED);
	assert_int_equal(fetch_url_file_path("file:///abcdef", out, 4), -BR_ETOOBIG);
}

static int cr(const char *s, struct fetch_content_range *out)
{
	return fetch_parse_content_range(s, strlen(s), out);
}

static void test_content_range(void **state)
{
	struct fetch_content_range r;

	(void)state;
	assert_int_equal(cr("bytes 100-199/200", &r), 0);
	assert_true(r.first == 100 && r.last == 199 && r.complete == 200 && r.complete_known);
	assert_int_equal(cr("  bytes 0-0/*\r\n", &r), 0);
	assert_true(r.first == 0 && r.last == 0 && !r.complete_known);
	assert_int_equal(cr("BYTES 5-9/10", &r), 0);
	assert_int_equal(cr("bytes 18446744073709551614-18446744073709551614/*", &r), 0);
	assert_int_equal(cr("bytes */200", &r), -BR_EMALFORMED);
	assert_int_equal(cr("bytes 10-5/20", &r), -BR_EMALFORMED);
	assert_int_equal(cr("bytes 0-200/200", &r), -BR_EMALFORMED);
	assert_int_equal(cr("bytes -1-5/10", &r), -BR_EMALFORMED);
	assert_int_equal(cr("bytes 1-5", &r), -BR_EMALFORMED);
	assert_int_equal(cr("bytes 1-5/10 x", &r), -BR_EMALFORMED);
	assert_int_equal(cr("items 1-5/10", &r), -BR_EMALFORMED);
	assert_int_equal(cr("bytes1-5/10", &r), -BR_EMALFORMED);
	assert_int_equal(cr("bytes 18446744073709551616-1/*", &r), -BR_EMALFORMED);
	assert_int_equal(cr("", &r), -BR_EMALFORMED);
}

static void test_content_length_retry_after(void **state)
{
	uint64_t v;
	unsigned s;
	const char *val;
	size_t vlen;
	static const char line[] = "content-range:  bytes 1-2/3 \r\n";

	(void)state;
	assert_int_equal(fetch_parse_content_length(" 1234\r\n", 7, &v), 0);
	assert_true(v == 1234);
	assert_int_equal(fetch_parse_content_length("+1", 2, &v), -BR_EMALFORMED);
	assert_int_equal(fetch_parse_content_length("1,1", 3, &v), -BR_EMALFORMED);
	assert_int_equal(fetch_parse_content_length("99999999999999999999", 20, &v),
			 -BR_EMALFORMED);

	assert_int_equal(fetch_parse_retry_after("120", 3, 0, &s), 0);
	assert_int_equal(s, 120);
	assert_int_equal(fetch_parse_retry_after("99999999999999", 14, 0, &s), 0);
	assert_int_equal(s, FETCH_RETRY_AFTER_MAX);
	assert_int_equal(fetch_parse_retry_after("-1", 2, 0, &s), -BR_EMALFORMED);
	assert_int_equal(fetch_parse_retry_after("12x", 3, 0, &s), -BR_EMALFORMED);
	assert_int_equal(fetch_parse_retry_after("", 0, 0, &s), -BR_EMALFORMED);
	/* 1994-11-06 08:49:37 UTC is 784111777 */
	assert_int_equal(
	    fetch_parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 29, 784111777 - 30, &s), 0);
	assert_int_equal(s, 30);
	assert_int_equal(
	    fetch_parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 29, 784111777 + 30, &s), 0);
	assert_int_equal(s, 0);
	assert_int_equal(fetch_parse_retry_after("soon", 4, 0, &s), -BR_EMALFORMED);

	assert_int_equal(fetch_header_match(line, strlen(line), "Content-Range", &val, &vlen), 1);
	assert_int_equal(vlen, 11);
	assert_memory_equal(val, "bytes 1-2/3", 11);
	assert_int_equal(fetch_header_match(line, strlen(line), "Content-Length", &val, &vlen), 0);
	assert_int_equal(fetch_header_match("Range", 5, "Range", &val, &vlen), 0);
}

static void test_retry_policy(void **state)
{
	unsigned i, prev = 0;

	(void)state;
	assert_int_equal(fetch_backoff_ms(500, 30000, 1, 0.0), 250);
	assert_int_equal(fetch_backoff_ms(500, 30000, 1, 0.999999), 499);
	assert_int_equal(fetch_backoff_ms(500, 30000, 2, 0.0), 500);
	assert_int_equal(fetch_backoff_ms(500, 30000, 3, 0.0), 1000);
	assert_int_equal(fetch_backoff_ms(500, 30000, 100, 0.0), 15000);
	assert_true(fetch_backoff_ms(500, 30000, 100, 0.99) < 30000);
	for (i = 1; i < 12; i++) {
		unsigned d = fetch_backoff_ms(500, 30000, i, 0.5);

		assert_true(d >= prev);
		prev = d;
	}
	for (i = 0; i < 100; i++) {
		double r = fetch_jitter();

		assert_true(r >= 0 && r < 1);
	}
	assert_true(fetch_status_transient(503));
	assert_true(fetch_status_transient(500));
	assert_true(fetch_status_transient(408));
	assert_true(fetch_status_transient(425));
	assert_true(fetch_status_transient(429));
	assert_false(fetch_status_transient(404));
	assert_false(fetch_status_transient(403));
	assert_false(fetch_status_transient(416));
	assert_false(fetch_status_transient(200));
}

static void test_opts_defaults(void **state)
{
	struct fetch_opts o;

	(void)state;
	memset(&o, 0xa5, sizeof(o));
	fetch_opts_init(&o);
	assert_null(o.sha256);
	assert_true(o.max_size == FETCH_DEFAULT_MAX_SIZE);
	assert_int_equal(o.n_mirrors, 0);
	assert_null(o.mirror_path);
	assert_null(o.cacert);
	assert_int_equal(o.insecure, 0);
	assert_int_equal(o.retries, FETCH_DEFAULT_RETRIES);
	assert_int_equal(o.connect_timeout_s, FETCH_DEFAULT_CONNECT_TIMEOUT_S);
	assert_int_equal(o.stall_timeout_s, FETCH_DEFAULT_STALL_TIMEOUT_S);
	assert_int_equal(o.deadline_s, 0);
	assert_int_equal(o.backoff_ms, FETCH_DEFAULT_BACKOFF_MS);
	assert_null(o.progress_cb);
}

/* The pipe's digest equals a one-shot digest, across a restart. */
struct collect {
	size_t len;
	int truncated;
};

static int collect_write(void *ctx, const void *data, size_t len)
{
	struct collect *c = ctx;

	(void)data;
	c->len += len;
	return 0;
}

static int collect_truncate(void *ctx)
{
	struct collect *c = ctx;

	c->len = 0;
	c->truncated++;
	return 0;
}

static void test_pipe_digest(void **state)
{
	struct collect c = {0, 0};
	struct fetch_sink sink = {collect_write, collect_truncate, &c, -1};
	struct fetch_pipe *p;
	struct verify_sha256 *ref;
	uint8_t want[VERIFY_SHA256_LEN], got[VERIFY_SHA256_LEN];
	size_t n = 3 * FETCH_PIPE_SLOT_SIZE * FETCH_PIPE_SLOTS + 12345, off;
	unsigned char *data = malloc(n);
	size_t i;

	(void)state;
	assert_non_null(data);
	for (i = 0; i < n; i++)
		data[i] = (unsigned char)(i * 131 + (i >> 9));
	assert_int_equal(verify_sha256_new(&ref), 0);
	verify_sha256_update(ref, data, n);
	verify_sha256_final(ref, want);
	verify_sha256_free(ref);

	assert_int_equal(fetch_pipe_new(&sink, &p), 0);
	/* garbage first, then thrown away: only what follows counts */
	assert_int_equal(fetch_pipe_write(p, "garbage", 7), 0);
	assert_int_equal(fetch_pipe_restart(p), 0);
	assert_int_equal(c.truncated, 1);
	/* odd-sized writes straddle the slots */
	for (off = 0; off < n;) {
		size_t k = 1 + (off * 7919) % 300000;

		if (k > n - off)
			k = n - off;
		assert_int_equal(fetch_pipe_write(p, data + off, k), 0);
		off += k;
	}
	assert_int_equal(fetch_pipe_finish(p, got), 0);
	fetch_pipe_free(p);
	assert_memory_equal(got, want, sizeof(want));
	assert_int_equal(c.len, n);
	free(data);
}

static int fail_write(void *ctx, const void *data, size_t len)
{
	(void)ctx;
	(void)data;
	(void)len;
	return br_fail(-ENOSPC, "sink: disk full");
}

static void test_pipe_sink_error(void **state)
{
	struct fetch_sink sink = {fail_write, NULL, NULL, -1};
	struct fetch_pipe *p;
	static unsigned char buf[FETCH_PIPE_SLOT_SIZE];
	int i, rc = 0;

	(void)state;
	assert_int_equal(fetch_pipe_new(&sink, &p), 0);
	for (i = 0; i < 4 * FETCH_PIPE_SLOTS && rc == 0; i++)
		rc = fetch_pipe_write(p, buf, sizeof(buf));
	if (rc == 0)
		rc = fetch_pipe_flush(p);
	assert_int_equal(rc, -ENOSPC);
	/* the sink failed on the worker thread: its detail comes back too */
	assert_string_equal(br_errmsg(rc), "sink: disk full");
	br_fail(-BR_EFETCH, "stale");
	assert_int_equal(fetch_pipe_flush(p), -ENOSPC);
	assert_string_equal(br_errmsg(-ENOSPC), "sink: disk full");
	fetch_pipe_free(p);
}

/* file:// end to end: pin ok, pin wrong (nothing left behind), limits,
 * memory sink. */
static void test_fetch_file_url(void **state)
{
	char dir[] = "/tmp/bootrino-test-fetch.XXXXXX";
	char src[128], url[160], dst[128], hex[VERIFY_SHA256_HEXLEN + 1];
	uint8_t pin[VERIFY_SHA256_LEN];
	struct fetch_opts o;
	struct fetch_result res;
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(src, sizeof(src), "%s/src file", dir);
	snprintf(url, sizeof(url), "file://%s/src%%20file", dir);
	snprintf(dst, sizeof(dst), "%s/dst", dir);
	f = fopen(src, "w");
	assert_non_null(f);
	fputs("hello, bootrino\n", f);
	fclose(f);
	assert_int_equal(verify_sha256_file(src, pin), 0);

	fetch_opts_init(&o);
	o.sha256 = pin;
	assert_int_equal(fetch_to_file(url, dst, &o, &res), 0);
	assert_int_equal(res.size, 16);
	assert_memory_equal(res.sha256, pin, sizeof(pin));
	assert_int_equal(stat(dst, &st), 0);
	assert_int_equal(st.st_size, 16);

	assert_int_equal(fetch_to_memory(url, 100, &o, &buf, &len, &res), 0);
	assert_int_equal(len, 16);
	assert_string_equal(buf, "hello, bootrino\n");
	free(buf);
	buf = NULL;
	assert_int_equal(fetch_to_memory(url, 15, &o, &buf, &len, &res), -BR_ETOOBIG);
	assert_null(buf);

	/* wrong pin: the good file stays, no temp file appears */
	pin[0] ^= 1;
	assert_int_equal(fetch_to_file(url, dst, &o, &res), -BR_EHASH);
	verify_sha256_hex(pin, hex);
	assert_non_null(strstr(br_errdetail(), "sha256 mismatch: expected "));
	assert_non_null(strstr(br_errdetail(), hex));
	assert_int_equal(stat(dst, &st), 0);
	assert_int_equal(st.st_size, 16);
	o.sha256 = NULL;
	o.max_size = 10;
	assert_int_equal(fetch_to_file(url, dst, &o, &res), -BR_ETOOBIG);
	o.max_size = 0;

	/* a write error names the file, also after another source failed */
	assert_int_equal(fetch_to_file(url, "/dev/full", &o, &res), -ENOSPC);
	assert_string_equal(br_errmsg(-ENOSPC), "/dev/full: write: No space left on device");
	{
		char missing[160], base[160];

		snprintf(missing, sizeof(missing), "file://%s/none/src%%20file", dir);
		snprintf(base, sizeof(base), "file://%s/", dir);
		o.mirrors[0] = base;
		o.n_mirrors = 1;
		assert_int_equal(fetch_to_file(missing, "/dev/full", &o, &res), -ENOSPC);
		assert_string_equal(br_errmsg(-ENOSPC),
				    "/dev/full: write: No space left on device");
		o.n_mirrors = 0;
	}

	unlink(dst);
	unlink(src);
	assert_int_equal(rmdir(dir), 0); /* fails if a temp file was left */
}

/* A restart into a character device must fail, not append the file's
 * start a second time after the bytes already written. */
static void test_device_sink_restart(void **state)
{
	struct fetch_file_sink fs;
	struct fetch_sink sink;

	(void)state;
	assert_int_equal(fetch_file_sink_open("/dev/null", &fs, &sink), 0);
	assert_int_equal(fs.device, 1);
	assert_int_equal(sink.truncate(sink.ctx), 0); /* nothing written yet */
	assert_int_equal(sink.write(sink.ctx, "abc", 3), 0);
	assert_int_equal(sink.truncate(sink.ctx), -ESPIPE);
	assert_non_null(strstr(br_errdetail(), "/dev/null: cannot restart"));
	assert_int_equal(fetch_file_sink_commit(&fs), 0);
	fetch_file_sink_close(&fs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rfc3986_normal),
	    cmocka_unit_test(test_rfc3986_abnormal),
	    cmocka_unit_test(test_resolve_bootrino),
	    cmocka_unit_test(test_mirror_rule),
	    cmocka_unit_test(test_file_path),
	    cmocka_unit_test(test_content_range),
	    cmocka_unit_test(test_content_length_retry_after),
	    cmocka_unit_test(test_retry_policy),
	    cmocka_unit_test(test_opts_defaults),
	    cmocka_unit_test(test_pipe_digest),
	    cmocka_unit_test(test_pipe_sink_error),
	    cmocka_unit_test(test_fetch_file_url),
	    cmocka_unit_test(test_device_sink_restart),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
