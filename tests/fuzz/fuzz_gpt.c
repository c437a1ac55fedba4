/* libFuzzer: disk_gpt_parse() and disk_gpt_extents() on hostile
 * partition tables (the loader parses the boot-disk image's GPT and the
 * disk's own before it writes). Input: the first bytes of a disk; the
 * sector size is tried as 512 and 4096. Invariants: no crash or
 * overflow; a table that parses has at most 128 used entries, each inside
 * the usable area. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "disk/disk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct disk_gpt g;
	struct disk_extent ext[DISK_NPARTS];
	static const uint32_t sectors[] = {512, 4096};

	for (size_t i = 0; i < 2; i++) {
		if (disk_gpt_parse(data, size, sectors[i], &g) != 0)
			continue;
		if (g.n_used > DISK_GPT_ENTRIES)
			abort();
		for (size_t k = 0; k < g.n_used; k++)
			if (g.part[k].first_lba < g.first_usable ||
			    g.part[k].last_lba > g.last_usable)
				abort();
		(void)disk_gpt_extents(&g, sectors[i], 1, ext);
	}
	return 0;
}
