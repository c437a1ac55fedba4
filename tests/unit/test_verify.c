/* Unit tests: verify/ (sha256, artifacts, minisign, rollback). */
/* cmocka.h needs these first */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "verify/base64.h"
#include "verify/comment.h"
#include "verify/minisign.h"
#include "verify/rollback.h"
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
	assert_string_equal(hex,
			    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	verify_sha256_free(ctx);
}

static void test_sha256_parse(void **state)
{
	uint8_t d[VERIFY_SHA256_LEN];
	char hex[VERIFY_SHA256_HEXLEN + 1];

	(void)state;
	assert_int_equal(verify_sha256_parse(
			     "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD", d),
			 0);
	verify_sha256_hex(d, hex);
	assert_string_equal(hex,
			    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(verify_sha256_parse("ba78", d), -BR_EMALFORMED);
	assert_int_equal(
	    verify_sha256_parse(
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015adff", d),
	    -BR_EMALFORMED);
	assert_int_equal(verify_sha256_parse(
			     "ga7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", d),
			 -BR_EMALFORMED);
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
	/* issue 10, the re-read window: the file is rewritten after it was
	 * hashed, same size, mtime put back — an identity check (dev, inode,
	 * size, mtime) cannot see it. What the artifact hands out must still
	 * be the bytes that were hashed. */
	{
		struct stat st;
		struct timespec ts[2];
		char got[4] = "";

		assert_int_equal(stat(path, &st), 0);
		fd = open(path, O_WRONLY);
		assert_int_equal(pwrite(fd, "xyz", 3, 0), 3);
		ts[0] = st.st_atim;
		ts[1] = st.st_mtim;
		assert_int_equal(futimens(fd, ts), 0);
		close(fd);
		fd = verify_artifact_fd(a);
		assert_true(fd >= 0);
		assert_int_equal(pread(fd, got, 3, 0), 3);
		assert_memory_equal(got, "abc", 3);
		/* and the copy cannot be written through the fd's file */
		assert_true(write(fd, "q", 1) < 0);
	}
	/* appending to the file changes nothing either */
	fd = open(path, O_WRONLY | O_APPEND);
	assert_int_equal(write(fd, "d", 1), 1);
	close(fd);
	assert_true(verify_artifact_fd(a) >= 0);
	assert_int_equal(verify_artifact_size(a), 3);
	verify_artifact_close(a);
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_int_equal(write(fd, "abc", 3), 3);
	close(fd);
	/* wrong pin */
	d[0] ^= 1;
	assert_int_equal(verify_artifact_open(path, d, &a), -BR_EHASH);
	assert_non_null(strstr(br_errdetail(), "sha256 mismatch"));
	assert_int_equal(verify_artifact_open(path, NULL, &a), -BR_EINSECURE);
	unlink(path);
}

/* --- minisign -------------------------------------------------------------
 * Vectors made once with minisign 0.11 (Debian 12):
 *   minisign -G -W -p k1.pub -s k1.key; minisign -G -W -p k2.pub -s k2.key
 *   printf 'hello bootrino\n' > msg.txt
 *   minisign -S -s k1.key -m msg.txt -t 'timestamp:1700000000<TAB>file:msg.txt<TAB>hashed'
 *   minisign -S -l -s k1.key -m msg.txt -t 'timestamp:1700000000<TAB>file:msg.txt'
 *   minisign -S -s k2.key -m msg.txt -t 'timestamp:1800000000'
 *   minisign -S -l -s k1.key -m empty.txt -t 'no timestamp here'   (empty.txt: 0 bytes)
 * Public test data only; the secret keys were thrown away. */
static const char MSG[] = "hello bootrino\n";
static const char K1[] = "RWSt4aMicYWqK5aBz3luUKcyWLkCDrFgD8gdlbBxvmETu9Szn6qrmezW";
static const char K2[] = "RWSJHyvDsUqbOEibuXHfY4anLjoMPif9ryRKylj4q1xPZfKOK4b8Icqn";
static const char K1_PUB[] = "untrusted comment: minisign public key 2BAA857122A3E1AD\n"
			     "RWSt4aMicYWqK5aBz3luUKcyWLkCDrFgD8gdlbBxvmETu9Szn6qrmezW\n";
static const char SIG_ED[] =
    "untrusted comment: signature from minisign secret key\n"
    "RUSt4aMicYWqK+6PKGrPH0wcGO+ma7r/QDcrJLOruEjmF2QZa5y7T5zKVyc3Zs+/"
    "zMvtCni1zF6EGZ+4i3x2hebmLuEapzFMTwM=\n"
    "trusted comment: timestamp:1700000000\tfile:msg.txt\thashed\n"
    "PeJd1Hr9/s6laRfHHu1wFpdtZLHAnzTt34J4CW4Xd3nF60ipf5MG6h+SKDpQqAXNR5yUAT9PyaYikXxp0D6lCw==\n";
static const char SIG_LEGACY[] =
    "untrusted comment: signature from minisign secret key\n"
    "RWSt4aMicYWqKywiEJ4UGPsCkxGnqSy0MX5/+E5/"
    "uU1UgbXTToebvuYgjNQ21eBCTVGpv2G93jmJUm9Bgz5mnT4R8QG7dU87WQo=\n"
    "trusted comment: timestamp:1700000000\tfile:msg.txt\n"
    "JxfKC4MuM+Z2w+En3VvLbi6qfdQLqC4Dy03HFrmcMx7v665RwOyeASQgtiS0vH83oGdjshsbX9/XlAo74rLDAQ==\n";
static const char SIG_K2[] =
    "untrusted comment: signature from minisign secret key\n"
    "RUSJHyvDsUqbOPHtBuPuFFCfAXlQG3+"
    "SlgRk9MXtAxkOkiCONHgvT8iIwD1PVQYdXM0suEe5vjJlkt4XrY1RTtzi9YKmJSBEdAY=\n"
    "trusted comment: timestamp:1800000000\n"
    "/lIEB+bx/oGpBmmVoJ+oyGQmbxc7oFbpNrzKUv7Kxih0TInz250daM2frIDPfM/FyYbTsv4Xq3hNwj0ZbzWeBQ==\n";
static const char SIG_EMPTY_LEGACY[] =
    "untrusted comment: signature from minisign secret key\n"
    "RWSt4aMicYWqK4mqG8WiUpFEhgk6jfjOELGMJXyMzyfDT5Ao2qp8kXW2+q3/vxO09iA/"
    "WO2IqcevbwIIgHezUtxumGcgicSMfwI=\n"
    "trusted comment: no timestamp here\n"
    "w5ofc8ShrQqXB86SAeqOM3R2FhyhkyOscD5VOoj3oiqSQ/3FBdOvgB6M3fTvK7y3e/mzSpa2UlRz2RCPd+8ZAA==\n";

/* Test-side encoder, to build tampered vectors. */
static void b64enc(const uint8_t *in, size_t n, char *out)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i, o = 0;

	for (i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0) |
			     (i + 2 < n ? in[i + 2] : 0);

		out[o++] = a[v >> 18 & 63];
		out[o++] = a[v >> 12 & 63];
		out[o++] = i + 1 < n ? a[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? a[v & 63] : '=';
	}
	out[o] = '\0';
}

/* Copy line `idx` (0-based) of text into out (no newline); returns length. */
static size_t get_line(const char *text, int idx, char *out)
{
	const char *p = text, *e;

	while (idx-- > 0)
		p = strchr(p, '\n') + 1;
	e = strchr(p, '\n');
	memcpy(out, p, (size_t)(e - p));
	out[e - p] = '\0';
	return (size_t)(e - p);
}

/* text with line idx replaced by repl. */
static void set_line(const char *text, int idx, const char *repl, char *out)
{
	char l[4][2048];
	int i;

	for (i = 0; i < 4; i++)
		get_line(text, i, l[i]);
	snprintf(l[idx], sizeof(l[idx]), "%s", repl);
	sprintf(out, "%s\n%s\n%s\n%s\n", l[0], l[1], l[2], l[3]);
}

/* Flip bit `bit` of byte `off` in the base64 blob of line idx (1 or 3). */
static void flip(const char *text, int idx, size_t off, int bit, char *out)
{
	char line[256], enc[256];
	uint8_t bin[80];
	size_t n = idx == 1 ? 74 : 64;

	get_line(text, idx, line);
	assert_int_equal(verify_base64_decode(line, strlen(line), bin, n), 0);
	bin[off] ^= (uint8_t)(1u << bit);
	b64enc(bin, n, enc);
	set_line(text, idx, enc, out);
}

static void keyring1(struct verify_keyring *kr, const char *key)
{
	memset(kr, 0, sizeof(*kr));
	assert_int_equal(verify_keyring_add(kr, key), 0);
}

static int vbuf(const struct verify_keyring *kr, const char *msg, const char *sig,
		struct verify_sigresult *res)
{
	br_errclear();
	return verify_minisign_buf(kr, msg, strlen(msg), sig, strlen(sig), res);
}

static void test_base64(void **state)
{
	uint8_t b[8];

	(void)state;
	assert_int_equal(verify_base64_decode("YWJj", 4, b, 3), 0);
	assert_memory_equal(b, "abc", 3);
	assert_int_equal(verify_base64_decode("YWI=", 4, b, 2), 0);
	assert_memory_equal(b, "ab", 2);
	assert_int_equal(verify_base64_decode("YQ==", 4, b, 1), 0);
	assert_int_equal(b[0], 'a');
	assert_int_equal(verify_base64_decode("YWJj", 4, b, 2), -BR_EMALFORMED); /* length */
	assert_int_equal(verify_base64_decode("YWI", 3, b, 2), -BR_EMALFORMED);	 /* no pad */
	assert_int_equal(verify_base64_decode("YWJ=", 4, b, 2), -BR_EMALFORMED); /* pad bits */
	assert_int_equal(verify_base64_decode("YR==", 4, b, 1), -BR_EMALFORMED); /* pad bits */
	assert_int_equal(verify_base64_decode("Y===", 4, b, 1), -BR_EMALFORMED);
	assert_int_equal(verify_base64_decode("=WJj", 4, b, 3), -BR_EMALFORMED);
	assert_int_equal(verify_base64_decode("YW j", 4, b, 3), -BR_EMALFORMED);
	assert_int_equal(verify_base64_decode("YW-j", 4, b, 3), -BR_EMALFORMED); /* url-safe */
	assert_int_equal(verify_base64_decode("YW\0j", 4, b, 3), -BR_EMALFORMED);
	assert_int_equal(verify_base64_decode("", 0, b, 0), -BR_EMALFORMED);
}

static void test_parse_pubkey(void **state)
{
	struct verify_pubkey pk;
	char hex[VERIFY_KEYID_HEXLEN + 1], bad[64];
	uint8_t bin[42];

	(void)state;
	assert_int_equal(verify_minisign_parse_pubkey(K1, strlen(K1), &pk), 0);
	assert_memory_equal(pk.alg, "Ed", 2);
	verify_keyid_hex(pk.keyid, hex);
	assert_string_equal(hex, "2BAA857122A3E1AD"); /* as in the .pub comment */
	assert_int_equal(verify_minisign_parse_pubkey(K1, strlen(K1) - 1, &pk), -BR_EMALFORMED);
	assert_non_null(strstr(br_errdetail(), "55 characters"));
	snprintf(bad, sizeof(bad), "%s", K1);
	bad[10] = '*';
	assert_int_equal(verify_minisign_parse_pubkey(bad, strlen(bad), &pk), -BR_EMALFORMED);
	assert_non_null(strstr(br_errdetail(), "base64"));
	/* another algorithm ("ED" is a signature algorithm, never a key's) */
	assert_int_equal(verify_base64_decode(K1, strlen(K1), bin, sizeof(bin)), 0);
	bin[1] = 'D';
	b64enc(bin, sizeof(bin), bad);
	assert_int_equal(verify_minisign_parse_pubkey(bad, strlen(bad), &pk), -BR_EMALFORMED);
	assert_non_null(strstr(br_errdetail(), "algorithm"));
}

static void test_parse_pubfile(void **state)
{
	struct verify_pubkey pk, ref;
	char text[9000];

	(void)state;
	assert_int_equal(verify_minisign_parse_pubkey(K1, strlen(K1), &ref), 0);
	assert_int_equal(verify_minisign_parse_pubfile(K1_PUB, strlen(K1_PUB), &pk), 0);
	assert_memory_equal(&pk, &ref, sizeof(pk));
	/* no final newline; CRLF */
	assert_int_equal(verify_minisign_parse_pubfile(K1_PUB, strlen(K1_PUB) - 1, &pk), 0);
	snprintf(text, sizeof(text), "untrusted comment: x\r\n%s\r\n", K1);
	assert_int_equal(verify_minisign_parse_pubfile(text, strlen(text), &pk), 0);
	/* refused: stray CR, no comment, trailing garbage, truncated, NUL, huge */
	snprintf(text, sizeof(text), "untrusted comment: x\ry\n%s\n", K1);
	assert_int_equal(verify_minisign_parse_pubfile(text, strlen(text), &pk), -BR_EMALFORMED);
	snprintf(text, sizeof(text), "%s\n", K1);
	assert_int_equal(verify_minisign_parse_pubfile(text, strlen(text), &pk), -BR_EMALFORMED);
	snprintf(text, sizeof(text), "%s\n", K1_PUB);
	assert_int_equal(verify_minisign_parse_pubfile(text, strlen(text), &pk), -BR_EMALFORMED);
	assert_non_null(strstr(br_errdetail(), "after the key"));
	assert_int_equal(verify_minisign_parse_pubfile(K1_PUB, 40, &pk), -BR_EMALFORMED);
	assert_non_null(strstr(br_errdetail(), "truncated"));
	assert_int_equal(verify_minisign_parse_pubfile(K1_PUB, strlen(K1_PUB) - 5, &pk),
			 -BR_EMALFORMED);
	assert_int_equal(verify_minisign_parse_pubfile("", 0, &pk), -BR_EMALFORMED);
	assert_int_equal(verify_minisign_parse_pubfile(K1_PUB, sizeof(K1_PUB), &pk),
			 -BR_EMALFORMED); /* includes the NUL */
	memset(text, 'a', sizeof(text));
	assert_int_equal(verify_minisign_parse_pubfile(text, sizeof(text), &pk), -BR_EMALFORMED);
	assert_non_null(strstr(br_errdetail(), "larger than"));
}

static void test_keyring(void **state)
{
	char path[] = "/tmp/bootrino-pub-XXXXXX";
	struct verify_keyring kr;
	char key[64];
	uint8_t bin[42];
	int fd, i;

	(void)state;
	memset(&kr, 0, sizeof(kr));
	assert_int_equal(verify_keyring_add(&kr, K1), 0);
	assert_int_equal(verify_keyring_add(&kr, K1), 0); /* same key again: no-op */
	assert_int_equal(kr.n, 1);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, K1_PUB, strlen(K1_PUB)), (ssize_t)strlen(K1_PUB));
	close(fd);
	assert_int_equal(verify_keyring_add(&kr, path), 0); /* the .pub of K1 */
	assert_int_equal(kr.n, 1);
	assert_int_equal(verify_keyring_add(&kr, K2), 0);
	assert_int_equal(kr.n, 2);
	/* a file that is not a .pub names the file */
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_int_equal(write(fd, "hello\n", 6), 6);
	close(fd);
	assert_int_equal(verify_keyring_add(&kr, path), -BR_EMALFORMED);
	assert_non_null(strstr(br_errdetail(), path));
	unlink(path);
	/* neither a key nor a file */
	assert_int_equal(verify_keyring_add(&kr, "RWSnotakey"), -BR_EMALFORMED);
	assert_non_null(strstr(br_errdetail(), "no such .pub file"));
	/* same key ID, different key: ambiguous */
	assert_int_equal(verify_base64_decode(K1, strlen(K1), bin, sizeof(bin)), 0);
	bin[41] ^= 1;
	b64enc(bin, sizeof(bin), key);
	assert_int_equal(verify_keyring_add(&kr, key), -BR_EMALFORMED);
	assert_non_null(strstr(br_errdetail(), "same key ID 2BAA857122A3E1AD"));
	/* capacity */
	for (i = 0; kr.n < VERIFY_MAX_KEYS; i++) {
		bin[2] = (uint8_t)(0x80 + i);
		b64enc(bin, sizeof(bin), key);
		assert_int_equal(verify_keyring_add(&kr, key), 0);
	}
	bin[2] = 0x7f;
	b64enc(bin, sizeof(bin), key);
	assert_int_equal(verify_keyring_add(&kr, key), -BR_ETOOBIG);
}

