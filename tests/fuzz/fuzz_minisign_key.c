/* libFuzzer: the public key parsers (base64 key line and .pub text), no
 * file I/O. Whatever parses must re-parse identically as a key line. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "verify/minisign.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct verify_pubkey a, b;
	char hex[VERIFY_KEYID_HEXLEN + 1];
	int rc;

	rc = verify_minisign_parse_pubkey((const char *)data, size, &a);
	if (rc != 0 && rc != -BR_EMALFORMED)
		abort();
	if (rc == 0 && memcmp(a.alg, "Ed", 2) != 0)
		abort();
	rc = verify_minisign_parse_pubfile((const char *)data, size, &b);
	if (rc != 0 && rc != -BR_EMALFORMED)
		abort();
	if (rc == 0) {
		if (memcmp(b.alg, "Ed", 2) != 0)
			abort();
		/* unpadded like minisign's own display: 1..16 hex digits */
		verify_keyid_hex(b.keyid, hex);
		if (strlen(hex) == 0 || strlen(hex) > VERIFY_KEYID_HEXLEN)
			abort();
	}
	return 0;
}
