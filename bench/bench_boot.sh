#!/bin/bash
# Benchmark: booting the installed disk (issue 8). One installed boot disk,
# made on the host without the stock guest (`bootrino disk --write` on a
# 3 GiB file, the machine's config.cpio put on its ESP as the installer
# does), powered on again and again, in the same run:
#
#   a  kernel   QEMU -kernel/-initrd boots the loader (the reference: no
#               firmware boot loader at all), the disk attached
#   b  bios     SeaBIOS → syslinux (gptmbr.bin, the ESP) → loader
#   c  grub     OVMF → GRUB (/EFI/BOOT/BOOTX64.EFI) → loader
#   d  uki      OVMF → a unified kernel image as /EFI/BOOT/BOOTX64.EFI
#               (systemd's EFI stub + the loader's kernel, initrd and
#               command line: images/bootdisk/uki.sh)
#
# each then: loader → signed bootrino.sh from nginx → tinylinux. The figure
# is power-on (boot-guest.sh's poweron stamp, just before QEMU starts) →
# BOOTRINO-DEMO-TINYLINUX-UP on the serial console; every console line is
# time-stamped on the host as it arrives (tail -F, no sleeps), so the
# phases come from the same log: firmware → boot loader (OVMF's "BdsDxe:
# starting", syslinux's banner), the kernel's time zero (host stamp minus
# the kernel's own printk time, the smallest over its lines), the loader's
# init, the target. Medians over BENCH_ROUNDS (3) rounds, the variants
# interleaved in each round; ratios against a.
#
# The disk is booted once first (untimed) so that every timed boot starts
# from the same steady state: bootrino-data formatted, slot a holding the
# plan, so each boot fetches and checks bootrino.sh and boots the slot (a
# reboot of an installed machine, docs/every-boot.md). Every timed boot
# gets a throw-away qcow2 overlay over that disk.
#
# The UKI gets the machine's config by embedding: config.cpio is the
# second archive of its .initrd section (the stub hands the kernel one
# initrd). systemd 252's stub could instead pick up
# /EFI/BOOT/BOOTX64.EFI.extra.d/*.cred from the ESP, but puts them at
# /.extra/credentials/, which the loader does not read; for the timing the
# two differ by one small file read in the firmware.
#
# TCG unless BOOTRINO_KVM=1 (tests/lib/accel.sh); every guest in a network
# namespace of its own (tests/e2e/guest/boot-guest.sh). Needs root, `make
# static images`, OVMF, mtools, systemd-boot-efi (scripts/setup.sh). Hold
# /tmp/bootrino-qemu.lock around it where other guests share the machine.
set -u
cd "$(dirname "$0")/.." || exit 1
export BOOTRINO_ROOT=$PWD BOOTRINO=$PWD/build/static/bootrino
. tests/lib/tap.sh
. tests/lib/nginx.sh
. tests/e2e/guest/takeover-lib.sh
. tests/lib/accel.sh
. tests/e2e/lib/qemu.sh # mk_cpio

rounds=${BENCH_ROUNDS:-3}
variants="kernel bios grub uki"
IMG=$BOOTRINO_ROOT/build/images
MARKER="BOOTRINO-DEMO-TINYLINUX-UP"
CMDLINE="console=tty0 console=ttyS0 bootrino.from=disk"
GUEST_PORT=8080

fail() { echo "bench_boot: $*" >&2; exit 1; }
median() { sort -n | awk '{a[NR]=$1} END {if (NR) print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2); else print "nan"}'; }

for f in "$BOOTRINO" "$IMG/loader/vmlinuz" "$IMG/loader/initrd.img" \
	"$IMG/tinylinux/vmlinuz" "$IMG/tinylinux/initrd.img" "$IMG/bootdisk/bootdisk.img.zst"; do
	[ -s "$f" ] || fail "$f missing (make static images)"
done
for f in /usr/share/OVMF/OVMF_CODE_4M.fd /usr/lib/systemd/boot/efi/linuxx64.efi.stub; do
	[ -s "$f" ] || fail "$f missing (scripts/setup.sh: ovmf, systemd-boot-efi)"
done
for t in mcopy qemu-img minisign nginx cpio objcopy; do
	command -v "$t" > /dev/null || fail "$t not found (scripts/setup.sh)"
done
[ "$(id -u)" = 0 ] || fail "needs root (network namespaces)"

