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

static int read_carried(cJSON **out)
{
	struct stat st;
	char *buf = NULL;
	ssize_t n;
	size_t got = 0;
	int fd, rc = 0;

	fd = open(CLI_FACTS_PATH, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 1
				       : br_fail(-errno, "%s: %s", CLI_FACTS_PATH, strerror(errno));
	if (fstat(fd, &st) < 0 || st.st_size > (off_t)CLI_FACTS_MAX) {
		close(fd);
		return br_fail(-BR_ETOOBIG, "%s: over %u bytes", CLI_FACTS_PATH, CLI_FACTS_MAX);
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while (got < (size_t)st.st_size) {
		n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = br_fail(-EIO, "%s: short read", CLI_FACTS_PATH);
			break;
		}
		got += (size_t)n;
	}
	close(fd);
	if (!rc)
		rc = cli_json_parse_object(CLI_FACTS_PATH, buf, got, CLI_FACTS_MAX, out);
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
