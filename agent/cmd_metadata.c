/* `bootrino metadata`: the detected cloud and the facts takeover would
 * carry to the target, as JSON (docs/facts.md). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/cli.h"
#include "agent/metadata_check.h"
#include "cloudinit/cloudinit.h"
#include "common/err.h"

static int cmd_metadata(int argc, char **argv);

struct metadata_args {
	const char *cloud, *url, *root, *link_local;
	int no_metadata, check;
	unsigned long timeout;
};

static int parse_cloud(void *field, const char *arg)
{
	/* userdata's "generic" is this command's "unknown": one name, both
	 * accepted */
	const char *c = cloud_name_canonical(strcmp(arg, "generic") == 0 ? CLOUD_UNKNOWN : arg);

	if (!c)
		return br_fail(-BR_EUSAGE, "'%.32s': expected aws, gcp, digitalocean or generic",
			       arg);
	*(const char **)field = c;
	return 0;
}

#define A struct metadata_args
static const struct cli_option metadata_options[] = {
    CLI_OPT_PARSER("cloud", "", "NAME", parse_cloud, A, cloud, 0,
		   "skip detection (DMI) and assume this cloud:\n"
		   "aws, gcp, digitalocean or generic (= unknown)"),
    CLI_OPT("metadata-url", "", "URL", CLI_STR, A, url, 0,
	    "ask the metadata service there; a failure is then\n"
	    "an error (exit 4). Without it the service is asked at\n"
	    "169.254.169.254 only when DMI names the cloud, and\n"
	    "a failure is recorded in the facts."),
    CLI_OPT("no-metadata", "", NULL, CLI_FLAG, A, no_metadata, 0, "files and netlink only"),
    CLI_OPT("check", "", NULL, CLI_FLAG, A, check, 0,
	    "a one-screen report instead of JSON: what would be\n"
	    "carried, where it came from, and WARNING lines for\n"
	    "what looks wrong (no ssh key, no address, no route)"),
    CLI_OPT_RANGE("timeout", "", "SECONDS", CLI_UINT, A, timeout, 1, 300, 0,
		  "metadata deadline (default 5)"),
    /* the temporary address for DigitalOcean without a route to the
     * metadata service (tests: a documentation range in a namespace) */
    CLI_OPT("link-local", "", "ADDR/PREFIX", CLI_STR, A, link_local, CLI_HIDDEN,
	    "temporary address when the metadata service has no route (tests)"),
    /* read files under another root (tests) */
    CLI_OPT("root", "", "DIR", CLI_STR, A, root, CLI_HIDDEN, "files under DIR (tests)"),
};
#undef A

BR_COMMAND(metadata) = {
    .name = "metadata",
    .summary = "print the detected cloud and this machine's facts as JSON",
    .synopsis = "[--cloud NAME] [--metadata-url URL | --no-metadata] [--timeout S] [--check]",
    .description = "Print the facts bootrino carries to the target (docs/facts.md): cloud,\n"
		   "hostname, instance id, ssh keys, network (netlink) and DNS.\n",
    CLI_OPTIONS(metadata_options),
    .exit_status = "0  ok\n2  usage error\n4  --metadata-url given and the service failed\n",
    .example = "bootrino metadata --cloud aws --metadata-url http://169.254.169.254\n",
    .run = cmd_metadata,
    .fail_exit = BR_EXIT_FETCH,
};

static int cmd_metadata(int argc, char **argv)
{
	const struct br_command *cmd = &br_command_metadata;
	struct metadata_args a;
	struct cloud_facts_opts o;
	cJSON *facts = NULL;
	char *text;
	int n, rc;

	memset(&a, 0, sizeof(a));
	n = cli_parse(cmd, argc, argv, &a);
	if (n < 0)
		return cli_parse_exit(n);
	cloud_facts_opts_init(&o);
	if (a.cloud)
		o.cloud = a.cloud;
	if (a.root)
		o.root = a.root;
	o.link_local = a.link_local;
	if (a.timeout)
		o.timeout_s = (unsigned)a.timeout;
	if (a.no_metadata && a.url)
		return cli_usage_error(cmd, "--metadata-url and --no-metadata exclude each other");
	if (a.no_metadata)
		o.metadata = 0;
	if (a.url) {
		if (!o.cloud || !strcmp(o.cloud, CLOUD_UNKNOWN))
			return cli_usage_error(cmd,
					       "--metadata-url needs --cloud aws|gcp|digitalocean");
		o.metadata_url = a.url;
		o.metadata_required = 1;
	}
	rc = cloud_facts_collect_opts(&o, &facts);
	if (rc < 0)
		return cli_fail(rc, o.metadata_url ? o.metadata_url : "facts");
	if (a.check) {
		cli_metadata_check(facts, stdout);
		cJSON_Delete(facts);
		return fflush(stdout) == 0 ? 0 : BR_EXIT_DISK;
	}
	text = cJSON_Print(facts);
	cJSON_Delete(facts);
	if (!text)
		return cli_fail(-ENOMEM, "facts");
	printf("%s\n", text);
	free(text);
	return fflush(stdout) == 0 ? 0 : BR_EXIT_DISK;
}
