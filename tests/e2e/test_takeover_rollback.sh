#!/bin/bash
# Anti-rollback reaches the loader (issue 10, item 2). The server shows the
# current bootrino.sh to the host's preflight and, once the host has fetched
# the loader, swaps in an older, validly signed bootrino.sh (same key, right
# file name, older timestamp) for the loader to fetch. takeover carries the
# timestamp its preflight accepted into the loader's config
# (min_timestamp), so the loader must never run the old script; before
# that, it booted it. Since the host hands the loader the script it
# verified (docs/stages.md, "What the host hands over"), the loader boots
# the current script's target without asking the server at all: the swap
# cannot reach it. (A retry, which fetches anew, meets min_timestamp:
# tests/integration/test_trust.sh, item 2.)
set -u
. "$(dirname "$0")/../lib/tap.sh"
. "$BOOTRINO_ROOT/tests/lib/nginx.sh"
. "$BOOTRINO_ROOT/tests/e2e/guest/takeover-lib.sh"

takeover_setup
ok "site published and served; guest image ready"

# the older script: boots the same target, under another hostname
sed 's|/etc/bootrino/hostname .*|/etc/bootrino/hostname '"'"'rolled-back'"'"'|' "$SITE/bootrino.sh" > "$TAP_TMP/old.sh"
if ! grep -q "rolled-back" "$TAP_TMP/old.sh"; then
	not_ok "the older script names its own hostname" "$(cat "$TAP_TMP/old.sh")"
	done_testing
	exit 1
fi
minisign -S -s "$KEY" -m "$TAP_TMP/old.sh" -x "$TAP_TMP/old.sh.minisig" \
	-t "timestamp:1600000000	file:bootrino.sh" > /dev/null
LOG=$TAP_TMP/nginx/logs/access.log

takeover_userdata "$TAP_TMP/rb.ud" --no-install
guest_boot rollback "$TAP_TMP/rb.ud"
if wait_for "$LOG" "GET /loader/initrd.img " "$GUEST_TIMEOUT"; then
	# the host's preflight has accepted the current bootrino.sh; the loader
	# is about to be started: from now on, serve the old one
	cp "$TAP_TMP/old.sh" "$SITE/bootrino.sh.tmp" && mv "$SITE/bootrino.sh.tmp" "$SITE/bootrino.sh"
	cp "$TAP_TMP/old.sh.minisig" "$SITE/bootrino.sh.minisig.tmp" &&
		mv "$SITE/bootrino.sh.minisig.tmp" "$SITE/bootrino.sh.minisig"
	chmod a+r "$SITE/bootrino.sh" "$SITE/bootrino.sh.minisig"
	ok "the host fetched the loader; the server now serves the older bootrino.sh"
else
	not_ok "the host fetches the loader" "$(grep -aE 'bootrino' "$SERIAL" | tail -20)"
	guest_stop
	done_testing
	exit 1
fi
if wait_for "$SERIAL" "1600000000 is older than [0-9]+|BOOTRINO-DEMO-TINYLINUX-HTTP-UP" 400 &&
	! grep -aEq "1600000000 is older than [0-9]+" "$SERIAL"; then
	page=$(guest_curl -s --max-time 20 "http://127.0.0.1:$HTTP_PORT/")
	case $page in
	*"takeover-host"*) ok "the loader booted the script the host verified (its hostname on the page)" ;;
	*) not_ok "the loader booted the script the host verified" "page: $page" ;;
	esac
else
	not_ok "the loader booted the script the host verified" "$(grep -aE 'bootrino|BOOTRINO' "$SERIAL" | tail -20)"
fi
has "the loader never fetched the swapped bootrino.sh (one GET, the host's)" \
	"$(grep -c 'GET /bootrino.sh ' "$LOG")" '^1$'
grep -aq "rolled-back" "$SERIAL" && not_ok "nothing of the older script ran" "$(grep -a rolled-back "$SERIAL")" ||
	ok "nothing of the older script ran"
guest_stop
done_testing
