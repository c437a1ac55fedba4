#!/bin/bash
# The loader's real install path (bootrino init → cli_install_run: the disk
# found again by identity, the image fetched and verified, written) against
# disks that fail where docs/disk.md's "Disk state after each kind of
# failure" table only reasoned: QEMU's blkdebug driver makes one sector of
# the virtio disk fail with EIO, and the disk is checked offline afterwards
# (sfdisk, cmp on the raw file) against the table's row:
#
#   1. the first MiB's write fails (sector 0): step first-mib, exit 6, the
#      target still boots from RAM;
#   2. the backup GPT's write fails (the disk's last sector): step
#      backup-gpt, the stock first MiB still in place;
#   3. a read error during the read-back (a sector of the ESP's data that
#      nothing reads before the check): step check;
#   4. a truncated image (the host's copy and the served file cut in
#      half; loader.json's pin): the copy dropped, the download refused
#      (sha256 mismatch, exit 3), the target from RAM, the disk untouched;
#   5. the same cut image named by its own sha256: the pin passes, the
#      stream's end is missing: step validate, exit 3, the disk untouched;
#   6. an update in place by the real loader: a disk that already holds a
#      bootrino layout (written on the host by the same writer), with an
#      ext2 file system on bootrino-data (/boots = 41), a marker file on
#      bootrino-state and 4 KiB of the ESP's kernel overwritten: the ESP is
#      rewritten (the 4 KiB come back), the markers and the GPT stay; then
#      the disk powers on through SeaBIOS (no -kernel) → syslinux → loader
#      → tinylinux, which counts boot 42 on bootrino-data.
#
# blkdebug rules fire on an event (pwritev: any data write; read_aio: any
# read through the raw format) and then stay armed for every request that
# covers the sector; iotype keeps a write rule off reads and a read rule
# off writes.
set -u
. "$BOOTRINO_ROOT/tests/lib/tap.sh"
. "$BOOTRINO_ROOT/tests/lib/nginx.sh"
. "$BOOTRINO_ROOT/tests/e2e/lib/qemu.sh"
. "$BOOTRINO_ROOT/tests/e2e/lib/loader.sh"

tap_require sfdisk zstd debugfs mkfs.ext2 cpio minisign mcopy
loader_require
[ -s "$IMAGES/bootdisk/bootdisk.img.zst" ] ||
	{ not_ok "boot-disk image built" "run: make images"; done_testing; exit 1; }
HOST_BOOTRINO=$BOOTRINO_ROOT/build/static/bootrino
[ -x "$HOST_BOOTRINO" ] || HOST_BOOTRINO=$BOOTRINO

T=$TAP_TMP
MiB=1048576
DISK_MIB=2048 # the smallest disk the layout takes: the install is cheapest
SERIAL_ID=bootrino-faults
t_start=$(date +%s.%N)

# --- the site: signed bootrino.sh → tinylinux, the boot-disk image ---------------
chmod 0755 "$T" # nginx's workers run as nobody
mkdir -p "$T/key"
minisign -G -W -s "$T/key/test.key" -p "$T/key/test.pub" > /dev/null
site=$T/site
if ! out=$("$BOOTRINO_ROOT/scripts/publish" "$site" --key "$T/key/test.key" --target tinylinux \
	--images "$IMAGES" --agent "$HOST_BOOTRINO" --cmdline "console=ttyS0 quiet" 2>&1); then
	not_ok "scripts/publish makes the site" "$out"; done_testing; exit 1
fi
chmod -R a+rX "$site"
nginx_start "$site" || { not_ok "nginx starts"; done_testing; exit 1; }
PUB=$(sed -n 2p "$T/key/test.pub")
set -- "$site"/loader/bootdisk-*.img.zst
IMG_ZST=$1
IMG_SHA=$(sha "$IMG_ZST")
IMG_URL=http://10.0.2.2:$NGINX_PORT/loader/${IMG_ZST##*/}
IMG=$T/bootdisk.img
# The image as takeover hands it over (agent/carry.h): in the loader's
# overlay, named by its sha256; the loader hashes it again before writing.
# (Fetching it instead costs each boot 2 s through QEMU's user network.)
mkdir -p "$T/carry/var/lib/bootrino/carried/sha256"
ln "$IMG_ZST" "$T/carry/var/lib/bootrino/carried/sha256/$IMG_SHA" 2> /dev/null ||
	cp "$IMG_ZST" "$T/carry/var/lib/bootrino/carried/sha256/$IMG_SHA"
