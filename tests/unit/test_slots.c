/* Unit tests: the slots on bootrino-state (docs/every-boot.md) —
 * state.json / slot.json parsing (hostile input included), the trial
 * state machine (every transition), durable writes, slot wiping, the
 * confirmation token, log rotation and tail, the confirm verb and the
 * config keys of the every-boot decision. */
/* cmocka.h needs these first */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* clang-format off */
#include <cmocka.h>
/* clang-format on */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/doc/config.h"
#include "agent/doc/plan.h"
#include "agent/doc/slots.h"
#include "agent/slot_store.h"
#include "common/err.h"
#include "common/log.h"

#define SHA1 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define SHA2 "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
#define TOK "00112233445566778899aabbccddeeff"

static int parse_state(const char *s, struct cli_slots_state *st)
{
	return cli_slots_state_parse(st, s, strlen(s));
}

static void test_state_roundtrip(void **unused)
{
	struct cli_slots_state s, t;
	char *json;

	(void)unused;
	cli_slots_state_init(&s);
	assert_int_equal(s.current, CLI_SLOT_NONE);
	s.current = CLI_SLOT_B;
	s.trial = CLI_SLOT_A;
	s.trial_boots = 2;
	s.max_timestamp = 1700000000ULL;
	strcpy(s.abandoned, SHA1);
	s.last.slot = CLI_SLOT_B;
	strcpy(s.last.outcome, "fallback");
	strcpy(s.last.reason, "server \"down\"\n");
	s.last.at = 1800000000ULL;
	json = cli_slots_state_to_json(&s);
	assert_non_null(json);
	assert_int_equal(parse_state(json, &t), 0);
	free(json);
	assert_int_equal(t.current, CLI_SLOT_B);
	assert_int_equal(t.trial, CLI_SLOT_A);
	assert_int_equal(t.trial_boots, 2);
	assert_true(t.max_timestamp == 1700000000ULL);
	assert_string_equal(t.abandoned, SHA1);
	assert_int_equal(t.last.slot, CLI_SLOT_B);
	assert_string_equal(t.last.outcome, "fallback");
	/* one line: a control character would make state.json unreadable */
	assert_string_equal(t.last.reason, "server \"down\" ");
	/* the contract's minimal form */
	assert_int_equal(parse_state("{\"version\":1,\"current\":null,\"trial\":null,"
				     "\"trial_boots\":0,\"max_timestamp\":0}",
				     &t),
			 0);
	assert_int_equal(t.current, CLI_SLOT_NONE);
	/* the largest timestamp survives a rewrite digit for digit; 2^53 did
	 * not (cJSON prints 15 significant digits: found by fuzz_slots) */
	s.max_timestamp = CLI_SLOTS_TS_MAX;
	json = cli_slots_state_to_json(&s);
	assert_int_equal(parse_state(json, &t), 0);
	free(json);
	assert_true(t.max_timestamp == CLI_SLOTS_TS_MAX);
	assert_int_not_equal(parse_state("{\"version\":1,\"max_timestamp\":1000000000000000}", &t),
			     0);
	assert_int_not_equal(parse_state("{\"version\":1,\"max_timestamp\":9007199254740992}", &t),
			     0);
}

