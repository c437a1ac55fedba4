# shellcheck shell=bash
# Shared by tests/e2e/test_every_boot.sh and test_power_cut.sh (issue 9):
# the stock Debian 12 guest taken over once with install, then its disk
# booted again and again through SeaBIOS (no -kernel), as a cloud's reboot
# does. Source tests/lib/tap.sh, tests/lib/nginx.sh and
# tests/e2e/guest/takeover-lib.sh first.
#
#   eb_setup        the installed disk: from the cache when one was made
#                   for the same images, agent, publish script and guest
#                   (build/e2e-cache/installed-<key>/), else made now
#                   (takeover with install → v1 on slot a) and cached; a
#                   copy of its site in $SITE served by nginx; sets SITE
#                   KEY PUB URL CACHE BOOTS0 (the /data count after install)
#   eb_overlay FILE a qcow2 over the cached disk (the disk the test boots)
#   eb_publish ARGS…  scripts/publish into $SITE with the cached key
#   eb_boot NAME DISK  powers DISK on through SeaBIOS, in the background;
#                   sets SERIAL W GUEST_PIDFILE POWERON
#   eb_target [SECS]  waits for the demo's BOOTRINO-DEMO-BOOT line; sets
#                   T_VERSION T_SLOT T_STAMP T_BOOTS
#   eb_outcome      the loader's `slot: outcome=` line of this boot
#   eb_off DISK     power off: QEMU killed, gone before the disk is read
#   eb_status DISK [--replay]  `bootrino status --json --disk` on a raw copy
#                   of DISK (--replay: its ext4 journal replayed first)
#
# The cached disk was installed with the script URL http://10.0.2.2:8080/
# (the guest's port is fixed, QEMU forwards it to nginx's port of this run:
# boot-guest.sh --forward 8080:PORT), and the site and key it trusts are
# kept with it.
EB_CACHE_ROOT=$BOOTRINO_ROOT/build/e2e-cache
EB_GUEST_PORT=8080

eb_key() {
	local f
	{
		for f in build/images/loader/vmlinuz build/images/loader/initrd.img \
			build/images/bootdisk/bootdisk.img.zst build/images/tinylinux/vmlinuz \
			build/images/tinylinux/initrd.img build/static/bootrino scripts/publish \
			tests/e2e/lib/every-boot.sh tests/e2e/guest/boot-guest.sh \
			tests/e2e/guest/takeover-lib.sh; do
			sha256sum < "$BOOTRINO_ROOT/$f"
		done
		# the stock guest: 3 GiB, named by where it is and when it was built
		readlink -f "$BOOTRINO_ROOT/build/guest/disk.img"
		stat -L -c '%s %Y' "$BOOTRINO_ROOT/build/guest/disk.img"
	} | sha256sum | cut -c1-16
}

eb_setup() {
	local f missing=
	for f in build/static/bootrino build/images/loader/vmlinuz build/images/loader/initrd.img \
		build/images/bootdisk/bootdisk.img.zst build/images/tinylinux/vmlinuz \
		build/images/tinylinux/initrd.img; do
		[ -s "$BOOTRINO_ROOT/$f" ] || missing="$missing $f"
	done
	if [ -n "$missing" ]; then
		not_ok "pieces of the every-boot e2e present" "missing:$missing (make static images)"
		done_testing
		exit 1
	fi
	if ! "$G/build-guest.sh" > "$TAP_TMP/build.log" 2>&1; then
		not_ok "stock-cloud guest builds" "$(tail -20 "$TAP_TMP/build.log")"
		done_testing
		exit 1
	fi
	chmod 755 "$TAP_TMP"
	CACHE=$EB_CACHE_ROOT/installed-$(eb_key)
	mkdir -p "$EB_CACHE_ROOT"
	# one maker at a time; a second test waits and takes the result
	exec {eb_lock}> "$EB_CACHE_ROOT/.lock"
	flock "$eb_lock"
	if [ -s "$CACHE/disk.qcow2" ] && [ -s "$CACHE/boots" ]; then
		eb_from_cache
		ok "installed disk from the cache (${CACHE#"$BOOTRINO_ROOT"/}): v1 on slot a, /data boots=$BOOTS0"
	else
		eb_install || { flock -u "$eb_lock"; done_testing; exit 1; }
	fi
	flock -u "$eb_lock"
}

