/* libFuzzer: the trusted-comment grammar (verify/comment.c) and the
 * binding check behind it. Properties checked, not just "no crash":
 * a parse either succeeds with a file: name that holds no '/' or control
 * byte, or fails with -BR_ESIG; and a comment that parses is bound to
 * exactly its own file: name. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "verify/comment.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct verify_tc tc;
	char *s;
	size_t i;
	int rc;

	if (size > 2048)
		return 0;
	s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	rc = verify_tc_parse(s, size, &tc);
	if (rc != 0 && rc != -BR_ESIG)
		abort();
	if (rc == 0) {
		if (!tc.file[0] || strchr(tc.file, '/'))
			abort();
		for (i = 0; tc.file[i]; i++)
			if ((unsigned char)tc.file[i] < 0x20 || tc.file[i] == 0x7f)
				abort();
		if (tc.has_site && !verify_tc_site_valid(tc.site))
			abort();
		/* a string with a NUL inside is not what strlen-based
		 * verify_tc_check sees: only check NUL-free inputs */
		if (strlen(s) == size) {
			if (verify_tc_check(s, tc.file, tc.has_site ? tc.site : NULL) != 0)
				abort();
			if (verify_tc_check(s, "bootrino.sh", NULL) == 0 &&
			    strcmp(tc.file, "bootrino.sh") != 0)
				abort();
		}
	}
	free(s);
	return 0;
}
