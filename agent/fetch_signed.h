/* A signed document fetched into memory (agent/fetch_signed.c). */
#ifndef BOOTRINO_AGENT_FETCH_SIGNED_H
#define BOOTRINO_AGENT_FETCH_SIGNED_H

#include <stddef.h>

#include "fetch/fetch.h"
#include "verify/minisign.h"

/* Fetch url and url.minisig into memory (url capped at cap) and verify.
 * A signature the server does not have (HTTP 4xx) is -BR_ESIG: an
 * unsigned file is a verification failure, not a transient one. The
 * trusted comment must name the file asked for (file:NAME, the URL's last
 * path segment) and, when site is not NULL, carry site:SITE
 * (verify/comment.h): a file signed for another purpose is -BR_ESIG. */
int cli_fetch_signed(const char *url, size_t cap, const struct fetch_opts *fo,
		     const struct verify_keyring *keys, const char *site, char **buf, size_t *len,
		     struct verify_sigresult *res);

/* The binding check alone (cli_fetch_signed does it): res's trusted
 * comment names the last segment of url (or of a local path) and, when
 * site is not NULL, that site. */
int cli_check_binding(const char *url, const char *site, const struct verify_sigresult *res);

#endif
