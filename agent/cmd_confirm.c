/* `bootrino confirm`: the dead-man switch (docs/every-boot.md).
 *
 * Inside a bootrino.sh ($BOOTRINO_PLAN set) `confirm [BOOTS]` is the verb:
 * the plan's slot stays on trial until the target confirms it, and is
 * abandoned after BOOTS unconfirmed boots. In the target, `bootrino
 * confirm` (the loader puts its own binary at /usr/bin/bootrino when the
 * plan asks for confirmation) reads /etc/bootrino/boot.json, mounts the
 * partition named bootrino-state, writes SLOT/confirmed holding the boot's
 * token, fsyncs it and unmounts. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "agent/cli.h"
#include "agent/doc/detail.h"
#include "agent/doc/json.h"
#include "agent/doc/plan_file.h"
#include "agent/slot_store.h"
#include "common/err.h"
#include "common/file.h"
#include "common/log.h"

#define BOOT_JSON "/etc/bootrino/boot.json"

static int cmd_confirm(int argc, char **argv);

struct confirm_args {
	const char *boot_json;
	const char *state;
};

#define A struct confirm_args
static const struct cli_option confirm_options[] = {
    CLI_OPT("boot-json", "", "FILE", CLI_STR, A, boot_json, 0,
	    "what booted this target (default " BOOT_JSON ")"),
    CLI_OPT("state", "", "DIR", CLI_STR, A, state, 0,
	    "bootrino-state already mounted at DIR (default: mount the partition)"),
};
#undef A

BR_COMMAND(confirm) = {
    .name = "confirm",
    .summary = "confirm the slot this target booted from (the dead-man switch)",
    .synopsis = "[--boot-json FILE] [--state DIR]\n"
		"(as a verb, inside bootrino.sh: confirm [BOOTS])",
    .description = "In a target booted from a slot on trial: mark the slot good, so that the\n"
		   "next loader run makes it current. Reads the slot and its token from\n"
		   "/etc/bootrino/boot.json, mounts the partition named bootrino-state, writes\n"
		   "SLOT/confirmed (the token), fsyncs and unmounts. Without this binary a\n"
		   "target may do the same by hand (docs/every-boot.md).\n"
		   "Inside a bootrino.sh, `bootrino confirm [BOOTS]` (default 3) asks for it:\n"
		   "a slot booted BOOTS times without confirmation is abandoned.\n",
    CLI_OPTIONS(confirm_options),
    .max_args = 0,
    .exit_status = "0  confirmed (or nothing on trial)\n2  usage error, or no usable boot.json\n"
		   "6  bootrino-state not found, or the write failed\n",
    .example = "bootrino confirm   # in the target, once its service answers\n",
    .run = cmd_confirm,
    .fail_exit = BR_EXIT_DISK,
};

static int confirm_verb(const char *plan, int argc, char **argv)
{
	int rc;

	if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0))
		return cli_help(&br_command_confirm);
	rc = cli_plan_file_apply(plan, "confirm", argc - 1, argv + 1);
	if (rc)
		br_debug("confirm: %s", br_errdetail());
	return rc ? cli_exitcode(rc, BR_EXIT_USAGE) : 0;
}

/* slot and token out of boot.json */
static int read_boot_json(const char *path, int *slot, int *trial, char *token, size_t toklen)
{
	const char *s = NULL, *t = NULL;
	cJSON *root, *tr;
	char *buf;
	size_t len;
	int rc;

	rc = br_file_read(path, 64 << 10, 0, -BR_ETOOBIG, &buf, &len);
	if (rc)
		return rc == -ENOENT ? br_fail(-BR_ECONFIG, "%s: not booted from a slot", path)
				     : cli_wrap_detail(-BR_ECONFIG, path);
	rc = cli_json_parse_object(path, buf, len, 64 << 10, &root);
	free(buf);
	if (rc)
		return rc;
	rc = cli_json_get_string(path, root, "slot", 1, 1, 0, &s);
	if (!rc)
		rc = cli_json_get_string(path, root, "token", 0, CLI_SLOTS_TOKEN_LEN, 0, &t);
	if (!rc && strcmp(s, "a") != 0 && strcmp(s, "b") != 0)
		rc = br_fail(-BR_ECONFIG, "%s: \"slot\" must be \"a\" or \"b\"", path);
	if (!rc) {
		*slot = s[0] == 'a' ? CLI_SLOT_A : CLI_SLOT_B;
		tr = cJSON_GetObjectItemCaseSensitive(root, "trial");
		*trial = cJSON_IsTrue(tr);
		snprintf(token, toklen, "%s", t ? t : "");
	}
	cJSON_Delete(root);
	return rc;
}

static int cmd_confirm(int argc, char **argv)
{
	const struct br_command *cmd = &br_command_confirm;
	const char *plan_env = getenv("BOOTRINO_PLAN");
	struct confirm_args a;
	char token[CLI_SLOTS_TOKEN_LEN + 2] = "", dir[600], dev[128];
	const char *root;
	int n, rc, slot = CLI_SLOT_NONE, trial = 0;

	if (plan_env && *plan_env)
		return confirm_verb(plan_env, argc, argv);
	memset(&a, 0, sizeof(a));
	n = cli_parse(cmd, argc, argv, &a);
	if (n < 0)
		return cli_parse_exit(n);
	rc = read_boot_json(a.boot_json ? a.boot_json : BOOT_JSON, &slot, &trial, token,
			    sizeof(token));
	if (rc)
		return cli_fail_as(rc, "confirm", BR_EXIT_USAGE);
	if (!token[0]) {
		printf("bootrino: confirm: slot %s needs no confirmation\n", cli_slot_name(slot));
		return 0;
	}
	root = a.state;
	if (!root) {
		rc = cli_slot_store_find(NULL, dev, sizeof(dev));
		if (!rc)
			rc = cli_slot_store_mount(dev, CLI_STATE_MNT, 0);
		if (rc)
			return cli_fail_as(rc, "confirm", BR_EXIT_DISK);
		root = CLI_STATE_MNT;
	}
	rc = cli_slot_store_path(root, slot, NULL, dir, sizeof(dir));
	if (!rc) {
		size_t len = strlen(token);

		token[len] = '\n';
		rc = cli_slot_store_put(dir, "confirmed", token, len + 1, "");
		token[len] = '\0';
	}
	if (!a.state) {
		int urc = cli_slot_store_umount(CLI_STATE_MNT);

		if (!rc)
			rc = urc;
	}
	if (rc)
		return cli_fail_as(rc, "confirm", BR_EXIT_DISK);
	printf("bootrino: confirm: slot %s confirmed%s\n", cli_slot_name(slot),
	       trial ? "; the next boot keeps it" : "");
	return fflush(stdout) == 0 ? 0 : BR_EXIT_DISK;
}
