#!/bin/bash
# Issue 8's journey on the stock Debian 12 cloud guest: user-data from
# `bootrino userdata` → takeover (installs by default) → the loader finds
# the root disk again by identity, verifies the boot-disk image, writes it
# → tinylinux from RAM. Then the VM is powered off and the same disk boots
# with no -kernel: SeaBIOS → syslinux → the loader from disk → signed
# bootrino.sh → tinylinux; and the same disk under OVMF (UEFI) → GRUB → …
# → tinylinux. The disk is checked offline between boots (GPT, backup GPT
# at the real end, the ESP's config); tinylinux counts its boots on
# bootrino-data, which every step keeps. The web server is gone from the
# moment the host starts the kexec until the first target is up: the
# loader installs from the image the host verified. A second disk of the
# same size stays untouched.
set -u
. "$(dirname "$0")/../lib/tap.sh"
. "$BOOTRINO_ROOT/tests/lib/nginx.sh"
. "$BOOTRINO_ROOT/tests/e2e/guest/takeover-lib.sh"

[ -s "$BOOTRINO_ROOT/build/images/bootdisk/bootdisk.img.zst" ] ||
	{ not_ok "boot-disk image built" "run: make images"; done_testing; exit 1; }
takeover_setup
set -- "$SITE"/loader/bootdisk-*.img.zst
ok "site published (loader.json names $# boot-disk image) and served"

# Boots DISK (firmware mode when $2 is set) and waits for the target.
# Prints power-on -> marker.
marker() { # NAME WHAT
	if wait_for "$SERIAL" "BOOTRINO-DEMO-TINYLINUX-UP" 500; then
		ok "$1: tinylinux is up, $(secs "$POWERON" "$(now)")s after power-on ($2)"
		return 0
	fi
	not_ok "$1: tinylinux is up ($2)" "$(grep -aE 'bootrino|BOOTRINO|SYSLINUX|GRUB|Kernel panic|error' "$SERIAL" | tail -30)"
	return 1
}

# bootrino-data's boot count as tinylinux shows it on the console (it
# prints it after its marker, once it has mounted /data).
boots() {
	wait_for "$SERIAL" "BOOTRINO-DATA boots=" 120 || return 0
	grep -aoE 'BOOTRINO-DATA boots=([0-9]+|none)' "$SERIAL" | tail -1 | cut -d= -f2
}

# --- 1. takeover with install ------------------------------------------------------
# A second disk of the root disk's size, attached all along: it must come
# out byte for byte as it went in. Random bytes wherever an install writes
# (first MiB, the ESP and state, bootrino-data's first MiB, the backup GPT
# at the end), so that even a write of zeros would change its hash.
SECOND=$TAP_TMP/second.raw
size=$(qemu-img info --output=json "${BOOTRINO_GUEST_DIR:-$BOOTRINO_ROOT/build/guest}/disk.img" |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["virtual-size"])')
truncate -s "$size" "$SECOND"
for mib in 0 1 130 641 $((size / 1048576 - 2)); do
	head -c 2097152 /dev/urandom | dd of="$SECOND" bs=1M seek="$mib" conv=notrunc status=none
done
second_before=$(sha256sum < "$SECOND")
takeover_userdata "$TAP_TMP/install.ud"
W=$TAP_TMP/install SERIAL=$TAP_TMP/install.serial
"$G/boot-guest.sh" --user-data "$TAP_TMP/install.ud" --serial "$SERIAL" --forward "$NGINX_PORT" \
	--hostfwd "$HTTP_PORT:80" --pidfile "$TAP_TMP/install.pid" --workdir "$W" \
	--timeout "$GUEST_TIMEOUT" --mem "${GUEST_MEM:-1024}" --extra-disk "$SECOND"
GUEST_PIDFILE=$TAP_TMP/install.pid
tap_on_exit "kill \$(cat '$GUEST_PIDFILE' 2> /dev/null) 2> /dev/null"
POWERON=$(cat "$W/poweron")
DISK=$W/overlay.qcow2
# The web server goes away the moment the host starts the kexec: the
# loader must write the disk from the image the host verified and handed
# over (and boot the target from what the preflight carried).
if wait_for "$SERIAL" "bootrino: starting the loader" 600; then
	nginx_stop
	ok "web server stopped as the host starts the kexec into the loader"
else
	not_ok "the host starts the loader" "$(grep -a bootrino "$SERIAL" | tail -20)"
fi
if wait_for "$SERIAL" "install: (installed bootrino|updated|.*the target boots from RAM)" 900; then
	line=$(grep -aE "install: (installed bootrino|updated|.*the target boots from RAM)" "$SERIAL" | tail -1)
	case $line in
	*"installed bootrino on /dev/vda"*) ok "loader installed bootrino: ${line#*install: }" ;;
	*) not_ok "loader installed bootrino" "$(grep -aE 'install' "$SERIAL" | tail -10)" ;;
	esac
else
	not_ok "loader reports the install" "$(grep -aE 'bootrino|BOOTRINO' "$SERIAL" | tail -30)"
fi
grep -aq "install: using the boot-disk image the host verified" "$SERIAL" &&
	ok "the loader wrote the boot-disk image the host handed over (server gone)" ||
	not_ok "the loader uses the handed-over image" "$(grep -aE 'install|bootdisk' "$SERIAL" | head)"
