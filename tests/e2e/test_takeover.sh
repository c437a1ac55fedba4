#!/bin/bash
# The main e2e (issue 5): a stock Debian 12 cloud guest whose user-data is
# exactly `bootrino userdata --cloud generic` output; the published site
# (static agent, signed loader, signed bootrino.sh, tinylinux) is served by
# nginx on 127.0.0.1. The guest's cloud-init fetches and checks the agent,
# `bootrino takeover` verifies and kexecs — into the loader (default) or
# straight into tinylinux (--direct) — and tinylinux's page is fetched from
# the host. Times are measured from the user-data's first line.
#
# The default path (RAM only here: --no-install) runs with the web server
# taken away the moment the host starts the kexec: the loader's first run
# must not need it (the host hands
# over the signed script and the artifacts it verified; the loader checks
# them again). The agent's console lines carry the time since the takeover
# started, in the loader too, and each stage ends with a "stages:" summary.
set -u
. "$(dirname "$0")/../lib/tap.sh"
. "$BOOTRINO_ROOT/tests/lib/nginx.sh"
. "$BOOTRINO_ROOT/tests/e2e/guest/takeover-lib.sh"

takeover_setup
ok "site published and served; guest image ready"

scenario() { # NAME [--server-gone] [userdata args…]
	local name=$1 t_ud t_up gone=0
	shift
	if [ "${1:-}" = --server-gone ]; then gone=1; shift; fi
	takeover_userdata "$TAP_TMP/$name.ud" "$@"
	guest_boot "$name" "$TAP_TMP/$name.ud"
	if ! wait_for "$SERIAL" "bootrino-userdata: fetching the agent" "$GUEST_TIMEOUT"; then
		not_ok "$name: cloud-init runs the user-data" "$(tail -20 "$SERIAL")"
		guest_stop
		return
	fi
	t_ud=$(now)
	ok "$name: cloud-init runs the user-data ($(secs "$POWERON" "$t_ud")s after power-on)"
	if [ "$gone" = 1 ]; then
		if wait_for "$SERIAL" "bootrino: starting the loader" 300; then
			nginx_stop
			ok "$name: web server stopped as the host starts the kexec into the loader"
		else
			not_ok "$name: the host starts the loader" "$(grep -a bootrino "$SERIAL" | tail -20)"
			guest_stop
			return
		fi
	fi
	if wait_for "$SERIAL" "BOOTRINO-DEMO-TINYLINUX-UP" 400; then
		t_up=$(now)
		ok "$name: tinylinux is up, $(secs "$t_ud" "$t_up")s after the user-data started"
		echo "# $name: user-data start -> target marker: $(secs "$t_ud" "$t_up")s (power-on -> marker $(secs "$POWERON" "$t_up")s)"
	else
		not_ok "$name: tinylinux is up" "$(grep -aE 'bootrino|BOOTRINO|kexec|Kernel panic' "$SERIAL" | tail -30)"
		guest_stop
		return
	fi
	if [ "$gone" = 1 ]; then
		local loader
		loader=$(sed -n '/bootrino: starting the loader/,$p' "$SERIAL" | tr -d '\r')
		has "$name: the loader used the host's copies, re-checked (script, kernel, initrd)" \
			"$(grep -c 'using the copy the host verified' <<< "$loader")" '^3$'
		if grep -q 'bootrino: fetching' <<< "$loader"; then
			not_ok "$name: the loader fetched nothing" "$(grep 'fetching' <<< "$loader")"
		else
			ok "$name: the loader fetched nothing"
		fi
		has "$name: loader lines carry the time since the takeover started" \
			"$(grep 'init: bootrino loader starting' <<< "$loader")" '^\[\+[0-9]+\.[0-9]s\] bootrino: '
		has "$name: the host and the loader summarise their stages" \
			"$(grep -ac 'stages:' "$SERIAL")" '^2$'
		grep -a 'stages:' "$SERIAL" | tr -d '\r' | sed "s/^/# $name: /"
		nginx_restart || not_ok "$name: nginx comes back"
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

scenario direct --direct
# RAM only: the install path still fetches the boot-disk image in the
# loader (tests/e2e/test_install.sh covers it)
scenario default --server-gone --no-install
done_testing