mk_cpio "$T/carry" "$T/carry.cpio"
zstd -q -d -c "$IMG_ZST" > "$IMG"

# where the image puts things (its own GPT; the disk's bootrino-data from
# the writer's layout on the disk)
part_start() { # FILE N → byte offset of partition N
	sfdisk -J "$1" | python3 -c '
import json, sys
t = json.load(sys.stdin)["partitiontable"]
print(t["partitions"][int(sys.argv[1]) - 1]["start"] * 512)' "$2"
}
ESP_OFF=$(part_start "$IMG" 1)
STATE_OFF=$(part_start "$IMG" 2)
# bootrino-data starts at the next MiB after the state (disk_layout_compute)
DATA_MIB=$(sfdisk -J "$IMG" | python3 -c '
import json, sys
p = json.load(sys.stdin)["partitiontable"]["partitions"][1]
print(-(-(p["start"] + p["size"]) * 512 // 1048576))')
STATE_MIB=$((STATE_OFF / MiB))
# A spot of the ESP written with data and read back by the check: the
# first 4 KiB of the loader's kernel in the FAT (its clusters are
# contiguous: mcopy into a fresh FAT), 512-byte aligned.
KOFF=$(python3 - "$IMG" "$IMAGES/loader/vmlinuz" "$ESP_OFF" "$STATE_OFF" << 'EOF'
import sys
img, k, lo, hi = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
needle = open(k, "rb").read(4096)
with open(img, "rb") as f:
    f.seek(lo)
    esp = f.read(hi - lo)
i = esp.find(needle)
print(lo + i if i >= 0 and i % 512 == 0 else "")
EOF
)
if [ -n "$KOFF" ]; then
	ok "site published; the loader's kernel is at byte $KOFF of the image (ESP at $ESP_OFF)"
else
	not_ok "the loader's kernel found in the image's ESP"; done_testing; exit 1
fi

# A "stock" disk: its own GPT (a known disk GUID, one root partition) and
# old bytes wherever an install writes (first MiB aside: the table).
stock_disk() { # FILE
	truncate -s $((DISK_MIB * MiB)) "$1"
	printf 'label: gpt\nlabel-id: 6B1C8F0E-0000-4000-8000-00000000FA17\nstart=2048, name="stock-root"\n' |
		sfdisk -q "$1" > /dev/null
	head -c $((4 * MiB)) /dev/urandom | dd of="$1" bs=1M seek=1 conv=notrunc status=none
	kblock_put "$1" < /dev/urandom
	head -c $MiB /dev/urandom | dd of="$1" bs=1M seek="$DATA_MIB" conv=notrunc status=none
}
# the 4 KiB at KOFF: read, or overwritten from stdin
kblock() { dd if="$1" bs=512 skip=$((KOFF / 512)) count=8 status=none; }
kblock_put() { head -c 4096 | dd of="$1" iflag=fullblock bs=512 seek=$((KOFF / 512)) conv=notrunc status=none; }
region() { # FILE OFFSET_MIB COUNT_MIB → sha256
	dd if="$1" bs=1M skip="$2" count="$3" status=none | sha256sum | cut -d' ' -f1
}
zeros() { # FILE OFFSET_MIB: that MiB reads as zeros
	cmp -s <(dd if="$1" bs=1M skip="$2" count=1 status=none) <(head -c $MiB /dev/zero)
}
ptuuid() { sfdisk --disk-id "$1" | tr 'A-F' 'a-f'; }

# The loader's config as takeover writes it (docs/disk.md), in a cpio after
# the loader's initrd: script, key, and the install record naming the disk
# by serial, size and partition-table id; the image by CFG_URL / CFG_SHA
# (default: the published one) and the copy takeover hands over from
# CARRY_CPIO (default: the published image under its sha256).
loader_initrd() { # NAME DISK → $T/NAME.initrd
	local d=$T/$1.cfg
	rm -rf "$d"; mkdir -p "$d/etc/bootrino"
	cat > "$d/etc/bootrino/config.json" << EOF
{"script": "http://10.0.2.2:$NGINX_PORT/bootrino.sh", "pubkeys": ["$PUB"],
 "install": {"image": {"url": "${CFG_URL:-$IMG_URL}", "sha256": "${CFG_SHA:-$IMG_SHA}"},
             "disk": {"name": "vda", "size": $((DISK_MIB * MiB)), "sector": 512,
                      "ptuuid": "$(ptuuid "$2")", "serial": "$SERIAL_ID"}}}
EOF
	mk_cpio "$d" "$T/$1.cfg.cpio"
	cp "$IMAGES/loader/initrd.img" "$T/$1.initrd"
	truncate -s %4 "$T/$1.initrd"
	cat "${CARRY_CPIO:-$T/carry.cpio}" >> "$T/$1.initrd"
	truncate -s %4 "$T/$1.initrd"
	cat "$T/$1.cfg.cpio" >> "$T/$1.initrd"
}

# One boot of the real loader (its own /init: bootrino init) with DISK as
# its virtio disk, through blkdebug when RULES is given.
fault_boot() { # NAME DISK [RULES]
	local drive=if=none,id=d0,format=raw,cache=writeback
	if [ -n "${3:-}" ]; then
		drive=$drive,file.driver=blkdebug,file.config=$3,file.image.filename=$2
	else
		drive=$drive,file=$2
	fi
	loader_initrd "$1" "$2"
	_qemu_broken=
	scenario_start
	qemu_start "$1" -kernel "$IMAGES/loader/vmlinuz" -initrd "$T/$1.initrd" \
		-append "console=ttyS0 panic=-1" \
		-drive "$drive" -device "virtio-blk-pci,drive=d0,serial=$SERIAL_ID"
}

# The loader's one install line (its error or its success)
INSTALL_RE='install: (installed bootrino|updated|.*the target boots from RAM)'
install_line() { # SECS
	local deadline=$(($(date +%s) + $1))
	while [ "$(date +%s)" -lt "$deadline" ]; do
		grep -aqE "$INSTALL_RE" "$QEMU_SERIAL" && break
		kill -0 "$QEMU_PID" 2> /dev/null || break
		sleep 0.3
	done
	echo "# $(basename "$QEMU_SERIAL" .serial): the install line after $(elapsed)s" >&2
	grep -aE "$INSTALL_RE" "$QEMU_SERIAL" | tr -d '\r' | tail -1
}
# Exactly one error line: "…: KIND at byte N: Input/output error (step
# STEP); … (exit CODE)" with STEP matching STEP_RE and LO <= N <= HI (the
# byte says where the failure was; the step, where the writer noticed it).
# Sets ERR_STEP.
error_line_is() { # WHAT STEP_RE CODE KIND LO HI
	local lines n
	lines=$(grep -a 'bootrino: error: install: ' "$QEMU_SERIAL" | tr -d '\r')
	ERR_STEP=$(printf '%s\n' "$lines" | sed -nE 's/.*\(step ([a-z-]+)\); nothing more.*/\1/p')
	n=$(printf '%s\n' "$lines" | sed -nE "s/.*: $4 at byte ([0-9]+): Input\/output error \(step.*/\1/p")
	if [ "$(printf '%s\n' "$lines" | grep -c .)" = 1 ] && [ -n "$n" ] &&
		[ "$n" -ge "$5" ] && [ "$n" -le "$6" ] &&
		printf '%s\n' "$lines" | grep -qE "\(step $2\); nothing more is written, the target boots from RAM \(exit $3\)$"; then
		ok "$1: one line, exit $3: ${lines#*install: }"
	else
		not_ok "$1: one line, $4 at a byte in $5..$6, step $2, exit $3" \
			"$(grep -aE 'install|error' "$QEMU_SERIAL" | tail -8)"
	fi
}
# regions_written NAME DISK: what a failure after the ESP, the state and
# bootrino-data's first MiB leaves there
regions_written() {
	if cmp -s <(kblock "$IMG") <(kblock "$2"); then
		ok "$1: the ESP's place holds the image (the stock OS's start overwritten)"
	else
		not_ok "$1: the ESP's place holds the image"
	fi
	zeros "$2" "$DATA_MIB" &&
		ok "$1: bootrino-data's first MiB (at $DATA_MIB MiB) is zeroed" ||
		not_ok "$1: bootrino-data's first MiB is zeroed"
}
rules() { # FILE EVENT IOTYPE SECTOR
	printf '[inject-error]\nevent = "%s"\niotype = "%s"\nerrno = "5"\nsector = "%s"\n' \
		"$2" "$3" "$4" > "$1"
}
last_lba=$((DISK_MIB * MiB / 512 - 1))

# --- 1. the first MiB's write fails ------------------------------------------------
D1=$T/first-mib.raw
stock_disk "$D1"
first1=$(region "$D1" 0 1) end1=$(region "$D1" $((DISK_MIB - 1)) 1)
pt1=$(sfdisk -J "$D1")
rules "$T/first-mib.rules" pwritev write 0
fault_boot first-mib "$D1" "$T/first-mib.rules"
line=$(install_line 120)
error_line_is "first MiB's write fails" first-mib 6 write 0 0
expect_serial "first MiB's write fails: the target still boots from RAM" BOOTRINO-DEMO-TINYLINUX-UP 120
qemu_stop
if [ "$(region "$D1" 0 1)" = "$first1" ] && [ "$(sfdisk -J "$D1")" = "$pt1" ]; then
	ok "first-mib: the disk's first MiB is the stock one byte for byte (sfdisk reads the stock table)"
else
	not_ok "first-mib: the stock first MiB in place" "$(sfdisk -J "$D1" 2>&1 | head -20)"
fi
if [ "$(region "$D1" $((DISK_MIB - 1)) 1)" != "$end1" ] &&
	dd if="$D1" bs=512 skip="$last_lba" count=1 status=none | grep -aq 'EFI PART'; then
	ok "first-mib: the last sector holds bootrino's backup GPT header (written and synced before the first MiB)"
else
	not_ok "first-mib: bootrino's backup GPT at the end"
fi
regions_written first-mib "$D1"
sfdisk --verify "$D1" > "$T/first-mib.verify" 2>&1
echo "# first-mib: sfdisk --verify: $(tr '\n' ' ' < "$T/first-mib.verify")"
rm -f "$D1"

# --- 2. the backup GPT's write fails -----------------------------------------------
D2=$T/backup-gpt.raw
stock_disk "$D2"
first2=$(region "$D2" 0 1) end2=$(region "$D2" $((DISK_MIB - 1)) 1)
pt2=$(sfdisk -J "$D2")
rules "$T/backup-gpt.rules" pwritev write "$last_lba"
fault_boot backup-gpt "$D2" "$T/backup-gpt.rules"
line=$(install_line 120)
error_line_is "backup GPT's write fails" backup-gpt 6 write $(((DISK_MIB - 1) * MiB)) $((DISK_MIB * MiB - 1))
qemu_stop
if [ "$(region "$D2" 0 1)" = "$first2" ] && [ "$(sfdisk -J "$D2")" = "$pt2" ]; then
	ok "backup-gpt: the stock first MiB in place byte for byte (sfdisk reads the stock table)"
else
	not_ok "backup-gpt: the stock first MiB in place" "$(sfdisk -J "$D2" 2>&1 | head -20)"
fi
regions_written backup-gpt "$D2"
if [ "$(region "$D2" $((DISK_MIB - 1)) 1)" = "$end2" ]; then
	echo "# backup-gpt: the last MiB is the stock one (the failing write changed nothing there)"
else
	echo "# backup-gpt: the last MiB changed (part of bootrino's backup GPT landed)"
fi
rm -f "$D2"

# --- 3. a read error during the read-back ------------------------------------------
D3=$T/check.raw
stock_disk "$D3"
first3=$(region "$D3" 0 1)
rules "$T/check.rules" read_aio read $((KOFF / 512 + 1))
fault_boot check "$D3" "$T/check.rules"
line=$(install_line 120)
error_line_is "read error during the read-back" esp 6 'read back' "$ESP_OFF" "$KOFF"
qemu_stop
# the table's row for the step named: a read-back after the first MiB
# (step check) leaves bootrino's complete layout; one before it (a writer
# that reads each write back at once) leaves the stock table
if [ "$ERR_STEP" = check ]; then
	if sfdisk -J "$D3" 2> /dev/null | grep -q '"bootrino-data"' && sfdisk --verify "$D3" > /dev/null 2>&1 &&
		cmp -s <(head -c 440 "$IMG") <(head -c 440 "$D3"); then
		ok "check: bootrino's layout is complete (GPT esp/state/data, sfdisk --verify clean, the image's boot code): the firmware may boot it"
	else
		not_ok "check: bootrino's layout complete" "$(sfdisk --verify "$D3" 2>&1 | head)"
	fi
elif [ "$(region "$D3" 0 1)" = "$first3" ]; then
	ok "check (step $ERR_STEP): the stock first MiB byte for byte: the read-back failed before the partition table"
else
	not_ok "check (step $ERR_STEP): the stock first MiB in place" "$(sfdisk -J "$D3" 2>&1 | head)"
fi
# the machine's config is written only after a check that passed
rm -f "$T/check.cpio"
MTOOLS_SKIP_CHECK=1 mcopy -n -i "$D3@@$ESP_OFF" ::/bootrino/config.cpio "$T/check.cpio" 2> /dev/null
if [ -f "$T/check.cpio" ] && ! cpio -t < "$T/check.cpio" 2> /dev/null | grep -q config.json &&
	! debugfs -R "stat /config.json" "$D3?offset=$(part_start "$D3" 2)" 2> /dev/null | grep -q Inode; then
	ok "check: no machine config on the disk (the ESP's config.cpio is the image's empty placeholder, no config.json on bootrino-state)"
else
	not_ok "check: no machine config written" "$(cpio -t < "$T/check.cpio" 2>&1)"
fi
rm -f "$D3"

# --- 4. a truncated image, 5. a truncated image that its pin names -----------------
# The image cut in half, both as the copy the host handed over and as the file
# the server serves. 4: the pin is the real image's (loader.json's): the
# loader drops the carried copy, fetches, and the download does not match.
# 5: the pin is the cut file's own (a publisher that pinned a broken image):
# the pin passes, the zstd stream ends early. Both: the disk untouched.
cut=$site/loader/cut.img.zst
head -c $(($(stat -c %s "$IMG_ZST") / 2)) "$IMG_ZST" > "$cut"
chmod a+r "$cut"
CUT_SHA=$(sha "$cut")
for pin in "$IMG_SHA" "$CUT_SHA"; do
	rm -rf "$T/carry-$pin"
	mkdir -p "$T/carry-$pin/var/lib/bootrino/carried/sha256"
	cp "$cut" "$T/carry-$pin/var/lib/bootrino/carried/sha256/$pin"
	mk_cpio "$T/carry-$pin" "$T/carry-$pin.cpio"
done
fingerprint() { # DISK: the regions an install writes first
	echo "$(region "$1" 0 8) $(region "$1" "$DATA_MIB" 1) $(region "$1" $((DISK_MIB - 1)) 1)"
}
D5=$T/cut.raw
# cut_case NAME LABEL LINE-PATTERN PIN: the loader given the cut image
# (served and handed over under PIN) refuses it with a line matching
# LINE-PATTERN, boots the target from RAM, and the disk is untouched
cut_case() {
	local before line
	stock_disk "$D5"
	before=$(fingerprint "$D5")
	CFG_URL=http://10.0.2.2:$NGINX_PORT/loader/cut.img.zst CFG_SHA=$4 \
		CARRY_CPIO=$T/carry-$4.cpio fault_boot "$1" "$D5"
	line=$(install_line 120)
	# shellcheck disable=SC2254 # $3 is a pattern
	case $line in
	$3) ok "$2: refused before any write: ${line#*install: }" ;;
	*) not_ok "$2: the line matches $3" "$line" ;;
	esac
	[ "$4" = "$IMG_SHA" ] && {
		grep -aq "install: the boot-disk image the host handed over is no good" "$QEMU_SERIAL" &&
			ok "$2: the loader drops the cut copy the host handed over and fetches" ||
			not_ok "$2: the carried copy dropped" "$(grep -a 'install' "$QEMU_SERIAL" | tail -5)"
	}
	expect_serial "$2: the target boots from RAM" BOOTRINO-DEMO-TINYLINUX-UP 120
	qemu_stop
	[ "$(fingerprint "$D5")" = "$before" ] &&
		ok "$2: the disk untouched (first 8 MiB, bootrino-data's place, last MiB)" ||
		not_ok "$2: the disk untouched"
}
cut_case cut truncated '*cut.img.zst*sha256 mismatch*(exit 3)' "$IMG_SHA"
cut_case cut-pinned "truncated, pinned" '*(step validate)*(exit 3)' "$CUT_SHA"
rm -f "$D5"

# --- 6. update in place ----------------------------------------------------------------
D4=$T/update.raw
truncate -s $((DISK_MIB * MiB)) "$D4"
if out=$("$HOST_BOOTRINO" disk --write "$IMG_ZST" --sha256 "$IMG_SHA" "$D4" 2>&1); then
	ok "a bootrino layout written on the host by the same writer: $out"
else
	not_ok "bootrino disk --write makes the layout" "$out"; done_testing; exit 1
fi
DATA_OFF=$(part_start "$D4" 3)
STATE4=$(part_start "$D4" 2)
# bootrino-data: an ext2 that has counted 41 boots; bootrino-state: a marker
mkdir -p "$T/data"
echo 41 > "$T/data/boots"
rm -f "$T/data.ext2"
mkfs.ext2 -q -L bootrino-data -d "$T/data" "$T/data.ext2" 8M
dd if="$T/data.ext2" of="$D4" bs=1M seek=$((DATA_OFF / MiB)) conv=notrunc status=none
head -c 64 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$T/state-marker"
debugfs -w -R "write $T/state-marker marker" "$D4?offset=$STATE4" > /dev/null 2>&1
# the ESP's kernel damaged: the update must write it again
kblock_put "$D4" < /dev/urandom
first4=$(region "$D4" 0 1) end4=$(region "$D4" $((DISK_MIB - 1)) 1)
data4=$(region "$D4" $((DATA_OFF / MiB)) 8)
state4=$(region "$D4" "$STATE_MIB" $((DATA_MIB - STATE_MIB)))
# and 4 KiB of the ESP's first MiB (its FAT)
head -c 4096 /dev/urandom | dd of="$D4" bs=4096 seek=$(((MiB + 786432) / 4096)) conv=notrunc status=none

# 6a. the update's ESP write fails (the damaged kernel block's sector): the
# state, the data and the GPT untouched
rules "$T/update-esp.rules" pwritev write $((KOFF / 512 + 1))
fault_boot update-esp "$D4" "$T/update-esp.rules"
line=$(install_line 120)
error_line_is "update in place, the ESP's write fails" esp 6 write "$ESP_OFF" $((KOFF + 512))
echo "# update-esp: the line names step $ERR_STEP"
qemu_stop
if [ "$(region "$D4" 0 1)" = "$first4" ] && [ "$(region "$D4" $((DISK_MIB - 1)) 1)" = "$end4" ] &&
	[ "$(region "$D4" $((DATA_OFF / MiB)) 8)" = "$data4" ] &&
	[ "$(region "$D4" "$STATE_MIB" $((DATA_MIB - STATE_MIB)))" = "$state4" ]; then
	ok "update-esp: the GPT (first and last MiB), bootrino-state and bootrino-data are byte for byte as before"
else
	not_ok "update-esp: GPT, state and data untouched"
fi
if ! cmp -s <(kblock "$IMG") <(kblock "$D4"); then
	ok "update-esp: the failing block is not the image's (the ESP is not whole: the disk may not boot)"
else
	not_ok "update-esp: the failing block is not written"
fi
[ "$(region "$D4" 1 1)" = "$(region "$IMG" 1 1)" ] &&
	echo "# update-esp: the ESP's first MiB is the image's again (written before the failing block)" ||
	echo "# update-esp: the ESP's first MiB is not rewritten (it went in one request with the failing block)"

# 6b. the next update, on a healthy disk, repairs it
fault_boot update "$D4"
line=$(install_line 150)
case $line in
*"updated /dev/vda"*"(kept)") ok "the loader updates the layout in place: ${line#*install: }" ;;
*) not_ok "the loader updates in place" "$(grep -aE 'install|error' "$QEMU_SERIAL" | tail -8)" ;;
esac
qemu_stop
if cmp -s <(kblock "$IMG") <(kblock "$D4"); then
	ok "update: the ESP is rewritten (the damaged 4 KiB of the loader's kernel are the image's again)"
