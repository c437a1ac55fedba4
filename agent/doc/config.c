/* Configuration parsing: JSON file and kernel command line. */
#include "agent/doc/config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/doc/detail.h"
#include "agent/doc/json.h"
#include "common/err.h"
#include "common/file.h"
#include "verify/comment.h"

void cli_config_init(struct cli_config *c)
{
	memset(c, 0, sizeof(*c));
}

static void clear_pubkeys(struct cli_config *c)
{
	size_t i;

	for (i = 0; i < c->n_pubkeys; i++)
		free(c->pubkeys[i]);
	c->n_pubkeys = 0;
}

void cli_config_free(struct cli_config *c)
{
	clear_pubkeys(c);
	free(c->script);
	free(c->cacert);
	free(c->cacert_pem);
	free(c->loader);
	free(c->site);
	free(c->install);
	memset(c, 0, sizeof(*c));
}

int cli_config_set_str(char **slot, const char *value)
{
	char *v = strdup(value);

	if (!v)
		return -ENOMEM;
	free(*slot);
	*slot = v;
	return 0;
}

int cli_config_add_pubkey(struct cli_config *c, const char *key)
{
	size_t i;

	if (!key || !key[0] || strlen(key) > CLI_CONFIG_KEY_MAX)
		return br_fail(-BR_ECONFIG, "pubkey: empty or longer than %d bytes",
			       CLI_CONFIG_KEY_MAX);
	for (i = 0; i < c->n_pubkeys; i++)
		if (strcmp(c->pubkeys[i], key) == 0)
			return 0;
	if (c->n_pubkeys >= VERIFY_MAX_KEYS)
		return br_fail(-BR_ECONFIG, "more than %d public keys", VERIFY_MAX_KEYS);
	c->pubkeys[c->n_pubkeys] = strdup(key);
	if (!c->pubkeys[c->n_pubkeys])
		return -ENOMEM;
	c->n_pubkeys++;
	return 0;
}

static int set_opt_str(const cJSON *root, const char *key, size_t max, int allow_ctrl, char **slot)
{
	const char *v;
	int rc = cli_json_get_string("config", root, key, 0, max, allow_ctrl, &v);

	if (rc || !v)
		return rc;
	if (!v[0])
		return br_fail(-BR_ECONFIG, "config: \"%s\" is empty", key);
	return cli_config_set_str(slot, v);
}

static int parse_pubkeys(struct cli_config *c, const cJSON *arr)
{
	const cJSON *it;
	int rc;

	if (!cJSON_IsArray(arr))
		return br_fail(-BR_ECONFIG, "config: \"pubkeys\" must be an array of strings");
	clear_pubkeys(c);
	cJSON_ArrayForEach(it, arr)
	{
		if (!cJSON_IsString(it) || !it->valuestring)
			return br_fail(-BR_ECONFIG, "config: \"pubkeys\" must hold strings");
		rc = cli_config_add_pubkey(c, it->valuestring);
		if (rc)
			return rc == -BR_ECONFIG ? cli_wrap_detail(rc, "config") : rc;
	}
	return 0;
}