static void test_state_hostile(void **unused)
{
	static const char *const bad[] = {
	    "",
	    "[]",
	    "{\"version\":1",
	    "{\"version\":2,\"current\":\"a\"}",
	    "{\"current\":\"a\"}",
	    "{\"version\":1,\"current\":\"c\"}",
	    "{\"version\":1,\"current\":\"a\",\"trial\":\"a\"}",
	    "{\"version\":1,\"current\":1}",
	    "{\"version\":1,\"trial_boots\":-1}",
	    "{\"version\":1,\"max_timestamp\":1e300}",
	    "{\"version\":1,\"max_timestamp\":\"5\"}",
	    "{\"version\":1,\"abandoned\":\"xyz\"}",
	    "{\"version\":1,\"evil\":true}",
	    "{\"version\":1,\"version\":1}",
	    "{\"version\":1,\"last\":[]}",
	    "{\"version\":1,\"last\":{\"outcome\":\"pwned\"}}",
	    "{\"version\":1,\"last\":{\"reason\":\"a\\u0007b\"}}",
	    "{\"version\":1,\"last\":{\"slot\":\"a\",\"extra\":1}}",
	    "{\"version\":1} trailing",
	};
	struct cli_slots_state s;
	char *big;
	size_t i;

	(void)unused;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		s.current = 42;
		assert_int_not_equal(parse_state(bad[i], &s), 0);
		/* a refused document leaves nothing half-parsed */
		assert_int_equal(s.current, CLI_SLOT_NONE);
		assert_true(s.max_timestamp == 0);
	}
	/* embedded NUL */
	assert_int_not_equal(cli_slots_state_parse(&s, "{\"version\":1}\0x", 15), 0);
	/* over the cap */
	big = malloc(CLI_SLOTS_DOC_MAX + 64);
	assert_non_null(big);
	memset(big, ' ', CLI_SLOTS_DOC_MAX + 63);
	memcpy(big, "{\"version\":1}", 13);
	big[CLI_SLOTS_DOC_MAX + 63] = '\0';
	assert_int_equal(parse_state(big, &s), -BR_ETOOBIG);
	free(big);
}

static void test_slot_info(void **unused)
{
	struct cli_slot_info i, j;
	char *json;

	(void)unused;
	cli_slot_info_init(&i);
	strcpy(i.url, "http://192.0.2.1/bootrino.sh");
	i.timestamp = 1000;
	strcpy(i.plan_sha256, SHA2);
	i.confirm = 3;
	i.boots = 7;
	strcpy(i.token, TOK);
	json = cli_slot_info_to_json(&i);
	assert_non_null(json);
	assert_int_equal(cli_slot_info_parse(&j, json, strlen(json)), 0);
	free(json);
	assert_string_equal(j.url, i.url);
	assert_true(j.timestamp == 1000 && j.confirm == 3 && j.boots == 7);
	assert_string_equal(j.token, TOK);
	assert_int_not_equal(cli_slot_info_parse(&j, "{\"plan_sha256\":\"12\"}", 20), 0);
	assert_int_not_equal(
	    cli_slot_info_parse(&j, "{\"plan_sha256\":\"" SHA1 "\",\"confirm\":101}",
				strlen("{\"plan_sha256\":\"" SHA1 "\",\"confirm\":101}")),
	    0);
	assert_int_not_equal(
	    cli_slot_info_parse(&j, "{\"plan_sha256\":\"" SHA1 "\",\"token\":\"../x\"}",
				strlen("{\"plan_sha256\":\"" SHA1 "\",\"token\":\"../x\"}")),
	    0);
	assert_int_equal(
	    cli_slot_info_parse(&j, "{\"plan_sha256\":\"" SHA1 "\"}", strlen(SHA1) + 18), 0);
}

static void test_slot_names(void **unused)
{
	(void)unused;
	assert_string_equal(cli_slot_name(CLI_SLOT_A), "a");
	assert_string_equal(cli_slot_name(CLI_SLOT_B), "b");
	assert_null(cli_slot_name(CLI_SLOT_NONE));
	/* the slot to write is never the current one */
	assert_int_equal(cli_slot_other(CLI_SLOT_A), CLI_SLOT_B);
	assert_int_equal(cli_slot_other(CLI_SLOT_B), CLI_SLOT_A);
}

static void trial_state(struct cli_slots_state *s, unsigned boots)
{
	cli_slots_state_init(s);
	s->current = CLI_SLOT_A;
	s->trial = CLI_SLOT_B;
	s->trial_boots = boots;
}

