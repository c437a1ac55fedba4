/* The install stage (docs/disk.md): the host records which disk to write
 * and which boot-disk image; the loader, running from RAM with nothing
 * mounted, finds that disk again by identity, verifies the image and
 * writes it, then boots the target as usual whatever happened.
 *
 * The record travels in the loader's /etc/bootrino/config.json:
 *
 *   "install": {"image": {"url": "https://…/loader/bootdisk-<sha>.img.zst",
 *                         "sha256": "<64 hex>"},
 *               "disk": {"name": "vda", "size": 21474836480, "sector": 512,
 *                        "ptuuid": "…", "serial": "…", "wwid": "…",
 *                        "eui": "…", "nguid": "…", "by_path": "pci-…"}}
 */
#ifndef BOOTRINO_AGENT_INSTALL_H
#define BOOTRINO_AGENT_INSTALL_H

#include "agent/boot_opts.h"
#include "disk/disk.h"

/* Host: the identity of the disk holding `/` and the "install" object
 * naming it and the image; *json malloc()ed. 0, or rc with a detail
 * (-BR_EDISK when the root disk cannot be told). */
int cli_install_record(const char *image_url, const char *image_sha256, char **json,
		       struct disk_identity *id);

/* Loader: do the install a->cfg.install describes. Returns the exit code
 * (0 installed; 6 disk, 3 verification, 4 fetch, 2 config); on failure
 * one "install: …" line says why and that the target boots from RAM. */
int cli_install_run(struct cli_boot_args *a);

#endif
