/* state.json and slot.json. See agent/doc/slots.h. */
#include "agent/doc/slots.h"

#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "agent/doc/json.h"
#include "common/err.h"

const char *cli_slot_name(int slot)
{
	return slot == CLI_SLOT_A ? "a" : slot == CLI_SLOT_B ? "b" : NULL;
}

int cli_slot_other(int slot)
{
	return slot == CLI_SLOT_A ? CLI_SLOT_B : CLI_SLOT_A;
}

void cli_slots_state_init(struct cli_slots_state *s)
{
	memset(s, 0, sizeof(*s));
	s->current = CLI_SLOT_NONE;
	s->trial = CLI_SLOT_NONE;
	s->last.slot = CLI_SLOT_NONE;
}

void cli_slot_info_init(struct cli_slot_info *i)
{
	memset(i, 0, sizeof(*i));
}

/* "a" | "b" | null (absent: unchanged) */
static int get_slot(const char *what, const cJSON *o, const char *key, int *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!v)
		return 0;
	if (cJSON_IsNull(v)) {
		*out = CLI_SLOT_NONE;
		return 0;
	}
	if (cJSON_IsString(v) && v->valuestring && strcmp(v->valuestring, "a") == 0)
		*out = CLI_SLOT_A;
	else if (cJSON_IsString(v) && v->valuestring && strcmp(v->valuestring, "b") == 0)
		*out = CLI_SLOT_B;
	else
		return br_fail(-BR_ECONFIG, "%s: \"%s\" must be \"a\", \"b\" or null", what, key);
	return 0;
}

static int get_u64(const char *what, const cJSON *o, const char *key, unsigned long long max,
		   unsigned long long *out)
{
	long v = -1;
	int rc = cli_json_get_int(what, o, key, 0, (long)max, &v);

	if (!rc && v >= 0)
		*out = (unsigned long long)v;
	return rc;
}

static int get_strbuf(const char *what, const cJSON *o, const char *key, size_t cap, char *out)
{
	const char *s = NULL;
	int rc = cli_json_get_string(what, o, key, 0, cap - 1, 0, &s);

	if (!rc && s)
		snprintf(out, cap, "%s", s);
	return rc;
}

static int hex_ok(const char *s, size_t len)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return i == len;
}

int cli_slots_state_parse(struct cli_slots_state *s, const char *buf, size_t len)
{
	static const char *const keys[] = {"version",	    "current",	 "trial", "trial_boots",
					   "max_timestamp", "abandoned", "last",  NULL};
	static const char *const lastk[] = {"slot", "outcome", "reason", "at", NULL};
	static const char *const outcomes[] = {"new",	"cached", "fallback", "abandoned",
					       "first", "none",	  "promoted", NULL};
	const cJSON *last;
	unsigned long long n = 0;
	long version = 0;
	cJSON *root;
	int rc, known = 0;

	cli_slots_state_init(s);
	rc = cli_json_parse_object("state.json", buf, len, CLI_SLOTS_DOC_MAX, &root);
	if (rc)
		return rc;
	rc = cli_json_check_keys("state.json", root, keys);
	if (!rc)
		rc = cli_json_get_int("state.json", root, "version", 1, 1000, &version);
	if (!rc && version != CLI_SLOTS_VERSION)
		rc = br_fail(-BR_ECONFIG, "state.json: version %ld, this bootrino reads %d",
			     version, CLI_SLOTS_VERSION);
	if (!rc)
		rc = get_slot("state.json", root, "current", &s->current);
	if (!rc)
		rc = get_slot("state.json", root, "trial", &s->trial);
	if (!rc && s->trial != CLI_SLOT_NONE && s->trial == s->current)
		rc = br_fail(-BR_ECONFIG, "state.json: the trial slot is the current one");
	if (!rc)
		rc = get_u64("state.json", root, "trial_boots", 1000000, &n);
	if (!rc)
		s->trial_boots = (unsigned)n;
	if (!rc)
		rc = get_u64("state.json", root, "max_timestamp", CLI_SLOTS_TS_MAX,
			     &s->max_timestamp);
	if (!rc)
		rc =
		    get_strbuf("state.json", root, "abandoned", sizeof(s->abandoned), s->abandoned);
	if (!rc && s->abandoned[0] && !hex_ok(s->abandoned, 64))
		rc = br_fail(-BR_ECONFIG, "state.json: \"abandoned\" must be a sha256");
	last = cJSON_GetObjectItemCaseSensitive(root, "last");
	if (!rc && last && !cJSON_IsNull(last)) {
		if (!cJSON_IsObject(last))
			rc = br_fail(-BR_ECONFIG, "state.json: \"last\" must be an object");
		if (!rc)
			rc = cli_json_check_keys("state.json last", last, lastk);
		if (!rc)
			rc = get_slot("state.json last", last, "slot", &s->last.slot);
		if (!rc)
			rc = get_strbuf("state.json last", last, "outcome", sizeof(s->last.outcome),
					s->last.outcome);
		for (size_t i = 0; !rc && s->last.outcome[0] && outcomes[i]; i++)
			known |= strcmp(outcomes[i], s->last.outcome) == 0;
		if (!rc && s->last.outcome[0] && !known)
			rc = br_fail(-BR_ECONFIG, "state.json: unknown outcome \"%s\"",
				     s->last.outcome);
		if (!rc)
			rc = get_strbuf("state.json last", last, "reason", sizeof(s->last.reason),
					s->last.reason);
		if (!rc)
			rc = get_u64("state.json last", last, "at", CLI_SLOTS_TS_MAX, &s->last.at);
	}
	cJSON_Delete(root);
	if (rc)
		cli_slots_state_init(s);
	return rc;
}