static void test_trial_transitions(void **unused)
{
	struct cli_slots_state s;

	(void)unused;
	/* no trial: nothing happens */
	cli_slots_state_init(&s);
	s.current = CLI_SLOT_A;
	assert_int_equal(cli_slots_settle_trial(&s, 1, SHA1, 3), CLI_TRIAL_NONE);
	assert_int_equal(s.current, CLI_SLOT_A);
	/* confirmed: promoted, whatever the count */
	trial_state(&s, 3);
	assert_int_equal(cli_slots_settle_trial(&s, 1, SHA1, 3), CLI_TRIAL_PROMOTED);
	assert_int_equal(s.current, CLI_SLOT_B);
	assert_int_equal(s.trial, CLI_SLOT_NONE);
	assert_int_equal(s.trial_boots, 0);
	assert_string_equal(s.abandoned, "");
	/* unconfirmed, under N: still pending, untouched */
	trial_state(&s, 2);
	assert_int_equal(cli_slots_settle_trial(&s, 0, SHA1, 3), CLI_TRIAL_PENDING);
	assert_int_equal(s.trial, CLI_SLOT_B);
	assert_int_equal(s.trial_boots, 2);
	/* booted N times: abandoned, the plan remembered, current kept */
	trial_state(&s, 3);
	assert_int_equal(cli_slots_settle_trial(&s, 0, SHA1, 3), CLI_TRIAL_ABANDONED);
	assert_int_equal(s.current, CLI_SLOT_A);
	assert_int_equal(s.trial, CLI_SLOT_NONE);
	assert_string_equal(s.abandoned, SHA1);
	/* confirm 1: one boot is all it gets */
	trial_state(&s, 1);
	assert_int_equal(cli_slots_settle_trial(&s, 0, SHA1, 1), CLI_TRIAL_ABANDONED);
	/* confirm 0 (a trial never loaded: a power cut): the default bound */
	trial_state(&s, CLI_SLOTS_CONFIRM_DEFAULT - 1);
	assert_int_equal(cli_slots_settle_trial(&s, 0, SHA1, 0), CLI_TRIAL_PENDING);
	trial_state(&s, CLI_SLOTS_CONFIRM_DEFAULT);
	assert_int_equal(cli_slots_settle_trial(&s, 0, SHA1, 0), CLI_TRIAL_ABANDONED);
}

static char tmpdir[64];

