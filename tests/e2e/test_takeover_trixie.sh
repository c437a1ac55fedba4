#!/bin/bash
# The main takeover e2e on a second stock OS closer to Ubuntu's cloud
# images (issue 11): Debian 13 (trixie) with netplan.io rendering
# cloud-init's network config for systemd-networkd, systemd-resolved with
# its stub at 127.0.0.53 in /etc/resolv.conf, trixie's cloud kernel and
# cloud-init (tests/e2e/guest/build-guest.sh --suite trixie, cached in
# build/guest-trixie). Two boots:
#
#   direct   `--direct`, QEMU's user-mode DHCP (networkd's own DHCP client):
#            straight into tinylinux, its page from the host
#   static   the default path (stock → loader → tinylinux, RAM only) on
#            DigitalOcean's static shape: a tap in a network namespace of
#            the test's own, no DHCP server, the address, gateway, DNS
#            server and search domain from a NoCloud network-config (v2)
#            that netplan hands to networkd, the link under its predictable
#            name (ens3); the loader gives up on DHCP within its bound (from
#            the console's time stamps) and applies the carried facts by
#            MAC, the target comes up on the same address and route, and
#            the carried DNS servers are the real ones from resolved, not
#            its stub.
#
# Test addresses only (RFC 5737).
set -u
export GUEST_BOOT_TIMEOUT=${GUEST_BOOT_TIMEOUT:-840}
export GUEST_SUITE=trixie
. "$(dirname "$0")/../lib/tap.sh"
export BOOTRINO_GUEST_DIR=${BOOTRINO_GUEST_DIR:-$BOOTRINO_ROOT/${BUILD:-build}/guest-trixie}
. "$BOOTRINO_ROOT/tests/lib/nginx.sh"
. "$BOOTRINO_ROOT/tests/e2e/guest/takeover-lib.sh"
. "$BOOTRINO_ROOT/tests/e2e/guest/net-lib.sh"

export BOUND
BOUND=$(sed -n 's/^#define CLI_INIT_DHCP_BOUND_S \([0-9]*\).*/\1/p' "$BOOTRINO_ROOT/agent/init.h")
t0=$(date +%s)
takeover_setup
ok "trixie guest ready ($(($(date +%s) - t0)) s: build or cache), site served"
net_loader_earlyprintk || { not_ok "loader.json with earlyprintk, re-signed"; done_testing; exit 1; }

# A first user-data part prints what the stock OS's network stack is
# before bootrino runs (parts run in name order).
STOCK_INFO='#!/bin/sh
echo "STOCK-NET: resolv.conf -> $(readlink -f /etc/resolv.conf):$(grep "^nameserver" /etc/resolv.conf | tr "\n" " ")"
echo "STOCK-NET: upstream: $(grep "^nameserver" /run/systemd/resolve/resolv.conf 2> /dev/null | tr "\n" " ")"
echo "STOCK-NET: links: $(ls /sys/class/net | tr "\n" " ")"
echo "STOCK-NET: networkd=$(systemctl is-active systemd-networkd) resolved=$(systemctl is-active systemd-resolved) netplan=$(ls /etc/netplan 2> /dev/null | tr "\n" " ")"
echo "STOCK-NET: kernel $(uname -r), $(cloud-init --version 2>&1), systemd $(systemctl --version | sed -n "1s/systemd \([0-9]*\).*/\1/p")"
'
takeover_userdata() {
	local out=$1
	shift
	"$BOOTRINO" userdata --cloud generic --agent-url "$URL/bootrino" --agent-sha256 "$AGENT_SHA" \
		--script "$URL/bootrino.sh" --pubkey "$PUB" "$@" > "$out.main" || return 1
	printf '%s' "$STOCK_INFO" > "$out.info"
	mime_userdata "$out" 00-stock-net.sh "$out.info" bootrino.sh "$out.main"
}

