/* The documents of bootrino-state (docs/every-boot.md): state.json (which
 * slot is current, which is on trial, the anti-rollback timestamp, the
 * last boot's outcome) and a slot's slot.json. Pure parsers and the
 * every-boot state machine, fuzzable and unit-tested; the files
 * themselves are read and written by agent/slot_store.c. */
#ifndef BOOTRINO_AGENT_DOC_SLOTS_H
#define BOOTRINO_AGENT_DOC_SLOTS_H

#include <stddef.h>

#define CLI_SLOTS_VERSION 1
#define CLI_SLOTS_DOC_MAX (16u << 10) /* state.json, slot.json */
#define CLI_SLOTS_REASON_MAX 300
#define CLI_SLOTS_URL_MAX 2048
#define CLI_SLOTS_TOKEN_LEN 32 /* hex digits */
#define CLI_SLOTS_CONFIRM_DEFAULT 3
#define CLI_SLOTS_CONFIRM_MAX 100
/* cJSON prints 15 significant digits: exact below 10^15 (found by
 * tests/fuzz/fuzz_slots.c: 2^53 did not survive a rewrite) */
#define CLI_SLOTS_TS_MAX 999999999999999ULL

enum cli_slot { CLI_SLOT_NONE = -1, CLI_SLOT_A = 0, CLI_SLOT_B = 1 };

struct cli_slots_state {
	int current; /* enum cli_slot */
	int trial;   /* enum cli_slot, never == current */
	unsigned trial_boots;
	unsigned long long max_timestamp;
	char abandoned[65]; /* plan_sha256 of the last abandoned trial, "" */
	struct {
		int slot;
		char outcome[16];
		char reason[CLI_SLOTS_REASON_MAX];
		unsigned long long at;
	} last;
};

struct cli_slot_info {
	char url[CLI_SLOTS_URL_MAX];
	unsigned long long timestamp;
	char plan_sha256[65];
	unsigned confirm; /* 0: good once loaded */
	unsigned long long boots;
	char token[CLI_SLOTS_TOKEN_LEN + 1];
};

/* "a", "b", or NULL for CLI_SLOT_NONE. */
const char *cli_slot_name(int slot);
int cli_slot_other(int slot); /* the slot to write: never the current one */

void cli_slots_state_init(struct cli_slots_state *s);
/* Strict: unknown keys, wrong types, trial == current, bad names are
 * -BR_ECONFIG with a detail; over CLI_SLOTS_DOC_MAX -BR_ETOOBIG. */
int cli_slots_state_parse(struct cli_slots_state *s, const char *buf, size_t len);
char *cli_slots_state_to_json(const struct cli_slots_state *s); /* malloc()ed, NULL: ENOMEM */

void cli_slot_info_init(struct cli_slot_info *i);
int cli_slot_info_parse(struct cli_slot_info *i, const char *buf, size_t len);
char *cli_slot_info_to_json(const struct cli_slot_info *i);

/* What the loader does with a trial slot before it looks at the server. */
enum cli_slots_trial {
	CLI_TRIAL_NONE,	     /* no trial pending */
	CLI_TRIAL_PENDING,   /* still on trial: it may boot again */
	CLI_TRIAL_PROMOTED,  /* confirmed: now current */
	CLI_TRIAL_ABANDONED, /* booted `confirm` times unconfirmed: dropped */
};
/* Apply confirmation / abandonment to s. confirmed: the target wrote the
 * trial slot's token; trial_plan and confirm: the trial slot's slot.json
 * (confirm 0 counts as CLI_SLOTS_CONFIRM_DEFAULT: a trial that was never
 * loaded gives up too). */
enum cli_slots_trial cli_slots_settle_trial(struct cli_slots_state *s, int confirmed,
					    const char *trial_plan, unsigned confirm);

#endif