grep -aq "install: the root disk vda(size=" "$SERIAL" &&
	ok "the loader matched the recorded identity of the root disk" ||
	not_ok "the loader matched the recorded identity" "$(grep -a 'install' "$SERIAL" | head)"
marker install "takeover + install, target from RAM"
b1=$(boots)
guest_stop

# QEMU gone (it holds the disk's write lock) before anyone opens the disk.
stopped() {
	local _
	for _ in $(seq 60); do
		pgrep -f "file=$DISK," > /dev/null || return 0
		sleep 0.5
	done
}
stopped
if [ "$(sha256sum < "$SECOND")" = "$second_before" ]; then
	ok "the second disk of the same size is unchanged (sha256 before = after)"
else
	not_ok "the second disk is untouched" "sha256 changed; first MiB now: $(head -c 512 "$SECOND" | od -An -c | head -3)"
fi
rm -f "$SECOND"
nginx_restart || not_ok "nginx comes back for the disk boots"

# --- the disk, offline -------------------------------------------------------------
raw=$TAP_TMP/disk.raw
check_disk() { # STEP
	rm -f "$raw"
	qemu-img convert -O raw "$DISK" "$raw"
	local size pt
	size=$(stat -c %s "$raw")
	pt=$(sfdisk -J "$raw" 2> /dev/null)
	if echo "$pt" | python3 -c '
import json, sys
t = json.load(sys.stdin)["partitiontable"]
size = int(sys.argv[1])
names = [p.get("name") for p in t["partitions"]]
assert t["label"] == "gpt", t["label"]
assert names == ["bootrino-esp", "bootrino-state", "bootrino-data"], names
assert t["lastlba"] == size // 512 - 34, (t["lastlba"], size)
' "$size" && sfdisk --verify "$raw" > "$TAP_TMP/verify.txt" 2>&1; then
		ok "$1: GPT esp/state/data, backup GPT at the real end ($size bytes), sfdisk --verify clean"
	else
		not_ok "$1: GPT layout" "$pt $(cat "$TAP_TMP/verify.txt")"
	fi
}
check_disk "after install"
cfg_json() { (cd "$TAP_TMP" && cpio -i --quiet --to-stdout '*config.json' < config.cpio 2> /dev/null); }
if MTOOLS_SKIP_CHECK=1 mcopy -n -i "$raw@@1048576" ::/bootrino/config.cpio "$TAP_TMP/config.cpio" 2> /dev/null &&
	cfg_json | grep -q "\"script\":\"$URL/bootrino.sh\""; then
	ok "the ESP carries the machine's config (script URL, keys) for the disk boot"
else
	not_ok "the ESP carries the machine's config" "$(cpio -t < "$TAP_TMP/config.cpio" 2>&1)"
fi
if cfg_json | grep -q '"install"'; then
	not_ok "the installed config holds no install record (a disk boot must not reinstall)"
else
	ok "the installed config holds no install record"
fi
rm -f "$raw"

# --- 2. power on from the disk: SeaBIOS ---------------------------------------------
disk_boot() { # NAME FIRMWARE
	W=$TAP_TMP/$1 SERIAL=$TAP_TMP/$1.serial
	"$G/boot-guest.sh" --disk "$DISK" --firmware "$2" --serial "$SERIAL" \
		--forward "$NGINX_PORT" --hostfwd "$HTTP_PORT:80" --pidfile "$TAP_TMP/$1.pid" \
		--workdir "$W" --timeout "$GUEST_TIMEOUT" --mem "${GUEST_MEM:-1024}"
	GUEST_PIDFILE=$TAP_TMP/$1.pid
	tap_on_exit "kill \$(cat '$GUEST_PIDFILE' 2> /dev/null) 2> /dev/null"
	POWERON=$(cat "$W/poweron")
}
disk_boot bios bios
if wait_for "$SERIAL" "bootrino.from=disk" 300; then
	ok "SeaBIOS booted the loader from the disk ($(grep -aoE 'SYSLINUX [0-9.]+' "$SERIAL" | head -1))"
else
	not_ok "SeaBIOS boots the loader from the disk" "$(tail -c 2000 "$SERIAL")"
fi
marker bios "SeaBIOS → syslinux → loader → signed bootrino.sh"
if grep -aq "install: " "$SERIAL"; then
	not_ok "a disk boot does not install again" "$(grep -a install "$SERIAL")"
else
	ok "a disk boot does not install again"
fi
b2=$(boots)
guest_stop
stopped

# --- 3. the same disk under OVMF ---------------------------------------------------------
disk_boot uefi uefi
if wait_for "$SERIAL" "bootrino.from=disk" 400; then
	ok "OVMF booted the loader from the disk (GRUB from the ESP)"
else
	not_ok "OVMF boots the loader from the disk" "$(tail -c 2000 "$SERIAL")"
fi
marker uefi "OVMF → GRUB → loader → signed bootrino.sh"
b3=$(boots)
guest_stop
stopped
check_disk "after the disk boots"

# --- bootrino-data --------------------------------------------------------------------
if [ "${b1:-x}" = 1 ] && [ "${b2:-x}" = 2 ] && [ "${b3:-x}" = 3 ]; then
	ok "bootrino-data counts the target's boots across install and disk boots: 1, 2, 3"
else
	not_ok "bootrino-data counts boots 1, 2, 3" "got: ${b1:-none}, ${b2:-none}, ${b3:-none}"
fi
done_testing
