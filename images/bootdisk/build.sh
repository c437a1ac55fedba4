#!/bin/bash
# The boot-disk image: what `bootrino takeover` writes to the root disk
# (docs/disk.md). Built without root: sfdisk on a file, mkfs.vfat + mtools,
# mkfs.ext4 -d, syslinux (BIOS) and grub-mkstandalone (UEFI).
#
# usage: images/bootdisk/build.sh OUTDIR LOADERDIR [CMDLINE]
#   LOADERDIR  the loader's vmlinuz + initrd.img (build/images/loader)
# writes OUTDIR/bootdisk.img.zst (zstd -19) and OUTDIR/bootdisk.img.size
#
# Layout (GPT, 512-byte LBAs; the loader re-lays the GPT for the real disk,
# keeping these byte offsets):
#   LBA 0          protective MBR, boot code: syslinux gptmbr.bin
#   1 MiB..129     bootrino-esp   FAT32 "BOOTRINO", legacy-BIOS-bootable:
#                  /loader/{vmlinuz,initrd.img}, /bootrino/config.cpio
#                  (placeholder; the installer writes the machine's config),
#                  /syslinux/{ldlinux.sys,ldlinux.c32,syslinux.cfg},
#                  /EFI/BOOT/BOOTX64.EFI (GRUB), /EFI/bootrino/grub.cfg
#   129..641 MiB   bootrino-state ext4 "bootrino-state": LAYOUT, slots a/ b/,
#                  log/ (empty: issue 9 fills them)
#   641..642 MiB   the image's backup GPT (bootrino-data is made on the disk)
set -euo pipefail
out=$1 loader=$2 cmdline=${3:-console=tty0 console=ttyS0}
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-0}
esp_mib=128 state_mib=512
for f in "$loader/vmlinuz" "$loader/initrd.img" /usr/lib/syslinux/mbr/gptmbr.bin; do
	[ -s "$f" ] || { echo "bootdisk: $f missing" >&2; exit 2; }
done
mkdir -p "$out"
work=$(mktemp -d "$out/.work.XXXXXX")
trap 'rm -rf "$work"' EXIT

# --- ESP ---------------------------------------------------------------------
esp=$work/esp.img
mkfs.vfat -F 32 -s 1 -n BOOTRINO -i B007B007 --invariant -C "$esp" $((esp_mib * 1024)) >/dev/null
export MTOOLS_SKIP_CHECK=1
m() { mmd -i "$esp" "$@"; }
mc() { mcopy -i "$esp" -m "$@"; }
m ::/loader ::/bootrino ::/syslinux ::/EFI ::/EFI/BOOT ::/EFI/bootrino
mc "$loader/vmlinuz" ::/loader/vmlinuz
mc "$loader/initrd.img" ::/loader/initrd.img
# Placeholder for the machine's config (an empty newc archive): the
# installer replaces it; both boot loaders name it, so it must exist.
cpio -o -H newc --quiet < /dev/null > "$work/config.cpio"
mc "$work/config.cpio" ::/bootrino/config.cpio
cat > "$work/syslinux.cfg" <<CFG
DEFAULT bootrino
PROMPT 0
TIMEOUT 0
SERIAL 0 115200
LABEL bootrino
  LINUX /loader/vmlinuz
  INITRD /loader/initrd.img,/bootrino/config.cpio
  APPEND $cmdline bootrino.from=disk
CFG
mc "$work/syslinux.cfg" ::/syslinux/syslinux.cfg
cat > "$work/grub.cfg" <<CFG
set timeout=0
set default=0
serial --unit=0 --speed=115200
terminal_output console serial
menuentry bootrino {
  linux /loader/vmlinuz $cmdline bootrino.from=disk
  initrd /loader/initrd.img /bootrino/config.cpio
}
CFG
mc "$work/grub.cfg" ::/EFI/bootrino/grub.cfg
# GRUB's own memdisk config: find the ESP by its label, read the config
# from it (so that it is a plain file on the ESP, next to the kernel).
cat > "$work/embed.cfg" <<'CFG'
search --no-floppy --label BOOTRINO --set=root
configfile /EFI/bootrino/grub.cfg
CFG
mods="part_gpt fat search search_label configfile linux normal echo serial terminal test efi_gop"
grub-mkstandalone -O x86_64-efi -o "$work/BOOTX64.EFI" --modules="$mods" \
	--install-modules="$mods" --locales= --fonts= --themes= \
	"boot/grub/grub.cfg=$work/embed.cfg"
mc "$work/BOOTX64.EFI" ::/EFI/BOOT/BOOTX64.EFI

# --- state -------------------------------------------------------------------
st=$work/state
mkdir -p "$st/a" "$st/b" "$st/log"
cat > "$st/LAYOUT" <<TXT
bootrino-state 1
a/ b/   slots (bootrino.sh + signature, plan, artifacts, facts)
log/    the loader's log, bounded
config.json  the installed config (written by the installer)
TXT
find "$st" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
E2FSPROGS_FAKE_TIME=$SOURCE_DATE_EPOCH mkfs.ext4 -q -F -L bootrino-state \
	-U 6f6f7462-7269-4e6f-8000-000000000001 -E root_owner=0:0,hash_seed=6f6f7462-7269-4e6f-8000-000000000002 \
	-d "$st" "$work/state.img" ${state_mib}M >/dev/null

# --- disk --------------------------------------------------------------------
img=$work/bootdisk.img
total_mib=$((1 + esp_mib + state_mib + 1))
truncate -s ${total_mib}M "$img"
sfdisk -q "$img" <<SF
label: gpt
label-id: 6F6F7462-7269-4E6F-8000-000000000000
unit: sectors
first-lba: 34
start=2048, size=$((esp_mib * 2048)), type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, uuid=6F6F7462-7269-4E6F-8000-0000000000E1, name="bootrino-esp", attrs="LegacyBIOSBootable"
start=$(((1 + esp_mib) * 2048)), size=$((state_mib * 2048)), type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, uuid=6F6F7462-7269-4E6F-8000-0000000000E2, name="bootrino-state"
SF
dd if="$esp" of="$img" bs=1M seek=1 conv=notrunc,sparse status=none
dd if="$work/state.img" of="$img" bs=1M seek=$((1 + esp_mib)) conv=notrunc,sparse status=none
# BIOS: gptmbr.bin finds the legacy-bootable partition, syslinux's boot
# sector there loads /syslinux/ldlinux.sys (--offset: the FAT starts at 1 MiB)
dd if=/usr/lib/syslinux/mbr/gptmbr.bin of="$img" bs=440 count=1 conv=notrunc status=none
syslinux --offset $((1024 * 1024)) --directory /syslinux --install "$img"

stat -c %s "$img" > "$work/size"
zstd -q -19 -f "$img" -o "$work/bootdisk.img.zst"
mv "$work/size" "$out/bootdisk.img.size"
mv "$work/bootdisk.img.zst" "$out/bootdisk.img.zst"
echo "bootdisk: $(cat "$out/bootdisk.img.size") bytes, bootdisk.img.zst $(stat -c %s "$out/bootdisk.img.zst") bytes"