int cli_config_parse(struct cli_config *c, const char *buf, size_t len)
{
	static const char *const keys[] = {
	    "script",	     "pubkeys",	 "cacert",	    "cacert_pem",     "loader",
	    "mode",	     "insecure", "script_timeout",  "deadline",	      "site",
	    "min_timestamp", "install",	 "script_deadline", "allow_rollback", NULL};
	const cJSON *pk, *inst;
	const char *mode;
	cJSON *root;
	int rc;

	rc = cli_json_parse_object("config", buf, len, CLI_CONFIG_MAX_BYTES, &root);
	if (rc)
		return rc;
	rc = cli_json_check_keys("config", root, keys);
	if (!rc)
		rc = set_opt_str(root, "script", CLI_CONFIG_URL_MAX, 0, &c->script);
	if (!rc)
		rc = set_opt_str(root, "cacert", 4096, 0, &c->cacert);
	if (!rc)
		rc = set_opt_str(root, "cacert_pem", CLI_CONFIG_PEM_MAX, 1, &c->cacert_pem);
	if (!rc)
		rc = set_opt_str(root, "loader", CLI_CONFIG_URL_MAX, 0, &c->loader);
	if (!rc)
		rc = cli_json_get_bool("config", root, "insecure", &c->insecure);
	if (!rc)
		rc =
		    cli_json_get_int("config", root, "script_timeout", 1, 3600, &c->script_timeout);
	if (!rc)
		rc = cli_json_get_int("config", root, "deadline", 1, CLI_DEADLINE_MAX_S,
				      &c->deadline);
	if (!rc)
		rc = cli_json_get_int("config", root, "script_deadline", 1, 3600,
				      &c->script_deadline);
	if (!rc)
		rc = cli_json_get_bool("config", root, "allow_rollback", &c->allow_rollback);
	if (!rc)
		rc = set_opt_str(root, "site", VERIFY_TC_SITE_MAX, 0, &c->site);
	if (!rc && c->site && !verify_tc_site_valid(c->site))
		rc = br_fail(-BR_ECONFIG, "config: \"site\" must be 1-64 of [A-Za-z0-9._-]");
	if (!rc) {
		long ts = -1;

		/* JSON numbers are doubles: exact up to 2^53, far past any date */
		rc = cli_json_get_int("config", root, "min_timestamp", 0, 1L << 53, &ts);
		if (!rc && ts >= 0)
			c->min_timestamp = (unsigned long long)ts;
	}
	if (!rc)
		rc = cli_json_get_string("config", root, "mode", 0, 16, 0, &mode);
	if (!rc && mode) {
		if (strcmp(mode, "loader") == 0)
			c->mode = CLI_MODE_LOADER;
		else if (strcmp(mode, "direct") == 0)
			c->mode = CLI_MODE_DIRECT;
		else
			rc = br_fail(-BR_ECONFIG, "config: \"mode\" must be \"loader\" or "
						  "\"direct\"");
	}
	pk = cJSON_GetObjectItemCaseSensitive(root, "pubkeys");
	if (!rc && pk)
		rc = parse_pubkeys(c, pk);
	/* checked field by field where it is used (agent/install.c) */
	inst = cJSON_GetObjectItemCaseSensitive(root, "install");
	if (!rc && inst && !cJSON_IsObject(inst))
		rc = br_fail(-BR_ECONFIG, "config: \"install\" must be an object");
	if (!rc && inst) {
		free(c->install);
		c->install = cJSON_PrintUnformatted(inst);
		if (!c->install)
			rc = -ENOMEM;
	}
	cJSON_Delete(root);
	return rc;
}

int cli_config_load(struct cli_config *c, const char *path)
{
	char *buf;
	size_t len;
	int rc;

	rc = br_file_read(path, CLI_CONFIG_MAX_BYTES, 0, -BR_ETOOBIG, &buf, &len);
	if (rc)
		return rc;
	rc = cli_config_parse(c, buf, len);
	free(buf);
	return rc;
}

/* Next word of a kernel command line, as the kernel's next_arg() splits
 * it: whitespace separates, double quotes group (and are removed). */
static const char *next_word(const char *s, char *out, size_t cap, int *toolong)
{
	size_t n = 0;
	int inq = 0;

	*toolong = 0;
	while (*s == ' ' || *s == '\t' || *s == '\n')
		s++;
	if (!*s)
		return NULL;
	for (; *s && (inq || (*s != ' ' && *s != '\t' && *s != '\n')); s++) {
		if (*s == '"') {
			inq = !inq;
			continue;
		}
		if (n + 1 < cap)
			out[n++] = *s;
		else
			*toolong = 1;
	}
	out[n] = '\0';
	return s;
}

