/* libFuzzer: agent configuration. First byte even: JSON config (and the
 * loader's config round trip); odd: a kernel command line. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/doc/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cli_config c, d;
	char *s;

	if (size < 1)
		return 0;
	cli_config_init(&c);
	if (data[0] & 1) {
		s = malloc(size);
		if (!s)
			return 0;
		memcpy(s, data + 1, size - 1);
		s[size - 1] = '\0';
		cli_config_parse_cmdline(&c, s);
		free(s);
	} else if (cli_config_parse(&c, (const char *)data + 1, size - 1) == 0) {
		s = cli_config_to_json(&c);
		cli_config_init(&d);
		if (s && cli_config_parse(&d, s, strlen(s)) != 0)
			abort(); /* takeover's config.json must load in the loader */
		cli_config_free(&d);
		free(s);
	}
	cli_config_free(&c);
	return 0;
}