static void test_verify_good(void **state)
{
	struct verify_keyring kr;
	struct verify_sigresult res;

	(void)state;
	keyring1(&kr, K1);
	assert_int_equal(vbuf(&kr, MSG, SIG_ED, &res), 0);
	assert_true(res.prehashed);
	assert_string_equal(res.trusted_comment, "timestamp:1700000000\tfile:msg.txt\thashed");
	assert_true(res.has_timestamp);
	assert_int_equal(res.timestamp, 1700000000);
	assert_int_equal(vbuf(&kr, MSG, SIG_LEGACY, &res), 0);
	assert_false(res.prehashed);
	assert_int_equal(res.timestamp, 1700000000);
	assert_int_equal(vbuf(&kr, "", SIG_EMPTY_LEGACY, &res), 0);
	assert_false(res.has_timestamp);
	assert_string_equal(res.trusted_comment, "no timestamp here");
	/* rotation: two trusted keys, the second one signed */
	assert_int_equal(verify_keyring_add(&kr, K2), 0);
	assert_int_equal(vbuf(&kr, MSG, SIG_K2, &res), 0);
	assert_int_equal(res.key_index, 1);
	assert_int_equal(res.timestamp, 1800000000);
	assert_int_equal(vbuf(&kr, MSG, SIG_ED, &res), 0);
	assert_int_equal(res.key_index, 0);
}

