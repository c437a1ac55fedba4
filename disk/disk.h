/* disk/: the root disk. Finding it, naming it by identity, laying out
 * bootrino's GPT on it, and writing a verified boot-disk image to it. The
 * only module besides kexec/ that includes libarchive. See docs/disk.md.
 *
 * Contract:
 * - The disk is found from what the running system mounts on `/`
 *   (mountinfo → major:minor → /sys/dev/block → the whole disk in sysfs),
 *   never from a name. A device-mapper root with exactly one slave is
 *   followed down to that slave.
 * - An identity (struct disk_identity) is what the host records and the
 *   loader matches after kexec, where names change (nvme0n1 vs nvme1n1,
 *   vda vs sda). disk_find() writes nothing; it names the one disk that
 *   matches, or fails with -BR_EDISK ("no disk matches …" / "2 disks
 *   match …").
 * - disk_write_image() takes the image only as a struct verify_artifact
 *   (verify/artifact.h): nothing unverified reaches a disk. It writes the
 *   partitions' regions first (each write read back and compared as soon
 *   as it completed), the backup GPT next, the first MiB (MBR boot code,
 *   protective MBR, primary GPT) last, then fsyncs, re-reads the
 *   partition table (BLKRRPART) and reads both GPTs back. bootrino-data
 *   is created once; a disk that already holds a bootrino layout keeps
 *   its GPT and its data partition.
 * - Every function returns 0 or a negative error (-BR_EDISK, -BR_EHASH,
 *   -BR_EMALFORMED, -errno) with a br_fail() detail naming the disk or
 *   file and why; nothing here prints or exits.
 */
#ifndef BOOTRINO_DISK_DISK_H
#define BOOTRINO_DISK_DISK_H

#include <stddef.h>
#include <stdint.h>

#include "verify/artifact.h"

#define DISK_NAME_MAX 64
#define DISK_ID_MAX 128 /* serial, wwid, eui, nguid, ptuuid, by-path */
#define DISK_MIB (1ull << 20)

/* What makes a disk this disk. Empty strings: the disk has no such
 * identifier. size and ptuuid are always set for a disk with a table. */
struct disk_identity {
	char name[DISK_NAME_MAX]; /* kernel name when read: informational only */
	uint64_t size;		  /* bytes */
	uint32_t sector;	  /* logical sector size in bytes */
	char serial[DISK_ID_MAX];
	char wwid[DISK_ID_MAX];
	char eui[DISK_ID_MAX];
	char nguid[DISK_ID_MAX];
	char ptuuid[DISK_ID_MAX];  /* GPT disk GUID, or MBR id "0x%08x" */
	char by_path[DISK_ID_MAX]; /* "pci-0000:00:04.0": informational */
};

/* Paths to the system's views; tests point them at a fake tree. NULL
 * fields take the defaults (/proc/self/mountinfo, /sys, /dev). */
struct disk_env {
	const char *mountinfo;
	const char *sysfs;
	const char *devdir;
};

/* The whole disk holding `/` (kernel name into name). */
int disk_root_find(const struct disk_env *env, char *name, size_t cap);

/* Read the identity of whole disk `name` (sysfs attributes; the partition
 * table id from the device itself). */
int disk_identity_read(const struct disk_env *env, const char *name, struct disk_identity *id);

/* 1 if candidate is the recorded disk: same size, same partition-table
 * id, and every serial / wwid / eui / nguid the record holds present and
 * equal. by_path and name are never compared (they change with drivers). */
int disk_identity_match(const struct disk_identity *recorded, const struct disk_identity *cand);

/* The one whole disk matching `recorded` (kernel name into name). */
int disk_find(const struct disk_env *env, const struct disk_identity *recorded, char *name,
	      size_t cap);

/* Partition table id of an open device: the GPT disk GUID
 * ("xxxxxxxx-xxxx-…", lower case) or the MBR signature ("0x1234abcd"); ""
 * when there is neither. */
int disk_ptuuid_read(int fd, uint32_t sector, char *out, size_t cap);

/* --- layout --------------------------------------------------------------- */

#define DISK_ALIGN DISK_MIB
#define DISK_GPT_ENTRIES 128
#define DISK_MIN_SIZE (2ull << 30)
#define DISK_MAX_SIZE (16ull << 40)

enum disk_part { DISK_PART_ESP, DISK_PART_STATE, DISK_PART_DATA, DISK_NPARTS };

struct disk_extent {
	uint64_t start; /* bytes */
	uint64_t size;	/* bytes */
};

