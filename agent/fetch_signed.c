/* A signed document fetched into memory: the file, then FILE.minisig,
 * verified against the trusted keys. bootrino.sh and loader.json. */
#include "agent/fetch_signed.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/doc/detail.h"
#include "agent/doc/plan.h"
#include "common/err.h"
#include "verify/comment.h"

int cli_check_binding(const char *url, const char *site, const struct verify_sigresult *res)
{
	char name[VERIFY_TC_NAME_MAX + 1];

	verify_tc_url_name(url, name, sizeof(name));
	return verify_tc_check(res->trusted_comment, name, site);
}

int cli_fetch_signed(const char *url, size_t cap, const struct fetch_opts *fo,
		     const struct verify_keyring *keys, const char *site, char **buf, size_t *len,
		     struct verify_sigresult *res)
{
	char sigurl[CLI_PLAN_URL_MAX + 8], *sig = NULL;
	size_t siglen = 0;
	int rc;

	*buf = NULL;
	if ((size_t)snprintf(sigurl, sizeof(sigurl), "%s.minisig", url) >= sizeof(sigurl))
		return br_fail(-BR_EUSAGE, "%.128s: URL too long", url);
	rc = fetch_to_memory(url, cap, fo, buf, len, NULL);
	if (rc)
		return rc;
	rc = fetch_to_memory(sigurl, VERIFY_SIGFILE_MAX, fo, &sig, &siglen, NULL);
	/* the server answered and has no signature (or a local file has
	 * none next to it): permanent, not a transient fetch failure */
	if (rc == -BR_EHTTP || (rc == -BR_EFETCH && strncmp(url, "file://", 7) == 0))
		rc = cli_wrap_detail(-BR_ESIG, "no signature: refusing an unsigned file");
	if (!rc) {
		rc = verify_minisign_buf(keys, *buf, *len, sig, siglen, res);
		if (!rc)
			rc = cli_check_binding(url, site, res);
		if (rc)
			rc = cli_wrap_detail(rc, url);
	}
	free(sig);
	if (rc) {
		free(*buf);
		*buf = NULL;
	}
	return rc;
}
