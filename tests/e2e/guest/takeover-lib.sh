# shellcheck shell=bash
# Shared by tests/e2e/test_takeover*.sh: source tests/lib/tap.sh and
# tests/lib/nginx.sh first.
#
#   takeover_setup             builds the guest, publishes a site
#                              (scripts/publish: static agent, signed loader,
#                              tinylinux, signed bootrino.sh) served by nginx;
#                              sets SITE URL PUB AGENT_SHA KEY
#   takeover_userdata OUT [ARGS…]  `bootrino userdata --cloud generic` for the
#                              site, extra ARGS appended (e.g. --direct)
#   mime_userdata OUT NAME FILE [NAME FILE …]  a multipart user-data of
#                              x-shellscript parts, FILE's text named NAME
#                              (cloud-init runs them in NAME order)
#   guest_boot NAME USERDATA   boots the stock guest in the background with
#                              the site reachable at $URL and the guest's
#                              port 80 at 127.0.0.1:$HTTP_PORT; sets SERIAL W
#   wait_for LOG REGEX SECS [POLL]  0 when REGEX (ERE) shows up in LOG in
#                              time, looking every POLL s (0.5)
#   guest_stop                 kills the guest
#   now                        seconds since the epoch, with decimals
#   guest_curl ARGS…           curl where the guest's --hostfwd port listens
G=$BOOTRINO_ROOT/tests/e2e/guest
GUEST_TIMEOUT=${GUEST_BOOT_TIMEOUT:-600}

now() { date +%s.%N; }
secs() { echo "$2 - $1" | bc | xargs printf '%.1f'; }

takeover_setup() {
	local f missing=
	for f in build/static/bootrino build/images/loader/vmlinuz build/images/loader/initrd.img \
		build/images/tinylinux/vmlinuz build/images/tinylinux/initrd.img scripts/publish; do
		[ -s "$BOOTRINO_ROOT/$f" ] || missing="$missing $f"
	done
	if [ -n "$missing" ]; then
		not_ok "pieces of the main e2e present" "missing:$missing (make static images)"
		done_testing
		exit 1
	fi
	# GUEST_SUITE=trixie with BOOTRINO_GUEST_DIR: the Debian 13 stock OS
	if ! "$G/build-guest.sh" ${GUEST_SUITE:+--suite "$GUEST_SUITE"} \
		${BOOTRINO_GUEST_DIR:+"$BOOTRINO_GUEST_DIR"} > "$TAP_TMP/build.log" 2>&1; then
		not_ok "stock-cloud guest builds" "$(tail -20 "$TAP_TMP/build.log")"
		done_testing
		exit 1
	fi
	chmod 755 "$TAP_TMP" # nginx workers read the site
	KEY=$TAP_TMP/key/test.key
	mkdir -p "$TAP_TMP/key"
	minisign -G -W -s "$KEY" -p "$TAP_TMP/key/test.pub" > /dev/null
	PUB=$(sed -n 2p "$TAP_TMP/key/test.pub")
	SITE=$TAP_TMP/site
	if ! out=$("$BOOTRINO_ROOT/scripts/publish" "$SITE" --key "$KEY" --target tinylinux \
		--cmdline "console=ttyS0" --file "/etc/bootrino/hostname=takeover-host" 2>&1); then
		not_ok "scripts/publish makes the site" "$out"
		done_testing
		exit 1
	fi
	chmod -R a+rX "$SITE"
	AGENT_SHA=$(sha256sum < "$SITE/bootrino" | cut -d' ' -f1)
	nginx_start "$SITE" || { not_ok "nginx starts"; done_testing; exit 1; }
	URL=http://10.0.2.2:$NGINX_PORT
	HTTP_PORT=$(free_port)
}

takeover_userdata() {
	local out=$1
	shift
	"$BOOTRINO" userdata --cloud generic --agent-url "$URL/bootrino" --agent-sha256 "$AGENT_SHA" \
		--script "$URL/bootrino.sh" --pubkey "$PUB" "$@" > "$out"
}

mime_userdata() { # OUT NAME FILE [NAME FILE …]
	python3 - "$@" << 'PY'
import sys
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
m = MIMEMultipart()
for name, path in zip(sys.argv[2::2], sys.argv[3::2]):
    part = MIMEText(open(path).read(), "x-shellscript")
    part.add_header("Content-Disposition", "attachment", filename=name)
    m.attach(part)
open(sys.argv[1], "w").write(m.as_string())
PY
}

guest_boot() {
	W=$TAP_TMP/$1 SERIAL=$TAP_TMP/$1.serial
	"$G/boot-guest.sh" --user-data "$2" --serial "$SERIAL" --forward "$NGINX_PORT" \
		--hostfwd "$HTTP_PORT:80" --pidfile "$TAP_TMP/$1.pid" --workdir "$W" \
		--timeout "$GUEST_TIMEOUT" --mem "${GUEST_MEM:-1024}"
	GUEST_PIDFILE=$TAP_TMP/$1.pid
	tap_on_exit "kill \$(cat '$GUEST_PIDFILE' 2> /dev/null) 2> /dev/null"
	# shellcheck disable=SC2034 # read by the tests that source this file
	POWERON=$(cat "$W/poweron")
}

guest_curl() { "$G/guest-curl.sh" "$W" "$@"; }

guest_stop() {
	kill "$(cat "$GUEST_PIDFILE")" 2> /dev/null
	sleep 1
	mkdir -p "$BOOTRINO_ROOT/${BUILD:-build}/test-results/serial"
	cp "$SERIAL" "$BOOTRINO_ROOT/${BUILD:-build}/test-results/serial/" 2> /dev/null
}

wait_for() {
	local end=$(($(date +%s) + $3))
	while [ "$(date +%s)" -lt "$end" ]; do
		grep -aEq -- "$2" "$1" 2> /dev/null && return 0
		sleep "${4:-0.5}"
	done
	return 1
}