static void test_verify_streaming(void **state)
{
	struct verify_keyring kr;
	struct verify_sigresult res;
	struct verify_minisign_ctx *ctx;
	const char *sigs[] = {SIG_ED, SIG_LEGACY};
	size_t i, j;

	(void)state;
	keyring1(&kr, K1);
	for (j = 0; j < 2; j++) {
		assert_int_equal(verify_minisign_begin(&kr, sigs[j], strlen(sigs[j]), &ctx), 0);
		for (i = 0; i < strlen(MSG); i++) /* byte by byte */
			assert_int_equal(verify_minisign_update(ctx, MSG + i, 1), 0);
		assert_int_equal(verify_minisign_final(ctx, &res), 0);
		verify_minisign_free(ctx);
	}
	/* unknown key: refused before any byte is hashed */
	keyring1(&kr, K2);
	assert_int_equal(verify_minisign_begin(&kr, SIG_ED, strlen(SIG_ED), &ctx), -BR_EKEYID);
}

static void test_verify_wrong(void **state)
{
	struct verify_keyring kr;
	struct verify_sigresult res;

	(void)state;
	keyring1(&kr, K2);
	assert_int_equal(vbuf(&kr, MSG, SIG_ED, &res), -BR_EKEYID);
	assert_non_null(strstr(br_errdetail(), "unknown key ID 2BAA857122A3E1AD"));
	keyring1(&kr, K1);
	assert_int_equal(vbuf(&kr, "hello bootrinO\n", SIG_ED, &res), -BR_ESIG);
	assert_non_null(strstr(br_errdetail(), "bad signature"));
	assert_int_equal(vbuf(&kr, "hello bootrino\n\n", SIG_LEGACY, &res), -BR_ESIG);
	assert_int_equal(vbuf(&kr, "", SIG_ED, &res), -BR_ESIG);
	assert_int_equal(res.has_timestamp, 0); /* nothing reported on failure */
	assert_string_equal(res.trusted_comment, "");
}