int cli_config_parse_cmdline(struct cli_config *c, const char *cmdline)
{
	char word[CLI_CONFIG_CMDLINE_MAX];
	const char *s = cmdline, *v;
	int toolong, rc, keys_replaced = 0;

	if (strlen(cmdline) >= CLI_CONFIG_CMDLINE_MAX)
		return br_fail(-BR_ECONFIG, "kernel command line longer than %d bytes",
			       CLI_CONFIG_CMDLINE_MAX - 1);
	while ((s = next_word(s, word, sizeof(word), &toolong)) != NULL) {
		if (strncmp(word, "bootrino.", 9) != 0)
			continue;
		v = strchr(word, '=');
		v = v ? v + 1 : NULL;
		rc = 0;
		if (strncmp(word, "bootrino.script=", 16) == 0) {
			rc = v && *v && strlen(v) <= CLI_CONFIG_URL_MAX
				 ? cli_config_set_str(&c->script, v)
				 : br_fail(-BR_ECONFIG, "bootrino.script: empty or too long");
		} else if (strncmp(word, "bootrino.loader=", 16) == 0) {
			rc = v && *v && strlen(v) <= CLI_CONFIG_URL_MAX
				 ? cli_config_set_str(&c->loader, v)
				 : br_fail(-BR_ECONFIG, "bootrino.loader: empty or too long");
		} else if (strncmp(word, "bootrino.site=", 14) == 0) {
			rc =
			    v && verify_tc_site_valid(v)
				? cli_config_set_str(&c->site, v)
				: br_fail(-BR_ECONFIG, "bootrino.site: not 1-64 of [A-Za-z0-9._-]");
		} else if (strncmp(word, "bootrino.pubkey=", 16) == 0) {
			/* keys on the command line replace the config file's
			 * (as --pubkey does): the list in force is the one the
			 * command line shows, never a union of two sources */
			if (!keys_replaced)
				clear_pubkeys(c);
			keys_replaced = 1;
			rc = cli_config_add_pubkey(c, v);
		} else if (strcmp(word, "bootrino.insecure") == 0) {
			c->insecure = 1;
		} else if (strcmp(word, "bootrino.shell") == 0) {
			c->shell = 1;
		} else if (strcmp(word, "bootrino.from=disk") == 0) {
			c->from_disk = 1;
		} else if (strcmp(word, "bootrino.allow_rollback") == 0) {
			/* the operator at the console: the one way back besides
			 * the config (logged where it is used) */
			c->allow_rollback = 1;
		}
		if (rc)
			return rc;
	}
	return 0;
}

char *cli_config_to_json(const struct cli_config *c)
{
	cJSON *o = cJSON_CreateObject(), *arr;
	char *out = NULL;
	size_t i;

	if (!o)
		return NULL;
	if (c->script && !cJSON_AddStringToObject(o, "script", c->script))
		goto out;
	arr = cJSON_AddArrayToObject(o, "pubkeys");
	if (!arr)
		goto out;
	for (i = 0; i < c->n_pubkeys; i++) {
		cJSON *s = cJSON_CreateString(c->pubkeys[i]);

		if (!s || !cJSON_AddItemToArray(arr, s)) {
			cJSON_Delete(s);
			goto out;
		}
	}
	if ((c->cacert_pem && !cJSON_AddStringToObject(o, "cacert_pem", c->cacert_pem)) ||
	    (c->mode != CLI_MODE_UNSET &&
	     !cJSON_AddStringToObject(o, "mode",
				      c->mode == CLI_MODE_DIRECT ? "direct" : "loader")) ||
	    !cJSON_AddBoolToObject(o, "insecure", c->insecure) ||
	    (c->script_timeout &&
	     !cJSON_AddNumberToObject(o, "script_timeout", (double)c->script_timeout)) ||
	    (c->deadline && !cJSON_AddNumberToObject(o, "deadline", (double)c->deadline)) ||
	    (c->site && !cJSON_AddStringToObject(o, "site", c->site)) ||
	    (c->script_deadline &&
	     !cJSON_AddNumberToObject(o, "script_deadline", (double)c->script_deadline)) ||
	    (c->allow_rollback && !cJSON_AddBoolToObject(o, "allow_rollback", 1)) ||
	    (c->min_timestamp &&
	     !cJSON_AddNumberToObject(o, "min_timestamp", (double)c->min_timestamp)))
		goto out;
	if (c->install) {
		cJSON *inst = cJSON_Parse(c->install);

		if (!inst || !cJSON_AddItemToObject(o, "install", inst)) {
			cJSON_Delete(inst);
			goto out;
		}
	}
	out = cJSON_PrintUnformatted(o);
out:
	cJSON_Delete(o);
	return out;
}