# --- 1. --direct, DHCP (networkd's client under QEMU's user mode) -------------
t1=$(date +%s)
takeover_userdata "$TAP_TMP/direct.ud" --direct
guest_boot direct "$TAP_TMP/direct.ud"
if wait_for "$SERIAL" "bootrino-userdata: fetching the agent" "$GUEST_TIMEOUT"; then
	ok "direct: trixie's cloud-init runs the user-data ($(secs "$POWERON" "$(now)")s after power-on)"
	grep -a 'STOCK-NET:' "$SERIAL" | tr -d '\r' | sed 's/^.*STOCK-NET:/STOCK-NET:/' | sed 's/^/# direct: /'
	has "direct: the stock OS resolves through resolved's stub, networkd up, netplan rendered" \
		"$(grep -a 'STOCK-NET:' "$SERIAL" | tr -d '\r' | sed 's/^.*STOCK-NET:/STOCK-NET:/')" \
		'resolv.conf -> /run/systemd/resolve/stub-resolv.conf:nameserver 127.0.0.53'
	has "direct: networkd and resolved active, a netplan file from cloud-init" \
		"$(grep -a 'STOCK-NET: networkd' "$SERIAL" | tr -d '\r')" \
		'networkd=active resolved=active netplan=.*50-cloud-init.yaml'
	if wait_for "$SERIAL" "BOOTRINO-DEMO-TINYLINUX-HTTP-UP" "$(net_left)"; then
		page=$(guest_curl -s --max-time 20 "http://127.0.0.1:$HTTP_PORT/")
		case $page in
		*"bootrino demo tinylinux"*"takeover-host"*) ok "direct: systemctl kexec from trixie into tinylinux; its page from the host" ;;
		*) not_ok "direct: the target's page from the host" "got: $page" ;;
		esac
	else
		not_ok "direct: tinylinux serves HTTP" "$(grep -aE 'bootrino|BOOTRINO|kexec|Kernel panic|reboot' "$SERIAL" | tail -30)"
	fi
	# DHCP under user mode: QEMU's DNS server, not resolved's stub; no
	# search domain (resolved writes "search ." then: the root domain)
	has "direct: the carried DNS is slirp's 10.0.2.3 (resolved's upstream, not 127.0.0.53), no search domain (not \".\")" \
		"$(sed -n '/BOOTRINO-FACTS-BEGIN/,/BOOTRINO-FACTS-END/p' "$SERIAL" | tr -d '\r' | grep -v '^\[' | sed '1d;$d' |
			python3 -c 'import json,sys; d=json.load(sys.stdin)["dns"]; print(d["nameservers"], d["search"])' 2>&1)" \
		"^\['10\.0\.2\.3'\] \[\]$"
else
	not_ok "direct: trixie's cloud-init runs the user-data" "$(tail -30 "$SERIAL")"
fi
guest_stop
echo "# direct: $(($(date +%s) - t1)) s"

# --- 2. the default path on DigitalOcean's static shape --------------------------
t1=$(date +%s)
net_ns
net_tap tapt
nsx ip addr add 192.0.2.1/24 dev tapt
if net_server 198.51.100.200; then ok "static: web server at $URL in the test's namespace"; else
	not_ok "static: web server in the test's namespace" "$(cat "$TAP_TMP/relay.out")"
fi
cat > "$TAP_TMP/trixie.yaml" << 'YAML'
version: 2
ethernets:
  public:
    match: {macaddress: "52:54:00:d0:13:0a"}
    addresses: [192.0.2.10/24]
    routes: [{to: default, via: 192.0.2.1}]
    nameservers: {addresses: [192.0.2.53], search: [bootrino.test]}
YAML
net_journey static "$TAP_TMP/trixie.yaml" tapt,52:54:00:d0:13:0a -- \
	"route -4 default via 192.0.2.1 dev eth0" "page 192.0.2.10"
stock=$(grep -a 'STOCK-NET:' "$SERIAL" | tr -d '\r' | sed 's/^.*STOCK-NET:/STOCK-NET:/')
printf '%s\n' "$stock" | sed 's/^/# static: /'
has "static: the stock OS names the link ensN (predictable name; the loader and target say eth0)" \
	"$stock" 'links: (.* )?ens[0-9]+ '
has "static: the stock OS's resolv.conf is resolved's stub, its upstream the configured server" \
	"$stock" 'upstream: nameserver 192\.0\.2\.53'
dns=$(sed -n '/BOOTRINO-FACTS-BEGIN/,/BOOTRINO-FACTS-END/p' "$SERIAL" | tr -d '\r' | grep -v '^\[' | sed '1d;$d' |
	python3 -c 'import json,sys; d=json.load(sys.stdin)["dns"]; print(d["nameservers"], d["search"])' 2>&1)
has "static: the carried DNS is resolved's upstream (192.0.2.53, bootrino.test), never 127.0.0.53" \
	"$dns" "^\['192\.0\.2\.53'\] \['bootrino\.test'\]$"
has "static: the loader's resolv.conf from the carried facts" "$(loader_log)" \
	'init: /etc/resolv.conf from the carried facts'
echo "# static: $(($(date +%s) - t1)) s"
done_testing
