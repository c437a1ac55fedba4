/* libFuzzer: loader.json → plan. */
#include <stdint.h>

#include "agent/doc/loader_json.h"
#include "fetch/url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cli_plan p;

	if (cli_loader_json_parse(&p, fetch_url_resolve,
				  "https://example.com/site/loader/loader.json", (const char *)data,
				  size) == 0 &&
	    cli_plan_check_bootable(&p) != 0)
		__builtin_trap(); /* a parsed loader must be bootable */
	cli_plan_free(&p);
	return 0;
}
