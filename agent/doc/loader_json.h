/* loader.json (docs/design.md, "Contracts"): the signed description of the loader that
 * takeover kexecs into. Parsed into a plan so that fetching, pinning and
 * loading go through the same code as a bootrino.sh plan.
 *
 *   {"kernel": {"url": "vmlinuz", "sha256": "<64 hex>"},
 *    "initrd": [{"url": "initrd.img", "sha256": "<64 hex>"}],
 *    "cmdline": "console=ttyS0",
 *    "bootdisk": {"url": "bootdisk-<sha256>.img.zst", "sha256": "<64 hex>"}}
 *
 * URLs are relative to loader.json's own URL; every pin is required. */
#ifndef BOOTRINO_AGENT_DOC_LOADER_JSON_H
#define BOOTRINO_AGENT_DOC_LOADER_JSON_H

#include <stddef.h>

#include "agent/doc/plan.h"

#define CLI_LOADER_JSON_MAX (64u << 10)

/* 0, or -BR_ECONFIG / -BR_ETOOBIG / -BR_EINSECURE with a detail. p is
 * initialised here; free it with cli_plan_free() either way. */
int cli_loader_json_parse(struct cli_plan *p, cli_plan_resolver resolve, const char *url,
			  const char *buf, size_t len);

/* The optional boot-disk image ("bootdisk": {"url", "sha256"}, pinned
 * like the rest) as an absolute URL and 64 hex digits; -ENOENT with a
 * detail when loader.json names none. */
int cli_loader_json_bootdisk(cli_plan_resolver resolve, const char *url, const char *buf,
			     size_t len, char *img_url, size_t cap, char *sha256, size_t shacap);

#endif
