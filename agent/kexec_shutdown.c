/* The stock OS's way out. See agent/kexec_shutdown.h.
 *
 * FORCE on every path: bench/bench_takeover.sh measured `systemctl kexec`
 * (every unit stopped in order: cloud-init, networking, gettys …) at 16 s
 * more than `systemctl kexec --force` under TCG, and a plain sync + kexec
 * from here saved nothing more (docs/performance.md). --force still has
 * systemd-shutdown kill every process, unmount or remount read-only and
 * sync, so the stock OS's filesystems stay clean: a --no-install or
 * --direct takeover leaves a disk that boots the stock OS again as it was,
 * and the install path overwrites the disk from the loader anyway. Nothing
 * on the host needs an orderly stop: bootrino's own state is written
 * (fsync + rename) before kexec_execute() is called. */
#include "agent/kexec_shutdown.h"

#include <stdlib.h>
#include <string.h>

#include "common/log.h"

enum kexec_shutdown cli_kexec_shutdown(void)
{
	const char *v = getenv("BOOTRINO_KEXEC_SHUTDOWN");

	if (v && strcmp(v, "orderly") == 0)
		return KEXEC_SHUTDOWN_ORDERLY;
	if (v && strcmp(v, "force") == 0)
		return KEXEC_SHUTDOWN_FORCE;
	if (v && strcmp(v, "immediate") == 0)
		return KEXEC_SHUTDOWN_IMMEDIATE;
	if (v && *v)
		br_log(BR_LOG_WARN,
		       "BOOTRINO_KEXEC_SHUTDOWN=%s: not orderly, force or immediate; "
		       "using the default",
		       v);
	return KEXEC_SHUTDOWN_FORCE;
}
