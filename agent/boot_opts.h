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

/* Value parsers of the shared options (fields of struct cli_boot_args). */
int cli_boot_opt_str(void *field, const char *arg);	 /* char *, e.g. cli.script */
int cli_boot_opt_pubkey(void *field, const char *arg);	 /* struct cli_config */
int cli_boot_opt_timeout(void *field, const char *arg);	 /* long */
int cli_boot_opt_deadline(void *field, const char *arg); /* long */
int cli_boot_opt_site(void *field, const char *arg);	 /* char * */

/* The shared entries of an option table whose struct has a struct
 * cli_boot_args member m. */
#define CLI_BOOT_OPTIONS(st, m)                                                                    \
	CLI_OPT_PARSER("script", "", "URL", cli_boot_opt_str, st, m.cli.script, 0,                 \
		       "bootrino.sh (required, or in --config)"),                                  \
	    CLI_OPT_PARSER("pubkey", "Pp", "KEY", cli_boot_opt_pubkey, st, m.cli, CLI_REPEAT,      \
			   "trusted minisign key: RW... or a .pub file (repeatable)"),             \
	    CLI_OPT_PARSER("cacert", "", "FILE", cli_boot_opt_str, st, m.cli.cacert, 0,            \
			   "CA bundle for https"),                                                 \
	    CLI_OPT("config", "", "FILE", CLI_STR, st, m.config_path, 0,                           \
		    "settings as JSON (docs/stages.md); options given here win"),                  \
	    CLI_OPT_PARSER("timeout", "", "SECONDS", cli_boot_opt_timeout, st,                     \
			   m.cli.script_timeout, 0,                                                \
			   "bound on bootrino.sh's run time (default 120)"),                       \
	    CLI_OPT_PARSER("site", "", "NAME", cli_boot_opt_site, st, m.cli.site, 0,               \
			   "signatures must carry site:NAME (docs/verify.md)"),                    \
	    CLI_OPT_PARSER("deadline", "", "SECONDS", cli_boot_opt_deadline, st, m.cli.deadline,   \
			   0, "all downloads of this stage together (default 3600)")

/* The every-boot options (docs/every-boot.md). */
#define CLI_BOOT_SLOT_OPTIONS(st, m)                                                               \
	CLI_OPT("slots", "", "DIR", CLI_STR, st, m.slots_dir, 0,                                   \
		"bootrino-state at DIR: boot from its slots, keep the\n"                           \
		"newest signed plan there (docs/every-boot.md)"),                                  \
	    CLI_OPT("allow-rollback", "", NULL, CLI_FLAG, st, m.cli.allow_rollback, 0,             \
		    "accept a bootrino.sh signed before the newest accepted\n(logged)"),           \
	    CLI_OPT_PARSER("script-deadline", "", "SECONDS", cli_boot_opt_deadline, st,            \
			   m.cli.script_deadline, 0,                                               \
			   "with --slots: bootrino.sh + signature within this\n"                   \
			   "(default 60), else the current slot boots")

/* Flags every table spells the same way. */
#define CLI_BOOT_INSECURE(st, m, hl)                                                               \
	CLI_OPT("insecure", "", NULL, CLI_FLAG, st, m.cli.insecure, 0, hl)
#define CLI_BOOT_STATE_DIR(st, m)                                                                  \
	CLI_OPT("state-dir", "", "DIR", CLI_STR, st, m.state_dir, 0,                               \
		"anti-rollback state (default " CLI_HOST_STATE_DIR ")")

struct cli_boot_args {
	struct cli_config cli; /* from the command line */
	const char *config_path;
	const char *state_dir; /* NULL: the stage's default */
	int state_dir_set;
	/* bootrino-state, mounted (docs/every-boot.md): the every-boot
	 * decision between the newest bootrino.sh and the slots; NULL: none */
	const char *slots_dir;
	const char *slots_dev; /* the partition behind it, for boot.json */
	const char *slots_why; /* the loader without slots: why (RAM only) */
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

/* Load --config, merge, build the keyring and fetch options; with
 * need_script, say which of --script and --pubkey is still missing.
 * Exit code (2 for a bad config or key) or 0. */
int cli_boot_args_finish(const struct br_command *cmd, struct cli_boot_args *a, int need_script);

#endif
