/* `bootrino takeover`: the host stage (docs/design.md, "Boot flow").
 * Default: the loader stage (agent/takeover_loader.c). --direct: run the
 * boot flow here and kexec the target straight away (agent/boot_flow.c).
 * Nothing destructive happens before every byte is verified; --dry-run
 * stops right before loading. */
#include <stdio.h>

#include "agent/boot_flow.h"
#include "agent/cli.h"
#include "agent/doc/config.h"
#include "agent/takeover_loader.h"
#include "common/err.h"

static int cmd_takeover(int argc, char **argv);

BR_COMMAND(takeover) = {
    .name = "takeover",
    .summary = "host stage: verify the loader (or the target) and kexec into it",
    .usage = "usage: bootrino takeover --script URL --pubkey KEY [--pubkey KEY2]…\n"
	     "                         [--direct] [--no-install] [--dry-run] [--loader URL]\n"
	     "                         [--cacert F]\n"
	     "                         [--insecure] [--config FILE] [--timeout S]\n\n"
	     "Default: fetch LOADER (default <script base>/loader/loader.json) and its\n"
	     ".minisig, verify them with the trusted keys, fetch the loader's kernel and\n"
	     "initrd with their sha256 pins, and kexec into the loader with an overlay\n"
	     "holding /etc/bootrino/config.json (script URL, keys, CA bundle) and\n"
	     "/etc/bootrino/facts.json (network, ssh keys, hostname, instance id).\n"
	     "The loader's `bootrino init` then runs bootrino.sh. Before that, a\n"
	     "preflight here does what `boot --dry-run` does (bootrino.sh, its\n"
	     "signature and every artifact of its plan verified), so a bad script or\n"
	     "pin fails now, with the system untouched.\n\n"
	     "      --script URL    bootrino.sh\n"
	     "      --pubkey KEY    trusted minisign key (repeatable, at least one)\n"
	     "      --direct        run bootrino.sh here and kexec its target (RAM only)\n"
	     "      --no-install    RAM only: the loader writes nothing to any disk (default:\n"
	     "                      it installs loader.json's boot-disk image on the disk\n"
	     "                      holding /, found again by identity; docs/disk.md)\n"
	     "      --dry-run       fetch and verify everything, print the plan, touch nothing\n"
	     "      --loader URL    loader.json to use\n"
	     "      --cacert FILE   CA bundle for https (carried to the loader)\n"
	     "      --insecure      allow bootrino.sh artifacts without sha256 (the loader\n"
	     "                      is always pinned)\n"
	     "      --config FILE   settings as JSON (docs/stages.md)\n"
	     "      --timeout S     bound on bootrino.sh's run time (default 120)\n"
	     "      --deadline S    all downloads of this stage together (default 3600)\n"
	     "      --site NAME     signatures must carry site:NAME (docs/verify.md)\n"
	     "      --state-dir DIR anti-rollback state (default " CLI_HOST_STATE_DIR ")\n"
	     "  -v, --verbose\n"
	     "  -h, --help\n\n"
	     "Exit status: 0 (dry run), 2 usage / config error, 3 verification failed,\n"
	     "4 fetch failed, 5 kexec failed, 6 the root disk cannot be told. On any failure the "
	     "running system is\n"
	     "left as it was.\n",
    .run = cmd_takeover,
};

static int cmd_takeover(int argc, char **argv)
{
	static const struct option opts[] = {
	    CLI_BOOT_OPTIONS,
	    {"dry-run", no_argument, NULL, CLI_OPT_DRY_RUN},
	    {"direct", no_argument, NULL, CLI_OPT_DIRECT},
	    {"ram-only", no_argument, NULL, CLI_OPT_DIRECT},
	    {"no-install", no_argument, NULL, CLI_OPT_NO_INSTALL},
	    {"loader", required_argument, NULL, CLI_OPT_LOADER},
	    CLI_COMMON_OPTIONS,
	    {NULL, 0, NULL, 0},
	};
	static struct cli_boot_args a;
	struct cli_flow flow;
	int c, ret, dry_run = 0, install = 1;

	cli_boot_args_init(&a);
	while ((c = getopt_long(argc, argv, "hv", opts, NULL)) != -1) {
		switch (c) {
		case CLI_OPT_DRY_RUN:
			dry_run = 1;
			continue;
		case CLI_OPT_DIRECT:
			a.cli.mode = CLI_MODE_DIRECT;
			continue;
		case CLI_OPT_NO_INSTALL:
			install = 0;
			continue;
		case CLI_OPT_LOADER:
			if (cli_config_set_str(&a.cli.loader, optarg)) {
				ret = BR_EXIT_FAIL;
				goto out;
			}
			continue;
		default:
			break;
		}
		ret = cli_boot_option(&br_command_takeover, &a, c, optarg);
		if (ret == 0)
			continue;
		if (ret == CLI_CONTINUE)
			ret = cli_common_option(&br_command_takeover, c);
		if (ret != CLI_CONTINUE)
			goto out;
	}
	if (optind < argc) {
		ret =
		    cli_usage_error(&br_command_takeover, "unexpected argument '%s'", argv[optind]);
		goto out;
	}
	ret = cli_boot_args_finish(&br_command_takeover, &a);
	if (ret)
		goto out;
	if (!a.cfg.script) {
		ret = cli_usage_error(&br_command_takeover, "--script URL is required");
		goto out;
	}
	if (a.keys.n == 0) {
		ret = cli_usage_error(&br_command_takeover, "at least one --pubkey is required");
		goto out;
	}
	if (a.cfg.mode == CLI_MODE_DIRECT) {
		flow.stage = "host";
		flow.dry_run = dry_run;
		flow.json = 0;
		ret = cli_boot_flow(&a, &flow);
	} else {
		ret = cli_takeover_loader(&a, dry_run, install);
	}
out:
	cli_boot_args_free(&a);
	return ret;
}
