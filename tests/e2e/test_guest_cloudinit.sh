#!/bin/bash
# The stock-cloud guest runs `bootrino userdata --cloud generic` output.
#
# A Debian 12 guest with real cloud-init (tests/e2e/guest/) boots under
# QEMU with a NoCloud seed. The "agent" is a tiny shell script served by
# nginx on 127.0.0.1 (10.0.2.2 from the guest) that prints a marker:
#   1. right sha256: the user-data downloads it, checks it, runs
#      `takeover --script … --pubkey …`; the marker shows on the console.
#   2. wrong sha256: the user-data refuses before running anything, and a
#      later user-data part shows the OS is still running.
set -u
. "$(dirname "$0")/../lib/tap.sh"
. "$BOOTRINO_ROOT/tests/lib/nginx.sh"

G=$BOOTRINO_ROOT/tests/e2e/guest
T=$TAP_TMP
BOOT_TIMEOUT=${GUEST_BOOT_TIMEOUT:-300}

if ! "$G/build-guest.sh" > "$T/build.log" 2>&1; then
	not_ok "stock-cloud guest builds" "$(tail -20 "$T/build.log")"
	done_testing
	exit 1
fi
ok "stock-cloud guest image ($(grep -E 'cached|done' "$T/build.log" | tail -1))"

# nginx's workers run as another user: they must be able to read the docroot.
chmod 755 "$T"
mkdir -p "$T/www"
cat > "$T/www/bootrino" << 'AGENT'
#!/bin/sh
echo "FAKE-AGENT-RAN: $*"
AGENT
nginx_start "$T/www" || { not_ok "nginx starts"; done_testing; exit 1; }
SHA=$(sha256sum "$T/www/bootrino" | cut -d' ' -f1)
minisign -G -W -p "$T/k.pub" -s "$T/k.key" > /dev/null 2>&1 || { not_ok "minisign -G"; done_testing; exit 1; }
KEY=$(sed -n 2p "$T/k.pub")
URL=http://10.0.2.2:$NGINX_PORT

userdata() { # SHA256 OUT
	"$BOOTRINO" userdata --cloud generic --agent-url "$URL/bootrino" --agent-sha256 "$1" \
		--script "$URL/bootrino.sh" --pubkey "$KEY" > "$2"
}

# wait_for LOG REGEX SECONDS: 0 when REGEX (ERE) shows up in LOG in time;
# WAIT_GREP=-F makes it a fixed string (keys hold '+').
wait_for() {
	local end=$(($(date +%s) + $3))
	while [ "$(date +%s)" -lt "$end" ]; do
		grep -a "${WAIT_GREP:--E}" -q -- "$2" "$1" 2> /dev/null && return 0
		sleep 0.5
	done
	return 1
}

# boot NAME USERDATA: boots in the background; sets PIDF, SERIAL, W
boot() {
	W=$T/$1 SERIAL=$T/$1.serial PIDF=$T/$1.pid
	"$G/boot-guest.sh" --user-data "$2" --serial "$SERIAL" --forward "$NGINX_PORT" \
		--pidfile "$PIDF" --workdir "$W" --timeout "$((BOOT_TIMEOUT + 60))"
	tap_on_exit "kill \$(cat '$PIDF' 2> /dev/null) 2> /dev/null"
}
stop() { kill "$(cat "$PIDF")" 2> /dev/null; sleep 1; }
since_poweron() { echo "$(date +%s.%N) - $(cat "$W/poweron")" | bc | xargs printf '%.1f'; }

# --- 1. the right agent runs --------------------------------------------------
if userdata "$SHA" "$T/good.sh" && sh -n "$T/good.sh"; then ok "bootrino userdata --cloud generic"
else not_ok "bootrino userdata --cloud generic"; fi
boot good "$T/good.sh"
if WAIT_GREP=-F wait_for "$SERIAL" "FAKE-AGENT-RAN: takeover --script $URL/bootrino.sh --pubkey $KEY" "$BOOT_TIMEOUT"; then
	t=$(since_poweron)
	ok "guest ran the verified agent with the takeover arguments (${t}s after power-on)"
	echo "# user-data agent marker ${t}s after power-on (TCG)"
else
	not_ok "guest ran the verified agent" "$(grep -a bootrino "$SERIAL" | tail -20)"
fi
if wait_for "$SERIAL" "bootrino-userdata: bootrino takeover returned" 30; then
	ok "user-data saw takeover return"
else
	not_ok "user-data saw takeover return" "$(grep -a bootrino "$SERIAL" | tail -20)"
fi
grep -aq "bootrino-userdata: agent sha256 OK ($SHA)" "$SERIAL" && ok "sha256 check logged on the console" ||
	not_ok "sha256 check logged on the console"
grep -q "GET /bootrino HTTP" "$T/nginx/logs/access.log" && ok "agent fetched from nginx on loopback" ||
	not_ok "agent fetched from nginx on loopback"
stop

# --- 2. a wrong sha256 stops it before running --------------------------------
BAD=$(printf '%s' "$SHA" | tr '0-9a-f' '1-9a-f0')
userdata "$BAD" "$T/bad.sh"
# A second user-data part, run after the first: proof the OS carried on.
python3 - "$T/bad.sh" "$T/bad.mime" << 'PY'
import sys
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
m = MIMEMultipart()
for name, text in (("bootrino.sh", open(sys.argv[1]).read()),
                   ("alive.sh", "#!/bin/sh\n"
                    "test -e /var/lib/bootrino/bootrino || echo NO-AGENT-INSTALLED\n"
                    "echo GUEST-ALIVE-AFTER-REFUSAL\n")):
    part = MIMEText(text, "x-shellscript")
    part.add_header("Content-Disposition", "attachment", filename=name)
    m.attach(part)
open(sys.argv[2], "w").write(m.as_string())
PY
boot bad "$T/bad.mime"
if wait_for "$SERIAL" "bootrino-userdata: FAILED: .*sha256 mismatch: expected $BAD, got $SHA; not running it" "$BOOT_TIMEOUT"; then
	ok "wrong sha256: the user-data refuses ($(since_poweron)s after power-on)"
else
	not_ok "wrong sha256: the user-data refuses" "$(grep -a bootrino "$SERIAL" | tail -20)"
fi
if wait_for "$SERIAL" "GUEST-ALIVE-AFTER-REFUSAL" 60; then
	ok "wrong sha256: the guest keeps running its OS"
else
	not_ok "wrong sha256: the guest keeps running its OS" "$(tail -20 "$SERIAL")"
fi
grep -aq "NO-AGENT-INSTALLED" "$SERIAL" && ok "wrong sha256: no agent left installed" ||
	not_ok "wrong sha256: no agent left installed"
grep -aq "FAKE-AGENT-RAN" "$SERIAL" && not_ok "wrong sha256: the agent never ran" ||
	ok "wrong sha256: the agent never ran"
stop
done_testing