eb_serve() {
	rm -rf "$SITE"
	cp -a "$CACHE/site" "$SITE"
	chmod -R a+rX "$SITE"
	KEY=$CACHE/key/test.key
	# shellcheck disable=SC2034 # PUB AGENT_SHA URL: read by takeover_userdata
	PUB=$(sed -n 2p "$CACHE/key/test.pub")
	# shellcheck disable=SC2034
	AGENT_SHA=$(sha256sum < "$SITE/bootrino" | cut -d' ' -f1)
	# shellcheck disable=SC2034
	URL=http://10.0.2.2:$EB_GUEST_PORT
	nginx_start "$SITE" || { not_ok "nginx starts"; done_testing; exit 1; }
	HTTP_PORT=$(free_port)
}

eb_from_cache() {
	SITE=$TAP_TMP/site
	eb_serve
	BOOTS0=$(cat "$CACHE/boots")
}

# takeover + install on a fresh stock guest → v1, then into the cache
eb_install() {
	local new=$CACHE.new.$$ out
	rm -rf "$new"
	mkdir -p "$new/key"
	minisign -G -W -s "$new/key/test.key" -p "$new/key/test.pub" > /dev/null
	if ! out=$("$BOOTRINO_ROOT/scripts/publish" "$new/site" --key "$new/key/test.key" \
		--target tinylinux --version v1 --cmdline "console=ttyS0" 2>&1); then
		not_ok "scripts/publish makes the v1 site" "$out"
		return 1
	fi
	CACHE=$new
	SITE=$TAP_TMP/site
	eb_serve
	takeover_userdata "$TAP_TMP/install.ud"
	W=$TAP_TMP/install SERIAL=$TAP_TMP/install.serial
	"$G/boot-guest.sh" --user-data "$TAP_TMP/install.ud" --serial "$SERIAL" \
		--forward "$EB_GUEST_PORT:$NGINX_PORT" --hostfwd "$HTTP_PORT:80" \
		--pidfile "$TAP_TMP/install.pid" --workdir "$W" --timeout "$GUEST_TIMEOUT" \
		--mem "${GUEST_MEM:-1024}"
	GUEST_PIDFILE=$TAP_TMP/install.pid
	tap_on_exit "kill \$(cat '$GUEST_PIDFILE' 2> /dev/null) 2> /dev/null"
	POWERON=$(cat "$W/poweron")
	if ! wait_for "$SERIAL" "installed bootrino on /dev/vda" 900; then
		not_ok "takeover installs bootrino on the root disk" \
			"$(grep -aE 'bootrino|BOOTRINO' "$SERIAL" | tail -30)"
		return 1
	fi
	if ! eb_target 300; then
		not_ok "v1 is up after the install" "$(grep -aE 'bootrino|BOOTRINO' "$SERIAL" | tail -30)"
		return 1
	fi
	ok "install: takeover installed bootrino, $T_VERSION is up ($(secs "$POWERON" "$(now)")s after power-on), $(eb_outcome)"
	BOOTS0=$T_BOOTS
	eb_off "$W/overlay.qcow2"
	mv "$W/overlay.qcow2" "$new/disk.qcow2"
	cp "$SERIAL" "$new/install.serial"
	echo "$BOOTS0" > "$new/boots"
	CACHE=${new%.new.*}
	rm -rf "$CACHE"
	mv "$new" "$CACHE"
	KEY=$CACHE/key/test.key
	# other recipes' disks are stale: keep only this one
	find "$EB_CACHE_ROOT" -mindepth 1 -maxdepth 1 -name 'installed-*' ! -path "$CACHE" \
		-exec rm -rf {} +
	return 0
}

