/* Agent configuration: the JSON file (--config FILE, and the loader's
 * /etc/bootrino/config.json written by takeover) and the kernel command
 * line keys the loader's init accepts. Pure parsers, fuzzable. */
#ifndef BOOTRINO_AGENT_DOC_CONFIG_H
#define BOOTRINO_AGENT_DOC_CONFIG_H

#include <stddef.h>

#include "verify/minisign.h"

/* What takeover writes into the loader's overlay and `init` reads. */
#define CLI_CONFIG_PATH "/etc/bootrino/config.json"
#define CLI_CONFIG_MAX_BYTES (256u << 10)
#define CLI_CONFIG_PEM_MAX (192u << 10)
#define CLI_CONFIG_URL_MAX 2047
#define CLI_CONFIG_KEY_MAX 1024 /* a base64 key line, or a .pub path */
#define CLI_CONFIG_CMDLINE_MAX 4096
/* Every download of one stage (bootrino.sh, signatures, artifacts)
 * together: a server trickling just above the stall limit must not keep a
 * stage alive for weeks. An hour fetches 4 GiB at ~1.2 MB/s. */
#define CLI_DEADLINE_DEFAULT_S 3600
#define CLI_DEADLINE_MAX_S 86400
/* Booted from disk, the loader waits this long for bootrino.sh and its
 * signature before it boots the current slot (docs/every-boot.md). */
#define CLI_SCRIPT_DEADLINE_DEFAULT_S 60

enum cli_mode { CLI_MODE_UNSET, CLI_MODE_LOADER, CLI_MODE_DIRECT };

struct cli_config {
	char *script;			/* bootrino.sh URL */
	char *pubkeys[VERIFY_MAX_KEYS]; /* as --pubkey takes them */
	size_t n_pubkeys;
	char *cacert;	  /* CA bundle path */
	char *cacert_pem; /* or its contents (carried to the loader) */
	char *loader;	  /* loader.json URL */
	enum cli_mode mode;
	int insecure;	     /* unpinned artifacts / TLS: both refused unless set */
	long script_timeout; /* seconds, 0 = default */
	long deadline;	     /* a stage's downloads together, seconds; 0 = default */
	int shell;	     /* cmdline only: bootrino.shell */
	char *site;	     /* deployment name the signatures must carry (site:NAME) */
	/* the newest signature timestamp already accepted (by the host's
	 * preflight): the loader refuses an older bootrino.sh */
	unsigned long long min_timestamp;
	long script_deadline; /* from disk: bootrino.sh + signature, seconds; 0 = default */
	int allow_rollback;   /* accept an older signature timestamp (logged) */
	int from_disk;	      /* cmdline only: bootrino.from=disk (every-boot slots) */
	char *install;	      /* "install" object as JSON text: what the loader
				 writes to which disk (agent/install.h), or NULL */
};

void cli_config_init(struct cli_config *c);
void cli_config_free(struct cli_config *c);

/* Parse a JSON config (strict: unknown keys, wrong types, oversize are
 * -BR_ECONFIG / -BR_ETOOBIG). Values found replace those in c. */
int cli_config_parse(struct cli_config *c, const char *buf, size_t len);
/* Read and parse a file (capped). */
int cli_config_load(struct cli_config *c, const char *path);

/* The kernel command line (/proc/cmdline): bootrino.script=URL,
 * bootrino.pubkey=KEY (repeatable), bootrino.loader=URL,
 * bootrino.insecure, bootrino.shell. Values may be double-quoted as the
 * kernel allows (bootrino.script="…"). Other words are ignored. */
int cli_config_parse_cmdline(struct cli_config *c, const char *cmdline);

/* Setters used by option parsing (copy the value). */
int cli_config_set_str(char **slot, const char *value);
int cli_config_add_pubkey(struct cli_config *c, const char *key);

/* Serialise what the loader needs (script, pubkeys, cacert_pem, mode,
 * insecure, script_timeout, site, min_timestamp, install) as compact JSON;
 * malloc()ed, NULL on ENOMEM. */
char *cli_config_to_json(const struct cli_config *c);

#endif
