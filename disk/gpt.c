/* GPT: bootrino's layout computed for a disk, built, and parsed back.
 * Written here rather than with libfdisk: docs/disk.md says why. */
#include <errno.h>
#include <string.h>

#include "common/err.h"
#include "disk/disk.h"

const char *const disk_part_names[DISK_NPARTS] = {"bootrino-esp", "bootrino-state",
						  "bootrino-data"};

/* C12A7328-F81F-11D2-BA4B-00A0C93EC93B and 0FC63DAF-8483-4772-8E79-3D69D8477DE4
 * as stored (first three fields little-endian) */
static const uint8_t type_esp[16] = {0x28, 0x73, 0x2a, 0xc1, 0x1f, 0xf8, 0xd2, 0x11,
				     0xba, 0x4b, 0x00, 0xa0, 0xc9, 0x3e, 0xc9, 0x3b};
static const uint8_t type_linux[16] = {0xaf, 0x3d, 0xc6, 0x0f, 0x83, 0x84, 0x72, 0x47,
				       0x8e, 0x79, 0x3d, 0x69, 0xd8, 0x47, 0x7d, 0xe4};

/* Legacy BIOS bootable: what syslinux's gptmbr.bin looks for. */
#define ATTR_LEGACY_BOOT (1ull << 2)

uint32_t disk_crc32(const void *data, size_t len)
{
	static uint32_t table[256];
	const uint8_t *p = data;
	uint32_t c = 0xffffffffu;

	if (!table[1]) {
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t v = i;

			for (int k = 0; k < 8; k++)
				v = v & 1 ? 0xedb88320u ^ (v >> 1) : v >> 1;
			table[i] = v;
		}
	}
	while (len--)
		c = table[(c ^ *p++) & 0xff] ^ (c >> 8);
	return c ^ 0xffffffffu;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) / a * a;
}

int disk_layout_compute(uint64_t disk_size, uint32_t sector, const struct disk_extent *esp,
			const struct disk_extent *state, struct disk_layout *l)
{
	uint64_t data_start, data_end;

	memset(l, 0, sizeof(*l));
	if (sector != 512 && sector != 4096)
		return br_fail(-BR_EDISK, "sector size %u: only 512 and 4096 are supported",
			       sector);
	if (disk_size < DISK_MIN_SIZE || disk_size > DISK_MAX_SIZE)
		return br_fail(-BR_EDISK, "disk of %llu bytes: outside 2 GiB .. 16 TiB",
			       (unsigned long long)disk_size);
	if (disk_size % sector)
		return br_fail(-BR_EDISK,
			       "disk of %llu bytes: not a whole number of %u-byte sectors",
			       (unsigned long long)disk_size, sector);
	l->disk_size = disk_size;
	l->sector = sector;
	l->sectors = disk_size / sector;
	l->entry_sectors = DISK_GPT_ENTRIES * DISK_GPT_ENTRY_SIZE / sector;
	l->first_usable = 2 + l->entry_sectors;
	l->backup_header = l->sectors - 1;
	l->backup_entries = l->backup_header - l->entry_sectors;
	l->last_usable = l->backup_entries - 1;
	if (esp->start % DISK_ALIGN || state->start % DISK_ALIGN || esp->size % sector ||
	    state->size % sector || !esp->size || !state->size)
		return br_fail(-BR_EDISK, "image partitions are not 1 MiB aligned");
	if (esp->start < l->first_usable * sector || state->start < esp->start + esp->size)
		return br_fail(-BR_EDISK, "image partitions overlap the GPT or each other");
	data_start = align_up(state->start + state->size, DISK_ALIGN);
	data_end = (l->last_usable + 1) * sector / DISK_ALIGN * DISK_ALIGN;
	/* the data partition must be worth having: at least 64 MiB */
	if (data_end <= data_start || data_end - data_start < 64 * DISK_MIB)
		return br_fail(-BR_EDISK,
			       "disk of %llu bytes: too small for bootrino's %llu MiB and "
			       "a data partition",
			       (unsigned long long)disk_size,
			       (unsigned long long)(data_start / DISK_MIB));
	l->part[DISK_PART_ESP] = *esp;
	l->part[DISK_PART_STATE] = *state;
	l->part[DISK_PART_DATA].start = data_start;
	l->part[DISK_PART_DATA].size = data_end - data_start;
	return 0;
}