struct disk_layout {
	uint64_t disk_size; /* bytes */
	uint32_t sector;
	uint64_t sectors;	 /* disk_size / sector */
	uint64_t first_usable;	 /* LBA */
	uint64_t last_usable;	 /* LBA */
	uint64_t backup_entries; /* LBA of the backup entry array */
	uint64_t backup_header;	 /* LBA (the disk's last) */
	uint32_t entry_sectors;	 /* sectors of one entry array */
	struct disk_extent part[DISK_NPARTS];
};

/* GPT partition names, as the writer sets them and disk_gpt_* look for. */
extern const char *const disk_part_names[DISK_NPARTS];

/* Lay out a disk of disk_size bytes with sector-byte sectors around the
 * image's ESP and state extents (same byte offsets as in the image):
 * bootrino-data takes the rest, ending at a 1 MiB boundary before the
 * backup GPT. -BR_EDISK for a disk outside 2 GiB .. 16 TiB, a sector
 * size other than 512 / 4096, or extents that do not fit. */
int disk_layout_compute(uint64_t disk_size, uint32_t sector, const struct disk_extent *esp,
			const struct disk_extent *state, struct disk_layout *out);

/* --- GPT -------------------------------------------------------------------- */

#define DISK_GPT_HEADER_SIZE 92
#define DISK_GPT_ENTRY_SIZE 128

/* One table as read back (partition names decoded to ASCII). */
struct disk_gpt_part {
	uint8_t type[16];
	uint8_t guid[16];
	uint64_t first_lba, last_lba;
	uint64_t attrs;
	char name[37];
};

struct disk_gpt {
	uint8_t disk_guid[16];
	uint64_t first_usable, last_usable, alt_lba;
	uint32_t n_entries;
	struct disk_gpt_part part[DISK_GPT_ENTRIES];
	size_t n_used; /* entries with a non-zero type, in table order */
};

/* Parse a primary GPT from the first bytes of a disk (or image): buf
 * holds at least LBA 0 .. the entry array. Checks signature, sizes and
 * both CRC32s. -BR_EMALFORMED with a detail otherwise. A fuzz target. */
int disk_gpt_parse(const uint8_t *buf, size_t len, uint32_t sector, struct disk_gpt *out);

/* The extents of bootrino's partitions by GPT name; -BR_EMALFORMED when
 * a name is missing. Missing data is allowed when want_data is 0. */
int disk_gpt_extents(const struct disk_gpt *g, uint32_t sector, int want_data,
		     struct disk_extent ext[DISK_NPARTS]);

/* Build the first `1 MiB` of the disk (protective MBR with boot_code's
 * first 440 bytes, primary header, entries) and the backup area (entries
 * then header: layout->entry_sectors + 1 sectors). disk_guid and
 * part_guid[] are 16 bytes each (mixed-endian GUID bytes as on disk). */
int disk_gpt_build(const struct disk_layout *l, const uint8_t *boot_code, const uint8_t *disk_guid,
		   const uint8_t part_guid[DISK_NPARTS][16], uint8_t *head, size_t head_len,
		   uint8_t *tail, size_t tail_len);

uint32_t disk_crc32(const void *data, size_t len);

/* --- writing ---------------------------------------------------------------- */

struct disk_write_opts {
	const struct disk_identity *id; /* for messages */
	int no_rereadpt;		/* skip BLKRRPART (the caller re-reads later) */
	uint32_t sector;		/* 0: the device's (512 for a file); tests set 4096 */
	int no_direct; /* tests: the path for a file system that refuses O_DIRECT */
};

struct disk_write_report {
	int updated;	      /* 1: an existing bootrino layout kept, ESP refreshed */
	uint64_t image_bytes; /* decompressed image size */
	uint64_t written;     /* bytes written with data */
	uint64_t zeroed;      /* bytes zeroed without data (BLKZEROOUT / hole) */
	uint64_t verified;    /* bytes read back and compared */
	struct disk_layout layout;
	char step[32]; /* the last step started: "image", "backup-gpt", "first-mib", … */
};

/* Write the verified, zstd-compressed (or raw) boot-disk image to the
 * open device or file fd (O_RDWR; its size is the disk's), see the
 * contract above. */
int disk_write_image(const struct verify_artifact *img, int fd, const char *what,
		     const struct disk_write_opts *o, struct disk_write_report *rep);

/* /dev path of partition partno (1-based) of whole disk `name`, from
 * sysfs; waits up to timeout_ms for the node after a BLKRRPART. */
int disk_partition_path(const struct disk_env *env, const char *name, unsigned partno,
			unsigned timeout_ms, char *out, size_t cap);

/* Format an identity for one line of text: "vda (serial=… size=… ptuuid=…)". */
void disk_identity_format(const struct disk_identity *id, char *out, size_t cap);

#endif
