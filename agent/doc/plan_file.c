/* Plan file I/O with locking. */
#include "agent/doc/plan_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/file.h"
#include "fetch/url.h"

int cli_plan_file_read(const char *path, struct cli_plan *p)
{
	char *buf;
	size_t len;
	int rc;

	cli_plan_init(p);
	rc = br_file_read(path, CLI_PLAN_MAX_BYTES, BR_FILE_NOFOLLOW, -BR_ECONFIG, &buf, &len);
	if (rc)
		return rc;
	rc = cli_plan_from_json(p, buf, len);
	free(buf);
	return rc;
}

int cli_plan_file_write(const char *path, const struct cli_plan *p)
{
	cJSON *j = cli_plan_to_json(p);
	char *text = j ? cJSON_Print(j) : NULL;
	size_t len;
	int rc;

	cJSON_Delete(j);
	if (!text)
		return -ENOMEM;
	len = strlen(text);
	/* the verbs enforce the caps on each field; this bounds the sum */
	if (len + 1 > CLI_PLAN_MAX_BYTES) {
		rc = br_fail(-BR_ECONFIG, "plan over %u bytes", CLI_PLAN_MAX_BYTES);
		goto out;
	}
	text[len++] = '\n'; /* cJSON_Print's NUL becomes the newline */
	rc = br_file_write(path, text, len, 0600);
out:
	free(text);
	return rc;
}

/* "VERB: detail", without doubling a prefix the detail already has. */
static void verb_message(char *msg, size_t len, const char *verb, int rc)
{
	const char *d = br_errmsg(rc);
	size_t n = strlen(verb);

	if (strncmp(d, verb, n) == 0 && d[n] == ':')
		snprintf(msg, len, "%s", d);
	else
		snprintf(msg, len, "%s: %s", verb, d);
}

int cli_plan_file_apply(const char *path, const char *verb, int argc, char *const *argv)
{
	struct cli_plan p;
	char *lock = NULL, msg[600];
	int lfd, rc, wrc;

	if (asprintf(&lock, "%s.lock", path) < 0)
		return -ENOMEM;
	lfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (lfd < 0) {
		rc = br_fail(-errno, "%s: %s", lock, strerror(errno));
		free(lock);
		return rc;
	}
	while ((rc = flock(lfd, LOCK_EX)) < 0 && errno == EINTR)
		;
	if (rc < 0) {
		rc = br_fail(-errno, "%s: lock: %s", lock, strerror(errno));
		goto out;
	}
	rc = cli_plan_file_read(path, &p);
	if (rc)
		goto out;
	rc = cli_plan_verb(&p, fetch_url_resolve, verb, argc, argv);
	if (rc) {
		verb_message(msg, sizeof(msg), verb, rc);
		cli_plan_set_error(&p, br_exitcode(rc), msg);
		br_fail(rc, "%s", msg);
	}
	wrc = cli_plan_file_write(path, &p);
	cli_plan_free(&p);
	if (!rc && wrc) {
		/* the addition did not fit: the plan on disk lacks it, so poison
		 * that plan, or a script ignoring this failure would boot
		 * without it */
		char why[sizeof(msg)];

		rc = wrc;
		verb_message(msg, sizeof(msg), verb, rc);
		snprintf(why, sizeof(why), "%s", msg);
		if (cli_plan_file_read(path, &p) == 0) {
			cli_plan_set_error(&p, br_exitcode(rc), msg);
			cli_plan_file_write(path, &p);
			cli_plan_free(&p);
		}
		br_fail(rc, "%s", why);
	}
out:
	close(lfd); /* releases the lock */
	free(lock);
	return rc;
}