static void put_entry(uint8_t *e, const uint8_t type[16], const uint8_t guid[16],
		      const struct disk_extent *x, uint32_t sector, uint64_t attrs,
		      const char *name)
{
	memcpy(e, type, 16);
	memcpy(e + 16, guid, 16);
	put64(e + 32, x->start / sector);
	put64(e + 40, (x->start + x->size) / sector - 1);
	put64(e + 48, attrs);
	for (size_t i = 0; i < 36 && name[i]; i++)
		e[56 + 2 * i] = (uint8_t)name[i]; /* UTF-16LE of ASCII */
}

static void put_header(uint8_t *h, const struct disk_layout *l, const uint8_t *disk_guid,
		       uint64_t my_lba, uint64_t alt_lba, uint64_t entries_lba,
		       uint32_t entries_crc)
{
	static const uint8_t sig[8] = {'E', 'F', 'I', ' ', 'P', 'A', 'R', 'T'};

	memcpy(h, sig, sizeof(sig));
	put32(h + 8, 0x00010000);
	put32(h + 12, DISK_GPT_HEADER_SIZE);
	put64(h + 24, my_lba);
	put64(h + 32, alt_lba);
	put64(h + 40, l->first_usable);
	put64(h + 48, l->last_usable);
	memcpy(h + 56, disk_guid, 16);
	put64(h + 72, entries_lba);
	put32(h + 80, DISK_GPT_ENTRIES);
	put32(h + 84, DISK_GPT_ENTRY_SIZE);
	put32(h + 88, entries_crc);
	put32(h + 16, 0);
	put32(h + 16, disk_crc32(h, DISK_GPT_HEADER_SIZE));
}

int disk_gpt_build(const struct disk_layout *l, const uint8_t *boot_code, const uint8_t *disk_guid,
		   const uint8_t part_guid[DISK_NPARTS][16], uint8_t *head, size_t head_len,
		   uint8_t *tail, size_t tail_len)
{
	size_t s = l->sector, ents = (size_t)l->entry_sectors * s;
	uint64_t mbr_size = l->sectors - 1 > 0xffffffffu ? 0xffffffffu : l->sectors - 1;
	uint8_t *e = head + 2 * s, *pm = head + 446;
	uint32_t crc;

	if (head_len < DISK_ALIGN || tail_len < ents + s)
		return br_fail(-EINVAL, "GPT buffers too small");
	memset(head, 0, head_len);
	memset(tail, 0, tail_len);
	if (boot_code)
		memcpy(head, boot_code, 440);
	/* protective MBR: one 0xEE entry over the disk, marked active because
	 * some BIOSes only boot a disk with an active entry */
	pm[0] = 0x80;
	pm[1] = 0x00, pm[2] = 0x02, pm[3] = 0x00;
	pm[4] = 0xee;
	pm[5] = 0xff, pm[6] = 0xff, pm[7] = 0xff;
	put32(pm + 8, 1);
	put32(pm + 12, (uint32_t)mbr_size);
	head[510] = 0x55;
	head[511] = 0xaa;

	put_entry(e, type_esp, part_guid[DISK_PART_ESP], &l->part[DISK_PART_ESP], l->sector,
		  ATTR_LEGACY_BOOT, disk_part_names[DISK_PART_ESP]);
	put_entry(e + DISK_GPT_ENTRY_SIZE, type_linux, part_guid[DISK_PART_STATE],
		  &l->part[DISK_PART_STATE], l->sector, 0, disk_part_names[DISK_PART_STATE]);
	put_entry(e + (size_t)2 * DISK_GPT_ENTRY_SIZE, type_linux, part_guid[DISK_PART_DATA],
		  &l->part[DISK_PART_DATA], l->sector, 0, disk_part_names[DISK_PART_DATA]);
	crc = disk_crc32(e, ents);
	put_header(head + s, l, disk_guid, 1, l->backup_header, 2, crc);
	memcpy(tail, e, ents);
	put_header(tail + ents, l, disk_guid, l->backup_header, 1, l->backup_entries, crc);
	return 0;
}

