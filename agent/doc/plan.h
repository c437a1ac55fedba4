/* The boot plan a bootrino.sh builds (docs/design.md, "Contracts"), its JSON form and its
 * validation. Pure: no I/O besides what the caller hands in, so the
 * parsers can be unit-tested and fuzzed.
 *
 * One plan = one target: a Linux kernel with initrds, or a multiboot ELF
 * with modules; a command line; files for the overlay. Every artifact
 * carries a sha256 pin unless the run was started with --insecure (the
 * parent records that in the plan header; a verb cannot change it).
 */
#ifndef BOOTRINO_AGENT_DOC_PLAN_H
#define BOOTRINO_AGENT_DOC_PLAN_H

#include <stddef.h>

#include <cjson/cJSON.h>

#define CLI_PLAN_VERSION 1
#define CLI_PLAN_MAX_BYTES (1u << 20) /* the plan file, as JSON */
#define CLI_PLAN_MAX_IMAGES 16	      /* initrds or modules (KEXEC_MAX_INITRDS) */
#define CLI_PLAN_MAX_FILES 64	      /* overlay entries */
#define CLI_PLAN_URL_MAX 2048
#define CLI_PLAN_PATH_MAX 256
#define CLI_PLAN_ARGS_MAX 1024		 /* multiboot module arguments */
#define CLI_PLAN_CMDLINE_MAX 2048	 /* x86 COMMAND_LINE_SIZE */
#define CLI_PLAN_CONTENT_MAX (64u << 10) /* inline `file` content */
#define CLI_PLAN_HEX_LEN 64
/* `confirm [BOOTS]`: unconfirmed boots before a trial slot is abandoned */
#define CLI_PLAN_CONFIRM_DEFAULT 3
#define CLI_PLAN_CONFIRM_MAX 100
/* size=N: cJSON prints 15 significant digits, so exact below 10^15 */
#define CLI_PLAN_SIZE_MAX 999999999999999ULL

/* The overlay path the agent writes itself; a `file` verb may not take it. */
#define CLI_PLAN_FACTS_PATH "/etc/bootrino/facts.json"

enum cli_plan_kind { CLI_PLAN_NONE, CLI_PLAN_LINUX, CLI_PLAN_MULTIBOOT };

struct cli_plan_artifact {
	char *url;			   /* absolute (resolved) */
	char sha256[CLI_PLAN_HEX_LEN + 1]; /* lower-case hex, "" if unpinned */
	char *args;			   /* multiboot module args, or NULL */
	unsigned long long size;	   /* size=N after the pin: exact size, 0 unknown */
};

struct cli_plan_file {
	char *path;    /* absolute, no "..", inside the target */
	char *content; /* inline content (NULL when url is set) */
	size_t len;
	char *url; /* content fetched from here (pinned) */
	char sha256[CLI_PLAN_HEX_LEN + 1];
};

struct cli_plan {
	/* header, written by the parent before the script runs */
	char *script_url; /* relative URLs resolve against this */
	int insecure;	  /* artifacts without a pin are allowed */
	/* body, built by the verbs */
	enum cli_plan_kind kind;
	struct cli_plan_artifact kernel;		      /* bzImage or multiboot ELF */
	struct cli_plan_artifact images[CLI_PLAN_MAX_IMAGES]; /* initrds or modules */
	size_t n_images;
	char *cmdline;
	struct cli_plan_file files[CLI_PLAN_MAX_FILES];
	size_t n_files;
	unsigned confirm; /* `confirm BOOTS`: the target must confirm (0: no) */
	int boot;	  /* `boot` was called: the plan is sealed */
	char *error;	  /* a verb failed: the plan must not boot */
	int error_exit;	  /* that verb's exit code */
};

/* Resolves ref against base into out (fetch_url_resolve's signature), so
 * that the plan stays free of fetch/ for the fuzzer and the tests. */
typedef int (*cli_plan_resolver)(const char *base, const char *ref, char *out, size_t outlen);

void cli_plan_init(struct cli_plan *p);
void cli_plan_free(struct cli_plan *p);

/* Header: the script's URL (may be NULL: then only absolute URLs work). */
int cli_plan_set_header(struct cli_plan *p, const char *script_url, int insecure);

/* The verbs, with their arguments as the script passed them (argv after
 * the verb name). 0, or -BR_EUSAGE / -BR_ECONFIG / -BR_EINSECURE with a
 * br_fail() detail. */
int cli_plan_verb(struct cli_plan *p, cli_plan_resolver resolve, const char *verb, int argc,
		  char *const *argv);

/* The checks a plan must pass before it is fetched: a kernel, every
 * artifact pinned (unless insecure), sizes. 0 or -BR_E* with a detail. */
int cli_plan_check_bootable(const struct cli_plan *p);

/* Mark the plan as failed (first failure wins). */
void cli_plan_set_error(struct cli_plan *p, int exit_code, const char *msg);

/* JSON. to_json returns a new cJSON tree (NULL on ENOMEM); from_json
 * parses at most CLI_PLAN_MAX_BYTES, strictly (unknown keys, wrong types,
 * bad pins or paths are -BR_ECONFIG). */
cJSON *cli_plan_to_json(const struct cli_plan *p);
int cli_plan_from_json(struct cli_plan *p, const char *buf, size_t len);

/* 1 if s is exactly 64 hex digits. */
int cli_plan_is_hex64(const char *s);
/* 0 if path is a safe absolute overlay path, else -BR_EUSAGE + detail. */
int cli_plan_check_path(const char *path);

#endif
