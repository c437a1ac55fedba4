/* The text formats of minisign: public keys and .minisig files.
 *
 * Pure functions over (pointer, length): no I/O, no allocation, no
 * OpenSSL, so they can be fuzzed in isolation. Every field has a fixed
 * decoded size, so each line has a fixed or capped length and nothing
 * here grows with the input.
 *
 * Line endings: minisign (trim() in its helpers.c) strips CR and LF, so a
 * .minisig or .pub saved with CRLF verifies there; we accept "\r\n" as a
 * line terminator too, everywhere, and refuse a CR anywhere else. The
 * final newline is optional. Unlike minisign, which stops reading after
 * the lines it needs, anything after the last expected line is refused.
 */
#include <string.h>

#include "common/err.h"
#include "verify/base64.h"
#include "verify/minisign.h"

#define UNTRUSTED_PREFIX "untrusted comment: "
#define TRUSTED_PREFIX "trusted comment: "
#define PUBKEY_BIN_LEN (2 + VERIFY_KEYID_LEN + VERIFY_PK_LEN)
#define SIG_BIN_LEN (2 + VERIFY_KEYID_LEN + VERIFY_SIG_LEN)

struct cursor {
	const char *p;
	size_t len;
	size_t pos;
};

struct line {
	const char *p;
	size_t len;
	int terminated; /* ended by a newline, not by the end of the input */
};

/* Next line without its terminator. 0, or -1 at end of input. A CR is only
 * allowed as part of a "\r\n" terminator or right before the end. */
static int next_line(struct cursor *c, struct line *l, const char **why)
{
	const char *start, *nl, *cr;
	size_t rest;

	if (c->pos >= c->len)
		return -1;
	start = c->p + c->pos;
	rest = c->len - c->pos;
	nl = memchr(start, '\n', rest);
	l->p = start;
	l->len = nl ? (size_t)(nl - start) : rest;
	c->pos += l->len + (nl ? 1 : 0);
	l->terminated = nl != NULL;
	if (l->len && l->p[l->len - 1] == '\r')
		l->len--;
	cr = memchr(l->p, '\r', l->len);
	if (cr) {
		*why = "stray carriage return inside a line";
		return -2;
	}
	return 0;
}

static int has_prefix(const struct line *l, const char *prefix)
{
	size_t n = strlen(prefix);

	return l->len >= n && memcmp(l->p, prefix, n) == 0;
}

void verify_keyid_hex(const uint8_t keyid[VERIFY_KEYID_LEN], char *out)
{
	static const char digits[] = "0123456789ABCDEF";
	size_t i;

	size_t n = 0;

	/* minisign prints the key number as a little-endian uint64 with
	 * "%" PRIX64, without zero padding (its .pub comment says
	 * "8D51278F6BC6DA7", not "08D5…"): print it the same way, so the ID
	 * in our messages is the one the operator sees in the .pub file. */
	for (i = 0; i < VERIFY_KEYID_LEN; i++) {
		uint8_t b = keyid[VERIFY_KEYID_LEN - 1 - i];

		if (n || b >> 4)
			out[n++] = digits[b >> 4];
		if (n || (b & 15) || i == VERIFY_KEYID_LEN - 1)
			out[n++] = digits[b & 15];
	}
	out[n] = '\0';
}

int verify_minisign_parse_pubkey(const char *b64, size_t len, struct verify_pubkey *out)
{
	uint8_t bin[PUBKEY_BIN_LEN];

	if (len != VERIFY_BASE64_LEN(PUBKEY_BIN_LEN))
		return br_fail(-BR_EMALFORMED,
			       "malformed public key: %zu characters, a minisign key has %zu", len,
			       VERIFY_BASE64_LEN(PUBKEY_BIN_LEN));
	if (verify_base64_decode(b64, len, bin, sizeof(bin)))
		return br_fail(-BR_EMALFORMED, "malformed public key: bad base64");
	if (memcmp(bin, "Ed", 2) != 0)
		return br_fail(-BR_EMALFORMED,
			       "malformed public key: unsupported algorithm (not Ed25519 \"Ed\")");
	memcpy(out->alg, bin, 2);
	memcpy(out->keyid, bin + 2, VERIFY_KEYID_LEN);
	memcpy(out->pk, bin + 2 + VERIFY_KEYID_LEN, VERIFY_PK_LEN);
	return 0;
}

int verify_minisign_parse_pubfile(const char *text, size_t len, struct verify_pubkey *out)
{
	struct cursor c = {text, len, 0};
	const char *why = "";
	struct line l;
	int rc;

	if (len > VERIFY_PUBFILE_MAX)
		return br_fail(-BR_EMALFORMED, "malformed public key file: larger than %d bytes",
			       VERIFY_PUBFILE_MAX);
	if (memchr(text, '\0', len))
		return br_fail(-BR_EMALFORMED, "malformed public key file: contains a NUL byte");
	rc = next_line(&c, &l, &why);
	if (rc == -1)
		return br_fail(-BR_EMALFORMED, "malformed public key file: empty");
	if (rc < 0)
		return br_fail(-BR_EMALFORMED, "malformed public key file: %s", why);
	if (!has_prefix(&l, UNTRUSTED_PREFIX))
		return br_fail(-BR_EMALFORMED,
			       "malformed public key file: first line must start with \"%s\"",
			       UNTRUSTED_PREFIX);
	if (l.len - strlen(UNTRUSTED_PREFIX) > VERIFY_COMMENT_MAX)
		return br_fail(-BR_EMALFORMED,
			       "malformed public key file: comment longer than %d bytes",
			       VERIFY_COMMENT_MAX);
	if (!l.terminated)
		return br_fail(-BR_EMALFORMED, "malformed public key file: truncated, no key line");
	rc = next_line(&c, &l, &why);
	if (rc == -1)
		return br_fail(-BR_EMALFORMED, "malformed public key file: truncated, no key line");
	if (rc < 0)
		return br_fail(-BR_EMALFORMED, "malformed public key file: %s", why);
	rc = verify_minisign_parse_pubkey(l.p, l.len, out);
	if (rc)
		return rc;
	if (c.pos != c.len)
		return br_fail(-BR_EMALFORMED,
			       "malformed public key file: unexpected data after the key line");
	return 0;
}

