#!/bin/bash
# Issue 8 on NVMe: the stock Debian 12 guest with its disk on an NVMe
# controller (root on /dev/nvme0n1p1): takeover installs (the identity
# carries the controller's serial and the namespace's wwid), the loader
# finds the disk again by identity and writes it, and the target counts
# its first boot on bootrino-data. Then the VM is powered off and the same
# NVMe disk boots with no -kernel: SeaBIOS → syslinux (gptmbr.bin, the
# legacy-BIOS-bootable ESP) → the loader from disk → tinylinux, which
# counts its second boot.
set -u
. "$(dirname "$0")/../lib/tap.sh"
. "$BOOTRINO_ROOT/tests/lib/nginx.sh"
. "$BOOTRINO_ROOT/tests/e2e/guest/takeover-lib.sh"

takeover_setup
nboot() { # NAME [boot-guest args…]
	local name=$1
	shift
	W=$TAP_TMP/$name SERIAL=$TAP_TMP/$name.serial
	"$G/boot-guest.sh" --nvme --serial "$SERIAL" --forward "$NGINX_PORT" \
		--hostfwd "$HTTP_PORT:80" --pidfile "$TAP_TMP/$name.pid" --workdir "$W" \
		--timeout "$GUEST_TIMEOUT" --mem "${GUEST_MEM:-1024}" "$@"
	GUEST_PIDFILE=$TAP_TMP/$name.pid
	tap_on_exit "kill \$(cat '$GUEST_PIDFILE' 2> /dev/null) 2> /dev/null"
	POWERON=$(cat "$W/poweron")
}
marker() { # NAME
	if wait_for "$SERIAL" "BOOTRINO-DEMO-TINYLINUX-UP" 900; then
		ok "$1: tinylinux is up, $(secs "$POWERON" "$(now)")s after power-on"
	else
		not_ok "$1: tinylinux is up" "$(grep -aE 'bootrino|BOOTRINO|SYSLINUX|Kernel panic|nvme' "$SERIAL" | tail -30)"
	fi
}

takeover_userdata "$TAP_TMP/nvme.ud"
nboot nvme --user-data "$TAP_TMP/nvme.ud"
if wait_for "$SERIAL" "install: (installed bootrino|updated|.*the target boots from RAM)" 900 &&
	grep -aq "install: installed bootrino on /dev/nvme0n1 " "$SERIAL"; then
	ok "nvme: $(grep -a 'install: installed' "$SERIAL" | sed 's/.*install: //')"
else
	not_ok "nvme: the loader installs on /dev/nvme0n1" "$(grep -aE 'install|nvme' "$SERIAL" | tail -10)"
fi
line=$(grep -a "install: the root disk" "$SERIAL" | head -1)
case $line in
*"serial=bootrino-nvme0"*) ok "nvme: found again by identity: ${line#*install: }" ;;
*) not_ok "nvme: the identity carries the controller's serial" "$line" ;;
esac
marker nvme
if wait_for "$SERIAL" "BOOTRINO-DATA boots=" 120 && grep -aq "BOOTRINO-DATA boots=1" "$SERIAL"; then
	ok "nvme: the target formatted bootrino-data on the NVMe disk and counts its first boot"
else
	not_ok "nvme: bootrino-data counts 1" "$(grep -a 'BOOTRINO-DATA' "$SERIAL")"
fi
guest_stop
DISK=$W/overlay.qcow2
for _ in $(seq 60); do # QEMU gone (it holds the disk's write lock)
	pgrep -f "file=$DISK," > /dev/null || break
	sleep 0.5
done

# --- power on from the NVMe disk: SeaBIOS -------------------------------------------
nboot nvme-bios --disk "$DISK" --firmware bios
if wait_for "$SERIAL" "bootrino.from=disk" 300; then
	ok "nvme-bios: SeaBIOS booted the loader from the NVMe disk ($(grep -aoE 'SYSLINUX [0-9.]+' "$SERIAL" | head -1))"
else
	not_ok "nvme-bios: SeaBIOS boots the loader from the NVMe disk" "$(tail -c 2000 "$SERIAL")"
fi
marker nvme-bios
if wait_for "$SERIAL" "BOOTRINO-DATA boots=" 120 && grep -aq "BOOTRINO-DATA boots=2" "$SERIAL"; then
	ok "nvme-bios: bootrino-data kept across the disk boot (boots=2)"
else
	not_ok "nvme-bios: bootrino-data counts 2" "$(grep -a 'BOOTRINO-DATA' "$SERIAL")"
fi
guest_stop
done_testing
