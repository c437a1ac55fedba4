/* Facts: collected (host) or carried (loader). */
#include "agent/facts.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/doc/json.h"
#include "cloudinit/cloudinit.h"
#include "common/err.h"
#include "common/file.h"

static int read_carried(cJSON **out)
{
	char *buf;
	size_t len;
	int rc;

	rc = br_file_read(CLI_FACTS_PATH, CLI_FACTS_MAX, BR_FILE_ANY, -BR_ETOOBIG, &buf, &len);
	if (rc == -ENOENT)
		return 1;
	if (rc)
		return rc;
	rc = cli_json_parse_object(CLI_FACTS_PATH, buf, len, CLI_FACTS_MAX, out);
	free(buf);
	return rc;
}

int cli_facts_get(const char *stage, cJSON **out)
{
	int rc;

	*out = NULL;
	if (stage && strcmp(stage, "loader") == 0) {
		rc = read_carried(out);
		if (rc <= 0)
			return rc;
	} else {
		return cloud_facts_collect(out);
	}
	*out = cJSON_CreateObject();
	if (!*out || !cJSON_AddStringToObject(*out, "cloud", cloud_detect())) {
		cJSON_Delete(*out);
		*out = NULL;
		return -ENOMEM;
	}
	return 0;
}

const char *cli_facts_str(const cJSON *facts, const char *key)
{
	const cJSON *v = facts ? cJSON_GetObjectItemCaseSensitive(facts, key) : NULL;

	return v && cJSON_IsString(v) ? v->valuestring : NULL;
}
