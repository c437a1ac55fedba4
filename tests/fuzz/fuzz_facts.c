/* libFuzzer: facts validation (cloudinit/fact_check.c) and the
 * instance-data parser that applies it. Properties: a value accepted as
 * an instance id, hostname or region never holds a space, a quote, a
 * control byte or a non-ASCII byte (it would split or escape a kernel
 * command line); nothing parsed from instance data is left unchecked. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cloudinit/cloudinit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_plain(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f || *s == '"' ||
		    *s == '\'' || *s == '\\' || *s == '=' || *s == '/')
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const clouds[] = {"aws", "gcp", "digitalocean", "unknown"};
	static const char *const names[] = {"instance_id", "hostname", "region", "zone"};
	cJSON *facts, *v, *keys, *it;
	char *s;
	size_t i;

	if (size > 65536)
		return 0;
	s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	for (i = 0; i < 4; i++)
		if (cloud_fact_valid(CLOUD_FACT_INSTANCE_ID, clouds[i], s))
			check_plain(s);
	if (cloud_fact_valid(CLOUD_FACT_HOSTNAME, NULL, s) ||
	    cloud_fact_valid(CLOUD_FACT_REGION, NULL, s))
		check_plain(s);
	if (cloud_fact_valid(CLOUD_FACT_SSH_KEY, NULL, s))
		for (i = 0; s[i]; i++)
			if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
				abort();
	/* the same bytes as instance-data.json */
	facts = cJSON_CreateObject();
	if (facts && cJSON_AddStringToObject(facts, "cloud", clouds[size % 4]) &&
	    cloud_instance_data_parse(s, size, facts) == 0) {
		for (i = 0; i < 4; i++) {
			v = cJSON_GetObjectItemCaseSensitive(facts, names[i]);
			if (v && (!cJSON_IsString(v) || !v->valuestring))
				abort();
			if (v)
				check_plain(v->valuestring);
		}
		keys = cJSON_GetObjectItemCaseSensitive(facts, "ssh_authorized_keys");
		cJSON_ArrayForEach(it, keys) if (!cloud_fact_valid(CLOUD_FACT_SSH_KEY, NULL,
								    it->valuestring)) abort();
	}
	cJSON_Delete(facts);
	free(s);
	return 0;
}
