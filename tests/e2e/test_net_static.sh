#!/bin/bash
# Static cloud networks through takeover, loader and target (issue 11): no
# DHCP server anywhere, the stock guest configured by cloud-init from a
# NoCloud network-config (v2), as DigitalOcean's and (for static setups)
# GCP's datasources hand it over. The loader's DHCP must give up within
# its bound (CLI_INIT_DHCP_BOUND_S) and apply the carried facts, the
# target must come up on the instance's addresses, and its page must
# answer on each of them from the test's namespace.
#
#   do:  two NICs, only the second carries the default route: 192.0.2.10/24
#        with gateway 192.0.2.1 (DigitalOcean's public shape) and IPv6
#        2001:db8:10::10/64 via 2001:db8:10::1; the first a private
#        198.51.100.10/25 with no gateway. The web server, 198.51.100.200,
#        is outside both prefixes: only the default route on the second
#        NIC reaches it.
#   gcp: a /32 (198.51.100.20) whose gateway 198.51.100.1 is outside every
#        local prefix, so the route is on-link; MTU 1460.
#
# The stock guest names its links priv0/pub0 and ens4 (cloud-init's
# set-name, matched by MAC; --ifnames keeps udev's names otherwise), the
# loader and the target have eth0, eth1: links are matched by MAC address. Test
# addresses only (RFC 5737, RFC 3849).
set -u
. "$(dirname "$0")/../lib/tap.sh"
. "$BOOTRINO_ROOT/tests/lib/nginx.sh"
. "$BOOTRINO_ROOT/tests/e2e/guest/takeover-lib.sh"
. "$BOOTRINO_ROOT/tests/e2e/guest/net-lib.sh"

BOUND=$(sed -n 's/^#define CLI_INIT_DHCP_BOUND_S \([0-9]*\).*/\1/p' "$BOOTRINO_ROOT/agent/init.h")
takeover_setup
net_loader_earlyprintk || { not_ok "loader.json with earlyprintk, re-signed"; done_testing; exit 1; }
net_ns

# journey NAME NETCONFIG TAPS… -- CHECKS: boots the guest on the taps
# (IF,MAC) with NETCONFIG; CHECKS are "page ADDR", "route ADDR-FAMILY
# REGEX" (a loader and target route), evaluated after the target is up.
journey() {
	local name=$1 netcfg=$2 taps=() checks=() a loader target out
	shift 2
	while [ "$1" != -- ]; do taps+=(--tap "$1"); shift; done
	shift
	checks=("$@")
	takeover_userdata "$TAP_TMP/$name.ud"
	net_boot "$name" "$TAP_TMP/$name.ud" --ifnames --network-config "$netcfg" "${taps[@]}"
	if wait_for "$SERIAL" "bootrino-userdata: fetching the agent" "$GUEST_TIMEOUT"; then
		ok "$name: stock OS configured from network-config, fetches the agent from $URL"
	else
		not_ok "$name: stock OS runs the user-data" "$(tail -30 "$SERIAL")"
		guest_stop
		return
	fi
	if ! wait_for "$SERIAL" "bootrino: init: attempt 1" 300; then
		not_ok "$name: loader configures the network" "$(tail -30 "$SERIAL")"
		guest_stop
		return
	fi
	sleep 2
	loader=$(loader_log)
	# every link gave up on DHCP within the bound, then took the facts
	out=$(sed -n 's/.*no DHCP lease (.*DHCP took \([0-9.]*\) s of at most.*/\1/p' <<< "$loader")
	if [ "$(wc -l <<< "$out")" = "$((${#taps[@]} / 2))" ] &&
		awk -v b="$BOUND" '$1 > b + 0.5 { bad = 1 } END { exit bad }' <<< "$out"; then
		ok "$name: loader gave up on DHCP within ${BOUND} s on every link (took $(tr '\n' ' ' <<< "$out")s)"
	else
		not_ok "$name: loader gives up on DHCP within ${BOUND} s" "$(grep -a 'DHCP' <<< "$loader")"
	fi
	if [ "$(grep -c 'from the carried facts (the host.s [a-z]' <<< "$loader")" = "$((${#taps[@]} / 2))" ]; then
		ok "$name: loader says each link's settings come from the carried facts, matched by MAC to the host's link"
	else
		not_ok "$name: loader names the carried facts as the source" "$(grep -a 'init:' <<< "$loader")"
	fi
	if wait_for "$SERIAL" "BOOTRINO-DEMO-TINYLINUX-HTTP-UP" 400; then
		ok "$name: loader reached the web server through the carried settings: target up"
	else
		not_ok "$name: the target is up" "$(grep -aE 'bootrino|BOOTRINO|udhcpc' "$SERIAL" | tail -30)"
		guest_stop
		return
	fi
	target=$(target_log)
	if grep -q "tinylinux: eth[0-9]: from the carried facts: addr" <<< "$target"; then
		ok "$name: target applied the carried settings where DHCP answered nothing"
	else
		not_ok "$name: target applied the carried settings" "$(grep -a 'tinylinux:\|udhcpc' <<< "$target")"
	fi
	if out=$(net_compare); then
		ok "$name: loader and target = the stock OS (carried facts), per MAC: $(tr '\n' ';' <<< "$out")"
	else
		not_ok "$name: target's network is the stock OS's" "$out"
	fi
	for c in "${checks[@]}"; do
		case $c in
		page\ *)
			a=${c#page }
			case $a in *:*) a="[$a]" ;; esac
			page=$(nsx curl -s --max-time 20 "http://$a/")
			case $page in
			*"bootrino demo tinylinux"*) ok "$name: the target's page answers at $a" ;;
			*) not_ok "$name: the target's page answers at $a" "got: $page" ;;
			esac
			;;
		route\ *)
			a=${c#route }
			if grep -Eq "init: net: ${a#* }" <<< "$loader" && grep -Eq "^route $a" <<< "$target"; then
				ok "$name: loader and target route: ${a#* }"
			else
				not_ok "$name: loader and target route: ${a#* }" \
					"$(grep -a 'init: net:' <<< "$loader"; grep -a '^route' <<< "$target")"
			fi
			;;
		esac
	done
	guest_stop
}

