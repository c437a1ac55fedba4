#!/bin/bash
# Negative main e2e (issue 5): takeover must refuse before touching anything
# when what it would boot does not verify, and the stock guest must keep
# running its OS (a second user-data part prints a marker after the first
# one failed).
#   - bootrino.sh changed after signing (--direct: takeover runs it)
#   - tinylinux's initrd changed after bootrino.sh pinned it (--direct)
#   - loader.json changed after signing (default path: takeover checks it)
#   - the same bootrino.sh and initrd changes on the default path: takeover's
#     preflight verifies the loader's whole run on the host first
# SCENARIOS="NAME…" runs only those (default: all).
set -u
. "$(dirname "$0")/../lib/tap.sh"
. "$BOOTRINO_ROOT/tests/lib/nginx.sh"
. "$BOOTRINO_ROOT/tests/e2e/guest/takeover-lib.sh"

takeover_setup
ok "site published and served; guest image ready"

wanted() { [ -z "${SCENARIOS:-}" ] || [[ " $SCENARIOS " == *" $1 "* ]]; }

refused() { # NAME WHAT-REGEX [userdata args…]
	local name=$1 what=$2
	shift 2
	wanted "$name" || return 0
	takeover_userdata "$TAP_TMP/$name.ud" "$@"
	alive_userdata "$TAP_TMP/$name.ud" "$TAP_TMP/$name.mime"
	guest_boot "$name" "$TAP_TMP/$name.mime"
	if wait_for "$SERIAL" "bootrino-userdata: FAILED: bootrino takeover exited with status 3" "$GUEST_TIMEOUT"; then
		ok "$name: takeover exits 3"
	else
		not_ok "$name: takeover exits 3" "$(grep -aE 'bootrino|BOOTRINO' "$SERIAL" | tail -20)"
	fi
	grep -aEq -- "$what" "$SERIAL" && ok "$name: the refusal names the problem" ||
		not_ok "$name: the refusal names the problem" "$(grep -a 'bootrino' "$SERIAL" | tail -10)"
	if wait_for "$SERIAL" "GUEST-ALIVE-AFTER-USERDATA" 120; then
		ok "$name: the guest keeps running its OS"
	else
		not_ok "$name: the guest keeps running its OS" "$(tail -20 "$SERIAL")"
	fi
	grep -aq "BOOTRINO-DEMO-TINYLINUX-UP" "$SERIAL" && not_ok "$name: no target booted" || ok "$name: no target booted"
	guest_stop
}

cp -p "$SITE/bootrino.sh" "$TAP_TMP/bootrino.sh.orig"
echo "echo tampered" >> "$SITE/bootrino.sh"
refused tampered-script "bootrino.sh" --direct
refused tampered-script-loader "takeover: .*bootrino.sh"
cp -p "$TAP_TMP/bootrino.sh.orig" "$SITE/bootrino.sh"

cp -p "$SITE/tinylinux/initrd.img" "$TAP_TMP/initrd.orig"
printf 'x' >> "$SITE/tinylinux/initrd.img"
refused wrong-initrd "initrd.img.*sha256 mismatch" --direct
refused wrong-initrd-loader "takeover: .*initrd.img.*sha256 mismatch"
cp -p "$TAP_TMP/initrd.orig" "$SITE/tinylinux/initrd.img"

cp -p "$SITE/loader/loader.json" "$TAP_TMP/loader.json.orig"
sed -i 's/console=ttyS0/console=ttyS0 tampered/' "$SITE/loader/loader.json"
refused tampered-loader "loader.json"
cp -p "$TAP_TMP/loader.json.orig" "$SITE/loader/loader.json"
done_testing
