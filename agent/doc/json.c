#include "agent/doc/json.h"

#include <errno.h>
#include <math.h> /* isfinite: a macro, no libm */
#include <stdlib.h>
#include <string.h>

#include "common/err.h"

int cli_json_parse_object(const char *what, const char *buf, size_t len, size_t cap, cJSON **out)
{
	const char *end = NULL;
	char *copy;
	cJSON *root;

	*out = NULL;
	if (len > cap)
		return br_fail(-BR_ETOOBIG, "%s: %zu bytes, over the %zu-byte cap", what, len, cap);
	/* a NUL would end cJSON's parse early and hide what follows it */
	if (memchr(buf, '\0', len))
		return br_fail(-BR_ECONFIG, "%s: NUL byte in JSON", what);
	copy = malloc(len + 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, buf, len);
	copy[len] = '\0';
	/* length includes the NUL: require_null_terminated looks at it */
	root = cJSON_ParseWithLengthOpts(copy, len + 1, &end, 1);
	if (!root) {
		size_t off = end && end >= copy ? (size_t)(end - copy) : 0;

		free(copy);
		return br_fail(-BR_ECONFIG, "%s: malformed JSON near byte %zu", what, off);
	}
	free(copy);
	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return br_fail(-BR_ECONFIG, "%s: not a JSON object", what);
	}
	*out = root;
	return 0;
}

int cli_json_check_keys(const char *what, const cJSON *obj, const char *const *allowed)
{
	const cJSON *it, *prev;
	size_t i;

	for (it = obj->child; it; it = it->next) {
		if (!it->string)
			return br_fail(-BR_ECONFIG, "%s: member without a name", what);
		for (i = 0; allowed[i]; i++)
			if (strcmp(allowed[i], it->string) == 0)
				break;
		if (!allowed[i])
			return br_fail(-BR_ECONFIG, "%s: unknown key \"%.64s\"", what, it->string);
		for (prev = obj->child; prev != it; prev = prev->next)
			if (strcmp(prev->string, it->string) == 0)
				return br_fail(-BR_ECONFIG, "%s: duplicate key \"%.64s\"", what,
					       it->string);
	}
	return 0;
}

int cli_json_get_string(const char *what, const cJSON *obj, const char *key, int required,
			size_t maxlen, int allow_ctrl, const char **out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	const unsigned char *s;

	*out = NULL;
	if (!v) {
		if (required)
			return br_fail(-BR_ECONFIG, "%s: missing \"%s\"", what, key);
		return 0;
	}
	if (!cJSON_IsString(v) || !v->valuestring)
		return br_fail(-BR_ECONFIG, "%s: \"%s\" must be a string", what, key);
	if (strlen(v->valuestring) > maxlen)
		return br_fail(-BR_ECONFIG, "%s: \"%s\" is longer than %zu bytes", what, key,
			       maxlen);
	if (!allow_ctrl)
		for (s = (const unsigned char *)v->valuestring; *s; s++)
			if (*s < 0x20 || *s == 0x7f)
				return br_fail(-BR_ECONFIG, "%s: \"%s\" holds a control character",
					       what, key);
	*out = v->valuestring;
	return 0;
}

int cli_json_get_bool(const char *what, const cJSON *obj, const char *key, int *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (!v)
		return 0;
	if (!cJSON_IsBool(v))
		return br_fail(-BR_ECONFIG, "%s: \"%s\" must be true or false", what, key);
	*out = cJSON_IsTrue(v) ? 1 : 0;
	return 0;
}

int cli_json_get_int(const char *what, const cJSON *obj, const char *key, long min, long max,
		     long *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	double d;

	if (!v)
		return 0;
	if (!cJSON_IsNumber(v))
		return br_fail(-BR_ECONFIG, "%s: \"%s\" must be a number", what, key);
	d = v->valuedouble;
	if (!isfinite(d) || d < (double)min || d > (double)max || (double)(long)d != d)
		return br_fail(-BR_ECONFIG, "%s: \"%s\" must be an integer in [%ld, %ld]", what,
			       key, min, max);
	*out = (long)d;
	return 0;
}
