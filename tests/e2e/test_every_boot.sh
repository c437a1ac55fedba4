#!/bin/bash
# Issue 9's journey: how users deploy (README.md, "Deploying a new
# version"; docs/every-boot.md). The stock Debian 12 guest is taken over
# with install (→ v1 on slot a; the installed disk is cached per recipe by
# tests/e2e/lib/every-boot.sh), then the same disk is powered off and on
# again through SeaBIOS (no -kernel), as a cloud's reboot does:
#
#   1. plan unchanged        → v1 from disk (outcome=cached); nginx's access
#                              log shows only bootrino.sh and its signature
#   2. publish v2 (confirm)  → v2 on slot b (outcome=new); the demo confirms
#                              once its page answers
#   3. web server down       → v2 from disk, the reason on the console
#   4. v3 tampered after signing → refused, v2
#   5. v1 replayed (validly signed, older timestamp) → refused
#                              (anti-rollback), v2
#   6. v4 that never confirms (confirm N) → on trial N boots, then the
#                              loader abandons it: v2 (outcome=abandoned)
#   7. the next boot stays on v2 (v4 is still the published script)
#
# Between boots `bootrino status --json --disk` reads the state offline.
# The demo counts its boots on bootrino-data: +1 at every step, none lost.
# Each boot waits for console lines, never a fixed time.
set -u
. "$(dirname "$0")/../lib/tap.sh"
. "$BOOTRINO_ROOT/tests/lib/nginx.sh"
. "$BOOTRINO_ROOT/tests/e2e/guest/takeover-lib.sh"
. "$BOOTRINO_ROOT/tests/e2e/lib/every-boot.sh"

N=${EB_CONFIRM_BOOTS:-2} # v4's dead-man switch: unconfirmed boots before abandon

eb_setup
DISK=$TAP_TMP/disk.qcow2
eb_overlay "$DISK"
counts=("$BOOTS0")
ACCESS=$TAP_TMP/nginx/logs/access.log

# status_check NAME PYTHON-EXPR: asserts on `bootrino status --json --disk`
# (docs/every-boot.md): s the whole document, C the current slot, T the
# trial slot (each {} when none)
status_check() { # NAME PYTHON-EXPR
	local js
	if ! js=$(eb_status "$DISK" 2> "$TAP_TMP/status.err"); then
		not_ok "$1: bootrino status --disk" "$(cat "$TAP_TMP/status.err")"
		return
	fi
	if echo "$js" | python3 -c "
import json, sys
s = json.load(sys.stdin)
C, T = s['current'] or {}, s['trial'] or {}
assert $2, s
" 2> "$TAP_TMP/status.py"; then
		ok "$1"
	else
		not_ok "$1" "$(tail -3 "$TAP_TMP/status.py")"
	fi
}

# step NAME VERSION OUTCOME [REASON-REGEX]: one power cycle of $DISK; the
# target must come up as VERSION and the loader must say OUTCOME.
step() {
	local name=$1 want=$2 outcome=$3 reason=${4:-} line
	: > "$ACCESS"
	eb_boot "$name" "$DISK"
	if ! eb_target 600; then
		not_ok "$name: the target comes up" "$(grep -aE 'bootrino|BOOTRINO|Kernel panic' "$SERIAL" | tail -25)"
		eb_off "$DISK"
		return 1
	fi
	line=$(eb_outcome)
	if [ "$T_VERSION" = "$want" ]; then
		ok "$name: $T_VERSION is up on slot $T_SLOT, $(secs "$POWERON" "$(now)")s after power-on"
	else
		not_ok "$name: $want is up" "got $T_VERSION on slot $T_SLOT; loader: $line"
	fi
	case $line in
	*"outcome=$outcome "*) ok "$name: loader: ${line#*slot: }" ;;
	*) not_ok "$name: the loader says outcome=$outcome" "got: ${line:-no slot: outcome= line}" ;;
	esac
	if [ -n "$reason" ]; then
		if echo "$line" | grep -qE "reason=\".*($reason)"; then
			ok "$name: the reason is on the console"
		else
			not_ok "$name: the reason ($reason) is on the console" "$line"
		fi
	fi
	counts+=("$T_BOOTS")
	STEP_SLOT=$T_SLOT STEP_STAMP=$T_STAMP
	return 0
}

# --- 0. the installed disk ------------------------------------------------------------------
V1_STAMP=$(sed -n 's/^trusted comment: timestamp:\([0-9]*\).*/\1/p' "$SITE/bootrino.sh.minisig")
status_check "after install: slot a is current, v1's timestamp $V1_STAMP, nothing on trial" \
	"C.get('slot') == 'a' and not T and C['timestamp'] == $V1_STAMP and s['max_timestamp'] == $V1_STAMP"
mkdir -p "$TAP_TMP/v1"
cp -p "$SITE/bootrino.sh" "$SITE/bootrino.sh.minisig" "$TAP_TMP/v1/"

# --- 1. plan unchanged: v1 from the cache --------------------------------------------------
step cached v1 cached
eb_off "$DISK"
fetched=$(awk '$6 == "\"GET" {print $7}' "$ACCESS" | sort -u | tr '\n' ' ')
bytes=$(awk '{n += $10} END {print n + 0}' "$ACCESS")
if [ "$fetched" = "/bootrino.sh /bootrino.sh.minisig " ]; then
	ok "cached: the web server served only bootrino.sh and its signature ($bytes bytes)"
