/* Facts for BOOTRINO_CLOUD / BOOTRINO_INSTANCE_ID and the target's
 * /etc/bootrino/facts.json: collected on the host (cloudinit/), carried
 * into the loader by takeover's overlay and read back there. */
#ifndef BOOTRINO_AGENT_FACTS_H
#define BOOTRINO_AGENT_FACTS_H

#include <cjson/cJSON.h>

#define CLI_FACTS_PATH "/etc/bootrino/facts.json"
#define CLI_FACTS_MAX (1u << 20)

/* stage "loader": the carried facts file (an empty object if there is
 * none); "host": collected now. Never NULL on success. */
int cli_facts_get(const char *stage, cJSON **out);

/* A top-level string member, or NULL. */
const char *cli_facts_str(const cJSON *facts, const char *key);

#endif
