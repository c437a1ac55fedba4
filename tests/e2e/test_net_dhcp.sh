#!/bin/bash
# GCP's network shape through takeover, loader and target (issue 11): DHCP
# hands out a /32 address, MTU 1460 (option 26) and the routes only as
# classless static routes (option 121: the gateway as an on-link /32, then
# the default route through it; no router option). Nothing is on-link but
# the gateway, so a client that does not ask for option 121 has an address
# and no way out — busybox udhcpc asks for it only with -O staticroutes.
#
# dnsmasq (Debian's) serves DHCP on a tap device in a network namespace of
# the test's own; the web server is at 198.51.100.80, off-link for the /32
# (a relay to nginx on loopback). The stock Debian guest (isc-dhcp-client)
# takes over; the loader and the target must get the route and the MTU,
# reach the web server, and the target's page must answer from the
# namespace. Test addresses only (RFC 5737).
set -u
export GUEST_BOOT_TIMEOUT=${GUEST_BOOT_TIMEOUT:-840}
. "$(dirname "$0")/../lib/tap.sh"
. "$BOOTRINO_ROOT/tests/lib/nginx.sh"
. "$BOOTRINO_ROOT/tests/e2e/guest/takeover-lib.sh"
. "$BOOTRINO_ROOT/tests/e2e/guest/net-lib.sh"

command -v dnsmasq > /dev/null || { not_ok "dnsmasq installed (scripts/setup.sh)"; done_testing; exit 1; }
takeover_setup
net_loader_earlyprintk || { not_ok "loader.json with earlyprintk, re-signed"; done_testing; exit 1; }
MAC=52:54:00:51:00:20 IP=198.51.100.20 GW=198.51.100.1 SRV=198.51.100.80
net_ns
net_tap tap0
# The namespace's side sees a /24 so that dnsmasq serves the tap; the
# guest is told netmask 255.255.255.255.
nsx ip addr add "$GW/24" dev tap0
if net_server "$SRV"; then ok "web server at $URL in the test's namespace"; else
	not_ok "web server at $URL in the test's namespace" "$(cat "$TAP_TMP/relay.out")"
fi
nsx dnsmasq --keep-in-foreground --no-resolv --no-hosts --port=0 --interface=tap0 \
	--bind-interfaces --dhcp-range="$IP,$IP,255.255.255.0,1h" --dhcp-host="$MAC,$IP" \
	--dhcp-option=option:netmask,255.255.255.255 --dhcp-option=option:router \
	--dhcp-option="option:classless-static-route,$GW/32,0.0.0.0,0.0.0.0/0,$GW" \
	--dhcp-option=option:mtu,1460 --dhcp-leasefile="$TAP_TMP/leases" \
	--log-dhcp --log-facility="$TAP_TMP/dnsmasq.log" &
tap_on_exit "kill $! 2> /dev/null"

takeover_userdata "$TAP_TMP/dhcp.ud" --no-install
net_boot dhcp "$TAP_TMP/dhcp.ud" --tap "tap0,$MAC"
if wait_for "$SERIAL" "bootrino-userdata: fetching the agent" "$(net_left)"; then
	ok "stock OS: DHCP lease, the user-data fetches the agent from $URL"
else
	not_ok "stock OS: the user-data runs" "$(tail -20 "$SERIAL"; tail -5 "$TAP_TMP/dnsmasq.log")"
	guest_stop
	done_testing
	exit 1
fi

# The loader: its network report comes right after DHCP.
if wait_for "$SERIAL" "bootrino: init: attempt 1" "$(net_left)"; then
	sleep 2
	loader=$(loader_log)
	case $loader in
	*"udhcpc: eth0 $IP/32 routes $GW/32 0.0.0.0 0.0.0.0/0 $GW (option 121) mtu 1460"*"(from DHCP)"*)
		ok "loader: lease with option 121 and the MTU, said on the console as from DHCP" ;;
	*) not_ok "loader: lease with option 121 and the MTU" "$(grep -a 'udhcpc\|init:' <<< "$loader")" ;;
	esac
	if grep -q "init: net: default via $GW dev eth0" <<< "$loader" &&
		grep -q "init: net: .*eth0.* mtu 1460" <<< "$loader"; then
		ok "loader: default route via the off-link gateway, MTU 1460"
	else
		not_ok "loader: default route via the off-link gateway, MTU 1460" \
			"$(grep -a 'udhcpc\|init: net' <<< "$loader")"
		# without a route the loader retries for ever: nothing more to see
		guest_stop
		done_testing
		exit 1
	fi
else
	not_ok "loader: network configured" "$(tail -30 "$SERIAL")"
	guest_stop
	done_testing
	exit 1
fi

if wait_for "$SERIAL" "BOOTRINO-DEMO-TINYLINUX-HTTP-UP" "$(net_left)"; then
	ok "loader reached the web server through the route: the target is up"
else
	not_ok "the target is up" "$(grep -aE 'bootrino|BOOTRINO|udhcpc' "$SERIAL" | tail -30)"
	guest_stop
	done_testing
	exit 1
fi
target=$(target_log)
if grep -q "^route -4 default via $GW dev eth0" <<< "$target" &&
	grep -q "^link eth0 $MAC mtu 1460" <<< "$target"; then
	ok "target: default route via the off-link gateway, MTU 1460 (from its own DHCP)"
else
	not_ok "target: route and MTU" "$(sed -n '/BOOTRINO-DEMO-NET-BEGIN/,/END/p' <<< "$target")"
fi
if out=$(net_compare); then
	ok "loader's and target's addresses, MTU and default route are the stock OS's: $(tr "\n" ";" <<< "$out")"
else
	not_ok "target's network is the stock OS's" "$out"
fi
page=$(nsx curl -s --max-time 20 "http://$IP/")
case $page in
*"bootrino demo tinylinux"*) ok "the target's page answers at $IP from the namespace" ;;
*) not_ok "the target's page answers at $IP" "got: $page" ;;
esac
guest_stop
done_testing