int disk_gpt_parse(const uint8_t *buf, size_t len, uint32_t sector, struct disk_gpt *g)
{
	uint8_t h[512];
	uint32_t hsize, n, esize, crc;
	uint64_t elba;
	const uint8_t *e;

	memset(g, 0, sizeof(*g));
	if ((sector != 512 && sector != 4096) || len < 2 * (size_t)sector)
		return br_fail(-BR_EMALFORMED, "GPT: too short");
	if (memcmp(buf + sector, "EFI PART", 8) != 0)
		return br_fail(-BR_EMALFORMED, "GPT: no header signature at LBA 1");
	hsize = get32(buf + sector + 12);
	if (hsize < DISK_GPT_HEADER_SIZE || hsize > sizeof(h) || hsize > sector)
		return br_fail(-BR_EMALFORMED, "GPT: header size %u", hsize);
	memcpy(h, buf + sector, hsize);
	crc = get32(h + 16);
	put32(h + 16, 0);
	if (disk_crc32(h, hsize) != crc)
		return br_fail(-BR_EMALFORMED, "GPT: header CRC mismatch");
	if (get64(h + 24) != 1)
		return br_fail(-BR_EMALFORMED, "GPT: primary header not at LBA 1");
	n = get32(h + 80);
	esize = get32(h + 84);
	elba = get64(h + 72);
	if (esize != DISK_GPT_ENTRY_SIZE || n == 0 || n > DISK_GPT_ENTRIES)
		return br_fail(-BR_EMALFORMED, "GPT: %u entries of %u bytes: not supported", n,
			       esize);
	if (elba < 2 || elba > len / sector || (len - elba * sector) / esize < n)
		return br_fail(-BR_EMALFORMED, "GPT: entry array outside the data");
	e = buf + elba * sector;
	if (disk_crc32(e, (size_t)n * esize) != get32(h + 88))
		return br_fail(-BR_EMALFORMED, "GPT: entry array CRC mismatch");
	memcpy(g->disk_guid, h + 56, 16);
	g->first_usable = get64(h + 40);
	g->last_usable = get64(h + 48);
	g->alt_lba = get64(h + 32);
	if (g->first_usable > g->last_usable)
		return br_fail(-BR_EMALFORMED, "GPT: first usable LBA after the last");
	g->n_entries = n;
	for (uint32_t i = 0; i < n; i++, e += esize) {
		static const uint8_t zero[16];
		struct disk_gpt_part *p = &g->part[g->n_used];

		if (memcmp(e, zero, 16) == 0)
			continue;
		memcpy(p->type, e, 16);
		memcpy(p->guid, e + 16, 16);
		p->first_lba = get64(e + 32);
		p->last_lba = get64(e + 40);
		p->attrs = get64(e + 48);
		if (p->first_lba > p->last_lba || p->first_lba < g->first_usable ||
		    p->last_lba > g->last_usable)
			return br_fail(-BR_EMALFORMED, "GPT: entry %u outside the usable area",
				       i + 1);
		for (int k = 0; k < 36; k++) {
			uint16_t c = (uint16_t)(e[56 + 2 * k] | e[57 + 2 * k] << 8);

			if (!c)
				break;
			p->name[k] = c < 0x80 && c >= 0x20 ? (char)c : '?';
		}
		g->n_used++;
	}
	return 0;
}

int disk_gpt_extents(const struct disk_gpt *g, uint32_t sector, int want_data,
		     struct disk_extent ext[DISK_NPARTS])
{
	memset(ext, 0, sizeof(struct disk_extent) * DISK_NPARTS);
	for (int k = 0; k < DISK_NPARTS; k++) {
		const struct disk_gpt_part *hit = NULL;

		for (size_t i = 0; i < g->n_used; i++)
			if (strcmp(g->part[i].name, disk_part_names[k]) == 0)
				hit = &g->part[i];
		if (!hit) {
			if (k == DISK_PART_DATA && !want_data)
				continue;
			return br_fail(-BR_EMALFORMED, "GPT: no partition named %s",
				       disk_part_names[k]);
		}
		ext[k].start = hit->first_lba * sector;
		ext[k].size = (hit->last_lba - hit->first_lba + 1) * sector;
	}
	return 0;
}
