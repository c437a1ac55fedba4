#!/bin/bash
# `bootrino disk --write` (the loader's writer, disk_write_image) failing
# part-way through, on a disk that holds a stock OS's GPT: one line, exit 6,
# and the disk afterwards as docs/disk.md ("Disk state after each kind of
# failure", row "write error during the ESP / state") says: the stock
# partition table and its backup untouched, the ESP's place written up to
# the failure and not beyond, no bootrino GPT anywhere.
#
# The fault is the kernel's own: RLIMIT_FSIZE (ulimit -f, SIGXFSZ ignored)
# makes every write past 16 MiB of the target file fail with EFBIG, the
# error a full or failing medium gives the writer through the same
# pwrite(). No root, no loop device, no device mapper needed.
set -u
. "$(dirname "$0")/../lib/tap.sh"
tap_require sfdisk zstd

T=$TAP_TMP
MiB=1048576
LIMIT_MIB=16

# A boot-disk image as images/bootdisk/build.sh lays it out (GPT:
# bootrino-esp 1..129 MiB, bootrino-state 129..641 MiB, backup GPT in the
# last MiB), data from the ESP's start on so that the writer crosses the
# limit with writes in flight: 8 MiB random, then 0x5a bytes to 100 MiB
# (they compress: the verified copy of the image, a memfd the limit
# applies to as well, stays under it).
img=$T/bootdisk.img
truncate -s $((642 * MiB)) "$img"
sfdisk -q "$img" > /dev/null << 'EOF'
label: gpt
start=2048, size=262144, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name="bootrino-esp"
start=264192, size=1048576, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name="bootrino-state"
EOF
head -c $((8 * MiB)) /dev/urandom | dd of="$img" bs=1M seek=1 conv=notrunc status=none
head -c $((91 * MiB)) /dev/zero | tr '\0' '\132' | dd of="$img" bs=1M seek=9 conv=notrunc status=none
zstd -q -1 "$img" -o "$img.zst"
sha=$(sha256sum < "$img.zst" | cut -d' ' -f1)

# The "stock" disk: 3 GiB, its own GPT (one root partition), old bytes
# everywhere the install would write.
disk=$T/disk.raw
truncate -s $((3072 * MiB)) "$disk"
echo 'label: gpt
start=2048, name="stock-root"' | sfdisk -q "$disk" > /dev/null
head -c $((48 * MiB)) /dev/urandom | dd of="$disk" bs=1M seek=1 conv=notrunc status=none
region() { dd if="$disk" bs=1M skip="$1" count="$2" status=none | sha256sum | cut -d' ' -f1; }
table_before=$(region 0 1)
end_before=$(region 3071 1)
after_before=$(region $((LIMIT_MIB + 1)) 32)
pt_before=$(sfdisk -J "$disk" 2> /dev/null)

write_limited() {
	(
		trap '' XFSZ
		ulimit -f $((LIMIT_MIB * 1024))
		exec "$BOOTRINO" disk --write "$img.zst" --sha256 "$sha" "$disk"
	)
}
run "a write that fails part-way: exit 6 (disk)" 6 write_limited
err_is "one line naming the target, the byte and why" \
	"^bootrino: error: disk: .*disk\.raw: write at byte [0-9]+: File too large$"

[ "$(region 0 1)" = "$table_before" ] &&
	ok "the first MiB (protective MBR + the stock GPT) is untouched: the first MiB goes last" ||
	not_ok "the first MiB is untouched" "$(sfdisk -J "$disk" 2>&1)"
[ "$(sfdisk -J "$disk" 2> /dev/null)" = "$pt_before" ] &&
	ok "sfdisk still reads the stock partition table" ||
	not_ok "the stock partition table is still there" "$(sfdisk -J "$disk" 2>&1)"
[ "$(region 3071 1)" = "$end_before" ] &&
	ok "the last MiB (the stock backup GPT) is untouched: no bootrino backup GPT" ||
	not_ok "the last MiB is untouched"
if cmp -s <(dd if="$img" bs=1M skip=1 count=$((LIMIT_MIB - 1)) status=none) \
	<(dd if="$disk" bs=1M skip=1 count=$((LIMIT_MIB - 1)) status=none); then
	ok "the ESP's place holds the image's bytes up to the failure (the stock OS's start overwritten)"
else
	not_ok "the ESP's place is written up to the failure"
fi
[ "$(region $((LIMIT_MIB + 1)) 32)" = "$after_before" ] &&
	ok "nothing past the failure is written" ||
	not_ok "nothing past the failure is written"

# The same image with no limit: the writer itself is fine (the failure
# above is the fault's, not the image's).
run "without the fault the same image installs (exit 0)" 0 \
	"$BOOTRINO" disk --write "$img.zst" --sha256 "$sha" "$disk"
has "and says so" "$OUT" "^installed .*disk\.raw: .*verified"
done_testing
