#include <cjson/cJSON.h>
#include <stdio.h>

#include "agent/cli.h"
#include "agent/version.h"
#include "fetch/fetch.h"
#include "kexec/kexec.h"
#include "verify/verify.h"

static int cmd_version(int argc, char **argv);

BR_COMMAND(version) = {
    .name = "version",
    .summary = "print bootrino's version and the libraries it is linked with",
    .usage = "usage: bootrino version\n\n"
	     "Print bootrino's version and the versions of libcurl, OpenSSL,\n"
	     "libarchive and cJSON it is linked with.\n",
    .run = cmd_version,
};

static int cmd_version(int argc, char **argv)
{
	static const struct option opts[] = {CLI_COMMON_OPTIONS, {NULL, 0, NULL, 0}};
	int c, rc;

	while ((c = getopt_long(argc, argv, "+hv", opts, NULL)) != -1) {
		rc = cli_common_option(&br_command_version, c);
		if (rc != CLI_CONTINUE)
			return rc;
	}
	if (optind != argc)
		return cli_usage_error(&br_command_version, "unexpected argument '%s'",
				       argv[optind]);
	printf("bootrino %s\n", BOOTRINO_VERSION);
	printf("libcurl: %s\n", fetch_library_version());
	printf("OpenSSL: %s\n", verify_library_version());
	printf("libarchive: %s\n", kexec_library_version());
	printf("cJSON: %s\n", cJSON_Version());
	return 0;
}
