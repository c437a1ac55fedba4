/* loader.json → plan. */
#include "agent/doc/loader_json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/doc/detail.h"
#include "agent/doc/json.h"
#include "common/err.h"

/* One {"url", "sha256"} object → argv for the plan verbs. */
static int artifact_args(const cJSON *o, const char *what, const char **url, char *pin,
			 size_t pinlen)
{
	static const char *const keys[] = {"url", "sha256", NULL};
	const char *hex;
	int rc;

	if (!cJSON_IsObject(o))
		return br_fail(-BR_ECONFIG, "loader.json: %s must be an object", what);
	rc = cli_json_check_keys("loader.json", o, keys);
	if (!rc)
		rc = cli_json_get_string("loader.json", o, "url", 1, CLI_PLAN_URL_MAX - 1, 0, url);
	if (!rc)
		rc = cli_json_get_string("loader.json", o, "sha256", 0, CLI_PLAN_HEX_LEN, 0, &hex);
	if (rc)
		return rc;
	/* the loader is always pinned, --insecure or not */
	if (!hex)
		return br_fail(-BR_EINSECURE, "loader.json: %s %.128s: no sha256 pin", what, *url);
	if (!cli_plan_is_hex64(hex))
		return br_fail(-BR_ECONFIG, "loader.json: %s: sha256 must be 64 hex digits", what);
	snprintf(pin, pinlen, "sha256=%s", hex);
	return 0;
}

static int add(struct cli_plan *p, cli_plan_resolver resolve, const char *verb, const cJSON *o)
{
	char pin[8 + CLI_PLAN_HEX_LEN + 1];
	const char *url = NULL;
	char *argv[2];
	int rc = artifact_args(o, verb, &url, pin, sizeof(pin));

	if (rc)
		return rc;
	argv[0] = (char *)url;
	argv[1] = pin;
	rc = cli_plan_verb(p, resolve, verb, 2, argv);
	if (rc == -BR_EUSAGE)
		rc = cli_wrap_detail(-BR_ECONFIG, "loader.json");
	return rc;
}

int cli_loader_json_parse(struct cli_plan *p, cli_plan_resolver resolve, const char *url,
			  const char *buf, size_t len)
{
	static const char *const keys[] = {"kernel", "initrd", "cmdline", "bootdisk", NULL};
	const cJSON *k, *ird, *it;
	const char *cmdline;
	char *argv[1];
	cJSON *root;
	int rc;

	cli_plan_init(p);
	rc = cli_plan_set_header(p, url, 0);
	if (rc)
		return rc == -BR_EUSAGE ? cli_wrap_detail(-BR_ECONFIG, "loader.json") : rc;
	rc = cli_json_parse_object("loader.json", buf, len, CLI_LOADER_JSON_MAX, &root);
	if (rc)
		return rc;
	rc = cli_json_check_keys("loader.json", root, keys);
	k = cJSON_GetObjectItemCaseSensitive(root, "kernel");
	ird = cJSON_GetObjectItemCaseSensitive(root, "initrd");
	if (!rc && !k)
		rc = br_fail(-BR_ECONFIG, "loader.json: missing \"kernel\"");
	if (!rc && ird && !cJSON_IsArray(ird))
		rc = br_fail(-BR_ECONFIG, "loader.json: \"initrd\" must be an array");
	if (!rc)
		rc = add(p, resolve, "kernel", k);
	if (ird)
		cJSON_ArrayForEach(it, ird)
		{
			if (rc)
				break;
			rc = add(p, resolve, "initrd", it);
		}
	if (!rc)
		rc = cli_json_get_string("loader.json", root, "cmdline", 0,
					 CLI_PLAN_CMDLINE_MAX - 1, 0, &cmdline);
	if (!rc && cmdline && cmdline[0]) {
		/* the publisher wrote (and signed) one whole command line: split
		 * it where the kernel would, the `cmdline` verb takes one
		 * parameter per argument */
		char *copy = strdup(cmdline), *w[128], *c;
		int n = 0, inq = 0;

		if (!copy)
			rc = -ENOMEM;
		for (c = copy; !rc && *c; c++) {
			if (*c == '"')
				inq = !inq;
			if (*c == ' ' && !inq) {
				*c = '\0';
				continue;
			}
			if ((c == copy || c[-1] == '\0') && n < 128)
				w[n++] = c;
			else if (c == copy || c[-1] == '\0')
				rc = br_fail(-BR_ECONFIG, "loader.json: over 128 parameters");
		}
		if (!rc && n)
			rc = cli_plan_verb(p, resolve, "cmdline", n, w);
		if (rc == -BR_EUSAGE)
			rc = cli_wrap_detail(-BR_ECONFIG, "loader.json");
		free(copy);
	}
	/* a loader.json names one bootable image: seal it as `boot` would */
	if (!rc)
		rc = cli_plan_verb(p, resolve, "boot", 0, argv);
	cJSON_Delete(root);
	return rc;
}

int cli_loader_json_bootdisk(cli_plan_resolver resolve, const char *url, const char *buf,
			     size_t len, char *img_url, size_t cap, char *sha256, size_t shacap)
{
	char pin[8 + CLI_PLAN_HEX_LEN + 1];
	const char *rel = NULL;
	const cJSON *o;
	cJSON *root;
	int rc;

	rc = cli_json_parse_object("loader.json", buf, len, CLI_LOADER_JSON_MAX, &root);
	if (rc)
		return rc;
	o = cJSON_GetObjectItemCaseSensitive(root, "bootdisk");
	if (!o)
		rc = br_fail(-ENOENT, "%s names no boot-disk image (\"bootdisk\")", url);
	if (!rc)
		rc = artifact_args(o, "bootdisk", &rel, pin, sizeof(pin));
	if (!rc && resolve(url, rel, img_url, cap))
		rc = br_fail(-BR_ECONFIG, "loader.json: bootdisk: bad URL %.128s", rel);
	if (!rc)
		snprintf(sha256, shacap, "%s", pin + 7);
	cJSON_Delete(root);
	return rc;
}