eb_overlay() {
	qemu-img create -q -f qcow2 -b "$CACHE/disk.qcow2" -F qcow2 "$1"
}

eb_publish() {
	"$BOOTRINO_ROOT/scripts/publish" "$SITE" --key "$KEY" --target tinylinux \
		--cmdline "console=ttyS0" "$@" > "$TAP_TMP/publish.log" 2>&1 || return 1
	chmod -R a+rX "$SITE"
}

eb_boot() { # NAME DISK
	W=$TAP_TMP/$1 SERIAL=$TAP_TMP/$1.serial
	"$G/boot-guest.sh" --disk "$2" --firmware bios --serial "$SERIAL" \
		--forward "$EB_GUEST_PORT:$NGINX_PORT" --hostfwd "$HTTP_PORT:80" \
		--pidfile "$TAP_TMP/$1.pid" --workdir "$W" --timeout "$GUEST_TIMEOUT" \
		--mem "${GUEST_MEM:-1024}"
	GUEST_PIDFILE=$TAP_TMP/$1.pid
	tap_on_exit "kill \$(cat '$GUEST_PIDFILE' 2> /dev/null) 2> /dev/null"
	POWERON=$(cat "$W/poweron")
}

eb_target() { # [SECS]
	local line
	wait_for "$SERIAL" "BOOTRINO-DEMO-BOOT " "${1:-400}" || return 1
	line=$(grep -aoE 'BOOTRINO-DEMO-BOOT .*' "$SERIAL" | tail -1 | tr -d '\r')
	# shellcheck disable=SC2034 # T_*: read by the tests
	T_VERSION=$(echo "$line" | sed -n 's/.*version=\([^ ]*\).*/\1/p')
	# shellcheck disable=SC2034
	T_SLOT=$(echo "$line" | sed -n 's/.*slot=\([^ ]*\).*/\1/p')
	# shellcheck disable=SC2034
	T_STAMP=$(echo "$line" | sed -n 's/.*timestamp=\([^ ]*\).*/\1/p')
	T_BOOTS=$(echo "$line" | sed -n 's/.*boots=\([^ ]*\).*/\1/p')
}

eb_outcome() {
	grep -aoE 'slot: outcome=.*' "$SERIAL" | tail -1 | tr -d '\r'
}

# the pid of QEMU itself (boot-guest.sh's pidfile names timeout(1), its parent)
eb_qemu_pid() {
	pgrep -P "$(cat "$GUEST_PIDFILE")" qemu-system 2> /dev/null | head -1
}

eb_off() { # DISK
	local _
	kill "$(cat "$GUEST_PIDFILE")" 2> /dev/null
	for _ in $(seq 100); do
		pgrep -f "file=$1," > /dev/null || break
		sleep 0.2
	done
	mkdir -p "$BOOTRINO_ROOT/${BUILD:-build}/test-results/serial"
	cp "$SERIAL" "$BOOTRINO_ROOT/${BUILD:-build}/test-results/serial/" 2> /dev/null
}

eb_status() { # DISK [--replay]
	local raw=$TAP_TMP/status.raw rc mnt=$TAP_TMP/status.mnt start size
	rm -f "$raw"
	qemu-img convert -O raw "$1" "$raw" || return 1
	if [ "${2:-}" = --replay ]; then
		# After a power cut ext4's journal may still hold the last
		# writes; `status --disk` mounts read-only without replaying it.
		# A read-write mount of this private copy replays it, as the
		# loader's own mount does at the next boot.
		read -r start size < <(sfdisk -J "$raw" | python3 -c '
import json, sys
for p in json.load(sys.stdin)["partitiontable"]["partitions"]:
    if p.get("name") == "bootrino-state":
        print(p["start"] * 512, p["size"] * 512)')
		mkdir -p "$mnt"
		mount -o "loop,offset=$start,sizelimit=$size" "$raw" "$mnt" && umount "$mnt" || return 1
	fi
	"$BOOTRINO" status --json --disk "$raw"
	rc=$?
	rm -f "$raw"
	return $rc
}
