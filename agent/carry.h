/* Handing what the host verified to the loader, so that the loader's
 * first run does not depend on the web server (docs/stages.md, "What the
 * host hands over").
 *
 * The host's preflight keeps the signed bootrino.sh, its signature and
 * every pinned artifact of its plan; they travel in the loader's overlay
 * under CLI_CARRY_DIR, artifacts named by their sha256. The loader trusts
 * none of it more than a download: the script's signature and timestamp
 * are verified again and every artifact is re-hashed against the plan's
 * pin (verify_artifact_open); whatever is missing or does not match is
 * fetched as usual. The script is used once: a retry fetches anew. */
#ifndef BOOTRINO_AGENT_CARRY_H
#define BOOTRINO_AGENT_CARRY_H

#include <stddef.h>
#include <stdint.h>

#define CLI_CARRY_DIR "/var/lib/bootrino/carried"
/* Artifacts are carried while their sum stays under both. On the host the
 * carried bytes exist up to four times at once (the overlay's entries, its
 * cpio, the joined initrd, the kernel's copy of the segments) next to the
 * sealed copies of the loader itself; in the loader twice. A 256 MiB
 * instance ran out of memory with a quarter of MemAvailable
 * (tests/e2e/test_install_more.sh, "small"). */
#define CLI_CARRY_MAX_BYTES (1024ull << 20)
#define CLI_CARRY_MEM_SHARE 16 /* at most 1/16 of MemAvailable */

/* --- host ------------------------------------------------------------------ */
/* Below workdir, make "carry/" + CLI_CARRY_DIR holding the script and its
 * signature; root gets "<workdir>/carry", the directory to add to the
 * overlay as /. */
int cli_carry_begin(const char *workdir, const char *url, const char *script, size_t len,
		    const char *sig, size_t siglen, char *root, size_t rootlen);
/* Add one verified artifact: path holds bytes whose sha256 is hex (linked,
 * not copied, when possible). *budget is decremented; an artifact that
 * does not fit is left out (the loader fetches it) and 1 is returned. */
int cli_carry_add_file(const char *root, const char *hex, const char *path,
		       unsigned long long *budget);
int cli_carry_add_buf(const char *root, const char *hex, const void *buf, size_t len,
		      unsigned long long *budget);
/* The byte budget for artifacts on this machine. */
unsigned long long cli_carry_budget(void);
/* The artifact bytes already below root (what is left of the budget for
 * one more, e.g. the boot-disk image: cli_carry_budget() minus this). */
unsigned long long cli_carry_used(const char *root);

/* --- loader ---------------------------------------------------------------- */
/* 0 when the host carried a script for url: spath and sigpath name the
 * script and its signature (read them, then cli_carry_consume()); -ENOENT
 * otherwise. */
int cli_carry_script(const char *url, char *spath, size_t spathlen, char *sigpath,
		     size_t sigpathlen);
/* The carried script serves one attempt: a retry fetches anew. */
void cli_carry_consume(void);
/* 1 when a carried script is waiting (the first run needs no network). */
int cli_carry_script_present(void);
/* 0 and path when an artifact with this sha256 (hex) was carried. */
int cli_carry_artifact(const char *hex, char *path, size_t pathlen);

#endif