/* Each missing line gets its own reason: a truncated download is the
 * usual cause and the user should see how far it got. */
static int sig_line(struct cursor *c, struct line *l, const char *what)
{
	const char *why = "";
	int rc = next_line(c, l, &why);

	if (rc == -1)
		return br_fail(-BR_EMALFORMED, "malformed signature file: truncated, no %s line",
			       what);
	if (rc < 0)
		return br_fail(-BR_EMALFORMED, "malformed signature file: %s line: %s", what, why);
	return 0;
}

/* A line cut short by the end of the input: checked after the prefix, so
 * that garbage is called garbage, not a truncated file. */
static int sig_terminated(const struct line *l, const char *what)
{
	if (!l->terminated)
		return br_fail(-BR_EMALFORMED, "malformed signature file: truncated in the %s line",
			       what);
	return 0;
}

int verify_minisign_parse_sig(const char *text, size_t len, struct verify_sig *out)
{
	struct cursor c = {text, len, 0};
	uint8_t bin[SIG_BIN_LEN];
	struct line l;
	size_t n;
	int rc;

	memset(out, 0, sizeof(*out));
	if (len == 0)
		return br_fail(-BR_EMALFORMED, "malformed signature file: empty");
	if (len > VERIFY_SIGFILE_MAX)
		return br_fail(-BR_EMALFORMED, "malformed signature file: larger than %d bytes",
			       VERIFY_SIGFILE_MAX);
	if (memchr(text, '\0', len))
		return br_fail(-BR_EMALFORMED, "malformed signature file: contains a NUL byte");

	rc = sig_line(&c, &l, "untrusted comment");
	if (rc)
		return rc;
	if (!has_prefix(&l, UNTRUSTED_PREFIX))
		return br_fail(-BR_EMALFORMED,
			       "malformed signature file: first line must start with \"%s\"",
			       UNTRUSTED_PREFIX);
	if (l.len - strlen(UNTRUSTED_PREFIX) > VERIFY_COMMENT_MAX)
		return br_fail(-BR_EMALFORMED,
			       "malformed signature file: untrusted comment longer than %d bytes",
			       VERIFY_COMMENT_MAX);
	rc = sig_terminated(&l, "untrusted comment");
	if (rc)
		return rc;

	rc = sig_line(&c, &l, "signature");
	if (!rc)
		rc = sig_terminated(&l, "signature");
	if (rc)
		return rc;
	if (verify_base64_decode(l.p, l.len, bin, sizeof(bin)))
		return br_fail(-BR_EMALFORMED,
			       "malformed signature file: signature line is not %d bytes of base64",
			       SIG_BIN_LEN);
	if (memcmp(bin, "ED", 2) != 0 && memcmp(bin, "Ed", 2) != 0)
		return br_fail(-BR_EMALFORMED,
			       "malformed signature file: unsupported signature algorithm");
	memcpy(out->alg, bin, 2);
	memcpy(out->keyid, bin + 2, VERIFY_KEYID_LEN);
	memcpy(out->sig, bin + 2 + VERIFY_KEYID_LEN, VERIFY_SIG_LEN);

	rc = sig_line(&c, &l, "trusted comment");
	if (rc)
		return rc;
	if (!has_prefix(&l, TRUSTED_PREFIX))
		return br_fail(-BR_EMALFORMED,
			       "malformed signature file: third line must start with \"%s\"",
			       TRUSTED_PREFIX);
	n = l.len - strlen(TRUSTED_PREFIX);
	if (n > VERIFY_COMMENT_MAX)
		return br_fail(-BR_EMALFORMED,
			       "malformed signature file: trusted comment longer than %d bytes",
			       VERIFY_COMMENT_MAX);
	rc = sig_terminated(&l, "trusted comment");
	if (rc)
		return rc;
	memcpy(out->trusted_comment, l.p + strlen(TRUSTED_PREFIX), n);
	out->trusted_comment[n] = '\0';
	out->trusted_comment_len = n;

	rc = sig_line(&c, &l, "global signature");
	if (rc)
		return rc;
	if (!l.terminated && l.len < VERIFY_BASE64_LEN(VERIFY_SIG_LEN))
		return br_fail(-BR_EMALFORMED,
			       "malformed signature file: truncated in the global signature line");
	if (verify_base64_decode(l.p, l.len, out->global_sig, VERIFY_SIG_LEN))
		return br_fail(-BR_EMALFORMED,
			       "malformed signature file: global signature line is not %d bytes "
			       "of base64",
			       VERIFY_SIG_LEN);
	if (c.pos != c.len)
		return br_fail(-BR_EMALFORMED,
			       "malformed signature file: unexpected data after the global "
			       "signature");
	return 0;
}
