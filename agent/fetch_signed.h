/* A signed document fetched into memory (agent/fetch_signed.c). */
#ifndef BOOTRINO_AGENT_FETCH_SIGNED_H
#define BOOTRINO_AGENT_FETCH_SIGNED_H

#include <stddef.h>

#include "fetch/fetch.h"
#include "verify/minisign.h"

/* Fetch url and url.minisig into memory (url capped at cap) and verify.
 * A signature the server does not have (HTTP 4xx) is -BR_ESIG: an
 * unsigned file is a verification failure, not a transient one. */
int cli_fetch_signed(const char *url, size_t cap, const struct fetch_opts *fo,
		     const struct verify_keyring *keys, char **buf, size_t *len,
		     struct verify_sigresult *res);

#endif
