/* libFuzzer: the documents of bootrino-state (agent/doc/slots.h). First
 * byte even: state.json; odd: slot.json. What parses must print and parse
 * back to the same values (the loader rewrites state.json every boot), and
 * the trial state machine must keep trial != current. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/doc/slots.h"

static void state(const uint8_t *data, size_t size)
{
	struct cli_slots_state s, t;
	char *json;

	if (cli_slots_state_parse(&s, (const char *)data, size) != 0)
		return;
	json = cli_slots_state_to_json(&s);
	if (!json)
		return;
	if (cli_slots_state_parse(&t, json, strlen(json)) != 0 || t.current != s.current ||
	    t.trial != s.trial || t.trial_boots != s.trial_boots ||
	    t.max_timestamp != s.max_timestamp || strcmp(t.abandoned, s.abandoned) != 0)
		abort();
	free(json);
	for (int confirmed = 0; confirmed < 2; confirmed++) {
		t = s;
		cli_slots_settle_trial(&t, confirmed, t.abandoned, t.trial_boots & 7);
		if (t.trial != CLI_SLOT_NONE && t.trial == t.current)
			abort();
	}
}

static void slot(const uint8_t *data, size_t size)
{
	struct cli_slot_info i, j;
	char *json;

	if (cli_slot_info_parse(&i, (const char *)data, size) != 0)
		return;
	json = cli_slot_info_to_json(&i);
	if (!json)
		return;
	if (cli_slot_info_parse(&j, json, strlen(json)) != 0 || strcmp(i.url, j.url) != 0 ||
	    i.timestamp != j.timestamp || strcmp(i.plan_sha256, j.plan_sha256) != 0 ||
	    i.confirm != j.confirm || i.boots != j.boots || strcmp(i.token, j.token) != 0)
		abort();
	free(json);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] & 1)
		slot(data + 1, size - 1);
	else
		state(data + 1, size - 1);
	return 0;
}