static void test_verify_tampered(void **state)
{
	struct verify_keyring kr;
	struct verify_sigresult res;
	char t[4096];
	size_t off;

	(void)state;
	keyring1(&kr, K1);
	/* trusted comment edited */
	set_line(SIG_ED, 2, "trusted comment: timestamp:1900000000\tfile:msg.txt\thashed", t);
	assert_int_equal(vbuf(&kr, MSG, t, &res), -BR_ESIG);
	assert_non_null(strstr(br_errdetail(), "trusted comment tampered"));
	set_line(SIG_LEGACY, 2, "trusted comment: timestamp:1700000000\tfile:msg.txt ", t);
	assert_int_equal(vbuf(&kr, MSG, t, &res), -BR_ESIG);
	/* untrusted comment: free to change, as in minisign */
	set_line(SIG_ED, 0, "untrusted comment: anything at all", t);
	assert_int_equal(vbuf(&kr, MSG, t, &res), 0);
	/* algorithm byte: ED <-> Ed changes what is verified; other values refused */
	flip(SIG_ED, 1, 1, 5, t); /* 'D' ^ 0x20 = 'd' */
	assert_int_equal(vbuf(&kr, MSG, t, &res), -BR_ESIG);
	flip(SIG_ED, 1, 1, 0, t);
	assert_int_equal(vbuf(&kr, MSG, t, &res), -BR_EMALFORMED);
	assert_non_null(strstr(br_errdetail(), "algorithm"));
	/* key ID bits */
	for (off = 2; off < 10; off++) {
		flip(SIG_ED, 1, off, (int)off % 8, t);
		assert_int_equal(vbuf(&kr, MSG, t, &res), -BR_EKEYID);
	}
	/* signature bits, first and last bytes included */
	for (off = 10; off < 74; off += 7) {
		flip(SIG_ED, 1, off, (int)off % 8, t);
		assert_int_equal(vbuf(&kr, MSG, t, &res), -BR_ESIG);
		flip(SIG_LEGACY, 1, off, 7, t);
		assert_int_equal(vbuf(&kr, MSG, t, &res), -BR_ESIG);
	}
	flip(SIG_ED, 1, 73, 7, t);
	assert_int_equal(vbuf(&kr, MSG, t, &res), -BR_ESIG);
	/* global signature bits */
	for (off = 0; off < 64; off += 9) {
		flip(SIG_ED, 3, off, (int)off % 8, t);
		assert_int_equal(vbuf(&kr, MSG, t, &res), -BR_ESIG);
		assert_non_null(strstr(br_errdetail(), "trusted comment tampered"));
	}
	flip(SIG_ED, 3, 63, 0, t);
	assert_int_equal(vbuf(&kr, MSG, t, &res), -BR_ESIG);
}