static cJSON *slot_json(int slot)
{
	const char *n = cli_slot_name(slot);

	return n ? cJSON_CreateString(n) : cJSON_CreateNull();
}

char *cli_slots_state_to_json(const struct cli_slots_state *s)
{
	cJSON *o = cJSON_CreateObject(), *last;
	char *out = NULL;

	if (!o)
		return NULL;
	if (!cJSON_AddNumberToObject(o, "version", CLI_SLOTS_VERSION) ||
	    !cJSON_AddItemToObject(o, "current", slot_json(s->current)) ||
	    !cJSON_AddItemToObject(o, "trial", slot_json(s->trial)) ||
	    !cJSON_AddNumberToObject(o, "trial_boots", s->trial_boots) ||
	    !cJSON_AddNumberToObject(o, "max_timestamp", (double)s->max_timestamp))
		goto out;
	if (s->abandoned[0] && !cJSON_AddStringToObject(o, "abandoned", s->abandoned))
		goto out;
	if (s->last.outcome[0]) {
		char reason[CLI_SLOTS_REASON_MAX];

		/* control characters would make the file unreadable (the parser
		 * refuses them): a reason is one line */
		snprintf(reason, sizeof(reason), "%s", s->last.reason);
		for (char *c = reason; *c; c++)
			if ((unsigned char)*c < 0x20)
				*c = ' ';
		last = cJSON_AddObjectToObject(o, "last");
		if (!last || !cJSON_AddItemToObject(last, "slot", slot_json(s->last.slot)) ||
		    !cJSON_AddStringToObject(last, "outcome", s->last.outcome) ||
		    !cJSON_AddStringToObject(last, "reason", reason) ||
		    !cJSON_AddNumberToObject(last, "at", (double)s->last.at))
			goto out;
	}
	out = cJSON_Print(o);
out:
	cJSON_Delete(o);
	return out;
}

int cli_slot_info_parse(struct cli_slot_info *i, const char *buf, size_t len)
{
	static const char *const keys[] = {"url",   "timestamp", "plan_sha256", "confirm",
					   "boots", "token",	 NULL};
	unsigned long long n = 0;
	cJSON *root;
	int rc;

	cli_slot_info_init(i);
	rc = cli_json_parse_object("slot.json", buf, len, CLI_SLOTS_DOC_MAX, &root);
	if (rc)
		return rc;
	rc = cli_json_check_keys("slot.json", root, keys);
	if (!rc)
		rc = get_strbuf("slot.json", root, "url", sizeof(i->url), i->url);
	if (!rc)
		rc = get_u64("slot.json", root, "timestamp", CLI_SLOTS_TS_MAX, &i->timestamp);
	if (!rc)
		rc = get_strbuf("slot.json", root, "plan_sha256", sizeof(i->plan_sha256),
				i->plan_sha256);
	if (!rc && !hex_ok(i->plan_sha256, 64))
		rc = br_fail(-BR_ECONFIG, "slot.json: \"plan_sha256\" must be a sha256");
	if (!rc)
		rc = get_u64("slot.json", root, "confirm", CLI_SLOTS_CONFIRM_MAX, &n);
	if (!rc)
		i->confirm = (unsigned)n;
	if (!rc)
		rc = get_u64("slot.json", root, "boots", CLI_SLOTS_TS_MAX, &i->boots);
	if (!rc)
		rc = get_strbuf("slot.json", root, "token", sizeof(i->token), i->token);
	if (!rc && i->token[0] && !hex_ok(i->token, CLI_SLOTS_TOKEN_LEN))
		rc = br_fail(-BR_ECONFIG, "slot.json: \"token\" must be %d hex digits",
			     CLI_SLOTS_TOKEN_LEN);
	cJSON_Delete(root);
	if (rc)
		cli_slot_info_init(i);
	return rc;
}

char *cli_slot_info_to_json(const struct cli_slot_info *i)
{
	cJSON *o = cJSON_CreateObject();
	char *out = NULL;

	if (!o)
		return NULL;
	if (cJSON_AddStringToObject(o, "url", i->url) &&
	    cJSON_AddNumberToObject(o, "timestamp", (double)i->timestamp) &&
	    cJSON_AddStringToObject(o, "plan_sha256", i->plan_sha256) &&
	    cJSON_AddNumberToObject(o, "confirm", i->confirm) &&
	    cJSON_AddNumberToObject(o, "boots", (double)i->boots) &&
	    cJSON_AddStringToObject(o, "token", i->token))
		out = cJSON_Print(o);
	cJSON_Delete(o);
	return out;
}

enum cli_slots_trial cli_slots_settle_trial(struct cli_slots_state *s, int confirmed,
					    const char *trial_plan, unsigned confirm)
{
	unsigned n = confirm ? confirm : CLI_SLOTS_CONFIRM_DEFAULT;

	if (s->trial == CLI_SLOT_NONE)
		return CLI_TRIAL_NONE;
	if (confirmed) {
		s->current = s->trial;
		s->trial = CLI_SLOT_NONE;
		s->trial_boots = 0;
		return CLI_TRIAL_PROMOTED;
	}
	if (s->trial_boots < n)
		return CLI_TRIAL_PENDING;
	/* remembered, so that the same plan, still published, is not tried
	 * again on every boot */
	snprintf(s->abandoned, sizeof(s->abandoned), "%s", trial_plan ? trial_plan : "");
	s->trial = CLI_SLOT_NONE;
	s->trial_boots = 0;
	return CLI_TRIAL_ABANDONED;
}
