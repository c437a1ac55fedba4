#!/bin/bash
# Issue 8, the other journeys on the stock Debian 12 guest (one takeover
# each):
#   badpin     loader.json names the boot-disk image with a wrong sha256
#              (re-signed: the signature is fine, the pin is not): the
#              loader refuses the image, writes nothing, says why on the
#              console and boots the target from RAM
#   noinstall  `bootrino userdata --no-install`: RAM only, nothing written
#   small      a 256 MiB instance: the install streams (the unpacked
#              image, 642 MiB, could not be held) and the target boots
# "Nothing written": the disk's first MiB (boot code, partition table) is
# the stock image's, byte for byte, and no GPT header is at LBA 1 or at
# the end (the stock OS's own writes into its root file system aside).
set -u
. "$(dirname "$0")/../lib/tap.sh"
. "$BOOTRINO_ROOT/tests/lib/nginx.sh"
. "$BOOTRINO_ROOT/tests/e2e/guest/takeover-lib.sh"

takeover_setup
BASE=$BOOTRINO_ROOT/build/guest/disk.img
cp "$SITE/loader/loader.json" "$TAP_TMP/loader.json.good"

untouched() { # NAME
	local raw=$TAP_TMP/$1.raw size _
	for _ in $(seq 60); do
		pgrep -f "file=$W/overlay.qcow2," > /dev/null || break
		sleep 0.5
	done
	qemu-img convert -O raw "$W/overlay.qcow2" "$raw"
	size=$(stat -c %s "$raw")
	if cmp -s -n 1048576 "$raw" "$BASE" &&
		! dd if="$raw" bs=512 skip=1 count=1 status=none | grep -aq 'EFI PART' &&
		! dd if="$raw" bs=512 skip=$((size / 512 - 1)) count=1 status=none | grep -aq 'EFI PART'; then
		ok "$1: the disk's boot area and partition table are the stock image's; no GPT written"
	else
		not_ok "$1: nothing written to the disk" "$(cmp -n 1048576 "$raw" "$BASE" 2>&1 | head -3)"
	fi
	rm -f "$raw"
}

target_up() { # NAME
	if wait_for "$SERIAL" "BOOTRINO-DEMO-TINYLINUX-UP" 900; then
		ok "$1: the target boots from RAM ($(secs "$POWERON" "$(now)")s after power-on)"
	else
		not_ok "$1: the target boots" "$(grep -aE 'bootrino|BOOTRINO|Kernel panic|Out of memory' "$SERIAL" | tail -30)"
	fi
}

# --- badpin ---------------------------------------------------------------------
python3 - "$SITE/loader/loader.json" << 'PY'
import json, sys
p = sys.argv[1]
j = json.load(open(p))
h = j["bootdisk"]["sha256"]
j["bootdisk"]["sha256"] = ("0" if h[0] != "0" else "1") + h[1:]
open(p, "w").write(json.dumps(j))
PY
sleep 1 # a newer signature timestamp than the good one's
minisign -S -s "$KEY" -m "$SITE/loader/loader.json" -t "timestamp:$(date +%s)	file:loader.json" > /dev/null
chmod a+r "$SITE/loader/loader.json"*
takeover_userdata "$TAP_TMP/badpin.ud"
guest_boot badpin "$TAP_TMP/badpin.ud"
if wait_for "$SERIAL" "install: .*target boots from RAM" 900; then
	line=$(grep -a "install: .*target boots from RAM" "$SERIAL" | head -1)
	case $line in
	*"sha256 mismatch"*"(exit 3)"*) ok "badpin: one line says why: ${line#*error: }" ;;
	*) not_ok "badpin: the line names the sha256 mismatch and exit 3" "$line" ;;
	esac
else
	not_ok "badpin: the loader refuses the image" "$(grep -aE 'bootrino' "$SERIAL" | tail -20)"
fi
target_up badpin
guest_stop
untouched badpin

# --- noinstall ----------------------------------------------------------------------
cp "$TAP_TMP/loader.json.good" "$SITE/loader/loader.json"
sleep 1
minisign -S -s "$KEY" -m "$SITE/loader/loader.json" -t "timestamp:$(date +%s)	file:loader.json" > /dev/null
chmod a+r "$SITE/loader/loader.json"*
takeover_userdata "$TAP_TMP/noinstall.ud" --no-install
grep -q -- '--no-install' "$TAP_TMP/noinstall.ud" &&
	ok "noinstall: the user-data passes --no-install to takeover" ||
	not_ok "noinstall: the user-data passes --no-install"
guest_boot noinstall "$TAP_TMP/noinstall.ud"
target_up noinstall
if grep -aq "install: " "$SERIAL"; then
	not_ok "noinstall: no install attempted" "$(grep -a 'install: ' "$SERIAL" | head -5)"
else
	ok "noinstall: no install attempted"
fi
guest_stop
untouched noinstall

# --- small ------------------------------------------------------------------------------
takeover_userdata "$TAP_TMP/small.ud"
GUEST_MEM=256 guest_boot small "$TAP_TMP/small.ud"
if wait_for "$SERIAL" "install: (installed bootrino|.*the target boots from RAM)" 1200 &&
	grep -aq "install: installed bootrino on /dev/vda" "$SERIAL"; then
	ok "small: 256 MiB instance: $(grep -a 'install: installed' "$SERIAL" | head -1 | sed 's/.*install: //')"
else
	not_ok "small: the install streams on a 256 MiB instance" "$(grep -aE 'bootrino|Out of memory|oom' "$SERIAL" | tail -20)"
fi
target_up small
guest_stop
done_testing