# --- the site: signed loader.json + bootrino.sh + tinylinux, nginx --------
chmod 755 "$TAP_TMP"
KEY=$TAP_TMP/key/test.key
mkdir -p "$TAP_TMP/key"
minisign -G -W -s "$KEY" -p "$TAP_TMP/key/test.pub" > /dev/null || fail "minisign -G"
PUB=$(sed -n 2p "$TAP_TMP/key/test.pub")
SITE=$TAP_TMP/site
scripts/publish "$SITE" --key "$KEY" --target tinylinux --cmdline console=ttyS0 \
	> "$TAP_TMP/publish.log" 2>&1 || fail "scripts/publish: $(tail -3 "$TAP_TMP/publish.log")"
chmod -R a+rX "$SITE"
nginx_start "$SITE" || fail "nginx does not start"

# --- the installed disk ---------------------------------------------------
img=$(ls "$SITE"/loader/bootdisk-*.img.zst)
sha=${img##*/bootdisk-}
sha=${sha%.img.zst}
DISK=$TAP_TMP/disk.raw
truncate -s 3G "$DISK"
"$BOOTRINO" disk --write "$img" --sha256 "$sha" "$DISK" > "$TAP_TMP/disk.log" 2>&1 ||
	fail "bootrino disk --write: $(tail -3 "$TAP_TMP/disk.log")"
# the machine's config, as the installer writes it (agent/install.c
# put_config): /etc/bootrino/config.json in a newc archive on the ESP
mkdir -p "$TAP_TMP/cfg/etc/bootrino"
printf '{"script":"http://10.0.2.2:%s/bootrino.sh","pubkeys":["%s"],"mode":"loader"}\n' \
	"$GUEST_PORT" "$PUB" > "$TAP_TMP/cfg/etc/bootrino/config.json"
chmod 600 "$TAP_TMP/cfg/etc/bootrino/config.json"
mk_cpio "$TAP_TMP/cfg" "$TAP_TMP/config.cpio"
export MTOOLS_SKIP_CHECK=1
ESP="$DISK@@1M" # the image's ESP starts at 1 MiB (docs/disk.md)
mcopy -o -i "$ESP" "$TAP_TMP/config.cpio" ::/bootrino/config.cpio || fail "mcopy config.cpio"

# (a)'s initrd: the two archives the boot loaders hand over, back to back
cp "$IMG/loader/initrd.img" "$TAP_TMP/kernel.initrd"
truncate -s %4 "$TAP_TMP/kernel.initrd"
cat "$TAP_TMP/config.cpio" >> "$TAP_TMP/kernel.initrd"

# --- one boot: VARIANT NAME DISK → "VARIANT up loading starting kernel-t0 init"
SERIAL='' GUEST_PIDFILE='' STAMPER=''
boot_off() {
	local d=$1 _
	[ -n "$GUEST_PIDFILE" ] && kill "$(cat "$GUEST_PIDFILE")" 2> /dev/null
	for _ in $(seq 100); do
		pgrep -f "file=$d," > /dev/null || break
		sleep 0.1
	done
	[ -n "$STAMPER" ] && kill "$STAMPER" 2> /dev/null
	STAMPER='' GUEST_PIDFILE=''
}
tap_on_exit "boot_off none"

boot_one() { # VARIANT NAME BACKING
	local v=$1 name=$2 backing=$3 w=$TAP_TMP/$2 disk fw=() t0 ts
	mkdir -p "$w"
	disk=$w/disk.qcow2
	qemu-img create -q -f qcow2 -b "$backing" -F raw "$disk"
	case $v in
	kernel) fw=(--kernel "$IMG/loader/vmlinuz" --initrd "$TAP_TMP/kernel.initrd" --append "$CMDLINE") ;;
	bios) fw=(--firmware bios) ;;
	*) fw=(--firmware uefi) ;;
	esac
	SERIAL=$w/serial
	ts=$w/serial.ts
	"$G/boot-guest.sh" --disk "$disk" "${fw[@]}" --serial "$SERIAL" \
		--forward "$GUEST_PORT:$NGINX_PORT" --pidfile "$w/pid" --workdir "$w" \
		--timeout "$GUEST_TIMEOUT" --mem "${GUEST_MEM:-1024}" || fail "$name: boot-guest.sh"
	GUEST_PIDFILE=$w/pid
	# every console line with the host's time of arrival (the serial file
	# read as it grows, every 20 ms)
	python3 -c '
import sys, time
f, out, buf = open(sys.argv[1], "rb"), open(sys.argv[2], "w", buffering=1), b""
while True:
    d = f.read(65536)
    if not d:
        time.sleep(0.02)
        continue
    t, buf = time.time(), buf + d
    *lines, buf = buf.split(b"\n")
    for l in lines:
        out.write("%.3f %s\n" % (t, l.decode("utf-8", "replace").replace("\r", "")))
