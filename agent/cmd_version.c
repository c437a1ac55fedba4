/* `bootrino version` (also `bootrino -V`, `--version`, and `--version`
 * after any command): bootrino's version and its libraries. */
#include <cjson/cJSON.h>
#include <stdio.h>

#include "agent/cli.h"
#include "agent/version.h"
#include "common/err.h"
#include "fetch/fetch.h"
#include "kexec/kexec.h"
#include "verify/verify.h"

static int cmd_version(int argc, char **argv);

BR_COMMAND(version) = {
    .name = "version",
    .summary = "print bootrino's version and the libraries it is linked with",
    .synopsis = "",
    .description = "Print bootrino's version and the versions of libcurl, OpenSSL,\n"
		   "libarchive and cJSON it is linked with. `bootrino -V`, `bootrino\n"
		   "--version` and `--version` after any command print the same.\n",
    .exit_status = "0  ok\n2  usage error\n",
    .example = "bootrino --version\n",
    .run = cmd_version,
};

void cli_print_version(FILE *f)
{
	fprintf(f, "bootrino %s\n", BOOTRINO_VERSION);
	fprintf(f, "libcurl: %s\n", fetch_library_version());
	fprintf(f, "OpenSSL: %s\n", verify_library_version());
	fprintf(f, "libarchive: %s\n", kexec_library_version());
	fprintf(f, "cJSON: %s\n", cJSON_Version());
}

static int cmd_version(int argc, char **argv)
{
	int n = cli_parse(&br_command_version, argc, argv, NULL);

	if (n < 0)
		return cli_parse_exit(n);
	cli_print_version(stdout);
	return fflush(stdout) == 0 ? 0 : BR_EXIT_USAGE;
}