static void test_verify_truncated(void **state)
{
	struct verify_keyring kr;
	struct verify_sigresult res;
	const char *sigs[] = {SIG_ED, SIG_LEGACY};
	size_t i, j;

	(void)state;
	keyring1(&kr, K1);
	for (j = 0; j < 2; j++) {
		size_t n = strlen(sigs[j]);

		/* every prefix fails as malformed, except the one missing only the
		 * final newline */
		for (i = 0; i < n - 1; i++) {
			br_errclear();
			assert_int_equal(
			    verify_minisign_buf(&kr, MSG, strlen(MSG), sigs[j], i, &res),
			    -BR_EMALFORMED);
		}
		assert_int_equal(verify_minisign_buf(&kr, MSG, strlen(MSG), sigs[j], n - 1, &res),
				 0);
	}
	assert_int_equal(verify_minisign_buf(&kr, MSG, strlen(MSG), SIG_ED, 60, &res),
			 -BR_EMALFORMED);
	assert_non_null(strstr(br_errdetail(), "signature line"));
	assert_int_equal(verify_minisign_buf(&kr, MSG, strlen(MSG), SIG_ED, 155, &res),
			 -BR_EMALFORMED);
	assert_non_null(strstr(br_errdetail(), "truncated, no trusted comment line"));
	assert_int_equal(verify_minisign_buf(&kr, MSG, strlen(MSG), SIG_ED, 0, &res),
			 -BR_EMALFORMED);
	assert_non_null(strstr(br_errdetail(), "empty"));
}

