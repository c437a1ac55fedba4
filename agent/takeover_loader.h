/* takeover's default stage: verify the loader and kexec into it
 * (agent/takeover_loader.c). */
#ifndef BOOTRINO_AGENT_TAKEOVER_LOADER_H
#define BOOTRINO_AGENT_TAKEOVER_LOADER_H

#include "agent/boot_opts.h"

/* With the merged settings in a (cli_boot_args_finish() done): the
 * preflight, loader.json, the loader's kernel and initrd, the overlay,
 * kexec. Returns the process exit code; prints one line on failure; with
 * a successful kexec it does not return. dry_run: stop before loading and
 * print what would run. install: record the root disk and loader.json's
 * boot-disk image for the loader to write (docs/disk.md); 0: RAM only. */
int cli_takeover_loader(struct cli_boot_args *a, int dry_run, int install);

#endif
