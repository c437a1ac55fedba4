/* Strict JSON input for the agent (plan, config, loader.json): size caps,
 * no NUL bytes, no trailing garbage, no duplicate or unknown keys, typed
 * getters with length caps. cJSON itself is lenient; these checks make
 * every document mean one thing. */
#ifndef BOOTRINO_AGENT_DOC_JSON_H
#define BOOTRINO_AGENT_DOC_JSON_H

#include <stddef.h>

#include <cjson/cJSON.h>

/* Parse buf[0..len) (need not be NUL-terminated) into an object.
 * -BR_ETOOBIG over cap, -BR_ECONFIG if not one JSON object (detail says
 * where). what names the document in the detail line. */
int cli_json_parse_object(const char *what, const char *buf, size_t len, size_t cap, cJSON **out);

/* -BR_ECONFIG if obj holds a key not in allowed (NULL-terminated) or the
 * same key twice. */
int cli_json_check_keys(const char *what, const cJSON *obj, const char *const *allowed);

/* Fetch a string member: NULL *out when absent and !required. Strings
 * longer than maxlen or holding control characters (below 0x20, except
 * when allow_ctrl) are refused. *out points into the tree. */
int cli_json_get_string(const char *what, const cJSON *obj, const char *key, int required,
			size_t maxlen, int allow_ctrl, const char **out);

/* Boolean member (absent: *out unchanged). */
int cli_json_get_bool(const char *what, const cJSON *obj, const char *key, int *out);

/* Integer member in [min, max] (absent: *out unchanged). */
int cli_json_get_int(const char *what, const cJSON *obj, const char *key, long min, long max,
		     long *out);

#endif