else
	not_ok "cached: only bootrino.sh and its signature fetched" "fetched: $fetched"
fi

# --- 2. publish v2 (dead-man switch) + reboot → v2 --------------------------------------------
eb_publish --version v2 --confirm 2 || not_ok "publish v2" "$(cat "$TAP_TMP/publish.log")"
V2_STAMP=$(sed -n 's/^trusted comment: timestamp:\([0-9]*\).*/\1/p' "$SITE/bootrino.sh.minisig")
step v2 v2 new
V2_SLOT=$STEP_SLOT
[ "$STEP_STAMP" = "$V2_STAMP" ] && ok "v2: boot.json carries v2's signature timestamp $V2_STAMP" ||
	not_ok "v2: boot.json carries v2's timestamp" "want $V2_STAMP, got $STEP_STAMP"
if wait_for "$SERIAL" "BOOTRINO-DEMO-CONFIRMED|BOOTRINO-DEMO-CONFIRM " 180 &&
	grep -aq "BOOTRINO-DEMO-CONFIRMED slot=$V2_SLOT" "$SERIAL"; then
	ok "v2: the demo confirmed slot $V2_SLOT after its page answered (bootrino confirm)"
else
	not_ok "v2: the demo confirms" "$(grep -aE 'BOOTRINO-DEMO-CONFIRM' "$SERIAL")"
fi
# the page shows the slot and the version next to the /data count
page=$(guest_curl "http://127.0.0.1:$HTTP_PORT/" 2> /dev/null)
case $page in
*"boots on /data: ${counts[-1]}"*"slot: $V2_SLOT, version (script timestamp): $V2_STAMP"*)
	ok "v2: the demo's page shows the /data count, slot $V2_SLOT and timestamp $V2_STAMP" ;;
*) not_ok "v2: the demo's page shows the /data count, slot and timestamp" "$page" ;;
esac
eb_off "$DISK"
status_check "v2: slot $V2_SLOT holds v2 ($V2_STAMP) on trial, confirmed by the target; max_timestamp advanced" \
	"T.get('slot') == '$V2_SLOT' and T['timestamp'] == $V2_STAMP and T['confirmed'] and s['max_timestamp'] == $V2_STAMP"

# --- 3. web server down → v2 from disk --------------------------------------------------------
nginx_stop
step server-down v2 fallback "fetch failed"
eb_off "$DISK"
nginx_restart || not_ok "nginx comes back"
status_check "server-down: the confirmed slot $V2_SLOT is current, the reason is in log/" \
	"C.get('slot') == '$V2_SLOT' and not T and s['last']['outcome'] == 'fallback' and any('outcome=fallback' in l for l in s['log'])"

# --- 4. a tampered v3 → v2 ----------------------------------------------------------------------
eb_publish --version v3 || not_ok "publish v3" "$(cat "$TAP_TMP/publish.log")"
sed -i 's/^set -e$/set -e; echo tampered >\&2/' "$SITE/bootrino.sh"
grep -q tampered "$SITE/bootrino.sh" || not_ok "v3 tampered after signing"
step tampered-v3 v2 fallback "not verified.*bad signature"
eb_off "$DISK"

# --- 5. v1 replayed (valid signature, older timestamp) → v2 ------------------------------------
cp -p "$TAP_TMP/v1/bootrino.sh" "$TAP_TMP/v1/bootrino.sh.minisig" "$SITE/"
step replayed-v1 v2 fallback "not verified.*older than $V2_STAMP"
eb_off "$DISK"
status_check "replayed-v1: max_timestamp stays v2's ($V2_STAMP)" \
	"s['max_timestamp'] == $V2_STAMP and C.get('slot') == '$V2_SLOT'"

# --- 6. v4 never confirms → N boots on trial, then back to v2 -----------------------------------
eb_publish --version v4 --never-confirm --confirm "$N" || not_ok "publish v4" "$(cat "$TAP_TMP/publish.log")"
i=1
while [ "$i" -le "$N" ]; do
	step "v4-trial-$i" v4 new "on trial|new plan"
	grep -aq "BOOTRINO-DEMO-CONFIRM never" "$SERIAL" ||
		wait_for "$SERIAL" "BOOTRINO-DEMO-CONFIRM" 120
	grep -aq "BOOTRINO-DEMO-CONFIRM never" "$SERIAL" &&
		ok "v4-trial-$i: the demo does not confirm" ||
		not_ok "v4-trial-$i: the demo does not confirm" "$(grep -a 'BOOTRINO-DEMO-CONFIRM' "$SERIAL")"
	eb_off "$DISK"
	i=$((i + 1))
done
step v4-abandoned v2 abandoned "abandoned"
eb_off "$DISK"
status_check "v4-abandoned: slot $V2_SLOT current, nothing on trial" \
	"C.get('slot') == '$V2_SLOT' and not T"

# --- 7. v4 is still published: it is not tried again ------------------------------------------
step after-abandon v2 fallback "abandoned"
eb_off "$DISK"

# --- /data ----------------------------------------------------------------------------------------
bad='' prev=''
for c in "${counts[@]}"; do
	if [ -n "$prev" ] && [ "$c" != $((prev + 1)) ]; then bad=1; fi
	prev=$c
done
if [ -z "$bad" ] && [ "${#counts[@]}" -ge 8 ]; then
	ok "bootrino-data counted every boot: ${counts[*]}"
else
	not_ok "bootrino-data counts +1 at every step" "got: ${counts[*]}"
fi
done_testing
