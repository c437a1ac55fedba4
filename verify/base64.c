#include "verify/base64.h"

#include "common/err.h"

/* -1 for anything outside the standard alphabet ('=' included: padding is
 * handled by position, never as a data character). */
static int b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int verify_base64_decode(const char *in, size_t inlen, uint8_t *out, size_t want)
{
	/* The length is fixed by want: checking it first bounds all work. */
	size_t pad = (3 - want % 3) % 3;
	size_t full = inlen - pad; /* characters carrying data */
	uint32_t acc = 0;
	size_t i, o = 0;
	int bits = 0;

	if (want == 0 || inlen != VERIFY_BASE64_LEN(want))
		return -BR_EMALFORMED;
	for (i = full; i < inlen; i++)
		if (in[i] != '=')
			return -BR_EMALFORMED;
	for (i = 0; i < full; i++) {
		int v = b64val((unsigned char)in[i]);

		if (v < 0)
			return -BR_EMALFORMED;
		acc = (acc << 6 | (uint32_t)v) & 0xffffffu;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	/* Leftover bits must be zero: otherwise several strings would decode
	 * to the same bytes (libsodium, which minisign uses, refuses them too). */
	if (o != want || (acc & ((1u << bits) - 1)) != 0)
		return -BR_EMALFORMED;
	return 0;
}

void verify_base64_encode(const uint8_t *in, size_t n, char *out)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i, o = 0;

	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];

		out[o++] = tab[v >> 18];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = tab[(v >> 6) & 63];
		out[o++] = tab[v & 63];
	}
	if (i < n) {
		uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0);

		out[o++] = tab[v >> 18];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
		out[o++] = '=';
	}
	out[o] = '\0';
}
