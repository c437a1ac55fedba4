/* The stock OS's way out. See agent/kexec_shutdown.h. */
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
	return KEXEC_SHUTDOWN_ORDERLY;
}