else
	not_ok "update: the ESP is rewritten"
fi
[ "$(region "$D4" 0 1)" = "$first4" ] && [ "$(region "$D4" $((DISK_MIB - 1)) 1)" = "$end4" ] &&
	ok "update: the GPT is unchanged (first and last MiB byte for byte)" ||
	not_ok "update: the GPT is unchanged" "$(sfdisk -J "$D4" 2>&1 | head -20)"
[ "$(region "$D4" $((DATA_OFF / MiB)) 8)" = "$data4" ] &&
	ok "update: bootrino-data unchanged (its ext2 with boots=41 byte for byte)" ||
	not_ok "update: bootrino-data unchanged"
got=$(debugfs -R "cat /marker" "$D4?offset=$STATE4" 2> /dev/null)
cfg=$(debugfs -R "cat /config.json" "$D4?offset=$STATE4" 2> /dev/null)
if [ "$got" = "$(cat "$T/state-marker")" ] && case $cfg in *"\"script\":\"http://10.0.2.2:$NGINX_PORT/bootrino.sh\""*) true ;; *) false ;; esac; then
	ok "update: bootrino-state kept (the marker file is there) and its config.json written"
else
	not_ok "update: bootrino-state kept, config.json written" "marker: $got config: $cfg"
fi

# SeaBIOS → syslinux → the loader from the updated disk → tinylinux
_qemu_broken=
scenario_start
qemu_start update-bios -drive "file=$D4,format=raw,if=virtio"
expect_serial "the updated disk powers on through SeaBIOS to the loader" "bootrino.from=disk" 120
expect_serial "… and the loader boots tinylinux" BOOTRINO-DEMO-TINYLINUX-UP 150
if wait_for_serial "BOOTRINO-DATA boots=" 30 > /dev/null &&
	grep -aq "BOOTRINO-DATA boots=42" "$QEMU_SERIAL"; then
	ok "tinylinux counts boot 42 on the bootrino-data the update kept"
else
	not_ok "tinylinux counts boot 42 on bootrino-data" "$(grep -a 'BOOTRINO-DATA' "$QEMU_SERIAL")"
fi
qemu_stop
rm -f "$D4" "$IMG"
echo "# test_install_faults: $(printf '%.0f' "$(echo "$(date +%s.%N) - $t_start" | bc)")s wall"
done_testing