static void test_verify_malformed(void **state)
{
	struct verify_keyring kr;
	struct verify_sigresult res;
	char t[8192], l[256];
	size_t i, n;

	(void)state;
	keyring1(&kr, K1);
	/* CRLF everywhere is accepted, like minisign */
	for (i = 0, n = 0; SIG_ED[i]; i++) {
		if (SIG_ED[i] == '\n')
			t[n++] = '\r';
		t[n++] = SIG_ED[i];
	}
	t[n] = '\0';
	assert_int_equal(vbuf(&kr, MSG, t, &res), 0);
	assert_string_equal(res.trusted_comment, "timestamp:1700000000\tfile:msg.txt\thashed");
	/* a CR inside a line is not */
	set_line(SIG_ED, 2, "trusted comment: timestamp:1700000000\r\tfile:msg.txt\thashed", t);
	assert_int_equal(vbuf(&kr, MSG, t, &res), -BR_EMALFORMED);
	assert_non_null(strstr(br_errdetail(), "carriage return"));
	/* trailing data: an extra line, an extra newline, a space */
	snprintf(t, sizeof(t), "%sextra\n", SIG_ED);
	assert_int_equal(vbuf(&kr, MSG, t, &res), -BR_EMALFORMED);
	assert_non_null(strstr(br_errdetail(), "after the global signature"));
	snprintf(t, sizeof(t), "%s\n", SIG_ED);
	assert_int_equal(vbuf(&kr, MSG, t, &res), -BR_EMALFORMED);
	n = get_line(SIG_ED, 3, l);
	l[n] = ' ';
	l[n + 1] = '\0';
	set_line(SIG_ED, 3, l, t);
	assert_int_equal(vbuf(&kr, MSG, t, &res), -BR_EMALFORMED);
	/* wrong prefixes */
	set_line(SIG_ED, 0, "untrusted comment:no space", t);
	assert_int_equal(vbuf(&kr, MSG, t, &res), -BR_EMALFORMED);
	set_line(SIG_ED, 2, "Trusted comment: timestamp:1700000000\tfile:msg.txt\thashed", t);
	assert_int_equal(vbuf(&kr, MSG, t, &res), -BR_EMALFORMED);
	assert_non_null(strstr(br_errdetail(), "third line"));
	/* lines swapped */
	set_line(SIG_ED, 1, "trusted comment: x", t);
	assert_int_equal(vbuf(&kr, MSG, t, &res), -BR_EMALFORMED);
	/* bad base64: a bad character, a missing '=', whitespace */
	get_line(SIG_ED, 1, l);
	l[20] = '!';
	set_line(SIG_ED, 1, l, t);
	assert_int_equal(vbuf(&kr, MSG, t, &res), -BR_EMALFORMED);
	assert_non_null(strstr(br_errdetail(), "base64"));
	get_line(SIG_ED, 1, l);
	l[strlen(l) - 1] = '\0';
	set_line(SIG_ED, 1, l, t);
	assert_int_equal(vbuf(&kr, MSG, t, &res), -BR_EMALFORMED);
	get_line(SIG_ED, 3, l);
	l[40] = ' ';
	set_line(SIG_ED, 3, l, t);
	assert_int_equal(vbuf(&kr, MSG, t, &res), -BR_EMALFORMED);
	assert_non_null(strstr(br_errdetail(), "global signature"));
	/* NUL byte */
	assert_int_equal(verify_minisign_buf(&kr, MSG, strlen(MSG), SIG_ED, sizeof(SIG_ED), &res),
			 -BR_EMALFORMED);
	assert_non_null(strstr(br_errdetail(), "NUL"));
	/* oversized trusted comment (1025 bytes) and file (4097 bytes) */
	memset(l, 0, sizeof(l));
	n = (size_t)snprintf(t, sizeof(t), "trusted comment: ");
	memset(t + n, 'x', VERIFY_COMMENT_MAX + 1);
	t[n + VERIFY_COMMENT_MAX + 1] = '\0';
	{
		char big[8192];

		set_line(SIG_ED, 2, t, big);
		assert_int_equal(vbuf(&kr, MSG, big, &res), -BR_EMALFORMED);
		assert_non_null(strstr(br_errdetail(), "longer than 1024"));
		memset(big, 'a', VERIFY_SIGFILE_MAX + 1);
		big[VERIFY_SIGFILE_MAX + 1] = '\0';
		assert_int_equal(vbuf(&kr, MSG, big, &res), -BR_EMALFORMED);
		assert_non_null(strstr(br_errdetail(), "larger than 4096"));
	}
	/* garbage */
	assert_int_equal(vbuf(&kr, MSG, "garbage\n", &res), -BR_EMALFORMED);
	assert_int_equal(vbuf(&kr, MSG, "\n\n\n\n", &res), -BR_EMALFORMED);
}

