#!/bin/bash
# GCP's static shape through takeover, loader and target (issue 11): a /32
# address (198.51.100.20) whose gateway (198.51.100.129) is outside every
# local prefix, so the default route must be added on-link, and MTU 1460;
# no DHCP server anywhere, the stock guest configured by cloud-init from a
# NoCloud network-config (v2: gateway4, which Debian's ifupdown adds with
# `onlink`). The loader's DHCP gives up within its bound and the carried
# facts apply; the target comes up on the same address, route and MTU, and
# its page answers from the test's namespace. The stock guest names the
# link ens4 (set-name, matched by MAC), the loader and the target eth0.
# Test addresses only (RFC 5737).
set -u
export GUEST_BOOT_TIMEOUT=${GUEST_BOOT_TIMEOUT:-840}
. "$(dirname "$0")/../lib/tap.sh"
. "$BOOTRINO_ROOT/tests/lib/nginx.sh"
. "$BOOTRINO_ROOT/tests/e2e/guest/takeover-lib.sh"
. "$BOOTRINO_ROOT/tests/e2e/guest/net-lib.sh"

BOUND=$(sed -n 's/^#define CLI_INIT_DHCP_BOUND_S \([0-9]*\).*/\1/p' "$BOOTRINO_ROOT/agent/init.h")
takeover_setup
net_loader_earlyprintk || { not_ok "loader.json with earlyprintk, re-signed"; done_testing; exit 1; }
net_ns
net_tap tapg
# the namespace's side sees a /25, the guest a /32 (its gateway off-link)
nsx ip addr add 198.51.100.129/25 dev tapg
nsx ip route add 198.51.100.20/32 dev tapg
if net_server 198.51.100.200; then ok "web server at $URL in the test's namespace"; else
	not_ok "web server in the test's namespace" "$(cat "$TAP_TMP/relay.out")"
fi
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
net_journey gcp "$TAP_TMP/gcp.yaml" tapg,42:01:c6:33:64:14 -- \
	"route -4 default via 198.51.100.129 dev eth0 onlink" "page 198.51.100.20"
done_testing
