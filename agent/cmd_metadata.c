/* `bootrino metadata`: the detected cloud and the facts takeover would
 * carry to the target, as JSON (docs/facts.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/cli.h"
#include "agent/metadata_check.h"
#include "cloudinit/cloudinit.h"
#include "common/err.h"

static int cmd_metadata(int argc, char **argv);

BR_COMMAND(metadata) = {
    .name = "metadata",
    .summary = "print the detected cloud and this machine's facts as JSON",
    .usage = "usage: bootrino metadata [--cloud aws|gcp|digitalocean|unknown]\n"
	     "                         [--metadata-url URL] [--no-metadata] [--timeout S]\n"
	     "                         [--check]\n\n"
	     "Print the facts bootrino carries to the target (docs/facts.md): cloud,\n"
	     "hostname, instance id, ssh keys, network (netlink) and DNS.\n\n"
	     "  --cloud NAME        skip detection (DMI) and assume this cloud\n"
	     "  --metadata-url URL  ask the metadata service there; a failure is then\n"
	     "                      an error (exit 4). Without it the service is asked at\n"
	     "                      169.254.169.254 only when DMI names the cloud, and\n"
	     "                      a failure is recorded in the facts.\n"
	     "  --no-metadata       files and netlink only\n"
	     "  --timeout S         metadata deadline (default 5)\n"
	     "  --check             a one-screen report instead of JSON: what would be\n"
	     "                      carried, where it came from, and WARNING lines for\n"
	     "                      what looks wrong (no ssh key, no address, no route)\n",
    .run = cmd_metadata,
};

static int cmd_metadata(int argc, char **argv)
{
	enum { OPT_CLOUD = 256, OPT_URL, OPT_NO_MD, OPT_TIMEOUT, OPT_ROOT, OPT_CHECK };
	static const struct option opts[] = {
	    {"cloud", required_argument, NULL, OPT_CLOUD},
	    {"metadata-url", required_argument, NULL, OPT_URL},
	    {"no-metadata", no_argument, NULL, OPT_NO_MD},
	    {"timeout", required_argument, NULL, OPT_TIMEOUT},
	    {"check", no_argument, NULL, OPT_CHECK},
	    /* undocumented: read files under another root (tests) */
	    {"root", required_argument, NULL, OPT_ROOT},
	    CLI_COMMON_OPTIONS,
	    {NULL, 0, NULL, 0},
	};
	const struct br_command *cmd = &br_command_metadata;
	struct cloud_facts_opts o;
	unsigned long timeout;
	cJSON *facts = NULL;
	char *text;
	int c, rc, check = 0;

	cloud_facts_opts_init(&o);
	while ((c = getopt_long(argc, argv, "+hv", opts, NULL)) != -1) {
		switch (c) {
		case OPT_CLOUD:
			o.cloud = cloud_name_canonical(optarg);
			if (!o.cloud)
				return cli_usage_error(cmd,
						       "--cloud: '%s': expected aws, gcp, "
						       "digitalocean or unknown",
						       optarg);
			break;
		case OPT_URL:
			o.metadata_url = optarg;
			break;
		case OPT_NO_MD:
			o.metadata = 0;
			break;
		case OPT_CHECK:
			check = 1;
			break;
		case OPT_ROOT:
			o.root = optarg;
			break;
		case OPT_TIMEOUT:
			if (cli_parse_uint(optarg, 300, &timeout) < 0 || !timeout)
				return cli_usage_error(cmd, "--timeout: '%s': 1..300 seconds",
						       optarg);
			o.timeout_s = (unsigned)timeout;
			break;
		default:
			rc = cli_common_option(cmd, c);
			if (rc != CLI_CONTINUE)
				return rc;
		}
	}
	if (optind != argc)
		return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	if (o.metadata_url) {
		if (!o.cloud || !strcmp(o.cloud, CLOUD_UNKNOWN))
			return cli_usage_error(cmd,
					       "--metadata-url needs --cloud aws|gcp|digitalocean");
		o.metadata_required = 1;
	}
	rc = cloud_facts_collect_opts(&o, &facts);
	if (rc < 0)
		return cli_fail(rc, o.metadata_url ? o.metadata_url : "facts");
	if (check) {
		cli_metadata_check(facts, stdout);
		cJSON_Delete(facts);
		return fflush(stdout) == 0 ? 0 : BR_EXIT_FAIL;
	}
	text = cJSON_Print(facts);
	cJSON_Delete(facts);
	if (!text)
		return cli_fail(-12, "facts");
	printf("%s\n", text);
	free(text);
	return fflush(stdout) == 0 ? 0 : BR_EXIT_FAIL;
}
