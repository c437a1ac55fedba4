/* `bootrino metadata --check`: the facts as a one-screen report. */
#ifndef BOOTRINO_AGENT_METADATA_CHECK_H
#define BOOTRINO_AGENT_METADATA_CHECK_H

#include <stdio.h>

#include <cjson/cJSON.h>

/* Print what takeover would carry (cloud, keys, links, addresses, routes,
 * DNS, the loader's settings by MAC) and a WARNING line for each thing
 * that looks wrong (no ssh key, no address, no default route, metadata
 * error). Returns the number of warnings. */
int cli_metadata_check(const cJSON *facts, FILE *out);

#endif