static int setup_dir(void **unused)
{
	(void)unused;
	strcpy(tmpdir, "/tmp/test_slots.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static int teardown_dir(void **unused)
{
	(void)unused;
	nftw(tmpdir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	return 0;
}

static void test_store_state(void **unused)
{
	struct cli_slots_state s, t;
	char path[200];
	struct stat st;

	(void)unused;
	br_log_set_level(BR_LOG_ERROR);
	/* none yet: 1, an initialised state */
	assert_int_equal(cli_slot_store_read_state(tmpdir, &s), 1);
	assert_int_equal(s.current, CLI_SLOT_NONE);
	s.current = CLI_SLOT_A;
	s.max_timestamp = 99;
	assert_int_equal(cli_slot_store_write_state(tmpdir, &s), 0);
	assert_int_equal(cli_slot_store_read_state(tmpdir, &t), 0);
	assert_int_equal(t.current, CLI_SLOT_A);
	assert_true(t.max_timestamp == 99);
	/* no temporary file is left behind by the atomic switch */
	snprintf(path, sizeof(path), "%s/.state.json.tmp", tmpdir);
	assert_int_equal(stat(path, &st), -1);
	/* a switch replaces, never merges */
	s.current = CLI_SLOT_B;
	assert_int_equal(cli_slot_store_write_state(tmpdir, &s), 0);
	assert_int_equal(cli_slot_store_read_state(tmpdir, &t), 0);
	assert_int_equal(t.current, CLI_SLOT_B);
	/* a hostile file: refused, not half-used */
	assert_int_equal(
	    cli_slot_store_put(tmpdir, "state.json", "{\"version\":1,\"current\":7}", 25, ""), 0);
	assert_int_not_equal(cli_slot_store_read_state(tmpdir, &t), 0);
	assert_int_equal(t.current, CLI_SLOT_NONE);
	/* a symlink is not followed */
	unlink(path);
	snprintf(path, sizeof(path), "%s/state.json", tmpdir);
	unlink(path);
	assert_int_equal(symlink("/etc/passwd", path), 0);
	assert_int_not_equal(cli_slot_store_read_state(tmpdir, &t), 0);
	unlink(path);
	/* a failed write (no such directory) leaves nothing */
	assert_int_not_equal(cli_slot_store_put("/nonexistent/dir", "x", "y", 1, ""), 0);
}

static void test_store_slots(void **unused)
{
	struct cli_slot_info i, j;
	char path[300];

	(void)unused;
	assert_int_equal(cli_slot_store_read_info(tmpdir, CLI_SLOT_A, &i), -ENOENT);
	assert_int_equal(cli_slot_store_wipe(tmpdir, CLI_SLOT_A), 0);
	snprintf(path, sizeof(path), "%s/a/artifacts", tmpdir);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(cli_slot_store_put(path, SHA1, "kernel", 6, ""), 0);
	cli_slot_info_init(&i);
	strcpy(i.plan_sha256, SHA1);
	strcpy(i.token, TOK);
	i.confirm = 2;
	assert_int_equal(cli_slot_store_write_info(tmpdir, CLI_SLOT_A, &i), 0);
	assert_int_equal(cli_slot_store_read_info(tmpdir, CLI_SLOT_A, &j), 0);
	assert_string_equal(j.plan_sha256, SHA1);
	/* the token: only the exact one confirms */
	assert_int_equal(cli_slot_store_confirmed(tmpdir, CLI_SLOT_A, TOK), 0);
	snprintf(path, sizeof(path), "%s/a", tmpdir);
	assert_int_equal(cli_slot_store_put(path, "confirmed", "deadbeef\n", 9, ""), 0);
	assert_int_equal(cli_slot_store_confirmed(tmpdir, CLI_SLOT_A, TOK), 0);
	assert_int_equal(cli_slot_store_put(path, "confirmed", TOK "\n", strlen(TOK) + 1, ""), 0);
	assert_int_equal(cli_slot_store_confirmed(tmpdir, CLI_SLOT_A, TOK), 1);
	assert_int_equal(cli_slot_store_confirmed(tmpdir, CLI_SLOT_A, ""), 0);
	assert_int_equal(cli_slot_store_confirmed(tmpdir, CLI_SLOT_B, TOK), 0);
	/* wiping: slot.json first, then everything, confirmed included */
	assert_int_equal(cli_slot_store_wipe(tmpdir, CLI_SLOT_A), 0);
	assert_int_equal(cli_slot_store_read_info(tmpdir, CLI_SLOT_A, &j), -ENOENT);
	assert_int_equal(cli_slot_store_confirmed(tmpdir, CLI_SLOT_A, TOK), 0);
	snprintf(path, sizeof(path), "%s/a/artifacts/%s", tmpdir, SHA1);
	assert_int_not_equal(access(path, F_OK), 0);
	/* the other slot is never touched */
	assert_int_equal(cli_slot_store_write_info(tmpdir, CLI_SLOT_B, &i), 0);
	assert_int_equal(cli_slot_store_wipe(tmpdir, CLI_SLOT_A), 0);
	assert_int_equal(cli_slot_store_read_info(tmpdir, CLI_SLOT_B, &j), 0);
	assert_int_not_equal(cli_slot_store_path(tmpdir, CLI_SLOT_NONE, NULL, path, sizeof(path)),
			     0);
}

static void test_store_log(void **unused)
{
	char path[200], **lines;
	unsigned n, i;
	struct stat st;

	(void)unused;
	for (i = 0; i < 3; i++)
		cli_slot_store_log(tmpdir, "line %u\nwith a newline", i);
	lines = cli_slot_store_tail_lines(tmpdir, 10, &n);
	assert_int_equal(n, 3);
	assert_non_null(strstr(lines[2], "line 2 with a newline"));
	for (i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
	/* bounded: past the cap it rotates to .1, and the tail spans both */
	for (i = 0; i < 3000; i++)
		cli_slot_store_log(tmpdir, "entry %u %0200d", i, 0);
	snprintf(path, sizeof(path), "%s/log/loader.log", tmpdir);
	assert_int_equal(stat(path, &st), 0);
	assert_true((size_t)st.st_size <= CLI_STATE_LOG_MAX);
	snprintf(path, sizeof(path), "%s/log/loader.log.1", tmpdir);
	assert_int_equal(stat(path, &st), 0);
	assert_true((size_t)st.st_size <= CLI_STATE_LOG_MAX);
	lines = cli_slot_store_tail_lines(tmpdir, 5, &n);
	assert_int_equal(n, 5);
	assert_non_null(strstr(lines[4], "entry 2999 "));
	assert_non_null(strstr(lines[0], "entry 2995 "));
	for (i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
	assert_null(cli_slot_store_tail_lines(tmpdir, 0, &n));
}

static void test_confirm_verb(void **unused)
{
	struct cli_plan p, q;
	char *two[] = {"2"}, *bad[] = {"0"}, *big[] = {"101"}, *junk[] = {"3x"},
	     *many[] = {"1", "2"};
	cJSON *j;
	char *s;

	(void)unused;
	cli_plan_init(&p);
	assert_int_equal(cli_plan_verb(&p, NULL, "confirm", 0, NULL), 0);
	assert_int_equal(p.confirm, CLI_PLAN_CONFIRM_DEFAULT);
	assert_int_equal(cli_plan_verb(&p, NULL, "confirm", 1, two), 0);
	assert_int_equal(p.confirm, 2);
	assert_int_equal(cli_plan_verb(&p, NULL, "confirm", 1, bad), -BR_EUSAGE);
	assert_int_equal(cli_plan_verb(&p, NULL, "confirm", 1, big), -BR_EUSAGE);
	assert_int_equal(cli_plan_verb(&p, NULL, "confirm", 1, junk), -BR_EUSAGE);
	assert_int_equal(cli_plan_verb(&p, NULL, "confirm", 2, many), -BR_EUSAGE);
	/* the setting travels in plan.json (a slot's plan on disk) */
	j = cli_plan_to_json(&p);
	s = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	assert_non_null(strstr(s, "\"confirm\":2"));
	assert_int_equal(cli_plan_from_json(&q, s, strlen(s)), 0);
	assert_int_equal(q.confirm, 2);
	free(s);
	cli_plan_free(&q);
	cli_plan_free(&p);
	assert_int_not_equal(cli_plan_from_json(&q, "{\"version\":1,\"confirm\":0}", 25), 0);
}

static void test_config_keys(void **unused)
{
	struct cli_config c, d;
	const char *js = "{\"script_deadline\":5,\"allow_rollback\":true}";
	char *out;

	(void)unused;
	cli_config_init(&c);
	assert_int_equal(cli_config_parse(&c, js, strlen(js)), 0);
	assert_int_equal(c.script_deadline, 5);
	assert_int_equal(c.allow_rollback, 1);
	out = cli_config_to_json(&c);
	cli_config_init(&d);
	assert_int_equal(cli_config_parse(&d, out, strlen(out)), 0);
	assert_int_equal(d.script_deadline, 5);
	assert_int_equal(d.allow_rollback, 1);
	free(out);
	cli_config_free(&d);
	cli_config_free(&c);
	cli_config_init(&c);
	assert_int_not_equal(cli_config_parse(&c, "{\"script_deadline\":0}", 21), 0);
	assert_int_not_equal(cli_config_parse(&c, "{\"allow_rollback\":1}", 20), 0);
	assert_int_equal(
	    cli_config_parse_cmdline(&c, "quiet bootrino.from=disk bootrino.allow_rollback"), 0);
	assert_int_equal(c.from_disk, 1);
	assert_int_equal(c.allow_rollback, 1);
	cli_config_free(&c);
	cli_config_init(&c);
	assert_int_equal(cli_config_parse_cmdline(&c, "bootrino.from=ram"), 0);
	assert_int_equal(c.from_disk, 0);
	cli_config_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_state_roundtrip),
	    cmocka_unit_test(test_state_hostile),
	    cmocka_unit_test(test_slot_info),
	    cmocka_unit_test(test_slot_names),
	    cmocka_unit_test(test_trial_transitions),
	    cmocka_unit_test_setup_teardown(test_store_state, setup_dir, teardown_dir),
	    cmocka_unit_test_setup_teardown(test_store_slots, setup_dir, teardown_dir),
	    cmocka_unit_test_setup_teardown(test_store_log, setup_dir, teardown_dir),
	    cmocka_unit_test(test_confirm_verb),
	    cmocka_unit_test(test_config_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