' "$SERIAL" "$ts" &
	STAMPER=$!
	t0=$(cat "$w/poweron")
	if ! wait_for "$ts" "$MARKER" 600 0.1; then
		boot_off "$disk"
		fail "$name: no $MARKER (last lines: $(tail -5 "$SERIAL" | tr -d '\r'))"
	fi
	boot_off "$disk"
	cp "$SERIAL" "$BOOTRINO_ROOT/build/bench-boot-$name.serial" 2> /dev/null
	python3 - "$t0" "$ts" "$v" "$MARKER" <<'PY'
import re, sys
t0, path, v, marker = float(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
first = {}
k0 = None
pat = {"load": r"BdsDxe: loading|SYSLINUX|Linux version",
       "boot": r"BdsDxe: starting|SYSLINUX|Linux version", "init": r"init: bootrino loader starting",
       "up": re.escape(marker)}
for line in open(path, errors="replace"):
    t, _, text = line.rstrip("\n").partition(" ")
    t = float(t) - t0
    m = re.search(r"^\[\s*(\d+\.\d+)\]", text)
    if m:
        z = t - float(m.group(1))
        k0 = z if k0 is None or z < k0 else k0
    for k, p in pat.items():
        if k not in first and re.search(p, text):
            first[k] = t
def f(x):
    return "%.2f" % x if x is not None else "nan"
print(v, f(first.get("up")), f(first.get("load")), f(first.get("boot")), f(k0), f(first.get("init")))
PY
}

# --- the untimed first boot: the steady state every timed boot starts from
echo "# bench_boot: $(date -u '+%F %H:%M') UTC, load $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores, rounds=$rounds, $(qemu_accel)"
boot_one kernel warm "$DISK" > /dev/null
# the warm-up wrote into an overlay: fold it into the disk
warm=$TAP_TMP/warm/disk.qcow2
[ -s "$warm" ] || fail "the first boot did not run"
grep -qF "$MARKER" "$TAP_TMP/warm/serial" || fail "the first boot did not reach $MARKER: $(tail -5 "$TAP_TMP/warm/serial")"
qemu-img commit -q "$warm" || fail "qemu-img commit"
# the UKI disk: the same disk, BOOTX64.EFI replaced by the UKI
"$BOOTRINO_ROOT/images/bootdisk/uki.sh" "$TAP_TMP/uki.efi" "$IMG/loader/vmlinuz" "$CMDLINE" \
	"$IMG/loader/initrd.img" "$TAP_TMP/config.cpio" || fail "images/bootdisk/uki.sh"
UKIDISK=$TAP_TMP/disk-uki.raw
cp --sparse=always "$DISK" "$UKIDISK"
mcopy -o -i "$UKIDISK@@1M" "$TAP_TMP/uki.efi" ::/EFI/BOOT/BOOTX64.EFI || fail "mcopy the UKI"
echo "# uki.efi: $(stat -c %s "$TAP_TMP/uki.efi") bytes"

results=$TAP_TMP/results
: > "$results"
for r in $(seq "$rounds"); do
	for v in $variants; do
		d=$DISK
		[ "$v" = uki ] && d=$UKIDISK
		line=$(boot_one "$v" "$v-r$r" "$d") || exit 1
		echo "#   round $r: $line"
		echo "$line" >> "$results"
	done
done

col() { awk -v v="$1" -v c="$2" '$1 == v { print $c }' "$results" | median; }
ref=$(col kernel 2)
printf '\n%-8s %12s %8s %10s %10s %11s %8s\n' variant "power-on→up" "×kernel" "→loading" "→starting" "→kernel t0" "→init"
for v in $variants; do
	up=$(col "$v" 2)
	printf '%-8s %11ss %8s %9ss %9ss %10ss %7ss\n' "$v" "$up" \
		"$(echo "scale=2; $up / $ref" | bc)" "$(col "$v" 3)" "$(col "$v" 4)" "$(col "$v" 5)" "$(col "$v" 6)"
done
echo "# medians of $rounds rounds, seconds from power-on. →loading / →starting: OVMF's"
echo "# 'BdsDxe: loading Boot…' (the boot option found) and 'BdsDxe: starting Boot…' (its"
echo "# EFI binary read from the ESP); bios: syslinux's banner; kernel: the kernel's first"
echo "# line. →kernel t0: the loader kernel's printk time zero; →init: the loader's PID 1."
