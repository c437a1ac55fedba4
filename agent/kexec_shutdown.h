/* How the host stage leaves the stock OS for the kernel it loaded. */
#ifndef BOOTRINO_AGENT_KEXEC_SHUTDOWN_H
#define BOOTRINO_AGENT_KEXEC_SHUTDOWN_H

#include "kexec/kexec.h"

/* The policy (docs/performance.md has the measurements behind it);
 * BOOTRINO_KEXEC_SHUTDOWN=orderly|force|immediate overrides it, which is
 * how bench/bench_takeover.sh compares them. */
enum kexec_shutdown cli_kexec_shutdown(void);

#endif
