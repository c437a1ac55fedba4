#!/bin/bash
# The main e2e (issue 5): a stock Debian 12 cloud guest whose user-data is
# exactly `bootrino userdata --cloud generic` output; the published site
# (static agent, signed loader, signed bootrino.sh, tinylinux) is served by
# nginx on 127.0.0.1. The guest's cloud-init fetches and checks the agent,
# `bootrino takeover` verifies and kexecs — into the loader (default) or
# straight into tinylinux (--direct) — and tinylinux's page is fetched from
# the host. Times are measured from the user-data's first line.
set -u
. "$(dirname "$0")/../lib/tap.sh"
. "$BOOTRINO_ROOT/tests/lib/nginx.sh"
. "$BOOTRINO_ROOT/tests/e2e/guest/takeover-lib.sh"

takeover_setup
ok "site published and served; guest image ready"

scenario() { # NAME [userdata args…]
	local name=$1 t_ud t_up
	shift
	takeover_userdata "$TAP_TMP/$name.ud" "$@"
	guest_boot "$name" "$TAP_TMP/$name.ud"
	if ! wait_for "$SERIAL" "bootrino-userdata: fetching the agent" "$GUEST_TIMEOUT"; then
		not_ok "$name: cloud-init runs the user-data" "$(tail -20 "$SERIAL")"
		guest_stop
		return
	fi
	t_ud=$(now)
	ok "$name: cloud-init runs the user-data ($(secs "$POWERON" "$t_ud")s after power-on)"
	if wait_for "$SERIAL" "BOOTRINO-DEMO-TINYLINUX-UP" 400; then
		t_up=$(now)
		ok "$name: tinylinux is up, $(secs "$t_ud" "$t_up")s after the user-data started"
		echo "# $name: user-data start -> target marker: $(secs "$t_ud" "$t_up")s (power-on -> marker $(secs "$POWERON" "$t_up")s)"
	else
		not_ok "$name: tinylinux is up" "$(grep -aE 'bootrino|BOOTRINO|kexec|Kernel panic' "$SERIAL" | tail -30)"
		guest_stop
		return
	fi
	if wait_for "$SERIAL" "BOOTRINO-DEMO-TINYLINUX-HTTP-UP" 120; then
		page=$(guest_curl -s --max-time 20 "http://127.0.0.1:$HTTP_PORT/")
		case $page in
		*"bootrino demo tinylinux"*"takeover-host"*) ok "$name: the target's page from the host, hostname from bootrino.sh" ;;
		*) not_ok "$name: the target's page from the host" "got: $page" ;;
		esac
	else
		not_ok "$name: the target serves HTTP" "$(tail -20 "$SERIAL")"
	fi
	if wait_for "$SERIAL" "BOOTRINO-FACTS-END" 5 && grep -aq '"instance_id"' "$SERIAL"; then
		ok "$name: facts.json carried to the target"
	else
		not_ok "$name: facts.json carried to the target" "$(grep -a -A5 BOOTRINO-FACTS "$SERIAL" | head -20)"
	fi
	guest_stop
}

scenario default
scenario direct --direct
done_testing
