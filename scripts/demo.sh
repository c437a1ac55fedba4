#!/bin/bash
# make demo: the main journey on built-in defaults, on this machine.
#
#   1. publish a signed site (static agent, signed loader, tinylinux,
#      signed bootrino.sh) with a demo key, served by nginx on 127.0.0.1;
#   2. `bootrino userdata --cloud generic` makes the user-data;
#   3. a stock Debian 12 "cloud instance" with real cloud-init boots under
#      QEMU with that user-data (NoCloud seed) and is taken over:
#      cloud-init → agent download + sha256 → bootrino takeover → loader →
#      signed bootrino.sh → tinylinux, running from RAM;
#   4. the demo OS's web page is fetched through a QEMU port forward.
#
# Every step is checked; a step that fails stops the demo with its reason
# (it never reports a step it did not see). On a terminal the guest keeps
# running until Enter; otherwise the demo ends once the page was fetched.
# DEMO_DIRECT=1 uses `takeover --direct` (no loader). BOOTRINO_KVM=1: KVM.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1
export BOOTRINO_ROOT=$root BOOTRINO=$root/build/bootrino
demo=$root/build/demo
rm -rf "$demo"; mkdir -p "$demo"
# the test helpers (nginx, guest) print TAP lines for their own failures;
# their scratch directory (site, nginx, guest disk overlay) lives in
# build/demo while the demo runs
export TMPDIR=$demo
. tests/lib/tap.sh
. tests/lib/nginx.sh
. tests/e2e/guest/takeover-lib.sh

if [ -t 1 ]; then b=$'\033[1m' n=$'\033[0m'; else b='' n=''; fi
say() { printf '%sdemo:%s %s\n' "$b" "$n" "$*"; }
fail() { printf 'demo: FAILED: %s (serial log: %s)\n' "$*" "$demo/serial.log" >&2; exit 1; }
t0=$(now)
at() { printf '%6.1fs' "$(echo "$(now) - $t0" | bc)"; }

say "building the stock-cloud guest (cached in build/guest; ~2-5 min the first time)…"
takeover_setup
cp -r "$SITE" "$demo/site"
say "site published: $demo/site (served at $URL from the guest, key $PUB)"
extra=()
[ "${DEMO_DIRECT:-0}" = 1 ] && extra=(--direct)
takeover_userdata "$demo/user-data" "${extra[@]}" || fail "bootrino userdata"
say "user-data: $demo/user-data ($(wc -c < "$demo/user-data") bytes)"

t0=$(now)
guest_boot demo "$demo/user-data"
tap_on_exit "cp '$SERIAL' '$demo/serial.log' 2>/dev/null"
say "stock Debian 12 guest powered on (QEMU, $( [ "${BOOTRINO_KVM:-0}" = 1 ] && echo KVM || echo TCG)); serial console: $SERIAL (kept as $demo/serial.log)"

step() { # REGEX SECS WHAT
	wait_for "$SERIAL" "$1" "$2" || fail "no '$1' on the serial console within $2 s ($3)"
	say "$(at)  $3"
}
step "bootrino-userdata: fetching the agent" "$GUEST_TIMEOUT" "cloud-init runs the user-data"
step "agent sha256 OK" 120 "the agent's sha256 matches its pin"
if [ "${DEMO_DIRECT:-0}" = 1 ]; then
	step "BOOTRINO-DEMO-TINYLINUX-UP" 400 "takeover --direct verified bootrino.sh and its artifacts; kexec → tinylinux is up"
else
	step "bootrino: starting the loader" 400 "takeover verified loader.json + the loader; kexec → the loader (bootrino init as PID 1)"
	step "BOOTRINO-DEMO-TINYLINUX-UP" 400 "the loader verified bootrino.sh and its artifacts; kexec → tinylinux is up"
fi
step "BOOTRINO-DEMO-TINYLINUX-HTTP-UP" 120 "tinylinux serves HTTP"

# The guest lives in its own network namespace; bring its web port to
# the host's loopback.
page_port=$(free_port)
python3 scripts/lib/inetd.py "$page_port" nsenter --net="/proc/$(cat "$W/netns.pid")/ns/net" \
	python3 tests/e2e/guest/relay.py 127.0.0.1 "$HTTP_PORT" &
tap_on_exit "kill $! 2>/dev/null"
page=
for _ in $(seq 20); do
	page=$(curl -s --max-time 5 "http://127.0.0.1:$page_port/") && [ -n "$page" ] && break
	sleep 1
done
case $page in
*"bootrino demo tinylinux"*) say "$(at)  the demo page answers at http://127.0.0.1:$page_port/ :" ;;
*) fail "the demo page did not answer (got: ${page:-nothing})" ;;
esac
echo "$page" | sed -e 's/<[^>]*>//g' -e '/^[[:space:]]*$/d' | head -12 | sed 's/^/    /'
echo
say "where to look:"
echo "    serial console  $SERIAL (kept as $demo/serial.log)"
echo "    site            $demo/site (bootrino.sh, loader/, tinylinux/)"
echo "    user-data       $demo/user-data"
echo "    demo page       http://127.0.0.1:$page_port/"
if [ -t 0 ]; then
	say "the guest keeps running; press Enter to stop it"
	read -r _
fi
guest_stop
say "done"
