/* Prefixing the br_fail() detail of a lower layer ("loader.json: …"). */
#ifndef BOOTRINO_AGENT_DOC_DETAIL_H
#define BOOTRINO_AGENT_DOC_DETAIL_H

/* Rewrite the current detail as "PREFIX: detail" (copied first: br_fail()
 * formats into the buffer br_errdetail() points at) and return rc. */
int cli_wrap_detail(int rc, const char *prefix);

#endif
