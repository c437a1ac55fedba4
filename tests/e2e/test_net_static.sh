#!/bin/bash
# Static cloud networks through takeover, loader and target (issue 11): no
# DHCP server anywhere, the stock guest configured by cloud-init from a
# NoCloud network-config (v2), as DigitalOcean's and (for static setups)
# GCP's datasources hand it over. The loader's DHCP must give up within
# its bound (CLI_INIT_DHCP_BOUND_S) and apply the carried facts, the
# target must come up on the instance's addresses, and its page must
# answer on each of them from the test's namespace.
#
# DigitalOcean's shape, two NICs, only the second carries the default
# route: 192.0.2.10/24 with gateway 192.0.2.1 (a droplet's public side)
# and IPv6 2001:db8:10::10/64 via 2001:db8:10::1; the first a private
# 198.51.100.10/25 with no gateway. The web server, 198.51.100.200, is
# outside both prefixes: only the default route on the second NIC reaches
# it. (GCP's static /32: test_net_onlink.sh.)
#
# The stock guest names its links priv0/pub0 (cloud-init's set-name,
# matched by MAC; --ifnames keeps udev's names otherwise), the loader and
# the target have eth0, eth1: links are matched by MAC address. Test
# addresses only (RFC 5737, RFC 3849).
set -u
export GUEST_BOOT_TIMEOUT=${GUEST_BOOT_TIMEOUT:-840}
. "$(dirname "$0")/../lib/tap.sh"
. "$BOOTRINO_ROOT/tests/lib/nginx.sh"
. "$BOOTRINO_ROOT/tests/e2e/guest/takeover-lib.sh"
. "$BOOTRINO_ROOT/tests/e2e/guest/net-lib.sh"

export BOUND
BOUND=$(sed -n 's/^#define CLI_INIT_DHCP_BOUND_S \([0-9]*\).*/\1/p' "$BOOTRINO_ROOT/agent/init.h")
takeover_setup
net_loader_earlyprintk || { not_ok "loader.json with earlyprintk, re-signed"; done_testing; exit 1; }
net_ns

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
net_journey droplet "$TAP_TMP/do.yaml" tapa,52:54:00:d0:00:0a tapb,52:54:00:d0:00:0b -- \
	"route -4 default via 192.0.2.1 dev eth1" "route -6 default via 2001:db8:10::1 dev eth1" \
	"page 192.0.2.10" "page 198.51.100.10" "page 2001:db8:10::10"

done_testing
