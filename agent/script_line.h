/* Where in a bootrino.sh a verb was called: errors name the user's file
 * or URL and the line, never the private copy the script ran from. */
#ifndef BOOTRINO_AGENT_SCRIPT_LINE_H
#define BOOTRINO_AGENT_SCRIPT_LINE_H

#include <stddef.h>

/* The 1-based line of script (len bytes) that calls `bootrino VERB`,
 * where VERB is what msg ("VERB: why…", as a verb's error reads) starts
 * with; of several such lines, the first whose next word occurs in msg,
 * else the first. 0 if none. */
unsigned cli_script_line(const char *script, size_t len, const char *msg);

#endif
