/* `bootrino takeover`: the host stage (docs/design.md, "Boot flow").
 * Default: the loader stage (agent/takeover_loader.c). --direct: run the
 * boot flow here and kexec the target straight away (agent/boot_flow.c).
 * Nothing destructive happens before every byte is verified; --dry-run
 * stops right before loading. */
#include <stdio.h>
#include <string.h>

#include "agent/boot_flow.h"
#include "agent/cli.h"
#include "agent/doc/config.h"
#include "agent/takeover_loader.h"
#include "agent/timing.h"
#include "common/err.h"
#include "common/log.h"

static int cmd_takeover(int argc, char **argv);

struct takeover_args {
	struct cli_boot_args a;
	int dry_run, direct, no_install;
};

#define A struct takeover_args
static const struct cli_option takeover_options[] = {
    CLI_BOOT_OPTIONS(A, a),
    CLI_OPT("direct", "", NULL, CLI_FLAG, A, direct, 0,
	    "run bootrino.sh here and kexec its target (RAM only)"),
    CLI_OPT("dry-run", "n", NULL, CLI_FLAG, A, dry_run, 0,
	    "fetch and verify everything, print the plan, touch nothing"),
    CLI_OPT("no-install", "", NULL, CLI_FLAG, A, no_install, 0,
	    "RAM only: the loader writes nothing to any disk (default: it\n"
	    "installs loader.json's boot-disk image on the disk holding /,\n"
	    "found again by identity; docs/disk.md)"),
    CLI_OPT_PARSER("loader", "", "URL", cli_boot_opt_str, A, a.cli.loader, 0,
		   "loader.json to use (default <script base>/loader/loader.json)"),
    CLI_BOOT_INSECURE(A, a,
		      "allow bootrino.sh artifacts without sha256 (the loader\n"
		      "is always pinned)"),
    CLI_BOOT_STATE_DIR(A, a),
};
#undef A

BR_COMMAND(takeover) = {
    .name = "takeover",
    .summary = "host stage: verify the loader (or the target) and kexec into it",
    .synopsis = "--script URL --pubkey KEY... [--direct] [--dry-run] [OPTIONS]",
    .description = "Default: fetch the loader's loader.json and its .minisig, verify them\n"
		   "with the trusted keys, fetch the loader's kernel and initrd with their\n"
		   "sha256 pins, and kexec into the loader with an overlay holding\n"
		   "/etc/bootrino/config.json (script URL, keys, CA bundle) and\n"
		   "/etc/bootrino/facts.json (network, ssh keys, hostname, instance id).\n"
		   "The loader's `bootrino init` then runs bootrino.sh. Before that, a\n"
		   "preflight here does what `boot --dry-run` does (bootrino.sh, its\n"
		   "signature and every artifact of its plan verified), so a bad script or\n"
		   "pin fails now, with the system untouched. A --cacert holding a private\n"
		   "key is refused: it would be carried to the loader. By default the\n"
		   "loader then installs loader.json's boot-disk image on the disk that\n"
		   "holds / (found again by identity; docs/disk.md); --no-install and\n"
		   "--direct write nothing to any disk.\n"
		   "\n"
		   "Environment: BOOTRINO_KEXEC_SHUTDOWN=force|orderly|immediate says how\n"
		   "the stock OS is left before kexec (default force: `systemctl kexec\n"
		   "--force`, no orderly stop of every unit; docs/performance.md).\n",
    CLI_OPTIONS(takeover_options),
    .exit_status = "0  ok (dry run; a started kernel never returns)\n"
		   "2  usage or configuration error\n3  verification failed\n4  fetch failed\n"
		   "5  kexec failed\n6  disk error (the root disk cannot be told)\n"
		   "On any failure the running system is left as it was.\n",
    .example = "bootrino takeover --script https://boot.example.com/bootrino.sh \\\n"
	       "    --pubkey RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3\n",
    .run = cmd_takeover,
    .fail_exit = BR_EXIT_BOOT,
};

static int cmd_takeover(int argc, char **argv)
{
	static struct takeover_args t;
	struct cli_flow flow;
	int n, ret;

	cli_timing_start(0);
	memset(&t, 0, sizeof(t));
	cli_boot_args_init(&t.a);
	n = cli_parse(&br_command_takeover, argc, argv, &t);
	if (n < 0) {
		ret = cli_parse_exit(n);
		goto out;
	}
	/* from here on every line of the takeover, on the host and in the
	 * loader, says how long since it started (a usage error is not part
	 * of a takeover; an epoch inherited from a caller wins) */
	if (!br_log_epoch())
		br_log_set_epoch(br_log_now_ms());
	if (t.direct)
		t.a.cli.mode = CLI_MODE_DIRECT;
	ret = cli_boot_args_finish(&br_command_takeover, &t.a, 1);
	if (ret)
		goto out;
	if (t.a.cfg.mode == CLI_MODE_DIRECT) {
		flow.stage = "host";
		flow.dry_run = t.dry_run;
		flow.json = 0;
		ret = cli_boot_flow(&t.a, &flow);
	} else {
		ret = cli_takeover_loader(&t.a, t.dry_run, !t.no_install);
	}
out:
	cli_boot_args_free(&t.a);
	return ret;
}
