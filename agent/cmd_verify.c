/* `bootrino verify FILE --pubkey KEY… [--sig FILE.minisig]`: check a
 * minisign signature as `minisign -V` would, with several trusted keys. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/cli.h"
#include "common/err.h"
#include "common/log.h"
#include "verify/minisign.h"

static int cmd_verify(int argc, char **argv);

struct verify_args {
	struct cli_keys keys;
	const char *minisig, *file;
};

#define A struct verify_args
static const struct cli_option verify_options[] = {
    CLI_OPT_PARSER("pubkey", "Pp", "KEY", cli_opt_pubkey, A, keys, CLI_REPEAT | CLI_REQUIRED,
		   "trust this public key: RW... or a .pub file\n(repeatable, at least one)"),
    CLI_OPT("minisig", "x", "FILE", CLI_STR, A, minisig, 0,
	    "signature file (default: FILE.minisig)"),
    CLI_OPT("file", "m", "FILE", CLI_STR, A, file, 0,
	    "the file to verify (or FILE after the options)"),
};
#undef A

BR_COMMAND(verify) = {
    .name = "verify",
    .summary = "check a file's minisign signature against trusted keys",
    .synopsis = "FILE --pubkey KEY [--pubkey KEY2]... [--minisig FILE.minisig]\n"
		"-m FILE -P KEY [-x FILE.minisig]   (minisign -V's letters)",
    .description = "Verify FILE against its minisign signature (default FILE.minisig).\n"
		   "KEY is a public key as `minisign -G` prints it (RW...) or the path of\n"
		   "its .pub file; give --pubkey several times to trust several keys\n"
		   "(key rotation). Prehashed and legacy signatures are both accepted.\n",
    CLI_OPTIONS(verify_options),
    .max_args = 1,
    .exit_status = "0  good signature\n2  usage error or unusable key\n"
		   "3  verification failed (bad signature, unknown key ID, tampered\n"
		   "   trusted comment, malformed or missing signature file)\n",
    .example =
	"bootrino verify bootrino.sh -P RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3\n",
    .run = cmd_verify,
    .fail_exit = BR_EXIT_VERIFY,
};

/* The trusted comment is signed, but a key holder could still put terminal
 * escapes in it: print control characters (except tab) as '?'. */
static void print_comment(const char *s)
{
	for (; *s; s++)
		putchar((unsigned char)*s < 0x20 && *s != '\t' ? '?' : *s);
}

static int cmd_verify(int argc, char **argv)
{
	static struct verify_args a; /* static: keeps the keyring off the stack */
	const struct br_command *cmd = &br_command_verify;
	struct verify_sigresult res;
	char hex[VERIFY_KEYID_HEXLEN + 1];
	const char *sigpath, *path;
	char *defsig = NULL;
	int n, rc;

	memset(&a, 0, sizeof(a));
	n = cli_parse(cmd, argc, argv, &a);
	if (n < 0)
		return cli_parse_exit(n);
	if (a.file && n < argc)
		return cli_usage_error(cmd, "give FILE once: -m FILE or FILE");
	if (!a.file && n >= argc)
		return cli_usage_error(cmd, "missing FILE");
	path = a.file ? a.file : argv[n];
	sigpath = a.minisig;
	if (!sigpath) {
		if (asprintf(&defsig, "%s.minisig", path) < 0)
			return cli_fail(-ENOMEM, path);
		sigpath = defsig;
	}

	rc = verify_minisign_file(&a.keys.kr, path, sigpath, &res);
	free(defsig);
	if (rc) {
		cli_fail(rc, path);
		/* a missing or unreadable file or signature is still "not
		 * verified": permanent, exit 3 like any other verdict */
		return BR_EXIT_VERIFY;
	}
	verify_keyid_hex(res.keyid, hex);
	printf("bootrino: %s: good %s signature from key %s; trusted comment: ", path,
	       res.prehashed ? "prehashed" : "legacy", hex);
	print_comment(res.trusted_comment);
	putchar('\n');
	return fflush(stdout) == 0 ? 0 : BR_EXIT_DISK;
}
