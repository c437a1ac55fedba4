/* libFuzzer: the .minisig parser and the verification path behind it,
 * against a fixed keyring and message (no file I/O). Inputs that parse
 * and name a trusted key go all the way through Ed25519. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "verify/minisign.h"

/* The keys and message of tests/unit/test_verify.c (minisign 0.11). */
static const char K1[] = "RWSt4aMicYWqK5aBz3luUKcyWLkCDrFgD8gdlbBxvmETu9Szn6qrmezW";
static const char K2[] = "RWSJHyvDsUqbOEibuXHfY4anLjoMPif9ryRKylj4q1xPZfKOK4b8Icqn";
static const char MSG[] = "hello bootrino\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct verify_keyring kr;
	struct verify_sigresult res;
	struct verify_sig sig;
	int rc;

	if (kr.n == 0 && (verify_keyring_add(&kr, K1) || verify_keyring_add(&kr, K2)))
		abort();
	rc = verify_minisign_parse_sig((const char *)data, size, &sig);
	if (rc != 0 && rc != -BR_EMALFORMED)
		abort();
	if (rc == 0 && (sig.trusted_comment_len > VERIFY_COMMENT_MAX ||
			strlen(sig.trusted_comment) != sig.trusted_comment_len))
		abort();
	rc = verify_minisign_buf(&kr, MSG, strlen(MSG), (const char *)data, size, &res);
	if (rc != 0 && rc != -BR_EMALFORMED && rc != -BR_EKEYID && rc != -BR_ESIG)
		abort();
	/* success reports a comment that the parser saw */
	if (rc == 0 && strcmp(res.trusted_comment, sig.trusted_comment) != 0)
		abort();
	return 0;
}
