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

BR_COMMAND(verify) = {
    .name = "verify",
    .summary = "check a file's minisign signature against trusted keys",
    .usage = "usage: bootrino verify FILE --pubkey KEY [--pubkey KEY2]… [--sig FILE.minisig]\n\n"
	     "Verify FILE against its minisign signature (default FILE.minisig).\n"
	     "KEY is a public key as `minisign -G` prints it (RW…) or the path of\n"
	     "its .pub file; give --pubkey several times to trust several keys\n"
	     "(key rotation). Prehashed and legacy signatures are both accepted.\n\n"
	     "  -k, --pubkey KEY   trust this public key (repeatable, at least one)\n"
	     "  -s, --sig FILE     signature file (default: FILE.minisig)\n"
	     "  -v, --verbose      debug output\n"
	     "  -h, --help         this text\n\n"
	     "Exit status: 0 good signature, 2 usage error or unusable key,\n"
	     "3 verification failed (bad signature, unknown key ID, tampered trusted\n"
	     "comment, malformed or missing signature file).\n",
    .run = cmd_verify,
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
	static const struct option opts[] = {
	    {"pubkey", required_argument, NULL, 'k'},
	    {"sig", required_argument, NULL, 's'},
	    CLI_COMMON_OPTIONS,
	    {NULL, 0, NULL, 0},
	};
	static struct verify_keyring kr; /* static: keeps 400+ bytes off the stack */
	struct verify_sigresult res;
	char hex[VERIFY_KEYID_HEXLEN + 1];
	const char *sigpath = NULL, *path;
	char *defsig = NULL;
	int c, rc, nkeys = 0;

	memset(&kr, 0, sizeof(kr));
	/* no '+': FILE usually comes first, options after it */
	while ((c = getopt_long(argc, argv, "hvk:s:", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			nkeys++;
			br_errclear();
			rc = verify_keyring_add(&kr, optarg);
			if (rc) {
				/* an unusable trust root is a configuration error */
				cli_fail(rc, "--pubkey");
				return BR_EXIT_USAGE;
			}
			break;
		case 's':
			sigpath = optarg;
			break;
		default:
			rc = cli_common_option(&br_command_verify, c);
			if (rc != CLI_CONTINUE)
				return rc;
		}
	}
	if (optind >= argc)
		return cli_usage_error(&br_command_verify, "missing FILE");
	if (optind + 1 < argc)
		return cli_usage_error(&br_command_verify, "unexpected argument '%s'",
				       argv[optind + 1]);
	if (nkeys == 0)
		return cli_usage_error(&br_command_verify, "at least one --pubkey is required");
	path = argv[optind];
	if (!sigpath) {
		if (asprintf(&defsig, "%s.minisig", path) < 0)
			return cli_fail(-ENOMEM, path);
		sigpath = defsig;
	}

	rc = verify_minisign_file(&kr, path, sigpath, &res);
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
	return fflush(stdout) == 0 ? 0 : BR_EXIT_FAIL;
}
