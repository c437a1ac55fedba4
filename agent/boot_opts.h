/* Options shared by `boot`, `plan` and `takeover`: --script, --pubkey,
 * --cacert, --insecure, --config, --timeout, --site, --state-dir. Command-line
 * values override those of --config FILE; --pubkey given on the command
 * line replaces the config file's list. */
#ifndef BOOTRINO_AGENT_BOOT_OPTS_H
#define BOOTRINO_AGENT_BOOT_OPTS_H

#include "agent/cli.h"
#include "agent/doc/config.h"
#include "fetch/fetch.h"
#include "verify/minisign.h"

enum {
	CLI_OPT_SCRIPT = 0x100,
	CLI_OPT_PUBKEY,
	CLI_OPT_CACERT,
	CLI_OPT_INSECURE,
	CLI_OPT_CONFIG,
	CLI_OPT_TIMEOUT,
	CLI_OPT_STATE_DIR,
	CLI_OPT_DRY_RUN,
	CLI_OPT_LOADER,
	CLI_OPT_DIRECT,
	CLI_OPT_JSON,
	CLI_OPT_SITE,
	CLI_OPT_DEADLINE,
	CLI_OPT_NO_INSTALL,
};

#define CLI_BOOT_OPTIONS                                                                           \
	{"script", required_argument, NULL, CLI_OPT_SCRIPT},                                       \
	    {"pubkey", required_argument, NULL, CLI_OPT_PUBKEY},                                   \
	    {"cacert", required_argument, NULL, CLI_OPT_CACERT},                                   \
	    {"insecure", no_argument, NULL, CLI_OPT_INSECURE},                                     \
	    {"config", required_argument, NULL, CLI_OPT_CONFIG},                                   \
	    {"timeout", required_argument, NULL, CLI_OPT_TIMEOUT},                                 \
	    {"site", required_argument, NULL, CLI_OPT_SITE},                                       \
	    {"deadline", required_argument, NULL, CLI_OPT_DEADLINE},                               \
	{                                                                                          \
		"state-dir", required_argument, NULL, CLI_OPT_STATE_DIR                            \
	}

struct cli_boot_args {
	struct cli_config cli; /* from the command line */
	const char *config_path;
	const char *state_dir; /* NULL: the stage's default */
	int state_dir_set;
	struct cli_config cfg; /* merged: config file, then command line */
	struct verify_keyring keys;
	struct fetch_opts fetch;
	char cacert_tmp[64]; /* cacert_pem written out for fetch/ */
	/* out: the signature timestamp of the bootrino.sh the last run
	 * accepted (0: none); takeover carries it into the loader */
	unsigned long long accepted_timestamp;
};

void cli_boot_args_init(struct cli_boot_args *a);
void cli_boot_args_free(struct cli_boot_args *a);

/* Handle one shared option; CLI_CONTINUE if c is not one of them, else 0
 * or an exit code. */
int cli_boot_option(const struct br_command *cmd, struct cli_boot_args *a, int c, const char *arg);

/* Load --config, merge, build the keyring and fetch options. Exit code
 * (2 for a bad config or key) or 0. */
int cli_boot_args_finish(const struct br_command *cmd, struct cli_boot_args *a);

#endif
