#include <openssl/crypto.h>

#include "verify/verify.h"

const char *verify_library_version(void)
{
	return OpenSSL_version(OPENSSL_VERSION);
}