# do: the web server off-link for both NICs
net_tap tapa
net_tap tapb
nsx ip addr add 198.51.100.1/25 dev tapa
nsx ip addr add 192.0.2.1/24 dev tapb
nsx ip -6 addr add 2001:db8:10::1/64 dev tapb nodad
if net_server 198.51.100.200 2001:db8:80::80; then ok "web server at $URL and [2001:db8:80::80] in the test's namespace"; else
	not_ok "web server in the test's namespace" "$(cat "$TAP_TMP/relay.out")"
fi
cat > "$TAP_TMP/do.yaml" << 'YAML'
version: 2
ethernets:
  private:
    match: {macaddress: "52:54:00:d0:00:0a"}
    set-name: priv0
    addresses: [198.51.100.10/25]
  public:
    match: {macaddress: "52:54:00:d0:00:0b"}
    set-name: pub0
    addresses: [192.0.2.10/24, "2001:db8:10::10/64"]
    gateway4: 192.0.2.1
    gateway6: "2001:db8:10::1"
YAML
journey do "$TAP_TMP/do.yaml" tapa,52:54:00:d0:00:0a tapb,52:54:00:d0:00:0b -- \
	"route -4 default via 192.0.2.1 dev eth1" "route -6 default via 2001:db8:10::1 dev eth1" \
	"page 192.0.2.10" "page 198.51.100.10" "page 2001:db8:10::10"

# gcp: a fresh tap; the namespace's side sees a /24, the guest a /32
net_tap tapg
nsx ip link set tapa down
nsx ip addr add 198.51.100.129/25 dev tapg
nsx ip route add 198.51.100.20/32 dev tapg
cat > "$TAP_TMP/gcp.yaml" << 'YAML'
version: 2
ethernets:
  nic0:
    match: {macaddress: "42:01:c6:33:64:14"}
    set-name: ens4
    mtu: 1460
    addresses: [198.51.100.20/32]
    gateway4: 198.51.100.129
YAML
journey gcp "$TAP_TMP/gcp.yaml" tapg,42:01:c6:33:64:14 -- \
	"route -4 default via 198.51.100.129 dev eth0 onlink" "page 198.51.100.20"
done_testing