static char *write_tmp(const char *content, size_t len)
{
	char *path = strdup("/tmp/bootrino-ms-XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, len), (ssize_t)len);
	close(fd);
	return path;
}

static void test_verify_file(void **state)
{
	struct verify_keyring kr;
	struct verify_sigresult res;
	char *msg = write_tmp(MSG, strlen(MSG));
	char *sig = write_tmp(SIG_ED, strlen(SIG_ED));
	char *leg = write_tmp(SIG_LEGACY, strlen(SIG_LEGACY));
	char big[VERIFY_SIGFILE_MAX + 2];
	char *bigsig;
	int fd;

	(void)state;
	keyring1(&kr, K1);
	assert_int_equal(verify_minisign_file(&kr, msg, sig, &res), 0);
	assert_int_equal(res.timestamp, 1700000000);
	assert_int_equal(verify_minisign_file(&kr, msg, leg, &res), 0);
	assert_int_equal(verify_minisign_file(&kr, msg, "/nonexistent.minisig", &res), -ENOENT);
	assert_int_equal(verify_minisign_file(&kr, "/nonexistent", sig, &res), -ENOENT);
	/* a huge .minisig is refused after reading at most cap + 1 bytes */
	memset(big, 'a', sizeof(big));
	bigsig = write_tmp(big, sizeof(big));
	br_errclear();
	assert_int_equal(verify_minisign_file(&kr, msg, bigsig, &res), -BR_EMALFORMED);
	assert_non_null(strstr(br_errdetail(), bigsig));
	/* a malformed .minisig is named in the detail */
	fd = open(bigsig, O_WRONLY | O_TRUNC);
	assert_int_equal(write(fd, "untrusted comment: x\n", 21), 21);
	close(fd);
	assert_int_equal(verify_minisign_file(&kr, msg, bigsig, &res), -BR_EMALFORMED);
	assert_non_null(strstr(br_errdetail(), bigsig));
	assert_non_null(strstr(br_errdetail(), "truncated"));
	/* legacy: a message over the cap is refused before it is read */
	fd = open(msg, O_WRONLY);
	assert_int_equal(ftruncate(fd, (off_t)VERIFY_LEGACY_MAX + 1), 0);
	close(fd);
	assert_int_equal(verify_minisign_file(&kr, msg, leg, &res), -BR_ETOOBIG);
	assert_non_null(strstr(br_errdetail(), "prehashed"));
	/* prehashed: the same big file streams (and fails honestly) */
	assert_int_equal(verify_minisign_file(&kr, msg, sig, &res), -BR_ESIG);
	unlink(msg), unlink(sig), unlink(leg), unlink(bigsig);
	free(msg), free(sig), free(leg), free(bigsig);
}

static void test_timestamp(void **state)
{
	uint64_t ts = 0;

	(void)state;
	assert_int_equal(verify_trusted_timestamp("timestamp:1700000000\tfile:x", &ts), 1);
	assert_int_equal(ts, 1700000000);
	assert_int_equal(verify_trusted_timestamp("file:x\ttimestamp:42", &ts), 1);
	assert_int_equal(ts, 42);
	assert_int_equal(verify_trusted_timestamp("v2 timestamp:7 x", &ts), 1);
	assert_int_equal(ts, 7);
	assert_int_equal(verify_trusted_timestamp("timestamp:18446744073709551615", &ts), 1);
	assert_true(ts == UINT64_MAX);
	assert_int_equal(verify_trusted_timestamp("timestamp:18446744073709551616", &ts), 0);
	assert_int_equal(verify_trusted_timestamp("timestamp:", &ts), 0);
	assert_int_equal(verify_trusted_timestamp("timestamp:12a", &ts), 0);
	assert_int_equal(verify_trusted_timestamp("timestamp:-1", &ts), 0);
	assert_int_equal(verify_trusted_timestamp("nottimestamp:5", &ts), 0);
	assert_int_equal(verify_trusted_timestamp("", &ts), 0);
}

static void test_rollback(void **state)
{
	struct verify_sigresult res;

	(void)state;
	memset(&res, 0, sizeof(res));
	res.has_timestamp = 1;
	res.timestamp = 100;
	assert_int_equal(verify_check_rollback(0, &res), 0);
	assert_int_equal(verify_check_rollback(99, &res), 0);
	assert_int_equal(verify_check_rollback(100, &res), 0);
	assert_int_equal(verify_check_rollback(101, &res), -BR_EROLLBACK);
	assert_non_null(strstr(br_errdetail(), "older than 101"));
	res.has_timestamp = 0;
	assert_int_equal(verify_check_rollback(0, &res), 0);
	assert_int_equal(verify_check_rollback(1, &res), -BR_EROLLBACK);
	assert_non_null(strstr(br_errdetail(), "no timestamp"));
}

/* key IDs print as minisign's .pub comment does: no zero padding */
static void test_keyid_hex_unpadded(void **state)
{
	const uint8_t id[VERIFY_KEYID_LEN] = {0xa7, 0x6d, 0xbc, 0xf6, 0x78, 0x12, 0xd5, 0x08};
	const uint8_t zero[VERIFY_KEYID_LEN] = {0};
	char hex[VERIFY_KEYID_HEXLEN + 1];

	(void)state;
	verify_keyid_hex(id, hex);
	assert_string_equal(hex, "8D51278F6BC6DA7");
	verify_keyid_hex(zero, hex);
	assert_string_equal(hex, "0");
}

static int tc(const char *c, struct verify_tc *out)
{
	return verify_tc_parse(c, strlen(c), out);
}

/* issue 10: the trusted-comment grammar binds a signature to its purpose */
static void test_trusted_comment(void **state)
{
	static const char *const bad[] = {
	    "",
	    "timestamp:1700000000",		     /* no file: */
	    "timestamp:1700000000 file:bootrino.sh", /* space is not a separator */
	    "file:a\t\thashed",			     /* empty field */
	    "file:a\tfile:a",			     /* twice */
	    "file:a\ttimestamp:1\ttimestamp:1",
	    "file:a\tsite:x\tsite:x",
	    "file:a\thashed\thashed",
	    "file:a\trelease v42", /* unknown */
	    "file:a\tsite:",
	    "file:a\tsite:a b",
	    "file:a\tsite:01234567890123456789012345678901234567890123456789012345678901234",
	    "file:",
	    "file:dir/a",
	    "file:a\ttimestamp:",
	    "file:a\ttimestamp:18446744073709551616", /* 2^64 */
	    "file:a\ttimestamp:1x",
	    "file:a\x01",
	    "file:a\t",
	    "\tfile:a",
	};
	struct verify_tc t;
	size_t i;

	(void)state;
	assert_int_equal(tc("timestamp:1700000000\tfile:bootrino.sh\thashed", &t), 0);
	assert_true(t.has_timestamp && t.timestamp == 1700000000u && t.hashed && !t.has_site);
	assert_string_equal(t.file, "bootrino.sh");
	assert_int_equal(
	    tc("file:loader.json\tsite:prod-eu.1_a\ttimestamp:18446744073709551615", &t), 0);
	assert_true(t.has_site && t.timestamp == UINT64_MAX);
	assert_string_equal(t.site, "prod-eu.1_a");
	assert_string_equal(t.file, "loader.json");
	assert_int_equal(tc("file:a b.sh", &t), 0); /* minisign keeps spaces in names */
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (tc(bad[i], &t) != -BR_ESIG)
			fail_msg("accepted: \"%s\"", bad[i]);
	}
	/* binding */
	assert_int_equal(verify_tc_check("timestamp:1\tfile:bootrino.sh", "bootrino.sh", NULL), 0);
	assert_int_equal(verify_tc_check("timestamp:1\tfile:wipe-disk.sh", "bootrino.sh", NULL),
			 -BR_ESIG);
	assert_int_equal(verify_tc_check("file:bootrino.sh\tsite:prod", "bootrino.sh", "prod"), 0);
	assert_int_equal(verify_tc_check("file:bootrino.sh\tsite:staging", "bootrino.sh", "prod"),
			 -BR_ESIG);
	assert_int_equal(verify_tc_check("file:bootrino.sh", "bootrino.sh", "prod"), -BR_ESIG);
	assert_int_equal(verify_tc_check("file:bootrino.sh\tsite:prod", "bootrino.sh", NULL), 0);
	assert_int_equal(verify_tc_site_valid("prod"), 1);
	assert_int_equal(verify_tc_site_valid(""), 0);
	assert_int_equal(verify_tc_site_valid("a/b"), 0);
}

