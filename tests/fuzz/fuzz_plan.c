/* libFuzzer: the plan. First byte picks the entry point:
 *   even: plan JSON (cli_plan_from_json), then a round trip through
 *         cli_plan_to_json must parse again to the same JSON;
 *   odd:  a sequence of verbs, one per line, argv words separated by
 *         0x1f, applied to a plan with a script URL (relative URLs). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/doc/plan.h"
#include "fetch/url.h"

static void roundtrip(const struct cli_plan *p)
{
	struct cli_plan q;
	cJSON *j = cli_plan_to_json(p), *j2;
	char *s, *s2;

	if (!j)
		return;
	s = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	if (!s)
		return;
	if (cli_plan_from_json(&q, s, strlen(s)) != 0)
		abort(); /* what we write, we must read */
	j2 = cli_plan_to_json(&q);
	s2 = j2 ? cJSON_PrintUnformatted(j2) : NULL;
	if (s2 && strcmp(s, s2) != 0)
		abort();
	free(s2);
	cJSON_Delete(j2);
	cli_plan_free(&q);
	free(s);
}

static void verbs(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *line, *save = NULL;
	struct cli_plan p;

	if (!buf)
		return;
	memcpy(buf, data, size);
	buf[size] = '\0';
	cli_plan_init(&p);
	cli_plan_set_header(&p, "https://example.com/dir/bootrino.sh", size % 3 == 0);
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *argv[16], *w, *s2 = NULL;
		int argc = 0;

		for (w = strtok_r(line, "\x1f", &s2); w && argc < 16;
		     w = strtok_r(NULL, "\x1f", &s2))
			argv[argc++] = w;
		if (argc)
			cli_plan_verb(&p, fetch_url_resolve, argv[0], argc - 1, argv + 1);
	}
	cli_plan_check_bootable(&p);
	roundtrip(&p);
	cli_plan_free(&p);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cli_plan p;

	if (size < 1)
		return 0;
	if (data[0] & 1) {
		verbs(data + 1, size - 1);
		return 0;
	}
	if (cli_plan_from_json(&p, (const char *)data + 1, size - 1) == 0)
		roundtrip(&p);
	cli_plan_free(&p);
	return 0;
}