static void test_url_name(void **state)
{
	char n[32];

	(void)state;
	verify_tc_url_name("https://h/d/bootrino.sh", n, sizeof(n));
	assert_string_equal(n, "bootrino.sh");
	verify_tc_url_name("https://h/d/bootrino.sh?x=/y#z", n, sizeof(n));
	assert_string_equal(n, "bootrino.sh");
	verify_tc_url_name("https://h/d/", n, sizeof(n));
	assert_string_equal(n, "");
	verify_tc_url_name("/tmp/x/loader.json", n, sizeof(n));
	assert_string_equal(n, "loader.json");
}

static void test_pubkey_line(void **state)
{
	const char *line = "RWSt4aMicYWqK5aBz3luUKcyWLkCDrFgD8gdlbBxvmETu9Szn6qrmezW";
	struct verify_pubkey k;
	char *out;

	(void)state;
	assert_int_equal(verify_minisign_parse_pubkey(line, strlen(line), &k), 0);
	out = verify_pubkey_line(&k);
	assert_non_null(out);
	assert_string_equal(out, line);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_keyid_hex_unpadded),
	    cmocka_unit_test(test_sha256_abc),
	    cmocka_unit_test(test_sha256_parse),
	    cmocka_unit_test(test_artifact),
	    cmocka_unit_test(test_base64),
	    cmocka_unit_test(test_parse_pubkey),
	    cmocka_unit_test(test_parse_pubfile),
	    cmocka_unit_test(test_keyring),
	    cmocka_unit_test(test_verify_good),
	    cmocka_unit_test(test_verify_streaming),
	    cmocka_unit_test(test_verify_wrong),
	    cmocka_unit_test(test_verify_tampered),
	    cmocka_unit_test(test_verify_truncated),
	    cmocka_unit_test(test_verify_malformed),
	    cmocka_unit_test(test_verify_file),
	    cmocka_unit_test(test_timestamp),
	    cmocka_unit_test(test_rollback),
	    cmocka_unit_test(test_trusted_comment),
	    cmocka_unit_test(test_url_name),
	    cmocka_unit_test(test_pubkey_line),
	};
	return cmocka_run_group_tests_name("verify", tests, NULL, NULL);
}
